"""Forms for rectification plans. They only shape input; the services validate and decide
(their Chinese field errors are put back on these forms)."""

from __future__ import annotations

from django import forms


class PlanSummaryForm(forms.Form):
    summary = forms.CharField(
        label="总体思路",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PlanItemForm(forms.Form):
    """One item of the plan: the problem it answers and how."""

    problem = forms.IntegerField(widget=forms.HiddenInput)
    measures = forms.CharField(
        label="整改措施", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    deadline = forms.DateField(
        label="完成时限",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    responsible_leader_name = forms.CharField(label="责任领导", required=False, max_length=50)
    responsible_person_name = forms.CharField(label="责任人", required=False, max_length=50)
    responsible_department = forms.CharField(label="责任部门", required=False, max_length=100)


PlanItemFormSet = forms.formset_factory(PlanItemForm, extra=0, can_delete=True)


def plan_items(formset: forms.BaseFormSet) -> list[dict]:
    items = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data or data.get("DELETE"):
            continue
        item = dict(data)
        item.pop("DELETE", None)
        item["deadline"] = data["deadline"].isoformat() if data.get("deadline") else ""
        items.append(item)
    return items


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label="退回意见", max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
