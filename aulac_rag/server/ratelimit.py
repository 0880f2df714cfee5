"""Per-key rate limiting with token buckets (in memory, one process)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


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
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate
