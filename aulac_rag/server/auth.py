"""Who is calling: the API key (``Authorization: Bearer`` or ``X-API-Key``), its rate limit and rights.

401: no key, or an unknown or revoked one. 403: the key's role or sandbox does not allow
the action. 429: the key's token bucket is empty. In open mode (``AULAC_API_OPEN=1``)
requests without a key act as an admin of every sandbox, limited per client address.
"""

from __future__ import annotations

import math

from fastapi import HTTPException, Request

from aulac_rag.pipeline import Caller
from aulac_rag.server.keys import ALL_SANDBOXES, ApiKey, KeyStore
from aulac_rag.server.ratelimit import TokenBucketLimiter
from aulac_rag.server.settings import ServerSettings

OPEN_KEY = ApiKey(key_id="open", sandbox=ALL_SANDBOXES, role="admin", label="AULAC_API_OPEN=1")


def presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.headers.get("x-api-key") or None


class Authenticator:
    """FastAPI dependency: the caller's :class:`ApiKey`, after the rate limit."""

    def __init__(self, settings: ServerSettings, keys: KeyStore, limiter: TokenBucketLimiter) -> None:
        self.settings = settings
        self.keys = keys
        self.limiter = limiter

    def __call__(self, request: Request) -> ApiKey:
        key_text = presented_key(request)
        if key_text is None:
            if not self.settings.open_mode:
                raise HTTPException(
                    401,
                    "missing API key: send 'Authorization: Bearer <key>' (create one with `aulac keys create`)",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            key = OPEN_KEY
            bucket = f"open:{request.client.host if request.client else '-'}"
        else:
            found = self.keys.authenticate(key_text)
            if found is None:
                raise HTTPException(401, "invalid or revoked API key", headers={"WWW-Authenticate": "Bearer"})
            key, bucket = found, found.key_id
        wait = self.limiter.take(bucket)
        if wait > 0:
            raise HTTPException(
                429,
                f"rate limit exceeded; retry in {wait:.1f} s",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )
        return key


def authorize(key: ApiKey, action: str, sandbox: str | None = None) -> Caller:
    """403 unless ``key`` may do ``action`` on ``sandbox``; the audit's Caller otherwise."""
    if not key.can(action, sandbox):
        if sandbox is not None and key.sandbox not in (ALL_SANDBOXES, sandbox):
            raise HTTPException(403, f"this API key is for sandbox {key.sandbox!r}, not {sandbox!r}")
        raise HTTPException(403, f"role {key.role!r} may not {action}")
    return Caller(key_id=key.key_id, role=key.role)
