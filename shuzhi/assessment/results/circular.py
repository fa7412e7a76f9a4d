"""The documents of 结果运用: the circular (通报) in Word and the grades export for cadre files.

:func:`draft` builds a circular's figures and editable section texts from a round's confirmed
grades and the host's consequences table. :func:`build_docx` lays a circular out as an official
document (GB/T 9704-2012, the page of ``shuzhi.exports.official_docx``): the issuing body's
header in red, 文号 with the red separator under it, title, the body with the grade
distribution table, the commended and the criticised units with what they must fix,
发文机关署名 and 成文日期, and the distribution line. :func:`grades_xlsx` is the export for
cadre files (干部档案): one row per current grade, set up for printing.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone
from docx.shared import RGBColor

from shuzhi.assessment.grading.models import GradeRow
from shuzhi.assessment.results.models import (
    Circular,
    ConsequenceRule,
    FollowUp,
    FollowUpKind,
    FollowUpStatus,
)
from shuzhi.core import clock
from shuzhi.cycles.models import Round
from shuzhi.exports.cells import append_row
from shuzhi.exports.official_docx import (
    RED,
    document_date,
    official_document,
    separator,
    signature_block,
)
from shuzhi.exports.sheets import bold_row, column_widths, new_workbook, print_setup, workbook_bytes
from shuzhi.exports.word import (
    BODY_FONT,
    HEADING_FONT,
    TITLE_FONT,
    body_text,
    chinese_number,
    document_bytes,
    official_line,
    official_table,
    set_font,
)

SECTION_HEADINGS = (
    ("intro", "总体情况"),
    ("distribution", "考核结果"),
    ("commended", "通报表扬"),
    ("criticised", "通报批评和整改要求"),
    ("requirements", "工作要求"),
)
EXPORT_HEADER = [
    "单位",
    "单位代码",
    "党组织书记",
    "年度",
    "考核等次",
    "综合得分",
    "排名",
    "综合评价意见",
    "确定日期",
]


def _rows(round_: Round) -> list[GradeRow]:
    """The current rows of the round's confirmed grading, best rank first."""
    return list(
        GradeRow.objects.filter(grading__round=round_, grading__status="confirmed", is_current=True)
        .select_related("reporter__unit", "reporter__person", "grading")
        .prefetch_related(
            Prefetch(
                "follow_ups",
                queryset=FollowUp.objects.exclude(status=FollowUpStatus.CANCELLED),
                to_attr="live_follow_ups",
            )
        )
        .order_by("rank", "reporter__sort_order", "id")
    )


def _name(row: GradeRow) -> str:
    person = row.reporter.person
    return f"{row.reporter.unit.name}{person.name if person else ''}同志"


def draft(round_: Round, rules_in_force: Iterable[ConsequenceRule]) -> dict[str, Any]:
    """Title, issuer, figures and section texts of a new circular for ``round_``, under the
    consequence rules in force for its host (``results.services.effective_rules``)."""
    rows = _rows(round_)
    rules = {rule.grade: rule for rule in rules_in_force}
    scale = [(str(g.get("code")), str(g.get("label", g.get("code")))) for g in round_.scale]
    total = len(rows)
    counts = {code: 0 for code, _label in scale}
    for row in rows:
        counts[row.final] = counts.get(row.final, 0) + 1
    distribution = [
        {
            "grade": code,
            "label": label,
            "count": counts.get(code, 0),
            "share": f"{Decimal(counts.get(code, 0) * 100) / total:.1f}%" if total else "—",
        }
        for code, label in scale
    ]
    labels = dict(scale)
    commended, criticised = [], []
    for row in rows:
        rule = rules.get(row.final)
        if rule is None:
            continue
        entry = {
            "unit": row.reporter.unit.name,
            "person": row.reporter.person.name if row.reporter.person else "",
            "grade": labels.get(row.final, row.final),
        }
        if rule.commend:
            commended.append(entry)
        if rule.criticise:
            must = []
            for follow_up in sorted(row.live_follow_ups, key=lambda f: f.kind):  # type: ignore[attr-defined]
                due = f"，{document_date(follow_up.due_on)}前完成" if follow_up.due_on else ""
                if follow_up.kind == FollowUpKind.TALK:
                    must.append(f"由{follow_up.get_conducted_by_display()}约谈{due}")
                elif follow_up.kind == FollowUpKind.RECTIFICATION:
                    must.append(f"限期整改{due}")
            if not must:
                must.append(rule.summary)
            entry["must"] = "；".join(must)
            entry["opinion"] = row.opinion
            criticised.append(entry)
    host = round_.host.name
    dist_text = "，".join(f"“{d['label']}”等次{d['count']}名" for d in distribution)
    sections = {
        "intro": (
            f"按照年度述职评议考核工作安排，{host}组织开展了{round_.title}。经述职、点评、"
            f"民主测评和综合评定，{host}确定了{total}名党组织书记的考核等次。现将有关情况通报如下。"
        ),
        "distribution": f"本次共考核{total}名党组织书记，其中{dist_text}。",
        "commended": (
            "对以下考核等次为“"
            + "”“".join(sorted({e["grade"] for e in commended}))
            + "”的同志予以通报表扬：\n"
            + "\n".join(f"{e['unit']}{e['person']}同志" for e in commended)
            if commended
            else "本次无列入表扬名单的同志。"
        ),
        "criticised": (
            "对以下同志予以通报批评，并按要求约谈、限期整改：\n"
            + "\n".join(
                f"{e['unit']}{e['person']}同志（考核等次“{e['grade']}”）：{e['must']}。"
                for e in criticised
            )
            if criticised
            else "本次无通报批评的同志。"
        ),
        "requirements": (
            "各级党组织要把考核结果作为干部年度考核、评先评优和选拔任用的重要依据。被通报批评的"
            "同志要对照评价意见认真反思，逐项制定整改措施，按期完成整改，整改情况纳入下一年度"
            "述职内容。"
        ),
    }
    return {
        "title": f"关于{round_.title}结果的通报",
        "issuer": host,
        "scope_text": f"{host}所属各级党组织",
        "sections": [
            {"code": code, "heading": heading, "text": sections[code]}
            for code, heading in SECTION_HEADINGS
        ],
        "data": {
            "total": total,
            "distribution": distribution,
            "commended": commended,
            "criticised": criticised,
            "generated_at": clock.now().isoformat(),
        },
    }


def build_docx(circular: Circular) -> bytes:
    """The .docx bytes of ``circular`` as it stands (a draft carries 草稿 in its header)."""
    doc = official_document()

    # 版头: 发文机关标志 in red, two blank lines, the 发文字号 with the red separator under it,
    # two blank lines, then the title.
    header = official_line(doc, f"{circular.issuer}文件", TITLE_FONT, 26, center=True)
    for run in header.runs:
        run.font.color.rgb = RGBColor.from_string(RED)
    official_line(doc, "", BODY_FONT, 16)
    official_line(doc, "", BODY_FONT, 16)
    number = circular.doc_number or ("（草稿，未编文号）" if not circular.is_locked else "")
    separator(official_line(doc, number, BODY_FONT, 16, center=True))
    official_line(doc, "", BODY_FONT, 16)
    official_line(doc, "", BODY_FONT, 16)
    official_line(doc, circular.title, TITLE_FONT, 22, center=True)
    official_line(doc, "", BODY_FONT, 16)
    if circular.scope_text:
        official_line(doc, f"{circular.scope_text}：", BODY_FONT, 16)

    data = circular.data or {}
    for index, section in enumerate(circular.sections, start=1):
        official_line(
            doc, f"{chinese_number(index)}、{section['heading']}", HEADING_FONT, 16, indent=True
        )
        body_text(doc, section.get("text") or "")
        if section["code"] == "distribution" and data.get("distribution"):
            official_table(
                doc,
                ["考核等次", "人数", "占比"],
                [[d["label"], str(d["count"]), d["share"]] for d in data["distribution"]]
                + [["合计", str(data.get("total", 0)), "100%" if data.get("total") else "—"]],
            )
    # An unsigned draft prints the issuer without a date line (no placeholder to cross out).
    issued = timezone.localdate(circular.issued_at) if circular.issued_at else None
    day = circular.signed_on or issued
    signature_block(doc, circular.issuer, day)
    scope = [circular.scope_text] if circular.scope_text else []
    scope += [unit.name for unit in circular.scope_units.all()] if circular.pk else []
    if scope:
        official_line(doc, "", BODY_FONT, 16)
        paragraph = doc.add_paragraph()
        set_font(paragraph.add_run("发至：" + "，".join(scope) + "。"), BODY_FONT, 14)
    return document_bytes(doc)


def grades_xlsx(round_: Round) -> bytes:
    """One sheet, one row per current confirmed grade: what goes into a cadre's file."""
    labels = {str(g.get("code")): str(g.get("label", g.get("code"))) for g in round_.scale}
    book, sheet = new_workbook("考核等次")
    append_row(sheet, [f"{round_.title} 考核结果（干部档案用）"])
    bold_row(sheet[1], size=14)
    append_row(sheet, EXPORT_HEADER)
    bold_row(sheet[2], centred=True)
    for row in _rows(round_):
        confirmed = row.decided_at or row.grading.locked_at
        append_row(
            sheet,
            [
                row.reporter.unit.name,
                row.reporter.unit.code,
                row.reporter.person.name if row.reporter.person else "",
                round_.year,
                labels.get(row.final, row.final),
                float(row.composite) if row.composite is not None else None,
                row.rank,
                row.opinion,
                timezone.localdate(confirmed) if confirmed else None,
            ],
        )
    column_widths(sheet, [24, 14, 12, 8, 10, 10, 8, 50, 14])
    print_setup(sheet, title_rows="2:2")
    for cells in sheet.iter_rows(min_row=3, min_col=9, max_col=9):
        for cell in cells:
            cell.number_format = "yyyy-mm-dd"
    return workbook_bytes(book)
