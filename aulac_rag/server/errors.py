"""Errors → HTTP status codes, in one place; clients never see a stack trace.

Every error response is ``{"error": {"type", "message"}}`` (the OpenAI shape, so
OpenAI clients show the message).
"""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from aulac_rag import errors as e

log = logging.getLogger("aulac_rag.server")

#: Most specific class first; the first match wins.
STATUS_BY_ERROR: tuple[tuple[type[e.AulacError], int, str], ...] = (
    (e.SandboxNotFound, 404, "sandbox_not_found"),
    (e.LimitError, 413, "request_too_large"),
    (e.RequestError, 422, "invalid_request"),
    (e.ConfigError, 500, "config_error"),
    (e.TextError, 422, "text_error"),
    (e.ConnectorError, 422, "connector_error"),
    (e.IngestError, 422, "ingest_error"),
    (e.EmbeddingError, 503, "embedding_error"),
    (e.StoreError, 503, "store_error"),
    (e.GenerationError, 502, "generation_error"),
    (e.GuardrailError, 500, "guardrail_error"),
    (e.AuditError, 503, "audit_error"),
    (e.EvaluationError, 500, "evaluation_error"),
    (e.AulacError, 500, "aulac_error"),
)

_HTTP_TYPES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
    422: "invalid_request",
    429: "rate_limited",
}


def status_for(error: e.AulacError) -> tuple[int, str]:
    """The HTTP status and error type for an aulac-rag error."""
    for cls, status, kind in STATUS_BY_ERROR:
        if isinstance(error, cls):
            return status, kind
    return 500, "aulac_error"  # pragma: no cover - AulacError is last in the table


def error_body(kind: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"type": kind, "message": message}}


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers: AulacError by table, HTTP errors, validation errors, anything else → 500."""

    @app.exception_handler(e.AulacError)
    async def _aulac(request: Request, exc: e.AulacError) -> JSONResponse:
        status, kind = status_for(exc)
        if status >= 500:
            log.warning("%s %s -> %s: %s", request.method, request.url.path, status, exc)
        return JSONResponse(error_body(kind, str(exc)), status_code=status)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        kind = _HTTP_TYPES.get(exc.status_code, "http_error")
        return JSONResponse(error_body(kind, str(exc.detail)), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for item in exc.errors():
            field = ".".join(str(p) for p in item.get("loc", ()) if p != "body")
            parts.append(f"{field}: {item.get('msg')}" if field else str(item.get("msg")))
        return JSONResponse(error_body("invalid_request", "; ".join(parts)), status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = uuid.uuid4().hex[:12]
        log.exception("unhandled error %s on %s %s", request_id, request.method, request.url.path)
        return JSONResponse(
            error_body("internal_error", f"internal server error (request {request_id})"), status_code=500
        )
