"""Unit import: every kind of bad row, all-or-nothing, good rows only, updates, moves, audit."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from shuzhi.accounts.models import Role
from shuzhi.core import bulk
from shuzhi.core.models import AuditEntry
from shuzhi.core.testing import make_user
from shuzhi.orgs.imports import units as importing
from shuzhi.orgs.imports.models import ImportJob, ImportStatus
from shuzhi.orgs.tree.models import Unit, UnitStatus

pytestmark = pytest.mark.django_db

HEADER = "code,name,parent_code,type"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def csv_bytes(*lines: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode(encoding)


def run(actor, content: bytes, *, name: str = "units.csv", good_rows_only: bool = False):
    job = importing.create_job(
        actor=actor,
        file_name=name,
        content=content,
        good_rows_only=good_rows_only,
        enqueue=False,
    )
    return importing.run_job(job.pk)


def messages(job: ImportJob) -> list[str]:
    return [message for _row, _column, message in job.errors]


def rows_with_errors(job: ImportJob) -> set[int]:
    return {row for row, _column, _message in job.errors}


def check_tree_consistent() -> None:
    """Every unit's path is its parent's path plus its id, and depth matches."""
    units = {u.pk: u for u in Unit.objects.all()}
    for unit in units.values():
        parent = units.get(unit.parent_id) if unit.parent_id else None
        expected = f"{parent.path if parent else '/'}{unit.pk}/"
        assert unit.path == expected, unit.code
        assert unit.depth == expected.count("/") - 1, unit.code


@pytest.mark.smoke
def test_parents_after_children_and_type_by_chinese_name(world):
    job = run(
        world.alice,
        csv_bytes(
            "440104001001,北京街社区党委,440104001,社区党组织",
            "440104001,北京街道党工委,440104,subdistrict",
            "440104002,人民街道党工委,440104,街道党工委",
        ),
    )
    assert job.status == ImportStatus.DONE, job.errors
    assert (job.created_count, job.updated_count, job.unchanged_count) == (3, 0, 0)
    township = Unit.objects.get(code="440104001")
    community = Unit.objects.get(code="440104001001")
    assert township.parent == world.county_a2
    assert community.parent == township
    assert community.type.code == "community"
    assert Unit.objects.get(code="440104002").type.code == "subdistrict"
    assert township.path == f"{world.county_a2.path}{township.pk}/"
    assert community.depth == world.county_a2.depth + 2
    check_tree_consistent()


def test_duplicate_code_in_file_reports_both_rows(world):
    job = run(
        world.alice,
        csv_bytes(
            "440104001,甲街道,440104,subdistrict",
            "440104002,乙街道,440104,subdistrict",
            "440104001,丙街道,440104,subdistrict",
        ),
    )
    assert job.status == ImportStatus.FAILED
    assert rows_with_errors(job) == {2, 4}
    assert any("重复" in m and "第 2 行" in m for m in messages(job))
    assert not Unit.objects.filter(code__in=["440104001", "440104002"]).exists()


def test_unknown_parent(world):
    job = run(world.alice, csv_bytes("X1,某街道,NOPE,subdistrict"))
    assert job.status == ImportStatus.FAILED
    assert job.errors == [
        [2, "parent_code", "上级组织代码“NOPE”在文件和您管理范围内的组织中都不存在。"]
    ]


def test_cycle_within_file(world):
    job = run(
        world.alice,
        csv_bytes(
            "A1,甲,B1,branch",
            "B1,乙,A1,branch",
            "C1,丙,C1,branch",
            "D1,丁,440104,branch",
        ),
    )
    assert job.status == ImportStatus.FAILED
    assert rows_with_errors(job) == {2, 3, 4}
    assert any("循环" in m and "A1" in m for m in messages(job))
    assert "上级组织不能是它自己。" in messages(job)
    assert not Unit.objects.filter(code="D1").exists()


def test_cycle_with_existing_units_on_reimport(world):
    # 广州市委 under its own county (which the file does not mention) would close a loop.
    job = run(world.alice, csv_bytes("440100,广州市委,440103,city"))
    assert job.status == ImportStatus.FAILED
    assert job.errors[0][0] == 2
    assert "与现有组织形成循环" in job.errors[0][2]
    world.city_a.refresh_from_db()
    assert world.city_a.parent == world.province


def test_unknown_type(world):
    job = run(world.alice, csv_bytes("X1,某支部,440104,植物园"))
    assert job.status == ImportStatus.FAILED
    assert job.errors[0][1] == "type"
    assert "未知的组织类型“植物园”" in job.errors[0][2]


def test_empty_name(world):
    job = run(world.alice, csv_bytes("X1,,440104,branch"))
    assert job.errors == [[2, "name", "名称不能为空。"]]
    assert job.status == ImportStatus.FAILED


def test_over_long_name(world):
    job = run(
        world.alice, csv_bytes(f"X1,{'长' * 101},440104,branch", f"X2,{'长' * 100},X1,branch")
    )
    assert job.errors == [[2, "name", "名称不能超过 100 个字符（现有 101 个）。"]]
    assert not Unit.objects.filter(code="X2").exists()


def test_over_long_code(world):
    job = run(
        world.alice, csv_bytes(f"{'9' * 65},某支部,440104,branch", f"{'8' * 64},乙,440104,branch")
    )
    assert job.errors == [[2, "code", "组织代码不能超过 64 个字符（现有 65 个）。"]]


def test_over_long_short_name_and_bad_code_characters(world):
    job = run(
        world.alice,
        csv_bytes(
            "X 1,甲,440104,branch,",
            f"X2,乙,440104,branch,{'简' * 51}",
            header=HEADER + ",short_name",
        ),
    )
    assert [(r, c) for r, c, _m in job.errors] == [(2, "code"), (3, "short_name")]


def test_gbk_file_is_read_correctly(world):
    job = run(world.alice, csv_bytes("440104001,北京街道党工委,440104,街道党工委", encoding="gbk"))
    assert job.status == ImportStatus.DONE, job.errors
    assert Unit.objects.get(code="440104001").name == "北京街道党工委"


def test_undecodable_file_is_refused_as_a_whole(world):
    job = run(world.alice, HEADER.encode() + b"\nX1,\xff\xfe\xff,440104,branch\n")
    assert job.status == ImportStatus.FAILED
    assert job.errors[0][0] == 0
    assert "编码无法识别" in job.errors[0][2]
    assert job.error_report


def test_missing_column(world):
    job = run(world.alice, csv_bytes("X1,甲,440104", header="code,name,parent_code"))
    assert job.status == ImportStatus.FAILED
    assert "缺少必需的列：type" in job.errors[0][2]


def test_wrong_extension_is_refused_before_a_job_exists(world):
    with pytest.raises(ValidationError) as exc:
        importing.create_job(
            actor=world.alice, file_name="units.doc", content=csv_bytes("X1,甲,440104,branch")
        )
    assert "不支持的文件类型" in str(exc.value)
    assert not ImportJob.objects.exists()


def test_all_or_nothing(world):
    job = run(
        world.alice,
        csv_bytes(
            "440104001,甲街道,440104,subdistrict",
            "440104002,乙街道,440104,subdistrict",
            "440104003,丙街道,440104,没有这种类型",
        ),
    )
    assert job.status == ImportStatus.FAILED
    assert job.error_count == 1
    assert (job.created_count, job.updated_count) == (0, 0)
    assert not Unit.objects.filter(code__startswith="4401040").exists()


@pytest.mark.smoke
def test_good_rows_only_skips_bad_rows_and_their_descendants(world):
    job = run(
        world.alice,
        csv_bytes(
            "440104001,甲街道,440104,subdistrict",
            "440104002,,440104,subdistrict",
            "440104002001,乙社区,440104002,community",
            "440104002001001,乙社区一支部,440104002001,branch",
            "440104001001,甲社区,440104001,community",
        ),
        good_rows_only=True,
    )
    assert job.status == ImportStatus.DONE
    assert job.created_count == 2
    assert set(Unit.objects.filter(code__startswith="4401040").values_list("code", flat=True)) == {
        "440104001",
        "440104001001",
    }
    assert rows_with_errors(job) == {3, 4, 5}
    assert any("第 3 行" in m and "本行未导入" in m for m in messages(job))
    assert job.error_report
    report = job.error_report.read().decode("utf-8-sig")
    assert report.splitlines()[0] == "行号,列,问题"


def test_reimport_updates_without_duplicates_and_audits_each_update(world):
    first = run(
        world.alice,
        csv_bytes(
            "440104001,北京街道党工委,440104,subdistrict,",
            "440104001001,北京街社区党委,440104001,community,",
            header=HEADER + ",short_name",
        ),
    )
    assert first.created_count == 2
    before = Unit.objects.count()
    second = run(
        world.alice,
        csv_bytes(
            "440104001,北京路街道党工委,440104,subdistrict,北京路",
            "440104001001,北京街社区党委,440104001,community,",
            "440104,越秀区委,440100,county,",
            header=HEADER + ",short_name",
        ),
    )
    assert second.status == ImportStatus.DONE, second.errors
    assert (second.created_count, second.updated_count, second.unchanged_count) == (0, 1, 2)
    assert Unit.objects.count() == before
    township = Unit.objects.get(code="440104001")
    assert (township.name, township.short_name) == ("北京路街道党工委", "北京路")
    entry = AuditEntry.objects.get(action="unit.update", object_id=str(township.pk))
    assert entry.changes == {
        "name": ["北京街道党工委", "北京路街道党工委"],
        "short_name": ["", "北京路"],
    }
    assert entry.actor == world.alice
    assert "units.csv" in entry.note
    # Created units are summarised in the import entry, not one by one.
    assert not AuditEntry.objects.filter(action="unit.create").exists()


def test_reimport_moves_subtree_and_rewrites_descendants(world):
    village = world.village_a1x1
    job = run(world.alice, csv_bytes("440103001,沙面街道党工委,440104,subdistrict"))
    assert job.status == ImportStatus.DONE, job.errors
    assert job.updated_count == 1
    township = Unit.objects.get(code="440103001")
    village.refresh_from_db()
    assert township.parent == world.county_a2
    assert township.path == f"{world.county_a2.path}{township.pk}/"
    assert village.path == f"{township.path}{village.pk}/"
    assert village.depth == township.depth + 1
    entry = AuditEntry.objects.get(action="unit.update", object_id=str(township.pk))
    assert entry.changes == {"parent": ["荔湾区委", "越秀区委"]}
    check_tree_consistent()


def test_nested_moves_and_new_units_under_moved_ones(world):
    # The county moves to city B; its township moves to county A2; a new village goes under the
    # township, and a new branch under the moved county.
    job = run(
        world.alice,
        csv_bytes(
            "440103001,沙面街道党工委,440104,subdistrict",
            "440103,荔湾区委,440300,county",
            "440103001002,新社区,440103001,community",
            "440103900,新支部,440103,branch",
        ),
    )
    assert job.status == ImportStatus.DONE, job.errors
    assert (job.created_count, job.updated_count) == (2, 2)
    check_tree_consistent()
    assert Unit.objects.get(code="440103").parent == world.city_b
    assert Unit.objects.get(code="440103001").parent == world.county_a2
    assert Unit.objects.get(code="440103001001").is_in_subtree_of(world.county_a2)


def test_roots_only_for_superusers(world):
    job = run(world.alice, csv_bytes("510000,四川省委,,province"))
    assert job.status == ImportStatus.FAILED
    assert "无权在该组织下导入" in job.errors[0][2]
    job = run(world.root, csv_bytes("510000,四川省委,,province"))
    assert job.status == ImportStatus.DONE
    assert Unit.objects.get(code="510000").depth == 1


def test_rows_outside_scope_are_row_errors(world):
    frank = make_user("frank", (Role.ORGANISER, world.city_a))
    job = run(
        frank,
        csv_bytes(
            "440104001,甲街道,440104,subdistrict",
            "440303001,乙街道,440303,subdistrict",
            "440303,罗湖区委改名,440300,county",
            "440103,荔湾区委,440300,county",
        ),
    )
    assert job.status == ImportStatus.FAILED
    # Row 3 sits under row 4, which is refused; it is reported when the good rows are imported.
    assert rows_with_errors(job) == {4, 5}
    # City B's code reads like an unusable code, its parent like a code that is nowhere.
    assert messages(job) == [
        "组织代码“440303”不可用：不能包含空格或斜杠，也不能与已有组织重复。",
        "上级组织代码“440300”在文件和您管理范围内的组织中都不存在。",
    ]
    assert not Unit.objects.filter(code="440104001").exists()
    job = run(frank, job.file.open("rb").read(), good_rows_only=True)
    assert rows_with_errors(job) == {3, 4, 5}
    assert Unit.objects.filter(code="440104001").exists()
    assert not Unit.objects.filter(code="440303001").exists()
    assert Unit.objects.get(code="440303").name == "罗湖区委"


def test_a_code_out_of_scope_reads_like_a_code_that_is_nowhere(world):
    """An organiser of city A learns nothing of city B's codes from the import: a row whose
    code is taken there gets the very message a malformed code gets, and a parent code there
    the very message a code that exists nowhere gets (the codes themselves aside)."""
    frank = make_user("frank", (Role.ORGANISER, world.city_a))
    job = run(
        frank,
        csv_bytes(
            "440303,罗湖区委,440100,county",  # taken by city B's county
            "44 99,新区委,440100,county",  # malformed
            "440197,新区委甲,440300,county",  # parent: city B
            "440198,新区委乙,NOPE9,county",  # parent: nowhere
            "440199,新区委丙,440100,county",  # free: fine
        ),
    )
    assert job.status == ImportStatus.FAILED
    errors = {row: (column, message) for row, column, message in job.errors}
    assert set(errors) == {2, 3, 4, 5}
    assert errors[2][1].replace("440303", "CODE") == errors[3][1].replace("44 99", "CODE")
    assert errors[2][0] == errors[3][0] == "code"
    assert errors[4][1].replace("440300", "CODE") == errors[5][1].replace("NOPE9", "CODE")
    assert errors[4][0] == errors[5][0] == "parent_code"
    assert not any("范围内。" in m and "不在" in m for m in messages(job))
    assert Unit.objects.get(code="440303").name == "罗湖区委"


@pytest.mark.parametrize("persona", ["bob", "carol", "erin"])
def test_users_without_import_right_cannot_start_a_job(world, persona):
    with pytest.raises(PermissionDenied):
        importing.create_job(
            actor=getattr(world, persona),
            file_name="units.csv",
            content=csv_bytes("440104001,甲街道,440104,subdistrict"),
        )
    assert not ImportJob.objects.exists()


def test_merged_parent_is_refused(world):
    Unit.objects.filter(pk=world.county_a2.pk).update(status=UnitStatus.MERGED)
    job = run(world.alice, csv_bytes("440104001,甲街道,440104,subdistrict"))
    assert "已合并或已撤销" in job.errors[0][2]


@pytest.mark.smoke
def test_one_audit_entry_per_import_with_counts(world):
    job = run(
        world.alice,
        csv_bytes("440104001,甲街道,440104,subdistrict", "440104002,乙街道,440104,subdistrict"),
        name="越秀.csv",
    )
    entry = AuditEntry.objects.get(action="unit.import")
    assert entry.object_type == "orgs.importjob"
    assert entry.object_id == str(job.pk)
    assert entry.note == "越秀.csv"
    assert entry.changes == {"created": 2, "updated": 0, "unchanged": 0, "errors": 0}
    assert entry.scope_path == world.county_a2.path
    assert entry.actor == world.alice


def test_failed_import_writes_no_audit_entry(world):
    run(world.alice, csv_bytes("X1,,440104,branch"))
    assert not AuditEntry.objects.filter(action__startswith="unit.").exists()


def test_xlsx_import_with_numeric_codes(world):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["code", "name", "parent_code", "type"])
    sheet.append([440104001, "北京街道党工委", 440104, "subdistrict"])
    out = io.BytesIO()
    workbook.save(out)
    job = run(world.alice, out.getvalue(), name="units.xlsx")
    assert job.status == ImportStatus.DONE, job.errors
    assert Unit.objects.get(code="440104001").parent == world.county_a2


def test_finished_job_is_not_run_twice(world):
    job = run(world.alice, csv_bytes("440104001,甲街道,440104,subdistrict"))
    again = importing.run_job(job.pk)
    assert again.created_count == 1
    assert Unit.objects.filter(code="440104001").count() == 1
    assert AuditEntry.objects.filter(action="unit.import").count() == 1


@pytest.mark.django_db(transaction=True)
def test_large_load_rebuilds_foreign_keys(settings, monkeypatch):
    """Above the threshold PostgreSQL drops and re-creates the unit foreign keys."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    from shuzhi.core.testing import build_world

    world = build_world()
    settings.SHUZHI_IMPORT_REBUILD_FK_ROWS = 2
    dropped = []
    drop = bulk.ForeignKeys.drop

    def spy(self):
        dropped.append(drop(self))
        return dropped[-1]

    monkeypatch.setattr(bulk.ForeignKeys, "drop", spy)
    lines = [f"44010490{k},新支部{k},440104,branch" for k in range(5)]
    job = run(world.alice, csv_bytes(*lines, "440103001,沙面街道党工委,440104,subdistrict"))
    assert job.status == ImportStatus.DONE, job.errors
    assert job.created_count == 5
    assert dropped == [True]
    check_tree_consistent()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_constraint "
            "WHERE conrelid = 'orgs_unit'::regclass AND contype = 'f'"
        )
        assert cursor.fetchone()[0] == 3
