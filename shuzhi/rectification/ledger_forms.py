"""The filter form of the ledger list and summary (GET parameters shared by pages and API)."""

from __future__ import annotations

from typing import cast

from django import forms
from django.http import QueryDict

from shuzhi.core import clock
from shuzhi.orgs.tree.models import Unit

from .models import ProblemSource, ProblemStatus, Severity
from .policies import may_view_unit
from .selectors import LedgerFilters

ORDER_CHOICES = [
    ("new", "最新录入在前"),
    ("deadline", "完成时限最早在前"),
    ("unit", "按组织和序号"),
]


def year_choices() -> list[tuple[str, str]]:
    this = clock.today().year
    return [("", "全部年度")] + [(str(y), f"{y} 年") for y in range(this + 1, this - 6, -1)]


class LedgerFilterForm(forms.Form):
    """Filters of the ledger list. Invalid values are dropped, never an error page: a stale
    bookmark still shows the ledger."""

    q = forms.CharField(
        label="问题描述",
        required=False,
        max_length=100,
        help_text="描述中包含的词语；多个词语用空格分开，须全部包含。",
    )
    responsible = forms.CharField(
        label="责任人",
        required=False,
        max_length=50,
        help_text="责任领导或责任人的姓名（可只填姓名开头）。",
    )
    unit = forms.CharField(
        label="组织代码",
        required=False,
        max_length=64,
        help_text="只看该组织及其下级的问题。",
    )
    year = forms.TypedChoiceField(label="年度", required=False, coerce=int, empty_value=None)
    source = forms.ChoiceField(label="问题来源", required=False)
    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部状态"), *ProblemStatus.choices]
    )
    severity = forms.ChoiceField(
        label="严重程度", required=False, choices=[("", "全部"), *Severity.choices]
    )
    overdue = forms.BooleanField(
        label="只看逾期", required=False, help_text="待整改或整改中且已过完成时限的问题。"
    )
    order = forms.ChoiceField(label="排序", required=False, choices=ORDER_CHOICES)

    def __init__(self, data=None, *args, user, sources=None, **kwargs):
        # Each year's ledger stands on its own: without a ``year`` parameter the list shows
        # this year's (choosing 全部年度 sends an empty one).
        data = data.copy() if data is not None else QueryDict(mutable=True)
        if "year" not in data:
            data["year"] = str(clock.today().year)
        super().__init__(data, *args, **kwargs)
        self.user = user
        cast(forms.ChoiceField, self.fields["year"]).choices = year_choices()
        if sources is None:
            sources = ProblemSource.objects.values_list("code", "name")
        cast(forms.ChoiceField, self.fields["source"]).choices = [("", "全部来源"), *sources]

    def clean_unit(self) -> Unit | None:
        code = self.cleaned_data.get("unit", "").strip()
        if not code:
            return None
        unit = Unit.objects.filter(code=code).first()
        if unit is None or not may_view_unit(self.user, unit):
            raise forms.ValidationError("没有找到该组织，或它不在您的查看范围内。")
        return unit

    def filters(self) -> LedgerFilters:
        """The valid filters (an invalid field is simply left out)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return LedgerFilters(
            year=data.get("year") or None,
            source=data.get("source") or "",
            status=data.get("status") or "",
            severity=data.get("severity") or "",
            overdue=bool(data.get("overdue")),
            unit=data.get("unit"),
            q=(data.get("q") or "").strip(),
            responsible=(data.get("responsible") or "").strip(),
            order=data.get("order") or "new",
        )
