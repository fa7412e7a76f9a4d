"""Reading an uploaded CSV or XLSX into bounded rows, whatever the file claims.

Every import reads its file here, so a hostile file is refused once for all of them:

- an .xlsx is a zip: its members are checked before the spreadsheet library opens it — their
  total unpacked size (``SHUZHI_IMPORT_MAX_UNPACKED_BYTES``) and each large member's
  compression ratio (``SHUZHI_IMPORT_MAX_RATIO``), so a few kilobytes cannot unpack into
  gigabytes (the zip library stops at each member's declared size, so the declared sizes bind);
- the sheet's declared dimension (``<dimension ref="A1:XFD1048576"/>``) is ignored: the header
  is found among the first rows, its width is its last non-empty cell, at most
  ``SHUZHI_IMPORT_MAX_COLUMNS``, and every data row is read only that wide (plus the columns
  limit, to notice text beyond the header) — never as wide as the sheet says it is;
- the data rows stop at ``SHUZHI_IMPORT_MAX_ROWS`` and ``SHUZHI_IMPORT_MAX_CELLS`` (rows ×
  header width); blank rows are kept as one shared empty row, so a run of them costs nothing;
- a CSV line with far more separators than the columns limit allows is refused before it is
  split into fields.

The errors are :class:`TabularError` with a Chinese message naming the limit.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings

# Rows among which the header is looked for (title rows and a two-row header may come first).
HEADER_ROWS = 8
# Members smaller than this are not judged by their ratio: a small part compresses well and
# cannot unpack into much.
RATIO_FLOOR_BYTES = 1024 * 1024
# A CSV line may hold this many separators per allowed column (quoted text may hold commas).
SEPARATORS_PER_COLUMN = 20
UNREADABLE_XLSX = "无法读取该 Excel 文件，请确认它是 .xlsx 格式且未损坏。"


class TabularError(Exception):
    """The file as a whole cannot be read (wrong format, undecodable, no header, too large)."""


@dataclass
class Sheet:
    """A file's header and data rows, every data row exactly as wide as the header.

    ``header_number`` is the header's row number as Excel shows it (1 without a title row);
    the data row at index ``k`` is row ``header_number + 1 + k``. ``extra`` holds the indexes
    of data rows with text to the right of the header's last column.
    """

    header: list[Any]
    header_number: int
    body: list[Sequence[Any]]
    extra: set[int] = field(default_factory=set)

    def numbered(self) -> Iterator[tuple[int, Sequence[Any]]]:
        """``(row number, cells)`` of every data row."""
        first = self.header_number + 1
        for k, record in enumerate(self.body):
            yield first + k, record


@dataclass
class HeaderSpan:
    """A header over several rows (a group title merged over its sub-columns), given as one
    combined row: ``cells`` is the header, ``last`` the index of its last row among the probed
    rows (the data starts below it)."""

    last: int
    cells: list[Any]


def first_row(records: Sequence[Sequence[Any]]) -> int:
    """The header is the first row (the default of :func:`read_sheet`)."""
    return 0


# Byte-order marks of UTF-16 ("Unicode 文本" as Excel saves it on Windows).
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def decode(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes as UTF-16 with its BOM (Excel's "Unicode 文本"), UTF-8 (with or without
    BOM) or GB18030 (which covers GBK and the rare characters GBK lacks); raise if none fits."""
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise TabularError(
                "文件看起来是 Unicode 文本（UTF-16），但内容已损坏：请重新保存后再上传。"
            ) from exc
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise TabularError(
            f"文件编码无法识别（第 {line} 行附近）："
            "请另存为 UTF-8 或 GB18030 编码的 CSV，或直接上传 Excel 文件。"
        ) from exc


def delimiter_of(text: str) -> str:
    """Tab for tab-separated text (Excel's "Unicode 文本" and "文本文件" saves), else comma:
    judged on the first line only."""
    first = text.split("\n", 1)[0]
    tabs = first.count("\t")
    return "\t" if tabs and tabs >= first.count(",") else ","


def check_xlsx_archive(stream: BinaryIO) -> None:
    """Refuse an .xlsx whose members would unpack too large or compress suspiciously well;
    leave ``stream`` at its start."""
    total_limit = settings.SHUZHI_IMPORT_MAX_UNPACKED_BYTES
    ratio_limit = settings.SHUZHI_IMPORT_MAX_RATIO
    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise TabularError(UNREADABLE_XLSX) from exc
    finally:
        stream.seek(0)
    total = 0
    for member in members:
        total += member.file_size
        if member.file_size >= RATIO_FLOOR_BYTES and (
            member.file_size > ratio_limit * max(member.compress_size, 1)
        ):
            raise TabularError(
                f"该 Excel 文件的压缩比异常（超过 {ratio_limit} 倍），疑似压缩炸弹，已拒绝。"
                "请用 Excel 重新保存后再上传。"
            )
        if total > total_limit:
            raise TabularError(
                f"该 Excel 文件解压后超过 {total_limit // 1048576} MB 的上限，已拒绝。"
                "请拆分为多个文件后分别导入。"
            )


def _width(header: Sequence[Any]) -> int:
    """The header's width: up to its last non-empty cell."""
    width = len(header)
    while width and (header[width - 1] is None or not str(header[width - 1]).strip()):
        width -= 1
    return width


def _blank(cells: Iterable[Any]) -> bool:
    return all(cell is None or not str(cell).strip() for cell in cells)


class _Bounds:
    """The limits, read once per file."""

    def __init__(self) -> None:
        self.rows = settings.SHUZHI_IMPORT_MAX_ROWS
        self.columns = settings.SHUZHI_IMPORT_MAX_COLUMNS
        self.cells = settings.SHUZHI_IMPORT_MAX_CELLS

    def header(self, header: Sequence[Any]) -> list[Any]:
        width = _width(header)
        if not width:
            raise TabularError("表头是空的：第一行应为列名。请下载导入模板对照填写。")
        if width > self.columns:
            raise TabularError(
                f"表头有 {width} 列，超过 {self.columns} 列的上限：请删除多余的列后再上传。"
            )
        return list(header[:width])

    def rows_for(self, width: int) -> int:
        """How many data rows a header this wide may have (rows and cells limits)."""
        return min(self.rows, self.cells // max(width, 1))

    def too_many_rows(self, width: int) -> TabularError:
        limit = self.rows_for(width)
        if limit < self.rows:
            return TabularError(
                f"文件的数据超过 {self.cells} 个单元格（{width} 列 × {limit} 行）的上限："
                "请拆分为多个文件后分别导入。"
            )
        return TabularError(f"文件的数据超过 {self.rows} 行的上限：请拆分为多个文件后分别导入。")


def _collect(
    records: Iterable[Sequence[Any]], width: int, bounds: _Bounds
) -> tuple[list[Sequence[Any]], set[int]]:
    """Data rows cut (or padded) to ``width``; text beyond it noted; the limits enforced.
    Blank rows past the limit are allowed (sheets often carry formatted empty rows)."""
    limit = bounds.rows_for(width)
    empty: tuple[Any, ...] = ("",) * width
    body: list[Sequence[Any]] = []
    extra: set[int] = set()
    filler: object = None  # the reader's shared row for a gap in the sheet, once seen
    for record in records:
        blank = record is filler or _blank(record)
        if blank and isinstance(record, tuple):
            filler = record
        if len(body) >= limit:
            if blank:
                continue
            raise bounds.too_many_rows(width)
        if blank:
            body.append(empty)
            continue
        if len(record) > width:
            if not _blank(record[width:]):
                extra.add(len(body))
            record = record[:width]
        elif len(record) < width:
            record = tuple(record) + ("",) * (width - len(record))
        body.append(record)
    # Trailing blank rows carry nothing: drop them so counts are the file's real rows.
    while body and body[-1] is empty:
        body.pop()
    return body, extra


def _csv_lines(text: str, columns: int, delimiter: str = ",") -> Iterator[str]:
    limit = columns * SEPARATORS_PER_COLUMN
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if line.count(delimiter) > limit:
            raise TabularError(
                f"第 {number} 行的列数远超 {columns} 列的上限，文件已拒绝：请检查分隔符。"
            )
        yield line


def _header_at(
    probe: list[list[Any]], find_header: Callable[[list[list[Any]]], int | HeaderSpan]
) -> tuple[int, list[Any]]:
    """The index of the header's last row and the header's cells (one row or a combined span)."""
    found = find_header(probe)
    if isinstance(found, HeaderSpan):
        return found.last, found.cells
    return found, probe[found]


def _read_csv(data: bytes, find_header: Callable[[list[list[Any]]], int | HeaderSpan]) -> Sheet:
    bounds = _Bounds()
    text, _encoding = decode(data)
    delimiter = delimiter_of(text)
    reader = csv.reader(_csv_lines(text, bounds.columns, delimiter), delimiter=delimiter)
    try:
        probe: list[list[Any]] = []
        for record in reader:
            probe.append(record)
            if len(probe) >= HEADER_ROWS:
                break
        if not probe:
            raise TabularError("文件是空的。")
        top, cells = _header_at(probe, find_header)
        header = bounds.header(cells)
        body, extra = _collect(_chain(probe[top + 1 :], reader), len(header), bounds)
    except csv.Error as exc:
        raise TabularError(f"CSV 文件格式有误（第 {reader.line_num} 行附近）：{exc}") from exc
    return Sheet(header=header, header_number=top + 1, body=body, extra=extra)


def _chain(first: list[list[Any]], rest: Iterable[list[Any]]) -> Iterator[list[Any]]:
    yield from first
    yield from rest


def _read_xlsx(
    stream: BinaryIO, find_header: Callable[[list[list[Any]]], int | HeaderSpan]
) -> Sheet:
    from openpyxl import load_workbook

    bounds = _Bounds()
    check_xlsx_archive(stream)
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise TabularError(UNREADABLE_XLSX) from exc
    try:
        if not workbook.worksheets:
            raise TabularError("工作表是空的。")
        sheet = workbook.worksheets[0]
        # The declared dimension is the file's claim, not its content: forget it, so no row
        # is padded to it.
        reset = getattr(sheet, "reset_dimensions", None)
        if reset is not None:
            reset()
        # The first rows as wide as their own last cell (a handful of rows: bounded).
        probe = [list(row) for row in sheet.iter_rows(max_row=HEADER_ROWS, values_only=True)]
        while probe and _blank(probe[-1]):
            probe.pop()
        if not probe:
            raise TabularError("工作表是空的。")
        top, cells = _header_at(probe, find_header)
        header = bounds.header(cells)
        width = len(header)
        rows = sheet.iter_rows(min_row=top + 2, max_col=bounds.columns, values_only=True)
        body, extra = _collect(rows, width, bounds)
    except TabularError:
        raise
    except Exception as exc:  # a damaged sheet part
        raise TabularError(UNREADABLE_XLSX) from exc
    finally:
        workbook.close()
    return Sheet(header=header, header_number=top + 1, body=body, extra=extra)


def read_sheet(
    name: str,
    stream: BinaryIO,
    *,
    find_header: Callable[[list[list[Any]]], int | HeaderSpan] = first_row,
) -> Sheet:
    """Read a .csv/.txt (UTF-16, UTF-8 or GB18030; comma- or tab-separated) or .xlsx file into
    a bounded :class:`Sheet`.

    ``find_header`` gets the first rows (at most :data:`HEADER_ROWS`) and answers the index
    of the header among them (or a :class:`HeaderSpan` for a header over several rows), or
    raises :class:`TabularError`.
    """
    suffix = Path(name).suffix.lower()
    if suffix in (".csv", ".txt"):
        return _read_csv(stream.read(), find_header)
    if suffix == ".xlsx":
        return _read_xlsx(stream, find_header)
    if suffix == ".xls":
        raise TabularError(
            "暂不支持 Excel 97-2003 格式（.xls）："
            "请在 Excel 中“另存为” Excel 工作簿（.xlsx）后再上传。"
        )
    raise TabularError(f"不支持的文件类型“{suffix or name}”：请上传 .csv 或 .xlsx 文件。")
