"""``check_report`` and ``check_critique`` on real files (.docx, .txt in GB18030 and UTF-8),
and the same checks through the API; plus submission refused for an empty 存在问题 section
unless the round's policy turns the rule off."""

from __future__ import annotations

import io
import json
import time

import docx
import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from shuzhi.cycles.models import Round
from shuzhi.reports.reports import plaintext, quality, services, textual

from .conftest import answer_all

pytestmark = pytest.mark.django_db

PRAISE_ONLY = """某镇党委书记2026年度述职报告

一、履职情况
一年来，我坚持以上率下，全镇基层党建工作取得显著成效，解决了很多群众关心的问题。

二、存在问题

三、下一步工作打算
我将再接再厉，推动全镇党建工作再上新台阶。

四、上年度问题整改情况
1.上年度点评指出的“村级活动场所闲置”问题。整改情况：已整改到位。
2.上年度点评指出的“党员发展断档”问题。整改情况：已整改到位，见相关材料。
"""

HONEST = """一、履职情况
我今年为安塘村争取资金12万元，修通村道3公里，村集体收入从9万元增加到17万元。

二、存在问题及原因
一是我对安塘村3名党员长期不参加组织生活失之于宽，没有及时谈话。
二是村务公开拖到9月才公布，原因在我把关不严。

四、上年度问题整改情况
1.上年度指出的“活动场所漏雨”问题。整改情况：已销号，5月完成屋面翻修，镇党委11月验收。
"""


def _run(command: str, *args) -> list[dict]:
    out = io.StringIO()
    call_command(command, *map(str, args), stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_check_report_reads_a_docx_and_sees_through_praise(tmp_path):
    document = docx.Document()
    for line in PRAISE_ONLY.splitlines():
        document.add_paragraph(line)
    path = tmp_path / "述职报告.docx"
    document.save(path)
    lines = {row["check"]: row for row in _run("check_report", path)}
    assert lines["problems_present"]["verdict"] == "warn" and lines["problems_present"]["blocking"]
    assert lines["carried"]["verdict"] == "warn" and "第 1 号" in lines["carried"]["message"]
    for row in lines.values():
        assert row["verdict"] in ("ok", "warn")
        assert row["message"].endswith("。") and row["message"].count("。") == 1


def test_check_report_passes_an_honest_gb18030_text_and_finds_repeats(tmp_path):
    path = tmp_path / "report.txt"
    path.write_bytes(HONEST.encode("gb18030"))
    lines = {row["check"]: row for row in _run("check_report", path)}
    assert all(row["verdict"] == "ok" for row in lines.values()), lines
    previous = tmp_path / "previous.txt"
    previous.write_text(
        "二、存在问题\n一是我对安塘村3名党员长期不参加组织生活失之于宽，没有及时谈话。\n",
        encoding="utf-8",
    )
    lines = {row["check"]: row for row in _run("check_report", path, "--previous", previous)}
    assert lines["repeated"]["verdict"] == "warn"
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    with pytest.raises(CommandError, match="不支持"):
        _run("check_report", pdf)


def test_check_critique_prints_its_verdict(tmp_path):
    path = tmp_path / "点评.txt"
    path.write_text("对白沙镇党委书记的点评\n工作扎实，成效明显，希望再接再厉。", encoding="utf-8")
    [row] = _run("check_critique", path, "--unit", "白沙镇党委")
    assert row["check"] == "concrete_problem" and row["verdict"] == "warn"
    path.write_text("马田村支部全年只开过2次会，要限期整改。", encoding="utf-8")
    assert _run("check_critique", path)[0]["verdict"] == "ok"


def test_the_checks_through_the_api(client, world):
    url = "/api/reports/check-text"
    payload = {"text": PRAISE_ONLY}
    assert client.post(url, payload, content_type="application/json").status_code == 401
    client.force_login(world.carol)
    response = client.post(url, payload, content_type="application/json")
    assert response.status_code == 200
    verdicts = {c["code"]: c["verdict"] for c in response.json()}
    assert verdicts["problems_present"] == "warn" and verdicts["praise_in_problems"] == "ok"
    critique = client.post(
        "/api/reports/critiques/check",
        {"text": "成绩突出，希望再接再厉。", "unit": "白沙镇党委"},
        content_type="application/json",
    ).json()
    assert {c["code"]: c["verdict"] for c in critique}["concrete_problem"] == "warn"


def test_an_empty_problems_section_blocks_submission_by_policy(
    world, reporter_a, last_year_problems
):
    report = services.ensure_report(actor=world.bob, reporter=reporter_a)
    services.save_draft(
        actor=world.bob,
        report=report,
        sections={"performance": "我今年修通村道3公里。", "problems": "  无 "},
        carried=answer_all(report),
    )
    with pytest.raises(ValidationError) as exc:
        services.submit(actor=world.bob, report=report)
    assert "“存在问题”部分是空的" in exc.value.message_dict["problems"][0]
    Round.objects.filter(pk=reporter_a.round_id).update(report_checks={"block_empty_problems": 0})
    report.refresh_from_db()
    services.submit(actor=world.bob, report=report)


def test_a_bare_conclusion_does_not_answer_a_carried_item(world, reporter_a, last_year_problems):
    report = services.ensure_report(actor=world.bob, reporter=reporter_a)
    bare = {k: {"answer": "已整改到位", "evidence": "见相关材料"} for k in answer_all(report)}
    services.save_draft(actor=world.bob, report=report, sections={"problems": HONEST}, carried=bare)
    with pytest.raises(ValidationError) as exc:
        services.submit(actor=world.bob, report=report)
    assert "“已整改到位”“见相关材料”不算数" in exc.value.message_dict["carried"][0]


def test_plaintext_sections_and_carried_items():
    content = plaintext.parse(HONEST)
    assert set(content["sections"]) == {"performance", "problems"}
    [row] = content["carried"]
    assert row["description"] == "活动场所漏雨" and row["answer"].startswith("已销号")
    assert quality.carried_shortfall(row["answer"], row["evidence"]) == ""


@pytest.mark.smoke
def test_the_dictionary_loads_once_and_a_report_is_checked_quickly():
    started = time.perf_counter()
    textual.jieba_module()
    loaded = time.perf_counter() - started
    assert textual.is_ready()
    content = plaintext.parse(HONEST)
    started = time.perf_counter()
    for _ in range(5):
        quality.run_with_limits(content)
    per_run = (time.perf_counter() - started) / 5
    print(f"\n词典加载 {loaded:.2f} 秒（本进程首次为冷启动），每次检查 {per_run * 1000:.1f} 毫秒")
    assert per_run < 0.2
