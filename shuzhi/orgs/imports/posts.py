"""Import posts (who held which role in which unit, when) from CSV or XLSX.

Columns: ``unit_code, person_name, staff_number, role, start_date, end_date`` and optionally
``phone, email``. ``role`` is a code (``secretary`` …) or its Chinese label (书记 …). Dates are
``YYYY-MM-DD`` or what Excel gives for a date cell (``2024-01-05 00:00:00``).

A person is found by staff number when one is given, otherwise by name within the unit; a person
not yet registered is created under the row's unit. Every row is checked before anything is
written; each bad row is reported with its number and reason, and nothing is imported while any
row is bad unless the caller asks for the good rows only.

Two entry points keep the shape the import jobs call: :func:`validate_posts` (read-only) and
:func:`write_posts` (one transaction). :func:`import_posts` runs both for the synchronous paths.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from shuzhi.core import audit
from shuzhi.core.progress import JobProgress
from shuzhi.exports.sheets import csv_bytes
from shuzhi.orgs.imports import policies
from shuzhi.orgs.imports.models import ImportJob, ImportKind, ImportStatus
from shuzhi.orgs.imports.tabular import RowError, Table, lost_characters, lost_message
from shuzhi.orgs.imports.units.common import ImportRefused
from shuzhi.orgs.imports.units.jobs import _ImportJobs
from shuzhi.orgs.people import services as ps
from shuzhi.orgs.people.models import Person, Post, PostRole
from shuzhi.orgs.tree import policies as unit_policies
from shuzhi.orgs.tree.models import Unit

REQUIRED_COLUMNS = ["unit_code", "person_name", "role", "start_date"]
TEMPLATE_COLUMNS = [
    "unit_code",
    "person_name",
    "staff_number",
    "role",
    "start_date",
    "end_date",
    "phone",
    "email",
]
TEMPLATE_EXAMPLE = [
    ["440103", "张三", "GZ0001", "书记", "2024-01-05", "", "020-12345678", ""],
    ["440103", "李四", "", "副书记", "2023-03-01", "2025-12-31", "", "lisi@example.cn"],
]

# Labels people type for each role, besides the codes themselves.
ROLE_ALIASES: dict[str, str] = {
    **{str(label): value for value, label in PostRole.choices},
    "党委书记": PostRole.SECRETARY,
    "支部书记": PostRole.SECRETARY,
    "党支部书记": PostRole.SECRETARY,
    "党委副书记": PostRole.DEPUTY_SECRETARY,
    "支部副书记": PostRole.DEPUTY_SECRETARY,
    "委员会委员": PostRole.COMMITTEE_MEMBER,
    "党委委员": PostRole.COMMITTEE_MEMBER,
    "支委委员": PostRole.COMMITTEE_MEMBER,
}

COMMAND_LINE_ACTOR = "命令行导入"

_DATE_PATTERNS = [
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?: \d{1,2}:\d{2}(?::\d{2})?)?$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]


def parse_role(text: str) -> str | None:
    """The role code for a code or a Chinese label, or None when unknown."""
    value = (text or "").strip()
    if value.lower() in PostRole.values:
        return value.lower()
    return ROLE_ALIASES.get(value)


def parse_date(text: str) -> datetime.date | None:
    """A date from ``YYYY-MM-DD`` (or an Excel datetime, slashes, dots, 年月日); None if empty.

    Raises ValueError for text that is not a real date.
    """
    value = (text or "").strip()
    if not value:
        return None
    for pattern in _DATE_PATTERNS:
        match = pattern.match(value)
        if match:
            year, month, day = (int(part) for part in match.groups())
            return datetime.date(year, month, day)  # raises ValueError for 2024-02-30
    raise ValueError(value)


@dataclass
class CleanPostRow:
    """One checked row, ready to write.

    ``person`` is the registered person when found; otherwise ``person_key`` names the person
    to create (rows of the same new person share the key, so they are created once).
    """

    row: int
    unit: Unit
    person_name: str
    staff_number: str | None
    role: str
    start_date: datetime.date
    end_date: datetime.date | None
    phone: str = ""
    email: str = ""
    person: Person | None = None
    person_key: tuple[Any, ...] = ()
    existing_post: Post | None = None


@dataclass
class ImportResult:
    """What an import did: counts when written, or the row errors."""

    errors: list[RowError] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    written: bool = False


def _may(actor, action: str, unit: Unit) -> bool:
    if actor is None or isinstance(actor, str):
        return True  # the command line without --user acts as the installation itself
    return unit_policies.can(actor, action, unit)


def _visible(actor, unit: Unit) -> bool:
    return _may(actor, "unit.view", unit)


def _first_message(exc: ValidationError) -> str:
    return "；".join(str(m) for m in exc.messages)


class _Checker:
    """Checks every row; collects errors instead of stopping at the first."""

    def __init__(self, table: Table, actor, accept_question_marks: bool = False) -> None:
        self.table = table
        self.actor = actor
        self.accept_question_marks = accept_question_marks
        self.errors: list[RowError] = []
        self.clean: list[CleanPostRow] = []

    def error(self, row: int, column: str, message: str) -> None:
        self.errors.append(RowError(row, column, message))

    def run(self) -> tuple[list[CleanPostRow], list[RowError]]:
        missing = [c for c in REQUIRED_COLUMNS if c not in self.table.header]
        if missing:
            self.error(
                1,
                ",".join(missing),
                f"缺少必需的列：{', '.join(missing)}。"
                f"第一行应为列名：{','.join(TEMPLATE_COLUMNS)}。",
            )
            return [], self.errors
        rows = self.table.rows
        codes = {r.get("unit_code", "").strip() for _, r in rows} - {""}
        self.units = {u.code: u for u in Unit.objects.filter(code__in=codes)}
        numbers = {r.get("staff_number", "").strip() for _, r in rows} - {""}
        self.by_number = {
            p.staff_number: p
            for p in Person.objects.filter(staff_number__in=numbers).select_related("unit")
        }
        names = {r.get("person_name", "").strip() for _, r in rows} - {""}
        self.by_name: dict[tuple[str, int], list[Person]] = defaultdict(list)
        for p in Person.objects.filter(name__in=names, unit__in=list(self.units.values())):
            self.by_name[(p.name, p.unit_id)].append(p)

        first_pass = [c for c in (self._row(n, r) for n, r in rows) if c is not None]
        self._resolve_new_people(first_pass)
        self._match_existing_posts(first_pass)
        self._check_secretaries(first_pass)
        bad_rows = {e.row for e in self.errors}
        self.clean = [c for c in first_pass if c.row not in bad_rows]
        self.errors.sort(key=lambda e: (e.row, e.column))
        return self.clean, self.errors

    def _row(self, number: int, raw: dict[str, str]) -> CleanPostRow | None:
        before = len(self.errors)
        if raw.get("__extra__"):
            self.error(number, "", "本行的数据多于表头的列数，请检查是否有多余的逗号或单元格。")
        code = raw.get("unit_code", "").strip()
        unit = self.units.get(code)
        if not code:
            self.error(number, "unit_code", "组织代码不能为空。")
        elif unit is None or not _visible(self.actor, unit):
            # A unit outside the actor's scope is reported as unknown, as a page answers 404.
            self.error(number, "unit_code", f"组织代码“{code}”不存在或不在您的管理范围内。")
            unit = None
        elif not _may(self.actor, "post.change", unit):
            self.error(number, "unit_code", f"您没有权限为“{unit.name}”登记职务。")
            unit = None

        name = ""
        try:
            name = ps.clean_person_name(raw.get("person_name"))
        except ValidationError as exc:
            self.error(number, "person_name", _first_message(exc))
        if name and not self.accept_question_marks and lost_characters(name):
            self.error(number, "person_name", lost_message(name))
        number_text: str | None = None
        try:
            number_text = ps.clean_staff_number_format(raw.get("staff_number"))
        except ValidationError as exc:
            self.error(number, "staff_number", _first_message(exc))
        phone = email = ""
        try:
            phone = ps.clean_phone(raw.get("phone"))
        except ValidationError as exc:
            self.error(number, "phone", _first_message(exc))
        try:
            email = ps.clean_email(raw.get("email"))
        except ValidationError as exc:
            self.error(number, "email", _first_message(exc))

        role = parse_role(raw.get("role", ""))
        if role is None:
            self.error(
                number,
                "role",
                f"职务“{raw.get('role', '').strip()}”无法识别：应为书记、副书记、委员、组织委员"
                "（或 secretary、deputy_secretary、committee_member、organiser）。",
            )
        start = end = None
        try:
            start = parse_date(raw.get("start_date", ""))
            if start is None:
                self.error(number, "start_date", "任职日期不能为空。")
        except ValueError:
            self.error(
                number,
                "start_date",
                f"任职日期“{raw.get('start_date', '').strip()}”不是有效日期，应为 YYYY-MM-DD。",
            )
        try:
            end = parse_date(raw.get("end_date", ""))
        except ValueError:
            self.error(
                number,
                "end_date",
                f"离任日期“{raw.get('end_date', '').strip()}”不是有效日期，应为 YYYY-MM-DD。",
            )
        if start and end and end < start:
            self.error(
                number,
                "end_date",
                f"离任日期（{end.isoformat()}）早于任职日期（{start.isoformat()}）。",
            )

        person = None
        if unit is not None and name and number_text:
            person = self.by_number.get(number_text)
            if person is not None and person.name != name:
                self.error(
                    number,
                    "staff_number",
                    f"工号或党员编号“{number_text}”已登记为另一姓名的人员，请核对姓名或编号。",
                )
        elif unit is not None and name:
            matches = self.by_name.get((name, unit.pk), [])
            if len(matches) > 1:
                self.error(
                    number,
                    "person_name",
                    f"“{unit.name}”有多名叫“{name}”的人员，请填写工号或党员编号以区分。",
                )
            elif matches:
                person = matches[0]
        if person is None and unit is not None and not _may(self.actor, "person.change", unit):
            self.error(number, "person_name", f"您没有权限在“{unit.name}”新增人员。")

        if len(self.errors) > before or unit is None or start is None or role is None:
            return None
        return CleanPostRow(
            row=number,
            unit=unit,
            person_name=name,
            staff_number=number_text,
            role=role,
            start_date=start,
            end_date=end,
            phone=phone,
            email=email,
            person=person,
        )

    def _resolve_new_people(self, rows: list[CleanPostRow]) -> None:
        """Give rows of the same new person one key; refuse one new number under two names."""
        named_by_number: dict[str, tuple[str, int]] = {}
        for r in rows:
            if r.person is None and r.staff_number:
                seen = named_by_number.setdefault(r.staff_number, (r.person_name, r.row))
                if seen[0] != r.person_name:
                    self.error(
                        r.row,
                        "staff_number",
                        f"工号或党员编号“{r.staff_number}”在第 {seen[1]} 行对应“{seen[0]}”，"
                        f"与本行姓名“{r.person_name}”不一致。",
                    )
                r.person_key = ("number", r.staff_number)
        # A row without a number joins a numbered new person of the same name in the same unit.
        numbered_in_unit = {
            (r.person_name, r.unit.pk): r.person_key
            for r in rows
            if r.person is None and r.staff_number
        }
        for r in rows:
            if r.person is None and not r.staff_number:
                r.person_key = numbered_in_unit.get(
                    (r.person_name, r.unit.pk), ("name", r.person_name, r.unit.pk)
                )
            elif r.person is not None:
                r.person_key = ("id", r.person.pk)

    def _match_existing_posts(self, rows: list[CleanPostRow]) -> None:
        """Rows repeating a registered post update its end date instead of clashing; a row
        overlapping another term of the same person in the same role and unit is refused."""
        known = [r.person.pk for r in rows if r.person is not None]
        registered: dict[tuple[Any, ...], list[Post]] = defaultdict(list)
        if known:
            for p in Post.objects.filter(person_id__in=known, unit__in={r.unit.pk for r in rows}):
                registered[("id", p.person_id, p.unit_id, p.role)].append(p)
        for r in rows:
            if r.person is not None:
                r.existing_post = next(
                    (
                        p
                        for p in registered[("id", r.person.pk, r.unit.pk, r.role)]
                        if p.start_date == r.start_date
                    ),
                    None,
                )
        replaced = {r.existing_post.pk for r in rows if r.existing_post is not None}
        earlier: dict[tuple[Any, ...], list[CleanPostRow]] = defaultdict(list)
        for r in sorted(rows, key=lambda r: r.row):
            key = (*r.person_key, r.unit.pk, r.role)
            label = ps.role_label(r.role)
            for post in registered.get(key, []):
                if post.pk not in replaced and _overlap(
                    r.start_date, r.end_date, post.start_date, post.end_date
                ):
                    self.error(
                        r.row,
                        "start_date",
                        f"{r.person_name}在{r.unit.name}已有{label}任期"
                        f"（{ps.term_text(post.start_date, post.end_date)}），与本行任期重叠。",
                    )
                    break
            for other in earlier[key]:
                if _overlap(r.start_date, r.end_date, other.start_date, other.end_date):
                    self.error(
                        r.row,
                        "start_date",
                        f"与第 {other.row} 行{r.person_name}的{label}任期重叠。",
                    )
                    break
            earlier[key].append(r)

    def _check_secretaries(self, rows: list[CleanPostRow]) -> None:
        """At most one secretary per unit on any date — within the file and with the register."""
        secretary_rows = [r for r in rows if r.role == PostRole.SECRETARY]
        if not secretary_rows:
            return
        units = {r.unit.pk for r in secretary_rows}
        registered: dict[int, list[Post]] = defaultdict(list)
        for post in Post.objects.filter(unit__in=units, role=PostRole.SECRETARY).select_related(
            "person"
        ):
            registered[post.unit_id].append(post)
        # Registered posts repeated in the file are judged by the file's dates (it may end them).
        replaced = {r.existing_post.pk for r in secretary_rows if r.existing_post is not None}
        earlier: dict[int, list[CleanPostRow]] = defaultdict(list)
        for r in sorted(secretary_rows, key=lambda r: r.row):
            for post in registered[r.unit.pk]:
                if post.pk not in replaced and _overlap(
                    r.start_date, r.end_date, post.start_date, post.end_date
                ):
                    self.error(r.row, "start_date", ps.secretary_clash_message(r.unit, post))
                    break
            for other in earlier[r.unit.pk]:
                if _overlap(r.start_date, r.end_date, other.start_date, other.end_date):
                    self.error(
                        r.row,
                        "start_date",
                        f"{r.unit.name}同一时间只能有一名书记：与第 {other.row} 行的"
                        f"{other.person_name}（{ps.term_text(other.start_date, other.end_date)}）"
                        "任期重叠。",
                    )
                    break
            earlier[r.unit.pk].append(r)


def _overlap(
    start_a: datetime.date,
    end_a: datetime.date | None,
    start_b: datetime.date,
    end_b: datetime.date | None,
) -> bool:
    return (end_b is None or start_a <= end_b) and (end_a is None or start_b <= end_a)


def validate_posts(
    table: Table, actor, *, accept_question_marks: bool = False
) -> tuple[list[CleanPostRow], list[RowError]]:
    """Check every row of ``table`` for ``actor``; nothing is written. A name with "?" is an
    error unless ``accept_question_marks`` (see ``tabular.lost_characters``).

    Returns the good rows and one error per problem (a row can have several). ``actor`` is a
    user, or None / a label for the command line acting as the installation.
    """
    return _Checker(table, actor, accept_question_marks).run()


def _audit_actor(actor):
    return COMMAND_LINE_ACTOR if actor is None else actor


@transaction.atomic
def write_posts(rows: list[CleanPostRow], actor) -> dict[str, int]:
    """Write checked rows in one transaction and return the counts.

    The secretary rule is checked again under a lock on the units, because rows checked earlier
    (an import job) may meet posts registered since; a clash then raises ValidationError and
    nothing is written.
    """
    counts = {"rows": len(rows), "people_created": 0, "posts_created": 0, "posts_updated": 0}
    counts["posts_unchanged"] = 0
    if not rows:
        return counts
    unit_ids = sorted({r.unit.pk for r in rows})
    list(Unit.objects.select_for_update().filter(pk__in=unit_ids).order_by("pk"))
    who = _audit_actor(actor)

    people: dict[tuple[Any, ...], Person] = {}
    for r in rows:
        if r.person is not None or r.person_key in people:
            continue
        number = r.staff_number
        if number and Person.objects.filter(staff_number=number).exists():
            raise ValidationError(
                {"staff_number": f"第 {r.row} 行：工号或党员编号“{number}”已被其他人员使用。"}
            )
        person = Person.objects.create(
            unit=r.unit,
            name=r.person_name,
            staff_number=r.staff_number,
            phone=r.phone,
            email=r.email,
        )
        people[r.person_key] = person
        counts["people_created"] += 1
        audit.record(
            actor=who,
            action="person.create",
            obj=person,
            scope_path=r.unit.path,
            changes={
                k: [None, v] for k, v in audit.snapshot(person, ps.PERSON_FIELDS).items() if v
            },
            note="职务导入",
        )

    # Corrections of registered posts first: a row ending the old secretary's term makes room
    # for the new secretary's row.
    for r in sorted(rows, key=lambda r: r.existing_post is None):
        person = r.person or people[r.person_key]
        if r.existing_post is not None:
            post = r.existing_post
            if post.end_date == r.end_date:
                counts["posts_unchanged"] += 1
                continue
            before = audit.snapshot(post, ("end_date",))
            post.end_date = r.end_date
            post.save(update_fields=["end_date", "updated_at"])
            counts["posts_updated"] += 1
            audit.record(
                actor=who,
                action="post.update",
                obj=post,
                scope_path=r.unit.path,
                changes=audit.diff(before, post),
                note="职务导入",
            )
            continue
        if r.role == PostRole.SECRETARY:
            clash = ps.overlapping_secretary(r.unit, r.start_date, r.end_date)
            if clash is not None:
                raise ValidationError(
                    {"start_date": f"第 {r.row} 行：{ps.secretary_clash_message(r.unit, clash)}"}
                )
        post = Post.objects.create(
            person=person,
            unit=r.unit,
            role=r.role,
            start_date=r.start_date,
            end_date=r.end_date,
        )
        counts["posts_created"] += 1
        audit.record(
            actor=who,
            action="post.create",
            obj=post,
            scope_path=r.unit.path,
            changes={k: [None, v] for k, v in audit.snapshot(post, ps.POST_FIELDS).items() if v},
            note="职务导入",
        )
    return counts


def import_posts(
    table: Table, actor, *, good_rows_only: bool = False, accept_question_marks: bool = False
) -> ImportResult:
    """Validate, then write all rows — or, with ``good_rows_only``, the rows without errors."""
    rows, errors = validate_posts(table, actor, accept_question_marks=accept_question_marks)
    result = ImportResult(errors=errors)
    if errors and (not good_rows_only or not rows):
        return result
    result.counts = write_posts(rows, actor)
    result.counts["rows_skipped"] = len({e.row for e in errors})
    result.written = True
    return result


# --- the plug-in of the shared import-job runner --------------------------------------------


class PostImporter(_ImportJobs):
    """The post import as a plug-in of the shared runner: the page, the API and the command
    store the file as an ``ImportJob`` of kind 职务; posts files are small, so it runs inline
    right after the upload's commit."""

    kind = ImportKind.POSTS.value
    label = "职务"
    title = "导入职务"
    refusal = "您没有登记职务的权限。"
    inline_bytes = 1 << 62  # always inline: the page shows the result at once

    def may_start(self, user) -> bool:
        return policies.may_import_posts(user)

    def read(self, job: ImportJob) -> Table:
        return self.read_table(job)

    def count(self, rows: Table) -> int:
        return len(rows.rows)

    def plan(self, job: ImportJob, rows: Table, progress: JobProgress):
        clean, errors = validate_posts(
            rows, job.created_by, accept_question_marks=job.accept_question_marks
        )
        if errors and (not job.good_rows_only or not clean):
            raise ImportRefused(errors)
        progress.set(status=ImportStatus.WRITING, processed_rows=0, force=True)
        return clean, errors

    def write(self, job: ImportJob, plan, progress: JobProgress) -> dict[str, int]:
        clean, _errors = plan
        try:
            return write_posts(clean, job.created_by)
        except ValidationError as exc:
            raise ImportRefused([RowError(0, "", _first_message(exc))]) from exc

    def succeed(self, job: ImportJob, plan, outcome: dict[str, int], total: int) -> None:
        _clean, errors = plan
        job.counts = {
            "people_created": outcome["people_created"],
            "rows_skipped": len({e.row for e in errors}),
        }
        self.finish(
            job,
            total,
            errors,
            created=outcome["posts_created"],
            updated=outcome["posts_updated"],
            unchanged=outcome["posts_unchanged"],
        )

    def upload_url(self) -> str:
        return reverse("posts_import")

    def error_report(self, job: ImportJob):
        # A posts file is small: its report is answered whole, as the page's link always did.
        report = super().error_report(job)
        if report is None:
            return None
        stream, file_name, content_type = report
        with stream:
            return stream.read(), file_name, content_type

    def done_summary(self, job: ImportJob) -> str:
        skipped = job.counts.get("rows_skipped", 0)
        return (
            f"导入完成：新增人员 {job.counts.get('people_created', 0)} 人，"
            f"新增职务 {job.created_count} 条，更新离任日期 {job.updated_count} 条，"
            f"已存在未变 {job.unchanged_count} 条"
            + (f"，跳过有误的行 {skipped} 行" if skipped else "")
            + "。"
        )


def result_of(job: ImportJob) -> ImportResult:
    """A finished post import job as the page and the API show it."""
    errors = [RowError(*error) for error in job.errors]
    if job.status != ImportStatus.DONE:
        return ImportResult(errors=errors)
    counts = {
        "rows": job.total_rows,
        "people_created": job.counts.get("people_created", 0),
        "posts_created": job.created_count,
        "posts_updated": job.updated_count,
        "posts_unchanged": job.unchanged_count,
        "rows_skipped": job.counts.get("rows_skipped", 0),
    }
    return ImportResult(errors=errors, counts=counts, written=True)


def template_csv() -> bytes:
    """The downloadable template: header and two example rows, UTF-8 with BOM for Excel."""
    return csv_bytes(TEMPLATE_COLUMNS, TEMPLATE_EXAMPLE)
