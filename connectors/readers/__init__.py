"""Per-format readers: bytes of one file in, extracted text (or records) out.

Whole-file formats return one :class:`Extracted`; record formats (``.jsonl``,
``.csv``) yield one :class:`Record` per line or row, or a :class:`RecordError`.
Readers raise :class:`~aulac_rag.errors.ConnectorError` for a file they cannot
read at all; they never see paths, so callers add the source.
"""

from __future__ import annotations

from aulac_rag.connectors.readers.html import read_html
from aulac_rag.connectors.readers.jsonl import read_jsonl
from aulac_rag.connectors.readers.pdf import read_pdf
from aulac_rag.connectors.readers.tabular import read_csv
from aulac_rag.connectors.readers.text import decode_text, read_markdown, read_plain
from aulac_rag.connectors.readers.types import Extracted, FileReader, Record, RecordError, RecordReader
from aulac_rag.connectors.readers.word import read_docx

FILE_READERS: dict[str, FileReader] = {
    ".txt": read_plain,
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".html": read_html,
    ".htm": read_html,
    ".pdf": read_pdf,
    ".docx": read_docx,
}
"""Extension (lower case, with dot) → reader of a one-document file."""

RECORD_READERS: dict[str, RecordReader] = {
    ".jsonl": read_jsonl,
    ".csv": read_csv,
}
"""Extension → reader of a file holding one document per line or row."""

SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(sorted({*FILE_READERS, *RECORD_READERS}))

__all__ = [
    "FILE_READERS",
    "RECORD_READERS",
    "SUPPORTED_EXTENSIONS",
    "Extracted",
    "FileReader",
    "Record",
    "RecordError",
    "RecordReader",
    "decode_text",
    "read_csv",
    "read_docx",
    "read_html",
    "read_jsonl",
    "read_markdown",
    "read_pdf",
    "read_plain",
]
