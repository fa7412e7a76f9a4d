"""Code slips: a printable A4 PDF with every unused code, an embedded CJK font, QR codes."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from shuzhi.accounts.models import Role
from shuzhi.ballots import slips
from shuzhi.ballots.tally_testing import issue_codes, make_setup
from shuzhi.core.testing import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.urls("shuzhi.ballots.tally_test_urls")]


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def pdf_text(pdf: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed; text extraction not checked")
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


@pytest.mark.smoke
def test_slips_pdf_has_every_unused_code_on_a4_pages(world, client, tmp_path):
    s = make_setup(world)
    leaders = issue_codes(s.ballot_round, "leaders", 20, used=2)
    public = issue_codes(s.ballot_round, "public", 10)
    client.force_login(world.alice)
    response = client.get(f"/ballots/round/{s.ballot_round.pk}/slips.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    assert page_count(pdf) == 2  # 28 unused codes, 24 a page
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in pdf  # A4
    if slips.cjk_font().embedded:
        assert b"/FontFile2" in pdf  # TrueType outlines embedded
    text = pdf_text(pdf, tmp_path)
    for code in leaders[2:] + public:
        assert code in text
    for code in leaders[:2]:
        assert code not in text  # used codes are not printed again
    assert "领导班子成员" in text and s.session.title[:6] in text


def test_slips_come_in_random_order(world):
    s = make_setup(world)
    issue_codes(s.ballot_round, "leaders", 30)
    orders = {tuple(c for c, _ in slips.shuffled_codes(s.ballot_round)) for _ in range(5)}
    assert len(orders) > 1


def test_slip_qr_points_at_the_vote_page():
    assert slips.vote_url("http://hall.local:8000/", "AB12CD") == "http://hall.local:8000/v/AB12CD/"


def test_fallback_font_warns_on_the_page(tmp_path):
    font = slips.cjk_font(candidates=[("/nonexistent/font.ttc", 0)])
    assert not font.embedded and font.name == "STSong-Light"
    pdf = slips.render_slips(
        codes=[("ZZ9999", "委员")], title="测试会议", base_url="http://x/", font=font
    )
    assert pdf.startswith(b"%PDF") and b"/FontFile2" not in pdf
    assert b"STSong-Light" in pdf
    if shutil.which("pdftotext"):
        assert "ZZ9999" in pdf_text(pdf, tmp_path)


def test_slips_need_ballot_manage(world, client):
    s = make_setup(world)
    sec = make_user("prov-sec", (Role.SECRETARY, world.province))
    client.force_login(sec)
    assert client.get(f"/ballots/round/{s.ballot_round.pk}/slips.pdf").status_code == 403
    client.force_login(world.carol)
    assert client.get(f"/ballots/round/{s.ballot_round.pk}/slips.pdf").status_code == 404
