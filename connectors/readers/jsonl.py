"""JSON Lines records: ``{"id", "text", "title"?, "metadata"?}``, one document per line.

FAQ records ``{"id", "question", "answer"}`` (no ``text``) index the answer with its question as the
title, so both are embedded and BM25-indexed together (bench/RESULTS.md, "Retrieval options").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from aulac_rag.connectors.readers.text import decode_text
from aulac_rag.connectors.readers.types import Record, RecordError, record_id
from aulac_rag.limits import DEFAULT_SOURCE_LIMITS, SourceLimits

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKET = re.compile(r"[\[\]{}]")
_SHAPE = 'each line must be one JSON object like {"id": "a1", "text": "...", "title": "..."}'


def read_jsonl(data: bytes, *, limits: SourceLimits = DEFAULT_SOURCE_LIMITS) -> Iterator[Record | RecordError]:
    """One Record per non-blank line; a bad line is a RecordError and the rest go on.

    Keys besides id, text, title and metadata are kept in the metadata. A line nested deeper
    than ``limits.max_json_depth`` is refused before it is parsed.
    """
    text = decode_text(data)
    # Split on "\n" only: str.splitlines() would also break at U+2028 inside JSON strings.
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip():
            yield _record(line, f"line {number}", limits.max_json_depth)


def json_depth_over(line: str, limit: int) -> bool:
    """True when the brackets outside strings in ``line`` nest deeper than ``limit`` (no parsing)."""
    depth = 0
    for bracket in _BRACKET.finditer(_STRING.sub("", line)):
        depth += 1 if bracket.group() in "[{" else -1
        if depth > limit:
            return True
    return False


def _record(line: str, where: str, max_depth: int) -> Record | RecordError:
    too_deep = RecordError(
        where, f"nested deeper than {max_depth} levels; flatten the record (metadata values should be plain)"
    )
    if json_depth_over(line, max_depth):
        return too_deep
    try:
        value = json.loads(line)
    except RecursionError:  # not reached below the cap; kept as a backstop
        return too_deep
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
    faq = text is None and isinstance(value.get("question"), str) and isinstance(value.get("answer"), str)
    if faq:  # an FAQ record: the answer is the text and its question is indexed with it, as the title
        text = value["answer"]
    if not isinstance(text, str):
        problem = 'missing "text"' if text is None else f'"text" must be a string, got {type(text).__name__}'
        return RecordError(where, f"{problem} (id {doc_id!r}); {_SHAPE}")
    if not text.strip():
        return RecordError(where, f'"text" is empty (id {doc_id!r})')
    title = value.get("title") or (value["question"] if faq else "")
    if not isinstance(title, str):
        return RecordError(where, f'"title" must be a string, got {type(title).__name__} (id {doc_id!r})')
    metadata = value.get("metadata") or {}
    if not isinstance(metadata, dict):
        return RecordError(where, f'"metadata" must be an object, got {type(metadata).__name__} (id {doc_id!r})')
    # an FAQ's question is dropped from the metadata only where it became the title
    own = ("id", "text", "title", "metadata", *(("answer",) if faq else ()), *(("question",) if faq and title == value["question"] else ()))
    extra = {k: v for k, v in value.items() if k not in own}
    return Record(doc_id, text, where, title, {**extra, **metadata})
