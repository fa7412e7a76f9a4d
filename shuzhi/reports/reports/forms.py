"""Forms of the report pages. The editor's fields follow the round: one text box per section,
one per must-answer topic, two per carried item, and rows of the indicator table; the services
validate what they produce."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from shuzhi.core.files import extensions_for
from shuzhi.reports.reports.models import SECTIONS, Report, ReportStatus

SECTION_HINTS = {
    "performance": "用第一人称写清自己做了什么、效果如何，多用数据和实例，少用形容词。",
    "problems": "实事求是查摆问题，把自己摆进去，讲清深层原因。",
    "next_steps": "针对存在问题提出具体措施和完成时限。",
}
BLANK_INDICATOR_ROWS = 2


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's field errors on the form fields of the same name (else on the form)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            # A section's error ("problems") belongs to its text box ("section_problems").
            field = name if name in form.fields else f"section_{name}"
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class ReportSearchForm(forms.Form):
    q = forms.CharField(label="述职单位", required=False, max_length=100)
    status = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[("", "全部状态"), *ReportStatus.choices, ("none", "未提交")],
    )


def _text(label: str, *, rows: int = 8, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows, "class": "form-control"}),
    )


class ReportEditForm(forms.Form):
    """The whole editable report on one page."""

    title = forms.CharField(label="标题", max_length=200)

    def __init__(self, *args, report: Report, **kwargs):
        self.report = report
        round = report.reporter.round
        # The carried-on copy too: once an item moved into this year, its copy's status is the
        # item's real state.
        self.carried_rows = list(
            report.carried.select_related("problem__source", "problem__carried_to")
        )
        kwargs["initial"] = {"title": report.title} | {
            f"section_{code}": report.sections.get(code, "") for code, _label in SECTIONS
        }
        super().__init__(*args, **kwargs)
        self.fields["title"].widget.attrs["class"] = "form-control"
        for code, label in SECTIONS:
            self.fields[f"section_{code}"] = _text(label, help_text=SECTION_HINTS[code])
        self.topics = list(round.report_topics or [])
        for topic in self.topics:
            name = f"topic_{topic['code']}"
            self.fields[name] = _text(
                topic.get("title", ""), rows=5, help_text=topic.get("hint", "")
            )
            self.initial[name] = report.topic_answers.get(topic["code"], "")
        for row in self.carried_rows:
            answer, evidence = (
                f"carried_{row.problem_id}_answer",
                f"carried_{row.problem_id}_evidence",
            )
            self.fields[answer] = _text("整改情况", rows=3)
            self.fields[evidence] = _text("佐证说明", rows=2)
            self.initial[answer], self.initial[evidence] = row.answer, row.evidence
        self.indicator_count = len(report.indicators) + BLANK_INDICATOR_ROWS
        for i in range(self.indicator_count):
            current = report.indicators[i] if i < len(report.indicators) else {}
            for key, label in (
                ("name", "指标"),
                ("value", "完成值"),
                ("unit", "单位"),
                ("note", "说明"),
            ):
                name = f"ind_{i}_{key}"
                self.fields[name] = forms.CharField(
                    label=label,
                    required=False,
                    max_length=200,
                    widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
                )
                self.initial[name] = current.get(key, "")

    def section_fields(self):
        return [self[f"section_{code}"] for code, _label in SECTIONS]

    def topic_fields(self):
        return [(topic, self[f"topic_{topic['code']}"]) for topic in self.topics]

    def carried_fields(self):
        return [
            (
                row,
                self[f"carried_{row.problem_id}_answer"],
                self[f"carried_{row.problem_id}_evidence"],
            )
            for row in self.carried_rows
        ]

    def indicator_rows(self):
        return [
            [self[f"ind_{i}_{key}"] for key in ("name", "value", "unit", "note")]
            for i in range(self.indicator_count)
        ]

    def service_kwargs(self) -> dict:
        """The cleaned data in the shape of :func:`services.save_draft`."""
        data = self.cleaned_data
        return {
            "title": data["title"],
            "sections": {code: data[f"section_{code}"] for code, _label in SECTIONS},
            "topic_answers": {t["code"]: data[f"topic_{t['code']}"] for t in self.topics},
            "indicators": [
                {key: data[f"ind_{i}_{key}"] for key in ("name", "value", "unit", "note")}
                for i in range(self.indicator_count)
            ],
            "carried": {
                str(row.problem_id): {
                    "answer": data[f"carried_{row.problem_id}_answer"],
                    "evidence": data[f"carried_{row.problem_id}_evidence"],
                }
                for row in self.carried_rows
            },
        }


class ReviewForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(ReportStatus.RETURNED, "退回修改"), (ReportStatus.ACCEPTED, "审核通过")],
        error_messages={"required": "请选择审核结果。", "invalid_choice": "请选择审核结果。"},
    )
    comment = forms.CharField(
        label="审核意见",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        help_text="退回时必须写明修改意见。",
    )


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label="附件",
        help_text="可上传 "
        + "、".join(
            sorted({e for e in extensions_for({"document", "image", "video"}) if e != "jpeg"})
        )
        + " 文件。",
        widget=forms.ClearableFileInput(attrs={"class": "form-control"}),
    )


class CompareForm(forms.Form):
    a = forms.IntegerField(label="旧版本", min_value=1)
    b = forms.IntegerField(label="新版本", min_value=1)
    view = forms.ChoiceField(
        label="显示方式",
        required=False,
        choices=[("side", "左右对照"), ("inline", "修订标记")],
    )
