"""Every model of the assessment app, named one by one so Django registers them all.

The models live with their part of the app — ``indicators/models.py`` (indicator sets, their
governance findings, the annual scores), ``grading/models.py`` (综合评定) and
``results/models.py`` (结果运用) — and all keep the app label ``assessment``, so their tables
and migrations do not change. Code imports a model from its part's module; this package only
makes sure each is loaded with the app (docs/decisions/0015-packages-not-prefixes.md).
``evidence_path`` is named here because migration 0001 refers to it by this path.
"""

from shuzhi.assessment.grading.models import GradeRow, Grading, GradingStatus
from shuzhi.assessment.indicators.models import (
    Adjustment,
    AdjustmentKind,
    AdjustmentStatus,
    AnnualScore,
    GovernanceFinding,
    GovernancePolicy,
    IndicatorItem,
    IndicatorSet,
    ItemKind,
    ItemScore,
    ItemSource,
    ScoreEvidence,
    SetStatus,
    Severity,
    evidence_path,
)
from shuzhi.assessment.results.models import (
    Circular,
    CircularStatus,
    ConsequenceRule,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    TalkBy,
    default_rules,
)

__all__ = [
    "Adjustment",
    "AdjustmentKind",
    "AdjustmentStatus",
    "AnnualScore",
    "Circular",
    "CircularStatus",
    "ConsequenceRule",
    "FollowUp",
    "FollowUpKind",
    "FollowUpStatus",
    "GovernanceFinding",
    "GovernancePolicy",
    "GradeRow",
    "Grading",
    "GradingStatus",
    "IndicatorItem",
    "IndicatorSet",
    "ItemKind",
    "ItemScore",
    "ItemSource",
    "ScoreEvidence",
    "SetStatus",
    "Severity",
    "TalkBy",
    "default_rules",
    "evidence_path",
]
