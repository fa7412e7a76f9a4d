"""Code slips: a printable A4 PDF with every unused code, an embedded CJK font, QR codes."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import segno

from shuzhi.accounts.models import Role
from shuzhi.ballots import slips
from shuzhi.ballots.tests.tally_setup import issue_codes, make_setup
from shuzhi.core.testing import make_user
from shuzhi.exports.pdf import cjk_font

pytestmark = pytest.mark.django_db


def page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def pdf_text(pdf: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed; text extraction not checked")
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        # Content-stream order: with ``-layout`` poppler sometimes drops a string where three
        # columns of slips sit close together, which made the code checks below flaky.
        ["pdftotext", "-raw", str(path), "-"],
        capture_output=True,
        check=True,
        text=True,
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
    # A header page and one page of slips for each of the two categories.
    assert page_count(pdf) == 4
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in pdf  # A4
    if cjk_font().embedded:
        assert b"/FontFile2" in pdf  # TrueType outlines embedded
    text = pdf_text(pdf, tmp_path)
    for code in leaders[2:] + public:
        assert code in text
    for code in leaders[:2]:
        assert code not in text  # used codes are not printed again
    assert "领导班子成员" in text and s.session.title[:6] in text


def test_each_category_has_a_header_page_and_its_own_pages(world, client, tmp_path):
    s = make_setup(world)
    leaders = issue_codes(s.ballot_round, "leaders", 30)
    public = issue_codes(s.ballot_round, "public", 5)
    client.force_login(world.alice)
    pdf = client.get(f"/ballots/round/{s.ballot_round.pk}/slips.pdf").content
    pages = pdf_text(pdf, tmp_path).split("\f")[:-1]
    labels = slips.tally.rules_of(s.ballot_round).category_labels
    leader_label, public_label = labels["leaders"], labels["public"]
    # leaders: header + 2 pages (30 codes, 24 a page); public: header + 1 page.
    assert len(pages) == 5
    assert leader_label in pages[0] and "投票码 30 张" in pages[0]
    assert "http://testserver/v/" in pages[0]
    assert public_label in pages[3] and "投票码 5 张" in pages[3]
    leader_pages, public_pages = pages[1] + pages[2], pages[4]
    assert sorted(c for c in leaders if c in leader_pages) == sorted(leaders)
    assert not any(c in leader_pages for c in public)
    assert sorted(c for c in public if c in public_pages) == sorted(public)
    # Every slip prints its category and the address to type the code at.
    assert leader_pages.count("http://testserver/v/") == 30
    assert public_pages.count("http://testserver/v/") == 5
    assert public_pages.count(public_label) == 5


def test_codes_are_shuffled_only_within_their_category(world):
    s = make_setup(world)
    issue_codes(s.ballot_round, "leaders", 20)
    issue_codes(s.ballot_round, "public", 20)
    labels = slips.tally.rules_of(s.ballot_round).category_labels
    orders = set()
    for _ in range(5):
        codes = slips.shuffled_codes(s.ballot_round)
        assert [label for _, label in codes] == [labels["leaders"]] * 20 + [labels["public"]] * 20
        orders.add(tuple(c for c, _ in codes))
    assert len(orders) > 1


def test_slips_come_in_random_order(world):
    s = make_setup(world)
    issue_codes(s.ballot_round, "leaders", 30)
    orders = {tuple(c for c, _ in slips.shuffled_codes(s.ballot_round)) for _ in range(5)}
    assert len(orders) > 1


def test_slip_qr_points_at_the_vote_page():
    assert slips.vote_url("http://hall.local:8000/", "AB12CD") == "http://hall.local:8000/v/AB12CD/"


def test_fallback_font_warns_on_the_page(tmp_path):
    font = cjk_font(candidates=[("/nonexistent/font.ttc", 0)])
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


def test_dark_runs_cover_exactly_the_dark_modules():
    matrix = slips.qr_matrix("https://kaohe.example.gov.cn/v/ABCD2345/")
    painted = [[False] * len(row) for row in matrix]
    for row, start, length in slips.dark_runs(matrix):
        assert length > 0 and all(not painted[row][c] for c in range(start, start + length))
        for c in range(start, start + length):
            painted[row][c] = True
    assert painted == matrix
    # Merging is the point: far fewer runs than dark modules.
    assert len(slips.dark_runs(matrix)) < 0.6 * sum(map(sum, matrix))


def test_one_print_run_uses_one_symbol_size_and_the_fixed_mask():
    urls = [slips.vote_url("https://kaohe.example.gov.cn/", c) for c in ("AB12CD", "ZX98YW76")]
    version = slips.qr_version(urls)
    sizes = {len(slips.qr_matrix(url, version)) for url in urls}
    assert sizes == {17 + 4 * version}
    assert segno.make(urls[0], error="m", version=version, mask=0, micro=False).mask == 0
    assert slips.qr_matrix(urls[0], version) == [
        [bool(m) for m in row]
        for row in segno.make(urls[0], error="m", version=version, mask=0, micro=False).matrix
    ]


def _gray_pixels(pdf: bytes, tmp_path, dpi: int) -> tuple[int, int, bytes]:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed; drawing not checked")
    (tmp_path / "qr.pdf").write_bytes(pdf)
    subprocess.run(
        # Page 2: the first page of slips, after the category's header page.
        ["pdftoppm", "-gray", "-r", str(dpi), "-f", "2", "-l", "2", "qr.pdf", "page"],
        cwd=tmp_path,
        check=True,
    )
    data = next(tmp_path.glob("page*.pgm")).read_bytes()
    magic, width, height, maxval, pixels = data.split(maxsplit=4)
    assert magic == b"P5" and maxval == b"255"
    return int(width), int(height), pixels


def test_drawn_qr_matches_its_modules(tmp_path):
    """Rasterise a slip and sample every module's centre: the merged path draws the symbol."""
    base, code = "https://kaohe.example.gov.cn/", "KJEE2JPV"
    pdf = slips.render_slips(codes=[(code, "委员")], title="测试会议", base_url=base)
    dpi = 300
    width, _height, pixels = _gray_pixels(pdf, tmp_path, dpi)
    url = slips.vote_url(base, code)
    matrix = slips.qr_matrix(url, slips.qr_version([url]))
    cell_h = (slips.A4[1] - 2 * slips.MARGIN) / slips.ROWS
    size = cell_h - 2 * slips.PAD
    cell = size / (len(matrix) + 2 * slips.QR_BORDER)
    left = top = slips.MARGIN + slips.PAD  # the first slip's QR, from the page's top-left
    scale = dpi / 72
    for i, row in enumerate(matrix):
        for j, dark in enumerate(row):
            px = int((left + (j + slips.QR_BORDER + 0.5) * cell) * scale)
            py = int((top + (i + slips.QR_BORDER + 0.5) * cell) * scale)
            assert (pixels[py * width + px] < 128) == dark, (i, j)


def test_a_long_code_shrinks_to_stay_on_its_slip(tmp_path):
    """The longest code the table allows (16 characters), in every column, is printed whole."""
    codes = [(f"WIDE{n:012d}", "领导班子成员") for n in range(6)]
    pdf = slips.render_slips(codes=codes, title="述职评议会", base_url="http://hall.example/")
    text = pdf_text(pdf, tmp_path)
    for code, _category in codes:
        assert code in text
