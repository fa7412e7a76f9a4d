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

from shuzhi.reports.critiques import services as critique_services
from shuzhi.reports.reports import plaintext, quality

CORPUS = Path(__file__).parent / "corpus"


def _labels(part: str) -> list[dict[str, str]]:
    with (CORPUS / part / "labels.csv").open(encoding="utf-8-sig", newline="") as handle:
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


def report_verdict(name: str) -> tuple[str, list[quality.Check]]:
    folder = CORPUS / "reports"
    content = plaintext.parse((folder / name).read_text(encoding="utf-8"))
    previous = folder / name.replace(".txt", ".previous.txt")
    if previous.exists():
        content["previous_problems"] = plaintext.previous_problems(
            previous.read_text(encoding="utf-8")
        )
    checks = quality.run_with_limits(content)
    return ("warn" if any(not c.ok for c in checks) else "ok"), checks


def test_report_corpus_accuracy(capsys):
    results = []
    for row in _labels("reports"):
        verdict, checks = report_verdict(row["file"])
        why = ",".join(c.code for c in checks if not c.ok) or "全部通过"
        name = f"{row['file']}（应为 {row['verdict']}，判为 {verdict}：{why}）"
        results.append((row["classes"].split(";"), verdict == row["verdict"], name))
    overall, table = _table("述职报告语料", results)
    with capsys.disabled():
        print(table)
    assert overall >= 0.9, table


def test_critique_corpus_accuracy(capsys):
    results = []
    for row in _labels("critiques"):
        text = (CORPUS / "critiques" / row["file"]).read_text(encoding="utf-8")
        check = critique_services.text_check(text, unit=row["unit"])
        name = f"{row['file']}（应为 {row['verdict']}，判为 {check.verdict}）"
        results.append((row["classes"].split(";"), check.verdict == row["verdict"], name))
    overall, table = _table("点评语料", results)
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
