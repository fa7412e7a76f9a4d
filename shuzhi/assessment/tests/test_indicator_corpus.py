"""The indicator check on a hand-labelled corpus of real-looking indicators (rewordings of 留痕
items, app usage, legitimate outcomes with trigger words), written without reading the code.

Prints accuracy per class and asserts the aim: ≥ 95 % of verdicts right.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from shuzhi.assessment.indicators import governance, measures

CORPUS = Path(__file__).parent / "corpus" / "indicators.csv"
# A second corpus by the same hand, held back until the checks were built, then measured
# (92 % before the diary, handbook and reply-rate words it prompted).
CORPORA = [CORPUS, CORPUS.with_name("indicators_b.csv")]
# The corpus's class names and ours.
CLASSES = {"activity": measures.TRACE, "app_usage": measures.APP, "outcome": measures.OUTCOME}


def rows(path: Path = CORPUS) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("path", CORPORA, ids=lambda p: p.stem)
def test_indicator_corpus_accuracy(capsys, path):
    total: Counter[str] = Counter()
    right: Counter[str] = Counter()
    cls_right: Counter[str] = Counter()
    wrong = []
    for row in rows(path):
        got = governance.explain_row(row["指标名称"], row["评分标准"])
        label = row["class"]
        total[label] += 1
        right[label] += got["verdict"] == row["verdict"]
        measured = measures.OUTCOME if got["measures"] == measures.UNCLEAR else got["measures"]
        cls_right[label] += measured == CLASSES[label]
        if got["verdict"] != row["verdict"]:
            wrong.append(f"  {row['指标名称']}：应为 {row['verdict']}，判为 {got['verdict']}")
    lines = ["", f"指标语料（{sum(total.values())} 项）：类别 / 条数 / 结论正确率 / 类别正确率"]
    for label in sorted(total):
        lines.append(
            f"  {label:<10} {total[label]:>4}  {right[label] / total[label]:>7.1%}"
            f"  {cls_right[label] / total[label]:>7.1%}"
        )
    overall = sum(right.values()) / sum(total.values())
    lines.append(f"  {'合计':<9} {sum(total.values()):>4}  {overall:>7.1%}")
    with capsys.disabled():
        print("\n".join(lines + wrong))
    assert overall >= 0.95, "\n".join(wrong)
    assert sum(cls_right.values()) / sum(total.values()) >= 0.9


def test_every_refusal_explains_itself_and_offers_a_rewording():
    for row in rows():
        got = governance.explain_row(row["指标名称"], row["评分标准"])
        assert got["message"].endswith("。") and got["message"].count("。") == 1
        if got["verdict"] == "refuse":
            assert got["words"] and all(w in got["message"] for w in got["words"])
            assert got["rewording"] and got["rewording"] in got["message"]
