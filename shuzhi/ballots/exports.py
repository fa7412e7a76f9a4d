"""Exports of a closed round: an Excel workbook and the Word result sheet.

The workbook has four sheets: 汇总 (per reporter), 分类别 (per reporter × voter category),
分项评价 (per reporter × sub-item) and 原始选票 (the raw anonymous ballots in a random order,
one row per ballot, no ids). The Word document is the 民主测评结果汇总表 an organisation
department files, with a second table 分项评价 when the round has sub-items, on the 公文 page of
A4 (landscape when its table is wide) with page numbers. Every sheet prints on A4 with its
header repeated and page numbers. Both are built from the
same :func:`shuzhi.ballots.tally.compute` the screens use, and both exist only after the round
has closed.
"""

from __future__ import annotations

import secrets

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from shuzhi.exports.cells import append_row
from shuzhi.exports.official_docx import document_date, official_document
from shuzhi.exports.responses import DOCX, XLSX, attachment
from shuzhi.exports.sheets import (
    WIDE_COLUMNS,
    bold_row,
    column_widths,
    new_workbook,
    print_setup,
    workbook_bytes,
)
from shuzhi.exports.word import (
    SONG_FONT,
    document_bytes,
    grid_table,
    paragraph,
    set_font,
    write_cells,
)

from . import hall, tally
from .models import Ballot, BallotRound, BallotRoundStatus


def require_closed(ballot_round: BallotRound) -> None:
    """Exports exist only for a closed or published round."""
    if ballot_round.status == BallotRoundStatus.VOID:
        raise ValidationError(f"本轮已作废（{ballot_round.void_reason}），不能导出结果。")
    if ballot_round.status not in (BallotRoundStatus.CLOSED, BallotRoundStatus.PUBLISHED):
        raise ValidationError("投票结束后才能导出结果。")


def _num(value, places: int):
    d = tally.as_decimal(value, places)
    return None if d is None else float(d)


# The widest 原始选票 sheet still fitted to one page wide.
RAW_FIT_COLUMNS = 20
SMALL_CATEGORY_LABEL = "其他类别（票数过少，合并显示）"
HIDDEN_NOTE = "有效票不足 {} 张，不显示结果"


def raw_ballots(ballot_round: BallotRound, rules: tally.RoundRules, reporter_ids: list[int]):
    """One row per ballot — category, then a grade label per reporter and item — in a random
    order unrelated to when the ballots were cast.

    A category that cast fewer ballots than the round's minimum is shown merged under one
    label, so a lone voter's ballot cannot be picked out by its category; with fewer ballots
    than the minimum in all, no raw ballot is listed."""
    labels = rules.grade_labels
    ballots: dict = {}
    rows = Ballot.objects.filter(round=ballot_round).values_list(
        "id", "category", "ratings", "items"
    )
    for ballot, category, ratings, items in rows.iterator(chunk_size=2000):
        grades = {(int(rid), tally.OVERALL): grade for rid, grade in ratings.items()}
        for rid, graded in items.items():
            grades.update(((int(rid), item), grade) for item, grade in graded.items())
        ballots[ballot] = [category, grades]
    minimum = max(rules.min_ballots, 1)
    if len(ballots) < minimum:
        return []
    sizes: dict[str, int] = {}
    for cat, _grades in ballots.values():
        sizes[cat] = sizes.get(cat, 0) + 1
    result = [
        [rules.category_labels.get(cat, cat) if sizes[cat] >= minimum else SMALL_CATEGORY_LABEL]
        + [
            labels.get(grades.get((rid, item), ""), "弃权") if grades.get((rid, item)) else "弃权"
            for rid in reporter_ids
            for item in rules.items
        ]
        for cat, grades in ballots.values()
    ]
    secrets.SystemRandom().shuffle(result)
    return result


def workbook(ballot_round: BallotRound) -> bytes:
    """The Excel workbook of a closed round."""
    require_closed(ballot_round)
    result = tally.compute(ballot_round)
    rules = result.rules
    grades = tally.grade_header(rules)
    wb, ws = new_workbook("汇总")
    append_row(ws, [f"{ballot_round.session.title} 民主测评结果（第{ballot_round.number}轮）"])
    append_row(
        ws,
        [
            f"有效票 {result.ballots} 张；结果显示最少票数 {rules.min_ballots}。"
            f"{result.renormalised_note}"
        ],
    )
    header = ["序号", "述职单位", "述职人"] + [label for _, label in grades]
    header += ["弃权", "好率", "好+较好率", "平均分", "综合得分", "排名", "备注"]
    append_row(ws, header)
    bold_row(ws[3])
    for index, r in enumerate(result.reporters, start=1):
        row = [index, r.unit_name, r.person_name]
        if r.hidden:
            row += [None] * (len(grades) + 6) + [f"有效票不足 {rules.min_ballots} 张，不显示结果"]
        else:
            row += [
                *r.counts.values(),
                r.abstained,
                _num(r.good_rate, 4),
                _num(r.good_fair_rate, 4),
                _num(r.average, 2),
                _num(r.score, 2),
                r.rank,
                "已按有票类别折算权重" if r.renormalised else "",
            ]
        append_row(ws, row)
    column_widths(ws, {"B": 22, "C": 22})
    print_setup(ws, title_rows="3:3")
    rate_cols = [len(grades) + 5, len(grades) + 6]
    for row in ws.iter_rows(min_row=4):
        for i in rate_cols:
            row[i - 1].number_format = "0.00%"

    ws2 = wb.create_sheet("分类别")
    append_row(
        ws2,
        ["述职单位", "述职人", "类别", "权重"]
        + [label for _, label in grades]
        + ["弃权", "好率", "好+较好率", "平均分"],
    )
    bold_row(ws2[1])
    weights = rules.weights
    for r in result.reporters:
        if r.hidden:
            append_row(ws2, [r.unit_name, r.person_name, "—", None] + [None] * (len(grades) + 4))
            continue
        for c in r.categories:
            if c.hidden:
                note = "该类别票数少于结果显示最少票数，不单独显示"
                append_row(
                    ws2, [r.unit_name, r.person_name, c.label, _num(weights.get(c.code), 4), note]
                )
                continue
            append_row(
                ws2,
                [
                    r.unit_name,
                    r.person_name,
                    c.label,
                    _num(weights.get(c.code), 4),
                    *c.counts.values(),
                    c.abstained,
                    _num(c.good_rate, 4),
                    _num(c.good_fair_rate, 4),
                    _num(c.average, 2),
                ],
            )

    ws_sub = wb.create_sheet("分项评价")
    append_row(
        ws_sub,
        ["述职单位", "述职人", "分项"]
        + [label for _, label in grades]
        + ["弃权", "好率", "好+较好率", "平均分"],
    )
    bold_row(ws_sub[1])
    if not rules.sub_items:
        append_row(ws_sub, ["本轮未设分项评价，仅有总体评价。"])
    for r in result.reporters if rules.sub_items else []:
        if r.hidden:
            append_row(
                ws_sub, [r.unit_name, r.person_name, "—", HIDDEN_NOTE.format(rules.min_ballots)]
            )
            continue
        for item in r.sub_items:
            if item.hidden:
                append_row(
                    ws_sub,
                    [r.unit_name, r.person_name, item.label, HIDDEN_NOTE.format(rules.min_ballots)],
                )
                continue
            append_row(
                ws_sub,
                [
                    r.unit_name,
                    r.person_name,
                    item.label,
                    *item.counts.values(),
                    item.abstained,
                    _num(item.good_rate, 4),
                    _num(item.good_fair_rate, 4),
                    _num(item.average, 2),
                ],
            )
    for row in ws_sub.iter_rows(min_row=2):
        for i in (len(grades) + 5, len(grades) + 6):
            row[i - 1].number_format = "0.00%"
    column_widths(ws_sub, [18, 18, 18])
    print_setup(ws_sub)

    ws3 = wb.create_sheet("原始选票")
    reporters = tally.session_reporters(ballot_round)
    item_labels = {s["code"]: s["label"] for s in rules.sub_items} | {tally.OVERALL: ""}
    append_row(
        ws3,
        ["类别"]
        + [
            f"{sr.reporter.unit.name}{('·' + item_labels[item]) if item_labels[item] else ''}"
            for sr in reporters
            for item in rules.items
        ],
    )
    bold_row(ws3[1], wrapped=True)
    for row in raw_ballots(ballot_round, rules, [sr.pk for sr in reporters]):
        append_row(ws3, row)
    print_setup(ws2)
    # Many reporters make the raw ballots too wide to read on one page: they run on across
    # pages with the category column repeated instead.
    readable = ws3.max_column <= RAW_FIT_COLUMNS
    print_setup(ws3, fit_width=readable, title_columns=None if readable else "A:A")
    return workbook_bytes(wb)


def _cjk(run, size: float | None = None, bold: bool = False) -> None:
    set_font(run, SONG_FONT, size, bold)


def _para(doc, text: str, *, size: float = 12, bold: bool = False, center: bool = False):
    return paragraph(doc, text, SONG_FONT, size, center=center, bold=bold)


def result_sheet(ballot_round: BallotRound) -> bytes:
    """The Word 民主测评结果汇总表 of a closed round."""
    require_closed(ballot_round)
    result = tally.compute(ballot_round)
    progress = hall.progress(ballot_round)
    rules = result.rules
    grades = tally.grade_header(rules)
    session = ballot_round.session
    header = ["序号", "述职单位", "述职人"] + [label for _, label in grades]
    header += ["弃权", "好率", "好+较好率", "综合得分", "排名"]
    doc = official_document(landscape=len(header) > WIDE_COLUMNS)
    _para(doc, "民主测评结果汇总表", size=18, bold=True, center=True)
    _para(doc, f"{session.title}（第{ballot_round.number}轮）", size=12, center=True)
    _para(doc, f"会议日期：{document_date(session.date)}    地点：{session.place or '—'}")
    _para(
        doc,
        f"应到 {progress.expected} 人，实到 {progress.present} 人，"
        f"收回有效票 {result.ballots} 张。",
    )
    if result.renormalised_note:
        _para(doc, result.renormalised_note, size=10)
    table = grid_table(doc, header, font=SONG_FONT, size=10, header_bold=True)
    for index, r in enumerate(result.reporters, start=1):
        cells = table.add_row().cells
        values = [str(index), r.unit_name, r.person_name]
        if r.hidden:
            values += [""] * (len(grades) + 5)
        else:
            values += [str(n) for n in r.counts.values()]
            values += [
                str(r.abstained),
                r.good_rate_text,
                r.good_fair_rate_text,
                r.score_text,
                str(r.rank or ""),
            ]
        write_cells(cells, values, SONG_FONT, 10)
        if r.hidden:
            merged = cells[3].merge(cells[-1])
            merged.text = ""
            _cjk(merged.paragraphs[0].add_run(f"有效票不足 {rules.min_ballots} 张，不显示结果"), 10)
    weights = "，".join(
        f"{c['label']} {tally.percent(rules.weights[c['code']])}" for c in rules.categories
    )
    _para(doc, f"说明：综合得分 = Σ 各类别平均分 × 类别权重（{weights}）。", size=9)
    if rules.sub_items:
        _sub_item_table(doc, result, grades)
    _para(doc, "")
    _para(doc, "统计人：＿＿＿＿＿＿    监票人：＿＿＿＿＿＿    日期：＿＿＿＿年＿＿月＿＿日")
    return document_bytes(doc)


def _sub_item_table(doc, result: tally.Tally, grades: list[tuple[str, str]]) -> None:
    """The 分项评价 table of the Word sheet: one row per reporter × sub-item."""
    rules = result.rules
    _para(doc, "分项评价", size=12, bold=True)
    header = ["述职单位", "述职人", "分项"] + [label for _, label in grades]
    header += ["弃权", "好率", "好+较好率", "平均分"]
    table = grid_table(doc, header, font=SONG_FONT, size=10, header_bold=True)
    hidden_note = HIDDEN_NOTE.format(rules.min_ballots)
    for r in result.reporters:
        # A hidden reporter gets one row; a visible one a row per sub-item.
        items: list[tally.SubItemResult | None] = [None] if r.hidden else list(r.sub_items)
        for item in items:
            cells = table.add_row().cells
            values = [r.unit_name, r.person_name, item.label if item else "—"]
            if item is None or item.hidden:
                values += [""] * (len(grades) + 4)
            else:
                values += [str(n) for n in item.counts.values()]
                values += [
                    str(item.abstained),
                    item.good_rate_text,
                    item.good_fair_rate_text,
                    item.average_text,
                ]
            write_cells(cells, values, SONG_FONT, 10)
            if item is None or item.hidden:
                merged = cells[3].merge(cells[-1])
                merged.text = ""
                _cjk(merged.paragraphs[0].add_run(hidden_note), 10)


def _download(
    request: HttpRequest, pk: int, build, content_type: str, filename: str
) -> HttpResponse:
    ballot_round = tally.ballot_round_for(request.user, pk, "ballot.results")
    refusal = tally.results_refusal(ballot_round, request.user)
    if refusal:  # open or void: nobody; closed: its organisers; published: all who may read
        return HttpResponse(refusal, status=403, content_type="text/plain; charset=utf-8")
    try:
        data = build(ballot_round)
    except ValidationError as exc:
        return HttpResponse(
            " ".join(exc.messages), status=409, content_type="text/plain; charset=utf-8"
        )
    return attachment(
        data,
        filename=f"ballot-{ballot_round.pk}.{filename}",
        content_type=content_type,
        no_store=True,
    )


@login_required
@require_GET
def export_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    """Download the Excel workbook (ballot.results)."""
    return _download(request, pk, workbook, XLSX, "xlsx")


@login_required
@require_GET
def result_docx(request: HttpRequest, pk: int) -> HttpResponse:
    """Download the Word result sheet (ballot.results)."""
    return _download(request, pk, result_sheet, DOCX, "docx")
