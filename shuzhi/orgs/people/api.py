"""People and posts API, mounted at /api/people.

Same policies as the pages: lists are scoped, objects outside scope answer 404, writes go
through :mod:`shuzhi.orgs.people.services` (whose ValidationError becomes a 422 with field
messages).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from shuzhi.core.bulk import jobs as bulk_jobs
from shuzhi.kernel.loader import load
from shuzhi.orgs.imports import policies
from shuzhi.orgs.imports import posts as posts_import
from shuzhi.orgs.imports import units as importing
from shuzhi.orgs.imports.models import ImportKind
from shuzhi.orgs.people import selectors, services
from shuzhi.orgs.people.models import Person, Post
from shuzhi.orgs.tree.models import Unit

router = Router(tags=["人员与职务"])


class PersonUnitRef(Schema):
    id: int
    code: str
    name: str


class PersonOut(Schema):
    id: int
    name: str
    staff_number: str | None
    unit: PersonUnitRef
    phone: str
    email: str


class PostOut(Schema):
    id: int
    person_id: int
    unit: PersonUnitRef
    role: str
    role_label: str
    start_date: datetime.date
    end_date: datetime.date | None

    @staticmethod
    def resolve_role_label(obj) -> str:
        return str(obj.get_role_display())


class PersonDetailOut(PersonOut):
    posts: list[PostOut]


class PersonIn(Schema):
    name: str
    unit_code: str
    staff_number: str | None = None
    phone: str = ""
    email: str = ""


class PersonPatch(Schema):
    name: str | None = None
    unit_code: str | None = None
    staff_number: str | None = None
    phone: str | None = None
    email: str | None = None


class PostIn(Schema):
    unit_code: str
    role: str
    start_date: datetime.date
    end_date: datetime.date | None = None


class EndPostIn(Schema):
    end_date: datetime.date


class SecretaryOut(Schema):
    unit: PersonUnitRef
    date: datetime.date
    post: PostOut | None
    person_id: int | None
    person_name: str | None


class RowErrorOut(Schema):
    row: int
    column: str
    message: str


class ImportErrorsOut(Schema):
    detail: str
    errors: list[RowErrorOut]


class ImportCountsOut(Schema):
    counts: dict[str, int]
    errors: list[RowErrorOut]


class Message(Schema):
    detail: str


def _unit(user, code: str) -> Unit:
    return load(Unit, user, code=(code or "").strip())


def _person(user, person_id: int):
    return load(Person.objects.select_related("unit"), user, pk=person_id)


@router.get("/", response=list[PersonOut])
@paginate
def list_people(request, q: str = ""):
    """People in the caller's scope; ``q`` matches a name or the start of a staff number."""
    return selectors.people_list(request.auth, text=q)


@router.get("/secretary", response=SecretaryOut)
def secretary(request, unit: str, date: datetime.date):
    """Who was secretary of the unit with code ``unit`` on ``date`` (nulls when nobody)."""
    found = _unit(request.auth, unit)
    post = selectors.secretary_on(found, date)
    if post is None:
        return {"unit": found, "date": date, "post": None, "person_id": None, "person_name": None}
    post.unit = found  # already loaded; saves a query
    return {
        "unit": found,
        "date": date,
        "post": post,
        "person_id": post.person_id,
        "person_name": post.person.name,
    }


@router.post("/", response={201: PersonOut})
def create_person(request, payload: PersonIn):
    """Register a person under the unit with ``unit_code``."""
    person = services.create_person(
        actor=request.auth,
        unit=_unit(request.auth, payload.unit_code),
        name=payload.name,
        staff_number=payload.staff_number,
        phone=payload.phone,
        email=payload.email,
    )
    return Status(201, person)


@router.get("/{int:person_id}", response=PersonDetailOut)
def person_detail(request, person_id: int):
    """A person with every post (in units the caller may see)."""
    person = _person(request.auth, person_id)
    return {
        "id": person.pk,
        "name": person.name,
        "staff_number": person.staff_number,
        "unit": person.unit,
        "phone": person.phone,
        "email": person.email,
        "posts": list(selectors.posts_of_person(person, viewer=request.auth)),
    }


@router.patch("/{int:person_id}", response=PersonOut)
def update_person(request, person_id: int, payload: PersonPatch):
    """Change the fields given; ``unit_code`` moves the person's registration."""
    person = _person(request.auth, person_id)
    data = payload.dict(exclude_unset=True)
    kwargs = {k: data[k] for k in ("name", "phone", "email") if k in data}
    if "staff_number" in data:
        kwargs["staff_number"] = data["staff_number"]
    if data.get("unit_code"):
        kwargs["unit"] = _unit(request.auth, data["unit_code"])
    return services.update_person(actor=request.auth, person=person, **kwargs)


@router.post("/{int:person_id}/posts", response={201: PostOut})
def create_post(request, person_id: int, payload: PostIn):
    """Give the person a post in the unit with ``unit_code``."""
    person = _person(request.auth, person_id)
    post = services.create_post(
        actor=request.auth,
        person=person,
        unit=_unit(request.auth, payload.unit_code),
        role=payload.role,
        start_date=payload.start_date,
        end_date=payload.end_date,
    )
    return Status(201, post)


@router.post("/posts/{int:post_id}/end", response=PostOut)
def end_post(request, post_id: int, payload: EndPostIn):
    """Close a post on ``end_date``."""
    post = load(Post.objects.select_related("unit"), request.auth, view="post.view", pk=post_id)
    return services.end_post(actor=request.auth, post=post, end_date=payload.end_date)


@router.post(
    "/posts/import",
    response={200: ImportCountsOut, 403: Message, 422: ImportErrorsOut},
)
def import_posts(
    request,
    file: UploadedFile = File(...),  # noqa: B008
    good_rows_only: bool = Form(False),
    accept_question_marks: bool = Form(False),
):
    """Import posts from a CSV or XLSX file, synchronously.

    Any bad row: 422 with every row error and nothing written — unless ``good_rows_only``, in
    which case the good rows are written and the errors come back with the counts.
    """
    if not policies.may_import_posts(request.auth):
        return Status(403, {"detail": "您没有登记职务的权限。"})
    try:
        job = importing.create_job(
            actor=request.auth,
            file_name=file.name or "",
            content=file,
            good_rows_only=good_rows_only,
            accept_question_marks=accept_question_marks,
            kind=ImportKind.POSTS,
            enqueue=False,
        )
    except ValidationError as exc:
        return Status(422, {"detail": "；".join(exc.messages), "errors": []})
    job = bulk_jobs.run(ImportKind.POSTS, job.pk)
    result = posts_import.result_of(job)
    if not result.written:
        file_errors = [e for e in result.errors if e.row == 0]
        if file_errors and len(file_errors) == len(result.errors):
            # The file as a whole could not be read: say why, as for a refused upload.
            return Status(422, {"detail": file_errors[0].message, "errors": []})
        return Status(422, {"detail": "文件中有错误，未导入任何数据。", "errors": result.errors})
    return Status(200, {"counts": result.counts, "errors": result.errors})
