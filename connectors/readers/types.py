"""What readers return: one extracted document, or records with their own ids."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Extracted:
    """The text of a one-document file; an empty title means "use the file name"."""

    text: str
    title: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Record:
    """One document from a record file; ``where`` locates it (``line 3``)."""

    doc_id: str
    text: str
    where: str
    title: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordError:
    """One line or row that could not become a document."""

    where: str
    error: str


FileReader = Callable[..., Extracted]
"""``reader(data, *, limits=SourceLimits())``: the document in a file's bytes; ConnectorError if unreadable."""

RecordReader = Callable[..., Iterator[Record | RecordError]]
"""``reader(data, *, limits=SourceLimits())``: one item per record; ConnectorError if the whole file is unreadable."""


def record_id(value: object) -> str:
    """A record's id as a non-empty string; ValueError saying what is wrong otherwise."""
    if value is None or isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"id must be a string or an integer, got {value!r}")
    text = str(value)
    if not text.strip():
        raise ValueError("id is empty")
    return text
