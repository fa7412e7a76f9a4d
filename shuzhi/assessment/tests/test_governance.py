"""Governance checks, one rule at a time, on Chinese sample sets (pure functions, no database),
plus the same rules through the services that store their findings."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shuzhi.assessment.indicators import governance as g

P = g.default_policy()


def item(pk, name, points="10", kind="outcome", parent=None, guide=""):
    return g.ItemView(
        id=pk,
        code=f"X{pk}",
        name=name,
        kind=kind,
        max_points=Decimal(points),
        derived_from_id=parent,
        scoring_guide=guide,
    )


def test_too_many_items_shrinks_going_down():
    items = [item(i, f"指标{i}") for i in range(16)]
    assert g.check_too_many(items, host_depth=3, policy=P) == []  # county: 20
    findings = g.check_too_many(items, host_depth=4, policy=P)  # township: 15
    assert len(findings) == 1 and findings[0].severity == "error"
    assert "超过本级上限 15 项" in findings[0].message
    assert g.item_limit(P, 1) > g.item_limit(P, 2) > g.item_limit(P, 3) > g.item_limit(P, 4)
    assert g.item_limit(P, 7) == 10
    looser = g.merge_policy(P, {"too_many": {"max_items_by_depth": {"4": 16}}})
    assert g.check_too_many(items, host_depth=4, policy=looser) == []
    assert g.item_limit(looser, 3) == 20  # the other levels keep their defaults


def test_escalation_added_item_and_raised_points():
    parent = [item(1, "基层党组织建设", "20"), item(2, "党员队伍建设", "10")]
    # Inheriting, tightening and dropping are fine.
    fine = [item(11, "基层党组织建设", "15", parent=1)]
    assert g.check_escalation(fine, parent, policy=P) == []
    # An item not derived from the parent is added; splitting one parent item into parts worth
    # more than it raises the bar.
    child = [
        item(11, "基层党组织建设（组织设置）", "12", parent=1),
        item(12, "基层党组织建设（阵地建设）", "12", parent=1),
        item(13, "网格化党建覆盖率", "5"),
    ]
    findings = g.check_escalation(child, parent, policy=P)
    kinds = sorted(f.details["kind"] for f in findings)
    assert kinds == ["added", "raised"]
    raised = next(f for f in findings if f.details["kind"] == "raised")
    assert "合计 24 分" in raised.message and "20 分" in raised.message
    assert all("层层加码" in f.message for f in findings)
    assert g.check_escalation(child, None, policy=P) == []  # not derived: nothing to compare


@pytest.mark.parametrize(
    "name,kind,category",
    [
        ("全年召开会议次数", "process", "meetings"),
        ("印发文件数量", "outcome", "documents"),
        ("活动现场拍照上传", "process", "photos"),
        ("党员学习笔记完成情况", "process", "notes"),
        ("三会一课台账齐全", "process", "records"),
        ("获得上级领导批示", "outcome", "instructions"),
        ("省级以上媒体报道篇数", "outcome", "media"),
        ("学习强国学习时长和积分排名", "process", "app_usage"),
        ("政务App登录和在线时长", "process", "app_usage"),
        ("公众号文章点赞转发数", "outcome", "app_usage"),
    ],
)
def test_trace_item_refused_with_the_rule(name, kind, category):
    findings = g.check_trace_item(item(1, name, kind=kind), policy=P)
    assert len(findings) == 1
    finding = findings[0]
    assert finding.severity == "error" and "不予采用" in finding.message
    assert category in finding.details["hits"]
    assert "减负" in finding.rule


def test_trace_reads_the_scoring_guide_and_the_declared_kind():
    hidden = item(1, "基层党建工作成效", guide="按照片和会议记录数量计分")
    assert g.check_trace_item(hidden, policy=P)[0].severity == "error"
    outcome = item(2, "软弱涣散党组织整顿转化率")
    assert g.check_trace_item(outcome, policy=P) == []
    process = item(3, "书记抓党建责任落实", kind="process")
    warning = g.check_trace_item(process, policy=P)
    assert [f.severity for f in warning] == ["warning"]
    quiet = g.merge_policy(P, {"trace": {"warn_process_kind": False}})
    assert g.check_trace_item(process, policy=quiet) == []
    extended = g.merge_policy(
        P, {"trace": {"vocabulary": {"rank": {"label": "排名", "words": ["排名通报"]}}}}
    )
    assert g.check_trace_item(item(4, "排名通报情况"), policy=extended)[0].severity == "error"


def test_overlap_lists_similar_items_of_other_bodies():
    mine = [item(1, "基层党组织标准化规范化建设"), item(2, "集体经济收入增长")]
    other = g.SetView(
        id=9,
        title="广州市委组织部考核",
        host_name="广州市委",
        host_path="/1/2/",
        items=(item(21, "基层党组织规范化建设"), item(22, "意识形态工作责任制")),
    )
    findings = g.check_overlap(mine, [other], policy=P)
    assert len(findings) == 1
    f = findings[0]
    assert f.severity == "warning" and f.other_set_id == 9 and "建议合并" in f.message
    assert [(p["item_id"], p["other_item_id"]) for p in f.details["pairs"]] == [(1, 21)]
    strict = g.merge_policy(P, {"overlap": {"min_similarity": 0.99}})
    assert g.check_overlap(mine, [other], policy=strict) == []
    assert g.similarity("意识形态工作责任制", "集体经济收入增长") == 0


def test_every_check_explained_in_one_sentence_with_a_rule():
    for entry in g.CHECKS.values():
        assert entry["explain"].count("。") == 1 and entry["explain"].endswith("。")
        assert "2019" in entry["rule"] or "2024" in entry["rule"]


def test_policy_validation_messages():
    from django.core.exceptions import ValidationError

    bad = g.merge_policy(P, {"too_many": {"max_items_deeper": 0}, "overlap": {"min_similarity": 2}})
    with pytest.raises(ValidationError) as exc:
        g.validate_policy(bad)
    assert set(exc.value.message_dict) == {"too_many", "overlap"}
