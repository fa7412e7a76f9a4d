"""Pages for importing and exporting units.

The upload page stores the file as an import job and runs it through the shared runner; the
job pages are the shared ones of every import (``shuzhi.core.bulk.views``), which poll the
status with htmx until it finishes, then show the counts or the problems found. The export page
takes a unit code and offers the subtree as CSV or XLSX.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from shuzhi.exports.responses import attachment
from shuzhi.orgs.imports import exporting, policies
from shuzhi.orgs.imports import units as importing
from shuzhi.orgs.imports.models import ImportJob, ImportKind


class UnitImportForm(forms.Form):
    """The upload: a .csv or .xlsx file and whether to import the good rows only."""

    file = forms.FileField(
        label="导入文件",
        help_text="Excel、CSV（UTF-8 或 GB18030 编码）或 Unicode 文本文件，第一行为列名。",
        widget=forms.ClearableFileInput(
            attrs={"class": "form-control", "accept": ".csv,.xlsx,.txt"}
        ),
    )
    good_rows_only = forms.BooleanField(
        label="只导入无误的行",
        required=False,
        help_text="不勾选时，只要有一行有误就不导入任何数据。",
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    accept_question_marks = forms.BooleanField(
        label="确认名称中的问号无误",
        required=False,
        help_text="名称中含“?”的行默认不导入（多为另存为 ANSI 时丢失的生僻字）；"
        "确认名称本来如此时才勾选。",
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            importing.check_file_name(upload.name)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["file"]) from exc
        return upload


def _require_importer(user) -> None:
    if not policies.may_import_units(user):
        raise PermissionDenied("您没有导入组织的权限。")


@login_required
def unit_import(request: HttpRequest) -> HttpResponse:
    """The upload form, its help, and the user's recent import jobs."""
    _require_importer(request.user)
    if request.method == "POST":
        form = UnitImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = importing.create_job(
                    actor=request.user,
                    file_name=upload.name,
                    content=upload,
                    good_rows_only=form.cleaned_data["good_rows_only"],
                    accept_question_marks=form.cleaned_data["accept_question_marks"],
                )
            except ValidationError as exc:
                for message in exc.message_dict.get("file", exc.messages):
                    form.add_error("file", message)
            else:
                return redirect("import_job", pk=job.pk)
    else:
        form = UnitImportForm()
    jobs = (
        ImportJob.objects.visible_to(request.user)
        .filter(kind=ImportKind.UNITS)
        .select_related("created_by")[:20]
    )
    return render(
        request,
        "orgs/unit_import.html",
        {"form": form, "jobs": jobs, "example": exporting.EXAMPLE_ROWS},
    )


@login_required
@require_GET
def import_template(request: HttpRequest, file_format: str) -> HttpResponse:
    """A template file with the header and example rows."""
    if file_format not in exporting.FORMATS:
        raise Http404
    return attachment(
        exporting.template_file(file_format),
        filename=f"units-template.{file_format}",
        content_type=exporting.FORMATS[file_format],
    )


@login_required
@require_GET
def unit_export(request: HttpRequest) -> HttpResponse:
    """Pick a unit by code; offer its subtree as CSV or XLSX."""
    code = request.GET.get("unit", "").strip()
    unit = None
    not_found = False
    if code:
        try:
            unit = exporting.unit_for_export(request.user, code)
        except Http404:
            not_found = True
    return render(
        request,
        "orgs/import_export.html",
        {"code": code, "unit": unit, "not_found": not_found},
    )


@login_required
@require_GET
def unit_export_download(request: HttpRequest) -> HttpResponse:
    """The export file itself: ``?unit=CODE&format=csv|xlsx``."""
    file_format = request.GET.get("format", "csv")
    if file_format not in exporting.FORMATS:
        raise Http404
    unit = exporting.unit_for_export(request.user, request.GET.get("unit", ""))
    data = exporting.export_units(actor=request.user, unit=unit, file_format=file_format)
    name = exporting.export_file_name(unit, file_format)
    return attachment(data, filename=name, content_type=exporting.FORMATS[file_format])
