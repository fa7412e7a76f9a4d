"""Forms of the grading pages. They only parse input; the rules live in :mod:`composite` and
:mod:`grading.services`."""

from __future__ import annotations

from typing import Any

from django import forms

from shuzhi.assessment.grading import composite


class GradingSearchForm(forms.Form):
    q = forms.CharField(label="名称或主办组织", required=False, max_length=100)
    year = forms.IntegerField(label="年度", required=False, min_value=2000, max_value=2100)


class RowSearchForm(forms.Form):
    q = forms.CharField(label="单位或述职人", required=False, max_length=100)
    grade = forms.CharField(label="评定等次", required=False, max_length=16)


class SettingsForm(forms.Form):
    """The formula as fields: a weight (blank = not used) and a method per component, a
    threshold per grade, and the policies."""

    good_cap_share = forms.DecimalField(
        label="“好”等次比例上限", required=False, min_value=0, max_value=1, decimal_places=4
    )
    disqualifiers = forms.CharField(
        label="否决情形",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="每行一个，格式：代码:名称，例如 accident:发生重大安全责任事故",
    )
    min_ballots_for_grade = forms.IntegerField(
        label="给出建议等次的最少票数", required=False, min_value=0, initial=0
    )

    def __init__(self, *args, scale: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.scale = scale
        for code, label in composite.COMPONENTS.items():
            self.fields[f"w_{code}"] = forms.DecimalField(
                label=f"{label}权重", required=False, min_value=0, max_value=1, decimal_places=4
            )
            self.fields[f"m_{code}"] = forms.ChoiceField(
                label=f"{label}计算方法",
                choices=list(composite.METHODS[code].items()),
                required=False,
            )
        for s in scale:
            self.fields[f"t_{s['code']}"] = forms.DecimalField(
                label=f"“{s['label']}”分数线",
                required=False,
                min_value=0,
                max_value=100,
                decimal_places=2,
            )

    @classmethod
    def initial_from(cls, formula: list[dict], thresholds: list[dict], policies: dict) -> dict:
        initial: dict[str, Any] = {}
        for entry in formula:
            initial[f"w_{entry['code']}"] = entry.get("weight")
            initial[f"m_{entry['code']}"] = entry.get("method")
        for t in thresholds:
            initial[f"t_{t['grade']}"] = t.get("min")
        initial["good_cap_share"] = policies.get("good_cap_share")
        initial["disqualifiers"] = "\n".join(
            f"{d['code']}:{d['label']}" for d in policies.get("disqualifiers") or []
        )
        initial["min_ballots_for_grade"] = policies.get("min_ballots_for_grade") or 0
        return initial

    def component_rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [
            (label, self[f"w_{code}"], self[f"m_{code}"])
            for code, label in composite.COMPONENTS.items()
        ]

    def threshold_fields(self) -> list[forms.BoundField]:
        return [self[f"t_{s['code']}"] for s in self.scale]

    def as_data(self) -> tuple[list[dict], list[dict], dict]:
        """``(formula, thresholds, policies)`` for :func:`grading_services.save_grading`."""
        data = self.cleaned_data
        formula = [
            {"code": code, "weight": str(data[f"w_{code}"]), "method": data[f"m_{code}"] or ""}
            for code in composite.COMPONENTS
            if data.get(f"w_{code}")
        ]
        thresholds = [
            {"grade": s["code"], "min": str(data[f"t_{s['code']}"])}
            for s in self.scale
            if data.get(f"t_{s['code']}") is not None
        ]
        disqualifiers = []
        for line in (data.get("disqualifiers") or "").splitlines():
            if not line.strip():
                continue
            code, _sep, label = line.replace("：", ":").partition(":")
            disqualifiers.append({"code": code.strip(), "label": (label or code).strip()})
        cap = data.get("good_cap_share")
        policies = {
            "good_cap_share": None if cap in (None, "") else str(cap),
            "disqualifiers": disqualifiers,
            "min_ballots_for_grade": data.get("min_ballots_for_grade") or 0,
        }
        return formula, thresholds, policies


class DecideForm(forms.Form):
    final = forms.CharField(label="评定等次", max_length=16)
    reason = forms.CharField(label="调整理由", required=False, max_length=2000)
    disqualifiers = forms.MultipleChoiceField(label="否决情形", required=False, choices=[])
    opinion = forms.CharField(label="综合评价意见", required=False, max_length=5000)

    def __init__(self, *args, disqualifiers: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["disqualifiers"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = disqualifiers


class CorrectForm(forms.Form):
    final = forms.ChoiceField(label="更正后的等次", choices=[])
    reason = forms.CharField(
        label="更正理由", max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    opinion = forms.CharField(
        label="综合评价意见",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, scale: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["final"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(s["code"], s["label"]) for s in scale]


class RankingForm(forms.Form):
    year = forms.IntegerField(label="年度", required=False, min_value=2000, max_value=2100)
    round = forms.IntegerField(label="述职评议", required=False, min_value=1)
    session = forms.IntegerField(label="会议", required=False, min_value=1)
    unit = forms.IntegerField(label="范围（组织）", required=False, min_value=1)
    order = forms.ChoiceField(
        label="排序",
        required=False,
        choices=[("composite", "综合得分"), ("grade", "评定等次"), *composite.COMPONENTS.items()],
    )
