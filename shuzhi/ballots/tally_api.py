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
    """The tally (ballot.results). Before the round closes only when its policy shows live
    results; reporters below the minimum number of ballots carry ``hidden`` and no numbers.
    Each visible reporter lists its ``sub_items`` (分项评价) with counts, rates and average."""
    ballot_round = tally.ballot_round_for(request.auth, pk, "ballot.results")
    rules = tally.rules_of(ballot_round)
    if not tally.results_visible(ballot_round, rules):
        if ballot_round.status == "void":
            raise PermissionDenied(f"本轮已作废：{ballot_round.void_reason}")
        raise PermissionDenied("投票结束后才能查看结果。")
    return tally.as_json(tally.compute(ballot_round))


@router.get("/rounds/{pk}/progress", summary="投票进度")
def round_progress(request, pk: int):
    """应到 / 实到 / 已投 per voter category (ballot.manage or ballot.results)."""
    ballot_round = tally.ballot_round_for(request.auth, pk, *hall.HALL_ACTIONS)
    p = hall.progress(ballot_round)
    return {
        "round": ballot_round.pk,
        "status": ballot_round.status,
        "void_reason": ballot_round.void_reason,
        "categories": [
            {
                "code": c.code,
                "label": c.label,
                "expected": c.expected,
                "present": c.present,
                "issued": c.issued,
                "used_codes": c.used_codes,
                "paper": c.paper,
                "voted": c.voted,
            }
            for c in p.categories
        ],
        "expected": p.expected,
        "present": p.present,
        "issued": p.issued,
        "voted": p.voted,
    }


def _file(request, pk: int, build, content_type: str, suffix: str) -> HttpResponse:
    ballot_round = tally.ballot_round_for(request.auth, pk, "ballot.results")
    try:
        data = build(ballot_round)
    except ValidationError as exc:
        raise PermissionDenied(" ".join(exc.messages)) from exc
    return attachment(data, filename=f"ballot-{pk}.{suffix}", content_type=content_type)


@router.get("/rounds/{pk}/export.xlsx", summary="导出 Excel", response={200: None})
def round_export_xlsx(request, pk: int):
    """The Excel workbook of a closed round."""
    return _file(request, pk, exports.workbook, exports.XLSX, "xlsx")


@router.get("/rounds/{pk}/result.docx", summary="导出结果汇总表", response={200: None})
def round_result_docx(request, pk: int):
    """The Word result sheet of a closed round."""
    return _file(request, pk, exports.result_sheet, exports.DOCX, "docx")
