"""Forms for the unit operations on the unit page.

The forms only parse and describe input; the rules (unique codes, no move into the own
subtree, …) live in :mod:`shuzhi.orgs.tree.services`, whose Chinese ``ValidationError`` messages
the views copy onto these forms' fields. Field names match the services' error keys.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from shuzhi.orgs.tree.models import (
    CODE_MAX_LENGTH,
    NAME_MAX_LENGTH,
    SHORT_NAME_MAX_LENGTH,
    Unit,
    UnitType,
)

DATE_WIDGET = forms.DateInput(attrs={"type": "date", "class": "form-control"})


def _text(**attrs) -> forms.TextInput:
    return forms.TextInput(attrs={"class": "form-control", **attrs})


class UnitFieldsForm(forms.Form):
    """The editable fields of a unit (create a child, or edit)."""

    code = forms.CharField(
        label="组织代码",
        max_length=CODE_MAX_LENGTH,
        widget=_text(autocomplete="off"),
        help_text="全系统唯一，如行政区划代码 440103；不能含空格或斜杠。",
    )
    name = forms.CharField(
        label="名称",
        max_length=NAME_MAX_LENGTH,
        widget=_text(),
        help_text="组织的正式全称，如“荔湾区委”。",
    )
    short_name = forms.CharField(
        label="简称",
        max_length=SHORT_NAME_MAX_LENGTH,
        required=False,
        widget=_text(),
        help_text="可不填；列表空间不足时显示。",
    )
    type = forms.ModelChoiceField(
        label="类型",
        queryset=UnitType.objects.all(),
        widget=forms.Select(attrs={"class": "form-select"}),
        help_text="决定组织的层级（省级、市级、县级……）。",
    )
    sort_order = forms.IntegerField(
        label="排序",
        initial=0,
        required=False,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
        help_text="同一上级下按此数字从小到大排列，相同时按代码排列。",
    )

    def clean_sort_order(self) -> int:
        return self.cleaned_data.get("sort_order") or 0


class MoveForm(forms.Form):
    """Move a unit (with its whole subtree) under another unit, chosen by its code."""

    new_parent = forms.CharField(
        label="新上级组织代码",
        max_length=CODE_MAX_LENGTH,
        widget=_text(autocomplete="off"),
        help_text="输入新上级组织的代码，或在下方按代码、名称搜索后点“选用”。下级组织随之移动。",
    )


class MergeForm(forms.Form):
    """Merge a unit into another: its children move there and it is marked merged."""

    into = forms.CharField(
        label="并入组织代码",
        max_length=CODE_MAX_LENGTH,
        widget=_text(autocomplete="off"),
        help_text="本组织的全部下级组织将转入该组织，本组织标记为“已合并”，历史记录保留。",
    )
    date = forms.DateField(label="合并日期", widget=DATE_WIDGET, help_text="合并生效的日期。")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = timezone.localdate


class DissolveForm(forms.Form):
    """Mark a unit dissolved (its active children must be moved or dissolved first)."""

    date = forms.DateField(label="撤销日期", widget=DATE_WIDGET, help_text="撤销生效的日期。")
    reason = forms.CharField(
        label="撤销原因",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
        help_text="如“村庄撤并”；将记入操作记录。",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = timezone.localdate


class ReorderForm(forms.Form):
    """One position number per child; children are then sorted by those numbers."""

    def __init__(self, *args, children: list[Unit], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.children = children
        for position, child in enumerate(children, start=1):
            self.fields[f"pos_{child.pk}"] = forms.IntegerField(
                label=f"{child.code} {child.name}",
                initial=position,
                min_value=1,
                widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
            )

    def ordered_ids(self) -> list[int]:
        """Child ids by the numbers given; equal numbers keep the current order."""
        if not self.is_valid():
            raise ValidationError("表单无效。")
        current = {child.pk: i for i, child in enumerate(self.children)}
        return sorted(current, key=lambda pk: (self.cleaned_data[f"pos_{pk}"], current[pk]))


class SearchForm(forms.Form):
    """The tree browser's search box."""

    q = forms.CharField(
        label="搜索",
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "class": "form-control",
                "placeholder": "组织代码开头或名称中的文字",
                "type": "search",
            }
        ),
    )
