"""How PDFs set Chinese text: the CJK font, registered once, and text fitted to a width.

ReportLab embeds only TrueType outlines (``glyf``), not CFF, so the font is looked for among
known TrueType CJK files (or the file named by ``SHUZHI_PDF_FONT``), and embedded so the file
prints the same on every reader. When none is installed the PDF falls back to the
reader-supplied ``STSong-Light`` CID font, and :attr:`PdfFont.warning` is the sentence to print
on the page saying so.

Example::

    font = cjk_font()
    canvas.setFont(font.name, 9)
    canvas.drawString(x, y, fit_text(title, font.name, 9, width))
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

# TrueType (glyf) CJK fonts, in order of preference: (path, subfont index of a collection).
CJK_FONT_CANDIDATES: list[tuple[str, int]] = [
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
]
FALLBACK_FONT = "STSong-Light"
FALLBACK_WARNING = (
    "未找到可嵌入的中文字体，本文件使用阅读器自带字体，打印效果可能不同。请安装 fonts-wqy-zenhei。"
)


@dataclass(frozen=True)
class PdfFont:
    """The font registered for Chinese text, and whether it is embedded."""

    name: str
    embedded: bool

    @property
    def warning(self) -> str:
        return "" if self.embedded else FALLBACK_WARNING


_registered: PdfFont | None = None


def _candidates() -> list[tuple[str, int]]:
    configured = getattr(settings, "SHUZHI_PDF_FONT", "") or os.environ.get("SHUZHI_PDF_FONT", "")
    extra = [(configured, 0)] if configured else []
    return extra + CJK_FONT_CANDIDATES


def cjk_font(candidates: list[tuple[str, int]] | None = None) -> PdfFont:
    """Register (once) and return the font for Chinese text."""
    global _registered
    if candidates is None and _registered is not None:
        return _registered
    chosen = None
    for path, index in candidates if candidates is not None else _candidates():
        if not Path(path).is_file():
            continue
        try:
            pdfmetrics.registerFont(TTFont("ShuzhiCJK", path, subfontIndex=index))
        except Exception:  # a CFF or broken file: try the next one
            continue
        chosen = PdfFont("ShuzhiCJK", embedded=True)
        break
    if chosen is None:
        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
        chosen = PdfFont(FALLBACK_FONT, embedded=False)
    if candidates is None:
        _registered = chosen
    return chosen


def fit_text(text: str, font: str, size: float, width: float) -> str:
    """Shorten ``text`` with an ellipsis so it fits ``width`` points."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"
