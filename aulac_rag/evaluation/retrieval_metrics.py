"""Retrieval metrics at document level: hit@k, reciprocal rank and nDCG@k.

A ranking is the list of retrieved chunks' ``doc_id``s, best first. Several chunks of
one document count once, at the rank of its best chunk: the question is "did the
retriever find the right *documents*", which is what ``reference_doc_ids`` label.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence


def dedupe_docs(doc_ids: Iterable[str]) -> list[str]:
    """``doc_ids`` with repeats removed, first occurrence kept (rank order preserved)."""
    seen: set[str] = set()
    out: list[str] = []
    for doc_id in doc_ids:
        if doc_id not in seen:
            seen.add(doc_id)
            out.append(doc_id)
    return out


def hit_at_k(ranked: Sequence[str], relevant: Iterable[str], k: int) -> float:
    """1.0 when any relevant document is among the first ``k`` distinct documents."""
    gold = set(relevant)
    return 1.0 if any(d in gold for d in dedupe_docs(ranked)[:k]) else 0.0


def reciprocal_rank(ranked: Sequence[str], relevant: Iterable[str], k: int | None = None) -> float:
    """1 / rank of the first relevant document (0.0 if none within ``k``)."""
    gold = set(relevant)
    docs = dedupe_docs(ranked)
    for rank, doc_id in enumerate(docs[:k] if k else docs, start=1):
        if doc_id in gold:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[str], relevant: Iterable[str], k: int) -> float:
    """Binary-relevance nDCG@k: DCG of the ranking over DCG of the ideal one."""
    gold = set(relevant)
    if not gold:
        return 0.0
    docs = dedupe_docs(ranked)[:k]
    dcg = sum(1.0 / math.log2(rank + 1) for rank, doc_id in enumerate(docs, start=1) if doc_id in gold)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(gold), k) + 1))
    return dcg / ideal
