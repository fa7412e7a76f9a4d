"""The preview before a ledger import writes anything: each column of the user's file with the
field it feeds (or 不使用), adjustable; the names that fit several units or none, with their
closest candidates; the rows' problems found so far. Confirming stores the choices on the job
and queues it; a confirmed mapping can be saved under a name for the importing unit and used
again for the next file of the same layout.

The preview runs in the request: the file is read within the import limits
(:mod:`shuzhi.core.bulk.sheets`) and checked without writing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from shuzhi.core import audit
from shuzhi.core.bulk import jobs as bulk_jobs
from shuzhi.core.bulk.sheets import TabularError
from shuzhi.kernel.scope import is_global
from shuzhi.orgs.imports.tabular import RowError
from shuzhi.orgs.tree.models import Unit

from ..models import LedgerImport, LedgerMapping
from . import layout
from .checking import LedgerPlan, plan_ledger
from .common import ImportRefused
from .reading import LedgerRows, read_ledger
from .units import Candidate

# Row problems shown on the preview page (the import's report lists them all).
SHOWN_ERRORS = 20
NAME_MAX = LedgerMapping._meta.get_field("name").max_length or 60


def field_choices() -> list[tuple[str, str]]:
    """The fields a column can feed, as the preview's choices (不使用 first)."""
    return [("", "不使用"), *((key, layout.label_of(key)) for key in layout.synonyms())]


@dataclass
class Preview:
    """What the preview page shows for a stored upload and a choice of columns."""

    job: LedgerImport
    rows: LedgerRows | None = None
    problem: str = ""  # why the file as a whole cannot be imported as mapped
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    unresolved: dict[str, list[Candidate]] = field(default_factory=dict)
    ambiguous: set[str] = field(default_factory=set)
    picks: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    new_rows: int = 0
    updating: int = 0
    changing: int = 0

    @property
    def ready(self) -> bool:
        """Whether the mapping is complete enough to queue the import."""
        return self.rows is not None and not self.problem


def _check_owner(actor, job: LedgerImport) -> None:
    if job.created_by_id != getattr(actor, "pk", None) and not is_global(actor):
        raise PermissionDenied("这不是您上传的台账。")


def build_preview(
    job: LedgerImport,
    *,
    keys: list[str] | None = None,
    picks: dict[str, int] | None = None,
    update: bool | None = None,
) -> Preview:
    """Read the stored upload with ``keys`` (default: the job's, else the synonyms) and check
    it, writing nothing."""
    picks = dict(job.unit_picks if picks is None else picks)
    preview = Preview(job=job, picks=picks)
    try:
        with job.file.open("rb") as stream:
            rows = read_ledger(job.original_name, stream, keys or job.mapping or None)
    except TabularError as exc:
        preview.problem = str(exc)
        if keys is not None:
            # A mapping that names a field twice: show the file as the synonyms read it.
            with job.file.open("rb") as stream:
                preview.rows = read_ledger(job.original_name, stream)
            for column, key in zip(preview.rows.layout, keys, strict=False):
                column.key = key
        return preview
    preview.rows = rows
    preview.problem = layout.missing_message(rows.keys, [c.title for c in rows.layout])
    if preview.problem or job.created_by is None:
        return preview
    try:
        plan: LedgerPlan = plan_ledger(
            rows,
            actor=job.created_by,
            scope=job.unit,
            year=job.year,
            picks=picks,
            update=job.update_existing if update is None else update,
        )
    except ImportRefused as refused:
        preview.errors = list(refused.errors[:SHOWN_ERRORS])
        preview.error_count = len(refused.errors)
        return preview
    preview.errors = plan.errors[:SHOWN_ERRORS]
    preview.error_count = len(plan.errors)
    preview.unresolved = plan.names.unresolved
    preview.ambiguous = plan.names.ambiguous
    preview.warnings = [w for w in plan.warnings if not w.startswith("以下列未导入")]
    preview.updating = plan.updating
    preview.changing = len(plan.changes)
    preview.new_rows = plan.total_rows - plan.updating
    return preview


def confirm_import(
    *,
    actor,
    job: LedgerImport,
    keys: list[str],
    picks: dict[str, int],
    update: bool,
    save_as: str = "",
) -> Preview:
    """Store the confirmed columns (and the units picked) on the job and queue it; with
    ``save_as``, also save the mapping under that name for the job's unit. A mapping that
    misses a required field or names a field twice changes nothing: the preview says why."""
    _check_owner(actor, job)
    if job.status != LedgerImport.Status.PREVIEW:
        raise ValidationError({"__all__": "该导入已确认，不能再修改列对应。"})
    preview = build_preview(job, keys=keys, picks=picks, update=update)
    if not preview.ready:
        return preview
    assert preview.rows is not None
    with transaction.atomic():
        if save_as:
            save_mapping(actor=actor, host=job.unit, name=save_as, rows=preview.rows)
        job.mapping = preview.rows.keys
        job.unit_picks = {name: unit_id for name, unit_id in picks.items() if unit_id}
        job.update_existing = update
        job.status = LedgerImport.Status.PENDING
        job.save()
        audit.record(
            actor=actor,
            action="problem.import_confirm",
            obj=job,
            scope_path=job.unit.path,
            changes={
                "columns": {c.title: c.key for c in preview.rows.layout},
                "units": job.unit_picks,
                "update_existing": update,
            },
            note=job.original_name,
        )
        bulk_jobs.dispatch("ledger", job, size=job.file.size)
    return preview


def save_mapping(*, actor, host: Unit, name: str, rows: LedgerRows) -> LedgerMapping:
    """Save (or replace) the named mapping of ``host``: each column title → its field."""
    name = name.strip()
    if not name:
        raise ValidationError({"save_as": "请填写方案名称。"})
    if len(name) > NAME_MAX:
        raise ValidationError({"save_as": f"方案名称不能超过 {NAME_MAX} 个字。"})
    columns = {c.title: c.key for c in rows.layout}
    mapping, created = LedgerMapping.objects.update_or_create(
        host=host, name=name, defaults={"columns": columns, "created_by": actor}
    )
    audit.record(
        actor=actor,
        action="problem.import_mapping",
        obj=mapping,
        scope_path=host.path,
        changes={"columns": columns, "created": created},
    )
    return mapping


def mappings_for(host: Unit):
    """The mappings saved for ``host``, by name."""
    return LedgerMapping.objects.filter(host=host).order_by("name")


def keys_of_mapping(mapping: LedgerMapping, rows: LedgerRows) -> list[str]:
    """A saved mapping applied to a file's columns (titles it does not know: the synonyms)."""
    return layout.apply_saved([c.title for c in rows.layout], mapping.columns)
