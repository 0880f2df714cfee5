"""Document-level score aggregation: a document hit by several chunks ranks by all of them.

A document's score is its best chunk's plus ``weight`` × the sum of its other chunks' scores
(among the fused hits); hits are reordered by their document's score, a document's chunks best
first, so documents keep their chunks together and a single-chunk document keeps its score.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from aulac_rag.retrieval.types import Hit


def document_scores(hits: Sequence[Hit], weight: float) -> dict[str, float]:
    """Best chunk score + ``weight`` × the other chunks' scores, per document."""
    scores: defaultdict[str, list[float]] = defaultdict(list)
    for hit in hits:
        scores[hit.doc_id].append(hit.score)
    return {doc: max(s) + weight * (sum(s) - max(s)) for doc, s in scores.items()}


def aggregate_by_document(hits: Sequence[Hit], weight: float) -> list[Hit]:
    """``hits`` ordered by document score (ties: the fused order), each document's chunks best first."""
    if weight <= 0:
        return list(hits)
    docs = document_scores(hits, weight)
    first: dict[str, int] = {}
    for rank, hit in enumerate(hits):
        first.setdefault(hit.doc_id, rank)
    order = sorted(range(len(hits)), key=lambda i: (-docs[hits[i].doc_id], first[hits[i].doc_id], -hits[i].score, i))
    return [hits[i] for i in order]
