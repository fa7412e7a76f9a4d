"""Forms for key-task lists. They only shape input; the services validate it and speak the
Chinese messages (a form keeps what the user typed when a service refuses it)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from shuzhi.assessment.indicators.models import IndicatorItem
from shuzhi.orgs.tree.models import UnitType

from .models import KeyTask, TargetKind, TaskSource


def _text(**attrs) -> forms.TextInput:
    return forms.TextInput(attrs={"class": "form-control", **attrs})


def _select() -> forms.Select:
    return forms.Select(attrs={"class": "form-select"})


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's field errors on the fields of the same name (else on the form)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class ListSearchForm(forms.Form):
    q = forms.CharField(label="主办组织或名称", required=False, max_length=100)
    year = forms.IntegerField(label="年度", required=False, min_value=2014, max_value=2100)


class ListCreateForm(forms.Form):
    host_code = forms.CharField(
        label="主办组织代码",
        max_length=64,
        widget=_text(),
        help_text="本级党委的组织代码；清单发布后对其下适用的单位公开（晒清单）。",
    )
    year = forms.IntegerField(
        label="年度",
        min_value=2014,
        max_value=2100,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )
    title = forms.CharField(label="清单名称", max_length=200, widget=_text())
    doc_number = forms.CharField(label="文号", max_length=100, required=False, widget=_text())
    parent_list = forms.ChoiceField(
        label="派生自上级清单",
        required=False,
        widget=_select(),
        help_text="下级清单由上级清单派生：可细化目标、分解任务，不得新增上级范围以外的任务"
        "（层层加码），不得照搬照抄上级原文。",
    )

    def __init__(self, *args, parents=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["parent_list"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "（不派生，本级直接制定）")] + [
            (str(p.pk), f"{p.year} {p.host.name}：{p.title}") for p in parents
        ]


class TaskForm(forms.Form):
    code = forms.CharField(label="编号", max_length=32, widget=_text())
    title = forms.CharField(label="任务名称", max_length=200, widget=_text())
    description = forms.CharField(
        label="任务内容",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
        help_text="写明本级的具体要求；下级不要照搬上级原文。",
    )
    applies_to = forms.ModelMultipleChoiceField(
        label="适用组织类型",
        queryset=UnitType.objects.order_by("sort_order"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    target_kind = forms.ChoiceField(label="目标类型", choices=TargetKind.choices, widget=_select())
    target_value = forms.CharField(label="目标值", required=False, max_length=20, widget=_text())
    target_unit = forms.CharField(
        label="计量单位",
        required=False,
        max_length=20,
        widget=_text(),
        help_text="数值目标必填，如“%”“个”“次”。",
    )
    target_date = forms.DateField(
        label="完成时限",
        required=False,
        widget=forms.DateInput(attrs={"class": "form-control", "type": "date"}),
    )
    weight = forms.CharField(label="权重", max_length=10, initial="10", widget=_text())
    checkpoints = forms.CharField(
        label="进度节点",
        max_length=100,
        initial="06-30, 10-31",
        widget=_text(),
        help_text="月-日，逗号分隔；默认 6 月 30 日、10 月 31 日。",
    )
    source = forms.ChoiceField(
        label="进度来源",
        choices=TaskSource.choices,
        widget=_select(),
        help_text="系统已有的数据（整改完成率、逾期问题）自动取数，各单位无需填报。",
    )
    indicator: forms.ModelChoiceField = forms.ModelChoiceField(
        label="关联考核指标",
        required=False,
        queryset=IndicatorItem.objects.none(),
        widget=_select(),
        help_text="可选：关联本级考核指标，完成情况自动计入该指标。",
    )
    derived_from: forms.ModelChoiceField = forms.ModelChoiceField(
        label="派生自上级任务", required=False, queryset=KeyTask.objects.none(), widget=_select()
    )
    reason = forms.CharField(
        label="修改理由",
        required=False,
        max_length=1000,
        widget=_text(),
        help_text="清单已发布时必填，将作为新版本通知各单位。",
    )

    def __init__(self, *args, task_list, indicators, parent_tasks, **kwargs):
        super().__init__(*args, **kwargs)
        for name, queryset in (("indicator", indicators), ("derived_from", parent_tasks)):
            choice = self.fields[name]
            assert isinstance(choice, forms.ModelChoiceField)
            choice.queryset = queryset
        if not task_list.parent_list_id:
            del self.fields["derived_from"]
        if not task_list.is_published:
            del self.fields["reason"]


class SettingsForm(forms.Form):
    pledge_letters = forms.BooleanField(
        label="要求签订责任状",
        required=False,
        help_text="2024年减负规定：除专门文件外不得要求签订责任状，默认关闭。",
    )
    claiming = forms.BooleanField(label="责任清单逐项认领", required=False, help_text="默认关闭。")
    max_progress_requests = forms.IntegerField(
        label="每年调度进度次数上限",
        min_value=1,
        max_value=12,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
        help_text="防止督查检查考核过多过频。",
    )
