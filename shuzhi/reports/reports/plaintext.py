"""A report written outside the product (.txt or .docx) read into the shape the checks take.

Reports come with the usual headings 一、二、三…: the heading's words say which section it is
(履职情况 → performance, 存在问题 → problems, 下一步打算 → next_steps, 上年度问题整改情况 →
carried items). The title and signature lines before the first heading are left out. A carried
item is "1.上年度指出的“…”问题。整改情况：…": the quoted problem is its description, the text
after 整改情况 its answer. Used by ``manage.py check_report`` and the API; nothing is stored.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from shuzhi.reports.reports import textual

HEADING = re.compile(r"^\s*[一二三四五六七八九十]{1,3}\s*[、．.]\s*(.{1,40})$")
ANSWER_AT = re.compile(r"(?:整改|落实|办理)(?:情况|进展|进度|结果)\s*[：:]")
QUOTED = re.compile(r"[“\"「](.+?)[”\"」]")
MAX_CHARS = 200_000


class UnreadableReport(ValueError):
    """The file cannot be read as a report (wrong type, undecodable, too long)."""


def section_of(heading: str) -> str:
    """The section code a heading announces."""
    if re.search(r"(上年|去年|上一年|以往).*(问题|整改)|整改情况|整改落实", heading):
        return "carried"
    if re.search(r"问题|不足|差距|短板|剖析|原因", heading):
        return "problems"
    if re.search(r"打算|下一步|措施|方向|思路|计划|努力", heading):
        return "next_steps"
    return "performance"


def _numbered(text: str) -> list[str]:
    """The numbered items of a list; a line without a number continues the item before it,
    and an introduction before the first number is left out."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not any(textual.strip_enumeration(line) != line for line in lines):
        return lines
    found: list[str] = []
    for line in lines:
        if textual.strip_enumeration(line) != line:
            found.append(textual.strip_enumeration(line))
        elif found:
            found[-1] += line
    return found


def _carried(text: str) -> list[dict]:
    rows = []
    for number, item in enumerate(_numbered(text), start=1):
        at = ANSWER_AT.search(item)
        quoted = QUOTED.search(item)
        if at:
            description, answer = item[: at.start()], item[at.end() :]
        else:
            description = quoted.group(1) if quoted else ""
            answer = QUOTED.sub("", item)
        if quoted:
            description = quoted.group(1)
        rows.append(
            {
                "serial": number,
                "description": description.strip(),
                "answer": answer.strip(),
                "evidence": "",
                "status": "",
            }
        )
    return rows


def parse(text: str) -> dict:
    """The report's content: ``sections`` by code, ``carried`` rows and no topics."""
    sections: dict[str, list[str]] = {}
    current: str | None = None
    seen_heading = False
    for line in (text or "").splitlines():
        match = HEADING.match(line)
        if match and not re.search(r"[。；]", match.group(1)):
            current = section_of(match.group(1))
            seen_heading = True
            sections.setdefault(current, [])
            continue
        if not seen_heading:
            continue
        if current is not None:
            sections[current].append(line)
    if not seen_heading:
        # No headings at all: the whole text is the account of the year.
        sections = {"performance": (text or "").splitlines()}
    joined = {code: "\n".join(lines).strip() for code, lines in sections.items()}
    carried = _carried(joined.pop("carried", ""))
    joined.setdefault("problems", "")
    return {"sections": joined, "topics": [], "carried": carried}


def previous_problems(text: str) -> list[str]:
    """Last year's problems from last year's report (its 存在问题 section, or all of it when
    it has no headings)."""
    content = parse(text)
    problems = content["sections"].get("problems") or content["sections"].get("performance", "")
    return textual.items(problems)


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with its BOM (Notepad's "Unicode"), or GB18030."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableReport("无法识别文件编码，请另存为 UTF-8 编码的文本文件或 Word 文件。")


def read_file(name: str, data: bytes) -> str:
    """The text of a .txt or .docx report."""
    suffix = Path(name).suffix.lower()
    if suffix == ".docx":
        try:
            import docx

            document = docx.Document(io.BytesIO(data))
        except Exception as exc:  # python-docx raises many kinds on a broken file
            raise UnreadableReport("无法读取该 Word 文件，请确认它是 .docx 格式且未损坏。") from exc
        text = "\n".join(p.text for p in document.paragraphs)
    elif suffix in (".txt", ".text", ""):
        text = decode(data)
    else:
        raise UnreadableReport(f"不支持的文件类型“{suffix}”：请使用 .txt 或 .docx 文件。")
    if len(text) > MAX_CHARS:
        raise UnreadableReport(f"报告超过 {MAX_CHARS} 个字符，无法检查。")
    return text
