"""Every model of the reports app, named one by one so Django registers them all.

The models live with their part of the app — ``reports/models.py`` (述职报告, their versions,
events, carried answers and attachments), ``critiques/models.py`` (点评) and
``plans/models.py`` (整改方案) — and all keep the app label ``reports``, so their tables and
migrations do not change. Code imports a model from its part's module; this package only makes
sure each is loaded with the app (docs/decisions/0015-packages-not-prefixes.md).
``attachment_path`` is named here because migration 0001 refers to it by this path.
"""

from shuzhi.reports.critiques.models import Critique, CritiqueRole
from shuzhi.reports.plans.models import PlanStatus, RectificationPlan
from shuzhi.reports.reports.models import (
    SECTIONS,
    AttachmentKind,
    CarriedAnswer,
    Report,
    ReportAttachment,
    ReportEvent,
    ReportStatus,
    ReportVersion,
    attachment_path,
)

__all__ = [
    "SECTIONS",
    "AttachmentKind",
    "CarriedAnswer",
    "Critique",
    "CritiqueRole",
    "PlanStatus",
    "RectificationPlan",
    "Report",
    "ReportAttachment",
    "ReportEvent",
    "ReportStatus",
    "ReportVersion",
    "attachment_path",
]
