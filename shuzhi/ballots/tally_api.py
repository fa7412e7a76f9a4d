"""API for a round's tally, live progress and exports (mounted under ``/api/ballots``)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from ninja import Router

from shuzhi.exports.responses import attachment

from . import exports, hall, tally

router = Router(tags=["ballots"])


@router.get("/rounds/{pk}/tally", summary="测评结果")
def round_tally(request, pk: int):
    """The tally (ballot.results): never while the round is open; once it is closed, to the
    round's organisers (ballot.manage) to check it; to everyone else once published.
    Reporters below the minimum number of ballots carry ``hidden`` and no numbers; voter
    categories below it are named in ``small_categories`` and enter no figure. Each visible
    reporter lists its ``sub_items`` (分项评价) with counts, rates and average."""
    ballot_round = tally.ballot_round_for(request.auth, pk, "ballot.results")
    refusal = tally.results_refusal(ballot_round, request.auth)
    if refusal:
        raise PermissionDenied(refusal)
    return tally.as_json(tally.compute(ballot_round))


@router.get("/rounds/{pk}/progress", summary="投票进度")
def round_progress(request, pk: int):
    """应到 / 实到 per voter category and the ballots cast in total (ballot.manage or
    ballot.results). The ballots per category (``used_codes``, ``paper``, ``voted``) only
    where the results themselves may be seen: while the round is open a count per category,
    read after each vote, would tell which category each voter belongs to."""
    ballot_round = tally.ballot_round_for(request.auth, pk, *hall.HALL_ACTIONS)
    p = hall.progress(ballot_round)
    by_category = tally.results_visible(ballot_round, request.auth)
    categories = []
    for c in p.categories:
        row: dict[str, object] = {
            "code": c.code,
            "label": c.label,
            "expected": c.expected,
            "present": c.present,
            "issued": c.issued,
        }
        if by_category:
            row.update(used_codes=c.used_codes, paper=c.paper, voted=c.voted)
        categories.append(row)
    return {
        "round": ballot_round.pk,
        "status": ballot_round.status,
        "void_reason": ballot_round.void_reason,
        "categories": categories,
        "expected": p.expected,
        "present": p.present,
        "issued": p.issued,
        "voted": p.voted,
    }


def _file(request, pk: int, build, content_type: str, suffix: str) -> HttpResponse:
    ballot_round = tally.ballot_round_for(request.auth, pk, "ballot.results")
    refusal = tally.results_refusal(ballot_round, request.auth)
    if refusal:
        raise PermissionDenied(refusal)
    try:
        data = build(ballot_round)
    except ValidationError as exc:
        raise PermissionDenied(" ".join(exc.messages)) from exc
    return attachment(data, filename=f"ballot-{pk}.{suffix}", content_type=content_type)


@router.get("/rounds/{pk}/export.xlsx", summary="导出 Excel", response={200: None})
def round_export_xlsx(request, pk: int):
    """The Excel workbook of a round, on the same terms as its tally."""
    return _file(request, pk, exports.workbook, exports.XLSX, "xlsx")


@router.get("/rounds/{pk}/result.docx", summary="导出结果汇总表", response={200: None})
def round_result_docx(request, pk: int):
    """The Word result sheet of a round, on the same terms as its tally."""
    return _file(request, pk, exports.result_sheet, exports.DOCX, "docx")
