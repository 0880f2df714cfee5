"""The audit log: one hash-chained SQLite row per answered or refused question.

``AULAC_HOME/audit.sqlite`` in WAL mode with a busy timeout. Appends go through one
writer thread per process (:mod:`aulac_rag.audit.writer`), which reads each chain head
after ``BEGIN IMMEDIATE``, so threads and processes writing at once still extend one
unbroken chain per sandbox.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aulac_rag.audit.chain import HASHED_FIELDS, OPTIONAL_FIELDS, VerifyReport, verify_chain
from aulac_rag.audit.writer import ChainWriter
from aulac_rag.errors import AuditError
from aulac_rag.fileperm import make_private
from aulac_rag.home import resolve_home

AUDIT_FILE = "audit.sqlite"
_BUSY_TIMEOUT_MS = 30_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    seq INTEGER NOT NULL,
    ts TEXT NOT NULL,
    sandbox TEXT NOT NULL,
    key_id TEXT NOT NULL,
    role TEXT NOT NULL,
    question TEXT NOT NULL,
    retrieved TEXT NOT NULL,
    guardrails TEXT NOT NULL,
    answer TEXT NOT NULL,
    refused INTEGER NOT NULL,
    mode TEXT NOT NULL,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    latency_ms REAL NOT NULL,
    prev_hash TEXT NOT NULL,
    row_hash TEXT NOT NULL,
    event TEXT NOT NULL DEFAULT 'answer',
    ref_seq INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS audit_sandbox_seq ON audit(sandbox, seq);
CREATE TABLE IF NOT EXISTS audit_head (
    sandbox TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    row_hash TEXT NOT NULL
);
"""

#: Columns in export order.
COLUMNS: tuple[str, ...] = ("id", *HASHED_FIELDS, *OPTIONAL_FIELDS, "row_hash")


@dataclass(frozen=True)
class AuditEntry:
    """What the pipeline records about one question (the log adds seq, time and hashes)."""

    sandbox: str
    key_id: str
    role: str
    question: str  # already PII-masked
    retrieved: list[dict[str, Any]]
    guardrails: list[dict[str, Any]]
    answer: str
    refused: bool
    mode: str
    backend: str
    model: str
    config_hash: str
    latency_ms: float
    event: str = "answer"  # see aulac_rag.audit.chain.EVENTS
    ref_seq: int = 0  # the ``started`` row this row closes


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    """Logs created before ``event``/``ref_seq`` existed get them (their rows hash as before)."""
    have = {r[1] for r in conn.execute("PRAGMA table_info(audit)")}
    if "event" not in have:
        conn.execute("ALTER TABLE audit ADD COLUMN event TEXT NOT NULL DEFAULT 'answer'")
    if "ref_seq" not in have:
        conn.execute("ALTER TABLE audit ADD COLUMN ref_seq INTEGER NOT NULL DEFAULT 0")


def _decode(row: sqlite3.Row) -> dict[str, Any]:
    """A stored row as logical values; anything odd is kept as stored so its hash fails."""
    out = dict(row)
    for name in ("retrieved", "guardrails"):
        try:
            out[name] = json.loads(out[name])
        except (TypeError, ValueError):
            pass
    out["refused"] = {0: False, 1: True}.get(out["refused"], out["refused"])
    return out


class AuditLog:
    """Append, read, verify and export the audit log of one AULAC_HOME."""

    def __init__(self, path: str | Path | None = None, *, busy_timeout_s: float = _BUSY_TIMEOUT_MS / 1000) -> None:
        self.path = Path(path) if path is not None else resolve_home() / AUDIT_FILE
        self.busy_timeout_s = busy_timeout_s
        self._ready = False
        self._writer: ChainWriter | None = None
        self._writer_pid = 0
        self._writer_lock = threading.Lock()

    @classmethod
    def for_home(cls, home: str | Path | None = None) -> AuditLog:
        return cls(resolve_home(home) / AUDIT_FILE)

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            make_private(self.path)
            conn = sqlite3.connect(
                self.path, timeout=self.busy_timeout_s, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_s * 1000)}")
            # WAL + NORMAL: a commit does not wait for fsync; a power cut may lose the last
            # rows but never breaks the chain or the file (SQLite's documented guarantee).
            conn.execute("PRAGMA synchronous=NORMAL")
            if not self._ready:
                self._init(conn)
            return conn
        except sqlite3.Error as exc:
            raise AuditError(f"cannot open the audit log {self.path}: {exc}") from exc

    def _init(self, conn: sqlite3.Connection) -> None:
        for attempt in range(50):  # journal_mode changes need a moment without other writers
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("BEGIN IMMEDIATE")
                try:
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            conn.execute(statement)
                    _add_missing_columns(conn)
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or attempt == 49:
                    raise
                time.sleep(0.02)
        self._ready = True

    def _chain_writer(self) -> ChainWriter:
        if self._writer is None or self._writer_pid != os.getpid():  # a forked child gets its own
            writer = ChainWriter(str(self.path), self._connect, timeout_s=self.busy_timeout_s + 30)
            self._writer, self._writer_pid = writer, os.getpid()
        return self._writer

    def append(self, entry: AuditEntry) -> dict[str, Any]:
        """Add one row at the end of its sandbox's chain; the stored row (with hashes), once committed."""
        with self._writer_lock:
            writer = self._chain_writer()
        return writer.append(entry)

    def close(self) -> None:
        """Stop the writer thread (a later append starts a new one)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def rows(
        self, sandbox: str | None = None, *, limit: int | None = None, newest_first: bool = False
    ) -> list[dict[str, Any]]:
        """Rows (decoded: lists for retrieved/guardrails, bool refused), by sandbox then seq."""
        if not self.path.exists():
            return []
        order = "DESC" if newest_first else "ASC"
        sql = "SELECT * FROM audit" + (" WHERE sandbox = ?" if sandbox else "")
        sql += f" ORDER BY {'id' if newest_first else 'sandbox, seq, id'} {order}"
        params: list[Any] = [sandbox] if sandbox else []
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        try:
            with closing(self._connect()) as conn:
                return [_decode(r) for r in conn.execute(sql, params)]
        except sqlite3.Error as exc:
            raise AuditError(f"cannot read the audit log {self.path}: {exc}") from exc

    def sandboxes(self) -> list[str]:
        if not self.path.exists():
            return []
        with closing(self._connect()) as conn:
            names = {r[0] for r in conn.execute("SELECT DISTINCT sandbox FROM audit")}
            names |= {r[0] for r in conn.execute("SELECT sandbox FROM audit_head")}
        return sorted(names)

    def verify(self, sandbox: str | None = None) -> VerifyReport:
        """Check every chain (or one sandbox's): edited, inserted and deleted rows are reported."""
        if not self.path.exists():
            return VerifyReport(rows=0, problems=())
        try:
            with closing(self._connect()) as conn:
                heads = {r["sandbox"]: dict(r) for r in conn.execute("SELECT * FROM audit_head")}
        except sqlite3.Error as exc:
            raise AuditError(f"cannot read the audit log {self.path}: {exc}") from exc
        names = [sandbox] if sandbox else self.sandboxes()
        total, problems, seen = 0, [], {}
        for name in names:
            count, found, head = verify_chain(name, self.rows(name), heads.get(name))
            total += count
            problems += found
            seen[name] = head
        return VerifyReport(rows=total, problems=tuple(problems), heads=seen)
