"""A JSON-over-HTTP client with retries, shared by the model servers aulac-rag calls (embeddings, rerankers).

One request is ``POST {base_url}{path}`` with a JSON body. Connection failures, timeouts,
HTTP 429 and 5xx are retried ``max_retries`` times with exponential backoff
(``retry_backoff_s``, doubling); every other failure, and the last retryable one, becomes
``error_class`` (an :class:`~aulac_rag.errors.AulacError`) with a one-line message that names
the server, the URL and the setting to fix. The API key is read from the environment variable
named by ``api_key_env`` when a request is made, never stored in configuration.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from aulac_rag.errors import AulacError, ConfigError


class ConnectionSettings(Protocol):
    """The connection fields a sandbox.yaml section of a model server has."""

    api_key_env: str
    timeout_s: float
    max_retries: int
    retry_backoff_s: float


@dataclass(frozen=True)
class HttpTarget:
    """Where a model server is and how to talk to it; ``field`` is the sandbox.yaml prefix quoted in errors."""

    base_url: str
    what: str  # e.g. "the embedding server"
    field: str  # e.g. "retrieval.embedder"
    url_field: str  # the setting that holds the URL, e.g. "retrieval.embedder.base_url"
    api_key_env: str = ""
    timeout_s: float = 30.0
    max_retries: int = 2
    retry_backoff_s: float = 0.5
    start_hint: str = ""  # how to start the server, e.g. "`aulac llm serve --embed-model MODEL`"

    @classmethod
    def of(
        cls, config: ConnectionSettings, *, base_url: str, what: str, field: str, url_field: str, start_hint: str = ""
    ) -> HttpTarget:
        """The target with the key variable, timeout and retries of a sandbox.yaml section (embedder, reranker)."""
        return cls(
            base_url=base_url,
            what=what,
            field=field,
            url_field=url_field,
            api_key_env=config.api_key_env,
            timeout_s=config.timeout_s,
            max_retries=config.max_retries,
            retry_backoff_s=config.retry_backoff_s,
            start_hint=start_hint,
        )

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigError(f"{self.url_field}: the URL must start with http:// or https://, got {self.base_url!r}")
        if self.timeout_s <= 0:
            raise ConfigError(f"{self.field}.timeout_s must be > 0, got {self.timeout_s!r}")
        if self.max_retries < 0:
            raise ConfigError(f"{self.field}.max_retries must be >= 0, got {self.max_retries!r}")


class _Retry(Exception):
    """Internal: a failure worth another try, carrying the error to raise when tries run out."""

    def __init__(self, error: AulacError) -> None:
        super().__init__(str(error))
        self.error = error


class JsonClient:
    """Retrying JSON POSTs to one server; thread-safe (one pooled ``httpx.Client``)."""

    def __init__(
        self, target: HttpTarget, error_class: type[AulacError], sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.target = target
        self.error_class = error_class
        self.base_url = target.base_url.rstrip("/")
        self._sleep = sleep
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()
        self.requests = 0  # requests sent, retries included (tests and benchmarks read it)

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(timeout=self.target.timeout_s, limits=httpx.Limits(max_connections=64))
            return self._client

    def _headers(self) -> dict[str, str]:
        key = os.environ.get(self.target.api_key_env, "") if self.target.api_key_env else ""
        return {"Authorization": f"Bearer {key}"} if key else {}

    def post(self, path: str, payload: dict[str, Any]) -> Any:
        """The decoded JSON reply of ``POST base_url + path``; ``error_class`` after the last try."""
        attempt = 0
        while True:
            try:
                return self._post_once(self.base_url + path, payload)
            except _Retry as retry:
                if attempt >= self.target.max_retries:
                    raise retry.error from None
                self._sleep(self.target.retry_backoff_s * (2**attempt))
                attempt += 1

    def _post_once(self, url: str, payload: dict[str, Any]) -> Any:
        t, err = self.target, self.error_class
        where = f"{t.what} at {url}"
        with self._lock:
            self.requests += 1
        try:
            response = self._http().post(url, json=payload, headers=self._headers())
        except httpx.TimeoutException as exc:
            raise _Retry(err(f"{where} did not answer within {t.timeout_s:g} s; check the server or raise {t.field}.timeout_s")) from exc
        except httpx.TransportError as exc:
            start = f"start it ({t.start_hint}) or " if t.start_hint else "start it or "
            raise _Retry(
                err(f"cannot reach {where} ({type(exc).__name__}); {start}fix {t.url_field} in sandbox.yaml")
            ) from exc
        status = response.status_code
        if status in (401, 403):
            raise err(f"{where} rejected the API key (HTTP {status}); set ${t.api_key_env} to the server's key")
        if status == 404:
            raise err(f"{where} has no such route or model (HTTP 404); check {t.url_field} and the model name")
        if status >= 400:
            error = err(f"{where} failed with HTTP {status}: {_short(response.text)}")
            if status == 429 or status >= 500:
                raise _Retry(error)
            raise error
        try:
            return response.json()
        except ValueError as exc:
            raise err(f"{where} sent a reply that is not JSON ({_short(response.text, 80)!r}); check {t.url_field}") from exc

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
