"""Comparing two versions: a carried item whose answer and evidence did not change shows as
unchanged — never struck out and added again — whatever moved around it."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from shuzhi.reports.reports import services, versions
from shuzhi.reports.reports.models import CarriedAnswer

from .conftest import answer_all, with_problems


def _item(problem: int, serial: int, answer: str, evidence: str = "验收意见") -> dict[str, Any]:
    return {
        "problem": problem,
        "serial": serial,
        "description": "问题",
        "answer": answer,
        "evidence": evidence,
        "status": "closed",
    }


def _carried(old: list[dict], new: list[dict]) -> versions.PartDiff:
    parts = versions.compare({"carried": old}, {"carried": new})
    return next(p for p in parts if p.title == "上年度问题整改情况")


def test_items_in_another_order_are_unchanged():
    one = _item(11, 1, "已完成整改。建立长效机制。")
    two = _item(12, 2, "正在推进。建立长效机制。")
    three = _item(13, 3, "已完成整改。")
    part = _carried([one, two, three], [three, one, two])
    assert not part.changed
    assert [r.tag for r in part.rows] == ["equal"] * 3


def test_a_renumbered_item_shows_only_its_number_changed():
    part = _carried([_item(11, 1, "已完成整改。")], [_item(11, 3, "已完成整改。")])
    marks = [(s.kind, s.text) for r in part.rows for s in r.left + r.right if s.kind != "equal"]
    assert marks == [("delete", "1"), ("insert", "3")]


def test_one_changed_item_among_unchanged_ones():
    one = _item(11, 1, "已完成整改。建立长效机制。")
    two = _item(12, 2, "正在推进。")
    three = _item(13, 3, "已完成整改。建立长效机制。")
    changed = {**two, "answer": "已完成整改。建立长效机制。"}
    added = _item(14, 4, "新增一项。", "台账")
    part = _carried([one, two, three], [one, changed, three, added])
    equal_rows = [r.left[0].text for r in part.rows if r.tag == "equal"]
    assert "第1号：已完成整改。建立长效机制。（佐证：验收意见）" in equal_rows
    assert "第3号：已完成整改。建立长效机制。（佐证：验收意见）" in equal_rows
    deleted = "".join(s.text for r in part.rows for s in r.left if s.kind == "delete")
    inserted = "".join(s.text for r in part.rows for s in r.right if s.kind == "insert")
    assert "第1号" not in deleted and "第3号" not in deleted and "第3号" not in inserted
    assert "正在推进" in deleted and "第4号：新增一项。（佐证：台账）" in inserted
    removed = _carried([one, two], [one])
    assert [r.tag for r in removed.rows] == ["equal", "delete"]


@pytest.mark.django_db
def test_the_versions_page_marks_unchanged_items(client, world, reporter_a, last_year_problems):
    report = with_problems(services.ensure_report(actor=world.bob, reporter=reporter_a))
    services.save_draft(actor=world.bob, report=report, carried=answer_all(report))
    services.submit(actor=world.bob, report=report)
    services.return_report(actor=world.alice, report=report, comment="请补充数据。")
    # Only the title changes; the carried items come back in another order (as in a version
    # stored before items were ordered by their number).
    services.save_draft(actor=world.bob, report=report, title="修改后的标题")
    services.submit(actor=world.bob, report=report)
    second = report.versions.get(number=2)
    second.content["carried"].reverse()
    second.save()
    assert CarriedAnswer.objects.filter(report=report).count() == 2
    client.force_login(world.alice)
    page = client.get(reverse("report_versions", args=[report.pk]), {"a": 1, "b": 2})
    body = page.content.decode()
    carried = body[body.index('data-part="上年度问题整改情况"') :]
    carried = carried[: carried.index("</section>")]
    assert "无变化" in carried and "<del" not in carried and "<ins" not in carried
