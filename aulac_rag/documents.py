"""The records that flow from connectors into the index."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any


def content_hash(text: str) -> str:
    """Stable sha256 hex digest of ``text`` (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Document:
    """One source document, as a connector yields it (text already extracted)."""

    doc_id: str
    text: str
    title: str = ""
    source: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceError:
    """A source that could not be read; reported in the ingest summary."""

    source: str
    error: str


@dataclass(frozen=True)
class Chunk:
    """A piece of a document that is embedded and indexed as one point."""

    doc_id: str
    chunk_id: str
    text: str
    title: str
    position: int
    source: str
    doc_hash: str
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        return content_hash(self.text)
