"""One owner per AULAC_HOME: the process that opened the embedded indexes, and how others reach it.

The embedded Qdrant engine lets one process open an index. When ``aulac serve`` or the
chat app runs, it *claims* the home: it writes ``AULAC_HOME/run/owner.json`` (mode 0600,
readable only by the same OS user) with its loopback URL, its pid and a random owner
token. ``aulac ingest``, ``ask``, ``retrieve`` and ``eval`` call :func:`find_owner` first
and, when a live owner answers, send their work to it with that token instead of opening
the index themselves; the owner's own caches then see the new documents at once.

    owner = claim_home(home, "http://127.0.0.1:8000")   # in the server, at startup
    found = find_owner(home)                            # in the CLI: None when nobody owns it
    release_home(home, owner)                           # at shutdown
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel, ValidationError

from aulac_rag.errors import ConfigError
from aulac_rag.fileperm import make_private
from aulac_rag.home import resolve_home

OWNER_FILE = Path("run") / "owner.json"
#: The ``key_id`` the owner token authenticates as (an admin of every sandbox, local only).
OWNER_KEY_ID = "owner"


class Owner(BaseModel):
    """Where the owner of a home listens, and the token that proves a caller runs as the same user."""

    url: str
    pid: int
    token: str
    started: str

    def accepts(self, presented: str | None) -> bool:
        return bool(presented) and hmac.compare_digest(presented or "", self.token)


def owner_path(home: str | Path | None = None) -> Path:
    return resolve_home(home) / OWNER_FILE


def ensure_unowned(home: str | Path | None) -> None:
    """ConfigError when another live process owns ``home`` (a record that does not answer is stale)."""
    current = find_owner(home)
    if current is not None:
        raise ConfigError(
            f"another aulac process (pid {current.pid}, {current.url}) already serves {resolve_home(home)}; "
            "stop it first, or use it: the CLI and the chat app reach it on their own"
        )


def claim_home(home: str | Path | None, url: str) -> Owner:
    """Record this process as the owner of ``home``; ConfigError when another live process owns it."""
    ensure_unowned(home)
    owner = Owner(
        url=url.rstrip("/"),
        pid=os.getpid(),
        token=secrets.token_urlsafe(32),
        started=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    path = owner_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".owner-{os.getpid()}.tmp")
    make_private(temp)
    temp.write_text(owner.model_dump_json(), encoding="utf-8")
    os.replace(temp, path)
    return owner


def release_home(home: str | Path | None, owner: Owner) -> None:
    """Remove the record if it is still ``owner``'s."""
    path = owner_path(home)
    found = _read(path)
    if found is not None and found.token == owner.token:
        path.unlink(missing_ok=True)


def find_owner(home: str | Path | None = None, *, check_http: bool = True) -> Owner | None:
    """The live owner of ``home``, or None (no record, its process is gone, or it does not answer)."""
    if os.environ.get("AULAC_NO_OWNER"):
        return None
    owner = _read(owner_path(home))
    if owner is None or not _alive(owner.pid):
        return None
    if owner.pid == os.getpid():
        return None  # this process is the owner: use the library directly
    if check_http and not _answers(owner.url):
        return None
    return owner


def _read(path: Path) -> Owner | None:
    try:
        return Owner.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, ValidationError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, another user's (its record would not be readable by us anyway)
    return True


def _answers(url: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{url}/healthz", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False
