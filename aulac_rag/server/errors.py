"""Errors → HTTP status codes, in one place; clients never see a stack trace.

Every error response is ``{"error": {"type", "message", "request_id"}}`` (the OpenAI shape, so
OpenAI clients show the message). Server-side failures (5xx) tell the client what failed in plain
words and the request id; the details (paths, the LLM's address) go to the server log only.
"""

from __future__ import annotations

import logging
import re
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from aulac_rag import errors as e
from aulac_rag.trial import TrialNotRunning

log = logging.getLogger("aulac_rag.server")

#: Most specific class first; the first match wins.
STATUS_BY_ERROR: tuple[tuple[type[e.AulacError], int, str], ...] = (
    (e.SandboxNotFound, 404, "sandbox_not_found"),
    (e.LimitError, 413, "request_too_large"),
    (TrialNotRunning, 423, "trial_not_running"),
    (e.RequestError, 422, "invalid_request"),
    (e.ConfigError, 500, "config_error"),
    (e.TextError, 422, "text_error"),
    (e.ConnectorError, 422, "connector_error"),
    (e.IngestError, 422, "ingest_error"),
    (e.EmbeddingError, 503, "embedding_error"),
    (e.RerankError, 503, "rerank_error"),
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


#: What a client is told when the server side failed (5xx): plain words, no paths, hosts or URLs.
#: The full error goes to the server log under the same request id.
PUBLIC_MESSAGES: dict[str, str] = {
    "generation_error": "Mô hình ngôn ngữ không trả lời được lúc này; hãy thử lại sau. (the language model failed)",
    "audit_error": (
        "Không ghi được nhật ký kiểm toán nên câu trả lời không được gửi; hãy thử lại sau. "
        "(the audit log could not be written, so no answer was given)"
    ),
    "store_error": "Kho tài liệu đang bận hoặc không mở được; hãy thử lại sau. (the document index is unavailable)",
    "embedding_error": "Mô hình nhúng không chạy được; hãy báo quản trị viên. (the embedding model failed)",
    "rerank_error": "Mô hình xếp hạng lại không chạy được; hãy báo quản trị viên. (the reranking model failed)",
    "guardrail_error": (
        "Bộ kiểm duyệt gặp lỗi nên câu trả lời không được gửi; hãy báo quản trị viên. (a guardrail failed)"
    ),
    "config_error": "Cấu hình máy chủ có lỗi; hãy báo quản trị viên. (server configuration error)",
    "evaluation_error": "Không chạy được đánh giá; hãy báo quản trị viên. (the evaluation failed)",
}
_DEFAULT_PUBLIC = "Máy chủ gặp lỗi; hãy thử lại sau hoặc báo quản trị viên. (internal server error)"
_PATHS_AND_URLS = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+|(?<![\w.])(?:[A-Za-z]:)?[/\\](?:[^\s/\\'\"]+[/\\])+[^\s'\"]*")


def request_id_of(request: Request) -> str:
    return str(getattr(request.state, "request_id", "") or uuid.uuid4().hex[:16])


def public_error(error: e.AulacError, request_id: str) -> tuple[int, dict[str, dict[str, str]]]:
    """The status and the client's body for ``error``: 4xx say what to fix; 5xx say only what failed.

    Paths and URLs are cut from every client message; the server log keeps the full text.
    """
    status, kind = status_for(error)
    message = str(error) if status < 500 else PUBLIC_MESSAGES.get(kind, _DEFAULT_PUBLIC)
    if status >= 500:
        log.warning("request %s failed with %s %s: %s", request_id, status, kind, error)
    return status, error_body(kind, scrub(message), request_id)


def scrub(message: str) -> str:
    """``message`` without file paths and URLs (a client never learns the server's folders or hosts)."""
    return _PATHS_AND_URLS.sub("[…]", message)


def status_for(error: e.AulacError) -> tuple[int, str]:
    """The HTTP status and error type for an aulac-rag error."""
    for cls, status, kind in STATUS_BY_ERROR:
        if isinstance(error, cls):
            return status, kind
    return 500, "aulac_error"  # pragma: no cover - AulacError is last in the table


def error_body(kind: str, message: str, request_id: str = "") -> dict[str, dict[str, str]]:
    body = {"type": kind, "message": message}
    if request_id:
        body["request_id"] = request_id
    return {"error": body}


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers: AulacError by table, HTTP errors, validation errors, anything else → 500."""

    @app.exception_handler(e.AulacError)
    async def _aulac(request: Request, exc: e.AulacError) -> JSONResponse:
        status, body = public_error(exc, request_id_of(request))
        return JSONResponse(body, status_code=status)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        kind = _HTTP_TYPES.get(exc.status_code, "http_error")
        body = error_body(kind, scrub(str(exc.detail)), request_id_of(request))
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for item in exc.errors():
            field = ".".join(str(p) for p in item.get("loc", ()) if p != "body")
            parts.append(f"{field}: {item.get('msg')}" if field else str(item.get("msg")))
        body = error_body("invalid_request", scrub("; ".join(parts)), request_id_of(request))
        return JSONResponse(body, status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = request_id_of(request)
        log.exception("unhandled error %s on %s %s", request_id, request.method, request.url.path)
        # sent by Starlette's outermost middleware, past the gate: the id header is added here
        body = error_body("internal_error", _DEFAULT_PUBLIC, request_id)
        return JSONResponse(body, status_code=500, headers={"X-Request-ID": request_id})
