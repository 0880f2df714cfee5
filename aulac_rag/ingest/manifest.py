"""Per-sandbox ingestion manifest (SQLite): what each document's indexed version is.

A document being (re)indexed carries ``pending_hash`` (and its chunk count) until all
its new points are written and its old ones deleted; a document being deleted carries
``pending_hash = ""``. A crash leaves that mark, and the next run finishes the step
(the new version is complete, or a deletion had begun) or rolls it back (the new
version is incomplete, so the old one is still whole).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class DocumentRecord:
    doc_id: str
    doc_hash: str | None
    pending_hash: str | None
    title: str
    source: str
    chunks: int
    updated_at: float
    #: how many chunks the pending version has (0 when unknown); ``pending_hash == ""`` marks a deletion
    pending_chunks: int = 0

    @property
    def deleting(self) -> bool:
        return self.pending_hash == ""


_COLUMNS = "doc_id, doc_hash, pending_hash, title, source, chunks, updated_at, pending_chunks"


class IngestManifest:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS documents (doc_id TEXT PRIMARY KEY, doc_hash TEXT, pending_hash TEXT,"
            " title TEXT NOT NULL DEFAULT '', source TEXT NOT NULL DEFAULT '', chunks INTEGER NOT NULL DEFAULT 0,"
            " updated_at REAL NOT NULL)"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(documents)")}
        if "pending_chunks" not in columns:  # manifests written before crash recovery could roll forward
            self._db.execute("ALTER TABLE documents ADD COLUMN pending_chunks INTEGER NOT NULL DEFAULT 0")
        # what the document scan found (instructions aimed at the assistant), JSON per document
        self._db.execute("CREATE TABLE IF NOT EXISTS findings (doc_id TEXT PRIMARY KEY, findings TEXT NOT NULL)")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes into one transaction (one sync to disk): all of them are kept or none."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def set_findings(self, doc_id: str, findings: list[dict[str, Any]]) -> None:
        """Record the scan findings of ``doc_id`` (an empty list clears them)."""
        if not findings:
            self._db.execute("DELETE FROM findings WHERE doc_id = ?", (doc_id,))
        else:
            self._db.execute("INSERT OR REPLACE INTO findings VALUES (?, ?)", (doc_id, json.dumps(findings, ensure_ascii=False)))

    def findings(self) -> dict[str, list[dict[str, Any]]]:
        """doc_id → its findings, for every document that has some."""
        return {doc_id: json.loads(text) for doc_id, text in self._db.execute("SELECT doc_id, findings FROM findings")}

    def get(self, doc_id: str) -> DocumentRecord | None:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return DocumentRecord(*row) if row else None

    def all(self) -> list[DocumentRecord]:
        return [DocumentRecord(*row) for row in self._db.execute(f"SELECT {_COLUMNS} FROM documents ORDER BY doc_id")]

    def pending(self) -> list[DocumentRecord]:
        return [r for r in self.all() if r.pending_hash is not None]

    def begin(self, doc_id: str, new_hash: str, title: str, source: str, chunks: int = 0) -> None:
        """Mark a new version pending, with its chunk count (recovery rolls it forward when complete)."""
        self._db.execute(
            "INSERT INTO documents (doc_id, doc_hash, pending_hash, title, source, chunks, updated_at, pending_chunks)"
            " VALUES (?, NULL, ?, ?, ?, 0, ?, ?) ON CONFLICT(doc_id) DO UPDATE SET pending_hash = excluded.pending_hash,"
            " pending_chunks = excluded.pending_chunks",
            (doc_id, new_hash, title, source, time.time(), chunks),
        )

    def begin_delete(self, doc_id: str) -> None:
        """Mark a document as being deleted (recovery finishes the deletion)."""
        self._db.execute("UPDATE documents SET pending_hash = '', pending_chunks = 0 WHERE doc_id = ?", (doc_id,))

    def commit(self, doc_id: str, doc_hash: str, title: str, source: str, chunks: int) -> None:
        self._db.execute(
            "UPDATE documents SET doc_hash = ?, pending_hash = NULL, pending_chunks = 0, title = ?, source = ?, chunks = ?,"
            " updated_at = ? WHERE doc_id = ?",
            (doc_hash, title, source, chunks, time.time(), doc_id),
        )

    def rollback(self, doc_id: str) -> None:
        """Forget a pending version; drop the row if no version was ever committed."""
        self._db.execute("DELETE FROM documents WHERE doc_id = ? AND doc_hash IS NULL", (doc_id,))
        self._db.execute("UPDATE documents SET pending_hash = NULL, pending_chunks = 0 WHERE doc_id = ?", (doc_id,))

    def remove(self, doc_id: str) -> None:
        self._db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def totals(self) -> tuple[int, int]:
        docs, chunks = self._db.execute("SELECT COUNT(*), COALESCE(SUM(chunks), 0) FROM documents WHERE doc_hash IS NOT NULL").fetchone()
        return int(docs), int(chunks)

    def close(self) -> None:
        self._db.close()
