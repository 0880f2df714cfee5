"""PDF: the text layer of every page (pypdf), titled by the document's metadata."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from aulac_rag.connectors.readers.types import Extracted
from aulac_rag.errors import ConnectorError
from aulac_rag.limits import DEFAULT_SOURCE_LIMITS, SourceLimits

if TYPE_CHECKING:
    from pypdf import PdfReader

_CORRUPT = "cannot read PDF (corrupt or not a PDF: {detail}); re-export or re-download it"


def read_pdf(data: bytes, *, limits: SourceLimits = DEFAULT_SOURCE_LIMITS) -> Extracted:
    """Page texts joined by blank lines; ConnectorError if encrypted, corrupt or scanned.

    A PDF locked only against editing (empty user password) is read normally. ``limits``: the
    file cap, checked before.
    """
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            _unlock(reader)
        pages = list(reader.pages)
    except ConnectorError:
        raise
    except Exception as exc:  # pypdf raises many types (PdfReadError, ValueError, KeyError…) on damaged files
        raise ConnectorError(_CORRUPT.format(detail=exc)) from None
    texts: list[str] = []
    unreadable: list[int] = []
    for number, page in enumerate(pages, 1):
        try:
            text = page.extract_text()
        except Exception:  # one damaged page must not lose the others
            unreadable.append(number)
            continue
        if text.strip():
            texts.append(text.strip())
    if not texts:
        if unreadable:
            raise ConnectorError(_CORRUPT.format(detail=f"no page could be read, of {len(pages)}"))
        raise ConnectorError(
            f"no text layer (scanned PDF?) in {len(pages)} page(s): run OCR first, e.g. `ocrmypdf -l vie in.pdf out.pdf`"
        )
    metadata: dict[str, object] = {"pages": len(pages)}
    if unreadable:
        metadata["unreadable_pages"] = unreadable
    return Extracted("\n\n".join(texts), _title(reader), metadata)


def _unlock(reader: PdfReader) -> None:
    from pypdf.errors import DependencyError

    try:
        opened = reader.decrypt("")
    except DependencyError:
        raise ConnectorError(
            "encrypted PDF (AES): remove the password (e.g. `qpdf --decrypt in.pdf out.pdf`), "
            "or pip install cryptography if it opens without one"
        ) from None
    if not opened:
        raise ConnectorError("encrypted PDF: it needs a password to open; remove the password (e.g. `qpdf --decrypt`)")


def _title(reader: PdfReader) -> str:
    try:
        info = reader.metadata
        title = info.title if info is not None else None
    except Exception:  # a broken Info dictionary only costs the title
        return ""
    return str(title).strip() if title else ""
