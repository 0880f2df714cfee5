"""API keys: per sandbox, with a role, stored only as salted sha256 hashes in ``AULAC_HOME/keys.sqlite``.

A key reads ``aulac_<key_id>_<secret>``; the id finds the row, the secret is checked
against ``sha256(salt + secret)`` in constant time. Keys are 256-bit random, so a fast
hash is enough (no password stretching needed) and keeps every request cheap.
Roles: ``admin`` (ingest, configure, everything), ``regulator`` (audit, reports),
``user`` (ask). A key's sandbox may be ``*`` for all sandboxes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from aulac_rag.errors import AulacError, ConfigError
from aulac_rag.fileperm import make_private
from aulac_rag.home import resolve_home

KEYS_FILE = "keys.sqlite"
ROLES = ("admin", "regulator", "user")
ALL_SANDBOXES = "*"

#: Which roles may do what. Admin may do everything.
PERMISSIONS: dict[str, frozenset[str]] = {
    "ask": frozenset({"user", "admin"}),
    "ingest": frozenset({"admin"}),
    "audit": frozenset({"regulator", "admin"}),
    "list": frozenset({"user", "regulator", "admin"}),
}

_KEY = re.compile(r"^aulac_([0-9a-f]{12})_([A-Za-z0-9_-]{20,})$")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY,
    sandbox TEXT NOT NULL,
    role TEXT NOT NULL,
    salt TEXT NOT NULL,
    hash TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    revoked_at TEXT
)
"""


@dataclass(frozen=True)
class ApiKey:
    """A stored key's public facts (never the secret)."""

    key_id: str
    sandbox: str
    role: str
    label: str = ""
    created_at: str = ""
    revoked_at: str | None = None

    def can(self, action: str, sandbox: str | None = None) -> bool:
        """True when this key's role allows ``action`` on ``sandbox`` (None: any of its sandboxes)."""
        if self.revoked_at:
            return False
        if sandbox is not None and self.sandbox not in (ALL_SANDBOXES, sandbox):
            return False
        return self.role in PERMISSIONS.get(action, frozenset())

    def to_dict(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "sandbox": self.sandbox,
            "role": self.role,
            "label": self.label,
            "created_at": self.created_at,
            "revoked": self.revoked_at is not None,
        }


class AccessDenied(AulacError):
    """The caller's key may not do this (no key, wrong role or another sandbox's key): HTTP 401/403."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.status = status


def check_access(key: ApiKey | None, action: str, sandbox: str | None = None) -> ApiKey:
    """``key`` when its role and sandbox allow ``action`` on ``sandbox``; AccessDenied (in English and
    Vietnamese) otherwise. The one rule the API, the chat app and the CLI apply."""
    if key is None:
        raise AccessDenied("cần khóa API hợp lệ (a valid API key is needed)", 401)
    if key.can(action, sandbox):
        return key
    if sandbox is not None and key.sandbox not in (ALL_SANDBOXES, sandbox):
        raise AccessDenied(f"this API key is for sandbox {key.sandbox!r}, not {sandbox!r}")
    raise AccessDenied(f"role {key.role!r} may not {action}")


def _digest(salt: str, secret: str) -> str:
    return hashlib.sha256((salt + secret).encode("utf-8")).hexdigest()


class KeyStore:
    """Create, list, revoke and check API keys of one AULAC_HOME."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else resolve_home() / KEYS_FILE

    @classmethod
    def for_home(cls, home: str | Path | None = None) -> KeyStore:
        return cls(resolve_home(home) / KEYS_FILE)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        make_private(self.path)
        conn = sqlite3.connect(self.path, timeout=10)
        conn.row_factory = sqlite3.Row
        conn.execute(_SCHEMA)
        return conn

    def create(self, sandbox: str, role: str, label: str = "") -> tuple[ApiKey, str]:
        """A new key; returns its record and the full key text, which is shown only this once."""
        if role not in ROLES:
            raise ConfigError(f"unknown role {role!r}; use one of: {', '.join(ROLES)}")
        if not sandbox or not re.fullmatch(r"\*|[a-z0-9][a-z0-9_-]{0,62}", sandbox):
            raise ConfigError(f"invalid sandbox name {sandbox!r} (use a sandbox name or '*')")
        key_id, secret, salt = secrets.token_hex(6), secrets.token_urlsafe(32), secrets.token_hex(16)
        created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with closing(self._connect()) as conn, conn:
            conn.execute(
                "INSERT INTO api_keys (key_id, sandbox, role, salt, hash, label, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (key_id, sandbox, role, salt, _digest(salt, secret), label, created),
            )
        return ApiKey(key_id, sandbox, role, label, created), f"aulac_{key_id}_{secret}"

    def list(self, sandbox: str | None = None, include_revoked: bool = False) -> list[ApiKey]:
        sql = "SELECT * FROM api_keys"
        where, params = [], []
        if sandbox:
            where.append("sandbox IN (?, ?)")
            params += [sandbox, ALL_SANDBOXES]
        if not include_revoked:
            where.append("revoked_at IS NULL")
        if where:
            sql += " WHERE " + " AND ".join(where)
        with closing(self._connect()) as conn:
            rows = conn.execute(sql + " ORDER BY created_at, key_id", params).fetchall()
        return [_record(r) for r in rows]

    def revoke(self, key_id: str) -> ApiKey:
        """Revoke a key by id (ConfigError when there is none)."""
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with closing(self._connect()) as conn, conn:
            row = conn.execute("SELECT * FROM api_keys WHERE key_id = ?", (key_id,)).fetchone()
            if row is None:
                raise ConfigError(f"no API key with id {key_id!r}; see `aulac keys list`")
            conn.execute("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE key_id = ?", (now, key_id))
            row = conn.execute("SELECT * FROM api_keys WHERE key_id = ?", (key_id,)).fetchone()
        return _record(row)

    def authenticate(self, key: str) -> ApiKey | None:
        """The key's record when ``key`` is valid and not revoked, else None."""
        match = _KEY.match(key.strip())
        if not match or not self.path.exists():
            return None
        key_id, secret = match.groups()
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT * FROM api_keys WHERE key_id = ?", (key_id,)).fetchone()
        if row is None or row["revoked_at"] is not None:
            return None
        if not hmac.compare_digest(row["hash"], _digest(row["salt"], secret)):
            return None
        return _record(row)


def _record(row: sqlite3.Row) -> ApiKey:
    return ApiKey(row["key_id"], row["sandbox"], row["role"], row["label"], row["created_at"], row["revoked_at"])
