"""Who is calling: the API key (``Authorization: Bearer`` or ``X-API-Key``), its rate limit and rights.

401: no key, or an unknown or revoked one. 403: the key's role or sandbox does not allow
the action. 429: the key's token bucket is empty. In open mode (``AULAC_API_OPEN=1``)
requests without a key from this machine (loopback) act as an admin of every sandbox, limited per
client address; other addresses get 403. Requests without a valid key are rate-limited by address.
"""

from __future__ import annotations

import ipaddress
import math

from fastapi import HTTPException, Request

from aulac_rag.keys import ALL_SANDBOXES, AccessDenied, ApiKey, KeyStore, check_access
from aulac_rag.owner import OWNER_KEY_ID, Owner
from aulac_rag.pipeline import Caller
from aulac_rag.server.ratelimit import TokenBucketLimiter
from aulac_rag.server.settings import ServerSettings

OPEN_KEY = ApiKey(key_id="open", sandbox=ALL_SANDBOXES, role="admin", label="AULAC_API_OPEN=1")
OWNER_KEY = ApiKey(key_id=OWNER_KEY_ID, sandbox=ALL_SANDBOXES, role="admin", label="local owner token")


def presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.headers.get("x-api-key") or None


def is_loopback(host: str) -> bool:
    """``127.0.0.0/8``, ``::1`` or ``localhost`` (open mode serves these only)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Authenticator:
    """Who is calling: the key's record after its rate limit (``identify``), for the gate and for ``KeyDep``.

    Requests without a valid key take a token from their client address's bucket
    (``anon_rate_per_minute``/``anon_burst``), so guessing keys or flooding 401s is limited too.
    """

    def __init__(
        self,
        settings: ServerSettings,
        keys: KeyStore,
        limiter: TokenBucketLimiter,
        anon_limiter: TokenBucketLimiter | None = None,
    ) -> None:
        self.settings = settings
        self.keys = keys
        self.limiter = limiter
        self.anon_limiter = anon_limiter or TokenBucketLimiter(settings.anon_rate_per_minute, settings.anon_burst)
        self.owner: Owner | None = None  # set while this server owns its AULAC_HOME

    def __call__(self, request: Request) -> ApiKey:
        found = getattr(request.state, "api_key", None)
        if isinstance(found, ApiKey):  # checked by the gate middleware already
            return found
        return self.identify(presented_key(request), request.client.host if request.client else "")

    def identify(self, key_text: str | None, client_host: str) -> ApiKey:
        """The key's record; HTTPException 401 (no or bad key), 403 (open mode off loopback) or 429."""
        if key_text is None:
            if not self.settings.open_mode:
                self._limit(self.anon_limiter, f"anon:{client_host}")
                raise HTTPException(
                    401,
                    "missing API key: send 'Authorization: Bearer <key>' (create one with `aulac keys create`)",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            if not is_loopback(client_host):
                raise HTTPException(403, "open mode (AULAC_API_OPEN) answers clients on this machine only")
            self._limit(self.limiter, f"open:{client_host}")
            return OPEN_KEY
        if self.owner is not None and self.owner.accepts(key_text):
            return OWNER_KEY  # the CLI of the same OS user, through AULAC_HOME/run/owner.json
        found = self.keys.authenticate(key_text)
        if found is None:
            self._limit(self.anon_limiter, f"anon:{client_host}")
            raise HTTPException(401, "invalid or revoked API key", headers={"WWW-Authenticate": "Bearer"})
        self._limit(self.limiter, found.key_id)
        return found

    @staticmethod
    def _limit(limiter: TokenBucketLimiter, bucket: str) -> None:
        wait = limiter.take(bucket)
        if wait > 0:
            raise HTTPException(
                429,
                f"rate limit exceeded; retry in {wait:.1f} s",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )


def authorize(key: ApiKey, action: str, sandbox: str | None = None) -> Caller:
    """403 unless ``key`` may do ``action`` on ``sandbox`` (:func:`aulac_rag.keys.check_access`); the audit's Caller."""
    try:
        check_access(key, action, sandbox)
    except AccessDenied as exc:
        raise HTTPException(exc.status, str(exc)) from None
    return Caller(key_id=key.key_id, role=key.role)
