"""Grading pages and API: what each role sees and may do, the derivation panel, the one
confirming act, the reporter's acknowledgement, the ranking — with pinned query counts."""

from __future__ import annotations

import json

import pytest

from shuzhi.accounts.models import Role
from shuzhi.assessment.grading import services as gs
from shuzhi.assessment.grading.models import GradeRow, GradingStatus
from shuzhi.core.testing import make_user

from .grading_setup import FORMULA, THRESHOLDS, finished_session, many_rows

BASE = "/assessment/grading"
API = "/api/assessment/grading"


@pytest.fixture
def session(world):
    return finished_session(world)


@pytest.fixture
def reviewer(world):
    """A secretary of the province: report.review on the host, not round.change."""
    return make_user("reviewer", (Role.SECRETARY, world.province))


@pytest.fixture
def suggested(world, session):
    grading = gs.save_grading(
        actor=world.alice,
        round=session.annual,
        formula=FORMULA,
        thresholds=THRESHOLDS,
        policies={"disqualifiers": [{"code": "accident", "label": "发生重大安全事故"}]},
    )
    gs.compute_suggestions(actor=world.alice, grading=grading)
    return grading


def _row(grading, name):
    return GradeRow.objects.get(grading=grading, is_current=True, reporter__unit__name=name)


def test_settings_page_creates_the_grading(client, world, session):
    client.force_login(world.alice)
    url = f"{BASE}/round/{session.annual.pk}/"
    assert "尚未设置综合评定规则" in client.get(url).content.decode()
    data = {
        "w_ballot_score": "0.5",
        "m_ballot_score": "good_rate",
        "w_rectification": "0.4",
        "t_good": "90",
        "t_fair_good": "80",
        "t_average": "60",
        "t_poor": "0",
        "disqualifiers": "accident:发生重大安全事故",
    }
    response = client.post(f"{BASE}/round/{session.annual.pk}/settings/", data)
    assert response.status_code == 200
    assert "各组成部分的权重之和必须等于 1（现为 0.9）" in response.content.decode()
    data["w_rectification"] = "0.5"
    response = client.post(f"{BASE}/round/{session.annual.pk}/settings/", data)
    assert response.status_code == 302
    grading = session.annual.grading
    assert grading.formula[0] == {"code": "ballot_score", "weight": "0.5", "method": "good_rate"}
    assert grading.policies["disqualifiers"] == [{"code": "accident", "label": "发生重大安全事故"}]
    client.post(f"{BASE}/round/{session.annual.pk}/compute/")
    grading.refresh_from_db()
    assert grading.status == GradingStatus.SUGGESTED
    response = client.get(f"{BASE}/round/{session.annual.pk}/settings/")
    assert response.status_code == 302  # locked


def test_grading_page_shows_numbers_that_open(client, world, suggested, django_assert_num_queries):
    client.force_login(world.alice)
    url = f"{BASE}/round/{suggested.round_id}/"
    with django_assert_num_queries(8):
        response = client.get(url)
    html = response.content.decode()
    assert "100.00" in html and "92.00" in html and "60.00" in html
    assert "0.8×民主测评得分（好评率） + 0.2×整改成效（销号率扣减逾期）" in html
    row = _row(suggested, "深圳市委")
    panel = client.get(
        f"{BASE}/row/{row.pk}/derivation/ballot_score/", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "好 占有效票 10 张的 90.00%" in panel and "<html" not in panel
    page = client.get(f"{BASE}/row/{row.pk}/derivation/composite/").content.decode()
    assert "0.8 × 90.00（民主测评得分） + 0.2 × 100.00（整改成效） = 92.00" in page
    assert "<html" in page
    assert client.get(f"{BASE}/row/{row.pk}/derivation/nope/").status_code == 404
    # Filters narrow the rows.
    html = client.get(url, {"q": "深圳"}).content.decode()
    assert "深圳市委" in html and "荔湾区委" not in html


def test_decide_through_htmx_needs_a_reason(client, world, suggested):
    client.force_login(world.alice)
    row = _row(suggested, "深圳市委")
    url = f"{BASE}/row/{row.pk}/decide/"
    response = client.post(url, {"final": "fair_good"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200  # htmx swaps the row with the refusal in it
    assert "评定等次与建议等次不同，必须说明理由" in response.content.decode()
    row.refresh_from_db()
    assert row.final == "good"
    response = client.post(
        url, {"final": "fair_good", "reason": "群众反映问题较多"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert 'id="row-' in response.content.decode()
    row.refresh_from_db()
    assert (row.final, row.reason) == ("fair_good", "群众反映问题较多")


def test_rows_open_one_editor_at_a_time(client, world, suggested, django_assert_num_queries):
    """500 rows: a page of grades without a form in any row, the same queries as for three,
    and one row's editor opened by its link (htmx) or ``?edit=`` (without JavaScript)."""
    client.force_login(world.alice)
    url = f"{BASE}/round/{suggested.round_id}/"
    client.get(url)
    with django_assert_num_queries(8):
        few = client.get(url).content.decode()
    many_rows(suggested, 500)
    with django_assert_num_queries(8):
        html = client.get(url, {"q": "委", "page": 2}).content.decode()
    assert "共 503 项" in html and "第 2 / 11 页" in html
    assert "decide-form" not in few and "decide-form" not in html
    assert html.count('data-testid="edit-row"') == 50
    assert 'class="table-responsive table-scroll"' in html  # the sticky header's frame
    # The edit link keeps the search and the page the reader is on.
    assert "?q=%E5%A7%94&amp;page=2&amp;edit=" in html
    row = _row(suggested, "深圳市委")
    fragment = client.get(f"{BASE}/row/{row.pk}/", {"edit": "1"}).content.decode()
    assert fragment.count('data-testid="decide-form"') == 1 and "<html" not in fragment
    assert 'id="final-' in fragment and "取消" in fragment
    shown = client.get(f"{BASE}/row/{row.pk}/").content.decode()
    assert "decide-form" not in shown and 'data-testid="edit-row"' in shown
    page = client.get(url, {"edit": row.pk}).content.decode()
    assert page.count('data-testid="decide-form"') == 1


def test_readers_never_get_the_editor(client, world, suggested, reviewer):
    client.force_login(reviewer)
    row = _row(suggested, "深圳市委")
    html = client.get(f"{BASE}/row/{row.pk}/", {"edit": "1"}).content.decode()
    assert "decide-form" not in html and "edit-row" not in html
    page = client.get(f"{BASE}/round/{suggested.round_id}/", {"edit": row.pk}).content.decode()
    assert "decide-form" not in page


def test_confirm_page_summarises_and_confirms(client, world, suggested):
    client.force_login(world.alice)
    row = _row(suggested, "深圳市委")
    gs.decide_grade(actor=world.alice, row=row, final="fair_good", reason="群众反映问题较多")
    url = f"{BASE}/round/{suggested.round_id}/confirm/"
    html = client.get(url).content.decode()
    assert "深圳市委：理由 群众反映问题较多" in html
    assert client.post(url).status_code == 302
    suggested.refresh_from_db()
    assert suggested.status == GradingStatus.CONFIRMED
    html = client.get(f"{BASE}/round/{suggested.round_id}/").content.decode()
    assert "已锁定" in html and "decide-form" not in html and "更正" in html


def test_correction_page(client, world, suggested):
    gs.confirm_grades(actor=world.alice, grading=suggested)
    client.force_login(world.alice)
    row = _row(suggested, "荔湾区委")
    url = f"{BASE}/row/{row.pk}/correct/"
    response = client.post(url, {"final": "fair_good", "reason": ""})
    assert response.status_code == 200  # the form again, nothing written
    assert GradeRow.objects.filter(reporter=row.reporter).count() == 1
    response = client.post(url, {"final": "fair_good", "reason": "复核计票有误"})
    assert response.status_code == 302
    new = _row(suggested, "荔湾区委")
    assert new.pk != row.pk and new.final == "fair_good"
    html = client.get(f"{BASE}/row/{row.pk}/correct/").content.decode()
    assert "已更正" in html and "复核计票有误" in html


def test_the_secretary_sees_and_acknowledges(client, world, suggested, django_assert_num_queries):
    client.force_login(world.bob)
    assert "暂无已确定的评定结果" in client.get(f"{BASE}/mine/").content.decode()
    gs.confirm_grades(actor=world.alice, grading=suggested)
    with django_assert_num_queries(5):
        html = client.get(f"{BASE}/mine/").content.decode()
    assert "广州市委" in html and "荔湾区委" not in html and "确认知悉" in html
    row = _row(suggested, "广州市委")
    page = client.get(f"{BASE}/row/{row.pk}/derivation/ballot_score/").content.decode()
    assert "好 占有效票 10 张的 100.00%" in page  # his own numbers open too
    assert client.post(f"{BASE}/row/{row.pk}/acknowledge/").status_code == 302
    row.refresh_from_db()
    assert row.acknowledged_by == world.bob
    # Not his own (his grant reaches 荔湾区委, but only his unit is "own"), and the province's
    # grading is out of his sight.
    other = _row(suggested, "荔湾区委")
    assert client.post(f"{BASE}/row/{other.pk}/acknowledge/").status_code == 404
    assert client.get(f"{BASE}/row/{other.pk}/derivation/composite/").status_code == 404
    assert client.get(f"{BASE}/round/{suggested.round_id}/").status_code == 404


@pytest.mark.parametrize(
    ("who", "page", "decide"),
    [("alice", 200, 302), ("reviewer", 200, 403), ("carol", 404, 404), ("erin", 404, 404)],
)
def test_who_sees_and_decides(client, world, suggested, reviewer, who, page, decide):
    user = reviewer if who == "reviewer" else getattr(world, who)
    client.force_login(user)
    assert client.get(f"{BASE}/round/{suggested.round_id}/").status_code == page
    row = _row(suggested, "广州市委")
    assert client.post(f"{BASE}/row/{row.pk}/decide/", {"final": "good"}).status_code == decide
    expected_manage = 302 if who == "alice" else (403 if page == 200 else 404)
    assert client.post(f"{BASE}/round/{suggested.round_id}/compute/").status_code == expected_manage


def test_index_and_ranking(client, world, suggested, reviewer, django_assert_num_queries):
    gs.confirm_grades(actor=world.alice, grading=suggested)
    client.force_login(reviewer)
    with django_assert_num_queries(5):
        html = client.get(f"{BASE}/", {"year": 2026}).content.decode()
    assert "2026年度基层党建述职评议考核" in html and "已确定" in html
    with django_assert_num_queries(5):
        html = client.get(f"{BASE}/ranking/", {"order": "composite"}).content.decode()
    assert html.index("广州市委") < html.index("深圳市委") < html.index("荔湾区委")
    html = client.get(f"{BASE}/ranking/", {"unit": world.city_a.pk}).content.decode()
    assert "广州市委" in html and "荔湾区委" in html and "深圳市委" not in html
    html = client.get(f"{BASE}/ranking/", {"session": suggested.round.sessions.get().pk})
    assert html.content.decode().count("<tr>") == 4  # header + the three heard together
    assert "没有符合条件" in client.get(f"{BASE}/ranking/", {"session": 999999}).content.decode()
    html = client.get(f"{BASE}/unit/{world.city_b.pk}/history/").content.decode()
    assert "92.00" in html
    client.force_login(world.erin)
    assert "广州市委" not in client.get(f"{BASE}/ranking/").content.decode()


def test_api_round_trip(client, world, session, reviewer):
    client.force_login(world.alice)
    url = f"{API}/rounds/{session.annual.pk}"
    body = {"formula": [{"code": "ballot_score", "weight": "0.7"}], "thresholds": THRESHOLDS}
    response = client.put(url, json.dumps(body), content_type="application/json")
    assert response.status_code == 422
    assert "权重之和必须等于 1" in response.json()["errors"]["formula"][0]
    body["formula"] = FORMULA
    assert client.put(url, json.dumps(body), content_type="application/json").status_code == 200
    assert client.post(f"{url}/compute").json()["status"] == "suggested"
    rows = client.get(f"{url}/rows").json()["items"]
    assert [r["composite"] for r in rows] == ["100.00", "92.00", "60.00"]
    b = next(r for r in rows if r["unit"] == "深圳市委")
    response = client.post(
        f"{API}/rows/{b['id']}/decide",
        json.dumps({"final": "fair_good"}),
        content_type="application/json",
    )
    assert response.status_code == 422 and "reason" in response.json()["errors"]
    client.force_login(reviewer)
    assert client.get(f"{url}/rows").status_code == 200
    assert client.post(f"{url}/confirm").status_code == 403
    client.force_login(world.alice)
    assert client.post(f"{url}/confirm").json()["status"] == "confirmed"
    response = client.post(
        f"{API}/rows/{b['id']}/correct",
        json.dumps({"final": "fair_good", "reason": "复核"}),
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["reason"] == "复核"
    ranking = client.get(f"{API}/ranking", {"order": "ballot_score"}).json()["items"]
    assert [r["unit"] for r in ranking] == ["广州市委", "深圳市委", "荔湾区委"]
    assert [r["position"] for r in ranking] == [1, 2, 3]
    client.force_login(world.bob)
    mine = client.get(f"{API}/mine").json()["items"]
    assert [r["unit"] for r in mine] == ["广州市委"]
    assert client.post(f"{API}/rows/{mine[0]['id']}/acknowledge").status_code == 200
    assert client.get(f"{url}/rows").status_code == 404
