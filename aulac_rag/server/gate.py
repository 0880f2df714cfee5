"""The door, as plain ASGI middleware: a request id for every request, and the API key checked
(and unauthenticated callers rate-limited by address) before any request body is read.

Routes still declare ``KeyDep``; it reads the key this middleware stored in the request's
state, so the check and its rate limit run once per request.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import HTTPException

from aulac_rag.server.auth import Authenticator
from aulac_rag.server.limits import ASGIApp, Receive, Scope, Send

REQUEST_ID_HEADER = b"x-request-id"
_CLIENT_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")
#: Paths anyone may read: liveness and the API's own documentation.
PUBLIC_PATHS = ("/healthz", "/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect")


def new_request_id(headers: dict[bytes, bytes]) -> str:
    """The caller's ``X-Request-ID`` when it is a plain token, else a fresh one."""
    given = headers.get(REQUEST_ID_HEADER, b"")
    return given.decode() if _CLIENT_ID.fullmatch(given) else uuid.uuid4().hex[:16]


class GateMiddleware:
    """Adds ``X-Request-ID`` to every response; answers 401/403/429 for ``/v1/`` before the body is read."""

    def __init__(self, app: ASGIApp, authenticator: Authenticator) -> None:
        self.app = app
        self.authenticator = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        request_id = new_request_id(headers)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id

        async def send_with_id(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        path = scope.get("path", "")
        if path.startswith("/v1/") or path == "/v1":
            client = scope.get("client")
            try:
                state["api_key"] = self.authenticator.identify(_presented(headers), client[0] if client else "")
            except HTTPException as exc:
                await send_json(send_with_id, exc.status_code, _HTTP_KINDS.get(exc.status_code, "http_error"),
                                str(exc.detail), request_id, exc.headers)
                return
        await self.app(scope, receive, send_with_id)


_HTTP_KINDS = {401: "unauthorized", 403: "forbidden", 429: "rate_limited"}


def _presented(headers: dict[bytes, bytes]) -> str | None:
    authorization = headers.get(b"authorization", b"").decode("latin-1")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    return headers.get(b"x-api-key", b"").decode("latin-1") or None


async def send_json(
    send: Send, status: int, kind: str, message: str, request_id: str, headers: Mapping[str, str] | None = None
) -> None:
    """One JSON error response in the API's shape, sent straight from middleware."""
    body = json.dumps({"error": {"type": kind, "message": message, "request_id": request_id}}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
