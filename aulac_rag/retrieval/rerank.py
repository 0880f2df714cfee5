"""The reranking stage: a cross-encoder rescores the best fused hits (``retrieval.reranker``).

A reranker is one class with one method, :meth:`Reranker.score` (one relevance score per text,
higher is better). Backends are named by spec, like embedders: ``sentence-transformers:<hub id or
folder>`` (a local ``CrossEncoder``), ``tei:<url>`` (text-embeddings-inference ``POST /rerank``)
and ``vllm:<url>`` (vLLM's Cohere/Jina-style ``POST /rerank``). Plugins join through the
``aulac_rag.rerankers`` entry-point group.

:func:`rerank_hits` reorders the first ``rerank_top_n`` hits by the reranker's scores (which
replace the fused scores; the rest keep their order behind them). A reranker that fails raises
:class:`~aulac_rag.errors.RerankError`: retrieval fails closed instead of quietly using the
fused order.
"""

from __future__ import annotations

import dataclasses
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

from aulac_rag.config import RerankerConfig
from aulac_rag.errors import AulacError, RerankError
from aulac_rag.registry import Registry
from aulac_rag.retrieval.types import Hit


class Reranker(ABC):
    """Scores (query, text) pairs with a cross-encoder."""

    def __init__(self, config: RerankerConfig) -> None:
        self.config = config

    @property
    def name(self) -> str:
        return self.config.name

    @abstractmethod
    def score(self, query: str, texts: Sequence[str]) -> list[float]:
        """One relevance score per text, in the texts' order; higher is more relevant."""

    def close(self) -> None:  # noqa: B027 (optional hook)
        """Release connections."""


RerankerFactory = Callable[[str, RerankerConfig], Reranker]
"""``factory(argument, config)``; argument is the part of ``config.name`` after ``:`` (a model or a URL)."""

_CROSS = "aulac_rag.retrieval.rerankers.cross_encoder:_cross_encoder"
_TEI = "aulac_rag.retrieval.rerankers.http:_tei"
_VLLM = "aulac_rag.retrieval.rerankers.http:_vllm"
rerankers: Registry[RerankerFactory] = Registry(
    "reranker",
    "aulac_rag.rerankers",
    {
        "sentence-transformers": _CROSS,
        "st": _CROSS,
        "cross-encoder": _CROSS,
        "tei": _TEI,
        "vllm": _VLLM,
        "cohere": _VLLM,
        "jina": _VLLM,
    },
)


def create_reranker(config: RerankerConfig) -> Reranker:
    """Build the reranker named by ``config.name`` (``backend:model-or-url``)."""
    backend, _, argument = config.name.partition(":")
    return rerankers.get(backend)(argument, config)


def passage_text(hit: Hit) -> str:
    """What the reranker reads for a hit: its title, then its text (as the index embedded it)."""
    title = hit.title.strip()
    return f"{title}\n{hit.text}" if title and not hit.text.startswith(title) else hit.text


def rerank_hits(reranker: Reranker, query: str, hits: Sequence[Hit], top_n: int) -> list[Hit]:
    """The first ``top_n`` hits reordered by ``reranker`` (their scores replaced), then the rest as they were."""
    head, tail = list(hits[:top_n]), list(hits[top_n:])
    if not head:
        return list(tail)
    try:
        scores = [float(s) for s in reranker.score(query, [passage_text(h) for h in head])]
    except AulacError as exc:
        if isinstance(exc, RerankError):
            raise
        raise RerankError(f"reranker {reranker.name!r} failed: {exc}") from exc
    except Exception as exc:  # a model's own errors come in many classes: fail closed with the cause
        raise RerankError(f"reranker {reranker.name!r} failed: {type(exc).__name__}: {exc}") from exc
    if len(scores) != len(head) or not all(math.isfinite(s) for s in scores):
        raise RerankError(
            f"reranker {reranker.name!r} returned {len(scores)} scores for {len(head)} passages"
            + ("" if len(scores) != len(head) else " (some not finite)")
        )
    order = sorted(range(len(head)), key=lambda i: -scores[i])  # stable: ties keep the fused order
    return [dataclasses.replace(head[i], score=scores[i]) for i in order] + tail
