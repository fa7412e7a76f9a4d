"""Pages for importing a problem ledger (导入台账) and exporting it to Excel.

The upload page stores the file as a ``LedgerImport`` and runs it through the shared runner;
the job pages are the shared ones of every import (``shuzhi.core.bulk.views``): they poll the
status with htmx until it finishes, then show how many items were created or the problems found
(the first 100 in a table, all of them in a downloadable .xlsx report that keeps the file's
rows). ``/problems/export/`` answers the ledger page's selection as a printable .xlsx.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from shuzhi.core import clock
from shuzhi.core.bulk.jobs import check_file_name
from shuzhi.exports.responses import XLSX, attachment
from shuzhi.orgs.tree.models import Unit, UnitStatus
from shuzhi.orgs.tree.policies import can

from . import ledger_export, ledger_import, policies
from .ledger_forms import LedgerFilterForm
from .models import ProblemSource

RECENT_IMPORTS = 20


class LedgerImportForm(forms.Form):
    """The upload: the file, the ledger's year and the unit whose subtree it covers."""

    file = forms.FileField(
        label="台账文件",
        help_text="Excel 或 CSV（UTF-8 或 GBK 编码）文件，表头为中文列名。",
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx,.csv"}),
    )
    year = forms.IntegerField(
        label="年度",
        min_value=2000,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
        help_text="文件中的问题都记入这一年度的台账。",
    )
    unit = forms.CharField(
        label="导入范围（组织代码）",
        max_length=64,
        widget=forms.TextInput(attrs={"class": "form-control", "list": "import-units"}),
        help_text="文件中的问题须属于该组织或其下级组织。",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            check_file_name(upload.name)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["file"]) from exc
        return upload

    def clean_unit(self) -> Unit:
        code = self.cleaned_data["unit"].strip()
        unit = Unit.objects.filter(code=code, status=UnitStatus.ACTIVE).first()
        if unit is None or not can(self.user, "problem.import", unit):
            raise ValidationError("没有找到该组织，或您无权向它导入问题。")
        return unit


def _require_importer(user) -> None:
    if not policies.may_import_ledger(user):
        raise PermissionDenied("您没有导入问题台账的权限。")


@login_required
def problem_import(request: HttpRequest) -> HttpResponse:
    """The upload form, the columns it expects, and the user's recent imports."""
    _require_importer(request.user)
    units = ledger_import.import_units_for(request.user)
    if request.method == "POST":
        form = LedgerImportForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = ledger_import.create_import(
                    actor=request.user,
                    unit=form.cleaned_data["unit"],
                    year=form.cleaned_data["year"],
                    file_name=upload.name,
                    content=upload,
                )
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    for message in messages:
                        form.add_error(name if name in form.fields else None, message)
            else:
                return redirect("problem_import_job", pk=job.pk)
    else:
        form = LedgerImportForm(
            user=request.user,
            initial={"year": clock.today().year, "unit": units[0].code if units else ""},
        )
    jobs = ledger_import.imports_visible_to(request.user).select_related("unit", "created_by")
    return render(
        request,
        "rectification/import_ledger.html",
        {
            "form": form,
            "units": units,
            "jobs": jobs.defer("errors")[:RECENT_IMPORTS],
            "columns": ledger_import.TEMPLATE_COLUMNS,
            "example": ledger_export.example_row(units),
            "sources": ProblemSource.objects.filter(is_active=True),
        },
    )


@login_required
@require_GET
def problem_import_template(request: HttpRequest) -> HttpResponse:
    """The blank template with the import's columns and an example row."""
    # A Chinese name (RFC 5987 filename*, as the export's), after an ASCII filename for
    # clients that do not read filename*.
    return attachment(
        ledger_export.template_workbook(request.user),
        filename=ledger_export.TEMPLATE_FILE_NAME,
        content_type=XLSX,
        ascii_name="ledger-template.xlsx",
    )


@login_required
@require_GET
def problem_export(request: HttpRequest) -> FileResponse:
    """The ledger page's selection (same GET parameters) as a printable .xlsx."""
    form = LedgerFilterForm(request.GET, user=request.user)
    filters = form.filters()
    if request.GET.get("unit") and filters.unit is None:
        raise Http404("没有找到该组织，或它不在您的查看范围内。")
    out, _count = ledger_export.export_ledger(actor=request.user, filters=filters)
    return FileResponse(
        out,
        as_attachment=True,
        filename=ledger_export.export_file_name(filters),
        content_type=XLSX,
    )
