"""OpenAI-compatible ``/v1/chat/completions`` and ``/v1/models``: ``model`` is the sandbox name.

The last user message is the question; earlier user/assistant pairs are the history;
client system messages are ignored (the sandbox's prompt governs). Responses carry
the full answer (citations, guardrails, mode) under the extra key ``aulac``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse

from aulac_rag.errors import AulacError
from aulac_rag.server.auth import authorize
from aulac_rag.server.deps import CatalogDep, KeyDep
from aulac_rag.server.errors import public_error, request_id_of
from aulac_rag.server.schemas import ChatCompletionRequest, ChatMessage
from aulac_rag.server.sse import SSE_HEADERS, sse_event

router = APIRouter(prefix="/v1", tags=["openai-compatible"])


def _text(message: ChatMessage) -> str:
    if isinstance(message.content, str):
        return message.content
    if isinstance(message.content, list):  # content parts: keep the text ones
        return "".join(str(p.get("text", "")) for p in message.content if p.get("type") == "text")
    return ""


def split_conversation(messages: list[ChatMessage]) -> tuple[str, list[tuple[str, str]]]:
    """The last user message and the (question, answer) turns before it."""
    chat = [(m.role, _text(m)) for m in messages if m.role in ("user", "assistant")]
    if not chat or chat[-1][0] != "user" or not chat[-1][1].strip():
        raise HTTPException(422, "messages must end with a non-empty user message")
    history: list[tuple[str, str]] = []
    pending: str | None = None
    for role, text in chat[:-1]:
        if role == "user":
            pending = text
        elif pending is not None:
            history.append((pending, text))
            pending = None
    return chat[-1][1], history


@router.get("/models", summary="Sandboxes as OpenAI models")
def list_models(key: KeyDep, cat: CatalogDep) -> dict[str, Any]:
    authorize(key, "list")
    data = [
        {"id": s["name"], "object": "model", "created": 0, "owned_by": "aulac-rag"}
        for s in cat.sandboxes()
        if key.can("ask", s["name"])
    ]
    return {"object": "list", "data": data}


@router.post("/chat/completions", summary="OpenAI-compatible chat over a sandbox (model = sandbox name)")
def chat_completions(body: ChatCompletionRequest, key: KeyDep, cat: CatalogDep, request: Request) -> Any:
    sandbox = body.model
    caller = authorize(key, "ask", sandbox)
    question, history = split_conversation(body.messages)
    stream = cat.pipeline(sandbox).stream(question, history, caller=caller)
    request_id = request_id_of(request)
    completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    if not body.stream:
        answer = stream.answer()
        return {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": sandbox,
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": answer.answer}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "aulac": answer.to_dict(),
        }

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        payload = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": sandbox,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return sse_event(payload)

    def events() -> Iterator[str]:
        try:
            yield chunk({"role": "assistant", "content": ""})
            for delta in stream:
                yield chunk({"content": delta})
            yield chunk({}, "stop", aulac=stream.answer().to_dict())
        except AulacError as exc:
            yield sse_event(public_error(exc, request_id)[1])
        finally:
            stream.close()  # a client that left mid-answer: the LLM stops and the audit says "aborted"
        yield sse_event("[DONE]")

    return StreamingResponse(events(), media_type="text/event-stream", headers=SSE_HEADERS)
