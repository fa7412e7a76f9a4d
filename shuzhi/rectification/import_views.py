"""Pages for importing a problem ledger (导入台账) and exporting it to Excel.

The upload page stores the file as a ``LedgerImport`` and runs it through the shared runner;
the job pages are the shared ones of every import (``shuzhi.core.bulk.views``): they poll the
status with htmx until it finishes, then show how many items were created or the problems found
(the first 100 in a table, all of them in a downloadable .xlsx report that keeps the file's
rows). ``/problems/export/`` answers the ledger page's selection as a printable .xlsx.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    QueryDict,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from shuzhi.core import clock
from shuzhi.core.bulk.jobs import check_file_name
from shuzhi.exports.responses import XLSX, attachment
from shuzhi.kernel.loader import load
from shuzhi.orgs.tree.models import Unit, UnitStatus
from shuzhi.orgs.tree.policies import can

from . import ledger_export, ledger_export_jobs, ledger_import, policies, selectors
from .ledger_forms import LedgerFilterForm
from .ledger_import import preview as ledger_preview
from .models import LedgerImport, ProblemSource

RECENT_IMPORTS = 20


class LedgerImportForm(forms.Form):
    """The upload: the file, the ledger's year and the unit whose subtree it covers."""

    file = forms.FileField(
        label="台账文件",
        help_text="Excel、CSV 或 Unicode 文本文件；本地台账原样上传即可，"
        "导入前会先显示各列的对应关系供您确认。",
        widget=forms.ClearableFileInput(
            attrs={"class": "form-control", "accept": ".xlsx,.csv,.txt"}
        ),
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
        help_text="文件中的问题须属于该组织或其下级组织；文件没有单位列时，问题都记入该组织。",
    )
    update_existing = forms.BooleanField(
        label="按序号更新已有问题",
        required=False,
        help_text="序号与本年度已有问题相同的行更新该问题（如修改后重新导入本系统导出的台账），"
        "其余行新增。",
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
                    preview=True,
                    update_existing=form.cleaned_data["update_existing"],
                )
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    for message in messages:
                        form.add_error(name if name in form.fields else None, message)
            else:
                return redirect("problem_import_preview", pk=job.pk)
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
@require_POST
def problem_export_background(request: HttpRequest) -> HttpResponse:
    """Start the background export of the ledger page's selection (the same parameters)."""
    query = request.POST.get("query", "")
    filters = LedgerFilterForm(QueryDict(query), user=request.user).filters()
    if QueryDict(query).get("unit") and filters.unit is None:
        raise Http404("没有找到该组织，或它不在您的查看范围内。")
    ledger_export_jobs.start(actor=request.user, query=query)
    messages.info(
        request,
        f"正在后台导出“{ledger_export.export_title(filters)}”；"
        "进度显示在本页上方，完成后会在收件箱通知您下载。",
    )
    return redirect(f"{reverse('ledger_list')}?{query}" if query else reverse("ledger_list"))


@login_required
@require_GET
def problem_export_file(request: HttpRequest, name: str) -> FileResponse:
    """A background export, to the person who asked for it only."""
    handle = ledger_export_jobs.open_stored(request.user, name)
    if handle is None:
        raise Http404("导出文件不存在或已被清理。")
    return FileResponse(handle, as_attachment=True, filename=name, content_type=XLSX)


@login_required
@require_GET
def problem_export(request: HttpRequest) -> HttpResponseBase:
    """The ledger page's selection (same GET parameters) as a printable .xlsx."""
    form = LedgerFilterForm(request.GET, user=request.user)
    filters = form.filters()
    if request.GET.get("unit") and filters.unit is None:
        raise Http404("没有找到该组织，或它不在您的查看范围内。")
    rows = selectors.ledger_queryset(request.user, filters).order_by()
    if rows[: ledger_export_jobs.inline_max() + 1].count() > ledger_export_jobs.inline_max():
        # Too many for one request: say so, and build it in the background on request.
        return render(
            request,
            "rectification/export_background.html",
            {
                "title": ledger_export.export_title(filters),
                "note": ledger_export.filter_note(filters, clock.today()),
                "limit": ledger_export_jobs.inline_max(),
                "query": request.GET.urlencode(),
            },
        )
    out, _count = ledger_export.export_ledger(actor=request.user, filters=filters)
    return FileResponse(
        out,
        as_attachment=True,
        filename=ledger_export.export_file_name(filters),
        content_type=XLSX,
    )


def _posted_choices(request: HttpRequest, width: int) -> tuple[list[str], dict[str, int]]:
    """The fields chosen per column (``col-N``) and the units picked per name (``name-N`` with
    ``pick-N``), as posted by the preview page."""
    keys = [request.POST.get(f"col-{i}", "") for i in range(width)]
    picks: dict[str, int] = {}
    for key in request.POST:
        if key.startswith("name-"):
            name = request.POST.get(key, "")
            chosen = request.POST.get("pick-" + key[5:], "")
            if chosen.isdigit():
                picks[name] = int(chosen)
    return keys, picks


@login_required
def problem_import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The columns of an uploaded ledger and what each feeds, adjustable; confirming queues
    the import. Only the uploader sees it, and only until it is confirmed."""
    _require_importer(request.user)
    jobs = ledger_import.imports_visible_to(request.user).select_related("unit", "created_by")
    job = load(jobs, request.user, narrowed=True, pk=pk)
    if job.status != LedgerImport.Status.PREVIEW:
        return redirect("problem_import_job", pk=job.pk)
    saved = ledger_preview.mappings_for(job.unit)
    save_as = ""
    if request.method == "POST":
        width = len(job.mapping) or int(request.POST.get("width", "0") or 0)
        keys, picks = _posted_choices(request, min(width, 200))
        update = bool(request.POST.get("update_existing"))
        save_as = request.POST.get("save_as", "").strip()
        if request.POST.get("action") == "confirm":
            try:
                shown = ledger_preview.confirm_import(
                    actor=request.user,
                    job=job,
                    keys=keys,
                    picks=picks,
                    update=update,
                    save_as=save_as,
                )
            except ValidationError as exc:
                shown = ledger_preview.build_preview(job, keys=keys, picks=picks, update=update)
                shown.problem = "；".join(exc.messages)
            if shown.ready and not shown.problem:
                return redirect("problem_import_job", pk=job.pk)
        else:
            shown = ledger_preview.build_preview(job, keys=keys, picks=picks, update=update)
        job.update_existing = update
    else:
        keys_from: list[str] | None = None
        chosen = request.GET.get("mapping", "")
        if chosen.isdigit():
            mapping = saved.filter(pk=int(chosen)).first()
            shown = ledger_preview.build_preview(job)
            if mapping is not None and shown.rows is not None:
                keys_from = ledger_preview.keys_of_mapping(mapping, shown.rows)
                shown = ledger_preview.build_preview(job, keys=keys_from)
        else:
            shown = ledger_preview.build_preview(job)
    return render(
        request,
        "rectification/import_preview.html",
        {
            "job": job,
            "preview": shown,
            "choices": ledger_preview.field_choices(),
            "saved": saved,
            "save_as": save_as,
            "unresolved": list(shown.unresolved.items()),
        },
    )
