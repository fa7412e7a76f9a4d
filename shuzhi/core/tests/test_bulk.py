"""The shared bulk write path: ids, COPY text, executemany, foreign keys and bulk audit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import connection, transaction

from shuzhi.core import audit, bulk
from shuzhi.core.models import AuditEntry
from shuzhi.orgs.tree.models import UnitType

pytestmark = pytest.mark.django_db

TYPE_COLUMNS = ("id", "code", "name", "level_label", "sort_order")


def test_ids_come_from_the_sequence_after_every_existing_row():
    first = UnitType.objects.create(code="a", name="甲", level_label="省级")
    ids = bulk.allocate_ids("orgs_unittype", 3)
    assert list(ids) == sorted(set(ids)) and len(ids) == 3
    assert min(ids) > first.pk
    assert bulk.allocate_ids("orgs_unittype", 0) == []
    # The ids are free: rows written with them go in, and the next row the ORM creates does
    # not collide with them.
    rows = [(ids[k], f"t{k}", f"类型{k}", "县级", k) for k in range(3)]
    if bulk.uses_copy():
        lines = [f"{i}\t{code}\t{name}\t{level}\t{order}\n" for i, code, name, level, order in rows]
        assert bulk.copy_lines("orgs_unittype", TYPE_COLUMNS, lines, chunk=2) == 3
    else:
        assert bulk.insert_rows("orgs_unittype", TYPE_COLUMNS, rows, batch=2) == 3
    after = UnitType.objects.create(code="z", name="末", level_label="村级")
    assert after.pk > max(ids)
    assert UnitType.objects.filter(pk__in=list(ids)).count() == 3


def test_copy_text_escapes_only_when_a_value_needs_it():
    plain = ["甲", "乙"]
    assert bulk.copy_text(plain) is plain
    assert bulk.copy_text(["a\tb", "c\\d", "e\nf\rg"]) == ["a\\tb", "c\\\\d", "e\\nf\\rg"]


def test_text_written_by_copy_reads_back_as_it_was():
    if not bulk.uses_copy():
        pytest.skip("COPY is PostgreSQL's")
    (new_id,) = bulk.allocate_ids("orgs_unittype", 1)
    name = "制表\t换行\n反斜杠\\"
    (escaped,) = bulk.copy_text([name])
    progress: list[int] = []
    bulk.copy_lines(
        "orgs_unittype",
        TYPE_COLUMNS,
        [f"{new_id}\tx\t{escaped}\t乡镇级\t0\n"],
        progress=progress.append,
    )
    assert UnitType.objects.get(pk=new_id).name == name
    assert progress == [1]


def _unit_keys() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_constraint "
            "WHERE conrelid = 'orgs_unit'::regclass AND contype = 'f'"
        )
        return cursor.fetchone()[0]


def test_foreign_keys_are_suspended_only_for_large_loads(settings):
    if not bulk.uses_copy():
        pytest.skip("foreign keys are rebuilt on PostgreSQL only")
    before = _unit_keys()
    assert before == 3
    settings.SHUZHI_IMPORT_REBUILD_FK_ROWS = 10
    with bulk.suspend_foreign_keys(["orgs_unit"], 9) as dropped:
        assert dropped is False
        assert _unit_keys() == before
    with bulk.suspend_foreign_keys(["orgs_unit"], 10) as dropped:
        assert dropped is True
        assert _unit_keys() == 0
    assert _unit_keys() == before
    settings.SHUZHI_IMPORT_REBUILD_FK_ROWS = 0
    with bulk.suspend_foreign_keys(["orgs_unit"], 10**6) as dropped:
        assert dropped is False


def test_a_failed_load_leaves_the_keys_to_the_rollback(settings):
    if not bulk.uses_copy():
        pytest.skip("foreign keys are rebuilt on PostgreSQL only")
    settings.SHUZHI_IMPORT_REBUILD_FK_ROWS = 1
    with (
        pytest.raises(RuntimeError),
        transaction.atomic(),
        bulk.suspend_foreign_keys(["orgs_unit"], 5),
    ):
        assert _unit_keys() == 0
        raise RuntimeError("load failed")
    assert _unit_keys() == 3


def test_record_many_writes_what_record_writes(world):
    one = audit.record(
        actor=world.alice, action="unit.update", obj=world.city_a, changes={"name": ["甲", "乙"]}
    )
    assert (
        audit.record_many(
            actor=world.alice,
            entries=[
                {"action": "unit.update", "obj": world.city_a, "changes": {"name": ["甲", "乙"]}},
                {
                    "action": "unit.update",
                    "object_type": "orgs.unit",
                    "object_id": "7",
                    "object_label": "名" * 300,
                    "scope_path": "/7/",
                },
            ],
        )
        == 2
    )
    first, second = AuditEntry.objects.exclude(pk=one.pk).order_by("pk")
    for field in ("actor_id", "actor_label", "action", "object_type", "object_id"):
        assert getattr(first, field) == getattr(one, field)
    assert (first.object_label, first.changes) == (one.object_label, one.changes)
    assert len(second.object_label) == 255
    assert second.actor_label == one.actor_label != ""
    assert audit.record_many(actor="命令行导入", entries=[]) == 0
    audit.record_many(actor="命令行导入", entries=[{"action": "unit.update"}])
    assert AuditEntry.objects.latest("pk").actor_label == "命令行导入"


@pytest.mark.parametrize("object_type", sorted(audit.BALLOT_CONTENT_TYPES))
def test_ballot_contents_are_never_audited_one_by_one_or_in_bulk(world, object_type):
    with pytest.raises(ValueError):
        audit.record(actor=world.alice, action="x", object_type=object_type, object_id="1")
    with pytest.raises(ValueError):
        audit.record_many(
            actor=world.alice,
            entries=[{"action": "x"}, {"action": "x", "object_type": object_type}],
        )
    assert not AuditEntry.objects.filter(action="x").exists()


def test_only_the_audit_module_creates_audit_entries():
    """Entries are written by ``audit.record`` and ``audit.record_many`` alone, so their rules
    (actor label, no ballot contents) hold for every path, bulk ones included."""
    root = Path(audit.__file__).resolve().parents[1]
    writes = re.compile(
        r"(?<!class )AuditEntry\(|AuditEntry\.objects\.(create|bulk_create|get_or_create)"
    )
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "tests" not in path.parts
        and "migrations" not in path.parts
        and path != Path(audit.__file__).resolve()
        and writes.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
