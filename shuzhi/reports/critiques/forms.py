"""Forms for critiques. They only shape input; the services validate and decide (their
Chinese field errors are put back on these forms)."""

from __future__ import annotations

from typing import Any

from django import forms

from shuzhi.rectification.models import Severity
from shuzhi.reports.critiques.models import CritiqueRole


class CritiqueForm(forms.Form):
    """The critique itself; its named problems come in :data:`ProblemRowFormSet`."""

    role = forms.ChoiceField(label="点评身份", choices=CritiqueRole.choices)
    portfolio = forms.CharField(
        label="分管领域", required=False, max_length=100, help_text="班子成员点评时填写。"
    )
    text = forms.CharField(
        label="点评意见",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 8, "data-critique-text": ""}),
        help_text="既肯定成绩，更要点准问题；具体问题请在下方逐条列出。",
    )
    rating = forms.ChoiceField(label="总体评价", required=False)
    critic = forms.CharField(
        label="点评人",
        required=False,
        max_length=150,
        help_text="代他人录入点评时填写点评人姓名；点评将标明“代录”。",
    )

    def __init__(self, *args: Any, scale: list[dict] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rating = self.fields["rating"]
        assert isinstance(rating, forms.ChoiceField)
        rating.choices = [("", "（不评价）")] + [
            (str(grade.get("code")), str(grade.get("label"))) for grade in (scale or [])
        ]


class ProblemRowForm(forms.Form):
    """One problem named by the critique (one row of the dynamic list)."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    description = forms.CharField(
        label="问题描述",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "data-problem-description": ""}),
    )
    severity = forms.ChoiceField(label="严重程度", choices=Severity.choices, initial="general")
    deadline = forms.DateField(
        label="完成时限",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


ProblemRowFormSet = forms.formset_factory(ProblemRowForm, extra=0, can_delete=True)


def problem_rows(formset: forms.BaseFormSet) -> list[dict]:
    """The rows the user kept (deleted rows are left out, which removes those problems)."""
    rows = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data or data.get("DELETE"):
            continue
        rows.append(
            {
                "id": data.get("id"),
                "description": data.get("description") or "",
                "severity": data.get("severity") or "general",
                "deadline": data.get("deadline"),
            }
        )
    return rows
