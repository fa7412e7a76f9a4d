"""Pages for organisers: accounts in scope, their grants and passwords; and a user's own password.

Conventions (docs/permissions.md): an account outside the actor's scope answers 404 like a
missing one; an account the actor may see but not manage answers 403. Every change calls
:mod:`shuzhi.accounts.services`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from shuzhi.core.selectors import object_history
from shuzhi.kernel.loader import load
from shuzhi.orgs.people.policies import people_visible_to
from shuzhi.orgs.tree.models import Unit

from . import policies, services
from .forms import (
    GrantForm,
    OwnPasswordForm,
    PasswordResetForm,
    UserCreateForm,
    UserEditForm,
    apply_service_errors,
)
from .models import Grant

PAGE_SIZE = 50


def _grants_prefetch() -> Prefetch:
    return Prefetch("grants", queryset=Grant.objects.select_related("unit").order_by("unit__path"))


def _require_user_view(request: HttpRequest) -> None:
    if not policies.may_view_users(request.user):
        raise PermissionDenied("您没有查看用户的权限。")


def _unit_for_grant(actor, code: str) -> Unit | None:
    """The unit with ``code`` if it is in a scope where ``actor`` may change grants."""
    return Unit.objects.visible_to(actor, "grant.change").filter(code=(code or "").strip()).first()


UNIT_NOT_FOUND = "未找到该组织代码，或该组织不在您的管理范围内。"


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    """Accounts in scope, searchable by user name or full name."""
    _require_user_view(request)
    query = (request.GET.get("q") or "").strip()
    users = policies.users_visible_to(request.user)
    if query:
        users = users.filter(Q(username__icontains=query) | Q(full_name__icontains=query))
    users = users.prefetch_related(_grants_prefetch()).order_by("username", "pk")
    page = Paginator(users, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/user_list.html",
        {"page": page, "q": query, "can_create": bool(policies.grantable_roles(request.user))},
    )


def _render_detail(request: HttpRequest, user, **forms) -> HttpResponse:
    actor = request.user
    manage = policies.can_manage_user(actor, user)
    grants = list(user.grants.select_related("unit", "granted_by").order_by("unit__path"))
    history = object_history(actor, user._meta.label_lower, str(user.pk))
    context = {
        "subject": user,
        "grants": grants,
        "can_manage": manage,
        "is_self": user.pk == actor.pk,
        "edit_form": forms.get("edit_form")
        or UserEditForm(initial={"full_name": user.full_name, "email": user.email}),
        "grant_form": forms.get("grant_form") or GrantForm(roles=policies.grantable_roles(actor)),
        "password_form": forms.get("password_form") or PasswordResetForm(),
        "history": history[:10] if history is not None else None,
        "tokens": list(policies.tokens_visible_to(actor).filter(user=user)),
        "now": timezone.now(),
    }
    status = 400 if any(f.errors for f in forms.values()) else 200
    return render(request, "accounts/user_detail.html", context, status=status)


def _subject(request: HttpRequest, pk: int, *, manage: bool):
    return load(
        policies.users_visible_to(request.user),
        request.user,
        narrowed=True,
        allowed=policies.can_manage_user if manage else None,
        denied="您没有权限管理该用户。",
        pk=pk,
    )


@login_required
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An account: details, grants (with revoke buttons), add a grant, reset the password."""
    return _render_detail(request, _subject(request, pk, manage=False))


@login_required
def user_create(request: HttpRequest) -> HttpResponse:
    """Create an account together with its first grant."""
    roles = policies.grantable_roles(request.user)
    if not roles:
        raise PermissionDenied("您没有创建用户的权限。")
    form = UserCreateForm(request.POST or None, roles=roles)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        unit = _unit_for_grant(request.user, data["unit_code"])
        person = None
        if data["staff_number"]:
            person = (
                people_visible_to(request.user, "person.change")
                .filter(staff_number=data["staff_number"].strip())
                .first()
            )
            if person is None:
                form.add_error(
                    "staff_number", "未找到该工号对应的人员，或该人员不在您的管理范围内。"
                )
        if unit is None:
            form.add_error("unit_code", UNIT_NOT_FOUND)
        if unit is not None and not form.errors:
            try:
                user = services.create_user(
                    actor=request.user,
                    username=data["username"],
                    full_name=data["full_name"],
                    email=data["email"],
                    password=data["new_password1"],
                    person=person,
                    grants=[(data["role"], unit)],
                )
            except ValidationError as exc:
                apply_service_errors(
                    form,
                    exc,
                    {"password": "new_password1", "unit": "unit_code", "person": "staff_number"},
                )
            except PermissionDenied as exc:
                form.add_error("role", str(exc))
            else:
                messages.success(request, f"已创建用户“{user.display_name}”。")
                return redirect("user_detail", pk=user.pk)
    status = 400 if form.errors else 200
    return render(request, "accounts/user_create.html", {"form": form}, status=status)


@login_required
@require_POST
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _subject(request, pk, manage=True)
    form = UserEditForm(request.POST)
    if form.is_valid():
        try:
            services.update_user(
                actor=request.user,
                user=user,
                full_name=form.cleaned_data["full_name"],
                email=form.cleaned_data["email"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, {})
        else:
            messages.success(request, "已保存。")
            return redirect("user_detail", pk=user.pk)
    return _render_detail(request, user, edit_form=form)


@login_required
@require_POST
def user_grant_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = _subject(request, pk, manage=True)
    form = GrantForm(request.POST, roles=policies.grantable_roles(request.user))
    if form.is_valid():
        unit = _unit_for_grant(request.user, form.cleaned_data["unit_code"])
        if unit is None:
            form.add_error("unit_code", UNIT_NOT_FOUND)
        else:
            try:
                services.add_grant(
                    actor=request.user, user=user, role=form.cleaned_data["role"], unit=unit
                )
            except ValidationError as exc:
                apply_service_errors(form, exc, {"unit": "unit_code"})
            except PermissionDenied as exc:
                form.add_error("role", str(exc))
            else:
                messages.success(request, "已授权。")
                return redirect("user_detail", pk=user.pk)
    return _render_detail(request, user, grant_form=form)


@login_required
@require_POST
def grant_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    grant = load(
        Grant.objects.filter(user__in=policies.users_visible_to(request.user)),
        request.user,
        narrowed=True,
        pk=pk,
    )
    user = _subject(request, grant.user_id, manage=True)
    try:
        services.revoke_grant(actor=request.user, grant=grant)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    else:
        messages.success(request, "已撤销授权。")
    return redirect("user_detail", pk=user.pk)


@login_required
@require_POST
def user_password_reset(request: HttpRequest, pk: int) -> HttpResponse:
    user = _subject(request, pk, manage=True)
    if user.pk == request.user.pk:
        return redirect("password_change")
    form = PasswordResetForm(request.POST)
    if form.is_valid():
        try:
            services.set_password(
                actor=request.user, user=user, new_password=form.cleaned_data["new_password1"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, {"new_password": "new_password1"})
        else:
            messages.success(request, "已重置密码，请通过安全途径告知本人。")
            return redirect("user_detail", pk=user.pk)
    return _render_detail(request, user, password_form=form)


def _set_active(request: HttpRequest, pk: int, active: bool) -> HttpResponse:
    user = _subject(request, pk, manage=True)
    try:
        services.update_user(actor=request.user, user=user, is_active=active)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "账号已启用。" if active else "账号已停用。")
    return redirect("user_detail", pk=user.pk)


@login_required
@require_POST
def user_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _set_active(request, pk, False)


@login_required
@require_POST
def user_activate(request: HttpRequest, pk: int) -> HttpResponse:
    return _set_active(request, pk, True)


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    """The signed-in user changes their own password (the old one is required)."""
    form = OwnPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_password(
                actor=request.user,
                user=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password1"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, {"new_password": "new_password1"})
        else:
            # Keep this session signed in; other sessions end with the old password hash.
            update_session_auth_hash(request, request.user)  # type: ignore[arg-type]
            messages.success(request, "密码已修改。")
            return redirect("home")
    status = 400 if form.errors else 200
    return render(request, "accounts/password_change.html", {"form": form}, status=status)
