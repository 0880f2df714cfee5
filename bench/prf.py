"""Pseudo-relevance feedback for BM25 (RM3-style), measured by bench/retrieval_options.py and *not* kept in
the product: it did not help on any shared set (bench/RESULTS.md, "Retrieval options").

Expand the query with the top terms of its best BM25 hits.

RM1 weights each term of the ``docs`` best sparse hits by ``Σ_d w_d · tf(t, d) / |d|``, with
``w_d`` the hit's share of their BM25 scores; the ``terms`` best that the query lacks join the
query vector at ``weight`` × (their RM1 weight / the best one's), beside the query's own terms
at 1 (Qdrant's IDF modifier still applies to every term). Function words are never added.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from aulac_rag.index.base import Filters, SearchSettings, VectorIndex
from aulac_rag.sparse.bm25 import SPARSE_FOLDED, BM25SparseEncoder, SparseVector, token_id
from aulac_rag.text.normalize import fold_diacritics
from aulac_rag.text.tokenize import fold_token

# Folded Vietnamese function words (as in aulac_rag.generation.lexical).
_FUNCTION_WORDS = frozenset(
    fold_diacritics(w)
    for w in (
        "là và của các có được cho không những này với trong thì một khi nào gì bao nhiêu như thế "
        "ai đâu sao tại vì hay hoặc mà để từ về theo đã đang sẽ rằng ra vào lên bị bởi nếu "
        "nó họ tôi bạn chúng ta em anh chị ông bà hãy xin vui lòng cần phải muốn biết hỏi "
        "gồm bằng nhé ạ à ư nhỉ đó kia ấy"
    ).split()
)


def _content(token: str) -> bool:
    """A token worth adding: not made only of function words or digits (bigrams are ``a_b``)."""
    parts = fold_token(token).split("_")
    return any(p not in _FUNCTION_WORDS and not p.isdigit() and len(p) > 1 for p in parts)


def expansion_terms(
    query_tokens: Sequence[str], feedback: Sequence[tuple[str, float]], tokenize: Callable[[str], list[str]], terms: int
) -> list[tuple[str, float]]:
    """The ``terms`` best (token, RM1 weight) of the feedback (text, BM25 score) pairs, best first; query tokens excluded."""
    total = sum(max(score, 0.0) for _, score in feedback)
    if terms <= 0 or total <= 0:
        return []
    seen = {fold_token(t) for t in query_tokens}
    weights: dict[str, float] = {}
    for text, score in feedback:
        tokens = tokenize(text)
        if not tokens:
            continue
        share = max(score, 0.0) / total / len(tokens)
        for token, count in Counter(tokens).items():
            weights[token] = weights.get(token, 0.0) + share * count
    ordered = sorted(weights.items(), key=lambda tw: (-tw[1], tw[0]))
    ranked = [(t, w) for t, w in ordered if fold_token(t) not in seen and _content(t)]
    return ranked[:terms]


def expand_sparse(query: SparseVector, expansion: Sequence[tuple[str, float]], folded: bool, weight: float) -> SparseVector:
    """``query`` plus the expansion tokens at ``weight`` × their weight relative to the best (the folded space's ids when ``folded``)."""
    if not expansion or weight <= 0:
        return query
    top = max(w for _, w in expansion)
    values = dict(zip(query.indices, query.values, strict=True))
    for token, w in expansion:
        key = token_id(fold_token(token) if folded else token)
        values.setdefault(key, weight * w / top)
    indices = sorted(values)
    return SparseVector(indices, [values[i] for i in indices])


def feedback_query(
    index: VectorIndex,
    encoder: BM25SparseEncoder,
    normalized_query: str,
    sparse_name: str,
    sparse: SparseVector,
    docs: int,
    terms: int,
    weight: float,
    filters: Filters | None = None,
) -> SparseVector:
    """The query's sparse vector expanded with its ``docs`` best BM25 hits (one extra sparse search)."""
    if not sparse.indices or terms <= 0 or weight <= 0:
        return sparse
    settings = SearchSettings(limit=docs, prefetch=docs, fusion="sparse")
    points = index.search([], sparse_name, sparse, settings, filters)
    feedback = [("\n".join(filter(None, [str(p.payload.get("title", "")), str(p.payload.get("text", ""))])), p.score) for p in points]
    expansion = expansion_terms(encoder.tokenize(normalized_query), feedback, lambda t: encoder.tokenize(t, normalized=True), terms)
    return expand_sparse(sparse, expansion, sparse_name == SPARSE_FOLDED, weight)


class FeedbackEncoder:
    """Wraps a sandbox's BM25 encoder so its ``query()`` returns the expanded vector (the bench swaps it in)."""

    def __init__(self, encoder: BM25SparseEncoder, index: VectorIndex, docs: int, terms: int, weight: float) -> None:
        self._encoder, self._index = encoder, index
        self._docs, self._terms, self._weight = docs, terms, weight

    def query(self, text: str) -> tuple[str, SparseVector]:
        name, sparse = self._encoder.query(text)
        return name, feedback_query(self._index, self._encoder, text, name, sparse, self._docs, self._terms, self._weight)

    def __getattr__(self, name: str) -> object:
        return getattr(self._encoder, name)
