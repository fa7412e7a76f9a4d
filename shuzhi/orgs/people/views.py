"""Pages for people and posts: the register, a person's career, posts, the secretary on a date,
and the posts import.

Views stay thin: forms collect input, :mod:`~shuzhi.orgs.people.services` writes,
:mod:`~shuzhi.orgs.people.selectors` reads through the policies. Anything outside the user's
scope answers 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from shuzhi.core.bulk import jobs as bulk_jobs
from shuzhi.exports.responses import CSV, attachment
from shuzhi.kernel.loader import load, require_anywhere
from shuzhi.kernel.scope import may_anywhere
from shuzhi.orgs.imports import policies as import_policies
from shuzhi.orgs.imports import posts as posts_import
from shuzhi.orgs.imports import units as importing
from shuzhi.orgs.imports.models import ImportKind
from shuzhi.orgs.people import policies, selectors, services
from shuzhi.orgs.people.forms import (
    EndPostForm,
    PersonForm,
    PostForm,
    PostsImportForm,
    SecretaryQueryForm,
    apply_service_errors,
)
from shuzhi.orgs.people.models import Person, Post
from shuzhi.orgs.tree import policies as unit_policies
from shuzhi.orgs.tree.models import Unit

PAGE_SIZE = 30
HISTORY_LIMIT = 100


def _visible_person(user, pk: int, action: str | None = None, denied: str = "") -> Person:
    return load(
        Person.objects.select_related("unit"),
        user,
        action,
        not_found="人员不存在或不在您的查看范围内。",
        denied=denied or "您没有权限执行此操作。",
        pk=pk,
    )


def _visible_post(user, pk: int, action: str | None = None, denied: str = "") -> Post:
    return load(
        Post.objects.select_related("person", "unit"),
        user,
        action,
        view="post.view",
        denied=denied or "您没有权限执行此操作。",
        pk=pk,
    )


def _resolved(form) -> Unit:
    """The unit a valid form resolved from its required unit code."""
    unit = form.resolved_unit
    if unit is None:  # cannot happen after is_valid() with a required code field
        raise Http404
    return unit


@login_required
def person_list(request: HttpRequest) -> HttpResponse:
    """The people register in the user's scope, searchable by name or staff number."""
    text = request.GET.get("q", "").strip()
    people = selectors.people_list(request.user, text=text)
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "orgs/person_list.html",
        {
            "page": page,
            "q": text,
            "may_create": may_anywhere(request.user, "person.change"),
            "may_import": import_policies.may_import_posts(request.user),
        },
    )


@login_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A person: details, every post (in scope) with units and dates, and the history."""
    person = _visible_person(request.user, pk)
    return render(request, "orgs/person_detail.html", _detail_context(request, person))


def _detail_context(request: HttpRequest, person: Person, **forms) -> dict:
    user = request.user
    posts = list(selectors.posts_of_person(person, viewer=user))
    ended = forms.get("ended")  # (post id, refused EndPostForm): shown again as typed
    for post in posts:
        post.may_change = unit_policies.can(user, "post.change", post.unit)  # type: ignore[attr-defined]
        if ended is not None and ended[0] == post.pk:
            post.end_typed = ended[1].data.get("end_date", "")  # type: ignore[attr-defined]
            post.end_errors = [  # type: ignore[attr-defined]
                e for errors in ended[1].errors.values() for e in errors
            ]
    may_change = policies.can_person(user, "person.change", person)
    history = None
    if policies.may_read_audit(user):
        history = list(
            selectors.person_history(user, person, [p.pk for p in posts])[:HISTORY_LIMIT]
        )
    edit_form = forms.get("edit_form")
    if edit_form is None and may_change:
        edit_form = PersonForm(user=user, initial=_person_initial(person))
    post_form = forms.get("post_form")
    if post_form is None and may_anywhere(user, "post.change"):
        post_form = PostForm(user=user, initial={"unit_code": person.unit.code})
    return {
        "person": person,
        "posts": posts,
        "may_change": may_change,
        "history": history,
        "edit_form": edit_form,
        "post_form": post_form,
        "end_form": EndPostForm(),
    }


def _person_initial(person: Person) -> dict:
    return {
        "name": person.name,
        "staff_number": person.staff_number or "",
        "unit_code": person.unit.code,
        "phone": person.phone,
        "email": person.email,
    }


@login_required
def person_create(request: HttpRequest) -> HttpResponse:
    """Register a new person under a unit the user manages."""
    require_anywhere(request.user, "person.change", "您没有新增人员的权限。")
    form = PersonForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.create_person(
                actor=request.user,
                unit=_resolved(form),
                name=form.cleaned_data["name"],
                staff_number=form.cleaned_data["staff_number"],
                phone=form.cleaned_data["phone"],
                email=form.cleaned_data["email"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("unit_code", str(exc))
        else:
            messages.success(request, f"已新增人员“{person.name}”。")
            return redirect("person_detail", pk=person.pk)
    return render(request, "orgs/person_form.html", {"form": form, "person": None})


@login_required
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a person's details (``person.change`` on the unit where they are registered)."""
    person = _visible_person(request.user, pk, "person.change", "您没有修改该人员的权限。")
    form = PersonForm(request.POST or None, user=request.user, initial=_person_initial(person))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_person(
                actor=request.user,
                person=person,
                name=form.cleaned_data["name"],
                staff_number=form.cleaned_data["staff_number"],
                phone=form.cleaned_data["phone"],
                email=form.cleaned_data["email"],
                unit=form.resolved_unit,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("unit_code", str(exc))
        else:
            messages.success(request, "已保存。")
            return redirect("person_detail", pk=person.pk)
    return render(request, "orgs/person_form.html", {"form": form, "person": person})


@login_required
def post_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Give a person a post in a unit the user manages."""
    person = _visible_person(request.user, pk)
    require_anywhere(request.user, "post.change", "您没有登记职务的权限。")
    form = PostForm(
        request.POST or None, user=request.user, initial={"unit_code": person.unit.code}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.create_post(
                actor=request.user,
                person=person,
                unit=_resolved(form),
                role=form.cleaned_data["role"],
                start_date=form.cleaned_data["start_date"],
                end_date=form.cleaned_data["end_date"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("unit_code", str(exc))
        else:
            messages.success(request, "已登记职务。")
            return redirect("person_detail", pk=person.pk)
    return render(request, "orgs/person_post_form.html", {"form": form, "person": person})


@login_required
@require_POST
def post_end(request: HttpRequest, post_id: int) -> HttpResponse:
    """Close a post on the date given."""
    post = _visible_post(request.user, post_id)
    form = EndPostForm(request.POST)
    if form.is_valid():
        try:
            services.end_post(actor=request.user, post=post, end_date=form.cleaned_data["end_date"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已为“{post}”填写离任日期。")
            return redirect("person_detail", pk=post.person_id)
    elif "end_date" in form.errors:
        form.errors["end_date"] = form.error_class(["请填写有效的离任日期（年-月-日）。"])
    # Refused: the person's page again, the date as typed and the reason beside it.
    messages.error(request, "离任日期未能保存，请按提示修改。")
    person = _visible_person(request.user, post.person_id)
    context = _detail_context(request, person, ended=(post.pk, form))
    return render(request, "orgs/person_detail.html", context)


@login_required
def post_delete(request: HttpRequest, post_id: int) -> HttpResponse:
    """Delete a post entered by mistake, after a confirmation page."""
    post = _visible_post(request.user, post_id, "post.change", "您没有管理该组织职务的权限。")
    if request.method == "POST":
        services.delete_post(
            actor=request.user, post=post, reason=request.POST.get("reason", "").strip()[:500]
        )
        messages.success(request, "已删除误录的职务。")
        return redirect("person_detail", pk=post.person_id)
    return render(request, "orgs/person_post_delete.html", {"post": post})


@login_required
def secretary_lookup(request: HttpRequest) -> HttpResponse:
    """Who was secretary of a unit on a date: ``?unit=CODE&date=YYYY-MM-DD``."""
    form = SecretaryQueryForm(request.GET or None, user=request.user)
    answer = None
    asked = False
    if form.is_bound and form.is_valid():
        asked = True
        answer = selectors.secretary_on(_resolved(form), form.cleaned_data["date"])
    return render(
        request,
        "orgs/secretary_lookup.html",
        {"form": form, "answer": answer, "asked": asked, "unit": form.resolved_unit},
    )


@login_required
def posts_import_page(request: HttpRequest) -> HttpResponse:
    """Upload a posts file; show every bad row (with a CSV report) or the counts."""
    if not import_policies.may_import_posts(request.user):
        raise PermissionDenied("您没有登记职务的权限。")
    form = PostsImportForm(request.POST or None, request.FILES or None)
    context: dict = {"form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = importing.create_job(
                actor=request.user,
                file_name=upload.name,
                content=upload,
                good_rows_only=form.cleaned_data["good_rows_only"],
                accept_question_marks=form.cleaned_data["accept_question_marks"],
                kind=ImportKind.POSTS,
                enqueue=False,
            )
        except ValidationError as exc:
            for message in exc.message_dict.get("file", exc.messages):
                form.add_error("file", message)
        else:
            # A posts file is small: it runs here, through the shared runner, and the page
            # shows its result at once; the job keeps the file and the error report.
            job = bulk_jobs.run(ImportKind.POSTS, job.pk)
            result = posts_import.result_of(job)
            context["result"] = result
            context["job"] = job
            if job.error_report:
                importer = bulk_jobs.importer_for(ImportKind.POSTS)
                context["report_url"] = importer.url("errors", job)
            if result.written:
                messages.success(request, "导入完成。")
    return render(request, "orgs/posts_import.html", context)


@login_required
def posts_import_template(request: HttpRequest) -> HttpResponse:
    """The CSV template with the column names and two example rows."""
    return attachment(posts_import.template_csv(), filename="posts-template.csv", content_type=CSV)
