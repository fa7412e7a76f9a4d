"""The figures behind a grade row's component are shown in words: grade names and Chinese
labels, never the stored keys (``fair_good``, ``total``, ``counts {…}``)."""

from __future__ import annotations

from fractions import Fraction

from shuzhi.assessment.grading import composite, explain

LABELS = {"good": "好", "fair_good": "较好", "average": "一般", "poor": "差"}


def test_ballot_figures_name_the_grades():
    raw = {"cast": 179, "counts": {"good": 155, "fair_good": 24, "average": 0, "poor": 0}}
    rows = explain.raw_rows("ballot_score", raw, LABELS)
    assert rows[0] == ("有效票", "179 张")
    assert ("评价“较好”", "24 票") in rows
    assert "fair_good" not in repr(rows) and "counts" not in repr(rows)


def test_rectification_and_critique_figures_have_labels():
    rows = explain.raw_rows(
        "rectification", {"total": 6, "closed": 2, "overdue": 0, "penalty": "5"}, LABELS
    )
    assert rows == [
        ("问题总数", "6 个"),
        ("已销号", "2 个"),
        ("逾期未完成", "0 项"),
        ("每项逾期扣分", "5 分"),
    ]
    assert explain.raw_rows("critique_rating", {"ratings": ["good", "fair_good"]}, LABELS) == [
        ("点评等次", "好、较好")
    ]


def test_the_ballot_derivation_names_the_voter_categories():
    scale = [
        {"code": "good", "label": "好", "points": 100},
        {"code": "poor", "label": "差", "points": 0},
    ]
    value = composite.ballot_value(
        "category_weighted",
        {"leaders": {"good": 3}, "public": {"good": 1, "poor": 1}},
        scale,
        {"leaders": Fraction(1, 2), "public": Fraction(1, 2)},
        category_labels={"leaders": "领导班子成员", "public": "党员群众代表"},
    )
    assert "领导班子成员 平均" in value.derivation and "党员群众代表 平均" in value.derivation
    assert "leaders" not in value.derivation and "public" not in value.derivation
