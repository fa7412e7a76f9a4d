"""Pages for the organisation tree: the tree browser, the unit page and the unit operations.

The browser starts at the top units of the reader's scope and loads children on demand
(htmx fragments), so a national tree of a million units is never loaded whole. Every page
answers 404 for a unit outside the reader's scope; operations answer 403 to a reader who may
see the unit but not change it. Writes call :mod:`shuzhi.orgs.tree.services` and redirect.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from shuzhi.kernel.loader import load
from shuzhi.orgs.tree import policies, selectors, services
from shuzhi.orgs.tree.forms import (
    DissolveForm,
    MergeForm,
    MoveForm,
    ReorderForm,
    SearchForm,
    UnitFieldsForm,
)
from shuzhi.orgs.tree.models import Unit

CHILDREN_PER_PAGE = 50
HISTORY_PER_PAGE = 50
# Reordering lists every child in one form; past this many the sort order field is used instead.
REORDER_MAX_CHILDREN = 200
TABS = {"children": "下级组织", "posts": "职务", "summary": "下辖统计", "history": "操作记录"}


def _visible_unit(request: HttpRequest, pk: int) -> Unit:
    return load(Unit.objects.select_related("type"), request.user, pk=pk)


def _changeable_unit(request: HttpRequest, pk: int) -> Unit:
    return load(
        Unit.objects.select_related("type"),
        request.user,
        "unit.change",
        denied="您没有权限修改该组织。",
        pk=pk,
    )


def _int_param(request: HttpRequest, name: str) -> int:
    try:
        return max(int(request.GET.get(name, 0)), 0)
    except ValueError:
        return 0


@login_required
@require_GET
def unit_tree(request: HttpRequest) -> HttpResponse:
    """The tree browser from the top of the reader's scope, and the search box."""
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    hits, truncated = selectors.search_units(request.user, query) if query else ([], False)
    context = {"form": form, "query": query, "hits": hits, "truncated": truncated}
    # htmx swaps only the results in; a history restore wants the whole page back.
    fragment = request.headers.get("HX-Request") and not request.headers.get(
        "HX-History-Restore-Request"
    )
    if fragment and "q" in request.GET:
        return render(request, "orgs/_tree_search.html", context)
    context["roots"] = selectors.tree_roots(request.user)
    return render(request, "orgs/unit_tree.html", context)


@login_required
@require_GET
def unit_children(request: HttpRequest, pk: int) -> HttpResponse:
    """The children of one unit as tree items (an htmx fragment), 200 at a time."""
    unit = _visible_unit(request, pk)
    page = selectors.children_page(request.user, unit, offset=_int_param(request, "offset"))
    return render(request, "orgs/_tree_children.html", {"unit": unit, "page": page})


@login_required
@require_GET
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Details, breadcrumbs and one tab (children, posts, subtree summary or history)."""
    unit = load(Unit.objects.select_related("type", "parent", "merged_into"), request.user, pk=pk)
    user = request.user
    can_audit = policies.can(user, "audit.view", unit)
    tabs = {k: v for k, v in TABS.items() if k != "history" or can_audit}
    tab = request.GET.get("tab", "children")
    if tab not in tabs:
        tab = "children"
    context: dict = {
        "unit": unit,
        "trail": selectors.breadcrumbs(user, unit),
        "can_change": policies.can(user, "unit.change", unit),
        "tabs": tabs,
        "tab": tab,
    }
    if tab == "children":
        children = Unit.objects.visible_to(user).filter(parent=unit).select_related("type")
        context["page"] = Paginator(children, CHILDREN_PER_PAGE).get_page(request.GET.get("page"))
    elif tab == "posts":
        context["posts"] = list(selectors.current_posts(unit))
    elif tab == "summary":
        context["summary"] = selectors.subtree_summary(user, unit)
    else:
        entries = selectors.unit_history(unit)
        context["page"] = Paginator(entries, HISTORY_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "orgs/unit_detail.html", context)


def _copy_errors(form: django_forms.Form, exc: ValidationError) -> None:
    """Put a service's field errors on the form fields of the same name (else on the form)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _operation(
    request: HttpRequest,
    unit: Unit,
    form: django_forms.Form,
    *,
    title: str,
    submit: str,
    run: Callable[[], tuple[str, str]],
    extra: dict | None = None,
    danger: bool = False,
) -> HttpResponse:
    """Show ``form``; on a valid POST call ``run`` (a service call) and redirect.

    ``run`` returns the success message and the address to go to.

    Service errors come back onto the form; the services are atomic, so a refused request
    changes nothing.
    """
    if request.method == "POST" and form.is_valid():
        try:
            message, next_url = run()
        except ValidationError as exc:
            _copy_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or "您没有权限执行此操作。")
        else:
            messages.success(request, message)
            return redirect(next_url)
    context = {
        "unit": unit,
        "trail": selectors.breadcrumbs(request.user, unit),
        "form": form,
        "title": title,
        "submit": submit,
        "danger": danger,
        **(extra or {}),
    }
    return render(request, "orgs/unit_form.html", context, status=200)


def _detail_url(unit: Unit) -> str:
    return reverse("unit_detail", args=[unit.pk])


def _target_by_code(request: HttpRequest, form: django_forms.Form, field: str) -> Unit:
    """The unit named by the code in ``form[field]``; a field error when not in scope."""
    code = form.cleaned_data[field]
    target = selectors.find_visible_by_code(request.user, code)
    if target is None:
        raise ValidationError({field: f"找不到组织代码为“{code}”的组织，或您无权查看它。"})
    return target


@login_required
def unit_add_child(request: HttpRequest, pk: int) -> HttpResponse:
    """Create a unit under this one."""
    parent = _changeable_unit(request, pk)
    form = UnitFieldsForm(request.POST or None)

    def run() -> tuple[str, str]:
        child = services.create_unit(actor=request.user, parent=parent, **form.cleaned_data)
        return f"已新建下级组织“{child.name}”。", reverse("unit_detail", args=[child.pk])

    return _operation(request, parent, form, title="新建下级组织", submit="新建", run=run)


@login_required
def unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename the unit or change its short name, type, code or sort order."""
    unit = _changeable_unit(request, pk)
    initial = {
        "code": unit.code,
        "name": unit.name,
        "short_name": unit.short_name,
        "type": unit.type_id,
        "sort_order": unit.sort_order,
    }
    form = UnitFieldsForm(request.POST or None, initial=initial)

    def run() -> tuple[str, str]:
        services.update_unit(actor=request.user, unit=unit, **form.cleaned_data)
        return "已保存组织信息。", _detail_url(unit)

    return _operation(request, unit, form, title="修改组织信息", submit="保存", run=run)


@login_required
def unit_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move the unit and its subtree under a new parent chosen by code or by search."""
    unit = _changeable_unit(request, pk)
    form = MoveForm(request.POST or None, initial={"new_parent": request.GET.get("pick", "")})
    query = (request.GET.get("q") or "").strip()
    hits = selectors.search_units(request.user, query, limit=20)[0] if query else []

    def run() -> tuple[str, str]:
        new_parent = _target_by_code(request, form, "new_parent")
        services.move_unit(actor=request.user, unit=unit, new_parent=new_parent)
        return f"已将“{unit.name}”移动到“{new_parent.name}”之下。", _detail_url(unit)

    return _operation(
        request,
        unit,
        form,
        title="移动组织",
        submit="移动",
        run=run,
        extra={"picker": True, "query": query, "hits": hits},
    )


@login_required
def unit_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge the unit into another unit (by code) on a date."""
    unit = _changeable_unit(request, pk)
    form = MergeForm(request.POST or None)

    def run() -> tuple[str, str]:
        into = _target_by_code(request, form, "into")
        services.merge_unit(
            actor=request.user, unit=unit, into=into, date=form.cleaned_data["date"]
        )
        return f"已将“{unit.name}”并入“{into.name}”。", _detail_url(unit)

    return _operation(request, unit, form, title="合并组织", submit="合并", run=run, danger=True)


@login_required
def unit_dissolve(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the unit dissolved on a date, with a reason."""
    unit = _changeable_unit(request, pk)
    form = DissolveForm(request.POST or None)

    def run() -> tuple[str, str]:
        services.dissolve_unit(
            actor=request.user,
            unit=unit,
            date=form.cleaned_data["date"],
            reason=form.cleaned_data["reason"],
        )
        return f"已撤销“{unit.name}”。", _detail_url(unit)

    return _operation(request, unit, form, title="撤销组织", submit="撤销", run=run, danger=True)


@login_required
def unit_reorder(request: HttpRequest, pk: int) -> HttpResponse:
    """Number the children 1, 2, 3 … to set their order."""
    unit = _changeable_unit(request, pk)
    children = list(
        Unit.objects.filter(parent=unit).order_by("sort_order", "code")[: REORDER_MAX_CHILDREN + 1]
    )
    if not children:
        messages.info(request, "该组织没有下级组织。")
        return redirect("unit_detail", pk=unit.pk)
    if len(children) > REORDER_MAX_CHILDREN:
        messages.warning(
            request,
            f"下级组织超过 {REORDER_MAX_CHILDREN} 个，请在各下级组织的“修改”中设置排序数字。",
        )
        return redirect("unit_detail", pk=unit.pk)
    form = ReorderForm(request.POST or None, children=children)

    def run() -> tuple[str, str]:
        services.reorder_children(actor=request.user, parent=unit, ordered_ids=form.ordered_ids())
        return "已调整下级组织的顺序。", _detail_url(unit)

    return _operation(request, unit, form, title="调整下级组织顺序", submit="保存顺序", run=run)
