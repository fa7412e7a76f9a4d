"""Pages of 结果运用, mounted at /assessment/results/.

A round, follow-up or circular outside the reader's scope answers 404; a visible one the reader
may not change answers 403 on change pages. Writes go through :mod:`results.services`; the forms
here only parse input.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from shuzhi.assessment.grading.models import GradeRow, Grading
from shuzhi.assessment.indicators.forms import apply_service_errors
from shuzhi.assessment.results import circular as documents
from shuzhi.assessment.results import policies as rp
from shuzhi.assessment.results import services as rs
from shuzhi.assessment.results.models import (
    Circular,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
    TalkBy,
)
from shuzhi.cycles.models import Round
from shuzhi.exports.responses import DOCX, XLSX, attachment
from shuzhi.kernel.loader import load
from shuzhi.orgs.tree.models import Unit, UnitType

PAGE_SIZE = 30


# --- Forms ------------------------------------------------------------------------------------


class RoundSearchForm(forms.Form):
    q = forms.CharField(label="名称或主办组织", required=False, max_length=100)
    year = forms.IntegerField(label="年度", required=False, min_value=2014, max_value=2100)


class FollowUpSearchForm(forms.Form):
    q = forms.CharField(label="单位或姓名", required=False, max_length=100)
    round = forms.IntegerField(required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        label="类型", required=False, choices=[("", "全部类型"), *FollowUpKind.choices]
    )
    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部状态"), *FollowUpStatus.choices]
    )
    mine = forms.BooleanField(label="只看由我约谈的", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("kind", "status"):
            self.fields[name].widget.attrs["class"] = "form-select"


class RuleForm(forms.Form):
    grade_label = forms.CharField(label="等次", max_length=16)
    commend = forms.BooleanField(label="列入表扬名单", required=False)
    talk = forms.BooleanField(label="约谈", required=False)
    talk_by = forms.ChoiceField(label="约谈人", choices=TalkBy.choices)
    talk_within_days = forms.IntegerField(label="约谈期限（天）", min_value=1, max_value=365)
    rectify = forms.BooleanField(label="限期整改", required=False)
    rectify_within_days = forms.IntegerField(label="整改期限（天）", min_value=1, max_value=730)
    criticise = forms.BooleanField(label="通报批评", required=False)
    note = forms.CharField(label="说明", max_length=200, required=False)


class DoneForm(forms.Form):
    notes = forms.CharField(
        label="情况记录", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    done_on = forms.DateField(
        label="完成日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class ScheduleForm(forms.Form):
    due_on = forms.DateField(
        label="完成期限", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    notes = forms.CharField(
        label="安排说明", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CancelForm(forms.Form):
    reason = forms.CharField(label="撤销原因", max_length=200)


class CircularForm(forms.Form):
    title = forms.CharField(label="标题", max_length=200)
    doc_number = forms.CharField(label="文号", max_length=64, required=False)
    issuer = forms.CharField(label="发文机关", max_length=100)
    signed_on = forms.DateField(
        label="成文日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    scope_text = forms.CharField(label="发至范围", max_length=300, required=False)
    scope_unit_codes = forms.CharField(
        label="发至组织（组织代码，空格或逗号分隔）", max_length=2000, required=False
    )
    scope_levels = forms.MultipleChoiceField(
        label="发至层级", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, sections: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        levels = self.fields["scope_levels"]
        assert isinstance(levels, forms.MultipleChoiceField)
        levels.choices = list(
            UnitType.objects.order_by("sort_order", "code").values_list("code", "name")
        )
        self.section_names = []
        for section in sections:
            name = f"section_{section['code']}"
            self.fields[name] = forms.CharField(
                label=section["heading"],
                required=False,
                max_length=rs.SECTION_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 5}),
                initial=section["text"],
            )
            self.section_names.append(name)
        for field in self.fields.values():
            if not isinstance(field.widget, forms.CheckboxSelectMultiple):
                field.widget.attrs.setdefault("class", "form-control")

    def section_fields(self):
        return [self[name] for name in self.section_names]


# --- Helpers ----------------------------------------------------------------------------------


def _round(request: HttpRequest, pk: int) -> Round:
    return load(
        Round.objects.select_related("host"),
        request.user,
        not_found="该年度述职评议不存在或不在您的查看范围内。",
        pk=pk,
    )


def _follow_up(request: HttpRequest, pk: int) -> FollowUp:
    return load(
        FollowUp.objects.select_related(
            "round__host",
            "reporter__unit",
            "with_person",
            "conductor",
            "conductor_user",
            "done_by",
            "problem",
        ),
        request.user,
        not_found="该事项不存在或不在您的查看范围内。",
        pk=pk,
    )


def _circular(request: HttpRequest, pk: int) -> Circular:
    return load(
        Circular.objects.select_related("round__host"),
        request.user,
        not_found="该通报不存在或不在您的查看范围内。",
        pk=pk,
    )


# --- Rounds -----------------------------------------------------------------------------------


@login_required
def round_list(request: HttpRequest) -> HttpResponse:
    """Rounds in the reader's scope whose grades were confirmed, with their follow-up counts,
    and the talks the reader holds."""
    if not rp.may_list(request.user):
        raise PermissionDenied("您没有权限查看考核结果运用。")
    form = RoundSearchForm(request.GET or None)
    rounds = (
        rp.visible_rounds(request.user)
        .filter(grading__status="confirmed")
        .select_related("host", "grading")
        .annotate(
            open_count=Count("follow_ups", filter=Q(follow_ups__status=FollowUpStatus.OPEN)),
            circular_count=Count("circulars", distinct=True),
        )
        .order_by("-year", "host__path")
    )
    if form.is_valid():
        text = form.cleaned_data["q"].strip()
        if text:
            rounds = rounds.filter(Q(title__icontains=text) | Q(host__name__icontains=text))
        if form.cleaned_data["year"]:
            rounds = rounds.filter(year=form.cleaned_data["year"])
    page = Paginator(rounds, PAGE_SIZE).get_page(request.GET.get("page"))
    my_talks = FollowUp.objects.filter(
        conductor_user_id=request.user.pk, status=FollowUpStatus.OPEN
    ).count()
    return render(
        request,
        "assessment/results_rounds.html",
        {"form": form, "page": page, "my_talks": my_talks},
    )


@login_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A round's results: the grade distribution, follow-ups by kind and status, circulars."""
    round_ = _round(request, pk)
    grading = Grading.objects.filter(round=round_).first()
    labels = {str(g.get("code")): str(g.get("label")) for g in round_.scale}
    distribution = []
    if grading is not None and grading.is_confirmed:
        counts = dict(
            GradeRow.objects.filter(grading=grading, is_current=True)
            .values_list("final")
            .annotate(n=Count("id"))
            .values_list("final", "n")
        )
        distribution = [(labels[code], counts.get(code, 0)) for code in labels]
    tally = {
        (kind, status): n
        for kind, status, n in FollowUp.objects.filter(round=round_)
        .values_list("kind", "status")
        .annotate(n=Count("id"))
        .values_list("kind", "status", "n")
    }
    summary = [
        (kind, label, [tally.get((kind, s), 0) for s in FollowUpStatus.values])
        for kind, label in FollowUpKind.choices
    ]
    return render(
        request,
        "assessment/results_round.html",
        {
            "round": round_,
            "grading": grading,
            "distribution": distribution,
            "summary": summary,
            "statuses": FollowUpStatus.choices,
            "circulars": Circular.objects.filter(round=round_)
            .select_related("issued_by")
            .order_by("-id"),
            "rules": rs.effective_rules(round_.host, round_.scale),
            "may_manage": rp.can_manage(request.user, round_),
        },
    )


@login_required
def grades_export(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _round(request, pk)
    if not Grading.objects.filter(round=round_, status="confirmed").exists():
        raise Http404("该年度尚未确定考核等次。")
    return attachment(
        documents.grades_xlsx(round_),
        filename=f"{round_.year}年度考核等次_{round_.host.name}.xlsx",
        content_type=XLSX,
    )


# --- Consequences table -----------------------------------------------------------------------


@login_required
def rules(request: HttpRequest, host_pk: int) -> HttpResponse:
    """The host's consequences table; organisers edit one grade at a time."""
    host = load(
        Unit,
        request.user,
        view="round.view",
        not_found="该组织不存在或不在您的查看范围内。",
        pk=host_pk,
    )
    may_manage = rp.can_manage_rules(request.user, host)
    rows = rs.effective_rules(host)
    bound_grade, bound_form = None, None
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied("您没有权限修改该组织的结果运用规则。")
        bound_grade = request.POST.get("grade", "")
        bound_form = RuleForm(request.POST, prefix=bound_grade)
        if bound_form.is_valid():
            try:
                rs.save_rule(
                    actor=request.user, host=host, grade=bound_grade, **bound_form.cleaned_data
                )
            except ValidationError as exc:
                apply_service_errors(bound_form, exc)
            else:
                messages.success(request, "结果运用规则已保存。")
                return redirect(reverse("results_rules", args=[host.pk]))
    table = []
    for rule in rows:
        if bound_form is not None and rule.grade == bound_grade:
            form = bound_form
        else:
            form = RuleForm(
                prefix=rule.grade,
                initial={field: getattr(rule, field) for field in rs.RULE_FIELDS},
            )
        table.append((rule, form))
    return render(
        request,
        "assessment/results_rules.html",
        {"host": host, "table": table, "may_manage": may_manage, "saved": rows[0].pk is not None},
    )


# --- Follow-ups -------------------------------------------------------------------------------


@login_required
def follow_up_list(request: HttpRequest) -> HttpResponse:
    if not rp.may_list(request.user):
        raise PermissionDenied("您没有权限查看考核结果运用。")
    form = FollowUpSearchForm(request.GET or None)
    rows = rp.visible_follow_ups(request.user).select_related(
        "round", "reporter__unit", "with_person", "conductor"
    )
    round_ = None
    if form.is_valid():
        data = form.cleaned_data
        text = data["q"].strip()
        if text:
            rows = rows.filter(
                Q(reporter__unit__name__icontains=text) | Q(with_person__name__icontains=text)
            )
        if data["round"]:
            rows = rows.filter(round_id=data["round"])
            round_ = rp.visible_rounds(request.user).filter(pk=data["round"]).first()
        if data["kind"]:
            rows = rows.filter(kind=data["kind"])
        if data["status"]:
            rows = rows.filter(status=data["status"])
        if data["mine"]:
            rows = rows.filter(conductor_user_id=request.user.pk)
    rows = rows.order_by("status", "due_on", "id")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "assessment/results_follow_ups.html",
        {"form": form, "page": page, "round": round_},
    )


@login_required
def follow_up_detail(request: HttpRequest, pk: int) -> HttpResponse:
    follow_up = _follow_up(request, pk)
    may_complete = (
        rp.can_complete(request.user, follow_up)
        and follow_up.status == FollowUpStatus.OPEN
        and follow_up.kind != FollowUpKind.RECTIFICATION
    )
    may_manage = rp.can_manage(request.user, follow_up.round) and (
        follow_up.status == FollowUpStatus.OPEN
    )
    done_form = DoneForm(prefix="done")
    schedule_form = ScheduleForm(
        prefix="schedule", initial={"due_on": follow_up.due_on, "notes": follow_up.notes}
    )
    cancel_form = CancelForm(prefix="cancel")
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "done":
                if not may_complete:
                    raise PermissionDenied("您没有权限办理该事项。")
                done_form = DoneForm(request.POST, prefix="done")
                if done_form.is_valid():
                    rs.complete_follow_up(
                        actor=request.user,
                        follow_up=follow_up,
                        notes=done_form.cleaned_data["notes"],
                        done_on=done_form.cleaned_data["done_on"],
                    )
                    messages.success(request, "已标记为完成。")
                    return redirect(reverse("results_follow_up", args=[pk]))
            elif action in ("schedule", "cancel"):
                if not may_manage:
                    raise PermissionDenied("您没有权限安排该事项。")
                if action == "schedule":
                    schedule_form = ScheduleForm(request.POST, prefix="schedule")
                    if schedule_form.is_valid():
                        rs.schedule_follow_up(
                            actor=request.user,
                            follow_up=follow_up,
                            due_on=schedule_form.cleaned_data["due_on"],
                            notes=schedule_form.cleaned_data["notes"],
                        )
                        messages.success(request, "安排已保存。")
                        return redirect(reverse("results_follow_up", args=[pk]))
                else:
                    cancel_form = CancelForm(request.POST, prefix="cancel")
                    if cancel_form.is_valid():
                        rs.cancel_follow_up(
                            actor=request.user,
                            follow_up=follow_up,
                            reason=cancel_form.cleaned_data["reason"],
                        )
                        messages.success(request, "事项已撤销。")
                        return redirect(reverse("results_follow_up", args=[pk]))
            else:
                raise Http404("未知操作。")
        except ValidationError as exc:
            target = {"done": done_form, "schedule": schedule_form}.get(action, cancel_form)
            apply_service_errors(target, exc)
    return render(
        request,
        "assessment/results_follow_up.html",
        {
            "f": follow_up,
            "may_complete": may_complete,
            "may_manage": may_manage,
            "done_form": done_form,
            "schedule_form": schedule_form,
            "cancel_form": cancel_form,
        },
    )


# --- Circulars --------------------------------------------------------------------------------


@login_required
@require_POST
def circular_create(request: HttpRequest, pk: int) -> HttpResponse:
    round_ = _round(request, pk)
    try:
        circular = rs.create_circular(actor=request.user, round_=round_)
    except ValidationError as exc:
        messages.error(request, "；".join(m for ms in exc.message_dict.values() for m in ms))
        return redirect(reverse("results_round", args=[round_.pk]))
    messages.success(request, "已根据考核结果生成通报草稿，请修改后印发。")
    return redirect(reverse("results_circular", args=[circular.pk]))


def _codes(text: str) -> list[str]:
    return [c for c in text.replace("，", " ").replace(",", " ").split() if c]


@login_required
def circular_detail(request: HttpRequest, pk: int) -> HttpResponse:
    circular = _circular(request, pk)
    may_manage = rp.can_manage(request.user, circular.round)
    scope_units = list(circular.scope_units.order_by("path"))
    initial = {
        "title": circular.title,
        "doc_number": circular.doc_number,
        "issuer": circular.issuer,
        "signed_on": circular.signed_on,
        "scope_text": circular.scope_text,
        "scope_unit_codes": " ".join(u.code for u in scope_units),
        "scope_levels": circular.scope_levels,
    }
    form = CircularForm(initial=initial, sections=circular.sections)
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied("您没有权限修改该通报。")
        if circular.is_locked:
            messages.error(request, "通报已印发，不能再修改。")
            return redirect(reverse("results_circular", args=[circular.pk]))
        form = CircularForm(request.POST, sections=circular.sections)
        if form.is_valid():
            data = form.cleaned_data
            codes = _codes(data["scope_unit_codes"])
            units = list(
                Unit.objects.visible_to(request.user).filter(code__in=codes).only("pk", "code")
            )
            missing = sorted(set(codes) - {u.code for u in units})
            if missing:
                form.add_error(
                    "scope_unit_codes", f"找不到这些组织代码或无权查看：{'、'.join(missing)}。"
                )
            else:
                try:
                    rs.update_circular(
                        actor=request.user,
                        circular=circular,
                        title=data["title"],
                        doc_number=data["doc_number"],
                        issuer=data["issuer"],
                        signed_on=data["signed_on"],
                        scope_text=data["scope_text"],
                        scope_levels=data["scope_levels"],
                        scope_units=[u.pk for u in units],
                        sections={
                            s["code"]: data[f"section_{s['code']}"] for s in circular.sections
                        },
                    )
                except ValidationError as exc:
                    apply_service_errors(form, exc)
                else:
                    messages.success(request, "通报已保存。")
                    return redirect(reverse("results_circular", args=[circular.pk]))
    return render(
        request,
        "assessment/results_circular.html",
        {
            "c": circular,
            "form": form,
            "may_edit": may_manage and not circular.is_locked,
            "scope_units": scope_units,
        },
    )


@login_required
@require_POST
def circular_regenerate(request: HttpRequest, pk: int) -> HttpResponse:
    circular = _circular(request, pk)
    try:
        rs.regenerate_circular(actor=request.user, circular=circular)
    except ValidationError as exc:
        messages.error(request, "；".join(m for ms in exc.message_dict.values() for m in ms))
    else:
        messages.success(request, "已按最新考核结果重新生成正文。")
    return redirect(reverse("results_circular", args=[circular.pk]))


@login_required
@require_POST
def circular_issue(request: HttpRequest, pk: int) -> HttpResponse:
    circular = _circular(request, pk)
    try:
        rs.issue_circular(actor=request.user, circular=circular)
    except ValidationError as exc:
        messages.error(request, "；".join(m for ms in exc.message_dict.values() for m in ms))
    else:
        messages.success(request, "通报已印发，不能再修改。")
    return redirect(reverse("results_circular", args=[circular.pk]))


@login_required
def circular_docx(request: HttpRequest, pk: int) -> HttpResponse:
    circular = _circular(request, pk)
    return attachment(
        documents.build_docx(circular), filename=f"{circular.title}.docx", content_type=DOCX
    )
