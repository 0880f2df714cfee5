"""Helpers shared by the connector tests."""

from __future__ import annotations

from pathlib import Path

from aulac_rag.connectors import FilesConnector
from aulac_rag.documents import Document, SourceError


def read(path: Path) -> list[Document | SourceError]:
    return list(FilesConnector().run(str(path)))


def only_document(path: Path) -> Document:
    items = read(path)
    assert len(items) == 1 and isinstance(items[0], Document), items
    return items[0]


def only_error(path: Path) -> SourceError:
    items = read(path)
    assert len(items) == 1 and isinstance(items[0], SourceError), items
    return items[0]
