"""Quality checks on real Chinese samples: a first-person report with figures and honest
problems passes; a praise-only, vague one is flagged with reasons; the adversarial reports of
issue 11 (sprinkled 我, "问题" used as praise, empty self-criticism, excuses, "已整改到位") are
flagged too."""

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
    assert checks["specific_problems"].value >= 0.5
    assert checks["concreteness"].value > 20


def test_praise_only_report_is_flagged_with_reasons():
    checks = by_code(quality.run_checks(content(load_sample("praise_report.txt")), ROUND))
    assert not checks["problems_present"].ok
    assert not checks["specific_problems"].ok
    assert not checks["causes"].ok
    assert not checks["ownership"].ok and "全市" in checks["ownership"].message
    for check in checks.values():
        assert check.message.count("。") == 1


def test_thresholds_come_from_the_round():
    sections = load_sample("good_report.txt")
    strict = Round(report_checks={"max_chars": 500, "min_concrete_per_1000": 500})
    checks = by_code(quality.run_checks(content(sections), strict))
    assert not checks["length"].ok and "500" in checks["length"].message
    assert not checks["concreteness"].ok
    assert checks["ownership"].ok  # keys the round leaves out keep their defaults


def test_length_has_only_an_upper_bound_by_default():
    """A concise honest report is a good report (burden rules favour brevity)."""
    short = {
        "performance": "我今年为安塘村争取资金12万元，修通了3公里村道。",
        "problems": "我对2名长期不参加组织生活的党员失之于宽，没有及时谈话。",
    }
    checks = by_code(quality.run_checks(content(short), ROUND))
    assert checks["length"].ok


def test_ownership_uses_segmentation_and_ignores_figures_of_speech():
    """“自我”“我市” are not the speaker, nor is “我认为”; “我们”“班子” are."""
    limits = quality.thresholds(ROUND)
    text = "自我革命精神在我市得到弘扬，我市各级党组织自我加压，工作不够扎实。" * 5
    check = quality.check_ownership(content({"performance": text, "problems": text}), limits)
    assert not check.ok
    said = "我认为，全镇部分党员作用发挥不够。"
    check = quality.check_ownership(content({"performance": said, "problems": said}), limits)
    assert not check.ok and "全镇" in check.message
    ours = "我们对2个联合支部指导不够，班子发现晚、处置慢。" * 3
    assert quality.check_ownership(content({"performance": ours, "problems": ours}), limits).ok


def test_problems_used_as_praise_and_stock_phrases_are_seen_through():
    limits = quality.thresholds(ROUND)
    praise = {
        "problems": "一年来我带领班子解决了很多问题，群众满意度不断提高。"
        "我的不足在于对自己要求太严。"
    }
    check = quality.check_praise_in_problems(content(praise), limits)
    assert not check.ok and "解决了很多" in check.message
    stock = {"problems": "一是学习不够深入；二是工作不够扎实；三是创新意识不强。"}
    check = quality.check_specific_problems(content(stock), limits)
    assert not check.ok and "学习不够深入" in check.message
    vague = {"problems": "全镇一批党员多次不参加组织生活，部分村党组织软弱涣散。"}
    assert not quality.check_specific_problems(content(vague), limits).ok
    excuses = {"problems": "一是受疫情影响，活动开展不够；二是群众素质不高，工作推进不力。"}
    check = quality.check_causes(content(excuses), limits)
    assert not check.ok and "疫情" in check.message


def test_activity_counts_are_not_results():
    limits = quality.thresholds(ROUND)
    counts = {"performance": "全年召开党建会议36次，印发文件21份，拍照留痕500余张，报送信息48条。"}
    assert not quality.check_trace_results(content(counts), limits).ok
    results = {"performance": "召开专题会议4次，推动解决村集体资产纠纷7起，收回土地120亩。"}
    assert quality.check_trace_results(content(results), limits).ok


def test_last_years_problems_repeated_verbatim_are_flagged():
    limits = quality.thresholds(ROUND)
    before = "对村级财务监管不严，2个村存在白条入账问题，我没有及时督促整改。"
    report = content({"problems": "一是" + before}) | {"previous_problems": [before]}
    check = quality.check_repeated(report, limits)
    assert not check.ok and "一字不差" in check.message
    new = content({"problems": "一是去年指出的白条问题没有根本解决，今年又发现张庄村3张白条。"})
    assert quality.check_repeated(new | {"previous_problems": [before]}, limits).ok


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


def test_carried_and_empty_problems_are_the_blocking_checks():
    carried = [
        {"serial": 1, "answer": "已整改，2026年5月修订村务公开制度", "evidence": "镇纪委验收意见"},
        {"serial": 2, "answer": "已整改到位", "evidence": "见相关材料"},
        {"serial": 3, "answer": "", "evidence": ""},
    ]
    checks = quality.run_checks(content(load_sample("good_report.txt"), carried=carried), ROUND)
    assert sorted(c.code for c in checks if c.blocking) == ["carried", "problems_present"]
    carried_check = by_code(checks)["carried"]
    assert not carried_check.ok and "第 2 号" in carried_check.message
    assert "第 3 号" in carried_check.message and "第 1 号" not in carried_check.message
    assert quality.carried_shortfall("整改中，已签订合同，计划6月底完工", "") == ""
    assert quality.carried_shortfall("已完成整改", "详见相关材料")


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
