"""Request and response bodies of the API (pydantic; they also make the OpenAPI docs)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from aulac_rag.errors import RequestError
from aulac_rag.index.base import check_filters
from aulac_rag.ingest.pipeline import IngestSummary
from aulac_rag.limits import DEFAULT_LIMITS

_CAPS = DEFAULT_LIMITS  # one place for every cap (aulac_rag.limits)


class TurnIn(BaseModel):
    question: str = Field(max_length=_CAPS.max_history_chars)
    answer: str = Field(max_length=_CAPS.max_history_chars)


class AskRequest(BaseModel):
    """``POST /v1/sandboxes/{name}/ask``."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(
        min_length=1, max_length=_CAPS.max_question_chars, examples=["Mức đóng bảo hiểm y tế là bao nhiêu?"]
    )
    history: list[TurnIn] = Field(
        default_factory=list, max_length=_CAPS.max_history_turns, description="Earlier turns, oldest first."
    )
    k: int | None = Field(None, ge=1, le=_CAPS.max_k, description="Chunks to retrieve (default: the sandbox's).")
    filters: dict[str, Any] | None = Field(
        None, description="Payload field → value, or a list of values (any of): strings, integers, booleans."
    )
    stream: bool = Field(False, description="Server-sent events: 'delta' events, then one 'answer' event.")
    participant: str | None = Field(
        None,
        pattern=r"^anon-[0-9a-f]{6,32}$",
        description="An app's anonymous chat session (e.g. anon-3f2a9c1b7d) asking through the app's service key; "
        "audited as 'participant@key id'.",
    )

    @field_validator("filters")
    @classmethod
    def _filters(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        try:
            check_filters(value)  # the core's rule, checked before any work
        except RequestError as exc:
            raise ValueError(str(exc)) from None
        return value


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict[str, Any]] | None = None


class ChatCompletionRequest(BaseModel):
    """OpenAI ``/v1/chat/completions``; ``model`` is the sandbox name. Sampling fields are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str
    messages: list[ChatMessage] = Field(min_length=1, max_length=_CAPS.max_messages)
    stream: bool = False


class UploadSummary(IngestSummary):
    """The ingestion summary of an upload, with the names the files were saved under."""

    files: list[str] = Field(default_factory=list)
