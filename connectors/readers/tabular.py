"""CSV records: one document per row, from the ``id`` and ``text`` columns (``title`` optional)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from aulac_rag.connectors.readers.text import decode_text
from aulac_rag.connectors.readers.types import Record, RecordError, record_id
from aulac_rag.errors import ConnectorError
from aulac_rag.limits import DEFAULT_SOURCE_LIMITS, SourceLimits

_DELIMITERS = (",", ";", "\t")
_REQUIRED = ("id", "text")


def read_csv(data: bytes, *, limits: SourceLimits = DEFAULT_SOURCE_LIMITS) -> Iterator[Record | RecordError]:
    """One Record per data row; other columns become metadata.

    Column names match case-insensitively; the delimiter is ``,``, ``;`` or tab,
    whichever gives a header with ``id`` and ``text``. ``limits``: the file cap, checked before.
    """
    text = decode_text(data)
    _allow_long_fields(len(text))
    delimiter, header = _header(text)
    columns = {name.strip().lower(): i for i, name in reversed(list(enumerate(header)))}
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    next(rows)
    number = 0
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            yield RecordError(f"line {rows.line_num}", f"broken CSV ({exc}); check the quotes on this line")
            return
        if not any(cell.strip() for cell in row):
            continue
        number += 1
        yield _record(row, header, columns, f"row {number} (line {rows.line_num})")


def _allow_long_fields(size: int) -> None:
    # csv refuses fields over 128 KB by default; a whole law in one cell is longer.
    if size > csv.field_size_limit():
        csv.field_size_limit(size)


def _header(text: str) -> tuple[str, list[str]]:
    first: list[str] | None = None
    for delimiter in _DELIMITERS:
        try:
            header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
        except csv.Error as exc:
            raise ConnectorError(f"broken CSV header ({exc})") from None
        first = header if first is None else first
        names = {name.strip().lower() for name in header}
        if all(column in names for column in _REQUIRED):
            return delimiter, header
    found = ", ".join(repr(name) for name in first or []) or "none"
    raise ConnectorError(
        f"CSV needs the columns 'id' and 'text' (optional 'title'; others become metadata); "
        f"its header row has {found}; rename the header columns"
    )


def _record(row: list[str], header: list[str], columns: dict[str, int], where: str) -> Record | RecordError:
    if len(row) > len(header):
        return RecordError(
            where, f"{len(row)} values for {len(header)} columns; quote values that contain the delimiter"
        )
    cells = row + [""] * (len(header) - len(row))
    try:
        doc_id = record_id(cells[columns["id"]].strip())
    except ValueError as exc:
        return RecordError(where, f"bad id: {exc}")
    text = cells[columns["text"]]
    if not text.strip():
        return RecordError(where, f"text is empty (id {doc_id!r})")
    title = cells[columns["title"]].strip() if "title" in columns else ""
    used = {columns[name] for name in ("id", "text", "title") if name in columns}
    metadata = {name.strip(): cells[i] for i, name in enumerate(header) if i not in used and name.strip()}
    return Record(doc_id, text, where, title, metadata)
