"""Printable code slips: an A4 PDF, 3 × 8 slips a page with cut lines.

Each slip carries a QR code of the voting address ``<base>/v/<code>/``, the code in large
monospace for typing by hand, the voter category and the session title. The slips come out in
a random order so that the hand-out is random too.

The Chinese text is set in the embedded CJK font of :mod:`shuzhi.exports.pdf` (so the slips
print the same on every reader); when none is installed the slips fall back to the
reader-supplied ``STSong-Light`` CID font and say so on the page.
"""

from __future__ import annotations

import io
import secrets

import segno
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas

from shuzhi.exports.pdf import PdfFont, cjk_font, fit_text
from shuzhi.exports.responses import PDF, attachment

from . import tally
from .models import BallotRound, VoteCode

COLUMNS = 3
ROWS = 8
MARGIN = 8 * mm
PAD = 2.5 * mm  # inside a slip, around the QR code and the text


def vote_url(base: str, code: str) -> str:
    """The address a slip's QR code opens."""
    return f"{base.rstrip('/')}/v/{code}/"


# A fixed mask skips segno's search over all eight masks (it scores each one), which was most of
# the time of a large print run; any mask scans equally well. Error level M survives a crease.
QR_ERROR = "m"
QR_MASK = 0
QR_BORDER = 2


def qr_version(urls: list[str]) -> int:
    """The smallest QR version holding the longest of ``urls`` at level M: one size a run."""
    longest = max(urls, key=len, default="")
    return int(segno.make(longest, error=QR_ERROR, micro=False, mask=QR_MASK).version)


def qr_matrix(data: str, version: int | None = None) -> list[list[bool]]:
    """The dark/light modules of ``data``'s QR code (no quiet zone)."""
    qr = segno.make(
        data, error=QR_ERROR, version=version, mask=QR_MASK, micro=False, boost_error=False
    )
    return [[bool(dark) for dark in row] for row in qr.matrix]


def dark_runs(matrix: list[list[bool]]) -> list[tuple[int, int, int]]:
    """Horizontal runs of dark modules as ``(row, first column, length)``."""
    runs = []
    for row_index, row in enumerate(matrix):
        start = None
        for col_index, dark in enumerate([*row, False]):  # the sentinel closes a final run
            if dark and start is None:
                start = col_index
            elif not dark and start is not None:
                runs.append((row_index, start, col_index - start))
                start = None
    return runs


def _draw_qr(
    c: canvas.Canvas, data: str, x: float, y: float, size: float, version: int | None = None
) -> None:
    # One filled path of merged runs instead of a rect operator per module: a few hundred
    # path segments a code rather than ~900 separate fills, and a far smaller PDF.
    matrix = qr_matrix(data, version)
    count = len(matrix) + 2 * QR_BORDER
    cell = size / count
    c.saveState()
    # Work in module units with the origin at the top-left module, so every coordinate in the
    # path is a small integer (cheap for ReportLab to format, short in the PDF).
    c.translate(x + QR_BORDER * cell, y + size - QR_BORDER * cell)
    c.scale(cell, -cell)
    path = c.beginPath()
    for row_index, start, length in dark_runs(matrix):
        path.rect(start, row_index, length, 1)
    c.setFillGray(0)
    c.drawPath(path, stroke=0, fill=1)
    c.restoreState()


def _cut_lines(c: canvas.Canvas, width: float, height: float, cell_w: float, cell_h: float) -> None:
    c.saveState()
    c.setDash(3, 3)
    c.setStrokeGray(0.6)
    c.setLineWidth(0.4)
    for i in range(COLUMNS + 1):
        x = MARGIN + i * cell_w
        c.line(x, MARGIN, x, height - MARGIN)
    for j in range(ROWS + 1):
        y = MARGIN + j * cell_h
        c.line(MARGIN, y, width - MARGIN, y)
    c.restoreState()


def typing_address(base: str) -> str:
    """The address where a voter who cannot scan types the code by hand."""
    return f"{base.rstrip('/')}/v/"


def _by_category(codes: list[tuple[str, str]]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Consecutive runs of one category label, in the order they come."""
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    for code, category in codes:
        if not groups or groups[-1][0] != category:
            groups.append((category, []))
        groups[-1][1].append((code, category))
    return groups


def _header_page(
    c: canvas.Canvas, font: PdfFont, *, title: str, category: str, count: int, address: str
) -> None:
    """The page before a category's slips: staff see at a glance which pile is which."""
    width, height = A4
    c.setFillGray(0)
    c.setFont(font.name, 16)
    c.drawCentredString(
        width / 2, height - 60 * mm, fit_text(title, font.name, 16, width - 40 * mm)
    )
    c.setFont(font.name, 40)
    c.drawCentredString(
        width / 2, height / 2 + 10 * mm, fit_text(category, font.name, 40, width - 30 * mm)
    )
    c.setFont(font.name, 16)
    c.drawCentredString(width / 2, height / 2 - 10 * mm, f"投票码 {count} 张")
    c.setFont(font.name, 11)
    c.drawCentredString(
        width / 2, height / 2 - 25 * mm, f"不能扫码的，请在浏览器中打开 {address} 输入投票码"
    )
    c.showPage()


def render_slips(
    *, codes: list[tuple[str, str]], title: str, base_url: str, font: PdfFont | None = None
) -> bytes:
    """Draw ``codes`` (``(code, category label)``, already in hand-out order, each category's
    codes together) as slips: a header page per category, and each category starting on a new
    page, so no one has to sort slips by category after cutting."""
    font = font or cjk_font()
    buffer = io.BytesIO()
    width, height = A4
    c = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    c.setTitle(f"{title} 投票码")
    c.setAuthor("Shuzhi 述职评议考核")
    cell_w = (width - 2 * MARGIN) / COLUMNS
    cell_h = (height - 2 * MARGIN) / ROWS
    per_page = COLUMNS * ROWS
    address = typing_address(base_url)
    version = qr_version([vote_url(base_url, code) for code, _ in codes]) if codes else None
    groups = _by_category(codes)
    if not groups:
        _cut_lines(c, width, height, cell_w, cell_h)
        c.showPage()
    for category, group in groups:
        _header_page(c, font, title=title, category=category, count=len(group), address=address)
        pages = [group[i : i + per_page] for i in range(0, len(group), per_page)]
        for page in pages:
            _cut_lines(c, width, height, cell_w, cell_h)
            if font.warning:
                c.setFont(font.name, 7)
                c.drawString(MARGIN, height - MARGIN + 2 * mm, font.warning)
            for index, (code, label) in enumerate(page):
                _draw_slip(c, font, index, code, label, title, base_url, version, cell_w, cell_h)
            c.showPage()
    c.save()
    return buffer.getvalue()


def _draw_slip(
    c: canvas.Canvas,
    font: PdfFont,
    index: int,
    code: str,
    category: str,
    title: str,
    base_url: str,
    version: int | None,
    cell_w: float,
    cell_h: float,
) -> None:
    """One slip: the QR code, the title, the category, the code and where to type it."""
    height = A4[1]
    col, row = index % COLUMNS, index // COLUMNS
    x = MARGIN + col * cell_w
    y = height - MARGIN - (row + 1) * cell_h
    pad = PAD
    qr_size = cell_h - 2 * pad
    _draw_qr(c, vote_url(base_url, code), x + pad, y + pad, qr_size, version)
    tx = x + pad + qr_size + 2 * mm
    text_w = cell_w - (tx - x) - pad
    c.setFillGray(0)
    c.setFont(font.name, 7)
    c.drawString(tx, y + cell_h - pad - 7, fit_text(title, font.name, 7, text_w))
    c.setFont(font.name, 9)
    c.drawString(tx, y + cell_h - pad - 19, fit_text(category, font.name, 9, text_w))
    # 15 pt fits the product's 8-character codes; a longer code shrinks to stay inside its slip
    # rather than run over the cut line (or off the page in the last column).
    code_size = min(15.0, text_w / pdfmetrics.stringWidth(code, "Courier-Bold", 1))
    c.setFont("Courier-Bold", code_size)
    c.drawString(tx, y + pad + 12 * mm, code)
    c.setFont(font.name, 6)
    c.drawString(
        tx, y + pad + 6 * mm, fit_text("扫码或输入投票码 · 一码一票", font.name, 6, text_w)
    )
    # The typing address in a plain font, so it reads the same on any printer.
    address = typing_address(base_url)
    c.setFont("Helvetica", min(6.0, text_w / pdfmetrics.stringWidth(address, "Helvetica", 1)))
    c.drawString(tx, y + pad + 1.5 * mm, address)


def shuffled_codes(ballot_round: BallotRound, category: str = "") -> list[tuple[str, str]]:
    """The round's unused codes with their category labels: one category after another, in
    the order of the round's rules, each shuffled."""
    labels = tally.rules_of(ballot_round).category_labels
    order = {cat: i for i, cat in enumerate(labels)}
    rows = VoteCode.objects.filter(round=ballot_round, used=False)
    if category:
        rows = rows.filter(category=category)
    by_category: dict[str, list[tuple[str, str]]] = {}
    for code, cat in rows.values_list("code", "category"):
        by_category.setdefault(cat, []).append((code, labels.get(cat, cat)))
    rng = secrets.SystemRandom()
    codes: list[tuple[str, str]] = []
    for cat in sorted(by_category, key=lambda c: (order.get(c, len(order)), c)):
        group = by_category[cat]
        rng.shuffle(group)
        codes.extend(group)
    return codes


@login_required
@require_GET
def slips_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """Download the round's code slips (ballot.manage); ``?category=`` prints one category."""
    ballot_round = tally.ballot_round_for(request.user, pk, "ballot.manage")
    codes = shuffled_codes(ballot_round, request.GET.get("category", ""))
    pdf = render_slips(
        codes=codes,
        title=ballot_round.session.title,
        base_url=request.build_absolute_uri("/"),
    )
    return attachment(pdf, filename=f"slips-{ballot_round.pk}.pdf", content_type=PDF, no_store=True)
