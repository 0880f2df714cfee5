"""Result types of retrieval."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk, best first in a :class:`RetrievalResult`."""

    doc_id: str
    chunk_id: str
    score: float
    title: str
    text: str
    source: str = ""
    position: int = 0
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RetrievalResult:
    query: str
    hits: list[Hit]
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "hits": [h.to_dict() for h in self.hits], "timings_ms": self.timings_ms}


_HIT_KEYS = ("doc_id", "chunk_id", "score", "title", "text")


def hits_json(result: RetrievalResult) -> list[dict[str, Any]]:
    """The CONTRACTS hit shape ``{"doc_id", "chunk_id", "score", "title", "text"}`` plus ``metadata``."""
    return [{key: getattr(h, key) for key in _HIT_KEYS} | {"metadata": h.metadata} for h in result.hits]
