"""Forms for people and posts. They collect input; the services decide what is valid."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from shuzhi.orgs.people.models import PostRole
from shuzhi.orgs.tree.models import Unit


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the matching fields (others above the form)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            target = name if name in form.fields else None
            for error in errors:
                form.add_error(target, error.messages)
    else:
        form.add_error(None, exc.messages)


class UnitCodeField(forms.CharField):
    """A unit chosen by its code; resolved against the units the user may see."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "组织代码")
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("help_text", "填写组织代码，如 440103；可在“组织”页面查到。")
        super().__init__(**kwargs)


class _UnitByCodeMixin:
    """Resolves a unit code to ``resolved_unit`` among the units the user may see."""

    user = None
    resolved_unit: Unit | None = None

    def _resolve_unit(self, code: str) -> str:
        code = code.strip()
        if not code:
            return code
        unit = Unit.objects.visible_to(self.user).filter(code=code).first()
        if unit is None:
            raise ValidationError(f"组织代码“{code}”不存在或不在您的管理范围内。")
        self.resolved_unit = unit
        return code

    def clean_unit_code(self):
        return self._resolve_unit(self.cleaned_data["unit_code"])  # type: ignore[attr-defined]


class PersonForm(_UnitByCodeMixin, forms.Form):
    """Create a person or edit one."""

    name = forms.CharField(label="姓名", max_length=50)
    staff_number = forms.CharField(
        label="工号或党员编号",
        max_length=32,
        required=False,
        help_text="选填，全系统唯一。请勿填写身份证号码。",
    )
    unit_code = UnitCodeField(help_text="人员所在组织的代码，它决定谁可以查看和修改此人员。")
    phone = forms.CharField(label="联系电话", max_length=32, required=False)
    email = forms.EmailField(
        label="电子邮箱", required=False, error_messages={"invalid": "电子邮箱格式不正确。"}
    )

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "off"
        self.fields["phone"].widget.attrs["inputmode"] = "tel"
        for f in self.fields.values():
            f.widget.attrs.setdefault("class", "form-control")


class PostForm(_UnitByCodeMixin, forms.Form):
    """Give a person a post."""

    unit_code = UnitCodeField(help_text="任职组织的代码，如 440103。")
    role = forms.ChoiceField(label="职务", choices=PostRole.choices)
    start_date = forms.DateField(
        label="任职日期", widget=DateInput(), help_text="格式 YYYY-MM-DD。"
    )
    end_date = forms.DateField(
        label="离任日期",
        required=False,
        widget=DateInput(),
        help_text="仍在任的留空；同一组织同一天只能有一名书记。",
    )

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        for name, f in self.fields.items():
            f.widget.attrs.setdefault("class", "form-select" if name == "role" else "form-control")


class EndPostForm(forms.Form):
    """Close a post on a date."""

    end_date = forms.DateField(
        label="离任日期", widget=DateInput(attrs={"class": "form-control form-control-sm"})
    )


class SecretaryQueryForm(_UnitByCodeMixin, forms.Form):
    """Who was secretary of a unit on a date."""

    unit = UnitCodeField(  # type: ignore[assignment]
        widget=forms.TextInput(attrs={"class": "form-control"}),
        help_text="填写组织代码，如 440103。",
    )
    date = forms.DateField(
        label="日期",
        widget=DateInput(attrs={"class": "form-control"}),
        help_text="查询该日在任的书记。",
    )

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_unit(self):
        return self._resolve_unit(self.cleaned_data["unit"])


class PostsImportForm(forms.Form):
    """Upload a posts file."""

    file = forms.FileField(
        label="职务文件",
        help_text="Excel、CSV（UTF-8 或 GB18030 编码）或 Unicode 文本文件，"
        "第一行为列名；请先下载模板。",
        widget=forms.ClearableFileInput(
            attrs={"class": "form-control", "accept": ".csv,.xlsx,.txt"}
        ),
    )
    good_rows_only = forms.BooleanField(
        label="只导入无误的行",
        required=False,
        help_text="不勾选时，只要有一行有误就整份文件都不导入。",
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    accept_question_marks = forms.BooleanField(
        label="确认名称中的问号无误",
        required=False,
        help_text="名称中含“?”的行默认不导入（多为另存为 ANSI 时丢失的生僻字）；"
        "确认名称本来如此时才勾选。",
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
