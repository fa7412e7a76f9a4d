"""Quality checks on real Chinese samples: a first-person report with figures and honest
problems passes; a praise-only, vague one is flagged with reasons."""

from __future__ import annotations

import time

import pytest

from shuzhi.cycles.models import Round
from shuzhi.reports.reports import quality, services

from .conftest import answer_all, load_sample


def content(sections: dict, topics=(), carried=()) -> dict:
    return {"sections": sections, "topics": list(topics), "carried": list(carried)}


ROUND = Round(report_checks={})  # defaults


def by_code(checks):
    return {c.code: c for c in checks}


def test_good_report_passes_every_check():
    checks = by_code(quality.run_checks(content(load_sample("good_report.txt")), ROUND))
    for check in checks.values():
        assert check.ok, check.message
        assert check.message.endswith("。") and check.message.count("。") == 1
    assert checks["problem_share"].value >= 0.3
    assert checks["concreteness"].value > 20


def test_praise_only_report_is_flagged_with_reasons():
    checks = by_code(quality.run_checks(content(load_sample("praise_report.txt")), ROUND))
    assert not checks["problem_share"].ok
    assert "评功摆好" in checks["problem_share"].message
    assert not checks["concreteness"].ok
    assert "形容词" in checks["concreteness"].message
    assert not checks["first_person"].ok
    assert not checks["length"].ok
    for check in checks.values():
        assert check.message.count("。") == 1


def test_thresholds_come_from_the_round():
    sections = load_sample("good_report.txt")
    strict = Round(report_checks={"max_chars": 500, "min_concrete_per_1000": 500})
    checks = by_code(quality.run_checks(content(sections), strict))
    assert not checks["length"].ok and "500" in checks["length"].message
    assert not checks["concreteness"].ok
    assert checks["first_person"].ok  # keys the round leaves out keep their defaults


def test_first_person_uses_segmentation_not_substrings():
    """“自我”“我市” are not the speaker; “我们” is."""
    text = "自我革命精神在我市得到弘扬，我市各级党组织自我加压。" * 20
    check = quality.check_first_person(content({"performance": text}), quality.thresholds(ROUND))
    assert check.value == 0 and not check.ok
    check = quality.check_first_person(
        content({"performance": "我们抓了党建。" * 20}), quality.thresholds(ROUND)
    )
    assert check.ok


def test_topics_must_each_be_answered_non_trivially():
    limits = quality.thresholds(ROUND)
    topics = [
        {"code": "study", "title": "理论学习", "answer": "我带头学习，全年讲党课4次。" * 6},
        {"code": "weak", "title": "软弱涣散整顿", "answer": "软弱涣散整顿"},
    ]
    check = quality.check_topics(content({}, topics), limits)
    assert not check.ok and "软弱涣散整顿" in check.message and "理论学习" not in check.message
    topics[1]["answer"] = "我们排查确定软弱涣散党组织47个，已转化45个，剩余2个由我挂点包联。" * 2
    assert quality.check_topics(content({}, topics), limits).ok


def test_carried_check_is_the_only_blocking_one():
    carried = [
        {"serial": 1, "answer": "已整改", "evidence": "验收意见"},
        {"serial": 2, "answer": "", "evidence": ""},
    ]
    checks = quality.run_checks(content(load_sample("good_report.txt"), carried=carried), ROUND)
    assert [c.code for c in checks if c.blocking] == ["carried"]
    carried_check = by_code(checks)["carried"]
    assert not carried_check.ok and "第 2 号" in carried_check.message


def test_checks_on_a_saved_report_match_what_submit_enforces(world, reporter_a, last_year_problems):
    report = services.ensure_report(actor=world.bob, reporter=reporter_a)
    services.save_draft(actor=world.bob, report=report, sections=load_sample("good_report.txt"))
    checks = by_code(quality.run_checks(services.snapshot(report), report.reporter.round))
    assert not checks["carried"].ok
    services.save_draft(actor=world.bob, report=report, carried=answer_all(report))
    checks = by_code(quality.run_checks(services.snapshot(report), report.reporter.round))
    assert checks["carried"].ok
    services.submit(actor=world.bob, report=report)


@pytest.mark.smoke
def test_dictionary_loads_once_and_checks_are_fast():
    quality.warm_up()
    sections = load_sample("good_report.txt")
    started = time.perf_counter()
    for _ in range(5):
        quality.run_checks(content(sections), ROUND)
    per_run = (time.perf_counter() - started) / 5
    assert per_run < 0.2, f"one run of the checks took {per_run:.3f}s"
