"""Forms of the field pages: one column, large targets, no script needed — a visit is
recorded on a phone in under a minute. The services decide; forms only shape the input."""

from __future__ import annotations

from django import forms

from shuzhi.core import clock
from shuzhi.rectification.models import Problem

from .models import NOTE_MAX_LENGTH, VisitPurpose


def _large(form: forms.Form) -> None:
    """Large, full-width inputs: the forms are filled in on phones."""
    for bound in form.fields.values():
        widget = bound.widget
        if isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)):
            continue
        css = (
            "form-select form-select-lg"
            if isinstance(widget, forms.Select)
            else "form-control form-control-lg"
        )
        widget.attrs.setdefault("class", css)


class VisitForm(forms.Form):
    unit = forms.TypedChoiceField(
        label="走访单位", coerce=int, help_text="您的联系点排在前面；只能选择职责范围内的组织。"
    )
    visited_on = forms.DateField(
        label="走访日期",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text="记录已经发生的走访，日期不能晚于今天。",
    )
    purpose = forms.ChoiceField(
        label="走访事由", choices=VisitPurpose.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label="简要情况",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="一两句话即可，不需要照片或定位。",
    )
    people_met = forms.CharField(
        label="座谈走访对象",
        required=False,
        max_length=200,
        help_text="选填，如：支部书记、老党员3名。",
    )
    problems_found = forms.CharField(
        label="发现的问题",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="每行一个问题，将登记到该单位的整改台账（来源：领导调研走访）。",
    )
    problems_solved = forms.ModelMultipleChoiceField(
        label="帮助解决的问题",
        required=False,
        queryset=Problem.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="联系点台账中尚未销号的问题，选中即记为本次走访帮助解决。",
    )

    def __init__(self, *args, units: list[tuple[int, str]], solvable, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", "请选择"), *units]  # type: ignore[attr-defined]
        self.fields["problems_solved"].queryset = solvable  # type: ignore[attr-defined]
        self.fields["visited_on"].initial = clock.today()
        _large(self)

    def found_lines(self) -> list[str]:
        return self.cleaned_data.get("problems_found", "").splitlines()


class ContactPointForm(forms.Form):
    unit = forms.TypedChoiceField(
        label="联系点", coerce=int, help_text="职责范围内的组织，常选一个软弱后进的基层支部。"
    )
    reason = forms.CharField(
        label="确定理由", max_length=200, help_text="如：班子力量弱，集体经济薄弱。"
    )
    min_visits = forms.IntegerField(
        label="每年最少走访次数",
        required=False,
        min_value=1,
        max_value=52,
        help_text="留空按本地规则（默认4次）。",
    )

    def __init__(self, *args, units: list[tuple[int, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", "请选择"), *units]  # type: ignore[attr-defined]
        _large(self)


class SearchForm(forms.Form):
    q = forms.CharField(label="搜索", required=False, max_length=100)
    year = forms.IntegerField(label="年度", required=False, min_value=2014, max_value=2100)
