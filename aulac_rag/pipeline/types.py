"""Result types of the answer pipeline; ``Answer.to_dict()`` is the ``aulac ask --json`` shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aulac_rag.generation.base import Mode


@dataclass(frozen=True)
class Citation:
    """Context ``n`` cited in the answer, and the sentence of it that supports the answer."""

    n: int
    doc_id: str
    chunk_id: str
    title: str
    quote: str

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "doc_id": self.doc_id, "chunk_id": self.chunk_id, "title": self.title, "quote": self.quote}


@dataclass(frozen=True)
class GuardrailNote:
    """One guardrail decision or pipeline notice shown with the answer.

    ``action`` is a rail action (allow, redact, block, escalate) or ``flag`` / ``notice``
    for the pipeline's own checks (invented citations, LLM fallback, no context).
    """

    rule: str
    action: str
    message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "action": self.action, "message": self.message}


@dataclass(frozen=True)
class RetrievedRef:
    """A retrieved chunk as recorded in the audit log."""

    doc_id: str
    chunk_id: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "chunk_id": self.chunk_id, "score": round(float(self.score), 6)}


@dataclass(frozen=True)
class Caller:
    """Who asked: the API key id and role, or the local CLI."""

    key_id: str = "local"
    role: str = "cli"


@dataclass(frozen=True)
class Answer:
    """A cited answer (or a refusal) with what happened on the way."""

    answer: str
    citations: tuple[Citation, ...] = ()
    guardrails: tuple[GuardrailNote, ...] = ()
    mode: Mode = "extractive"
    refused: bool = False
    timings_ms: dict[str, float] = field(default_factory=dict)
    backend: str = ""
    model: str = ""
    question: str = ""
    standalone_question: str = ""
    retrieved: tuple[RetrievedRef, ...] = ()
    sandbox: str = ""
    disclosure: str = ""  # the trial's notice that an AI answers (Law on AI, Art. 11.1)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answer:
        """The Answer back from its ``to_dict()`` / API JSON shape."""
        return cls(
            answer=str(data.get("answer", "")),
            citations=tuple(Citation(**c) for c in data.get("citations", [])),
            guardrails=tuple(
                GuardrailNote(g["rule"], g["action"], g.get("message")) for g in data.get("guardrails", [])
            ),
            mode=data.get("mode", "extractive"),
            refused=bool(data.get("refused", False)),
            timings_ms=dict(data.get("timings_ms") or {}),
            backend=str(data.get("backend", "")),
            model=str(data.get("model", "")),
            standalone_question=str(data.get("standalone_question") or ""),
            disclosure=str(data.get("disclosure") or ""),
        )

    def to_dict(self) -> dict[str, Any]:
        """CONTRACTS keys (answer, citations, guardrails, mode, refused) plus timings, backend, model."""
        out: dict[str, Any] = {
            "answer": self.answer,
            "citations": [c.to_dict() for c in self.citations],
            "guardrails": [g.to_dict() for g in self.guardrails],
            "mode": self.mode,
            "refused": self.refused,
            "timings_ms": dict(self.timings_ms),
            "backend": self.backend,
            "model": self.model,
        }
        if self.standalone_question and self.standalone_question != self.question:
            out["standalone_question"] = self.standalone_question
        if self.disclosure:
            out["disclosure"] = self.disclosure
        return out
