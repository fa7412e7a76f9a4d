"""Exports of a closed round, read back with openpyxl and python-docx."""

from __future__ import annotations

import io

import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from openpyxl import load_workbook

from shuzhi.accounts.models import Role
from shuzhi.ballots import exports, tally
from shuzhi.ballots.models import BallotRound, BallotRoundStatus
from shuzhi.ballots.tests.tally_setup import cast, make_setup
from shuzhi.core.testing import make_user
from shuzhi.exports.tests.test_official_docx import mm
from shuzhi.exports.tests.test_sheets import assert_prints

pytestmark = pytest.mark.django_db


def closed_round(world, min_ballots=1, c_again="average"):
    """Five ballots; 荔湾区委 (c) is rated twice by the leaders, or once with ``c_again=""``."""
    s = make_setup(world, min_ballots=min_ballots)
    a, b, c = (r.pk for r in s.reporters)
    cast(s.ballot_round, "leaders", {a: "good", b: "good", c: "average"})
    cast(s.ballot_round, "leaders", {a: "good", b: "fair_good", c: c_again})
    cast(s.ballot_round, "leaders", {a: "fair_good", b: "poor", c: ""})
    cast(s.ballot_round, "public", {a: "average", b: "good", c: ""})
    cast(s.ballot_round, "public", {a: "", b: "good", c: ""})
    s.ballot_round.status = BallotRoundStatus.CLOSED
    s.ballot_round.save()
    return s


@pytest.mark.smoke
def test_workbook_numbers(world, client):
    s = closed_round(world)
    client.force_login(world.alice)
    response = client.get(f"/ballots/round/{s.ballot_round.pk}/export.xlsx")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["汇总", "分类别", "分项评价", "原始选票"]
    summary = list(wb["汇总"].iter_rows(min_row=3, values_only=True))
    header, row_a, row_b, row_c = summary
    assert header[:7] == ("序号", "述职单位", "述职人", "好", "较好", "一般", "差")
    assert row_a[1] == "广州市委" and row_a[3:8] == (2, 1, 1, 0, 1)
    assert row_a[8] == 0.5 and row_a[9] == 0.75
    assert row_a[11] == 80.0 and row_a[12] == 1  # 0.6 × 93.33 + 0.4 × 60
    assert row_b[11] == 76.0 and row_b[12] == 2
    assert row_c[11] == 60.0 and row_c[13] == "已按有票类别折算权重"
    by_cat = list(wb["分类别"].iter_rows(min_row=2, values_only=True))
    assert ("广州市委", "书记1", "领导班子成员", 0.6, 2, 1, 0, 0, 0, 0.6667, 1.0, 93.33) in by_cat
    raw = list(wb["原始选票"].iter_rows(values_only=True))
    assert raw[0] == ("类别", "广州市委", "深圳市委", "荔湾区委")
    assert len(raw) == 6
    assert sorted(raw[1:]) == sorted(
        [
            ("领导班子成员", "好", "好", "一般"),
            ("领导班子成员", "好", "较好", "一般"),
            ("领导班子成员", "较好", "差", "弃权"),
            ("党员群众代表", "一般", "好", "弃权"),
            ("党员群众代表", "弃权", "好", "弃权"),
        ]
    )
    # Every sheet prints on A4 with its header repeated: the summary (14 columns) and the
    # per-category sheet landscape, the 4 columns of raw ballots upright.
    assert_prints(wb["汇总"], landscape=True, title_rows="$3:$3")
    assert_prints(wb["分类别"], landscape=True)
    assert_prints(wb["分项评价"], landscape=True)
    assert_prints(wb["原始选票"], landscape=False)


def test_raw_ballots_come_in_random_order(world):
    s = make_setup(world)
    a = s.reporters[0].pk
    for i in range(12):
        cast(
            s.ballot_round,
            "leaders" if i % 2 else "public",
            {a: ["good", "poor", "average"][i % 3]},
        )
    rules = exports.tally.rules_of(s.ballot_round)
    orders = {tuple(map(tuple, exports.raw_ballots(s.ballot_round, rules, [a]))) for _ in range(6)}
    assert len(orders) > 1


def test_word_result_sheet(world, client):
    s = closed_round(world, min_ballots=2, c_again="")
    client.force_login(world.alice)
    response = client.get(f"/ballots/round/{s.ballot_round.pk}/result.docx")
    assert response.status_code == 200
    doc = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "民主测评结果汇总表" in text
    assert s.session.title in text and "2026年1月20日" in text and "省委大礼堂" in text
    # A4, turned for the 12-column table, with the 公文 margins and page numbers.
    (section,) = doc.sections
    assert section.orientation == WD_ORIENT.LANDSCAPE
    assert (mm(section.page_width), mm(section.page_height)) == (297, 210)
    assert (mm(section.top_margin), mm(section.left_margin)) == (37, 28)
    assert doc.settings.odd_and_even_pages_header_footer
    assert section.footer.paragraphs[0].text == "— 1 —"
    assert "PAGE" in section.even_page_footer.paragraphs[0]._element.xml
    assert "应到 30 人，实到 27 人，收回有效票 5 张" in text
    assert "统计人" in text and "监票人" in text and "日期" in text
    table = doc.tables[0]
    rows = [[c.text for c in r.cells] for r in table.rows]
    assert rows[0][:7] == ["序号", "述职单位", "述职人", "好", "较好", "一般", "差"]
    assert rows[1][1:] == [
        "广州市委",
        "书记1",
        "2",
        "1",
        "1",
        "0",
        "1",
        "50.00%",
        "75.00%",
        "80.00",
        "1",
    ]
    assert rows[2][-2:] == ["76.00", "2"]
    assert "有效票不足 2 张" in rows[3][5]  # 荔湾区委 got one rating


def test_exports_only_after_close(world, client):
    s = make_setup(world)
    client.force_login(world.alice)
    for suffix in ("export.xlsx", "result.docx"):
        response = client.get(f"/ballots/round/{s.ballot_round.pk}/{suffix}")
        assert response.status_code == 403
        assert "投票结束并公布后" in response.content.decode()
    s.ballot_round.status = BallotRoundStatus.VOID
    s.ballot_round.void_reason = "收回票数多于发出票数，本轮无效"
    s.ballot_round.save()
    assert "作废" in client.get(f"/ballots/round/{s.ballot_round.pk}/export.xlsx").content.decode()


def test_export_permissions(world, client):
    s = closed_round(world)
    sec = make_user("prov-sec", (Role.SECRETARY, world.province))
    client.force_login(sec)
    # Closed but not published: the organisers' to check, nobody else's yet.
    response = client.get(f"/ballots/round/{s.ballot_round.pk}/result.docx")
    assert response.status_code == 403 and "尚未公布" in response.content.decode()
    s.ballot_round.status = BallotRoundStatus.PUBLISHED
    s.ballot_round.save()
    assert client.get(f"/ballots/round/{s.ballot_round.pk}/result.docx").status_code == 200
    viewer = make_user("prov-viewer", (Role.VIEWER, world.province))
    client.force_login(viewer)
    assert client.get(f"/ballots/round/{s.ballot_round.pk}/export.xlsx").status_code == 403
    client.force_login(world.carol)
    assert client.get(f"/ballots/round/{s.ballot_round.pk}/export.xlsx").status_code == 404


def test_small_categories_are_not_broken_down(world):
    """A category with fewer ballots than the minimum would show how its few voters voted."""
    s = make_setup(world, min_ballots=2)
    everyone = [r.pk for r in s.reporters]
    for grade in ("good", "good", "fair_good"):
        cast(s.ballot_round, "leaders", dict.fromkeys(everyone, grade))
    cast(s.ballot_round, "public", dict.fromkeys(everyone, "poor"))
    BallotRound.objects.filter(pk=s.ballot_round.pk).update(status="closed")
    s.ballot_round.refresh_from_db()

    result = tally.compute(s.ballot_round)
    by_code = {c.code: c for c in result.reporters[0].categories}
    assert not by_code["leaders"].hidden and by_code["leaders"].counts["good"] == 2
    assert by_code["public"].hidden and by_code["public"].counts == {}
    categories = tally.as_json(result)["reporters"][0]["categories"]
    assert {"code": "public", "label": "党员群众代表", "hidden": True} in categories

    rows = exports.raw_ballots(s.ballot_round, result.rules, everyone)
    labels = [row[0] for row in rows]
    assert labels.count(exports.SMALL_CATEGORY_LABEL) == 1
    assert "党员群众代表" not in labels

    sheet = load_workbook(io.BytesIO(exports.workbook(s.ballot_round)))["分类别"]
    texts = [str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value]
    assert "该类别票数少于结果显示最少票数，不单独显示" in texts
