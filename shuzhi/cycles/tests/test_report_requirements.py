"""The year's report requirements on a round: must-answer topics, quality thresholds and the
deadline, set through the service, the edit page and the API, audited and shown on the round."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from shuzhi.core.models import AuditEntry
from shuzhi.cycles import policy
from shuzhi.cycles import services as cs

pytestmark = pytest.mark.django_db
J = "application/json"
TOPICS = [
    {"code": "rectify", "title": "上年度问题整改情况", "hint": "逐项说明措施和成效"},
    {"code": "grid", "title": "网格化管理", "hint": ""},
]


def test_report_requirements_saved_and_audited(world):
    round = cs.create_round(actor=world.alice, host=world.province, year=2026)
    cs.update_round(
        actor=world.alice,
        round=round,
        report_topics=TOPICS,
        report_checks={"max_chars": 3000, "min_topic_chars": 80, "critique_min_chars": 20},
        report_due=datetime.date(2027, 1, 15),
    )
    round.refresh_from_db()
    assert round.report_topics == TOPICS
    assert round.report_checks["max_chars"] == 3000
    assert round.report_due == datetime.date(2027, 1, 15)
    entry = AuditEntry.objects.get(action="round.update")
    assert set(entry.changes) == {"report_topics", "report_checks", "report_due"}
    # Leaving the deadline out keeps it; None clears it.
    cs.update_round(actor=world.alice, round=round, title="改名")
    round.refresh_from_db()
    assert round.report_due == datetime.date(2027, 1, 15)
    cs.update_round(actor=world.alice, round=round, report_due=None)
    round.refresh_from_db()
    assert round.report_due is None


@pytest.mark.parametrize(
    ("kwargs", "field", "text"),
    [
        ({"report_topics": [{"code": "", "title": "甲"}]}, "report_topics", "不能为空"),
        ({"report_topics": [{"code": "a b", "title": "甲"}]}, "report_topics", "只能用字母"),
        (
            {"report_topics": [{"code": "a", "title": "甲"}, {"code": "a", "title": "乙"}]},
            "report_topics",
            "不能重复",
        ),
        ({"report_topics": [{"code": "a", "title": " "}]}, "report_topics", "要有题目"),
        ({"report_topics": [{"code": "a", "title": "题" * 101}]}, "report_topics", "100"),
        (
            {"report_topics": [{"code": f"t{i}", "title": "题"} for i in range(11)]},
            "report_topics",
            "最多 10 道",
        ),
        ({"report_topics": "题目"}, "report_topics", "格式不正确"),
        ({"report_checks": {"max_words": 10}}, "report_checks", "没有名为“max_words”"),
        ({"report_checks": {"max_chars": "多"}}, "report_checks", "必须是整数"),
        ({"report_checks": {"max_chars": 100}}, "report_checks", "200 到 50000"),
        ({"report_checks": {"min_problem_share": 1.5}}, "report_checks", "0 到 1"),
        ({"report_checks": {"critique_min_problem_share": -0.1}}, "report_checks", "0 到 1"),
        ({"report_checks": {"min_first_person_per_1000": "x"}}, "report_checks", "必须是数字"),
        ({"report_checks": {"min_topic_chars": True}}, "report_checks", "必须是整数"),
        (
            {"report_checks": {"min_chars": 3000, "max_chars": 2000}},
            "report_checks",
            "必须小于上限",
        ),
        ({"report_due": datetime.date(2025, 12, 31)}, "report_due", "2026 年或 2027 年"),
        ({"report_due": datetime.date(2028, 1, 1)}, "report_due", "2026 年或 2027 年"),
    ],
)
def test_report_requirements_validated(world, kwargs, field, text):
    round = cs.create_round(actor=world.alice, host=world.province, year=2026)
    with pytest.raises(ValidationError) as exc:
        cs.update_round(actor=world.alice, round=round, **kwargs)
    assert text in " ".join(exc.value.message_dict[field])
    round.refresh_from_db()
    assert round.report_topics == [] and round.report_checks == policy.default_report_checks()
    assert round.report_due is None
    assert not AuditEntry.objects.filter(action="round.update").exists()


def test_edit_page_round_trip_and_detail(client, world, province_round):
    round = province_round
    client.force_login(world.alice)
    url = reverse("round_edit", args=[round.pk])
    page = client.get(url)
    assert "min_topic_chars：每道必答题最少字数" in page.text
    assert 'type="date"' in page.text
    form = page.context["form"]
    data = {k: form.initial[k] for k in form.initial}
    data["report_due"] = "2027-01-10"
    data["report_topics"] = (
        "rectify，上年度问题整改情况，逐项说明措施, 并附佐证\n\ngrid,网格化管理\n"
    )
    data["report_checks"] = "max_chars=3000\nmin_problem_share＝0.2\nbogus=1"
    response = client.post(url, data)
    assert "没有名为“bogus”的检查阈值" in response.text
    data["report_checks"] = "max_chars=3000\nmin_chars=3500"
    response = client.post(url, data)
    assert "必须小于上限" in response.text
    data["report_checks"] = "max_chars=3000\nmin_problem_share＝0.2"
    response = client.post(url, data)
    assert response.status_code == 302
    round.refresh_from_db()
    assert round.report_topics == [
        {"code": "rectify", "title": "上年度问题整改情况", "hint": "逐项说明措施, 并附佐证"},
        {"code": "grid", "title": "网格化管理", "hint": ""},
    ]
    assert round.report_checks == {"max_chars": 3000, "min_problem_share": 0.2}
    assert round.report_due == datetime.date(2027, 1, 10)
    # What the page shows again saves to the same values: no change, no audit entry.
    form = client.get(url).context["form"]
    again = {k: form.initial[k] for k in form.initial}
    entries = AuditEntry.objects.filter(action="round.update").count()
    assert client.post(url, again).status_code == 302
    assert AuditEntry.objects.filter(action="round.update").count() == entries
    detail = client.get(reverse("round_detail", args=[round.pk])).text
    assert "述职报告要求" in detail and "2027-01-10" in detail
    assert "上年度问题整改情况" in detail and "逐项说明措施, 并附佐证" in detail
    assert "不超过 3000 字" in detail  # only an upper bound by default


def test_api_patch_report_requirements(client, world, province_round):
    client.force_login(world.alice)
    url = f"/api/rounds/{province_round.pk}"
    payload = {
        "report_topics": TOPICS,
        "report_due": "2026-12-31",
        "report_checks": {"min_chars": 500},
    }
    response = client.patch(url, payload, content_type=J)
    assert response.status_code == 200
    body = response.json()
    assert body["report_topics"] == TOPICS and body["report_due"] == "2026-12-31"
    assert body["report_checks"] == {"min_chars": 500}
    response = client.patch(url, {"report_checks": {"min_chars": 0.5}}, content_type=J)
    assert response.status_code == 422
    assert "必须是整数" in response.json()["errors"]["report_checks"][0]
    response = client.patch(url, {"report_due": "2030-01-01"}, content_type=J)
    assert response.status_code == 422 and "report_due" in response.json()["errors"]
    response = client.patch(url, {"report_due": None}, content_type=J)
    assert response.status_code == 200 and response.json()["report_due"] is None
    assert client.get(url).json()["report_topics"] == TOPICS
    client.force_login(world.bob)
    assert client.patch(url, {"report_topics": []}, content_type=J).status_code in (403, 404)
