"""Appending to the chain: one writer thread per log and process commits queued rows in batches.

Request threads only enqueue and wait, so none of them holds a lock while it competes
for the GIL (under load that convoy made each append wait ~0.6 s). The writer drains
the queue, extends each sandbox's chain inside one ``BEGIN IMMEDIATE`` transaction
(group commit), and wakes the waiters. Other processes are serialized by SQLite's
write lock and busy timeout.
"""

from __future__ import annotations

import json
import queue
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from aulac_rag.audit.chain import GENESIS, canonical_json, row_hash
from aulac_rag.errors import AuditError

_MAX_BATCH = 256
_PATH_LOCKS: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)  # several logs, one file


@dataclass
class _Pending:
    entry: Any  # AuditEntry
    done: threading.Event = field(default_factory=threading.Event)
    row: dict[str, Any] | None = None
    error: BaseException | None = None


def build_row(entry: Any, seq: int, prev_hash: str) -> dict[str, Any]:
    """The logical row (with ``row_hash``) for ``entry`` at position ``seq`` after ``prev_hash``."""
    row: dict[str, Any] = {
        "seq": seq,
        "ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        "sandbox": entry.sandbox,
        "key_id": entry.key_id,
        "role": entry.role,
        "question": entry.question,
        "retrieved": json.loads(canonical_json(entry.retrieved)),
        "guardrails": json.loads(canonical_json(entry.guardrails)),
        "answer": entry.answer,
        "refused": bool(entry.refused),
        "mode": entry.mode,
        "backend": entry.backend,
        "model": entry.model,
        "config_hash": entry.config_hash,
        "latency_ms": round(float(entry.latency_ms), 3),
        "prev_hash": prev_hash,
        "event": getattr(entry, "event", "answer"),
        "ref_seq": int(getattr(entry, "ref_seq", 0)),
    }
    row["row_hash"] = row_hash(row)
    return row


class ChainWriter:
    """Queues entries for one writer thread; :meth:`append` returns once the row is committed."""

    def __init__(self, path: str, connect: Callable[[], sqlite3.Connection], timeout_s: float = 60.0) -> None:
        self.path = path
        self._connect = connect
        self.timeout_s = timeout_s
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def append(self, entry: Any) -> dict[str, Any]:
        self._ensure_thread()
        pending = _Pending(entry)
        self._queue.put(pending)
        if not pending.done.wait(self.timeout_s):
            raise AuditError(f"the audit log {self.path} did not accept the row within {self.timeout_s:g} s")
        if pending.error is not None:
            if isinstance(pending.error, AuditError):
                raise pending.error
            raise AuditError(f"cannot write the audit log {self.path}: {pending.error}") from pending.error
        assert pending.row is not None
        return pending.row

    def close(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(5)
        self._thread = None

    def _ensure_thread(self) -> None:
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="aulac-audit-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        while True:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < _MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)  # finish this batch, then stop
                    break
                batch.append(item)
            try:
                if conn is None:
                    conn = self._connect()
                with _PATH_LOCKS[self.path]:
                    self._write(conn, batch)
            except BaseException as exc:  # noqa: BLE001 - handed to every waiter
                for pending in batch:
                    pending.error = exc
                if conn is not None:
                    conn.close()
                    conn = None
            for pending in batch:
                pending.done.set()
        if conn is not None:
            conn.close()

    @staticmethod
    def _write(conn: sqlite3.Connection, batch: list[_Pending]) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            heads: dict[str, tuple[int, str]] = {}
            for pending in batch:
                sandbox = pending.entry.sandbox
                if sandbox not in heads:
                    found = conn.execute(
                        "SELECT seq, row_hash FROM audit_head WHERE sandbox = ?", (sandbox,)
                    ).fetchone()
                    heads[sandbox] = (found[0], found[1]) if found else (0, GENESIS)
                seq, prev = heads[sandbox]
                row = build_row(pending.entry, seq + 1, prev)
                stored = dict(
                    row,
                    retrieved=canonical_json(row["retrieved"]),
                    guardrails=canonical_json(row["guardrails"]),
                    refused=int(row["refused"]),
                )
                names, marks = ", ".join(stored), ", ".join("?" for _ in stored)
                cursor = conn.execute(f"INSERT INTO audit ({names}) VALUES ({marks})", tuple(stored.values()))
                pending.row = {"id": cursor.lastrowid, **row}
                heads[sandbox] = (row["seq"], row["row_hash"])
            conn.executemany(
                "INSERT INTO audit_head (sandbox, seq, row_hash) VALUES (?, ?, ?) "
                "ON CONFLICT(sandbox) DO UPDATE SET seq = excluded.seq, row_hash = excluded.row_hash",
                [(name, seq, digest) for name, (seq, digest) in heads.items()],
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            for pending in batch:
                pending.row = None
            raise
