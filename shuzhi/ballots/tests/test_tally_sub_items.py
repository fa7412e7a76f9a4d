"""Sub-items (分项评价) rated beside the overall grade: the tally, the API and the exports."""

from __future__ import annotations

import io
from fractions import Fraction

import pytest
from docx import Document
from openpyxl import load_workbook

from shuzhi.ballots import exports, tally
from shuzhi.ballots.models import Ballot, BallotRoundStatus
from shuzhi.ballots.tests.tally_setup import make_setup

pytestmark = pytest.mark.django_db

SUB_ITEMS = [{"code": "duty", "label": "履行责任"}, {"code": "build", "label": "组织建设"}]


def vote(ballot_round, category, ratings):
    """One ballot; ``ratings`` maps a session reporter id to ``(overall, duty, build)``."""
    Ballot.from_rows(
        round_id=ballot_round.pk,
        category=category,
        rows=[
            (rid, item, grade)
            for rid, grades in ratings.items()
            for item, grade in zip(("overall", "duty", "build"), grades, strict=True)
        ],
    ).save()


def rated_round(world, *, status=BallotRoundStatus.CLOSED):
    """Minimum two ballots. 广州市委 (a) shows both sub-items; 深圳市委 (b) has 组织建设 rated
    once (hidden on its own); 荔湾区委 (c) got one overall rating and is hidden altogether."""
    s = make_setup(world, min_ballots=2, sub_items=SUB_ITEMS)
    a, b, c = (r.pk for r in s.reporters)
    vote(
        s.ballot_round,
        "leaders",
        {a: ("good", "good", "fair_good"), b: ("good", "average", "good"), c: ("good", "good", "")},
    )
    vote(
        s.ballot_round,
        "leaders",
        {a: ("good", "good", "fair_good"), b: ("fair_good", "poor", ""), c: ("", "", "")},
    )
    # Leaders too: a category of one ballot would be left out of every figure.
    vote(
        s.ballot_round,
        "leaders",
        {a: ("fair_good", "fair_good", ""), b: ("good", "average", ""), c: ("", "", "")},
    )
    s.ballot_round.status = status
    s.ballot_round.save()
    return s


@pytest.mark.smoke
def test_sub_items_cost_no_extra_query(world, django_assert_num_queries):
    s = rated_round(world)
    # overall and sub-item counts at once, ballots per category, reporters
    with django_assert_num_queries(3):
        result = tally.compute(s.ballot_round)
    ra, rb, rc = result.reporters
    duty, build = ra.sub_items
    assert (duty.code, duty.label, build.label) == ("duty", "履行责任", "组织建设")
    assert duty.counts == {"good": 2, "fair_good": 1, "average": 0, "poor": 0}
    assert duty.cast == 3 and duty.abstained == 0
    assert duty.good_rate == Fraction(2, 3) and duty.good_fair_rate == 1
    assert duty.average == Fraction(280, 3)
    assert build.counts == {"good": 0, "fair_good": 2, "average": 0, "poor": 0}
    assert build.abstained == 1 and build.good_rate == 0 and build.average == 80
    b_duty, b_build = rb.sub_items
    assert b_duty.counts == {"good": 0, "fair_good": 0, "average": 2, "poor": 1}
    assert b_duty.good_fair_rate == 0 and b_duty.average == 40
    # rated by one voter only: a breakdown would show that voter's grade
    assert b_build.hidden and b_build.counts == {} and b_build.average is None
    assert rc.hidden and rc.sub_items == []
    # the overall result ignores the sub-item rows
    assert ra.counts == {"good": 2, "fair_good": 1, "average": 0, "poor": 0}


def test_sub_item_query_count_does_not_grow_with_ballots(world, django_assert_num_queries):
    s = make_setup(world, sub_items=SUB_ITEMS)
    ids = [r.pk for r in s.reporters]
    grades = ["good", "fair_good", "average", "poor"]
    for i in range(30):
        vote(
            s.ballot_round,
            ["leaders", "public"][i % 2],
            {rid: (grades[i % 4], grades[(i + 1) % 4], grades[(i + rid) % 4]) for rid in ids},
        )
    with django_assert_num_queries(3):
        result = tally.compute(s.ballot_round)
    for r in result.reporters:
        assert [sum(i.counts.values()) for i in r.sub_items] == [30, 30]
        assert r.sub_items[0].counts == {g: (8 if g in grades[1:3] else 7) for g in grades}


def test_tally_api_lists_sub_items(world, client):
    s = rated_round(world)
    client.force_login(world.alice)
    data = client.get(f"/api/ballots/rounds/{s.ballot_round.pk}/tally").json()
    assert data["sub_items"] == SUB_ITEMS
    ra, rb, rc = data["reporters"]
    assert ra["sub_items"] == [
        {
            "code": "duty",
            "label": "履行责任",
            "hidden": False,
            "counts": {"good": 2, "fair_good": 1, "average": 0, "poor": 0},
            "abstained": 0,
            "cast": 3,
            "shares": {
                "good": "0.6667",
                "fair_good": "0.3333",
                "average": "0.0000",
                "poor": "0.0000",
            },
            "good_rate": "0.6667",
            "good_fair_rate": "1.0000",
            "average": "93.33",
        },
        {
            "code": "build",
            "label": "组织建设",
            "hidden": False,
            "counts": {"good": 0, "fair_good": 2, "average": 0, "poor": 0},
            "abstained": 1,
            "cast": 2,
            "shares": {
                "good": "0.0000",
                "fair_good": "1.0000",
                "average": "0.0000",
                "poor": "0.0000",
            },
            "good_rate": "0.0000",
            "good_fair_rate": "1.0000",
            "average": "80.00",
        },
    ]
    assert rb["sub_items"][0]["average"] == "40.00"
    assert rb["sub_items"][1] == {"code": "build", "label": "组织建设", "hidden": True}
    assert "sub_items" not in rc


def test_tally_api_without_sub_items_lists_none(world, client):
    s = make_setup(world)
    for _ in range(2):
        vote(s.ballot_round, "leaders", {s.reporters[0].pk: ("good", "", "")})
    s.ballot_round.status = BallotRoundStatus.CLOSED
    s.ballot_round.save()
    client.force_login(world.alice)
    data = client.get(f"/api/ballots/rounds/{s.ballot_round.pk}/tally").json()
    assert data["sub_items"] == [] and data["reporters"][0]["sub_items"] == []


@pytest.mark.smoke
def test_workbook_sub_item_sheet(world, client):
    s = rated_round(world)
    client.force_login(world.alice)
    response = client.get(f"/api/ballots/rounds/{s.ballot_round.pk}/export.xlsx")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["汇总", "分类别", "分项评价", "原始选票"]
    rows = list(wb["分项评价"].iter_rows(values_only=True))
    assert rows[0] == (
        "述职单位",
        "述职人",
        "分项",
        "好",
        "较好",
        "一般",
        "差",
        "弃权",
        "好率",
        "好+较好率",
        "平均分",
    )
    assert rows[1:] == [
        ("广州市委", "书记1", "履行责任", 2, 1, 0, 0, 0, 0.6667, 1.0, 93.33),
        ("广州市委", "书记1", "组织建设", 0, 2, 0, 0, 1, 0.0, 1.0, 80.0),
        ("深圳市委", "书记2", "履行责任", 0, 0, 2, 1, 0, 0.0, 0.0, 40.0),
        ("深圳市委", "书记2", "组织建设", "有效票不足 2 张，不显示结果") + (None,) * 7,
        ("荔湾区委", "书记3", "—", "有效票不足 2 张，不显示结果") + (None,) * 7,
    ]
    assert wb["分项评价"]["I2"].number_format == "0.00%"


def test_word_sheet_has_a_sub_item_table(world, client):
    s = rated_round(world)
    client.force_login(world.alice)
    response = client.get(f"/ballots/round/{s.ballot_round.pk}/result.docx")
    doc = Document(io.BytesIO(response.content))
    assert "分项评价" in [p.text for p in doc.paragraphs]
    assert len(doc.tables) == 2
    rows = [[c.text for c in r.cells] for r in doc.tables[1].rows]
    assert rows[0] == [
        "述职单位",
        "述职人",
        "分项",
        "好",
        "较好",
        "一般",
        "差",
        "弃权",
        "好率",
        "好+较好率",
        "平均分",
    ]
    assert rows[1] == [
        "广州市委",
        "书记1",
        "履行责任",
        "2",
        "1",
        "0",
        "0",
        "0",
        "66.67%",
        "100.00%",
        "93.33",
    ]
    assert rows[3][2:4] == ["履行责任", "0"] and rows[3][-1] == "40.00"
    assert rows[4][2] == "组织建设" and rows[4][3] == "有效票不足 2 张，不显示结果"
    assert rows[5][:3] == ["荔湾区委", "书记3", "—"] and "有效票不足" in rows[5][-1]
    assert len(rows) == 6


def test_word_sheet_without_sub_items_has_one_table(world):
    s = make_setup(world)
    vote(s.ballot_round, "leaders", {s.reporters[0].pk: ("good", "", "")})
    s.ballot_round.status = BallotRoundStatus.CLOSED
    s.ballot_round.save()
    doc = Document(io.BytesIO(exports.result_sheet(s.ballot_round)))
    assert len(doc.tables) == 1
    assert "分项评价" not in [p.text for p in doc.paragraphs]
    sheet = load_workbook(io.BytesIO(exports.workbook(s.ballot_round)))["分项评价"]
    assert sheet["A2"].value == "本轮未设分项评价，仅有总体评价。" and sheet.max_row == 2
