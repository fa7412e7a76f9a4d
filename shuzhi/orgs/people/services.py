"""Every change to people and posts goes through these functions.

Same pattern as :mod:`shuzhi.orgs.tree.services`: keyword-only arguments, the acting user, a policy
check (``person.change`` on the unit where the person is registered, ``post.change`` on the unit
of the post), validation with Chinese messages per field, one transaction, and an audit entry in
that transaction whose ``scope_path`` is the unit's path.

Two rules carry the weight here:
- the register never holds national ID numbers: a staff number that looks like one is refused;
- a unit has at most one secretary on any date: an overlapping secretary post is refused and the
  clashing post is named, so the user knows which record to end first.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q

from shuzhi.core import audit
from shuzhi.orgs.people import policies
from shuzhi.orgs.people.models import Person, Post, PostRole
from shuzhi.orgs.tree import policies as unit_policies
from shuzhi.orgs.tree.models import Unit

PERSON_NAME_MAX_LENGTH = 50
STAFF_NUMBER_MAX_LENGTH = 32
PHONE_MAX_LENGTH = 32
PERSON_FIELDS = ("name", "staff_number", "unit", "phone", "email")
POST_FIELDS = ("person", "unit", "role", "start_date", "end_date")

# An 18-character resident ID (17 digits and a digit or X check character) or an old 15-digit
# one, standing alone or inside longer text. The lookarounds keep 16- or 20-digit numbers out.
ID_NUMBER_PATTERN = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9A-Za-z])")
ID_NUMBER_MESSAGE = "请勿填写身份证号码：本系统不保存身份证号，请填写工号或党员编号。"


class _Unset:
    """Marks an argument that was not given (so ``end_date=None`` can mean "clear it")."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def looks_like_id_number(value: str) -> bool:
    """True when ``value`` contains something shaped like a Chinese resident ID number."""
    return bool(ID_NUMBER_PATTERN.search(value or ""))


def role_label(role: str) -> str:
    return str(PostRole(role).label) if role in PostRole.values else role


def term_text(start: datetime.date, end: datetime.date | None) -> str:
    """``2021-01-01 至 2023-12-31`` or ``2021-01-01 至今``, as people write terms of office."""
    return f"{start.isoformat()} 至 {end.isoformat()}" if end else f"{start.isoformat()} 至今"


# --- validation helpers (shared with the posts import) ------------------------------------


def clean_person_name(value: str | None) -> str:
    name = (value or "").strip()
    if not name:
        raise ValidationError({"name": "姓名不能为空。"})
    if len(name) > PERSON_NAME_MAX_LENGTH:
        raise ValidationError(
            {"name": f"姓名不能超过 {PERSON_NAME_MAX_LENGTH} 个字符（现有 {len(name)} 个）。"}
        )
    return name


def clean_staff_number_format(value: str | None) -> str | None:
    """Check the shape of a staff number; ``None`` for an empty one (the column is nullable)."""
    number = (value or "").strip()
    if not number:
        return None
    if looks_like_id_number(number):
        raise ValidationError({"staff_number": ID_NUMBER_MESSAGE})
    if len(number) > STAFF_NUMBER_MAX_LENGTH:
        raise ValidationError(
            {"staff_number": f"工号或党员编号不能超过 {STAFF_NUMBER_MAX_LENGTH} 个字符。"}
        )
    if any(ch.isspace() for ch in number):
        raise ValidationError({"staff_number": "工号或党员编号不能包含空格。"})
    return number


def clean_phone(value: str | None) -> str:
    phone = (value or "").strip()
    if len(phone) > PHONE_MAX_LENGTH:
        raise ValidationError({"phone": f"联系电话不能超过 {PHONE_MAX_LENGTH} 个字符。"})
    if phone and not re.fullmatch(r"[0-9+\-() 转]{3,}", phone):
        raise ValidationError({"phone": "联系电话只能包含数字、空格、+、-、括号和“转”。"})
    return phone


def clean_email(value: str | None) -> str:
    email = (value or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError({"email": f"电子邮箱“{email}”格式不正确。"}) from None
    return email


def clean_role(value: str | None) -> str:
    if value not in PostRole.values:
        raise ValidationError({"role": "请选择职务：书记、副书记、委员或组织委员。"})
    return str(value)


def check_dates(start: datetime.date | None, end: datetime.date | None) -> None:
    if start is None:
        raise ValidationError({"start_date": "请填写任职日期。"})
    if end is not None and end < start:
        raise ValidationError(
            {"end_date": f"离任日期（{end.isoformat()}）不能早于任职日期（{start.isoformat()}）。"}
        )


def overlapping_secretary(
    unit: Unit,
    start: datetime.date,
    end: datetime.date | None,
    *,
    exclude_pk: int | None = None,
) -> Post | None:
    """Another secretary post of ``unit`` whose term overlaps ``start``–``end``, if any."""
    clash = Post.objects.filter(unit=unit, role=PostRole.SECRETARY).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=start)
    )
    if end is not None:
        clash = clash.filter(start_date__lte=end)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    return clash.select_related("person").order_by("start_date").first()


def secretary_clash_message(unit: Unit, clash: Post) -> str:
    return (
        f"{unit.name}同一时间只能有一名书记：与已登记的书记{clash.person.name}"
        f"（{term_text(clash.start_date, clash.end_date)}）任期重叠，"
        "请先为其填写离任日期或调整任职日期。"
    )


# --- permission helpers --------------------------------------------------------------------


def _require(actor, action: str, unit: Unit) -> None:
    if not unit_policies.can(actor, action, unit):
        if action.startswith("person"):
            raise PermissionDenied("您没有权限管理该组织的人员。")
        raise PermissionDenied("您没有权限管理该组织的职务。")


def _require_person_visible(actor, person: Person) -> None:
    """A post can only be given to someone the actor may see in the register."""
    if policies.can_person(actor, "person.view", person):
        return
    if not policies.people_visible_to(actor).filter(pk=person.pk).exists():
        raise PermissionDenied("您无权查看该人员。")


def _staff_number_unique(number: str | None, *, exclude_pk: int | None = None) -> None:
    if number is None:
        return
    clash = Person.objects.filter(staff_number=number)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"staff_number": f"工号或党员编号“{number}”已被其他人员使用。"})


def _lock_unit(unit: Unit) -> None:
    """Serialise post writes per unit so two requests cannot both add a secretary."""
    Unit.objects.select_for_update().filter(pk=unit.pk).first()


# --- people --------------------------------------------------------------------------------


@transaction.atomic
def create_person(
    *,
    actor,
    unit: Unit,
    name: str,
    staff_number: str | None = None,
    phone: str = "",
    email: str = "",
) -> Person:
    """Register a person under ``unit`` (where they belong; it decides who may edit them)."""
    _require(actor, "person.change", unit)
    person = Person(
        unit=unit,
        name=clean_person_name(name),
        staff_number=clean_staff_number_format(staff_number),
        phone=clean_phone(phone),
        email=clean_email(email),
    )
    _staff_number_unique(person.staff_number)
    person.save()
    audit.record(
        actor=actor,
        action="person.create",
        obj=person,
        scope_path=unit.path,
        changes={k: [None, v] for k, v in audit.snapshot(person, PERSON_FIELDS).items() if v},
    )
    return person


@transaction.atomic
def update_person(
    *,
    actor,
    person: Person,
    name: str | None = None,
    staff_number: Any = UNSET,
    phone: str | None = None,
    email: str | None = None,
    unit: Unit | None = None,
) -> Person:
    """Change a person's details, or move their registration to another unit.

    Moving needs ``person.change`` on both the old and the new unit. ``staff_number=None`` or
    an empty string clears the number.
    """
    _require(actor, "person.change", person.unit)
    if unit is not None and unit.pk != person.unit_id:
        _require(actor, "person.change", unit)
    person = Person.objects.select_for_update().select_related("unit").get(pk=person.pk)
    before = audit.snapshot(person, PERSON_FIELDS)
    if name is not None:
        person.name = clean_person_name(name)
    if staff_number is not UNSET:
        number = clean_staff_number_format(staff_number)
        if number != person.staff_number:
            _staff_number_unique(number, exclude_pk=person.pk)
        person.staff_number = number
    if phone is not None:
        person.phone = clean_phone(phone)
    if email is not None:
        person.email = clean_email(email)
    if unit is not None:
        person.unit = unit
    changes = audit.diff(before, person)
    if changes:
        person.save()
        audit.record(
            actor=actor,
            action="person.update",
            obj=person,
            scope_path=person.unit.path,
            changes=changes,
        )
    return person


# --- posts ---------------------------------------------------------------------------------


def _check_post(
    *,
    person: Person,
    unit: Unit,
    role: str,
    start: datetime.date,
    end: datetime.date | None,
    exclude_pk: int | None = None,
) -> None:
    check_dates(start, end)
    if role == PostRole.SECRETARY:
        clash = overlapping_secretary(unit, start, end, exclude_pk=exclude_pk)
        if clash is not None:
            raise ValidationError({"start_date": secretary_clash_message(unit, clash)})
    same = Post.objects.filter(person=person, unit=unit, role=role).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=start)
    )
    if end is not None:
        same = same.filter(start_date__lte=end)
    if exclude_pk is not None:
        same = same.exclude(pk=exclude_pk)
    twin = same.order_by("start_date").first()
    if twin is not None:
        raise ValidationError(
            {
                "start_date": f"{person.name}在{unit.name}已有{role_label(role)}任期"
                f"（{term_text(twin.start_date, twin.end_date)}），与本任期重叠。"
            }
        )


def _post_audit_changes(post: Post) -> dict[str, list[Any]]:
    return {k: [None, v] for k, v in audit.snapshot(post, POST_FIELDS).items() if v is not None}


@transaction.atomic
def create_post(
    *,
    actor,
    person: Person,
    unit: Unit,
    role: str,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
) -> Post:
    """Record that ``person`` holds ``role`` in ``unit`` from ``start_date`` (to ``end_date``)."""
    _require(actor, "post.change", unit)
    _require_person_visible(actor, person)
    role = clean_role(role)
    _lock_unit(unit)
    _check_post(person=person, unit=unit, role=role, start=start_date, end=end_date)
    post = Post.objects.create(
        person=person, unit=unit, role=role, start_date=start_date, end_date=end_date
    )
    audit.record(
        actor=actor,
        action="post.create",
        obj=post,
        scope_path=unit.path,
        changes=_post_audit_changes(post),
    )
    return post


@transaction.atomic
def end_post(*, actor, post: Post, end_date: datetime.date, note: str = "") -> Post:
    """Set the date a post ended (离任). A post already ended is corrected with update_post."""
    _require(actor, "post.change", post.unit)
    _lock_unit(post.unit)
    post = Post.objects.select_for_update().select_related("person", "unit").get(pk=post.pk)
    if post.end_date is not None:
        raise ValidationError(
            {
                "end_date": f"该职务已于 {post.end_date.isoformat()} 离任；"
                "如需更正离任日期，请编辑该职务。"
            }
        )
    check_dates(post.start_date, end_date)
    before = audit.snapshot(post, ("end_date",))
    post.end_date = end_date
    post.save(update_fields=["end_date", "updated_at"])
    audit.record(
        actor=actor,
        action="post.end",
        obj=post,
        scope_path=post.unit.path,
        changes=audit.diff(before, post),
        note=note,
    )
    return post


@transaction.atomic
def update_post(
    *,
    actor,
    post: Post,
    role: str | None = None,
    unit: Unit | None = None,
    start_date: datetime.date | None = None,
    end_date: Any = UNSET,
) -> Post:
    """Correct a post's role, unit or dates (``end_date=None`` reopens it as still held).

    Moving a post to another unit needs ``post.change`` on both units.
    """
    _require(actor, "post.change", post.unit)
    if unit is not None and unit.pk != post.unit_id:
        _require(actor, "post.change", unit)
    post = Post.objects.select_for_update().select_related("person", "unit").get(pk=post.pk)
    before = audit.snapshot(post, POST_FIELDS)
    if role is not None:
        post.role = clean_role(role)
    if unit is not None:
        post.unit = unit
    if start_date is not None:
        post.start_date = start_date
    if end_date is not UNSET:
        post.end_date = end_date
    changes = audit.diff(before, post)
    if not changes:
        return post
    _lock_unit(post.unit)
    _check_post(
        person=post.person,
        unit=post.unit,
        role=post.role,
        start=post.start_date,
        end=post.end_date,
        exclude_pk=post.pk,
    )
    post.save()
    audit.record(
        actor=actor, action="post.update", obj=post, scope_path=post.unit.path, changes=changes
    )
    return post


@transaction.atomic
def delete_post(*, actor, post: Post, reason: str = "") -> None:
    """Delete a post that was entered by mistake.

    Only for records that should never have existed (wrong person, wrong unit, a duplicate).
    A post that really ended is kept and closed with :func:`end_post`, so the history of who
    held the post stays complete. The deleted values are kept in the audit entry.
    """
    _require(actor, "post.change", post.unit)
    post = Post.objects.select_for_update().select_related("person", "unit").get(pk=post.pk)
    label = str(post)
    post_id = post.pk
    snapshot = audit.snapshot(post, POST_FIELDS)
    scope_path = post.unit.path
    post.delete()
    audit.record(
        actor=actor,
        action="post.delete",
        object_type="orgs.post",
        object_id=str(post_id),
        object_label=label,
        scope_path=scope_path,
        changes={k: [v, None] for k, v in snapshot.items() if v is not None},
        note=reason,
    )
