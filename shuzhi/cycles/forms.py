"""Forms for rounds. Policies are edited as plain lines (one grade or category per line), the
way an organiser would write them down; the services validate the result."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError

from shuzhi.orgs.tree.models import UnitType

from . import policy


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's field errors on the form fields of the same name (else on the form)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class RoundSearchForm(forms.Form):
    q = forms.CharField(label="主办组织", required=False, max_length=100)
    year = forms.IntegerField(label="年度", required=False, min_value=2014, max_value=2100)


class RoundCreateForm(forms.Form):
    host_code = forms.CharField(
        label="主办组织代码",
        max_length=64,
        help_text="听取述职的党委（党组）的组织代码，如 470000。",
    )
    year = forms.IntegerField(label="年度", min_value=2014, max_value=2100)
    title = forms.CharField(
        label="名称", max_length=200, required=False, help_text="留空则按“组织名称+年度”自动生成。"
    )


def _lines(text: str) -> list[list[str]]:
    rows = []
    for line in (text or "").splitlines():
        line = line.replace("，", ",").strip()
        if line:
            rows.append([part.strip() for part in line.split(",")])
    return rows


def scale_text(scale: list[dict]) -> str:
    return "\n".join(f"{s['code']},{s['label']},{s['points']}" for s in scale)


def categories_text(categories: list[dict]) -> str:
    return "\n".join(f"{c['code']},{c['label']},{c['weight']}" for c in categories)


def sub_items_text(sub_items: list[dict]) -> str:
    return "\n".join(f"{s['code']},{s['label']}" for s in sub_items)


def quotas_text(quotas: dict) -> str:
    return "\n".join(f"{code}={limit}" for code, limit in quotas.items())


def report_topics_text(topics: list[dict]) -> str:
    return "\n".join(
        ",".join(p for p in (t["code"], t["title"], t.get("hint", "")) if p) for t in topics
    )


def report_checks_text(checks: dict) -> str:
    return "\n".join(f"{key}={value}" for key, value in checks.items())


def _report_checks_help() -> str:
    keys = "；".join(f"{key}：{meaning}" for key, (meaning, *_) in policy.REPORT_CHECK_KEYS.items())
    return f"每行一项：key=数值，未列出的取默认值。可用的项：{keys}。"


class RoundEditForm(forms.Form):
    title = forms.CharField(label="名称", max_length=200)
    scale = forms.CharField(
        label="评价等次",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="每行一个等次：代码,名称,分值。例：good,好,100",
    )
    categories = forms.CharField(
        label="参评人员类别与权重",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="每行一个类别：代码,名称,权重。各类别权重之和必须等于 1。",
    )
    sub_items = forms.CharField(
        label="分项评价",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="可不填。每行一个分项：代码,名称。例：duty,履行责任",
    )
    quotas = forms.CharField(
        label="每人名额限制",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="可不填（不限）。每行：等次代码=最多几个。例：good=3",
    )
    quorum_ratio = forms.DecimalField(
        label="到会比例下限",
        max_digits=4,
        decimal_places=3,
        help_text="实到人数必须超过应到人数的这一比例才能投票；0.5 即“过半数”。",
    )
    close_turnout = forms.DecimalField(
        label="结束投票的投票率下限",
        required=False,
        max_digits=4,
        decimal_places=3,
        help_text="正式投票的票数低于实到人数的这一比例时，结束投票须说明理由；"
        "留空按系统默认（三分之二），0 即不作要求。",
    )
    min_ballots = forms.IntegerField(
        label="结果显示最少票数",
        help_text="某人的有效票、或某类别投出的选票少于此数时不显示其结果；不能低于系统下限。",
    )
    live_rotation_years = forms.IntegerField(
        label="现场述职轮换年限", help_text="每个单位至少每隔这么多年现场述职一次。"
    )
    report_due = forms.DateField(
        label="报告提交截止日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="可不填。须在本年度或下一年内。",
    )
    report_topics = forms.CharField(
        label="必答题",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=(
            "可不填。每行一题：代码,题目,提示（提示可省略），最多 10 题。"
            "例：rectify,上年度问题整改情况,逐项说明整改措施和成效"
        ),
    )
    report_checks = forms.CharField(
        label="报告质量检查阈值",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_report_checks_help(),
    )

    def clean_scale(self) -> list[dict]:
        rows = _lines(self.cleaned_data["scale"])
        scale = []
        for number, row in enumerate(rows, start=1):
            if len(row) != 3:
                raise ValidationError(f"第 {number} 行应为“代码,名称,分值”三项。")
            try:
                points = int(row[2])
            except ValueError as exc:
                raise ValidationError(f"第 {number} 行的分值“{row[2]}”不是整数。") from exc
            scale.append({"code": row[0], "label": row[1], "points": points})
        return scale

    def clean_categories(self) -> list[dict]:
        categories = []
        for number, row in enumerate(_lines(self.cleaned_data["categories"]), start=1):
            if len(row) != 3:
                raise ValidationError(f"第 {number} 行应为“代码,名称,权重”三项。")
            try:
                Decimal(row[2])
            except InvalidOperation as exc:
                raise ValidationError(f"第 {number} 行的权重“{row[2]}”不是数字。") from exc
            categories.append({"code": row[0], "label": row[1], "weight": row[2]})
        return categories

    def clean_sub_items(self) -> list[dict]:
        items = []
        for number, row in enumerate(_lines(self.cleaned_data["sub_items"]), start=1):
            if len(row) != 2:
                raise ValidationError(f"第 {number} 行应为“代码,名称”两项。")
            items.append({"code": row[0], "label": row[1]})
        return items

    def clean_quotas(self) -> dict:
        quotas: dict[str, int] = {}
        for number, line in enumerate((self.cleaned_data["quotas"] or "").splitlines(), start=1):
            line = line.replace("＝", "=").strip()
            if not line:
                continue
            code, _, limit = line.partition("=")
            try:
                quotas[code.strip()] = int(limit)
            except ValueError as exc:
                raise ValidationError(f"第 {number} 行应为“等次代码=整数”。") from exc
        return quotas

    def clean_report_topics(self) -> list[dict]:
        topics = []
        for number, line in enumerate(
            (self.cleaned_data["report_topics"] or "").splitlines(), start=1
        ):
            if not line.strip():
                continue
            # Only the first two commas separate: a hint may well contain commas of its own.
            parts = [p.strip() for p in re.split(r"[,，]", line.strip(), maxsplit=2)]
            if len(parts) < 2:
                raise ValidationError(f"第 {number} 行应为“代码,题目,提示”（提示可省略）。")
            topics.append({"code": parts[0], "title": parts[1], "hint": "".join(parts[2:])})
        return topics

    def clean_report_checks(self) -> dict:
        checks: dict[str, int | float] = {}
        for number, line in enumerate(
            (self.cleaned_data["report_checks"] or "").splitlines(), start=1
        ):
            line = line.replace("＝", "=").strip()
            if not line:
                continue
            key, _, value = (p.strip() for p in line.partition("="))
            known = policy.REPORT_CHECK_KEYS.get(key)
            if known is None:
                raise ValidationError(f"第 {number} 行：没有名为“{key}”的检查阈值。")
            try:
                checks[key] = int(value) if known[1] is int else float(value)
            except ValueError as exc:
                kind = "整数" if known[1] is int else "数字"
                raise ValidationError(f"第 {number} 行应为“{key}={kind}”。") from exc
        return checks


class CodesForm(forms.Form):
    codes = forms.CharField(
        label="组织代码",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="一个或多个组织代码，用空格、逗号或换行分隔。",
    )


class TypeForm(forms.Form):
    type = forms.ModelChoiceField(label="组织类型", queryset=UnitType.objects.all())
    direct_only = forms.BooleanField(
        label="只选直属下级", required=False, initial=True, help_text="不勾选则包括所有下级。"
    )


class FileForm(forms.Form):
    file = forms.FileField(
        label="文件",
        help_text=("CSV 或 Excel 文件，第一行为列名“组织代码”，每行一个组织代码。"),
    )


class ReporterPersonForm(forms.Form):
    person: forms.ModelChoiceField = forms.ModelChoiceField(
        label="述职人", queryset=None, required=False, help_text="留空表示暂不指定。"
    )

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people  # type: ignore[attr-defined]
