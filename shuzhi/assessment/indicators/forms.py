"""Forms for indicator sets, items, derivation and adjustments. They only shape input; the
services validate it and give the Chinese messages."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from shuzhi.assessment.indicators.models import (
    AdjustmentKind,
    IndicatorItem,
    ItemKind,
    ItemSource,
    SetStatus,
)
from shuzhi.orgs.tree.models import UnitType


def _text(**attrs) -> forms.TextInput:
    return forms.TextInput(attrs={"class": "form-control", **attrs})


def _area(rows: int = 2) -> forms.Textarea:
    return forms.Textarea(attrs={"class": "form-control", "rows": rows})


def _select() -> forms.Select:
    return forms.Select(attrs={"class": "form-select"})


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's field errors on the form fields of the same name (else on the form)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class SetSearchForm(forms.Form):
    q = forms.CharField(label="主办组织或名称", required=False, max_length=100)
    year = forms.IntegerField(label="年度", required=False, min_value=2014, max_value=2100)
    status = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[("", "全部状态"), *SetStatus.choices],
        widget=_select(),
    )


class SetCreateForm(forms.Form):
    host_code = forms.CharField(
        label="主办组织代码",
        max_length=64,
        widget=_text(),
        help_text="制定考核指标的党委的组织代码。",
    )
    year = forms.IntegerField(
        label="年度",
        min_value=2014,
        max_value=2100,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )
    assessed_type = forms.ModelChoiceField(
        label="考核对象类型", queryset=UnitType.objects.all(), widget=_select()
    )
    title = forms.CharField(
        label="名称", max_length=200, required=False, widget=_text(), help_text="留空则自动生成。"
    )


class ItemForm(forms.Form):
    code = forms.CharField(label="编号", max_length=32, widget=_text())
    name = forms.CharField(label="指标名称", max_length=200, widget=_text())
    max_points = forms.DecimalField(
        label="分值",
        max_digits=6,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.5"}),
    )
    kind = forms.ChoiceField(label="指标性质", choices=ItemKind.choices, widget=_select())
    description = forms.CharField(label="指标说明", required=False, widget=_area())
    scoring_guide = forms.CharField(label="评分标准", required=False, widget=_area())
    source = forms.ChoiceField(
        label="数据来源",
        choices=ItemSource.choices,
        widget=_select(),
        help_text="自动计分的指标直接取整改台账和述职报告中的数据，不再填报。",
    )
    per_item = forms.DecimalField(
        label="每个逾期问题扣分",
        required=False,
        max_digits=6,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.5"}),
        help_text="仅用于“逾期整改问题”指标，默认 1 分。",
    )
    derived_from = forms.TypedChoiceField(
        label="派生自上级指标", required=False, coerce=int, empty_value=None, widget=_select()
    )
    override_reason = forms.CharField(
        label="采用理由",
        required=False,
        max_length=500,
        widget=_area(),
        help_text="仅当减负检查认为本指标考的是留痕或应用程序使用情况、而您确认它考的是工作结果时"
        "填写（至少 10 个字）；理由记入操作日志并印在减负检查报告上。",
    )

    def __init__(self, *args, parent_items: list[IndicatorItem] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if parent_items is None:
            del self.fields["derived_from"]
        else:
            field = self.fields["derived_from"]
            assert isinstance(field, forms.TypedChoiceField)
            field.choices = [("", "（不派生，属新增指标）")] + [
                (i.pk, f"{i.code} {i.name}（{i.max_points} 分）") for i in parent_items
            ]

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        per_item = data.pop("per_item", None)
        data["source_params"] = (
            {"per_item": str(per_item)}
            if per_item and data["source"] == ItemSource.RECT_OVERDUE
            else {}
        )
        return data


class AdjustmentForm(forms.Form):
    kind = forms.ChoiceField(label="类型", choices=AdjustmentKind.choices, widget=_select())
    points = forms.DecimalField(
        label="分值",
        max_digits=6,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.5"}),
    )
    reason = forms.CharField(label="理由", widget=_area())


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "批准"), ("reject", "不予批准")])
    note = forms.CharField(label="审批意见", required=False, max_length=2000)


class EvidenceForm(forms.Form):
    item = forms.IntegerField(widget=forms.HiddenInput)
    file = forms.FileField(
        label="佐证材料", widget=forms.ClearableFileInput(attrs={"class": "form-control"})
    )
