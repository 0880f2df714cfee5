"""The CLI's way to a running owner of AULAC_HOME (``aulac serve`` or the chat app; see
:mod:`aulac_rag.owner`): the same commands, sent over loopback HTTP with the owner token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from aulac_rag.errors import AulacError
from aulac_rag.owner import Owner, find_owner

_REMOTE_PREFIXES = ("http://", "https://", "sql+")  # URLs and sql+URL::QUERY targets


class OwnerError(AulacError):
    """The owner answered with an error (its message is shown as it is)."""


class OwnerClient:
    """Calls the owner's API; errors become one-line OwnerErrors."""

    def __init__(self, owner: Owner, *, timeout_s: float | None = None) -> None:
        self.owner = owner
        self._http = httpx.Client(
            base_url=owner.url, headers={"Authorization": f"Bearer {owner.token}"}, timeout=timeout_s
        )

    def post(self, path: str, body: dict[str, Any]) -> Any:
        try:
            response = self._http.post(path, json=body)
        except httpx.HTTPError as exc:
            raise OwnerError(f"the aulac process serving this home ({self.owner.url}) did not answer: {exc}") from exc
        if response.status_code >= 400:
            try:
                message = response.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = response.text[:300]
            raise OwnerError(f"{message} (via {self.owner.url}, HTTP {response.status_code})")
        return response.json()

    def close(self) -> None:
        self._http.close()


def owner_client() -> OwnerClient | None:
    """A client for the live owner of AULAC_HOME, or None when this command should open the index itself."""
    owner = find_owner()
    return OwnerClient(owner) if owner is not None else None


def absolute_targets(paths: list[str]) -> list[str]:
    """Local paths made absolute (the owner runs in another folder); URLs and SQL targets as they are."""
    return [p if p.lower().startswith(_REMOTE_PREFIXES) else str(Path(p).resolve()) for p in paths]
