"""A report :class:`~aulac_rag.report.document.Document` as PDF, with fpdf2 and a Unicode TrueType font.

fpdf2 comes with the ``report`` extra. Vietnamese needs a font with its letters (ă, ơ, ư, đ and the stacked tone marks): DejaVu Sans, which
matplotlib ships in ``mpl-data/fonts/ttf`` (found without importing matplotlib), or the regular TTF
named by ``AULAC_PDF_FONT``. Without one the PDF is refused with a one-line error: a PDF whose
diacritics are dropped or replaced would misstate the report. Figures (SVG) are left to the HTML
report; the PDF gives their caption.
"""

from __future__ import annotations

import importlib.util
import os
import re
import unicodedata
from pathlib import Path
from typing import Any

from aulac_rag.errors import ConfigError
from aulac_rag.report.document import Block, Bullets, Document, Figure, KeyValues, Para, Quote, Section, Table

FONT_ENV = "AULAC_PDF_FONT"
FAMILY = "AulacSans"
_CELL_CHARS = 900  # a table row must fit on one page
_TONES = {"ok": (26, 127, 55), "bad": (198, 40, 40), "note": (11, 92, 173), "law": (90, 60, 150)}
_INK, _MUTED = (31, 35, 40), (87, 96, 106)
_SYMBOLS = {"👍": "(+)", "👎": "(−)", "✅": "✓", "❌": "✗", "ℹ️": "", "⚖️": "§", "⚠️": "!"}
_UNSUPPORTED = re.compile("[\U00010000-\U0010ffff\ufe0f]")


def find_fonts() -> dict[str, Path]:
    """``{"": regular, "B": bold}`` TTF paths; ConfigError saying how to get one."""
    named = os.environ.get(FONT_ENV, "").strip()
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigError(f"{FONT_ENV}={named}: no such font file")
        return {"": path, "B": path}
    spec = importlib.util.find_spec("matplotlib")
    if spec is not None and spec.origin:
        folder = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf"
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file():
            return {"": regular, "B": bold if bold.is_file() else regular}
    raise ConfigError(
        "PDF reports need a Unicode font for Vietnamese: pip install matplotlib (ships DejaVu Sans), "
        f"or set {FONT_ENV}=/path/to/font.ttf"
    )


def pdf_unavailable() -> str | None:
    """Why PDF reports cannot be made here (fpdf2 or a Unicode font missing), None when they can."""
    if importlib.util.find_spec("fpdf") is None:
        return "PDF reports need fpdf2: pip install 'aulac-rag[report]' (or 'fpdf2>=2.8.1,<3')"
    try:
        find_fonts()
    except ConfigError as exc:
        return str(exc)
    return None


def clean(text: object) -> str:
    """NFC text with the symbols the font lacks replaced (emoji) or dropped."""
    out = unicodedata.normalize("NFC", str(text))
    for symbol, replacement in _SYMBOLS.items():
        out = out.replace(symbol, replacement)
    return _UNSUPPORTED.sub("", out)


class _Pdf:
    def __init__(self, doc: Document) -> None:
        try:
            from fpdf import FPDF
        except ImportError as exc:
            raise ConfigError("PDF reports need fpdf2: pip install 'aulac-rag[report]' (or 'fpdf2>=2.8.1,<3')") from exc
        fonts = find_fonts()
        footer = clean(doc.title)

        class Page(FPDF):  # type: ignore[misc]
            def footer(self) -> None:
                self.set_y(-12)
                self.set_font(FAMILY, "", 7)
                self.set_text_color(*_MUTED)
                self.cell(0, 5, f"{footer} — trang {self.page_no()}/{{nb}}", align="C")

        self.pdf: Any = Page(format="A4")
        for style, path in fonts.items():
            self.pdf.add_font(FAMILY, style, str(path))
        self.pdf.set_title(clean(doc.title))
        self.pdf.set_author("aulac-rag")
        self.pdf.set_lang(doc.lang)
        self.pdf.set_auto_page_break(True, margin=16)
        self.pdf.set_margins(16, 16, 16)
        self.pdf.add_page()

    def text(self, text: str, size: float = 10, style: str = "", color: tuple[int, int, int] = _INK,
             height: float = 5.2, indent: float = 0) -> None:  # fmt: skip
        from fpdf.enums import XPos, YPos

        self.pdf.set_font(FAMILY, style, size)
        self.pdf.set_text_color(*color)
        self.pdf.set_x(self.pdf.l_margin + indent)
        self.pdf.multi_cell(0, height, clean(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def table(self, headers: list[str] | None, rows: list[list[str]], tones: list[str] | None = None,
              widths: tuple[float, ...] | None = None) -> None:  # fmt: skip
        from fpdf.fonts import FontFace

        columns = len(headers) if headers else len(rows[0]) if rows else 0
        if not columns:
            return
        self.pdf.set_font(FAMILY, "", 8)
        self.pdf.set_text_color(*_INK)
        heading = FontFace(emphasis="BOLD", fill_color=(240, 242, 245))
        with self.pdf.table(col_widths=widths or (1,) * columns, first_row_as_headings=bool(headers),
                            headings_style=heading, line_height=4.2, text_align="LEFT",
                            borders_layout="SINGLE_TOP_LINE" if not headers else "ALL") as table:  # fmt: skip
            if headers:
                row = table.row()
                for cell in headers:
                    row.cell(clean(cell))
            for i, values in enumerate(rows):
                tone = (tones or [])[i] if tones and i < len(tones) else ""
                style = FontFace(color=_TONES[tone]) if tone in _TONES else None
                row = table.row()
                for j, cell in enumerate(values[:columns]):
                    text = clean(cell)
                    text = text if len(text) <= _CELL_CHARS else text[: _CELL_CHARS - 1] + "…"
                    row.cell(text or " ", style=FontFace(emphasis="BOLD") if widths and j == 0 else style)
        self.pdf.ln(2)

    def block(self, block: Block) -> None:
        if isinstance(block, Section):
            self.pdf.ln(3 if block.level > 2 else 5)
            self.text(block.title, size=13 if block.level <= 2 else 11, style="B", height=6.5)
            self.pdf.ln(1)
            for inner in block.blocks:
                self.block(inner)
        elif isinstance(block, Para):
            if block.tone == "law":
                self.text(block.text, size=8, color=_TONES["law"], height=4.2)
            else:
                self.text(block.text, color=_TONES.get(block.tone, _INK))
            self.pdf.ln(1.5)
        elif isinstance(block, Bullets):
            for item in block.items:
                self.text(f"• {item}", indent=3)
            self.pdf.ln(1.5)
        elif isinstance(block, KeyValues):
            self.table(None, [[k, v] for k, v in block.pairs], widths=(32, 68))
        elif isinstance(block, Table):
            self.table(block.headers, block.rows, block.tones)
        elif isinstance(block, Figure):
            self.text(f"Hình: {block.caption} (biểu đồ trong bản HTML)", size=9, color=_MUTED)
        elif isinstance(block, Quote):
            self.text(block.label, size=9, style="B")
            self.text(block.text.strip(), size=9, color=_MUTED, indent=4)


def render_pdf(doc: Document) -> bytes:
    """The document as PDF bytes (A4, Unicode font embedded, page numbers)."""
    out = _Pdf(doc)
    out.text(doc.title, size=16, style="B", height=8)
    if doc.subtitle:
        out.text(doc.subtitle, size=9, color=_MUTED)
    for section in doc.sections:
        out.block(section)
    if doc.footer:
        out.pdf.ln(4)
        out.text(doc.footer, size=8, color=_MUTED, height=4.2)
    return bytes(out.pdf.output())
