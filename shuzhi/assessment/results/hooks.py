"""结果运用 hooks called by grading: confirmed or corrected grades become follow-ups.

``grading``'s ``confirm_grades`` calls :func:`on_grades_confirmed` inside its transaction after
locking the grades; a correction calls :func:`on_grade_corrected`. Both run in the caller's
transaction (and their own savepoint), so a refused follow-up rolls the confirmation back rather
than leaving grades without their consequences. The work is in :mod:`results.services`.
"""

from __future__ import annotations

from collections.abc import Iterable

from shuzhi.assessment.grading.models import GradeRow, Grading
from shuzhi.assessment.results import services as results_services
from shuzhi.assessment.results.models import FollowUp


def on_grades_confirmed(*, actor, grading: Grading, rows: Iterable[GradeRow]) -> list[FollowUp]:
    """Create the talks, commendations and rectification items the host's consequences table
    asks for. Calling it again for the same rows creates nothing new. The number of queries
    does not grow with the rows (read once, inserted in bulk), except one ledger entry per
    限期整改 item."""
    return results_services.generate_follow_ups(actor=actor, grading=grading, rows=rows)


def on_grade_corrected(*, actor, old: GradeRow, new: GradeRow) -> list[FollowUp]:
    """Cancel what the corrected grade no longer asks for (with the reason) and add what it
    newly asks for; finished follow-ups stay."""
    return results_services.correct_follow_ups(actor=actor, old=old, new=new)
