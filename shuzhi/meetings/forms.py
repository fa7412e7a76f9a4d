"""Forms for review meetings."""

from __future__ import annotations

from typing import cast

from django import forms

from .models import LiveDrawMethod


class SessionForm(forms.Form):
    title = forms.CharField(label="会议名称", max_length=200)
    date = forms.DateField(label="会议日期", widget=forms.DateInput(attrs={"type": "date"}))
    place = forms.CharField(label="地点", max_length=200, required=False)
    override_reason = forms.CharField(
        label="提前安排的理由",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="述职评议自上而下进行。上级听取本组织述职的会议尚未结束时，须填写理由才能安排。",
    )


class DrawForm(forms.Form):
    method = forms.ChoiceField(
        label="确定方式",
        choices=LiveDrawMethod.choices,
        help_text="随机抽取：按记录的种子从述职单位中抽取，可复核；轮换：近几年未现场述职的单位优先，余下名额随机。",
    )
    live_count = forms.IntegerField(label="现场述职人数", min_value=0, required=False)
    chosen = forms.TypedMultipleChoiceField(
        label="人工指定的现场述职人",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, entries=(), **kwargs):
        super().__init__(*args, **kwargs)
        chosen = cast(forms.ChoiceField, self.fields["chosen"])
        chosen.choices = [(e.pk, e.reporter.unit.name) for e in entries]


class CountsForm(forms.Form):
    expected = forms.IntegerField(label="应到", min_value=0, max_value=100000)
    present = forms.IntegerField(label="实到", min_value=0, max_value=100000, required=False)


class MemberForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=50)


class MembersFileForm(forms.Form):
    file = forms.FileField(
        label="名单文件",
        help_text=("CSV 或 Excel 文件，第一行为列名“类别,姓名”；类别填类别名称。"),
    )
