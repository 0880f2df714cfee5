"""Request size limit as plain ASGI middleware: 413 before the body is read where possible."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.exceptions import HTTPException

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class _TooLarge(HTTPException):
    """Raised from ``receive`` once the body passes the limit; an HTTPException so FastAPI re-raises it."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"request body over the {limit} byte limit")


class BodySizeLimitMiddleware:
    """Rejects bodies over ``max_bytes`` (``upload_bytes`` for paths ending in ``upload_suffix``)."""

    def __init__(self, app: ASGIApp, max_bytes: int, upload_bytes: int, upload_suffix: str = "/documents") -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_bytes = upload_bytes
        self.upload_suffix = upload_suffix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_bytes if scope.get("path", "").rstrip("/").endswith(self.upload_suffix) else self.max_bytes
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await _reject(send, limit)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _reject(send, limit)


async def _reject(send: Send, limit: int) -> None:
    body = json.dumps(
        {"error": {"type": "request_too_large", "message": f"request body over the {limit} byte limit"}}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class ConcurrencyLimitMiddleware:
    """At most ``max_inflight`` API requests run at once and ``max_waiting`` wait for a slot (``wait_s`` at most).

    Beyond that the request is answered at once with 429 and ``Retry-After`` instead of queueing
    until it times out: under a burst the excess is told to come back, and nothing fails with 5xx.
    Liveness and the docs are not counted.
    """

    def __init__(self, app: ASGIApp, max_inflight: int, max_waiting: int, wait_s: float = 10.0) -> None:
        import asyncio

        self.app = app
        self.capacity = max_inflight + max_waiting
        self.wait_s = wait_s
        self._slots = asyncio.Semaphore(max_inflight)
        self._admitted = 0  # running or waiting; counted before any await, so a burst is seen at once

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        import asyncio

        if scope["type"] != "http" or not scope.get("path", "").startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        if self._admitted >= self.capacity:
            await _busy(send)
            return
        self._admitted += 1
        try:
            try:
                await asyncio.wait_for(self._slots.acquire(), self.wait_s)
            except asyncio.TimeoutError:
                await _busy(send)
                return
            try:
                await self.app(scope, receive, send)
            finally:
                self._slots.release()
        finally:
            self._admitted -= 1


async def _busy(send: Send, retry_after_s: int = 2) -> None:
    body = json.dumps(
        {"error": {"type": "rate_limited", "message": "Máy chủ đang bận; hãy thử lại sau ít giây. (server busy)"}},
        ensure_ascii=False,
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(retry_after_s).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
