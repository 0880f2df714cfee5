"""Word (.docx): paragraphs, headings and table cells in document order."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import TYPE_CHECKING

from aulac_rag.connectors.readers.archive import safe_zip
from aulac_rag.connectors.readers.types import Extracted
from aulac_rag.errors import ConnectorError
from aulac_rag.limits import DEFAULT_SOURCE_LIMITS, SourceLimits

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.table import Table, _Cell


def read_docx(data: bytes, *, limits: SourceLimits = DEFAULT_SOURCE_LIMITS) -> Extracted:
    """Blocks separated by blank lines, a table's rows as ``cell | cell`` lines.

    The title is the first Title/Heading paragraph, else the core properties title. The zip is
    checked against ``limits`` (zip bombs) before python-docx sees it.
    """
    from docx import Document as open_docx

    if not data.startswith(b"PK"):
        raise ConnectorError(_not_docx(data))
    checked = safe_zip(data, "Word file", limits)
    try:
        document = open_docx(io.BytesIO(checked))
    except Exception as exc:  # not a zip, no word/document.xml, broken XML…
        raise ConnectorError(
            f"cannot read Word file ({exc.__class__.__name__}: {exc}); it may be corrupt, or an old .doc "
            "or another format renamed to .docx: open it in Word or LibreOffice and save it as .docx"
        ) from None
    text = "\n\n".join(block for block in _blocks(document) if block.strip())
    return Extracted(text, _title(document))


def _not_docx(data: bytes) -> str:
    found = "a PDF" if data.startswith(b"%PDF") else "an old .doc" if data.startswith(b"\xd0\xcf\x11\xe0") else "not a zip"
    return (
        f"cannot read Word file: it is not a .docx (the content is {found}); rename it to its real extension, "
        "or open it in Word or LibreOffice and save it as .docx"
    )


def _blocks(container: DocxDocument | _Cell) -> Iterator[str]:
    from docx.table import Table

    for item in container.iter_inner_content():
        if isinstance(item, Table):
            yield _table(item)
        else:
            yield item.text.strip()


def _table(table: Table) -> str:
    lines = []
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            if cell._tc is previous:  # a merged cell is repeated once per grid column
                continue
            previous = cell._tc
            cells.append(" ".join(block for block in _blocks(cell) if block.strip()))
        if any(cells):
            lines.append(" | ".join(cells))
    return "\n".join(lines)


def _title(document: DocxDocument) -> str:
    for paragraph in document.paragraphs:
        style = paragraph.style.name if paragraph.style is not None else ""
        if (style == "Title" or style.startswith("Heading")) and paragraph.text.strip():
            return paragraph.text.strip()
    return (document.core_properties.title or "").strip()
