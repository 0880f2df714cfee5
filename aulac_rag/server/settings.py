"""Server settings, read from the environment (``aulac serve`` flags override them)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from aulac_rag.errors import ConfigError
from aulac_rag.limits import DEFAULT_LIMITS


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"${name} must be a number, got {raw!r}") from None


@dataclass(frozen=True)
class ServerSettings:
    """Limits and access mode of the API server.

    - ``open_mode``: no API key needed (``AULAC_API_OPEN=1``; local demos only).
    - ``max_body_bytes`` / ``max_upload_bytes``: request size limits (413 beyond).
    - ``rate_per_minute`` / ``burst``: each key's token bucket (429 when empty; 0 disables).
    - ``anon_rate_per_minute`` / ``anon_burst``: the bucket of each client address for requests
      without a valid key (missing, unknown or revoked).
    """

    open_mode: bool = False
    max_body_bytes: int = DEFAULT_LIMITS.max_request_bytes
    max_upload_bytes: int = DEFAULT_LIMITS.max_upload_bytes
    rate_per_minute: float = 120.0
    burst: int = 30
    anon_rate_per_minute: float = 30.0
    anon_burst: int = 10
    max_inflight: int = 32  # API requests running at once (the thread pool has 40 threads)
    max_waiting: int = 96  # requests waiting for a slot (about 2 s of work here); beyond that 429 + Retry-After
    owner_url: str | None = None  # claim AULAC_HOME as its owner, reachable here (aulac serve sets it)
    shared_limits: bool = False  # rate-limit buckets in SQLite, shared by worker processes (--workers N)

    def __post_init__(self) -> None:
        if self.max_body_bytes < 1024:
            raise ConfigError(f"max_body_bytes must be >= 1024, got {self.max_body_bytes!r}")
        if self.max_upload_bytes < self.max_body_bytes:
            raise ConfigError(f"max_upload_bytes must be >= max_body_bytes, got {self.max_upload_bytes!r}")
        if self.max_inflight < 1 or self.max_waiting < 0:
            raise ConfigError(f"need max_inflight >= 1 and max_waiting >= 0, got {self.max_inflight}/{self.max_waiting}")
        if self.anon_rate_per_minute < 0 or self.anon_burst < 1:
            raise ConfigError(
                "unauthenticated rate limit needs anon_rate_per_minute >= 0 and anon_burst >= 1, "
                f"got {self.anon_rate_per_minute!r}/{self.anon_burst!r}"
            )
        if self.rate_per_minute < 0 or self.burst < 1:
            raise ConfigError(
                f"rate limit needs rate_per_minute >= 0 and burst >= 1, got {self.rate_per_minute!r}/{self.burst!r}"
            )

    @classmethod
    def from_env(cls) -> ServerSettings:
        """``AULAC_API_OPEN``, ``AULAC_API_MAX_BODY_BYTES``, ``AULAC_API_MAX_UPLOAD_MB``,
        ``AULAC_API_RATE_PER_MINUTE``, ``AULAC_API_RATE_BURST``, ``AULAC_API_ANON_RATE_PER_MINUTE``,
        ``AULAC_API_ANON_BURST``, ``AULAC_API_MAX_INFLIGHT``, ``AULAC_API_MAX_WAITING``, ``AULAC_OWNER_URL``."""
        return cls(
            open_mode=os.environ.get("AULAC_API_OPEN", "").strip().lower() in ("1", "true", "yes"),
            max_body_bytes=int(_env_number("AULAC_API_MAX_BODY_BYTES", cls.max_body_bytes)),
            max_upload_bytes=int(_env_number("AULAC_API_MAX_UPLOAD_MB", cls.max_upload_bytes / (1 << 20)) * (1 << 20)),
            rate_per_minute=_env_number("AULAC_API_RATE_PER_MINUTE", cls.rate_per_minute),
            burst=int(_env_number("AULAC_API_RATE_BURST", cls.burst)),
            anon_rate_per_minute=_env_number("AULAC_API_ANON_RATE_PER_MINUTE", cls.anon_rate_per_minute),
            anon_burst=int(_env_number("AULAC_API_ANON_BURST", cls.anon_burst)),
            max_inflight=int(_env_number("AULAC_API_MAX_INFLIGHT", cls.max_inflight)),
            max_waiting=int(_env_number("AULAC_API_MAX_WAITING", cls.max_waiting)),
            owner_url=os.environ.get("AULAC_OWNER_URL") or None,
            shared_limits=_env_number("AULAC_API_WORKERS", 1) > 1,
        )
