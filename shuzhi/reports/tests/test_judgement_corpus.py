"""The report and critique checks on a hand-labelled corpus written without reading the code:
honest reports in several styles and lengths, praise-only, sprinkled first person, empty
self-criticism, excuses, padded, evidence-free carried answers, repeated problems; concrete,
mixed, generic and praise-only critiques.

Each test prints accuracy per class (a file may belong to several) and asserts the aim:
≥ 90 % of verdicts right. A report's verdict is ``warn`` when any check warns.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from shuzhi.reports.critiques import services as critique_services
from shuzhi.reports.reports import plaintext, quality

CORPUS = Path(__file__).parent / "corpus"
# A second corpus by the same hand, held back until the checks were built, then measured
# (reports 91 %, critiques 100 % before the praise-in-problems fix that it prompted).
CORPORA = [CORPUS, Path(__file__).parent / "corpus_b"]


def _labels(part: str, root: Path = CORPUS) -> list[dict[str, str]]:
    with (root / part / "labels.csv").open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _table(title: str, results: list[tuple[list[str], bool, str]]) -> tuple[float, str]:
    total: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for classes, ok, _name in results:
        for label in classes:
            total[label] += 1
            right[label] += ok
    overall = sum(ok for _c, ok, _n in results) / len(results)
    lines = ["", f"{title}（{len(results)} 份）：类别 / 份数 / 正确率"]
    for label in sorted(total):
        lines.append(f"  {label:<26} {total[label]:>3}  {right[label] / total[label]:>7.1%}")
    lines.append(f"  {'合计':<25} {len(results):>3}  {overall:>7.1%}")
    lines += [f"  判错：{name}" for _c, ok, name in results if not ok]
    return overall, "\n".join(lines)


def report_verdict(name: str, root: Path = CORPUS) -> tuple[str, list[quality.Check]]:
    folder = root / "reports"
    content = plaintext.parse((folder / name).read_text(encoding="utf-8"))
    previous = folder / name.replace(".txt", ".previous.txt")
    if previous.exists():
        content["previous_problems"] = plaintext.previous_problems(
            previous.read_text(encoding="utf-8")
        )
    checks = quality.run_with_limits(content)
    return ("warn" if any(not c.ok for c in checks) else "ok"), checks


@pytest.mark.parametrize("root", CORPORA, ids=lambda p: p.name)
def test_report_corpus_accuracy(capsys, root):
    results = []
    for row in _labels("reports", root):
        verdict, checks = report_verdict(row["file"], root)
        why = ",".join(c.code for c in checks if not c.ok) or "全部通过"
        name = f"{row['file']}（应为 {row['verdict']}，判为 {verdict}：{why}）"
        results.append((row["classes"].split(";"), verdict == row["verdict"], name))
    overall, table = _table(f"述职报告语料 {root.name}", results)
    with capsys.disabled():
        print(table)
    assert overall >= 0.9, table


@pytest.mark.parametrize("root", CORPORA, ids=lambda p: p.name)
def test_critique_corpus_accuracy(capsys, root):
    results = []
    for row in _labels("critiques", root):
        text = (root / "critiques" / row["file"]).read_text(encoding="utf-8")
        check = critique_services.text_check(text, unit=row["unit"])
        name = f"{row['file']}（应为 {row['verdict']}，判为 {check.verdict}）"
        results.append((row["classes"].split(";"), check.verdict == row["verdict"], name))
    overall, table = _table(f"点评语料 {root.name}", results)
    with capsys.disabled():
        print(table)
    assert overall >= 0.9, table


def test_every_report_check_explains_itself_in_one_sentence():
    for row in _labels("reports"):
        _verdict, checks = report_verdict(row["file"])
        for check in checks:
            assert check.message.endswith("。") and check.message.count("。") == 1, check.message


def test_every_critique_check_explains_itself_in_one_sentence():
    for row in _labels("critiques"):
        text = (CORPUS / "critiques" / row["file"]).read_text(encoding="utf-8")
        message = critique_services.text_check(text, unit=row["unit"]).message
        assert message.endswith("。") and message.count("。") == 1, message


def test_problems_solved_counted_as_achievement_is_praise_not_a_problem():
    def praise(problems: str) -> bool:
        content = {"sections": {"performance": "", "problems": problems, "next_steps": ""}}
        return not quality.check_praise_in_problems(content, {}).ok

    assert praise("全年为企业解决各类问题上千个，企业满意度高。")
    assert praise("党委帮群众解决了揪心的问题四百余件。")
    assert not praise("群众反映的停车问题没有解决，拖了半年。")
    assert not praise("解决问题的办法不多，遇到矛盾往上交。")
