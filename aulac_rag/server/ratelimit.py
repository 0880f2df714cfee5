"""Per-key rate limiting with token buckets: in memory (one process) or in SQLite (worker processes)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


def spend(tokens: float, last: float, now: float, rate: float, burst: float) -> tuple[float, float]:
    """One request against a bucket holding ``tokens`` at ``last``: (tokens left, seconds to wait; 0 = go)."""
    tokens = min(burst, tokens + max(0.0, now - last) * rate)
    if tokens >= 1:
        return tokens - 1, 0.0
    return tokens, (1 - tokens) / rate


class TokenBucketLimiter:
    """Each key gets ``burst`` tokens, refilled at ``rate_per_minute``; a request takes one.

    ``rate_per_minute`` 0 disables limiting.
    """

    def __init__(self, rate_per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        if rate_per_minute < 0 or burst < 1:
            raise ValueError(f"need rate_per_minute >= 0 and burst >= 1, got {rate_per_minute!r}/{burst!r}")
        self.rate = rate_per_minute / 60.0
        self.burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when the request may proceed, else the seconds to wait before retrying."""
        if self.rate == 0:
            return 0.0
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens, wait = spend(tokens, last, now, self.rate, self.burst)
            self._buckets[key] = (tokens, now)
            return wait


class SharedTokenBucketLimiter(TokenBucketLimiter):
    """The same token buckets kept in SQLite, so that every worker process of one server shares them.

    ``aulac serve --workers N`` uses it (state in ``AULAC_HOME/run/ratelimit.sqlite``); one short
    ``BEGIN IMMEDIATE`` transaction per request keeps a key's bucket exact across processes.
    """

    def __init__(self, path: str, rate_per_minute: float, burst: int, clock: Callable[[], float] = time.time) -> None:
        import sqlite3
        from pathlib import Path

        super().__init__(rate_per_minute, burst, clock)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS buckets (key TEXT PRIMARY KEY, tokens REAL, last REAL)")

    def take(self, key: str) -> float:
        """0 when the request may proceed, else the seconds to wait before retrying."""
        if self.rate == 0:
            return 0.0
        now = self._clock()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute("SELECT tokens, last FROM buckets WHERE key = ?", (key,)).fetchone()
                tokens, last = row if row else (self.burst, now)
                tokens, wait = spend(tokens, last, now, self.rate, self.burst)
                self._db.execute(
                    "INSERT INTO buckets (key, tokens, last) VALUES (?, ?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET tokens = excluded.tokens, last = excluded.last",
                    (key, tokens, now),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return wait
