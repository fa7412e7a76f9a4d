"""Forms of the problem pages. They only shape input; the services validate and decide."""

from __future__ import annotations

from django import forms

from shuzhi.core import clock
from shuzhi.core.files import DOCUMENT, IMAGE, VIDEO, extensions_for
from shuzhi.orgs.tree.models import Unit

from .models import (
    CARRIED_SOURCE_CODE,
    CRITIQUE_SOURCE_CODE,
    DESCRIPTION_MAX_LENGTH,
    ProblemSource,
    ResponsibilityKind,
    Severity,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# Sources set by the product itself, never picked by hand.
AUTOMATIC_SOURCES = (CARRIED_SOURCE_CODE, CRITIQUE_SOURCE_CODE)
EVIDENCE_EXTENSIONS = extensions_for({DOCUMENT, IMAGE, VIDEO})


def style(form: forms.Form) -> None:
    """Bootstrap classes on every widget."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.HiddenInput):
            continue
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()


class StyledForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style(self)


def source_choices(current: ProblemSource | None = None):
    """Active sources a person may choose (plus the current one when editing)."""
    queryset = ProblemSource.objects.filter(is_active=True).exclude(code__in=AUTOMATIC_SOURCES)
    if current is not None:
        queryset = ProblemSource.objects.filter(pk=current.pk) | queryset
    return queryset.order_by("sort_order", "id")


class ProblemFieldsMixin(StyledForm):
    description = forms.CharField(
        label="问题描述",
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="写清楚具体事实：什么时间、什么事、涉及哪些单位或环节，避免笼统表述。",
    )
    source = forms.ModelChoiceField(
        label="问题来源",
        queryset=ProblemSource.objects.none(),
        empty_label="请选择",
        help_text="“上级点评”和“上年度遗留”由系统在点评和年度结转时自动填写。",
    )
    severity = forms.ChoiceField(label="严重程度", choices=Severity.choices)
    found_on = forms.DateField(label="发现日期", widget=DATE)
    responsible_leader_name = forms.CharField(
        label="责任领导", max_length=50, required=False, help_text="对整改负领导责任的班子成员。"
    )
    responsible_person_name = forms.CharField(
        label="责任人",
        max_length=50,
        required=False,
        help_text="具体负责整改的人员；验收销号须由责任人以外的人员进行。",
    )
    responsible_department = forms.CharField(label="责任部门", max_length=100, required=False)
    responsibility_kind = forms.ChoiceField(label="责任类型", choices=ResponsibilityKind.choices)
    measures = forms.CharField(
        label="整改措施",
        max_length=DESCRIPTION_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="可检查、可验收的具体措施，每条一行。",
    )
    deadline = forms.DateField(
        label="完成时限",
        required=False,
        widget=DATE,
        help_text="到期前和逾期后系统会提醒责任人；逾期由系统根据时限自动判断。",
    )


class ProblemCreateForm(ProblemFieldsMixin):
    unit = forms.ModelChoiceField(
        label="问题所在组织",
        queryset=Unit.objects.none(),
        empty_label="请选择",
        help_text="只列出您有权登记问题的组织。",
    )
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)

    field_order = ["unit", "year", "source", "description", "severity", "found_on"]

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["source"].queryset = source_choices()  # type: ignore[attr-defined]
        today = clock.today()
        self.fields["year"].initial = today.year
        self.fields["found_on"].initial = today


class ProblemEditForm(ProblemFieldsMixin):
    """Editing an item; the problem's own fields are read-only for the rectifying unit."""

    RECORD_FIELDS = ("description", "source", "severity", "found_on")

    def __init__(self, *args, problem, can_edit_record: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = source_choices(problem.source)  # type: ignore[attr-defined]
        if not can_edit_record:
            for name in self.RECORD_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = "问题本身只能由登记或验收方修改。"


class TransitionForm(StyledForm):
    to_status = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label="理由",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    verdict = forms.CharField(
        label="验收意见",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class NoteForm(StyledForm):
    on = forms.DateField(label="日期", widget=DATE)
    text = forms.CharField(
        label="整改进展", max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = clock.today()


class EvidenceForm(StyledForm):
    file = forms.FileField(
        label="佐证材料",
        help_text="支持 "
        + "、".join(e.upper() for e in EVIDENCE_EXTENSIONS if e != "jpeg")
        + " 文件。",
        widget=forms.ClearableFileInput(
            attrs={"accept": ",".join("." + e for e in EVIDENCE_EXTENSIONS)}
        ),
    )
    note = forms.CharField(label="说明", max_length=200, required=False)


class SourceForm(StyledForm):
    name = forms.CharField(label="来源名称", max_length=50)


class SourceSearchForm(StyledForm):
    q = forms.CharField(label="名称", required=False, max_length=50)


class CarryOverForm(StyledForm):
    from_year = forms.IntegerField(
        label="结转年度",
        min_value=2000,
        max_value=2099,
        help_text="该年度未销号的问题将作为“上年度遗留”转入下一年度；已销号的问题不结转。",
    )
    root = forms.ModelChoiceField(
        label="范围", queryset=Unit.objects.none(), required=False, empty_label="全部组织"
    )

    def __init__(self, *args, roots, allow_all: bool, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["root"]
        field.queryset = roots  # type: ignore[attr-defined]
        field.required = not allow_all
        if not allow_all:
            field.empty_label = None  # type: ignore[attr-defined]
        self.fields["from_year"].initial = clock.today().year - 1
