"""The audit trail shows changed fields and values in words: choices by their labels, grades
and categories by their names, settings as counts, people by their names — not stored codes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shuzhi.core import audit, audit_words
from shuzhi.core.templatetags.audit import audit_note, audit_value


def test_values_in_words():
    assert audit_words.value_text("closed", {"closed": "已销号"}) == "已销号"  # the field's own
    assert audit_words.value_text("suggested") == "已生成建议等次"  # a model choice
    assert audit_words.value_text("fair_good") == "较好"  # a grade of the default scale
    assert audit_words.value_text(["leaders", "public"]) == "领导班子成员、党员群众代表"
    assert audit_words.value_text(True) == "是" and audit_words.value_text(None) == "—"
    assert audit_words.value_text([{"code": "x", "label": "严重问责"}]) == "严重问责"
    assert audit_words.value_text({"a": {"b": 1}, "c": 2}) == "2 项设置"
    assert audit_words.value_text("2027-01-06T21:59+00:00") == "2027-01-06 21:59"
    assert audit_words.value_text("sections.problems") == "存在问题及原因"
    assert audit_words.value_text(["carried.5"]) == "上年度问题第 5 项"
    assert audit_value("整改报告.pdf") == "<code>整改报告.pdf</code>"
    assert audit_note("整改报告-2026-9.pdf") == "<code>整改报告-2026-9.pdf</code>"
    assert audit_note("载入演示数据") == "载入演示数据"


def test_fields_by_label_or_verbose_name():
    assert audit_words.field_label("parent") == "上级组织"
    assert audit_words.field_label("verdict", "rectification.problem") != "verdict"
    assert audit_words.field_label("items", "assessment.indicatorset") == "其他"
    assert audit_words.field_label("no_such_field") == "其他"


@pytest.mark.django_db
def test_the_trail_names_people_and_statuses(client, world):
    audit.record(
        actor=world.alice,
        action="problem.transition",
        object_type="rectification.problem",
        object_id="1",
        object_label="一个问题",
        changes={"status": ["submitted", "closed"]},
    )
    before = audit.snapshot(world.city_a, ["status"])
    assert before  # a snapshot of a plain field
    assert audit._plain(world.dave) == "赵督查"  # a person by name, not the login name
    client.force_login(world.root)
    body = client.get(reverse("audit_search")).content.decode()
    assert "已整改待验收" in body and "已销号" in body
    assert "submitted" not in body.replace("<code>", "").split("audit-changes")[1]
