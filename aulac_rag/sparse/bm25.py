"""BM25 term weights from Vietnamese tokens; Qdrant's IDF modifier supplies the IDF.

Documents get ``tf·(k1+1) / (tf + k1·(1−b+b·dl/avgdl))`` per token; queries get 1 per
distinct token, so the dot product Qdrant computes (with IDF) is the BM25 score.
Every text yields two vectors: with diacritics, and folded (for queries typed without).
"""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from aulac_rag.text.normalize import has_diacritics
from aulac_rag.text.tokenize import folded_tokens, tokenizers

SPARSE_EXACT = "bm25"
SPARSE_FOLDED = "bm25_folded"


@dataclass(frozen=True)
class SparseVector:
    indices: list[int]
    values: list[float]


@lru_cache(maxsize=500_000)
def token_id(token: str) -> int:
    """Stable 31-bit id of a token (collisions are negligible at corpus vocabularies)."""
    return zlib.crc32(token.encode("utf-8")) & 0x7FFFFFFF


class BM25SparseEncoder:
    """Encodes passages and queries into BM25 sparse vectors."""

    def __init__(self, tokenizer: str = "syllable_bigram", k1: float = 1.2, b: float = 0.75, avg_len: float = 150.0) -> None:
        self.tokenize = tokenizers.get(tokenizer)
        self.k1, self.b, self.avg_len = k1, b, avg_len

    def _doc_vector(self, tokens: list[str]) -> SparseVector:
        counts = Counter(tokens)  # count strings first: one hash per distinct token
        ids = np.fromiter(map(token_id, counts.keys()), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        indices, inverse = np.unique(ids, return_inverse=True)  # merges the rare hash collisions
        tf = np.bincount(inverse, weights=tf)
        norm = self.k1 * (1 - self.b + self.b * len(tokens) / self.avg_len)
        return SparseVector(indices.tolist(), (tf * (self.k1 + 1) / (tf + norm)).tolist())

    @staticmethod
    def _query_vector(tokens: list[str]) -> SparseVector:
        indices = sorted({token_id(t) for t in tokens})
        return SparseVector(indices, [1.0] * len(indices))

    def passage(self, text: str) -> dict[str, SparseVector]:
        tokens = self.tokenize(text)
        return {SPARSE_EXACT: self._doc_vector(tokens), SPARSE_FOLDED: self._doc_vector(folded_tokens(tokens))}

    def query(self, text: str) -> tuple[str, SparseVector]:
        """(vector name, vector): the folded space when the query has no diacritics."""
        tokens = self.tokenize(text)
        if has_diacritics(text):
            return SPARSE_EXACT, self._query_vector(tokens)
        return SPARSE_FOLDED, self._query_vector(folded_tokens(tokens))

    def token_count(self, text: str) -> int:
        return len(self.tokenize(text))
