"""Unit export: the import format, scoping, and exact round trips through real files."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.http import Http404

from shuzhi.exports.tests.test_sheets import assert_prints
from shuzhi.orgs.imports import exporting
from shuzhi.orgs.imports import units as importing
from shuzhi.orgs.imports.models import ImportStatus
from shuzhi.orgs.tree.models import Unit

pytestmark = pytest.mark.django_db

TREE = """code,name,parent_code,type,short_name
650000,中共新疆维吾尔自治区委员会,,province,新疆区委
650100,中共乌鲁木齐市委员会,650000,city,乌市市委
650102,天山区委,650100,county,
650102001,"燕儿窝街道党工委, 含逗号",650102,subdistrict,
650102001001,"带""引号""的社区党委",650102001,community,
650103,沙依巴克区委,650100,county,
650200,克拉玛依市委,650000,city,
"""


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def run(actor, content: bytes, name: str):
    job = importing.create_job(actor=actor, file_name=name, content=content, enqueue=False)
    return importing.run_job(job.pk)


def delete_subtree(code: str) -> None:
    """Remove a tree the test built (units have no delete service; the FKs are deferred)."""
    path = Unit.objects.get(code=code).path
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM orgs_unit WHERE path LIKE %s", [path + "%"])


def read_csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.smoke
def test_csv_round_trip_is_exact(world, tmp_path):
    job = run(world.root, TREE.encode(), "xj.csv")
    assert job.status == ImportStatus.DONE, job.errors
    first = tmp_path / "first.csv"
    call_command("export_units", "650000", str(first), "--user", "root")
    # Import the exported file into a database without the tree, export again: same bytes.
    delete_subtree("650000")
    job = run(world.root, first.read_bytes(), "first.csv")
    assert job.status == ImportStatus.DONE, job.errors
    assert job.created_count == 7
    second = tmp_path / "second.csv"
    call_command("export_units", "650000", str(second), "--user", "root")
    assert second.read_bytes() == first.read_bytes()
    rows = read_csv_rows(first.read_bytes())
    assert rows[0] == exporting.EXPORT_COLUMNS
    assert rows[1] == ["650000", "中共新疆维吾尔自治区委员会", "", "province", "新疆区委"]
    assert ["650102001", "燕儿窝街道党工委, 含逗号", "650102", "subdistrict", ""] in rows
    assert ["650102001001", '带"引号"的社区党委', "650102001", "community", ""] in rows
    # Parents always come before their children.
    seen = set()
    for code, _name, parent, _type, _short in rows[1:]:
        assert not parent or parent in seen or code == "650000"
        seen.add(code)
    # Re-importing the export changes nothing.
    job = run(world.root, first.read_bytes(), "first.csv")
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 7)


def test_xlsx_round_trip_is_exact(world, tmp_path):
    run(world.root, TREE.encode(), "xj.csv")
    first = tmp_path / "first.xlsx"
    call_command("export_units", "650000", str(first), "--user", "root")
    delete_subtree("650000")
    job = run(world.root, first.read_bytes(), "first.xlsx")
    assert job.status == ImportStatus.DONE, job.errors
    assert job.created_count == 7
    second = tmp_path / "second.xlsx"
    call_command("export_units", "650000", str(second), "--user", "root")

    from openpyxl import load_workbook

    def cells(path):
        sheet = load_workbook(path, read_only=True).worksheets[0]
        # An empty cell reads back as None.
        return [[c or "" for c in row] for row in sheet.iter_rows(values_only=True)]

    assert cells(second) == cells(first)
    assert cells(first)[1] == ["650000", "中共新疆维吾尔自治区委员会", "", "province", "新疆区委"]
    # Printed upright on A4 (five columns), the header on every page, page numbers.
    assert_prints(load_workbook(first).worksheets[0], landscape=False)
    csv_rows = read_csv_rows(
        exporting.export_units(
            actor=world.root, unit=Unit.objects.get(code="650000"), file_format="csv"
        )
    )
    assert cells(first) == csv_rows


def test_export_of_a_subtree_names_the_real_parent(world):
    data = exporting.export_units(actor=world.alice, unit=world.city_a, file_format="csv")
    rows = read_csv_rows(data)
    assert rows[1] == ["440100", "广州市委", "440000", "city", ""]
    assert [r[0] for r in rows[1:]] == ["440100", "440103", "440103001", "440103001001", "440104"]
    # Re-importing it moves nothing.
    job = run(world.alice, data, "city.csv")
    assert (job.status, job.unchanged_count) == (ImportStatus.DONE, 5)


def test_export_is_scoped(world):
    with pytest.raises(Http404):
        exporting.unit_for_export(world.carol, "440100")
    with pytest.raises(Http404):
        exporting.unit_for_export(world.erin, "440000")
    # A secretary's grant reaches one level down: the city and its counties, not below.
    unit = exporting.unit_for_export(world.bob, "440100")
    rows = read_csv_rows(exporting.export_units(actor=world.bob, unit=unit, file_format="csv"))
    assert [r[0] for r in rows[1:]] == ["440100", "440103", "440104"]


def test_export_command_refuses_unknown_extension_and_unit(world, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="扩展名"):
        call_command("export_units", "440000", str(tmp_path / "x.txt"))
    with pytest.raises(CommandError, match="没有找到"):
        call_command("export_units", "NOPE", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="没有找到"):
        call_command("export_units", "440000", str(tmp_path / "x.csv"), "--user", "carol")


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_template_file_imports_cleanly(db, file_format):
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.create_superuser("root", password="pw-root")
    job = run(root, exporting.template_file(file_format), f"template.{file_format}")
    assert job.status == ImportStatus.DONE, job.errors
    assert job.created_count == len(exporting.EXAMPLE_ROWS)
