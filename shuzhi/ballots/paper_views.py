"""Pages for paper ballots: issued count and forms, double entry, reconciliation, counting.

Thin views: every write goes through :mod:`shuzhi.ballots.paper`.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from shuzhi.exports.responses import PDF, attachment

from . import paper, tally
from .models import BallotRound, BallotRoundStatus


class IssuedForm(forms.Form):
    paper_issued = forms.IntegerField(label="发出纸质票数", min_value=0, max_value=paper.MAX_SHEET)


def _copy_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class SheetForm(forms.Form):
    """One clerk's typing of one sheet: number, clerk slot, category and the rating matrix."""

    sheet = forms.IntegerField(label="票号", min_value=1, max_value=paper.MAX_SHEET)
    clerk = forms.TypedChoiceField(
        label="录入员", choices=[(1, "录入员一"), (2, "录入员二")], coerce=int
    )
    category = forms.ChoiceField(label="参评人员类别", widget=forms.RadioSelect)

    def __init__(self, *args, ballot_round: BallotRound, **kwargs):
        super().__init__(*args, **kwargs)
        self.rules = tally.rules_of(ballot_round)
        self.reporters = tally.session_reporters(ballot_round)
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)
        category.choices = [(c["code"], c["label"]) for c in self.rules.categories]
        choices = [(g["code"], g["label"]) for g in self.rules.scale] + [("", "弃权")]
        item_labels = {s["code"]: s["label"] for s in self.rules.sub_items} | {
            tally.OVERALL: "总体评价"
        }
        self.matrix = []
        for sr in self.reporters:
            cells = []
            for item in self.rules.items:
                name = f"r{sr.pk}_{item}"
                self.fields[name] = forms.ChoiceField(
                    label=f"{sr.reporter.unit.name} {item_labels[item]}",
                    choices=choices,
                    required=False,
                    widget=forms.RadioSelect,
                )
                cells.append((item_labels[item], name))
            self.matrix.append((sr, cells))

    def ratings(self) -> dict:
        data = self.cleaned_data
        return {
            str(sr.pk): {item: data.get(f"r{sr.pk}_{item}") or "" for item in self.rules.items}
            for sr in self.reporters
        }

    def rows(self):
        """``(session reporter, [bound field per item])`` for the template."""
        return [(sr, [self[name] for _, name in cells]) for sr, cells in self.matrix]


@login_required
def paper_home(request: HttpRequest, pk: int) -> HttpResponse:
    """Issued count, forms download, entry links, and the reconciliation list."""
    ballot_round = tally.ballot_round_for(request.user, pk, "ballot.manage")
    form = IssuedForm(request.POST or None, initial={"paper_issued": ballot_round.paper_issued})
    if request.method == "POST" and form.is_valid():
        try:
            paper.set_paper_issued(
                actor=request.user,
                ballot_round=ballot_round,
                count=form.cleaned_data["paper_issued"],
            )
        except ValidationError as exc:
            _copy_errors(form, exc)
        else:
            messages.success(request, "已记录发出的纸质票数。")
            return redirect("ballot_paper", pk=pk)
    rules = tally.rules_of(ballot_round)
    states = paper.sheets(ballot_round)
    reporters = {str(sr.pk): sr for sr in tally.session_reporters(ballot_round)}
    grade_labels = rules.grade_labels | {"": "弃权"}
    item_labels = {s["code"]: s["label"] for s in rules.sub_items} | {tally.OVERALL: "总体评价"}
    problems = []
    for state in states:
        if state.counted or state.agrees:
            continue
        diffs = []
        for rid, item in state.differing():
            sr = reporters.get(rid)
            diffs.append(
                {
                    "reporter": sr.reporter.unit.name if sr else rid,
                    "item": item_labels.get(item, item),
                    "first": grade_labels.get(state.first.ratings.get(rid, {}).get(item, ""), "?")
                    if state.first
                    else "",
                    "second": grade_labels.get(state.second.ratings.get(rid, {}).get(item, ""), "?")
                    if state.second
                    else "",
                }
            )
        problems.append({"state": state, "diffs": diffs})
    context = {
        "ballot_round": ballot_round,
        "form": form,
        "is_open": ballot_round.status == BallotRoundStatus.OPEN,
        "problems": problems,
        "category_labels": rules.category_labels,
        "agreed": sum(1 for s in states if s.agrees and not s.counted),
        "counted": sum(1 for s in states if s.counted),
        "entered": len(states),
    }
    return render(request, "ballots/paper_home.html", context)


@login_required
@require_GET
def paper_forms_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """Printable forms numbered ``first``..``last`` (default 1..发出纸质票数)."""
    ballot_round = tally.ballot_round_for(request.user, pk, "ballot.manage")

    def number(name: str, default: int) -> int:
        try:
            return max(1, min(int(request.GET.get(name, default)), paper.MAX_SHEET))
        except ValueError:
            return default

    first = number("first", 1)
    last = number("last", max(ballot_round.paper_issued, 1))
    last = max(first, min(last, first + 999))  # one download prints at most 1,000 sheets
    pdf = paper.render_forms(ballot_round, first=first, last=last)
    return attachment(pdf, filename=f"paper-{ballot_round.pk}.pdf", content_type=PDF)


@login_required
def paper_enter(request: HttpRequest, pk: int) -> HttpResponse:
    """Type one sheet. ``?clerk=&sheet=`` opens an existing entry for correction."""
    ballot_round = tally.ballot_round_for(request.user, pk, "ballot.manage")
    initial: dict = {"clerk": request.GET.get("clerk", "1")}
    if request.method == "GET" and request.GET.get("sheet", "").isdigit():
        entry = ballot_round.paper_entries.filter(
            sheet=int(request.GET["sheet"]), clerk=int(initial["clerk"] or 1), counted=False
        ).first()
        initial["sheet"] = request.GET["sheet"]
        if entry is not None:
            initial["category"] = entry.category
            for rid, items in entry.ratings.items():
                for item, grade in items.items():
                    initial[f"r{rid}_{item}"] = grade
    form = SheetForm(request.POST or None, ballot_round=ballot_round, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                paper.enter_sheet(
                    actor=request.user,
                    ballot_round=ballot_round,
                    sheet=form.cleaned_data["sheet"],
                    clerk=form.cleaned_data["clerk"],
                    category=form.cleaned_data["category"],
                    ratings=form.ratings(),
                )
            except ValidationError as exc:
                _copy_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                clerk = form.cleaned_data["clerk"]
                messages.success(
                    request, f"第{form.cleaned_data['sheet']}号票已保存，请录入下一张。"
                )
                return redirect(reverse("ballot_paper_enter", args=[pk]) + f"?clerk={clerk}")
        status = 400
    return render(
        request,
        "ballots/paper_enter.html",
        {"ballot_round": ballot_round, "form": form, "grades": tally.grade_header(form.rules)},
        status=status,
    )


@login_required
@require_POST
def paper_count(request: HttpRequest, pk: int) -> HttpResponse:
    """计入 every sheet whose two entries agree."""
    ballot_round = tally.ballot_round_for(request.user, pk, "ballot.manage")
    try:
        result = paper.count_agreed(actor=request.user, ballot_round=ballot_round)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if result.void:
            messages.error(request, f"已计入 {result.counted} 张。{paper.VOID_REASON}。")
        else:
            messages.success(
                request, f"已计入 {result.counted} 张纸质票；尚有 {result.pending} 张待核对。"
            )
    return redirect("ballot_paper", pk=pk)
