"""JSON Lines records: ``{"id", "text", "title"?, "metadata"?}``, one document per line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from aulac_rag.connectors.readers.text import decode_text
from aulac_rag.connectors.readers.types import Record, RecordError, record_id

_SHAPE = 'each line must be one JSON object like {"id": "a1", "text": "...", "title": "..."}'


def read_jsonl(data: bytes) -> Iterator[Record | RecordError]:
    """One Record per non-blank line; a bad line is a RecordError and the rest go on.

    Keys besides id, text, title and metadata are kept in the metadata.
    """
    text = decode_text(data)
    # Split on "\n" only: str.splitlines() would also break at U+2028 inside JSON strings.
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip():
            yield _record(line, f"line {number}")


def _record(line: str, where: str) -> Record | RecordError:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        return RecordError(where, f"not valid JSON ({exc.msg} at column {exc.colno}); {_SHAPE}")
    if not isinstance(value, dict):
        return RecordError(where, f"a JSON {type(value).__name__} is not a record; {_SHAPE}")
    return record_from_mapping(value, where)


def record_from_mapping(value: dict[str, Any], where: str) -> Record | RecordError:
    """A Record from a parsed JSON object, or a RecordError naming the bad field."""
    if "id" not in value:
        return RecordError(where, f'missing "id"; {_SHAPE}')
    try:
        doc_id = record_id(value["id"])
    except ValueError as exc:
        return RecordError(where, f'bad "id": {exc}')
    text = value.get("text")
    if not isinstance(text, str):
        problem = 'missing "text"' if text is None else f'"text" must be a string, got {type(text).__name__}'
        return RecordError(where, f"{problem} (id {doc_id!r}); {_SHAPE}")
    if not text.strip():
        return RecordError(where, f'"text" is empty (id {doc_id!r})')
    title = value.get("title") or ""
    if not isinstance(title, str):
        return RecordError(where, f'"title" must be a string, got {type(title).__name__} (id {doc_id!r})')
    metadata = value.get("metadata") or {}
    if not isinstance(metadata, dict):
        return RecordError(where, f'"metadata" must be an object, got {type(metadata).__name__} (id {doc_id!r})')
    extra = {k: v for k, v in value.items() if k not in ("id", "text", "title", "metadata")}
    return Record(doc_id, text, where, title, {**extra, **metadata})
