"""Hostile import files: a few kilobytes must not cost gigabytes of memory or hours of CPU.

Each file is built here with :mod:`zipfile` as an attacker would write it — a sheet declaring
``A1:XFD1048576``, rows whose last (empty) cell sits in column XFD, a shared-strings part that
unpacks from kilobytes into hundreds of megabytes — and read by every import's reader (the
ledger, the units, the posts) in a child process limited to 512 MB of address space and 30 s of
CPU, so a reader that pads rows to the declared width or unpacks the bomb dies there instead of
passing. The limits themselves (rows, columns, cells, unpacked size, ratio) are checked
in-process with small settings.
"""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from django.test import override_settings

from shuzhi.core.bulk.sheets import TabularError, check_xlsx_archive, read_sheet
from shuzhi.orgs.imports.units.reading import read_units_file
from shuzhi.rectification.ledger_import.reading import read_ledger

ROOT = Path(__file__).resolve().parent.parent
MEMORY = 512 * 1024 * 1024
CPU_SECONDS = 20

LEDGER_HEADER = ["序号", "组织代码", "单位名称", "问题来源", "问题描述"]
UNITS_HEADER = ["code", "name", "parent_code", "type"]
POSTS_HEADER = ["unit_code", "person_name", "role", "start_date"]

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def _column(index: int) -> str:
    name = ""
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _text_row(number: int, texts: list[str], tail: str = "") -> str:
    cells = "".join(
        f'<c r="{_column(k + 1)}{number}" t="inlineStr"><is><t>{text}</t></is></c>'
        for k, text in enumerate(texts)
    )
    return f'<row r="{number}">{cells}{tail}</row>'


def build_xlsx(
    header: list[str],
    rows: list[list[str]],
    *,
    dimension: str | None = None,
    far_empty_cell: bool = False,
    shared_strings_bytes: int = 0,
) -> bytes:
    """A minimal .xlsx: the header, the rows, an optional declared dimension, an optional empty
    cell in column XFD of every row, an optional shared-strings part of that many bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        parts = [SHEET_HEAD]
        if dimension:
            parts.append(f'<dimension ref="{dimension}"/>')
        parts.append("<sheetData>")
        parts.append(_text_row(1, header))
        for k, texts in enumerate(rows, start=2):
            tail = f'<c r="XFD{k}" s="0"/>' if far_empty_cell else ""
            parts.append(_text_row(k, texts, tail))
        parts.append("</sheetData></worksheet>")
        archive.writestr("xl/worksheets/sheet1.xml", "".join(parts))
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as strings:
            strings.write(
                b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b"<si><t>"
            )
            chunk = b"a" * (1024 * 1024)
            for _ in range(shared_strings_bytes // len(chunk)):
                strings.write(chunk)
            strings.write(b"</t></si></sst>")
    return out.getvalue()


# The child: read one file with one import's reader under the limits, say what happened.
CHILD = textwrap.dedent(
    """
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory}))
    resource.setrlimit(resource.RLIMIT_CPU, ({cpu}, {cpu}))
    import django
    django.setup()
    from shuzhi.core.bulk.sheets import TabularError
    from shuzhi.orgs.imports.units.reading import read_units_file
    from shuzhi.orgs.imports.tabular import read_table
    from shuzhi.rectification.ledger_import.reading import read_ledger

    reader = {{"ledger": read_ledger, "units": read_units_file, "posts": read_table}}
    kind, path = sys.argv[1:]
    try:
        with open(path, "rb") as stream:
            result = reader[kind](path, stream)
    except TabularError as exc:
        print("refused", exc)
    else:
        rows = len(result.rows) if kind == "posts" else len(result)
        print("read", rows)
    """
)


def read_in_child(kind: str, content: bytes, tmp_path: Path) -> str:
    """Read ``content`` with the ``kind`` import's reader under the memory and CPU limits."""
    path = tmp_path / f"{kind}.xlsx"
    path.write_bytes(content)
    script = CHILD.format(memory=MEMORY, cpu=CPU_SECONDS)
    done = subprocess.run(
        [sys.executable, "-c", script, kind, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=CPU_SECONDS * 4,
        check=False,
    )
    assert done.returncode == 0, (
        f"the {kind} reader died under {MEMORY >> 20} MB / {CPU_SECONDS} s CPU "
        f"(exit {done.returncode}): {done.stderr[-1500:]}"
    )
    return done.stdout.strip()


HEADERS = {"ledger": LEDGER_HEADER, "units": UNITS_HEADER, "posts": POSTS_HEADER}


def _rows(kind: str, count: int) -> list[list[str]]:
    if kind == "ledger":
        return [[str(k), "440103", "", "巡察", f"问题{k}"] for k in range(count)]
    if kind == "units":
        return [[f"U{k}", f"单位{k}", "440103", "党支部"] for k in range(count)]
    return [["440103", f"人员{k}", "书记", "2026-01-01"] for k in range(count)]


@pytest.mark.parametrize("kind", ["ledger", "units", "posts"])
def test_a_declared_full_sheet_is_read_only_as_wide_as_its_header(kind, tmp_path):
    content = build_xlsx(HEADERS[kind], _rows(kind, 20_000), dimension="A1:XFD1048576")
    assert len(content) < 1024 * 1024  # small on the wire
    assert read_in_child(kind, content, tmp_path) == "read 20000"


@pytest.mark.parametrize("kind", ["ledger", "units", "posts"])
def test_rows_ending_in_column_xfd_are_cut_at_the_columns_limit(kind, tmp_path):
    content = build_xlsx(HEADERS[kind], _rows(kind, 20_000), far_empty_cell=True)
    assert read_in_child(kind, content, tmp_path) == "read 20000"


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """A zip bomb: 600 MB of shared strings in about 600 KB (refused before its header is
    read, so one serves every import)."""
    return build_xlsx(LEDGER_HEADER, _rows("ledger", 3), shared_strings_bytes=600 << 20)


@pytest.mark.parametrize("kind", ["ledger", "units", "posts"])
def test_a_zip_bomb_is_refused_before_it_is_opened(kind, bomb, tmp_path):
    content = bomb
    assert len(content) < 2 * 1024 * 1024
    outcome = read_in_child(kind, content, tmp_path)
    assert outcome.startswith("refused") and "压缩炸弹" in outcome


def test_the_rows_limit_is_named():
    content = build_xlsx(LEDGER_HEADER, _rows("ledger", 30))
    with override_settings(SHUZHI_IMPORT_MAX_ROWS=20), pytest.raises(TabularError) as refused:
        read_ledger("ledger.xlsx", io.BytesIO(content))
    assert "超过 20 行的上限" in str(refused.value)
    csv = ("code,name,parent_code,type\n" + "A,甲,B,党支部\n" * 30).encode()
    with override_settings(SHUZHI_IMPORT_MAX_ROWS=20), pytest.raises(TabularError) as refused:
        read_units_file("units.csv", io.BytesIO(csv))
    assert "超过 20 行的上限" in str(refused.value)


def test_blank_rows_past_the_limit_are_not_counted():
    csv = ("code,name,parent_code,type\n" + "A,甲,B,党支部\n" * 3 + ",,,\n" * 50).encode()
    with override_settings(SHUZHI_IMPORT_MAX_ROWS=5):
        assert len(read_units_file("units.csv", io.BytesIO(csv))) == 3


def test_the_columns_and_cells_limits_are_named():
    wide = LEDGER_HEADER + [f"备注{k}" for k in range(60)]
    content = build_xlsx(wide, _rows("ledger", 2))
    with pytest.raises(TabularError) as refused:
        read_ledger("ledger.xlsx", io.BytesIO(content))
    assert "超过 50 列的上限" in str(refused.value)
    content = build_xlsx(LEDGER_HEADER, _rows("ledger", 30))
    with override_settings(SHUZHI_IMPORT_MAX_CELLS=100), pytest.raises(TabularError) as refused:
        read_ledger("ledger.xlsx", io.BytesIO(content))
    assert "超过 100 个单元格（5 列 × 20 行）的上限" in str(refused.value)


def test_a_csv_line_of_separators_is_refused_before_it_is_split():
    csv = b"code,name,parent_code,type\n" + b"," * 5_000_000 + b"\n"
    with pytest.raises(TabularError) as refused:
        read_units_file("units.csv", io.BytesIO(csv))
    assert "第 2 行的列数远超 50 列的上限" in str(refused.value)


def test_the_unpacked_size_and_ratio_limits_are_named():
    content = build_xlsx(LEDGER_HEADER, _rows("ledger", 3), shared_strings_bytes=2 << 20)
    with pytest.raises(TabularError) as refused:
        check_xlsx_archive(io.BytesIO(content))
    assert "超过 200 倍" in str(refused.value)
    with (
        override_settings(
            SHUZHI_IMPORT_MAX_RATIO=100_000, SHUZHI_IMPORT_MAX_UNPACKED_BYTES=1 << 20
        ),
        pytest.raises(TabularError) as refused,
    ):
        check_xlsx_archive(io.BytesIO(content))
    assert "解压后超过 1 MB 的上限" in str(refused.value)
    # An ordinary workbook passes, and the stream is left at its start for the reader.
    stream = io.BytesIO(build_xlsx(LEDGER_HEADER, _rows("ledger", 3)))
    check_xlsx_archive(stream)
    assert stream.tell() == 0
    assert len(read_sheet("ledger.xlsx", stream).body) == 3


def test_the_header_width_is_its_last_non_empty_cell():
    content = build_xlsx([*UNITS_HEADER, "", ""], [["U1", "甲", "440103", "党支部", "", "x"]])
    rows = read_units_file("units.xlsx", io.BytesIO(content))
    assert rows.extra == [0]  # text right of the header is noticed, not read as a column
