"""Result types of the answer pipeline, as pydantic models: one shape for the CLI (``aulac ask --json``),
the API (its ``response_model``), the chat app and the audit log.

``Answer.to_dict()`` is the JSON shape; ``Answer.from_dict()`` reads it back (the chat app's API client).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from aulac_rag.generation.base import Mode


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class Citation(_Frozen):
    """Context ``n`` cited in the answer, and the sentence of it that supports the answer."""

    n: int
    doc_id: str
    chunk_id: str
    title: str
    quote: str


class Source(_Frozen):
    """One cited document and the passages of it that the answer cites, in the order of their numbers."""

    doc_id: str
    passages: tuple[Citation, ...]

    @property
    def numbers(self) -> tuple[int, ...]:
        return tuple(c.n for c in self.passages)


def group_citations(citations: tuple[Citation, ...] | list[Citation]) -> list[Source]:
    """The citations as one entry per document, documents in order of their first number."""
    by_doc: dict[str, list[Citation]] = {}
    for citation in sorted(citations, key=lambda c: c.n):
        by_doc.setdefault(citation.doc_id, []).append(citation)
    return [Source(doc_id=doc, passages=tuple(passages)) for doc, passages in by_doc.items()]


class GuardrailNote(_Frozen):
    """One guardrail decision or pipeline notice shown with the answer.

    ``action`` is a rail action (allow, redact, block, escalate) or ``flag`` / ``notice`` /
    ``error`` for the pipeline's own checks (invented citations, LLM fallback, no context).
    """

    rule: str
    action: str
    message: str | None = None


class RetrievedRef(_Frozen):
    """A retrieved chunk as recorded in the audit log."""

    doc_id: str
    chunk_id: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "chunk_id": self.chunk_id, "score": round(float(self.score), 6)}


class Caller(_Frozen):
    """Who asked: the API key id and role, or the local CLI."""

    key_id: str = "local"
    role: str = "cli"


class Answer(_Frozen):
    """A cited answer (or a refusal) with what happened on the way.

    ``question``, ``retrieved`` and ``sandbox`` are kept for the audit log and not sent to clients.
    """

    answer: str
    citations: tuple[Citation, ...] = ()
    guardrails: tuple[GuardrailNote, ...] = ()
    mode: Mode = "extractive"
    refused: bool = False
    timings_ms: dict[str, float] = Field(default_factory=dict)
    backend: str = ""
    model: str = ""
    standalone_question: str = ""  # the question as searched, when a follow-up was rewritten
    disclosure: str = ""  # the trial's notice that an AI answers (Law on AI, Art. 11.1)
    question: str = Field("", exclude=True)
    retrieved: tuple[RetrievedRef, ...] = Field((), exclude=True)
    sandbox: str = Field("", exclude=True)

    def sources(self) -> list[Source]:
        """The citations grouped one entry per document (see :func:`group_citations`)."""
        return group_citations(self.citations)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answer:
        """The Answer back from its ``to_dict()`` / API JSON shape (unknown keys ignored)."""
        return cls.model_validate({k: v for k, v in data.items() if k in cls.model_fields})
