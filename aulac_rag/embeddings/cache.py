"""Embedding cache keyed by (model, text) hash, so re-ingesting unchanged text costs nothing.

Only a cache: a cache file that cannot be opened (left broken by a full disk, say) is
rebuilt, and one that cannot be read or written is bypassed with a warning; ingestion
never fails because of it.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from aulac_rag.embeddings.base import Embedder

log = logging.getLogger(__name__)


class CachedPassageEmbedder:
    """Wraps an Embedder's ``embed_passages`` with an SQLite cache under AULAC_HOME."""

    def __init__(self, embedder: Embedder, path: Path) -> None:
        self.embedder = embedder
        self.path = path
        self._db: sqlite3.Connection | None = None
        try:
            self._db = self._open(path)
        except (sqlite3.Error, OSError) as exc:
            log.warning("embedding cache %s is unusable (%s); rebuilding it", path, exc)
            for suffix in ("", "-wal", "-shm"):
                path.with_name(path.name + suffix).unlink(missing_ok=True)
            try:
                self._db = self._open(path)
            except (sqlite3.Error, OSError) as again:
                log.warning("embedding cache %s disabled for this run: %s", path, again)

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
            db.commit()
        except sqlite3.Error:
            db.close()
            raise
        return db

    def _bypass(self, exc: sqlite3.Error) -> None:
        log.warning("embedding cache %s failed (%s); continuing without it", self.path, exc)
        if self._db is not None:
            self._db.close()
        self._db = None

    def _key(self, text: str, kind: str = "") -> str:
        return hashlib.sha256(f"{self.embedder.model_id}\x00{kind}{text}".encode()).hexdigest()

    def embed_passages(self, passages: Sequence[str]) -> np.ndarray:
        return self._embed(passages, "", self.embedder.embed_passages)

    def embed_queries(self, queries: Sequence[str]) -> np.ndarray:
        """Query vectors (e.g. the guard classifier's training examples), cached the same way."""
        return self._embed(queries, "query\x00", self.embedder.embed_queries)

    def _embed(self, passages: Sequence[str], kind: str, compute: Callable[[Sequence[str]], np.ndarray]) -> np.ndarray:
        keys = [self._key(t, kind) for t in passages]
        found: dict[str, np.ndarray] = {}
        db = self._db
        try:
            for start in range(0, len(keys), 500):
                if db is None:
                    break
                batch = keys[start : start + 500]
                marks = ",".join("?" * len(batch))
                for key, blob in db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", batch):
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        except sqlite3.Error as exc:
            self._bypass(exc)
        missing = [i for i, k in enumerate(keys) if k not in found]
        for start in range(0, len(missing), 256):  # committed in slices: an interrupted run keeps its work
            part = missing[start : start + 256]
            fresh = compute([passages[i] for i in part])
            rows = []
            for i, vector in zip(part, fresh, strict=True):
                found[keys[i]] = vector
                rows.append((keys[i], vector.astype(np.float32).tobytes()))
            if self._db is not None:
                try:
                    self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
                    self._db.commit()
                except sqlite3.Error as exc:
                    self._bypass(exc)
        if not keys:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return np.vstack([found[k] for k in keys])

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
