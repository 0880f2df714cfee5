"""End users' 👍/👎 feedback on answers, stored in SQLite under AULAC_HOME.

The chat UI and the API write it; the regulator's sandbox report counts it.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from aulac_rag.errors import ConfigError

Rating = Literal["up", "down"]


@dataclass(frozen=True)
class FeedbackEntry:
    id: int
    time: float
    sandbox: str
    question: str
    answer: str
    rating: Rating
    comment: str
    key_id: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class FeedbackStore:
    """Append-only feedback table; safe to share between processes (WAL, busy timeout)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL,"
            " sandbox TEXT NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, rating TEXT NOT NULL,"
            " comment TEXT NOT NULL DEFAULT '', key_id TEXT NOT NULL DEFAULT '')"
        )

    @classmethod
    def for_home(cls, home: Path) -> FeedbackStore:
        return cls(home / "feedback.sqlite")

    def add(self, sandbox: str, question: str, answer: str, rating: str, comment: str = "", key_id: str = "") -> int:
        """Record one rating. Question, answer and comment are PII-masked here, whoever the caller is."""
        if rating not in ("up", "down"):
            raise ConfigError(f"rating: expected 'up' or 'down', got {rating!r}")
        from aulac_rag.guardrails.pii import PiiDetector

        detector = PiiDetector()
        question, answer, comment = (detector.mask(t) if t else t for t in (question, answer, comment or ""))
        cursor = self._db.execute(
            "INSERT INTO feedback (time, sandbox, question, answer, rating, comment, key_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (time.time(), sandbox, question, answer, rating, comment or "", key_id or ""),
        )
        return int(cursor.lastrowid or 0)

    def counts(self, sandbox: str) -> dict[str, int]:
        rows = self._db.execute("SELECT rating, COUNT(*) FROM feedback WHERE sandbox = ? GROUP BY rating", (sandbox,))
        found = dict(rows.fetchall())
        return {"up": int(found.get("up", 0)), "down": int(found.get("down", 0))}

    def entries(self, sandbox: str, limit: int = 100) -> list[FeedbackEntry]:
        rows = self._db.execute(
            "SELECT id, time, sandbox, question, answer, rating, comment, key_id FROM feedback WHERE sandbox = ?"
            " ORDER BY id DESC LIMIT ?",
            (sandbox, limit),
        )
        return [FeedbackEntry(*row) for row in rows.fetchall()]

    def close(self) -> None:
        self._db.close()
