"""Ledger import and export API, mounted under ``/api/problems``.

- ``POST /api/problems/import`` (multipart: ``file``, ``year``, ``unit`` — the code of the unit
  whose subtree the file covers; optional ``mapping``, the name of a column mapping saved for
  that unit, and ``update_existing``) queues an import and answers its id — without the page's
  preview: the columns are the saved mapping's, or the synonyms'; 403 without the right
  to import anywhere, 422 ``{"unit": …}`` for a code that does not exist or is out of scope;
- ``GET /api/problems/import/{id}`` answers its status, progress, counts, the row-numbered
  errors of a refused file or the notices of an imported one (another user's import answers
  404);
- ``GET /api/problems/export`` answers the ledger as .xlsx, with the ledger list's filters
  (``year``, ``unit``, ``status``, ``source``, ``severity``, ``overdue``, ``q``, ``responsible``).

The import runs in the background exactly as one started from the page.
"""

from __future__ import annotations

import datetime
from typing import BinaryIO, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from shuzhi.core.bulk.sheets import TabularError
from shuzhi.exports.responses import XLSX
from shuzhi.kernel.loader import load
from shuzhi.orgs.tree.models import Unit, UnitStatus
from shuzhi.orgs.tree.policies import can

from . import ledger_export, ledger_import, policies
from .ledger_forms import LedgerFilterForm
from .ledger_import import preview as ledger_preview
from .models import LedgerImport

router = Router(tags=["问题台账导入导出"])


class LedgerImportStartOut(Schema):
    id: int
    status: str


class LedgerImportOut(Schema):
    id: int
    unit: str
    year: int
    file_name: str
    status: str
    status_label: str
    total_rows: int
    done_rows: int
    created: int
    errors: list[tuple[int, str, str]]
    warnings: list[str]
    created_at: datetime.datetime
    updated_at: datetime.datetime


@router.post("/import", response={201: LedgerImportStartOut}, summary="上传问题台账导入")
def start_import(
    request,
    file: UploadedFile = File(..., description="Excel（.xlsx）或 CSV 文件"),  # noqa: B008
    year: int = Form(..., description="台账年度"),
    unit: str = Form(..., description="导入范围：组织代码"),
    mapping: str = Form("", description="导入范围保存的列对应方案名称（不填：按常见列名识别）"),
    update_existing: bool = Form(False, description="按序号更新已有问题"),
):
    if not policies.may_import_ledger(request.auth):
        raise PermissionDenied("您没有导入问题台账的权限。")
    scope = Unit.objects.filter(code=unit.strip(), status=UnitStatus.ACTIVE).first()
    # A unit out of the caller's import scope reads exactly like a code that does not exist,
    # so the answer never tells what exists elsewhere (as on the upload page).
    if scope is None or not can(request.auth, "problem.import", scope):
        raise ValidationError({"unit": "没有找到该组织，或您无权向它导入问题。"})
    keys = None
    if mapping:
        saved = ledger_preview.mappings_for(scope).filter(name=mapping.strip()).first()
        if saved is None:
            raise ValidationError({"mapping": f"“{scope.name}”没有名为“{mapping}”的列对应方案。"})
        keys = _keys_of(saved, file)
    job = ledger_import.create_import(
        actor=request.auth,
        unit=scope,
        year=year,
        file_name=file.name or "",
        content=file,
        mapping=keys,
        update_existing=update_existing,
    )
    job.refresh_from_db(fields=["status"])
    return Status(201, {"id": job.pk, "status": job.status})


def _keys_of(saved, file: UploadedFile) -> list[str] | None:
    """The saved mapping applied to the upload's columns (read within the import limits); a
    file that cannot be read is left to the import, which reports it."""
    try:
        rows = ledger_import.read_ledger(file.name or "", cast(BinaryIO, file))
    except TabularError:
        return None
    finally:
        file.seek(0)
    return ledger_preview.keys_of_mapping(saved, rows)


@router.get("/import/{int:import_id}", response=LedgerImportOut, summary="台账导入的状态与结果")
def get_import(request, import_id: int):
    jobs = ledger_import.imports_visible_to(request.auth).select_related("unit")
    job = load(jobs, request.auth, narrowed=True, pk=import_id)
    # A finished import keeps its notices (ignored columns …) where a failed one keeps errors.
    done = job.status == LedgerImport.Status.DONE
    return {
        "id": job.pk,
        "unit": job.unit.code,
        "year": job.year,
        "file_name": job.original_name,
        "status": job.status,
        "status_label": job.get_status_display(),
        "total_rows": job.total_rows,
        "done_rows": job.done_rows,
        "created": job.created_count,
        "errors": [] if done else [tuple(e) for e in job.errors],
        "warnings": [e[2] for e in job.errors] if done else [],
        "created_at": job.created_at,
        "updated_at": job.updated_at,
    }


@router.get("/export", summary="导出问题台账（Excel）")
def export(request):
    filters = LedgerFilterForm(request.GET, user=request.auth).filters()
    if request.GET.get("unit") and filters.unit is None:
        raise Http404("没有找到该组织，或它不在您的查看范围内。")
    out, _count = ledger_export.export_ledger(actor=request.auth, filters=filters)
    return FileResponse(
        out,
        as_attachment=True,
        filename=ledger_export.export_file_name(filters),
        content_type=XLSX,
    )
