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
from aulac_rag.text.tokenize import fold_token, folded_tokens, tokenizers

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


@lru_cache(maxsize=500_000)
def _token_ids(token: str) -> tuple[int, int]:
    """Ids of a token with and without diacritics."""
    return token_id(token), token_id(fold_token(token))


class BM25SparseEncoder:
    """Encodes passages and queries into BM25 sparse vectors."""

    def __init__(self, tokenizer: str = "syllable_bigram", k1: float = 1.2, b: float = 0.75, avg_len: float = 150.0) -> None:
        self.tokenize = tokenizers.get(tokenizer)
        self.k1, self.b, self.avg_len = k1, b, avg_len

    def _weights(self, ids: np.ndarray, tf: np.ndarray, length: int) -> SparseVector:
        indices, inverse = np.unique(ids, return_inverse=True)  # merges folded twins and rare hash collisions
        counts = np.bincount(inverse, weights=tf)
        norm = self.k1 * (1 - self.b + self.b * length / self.avg_len)
        return SparseVector(indices.tolist(), (counts * (self.k1 + 1) / (counts + norm)).tolist())

    @staticmethod
    def _query_vector(tokens: list[str]) -> SparseVector:
        indices = sorted({token_id(t) for t in tokens})
        return SparseVector(indices, [1.0] * len(indices))

    def passage(self, text: str, normalized: bool = False) -> dict[str, SparseVector]:
        """Both vectors of a passage; ``normalized=True`` when ``normalize_text`` already ran."""
        tokens = self.tokenize(text, normalized=normalized)
        if not tokens:
            empty = SparseVector([], [])
            return {SPARSE_EXACT: empty, SPARSE_FOLDED: empty}
        counts = Counter(tokens)  # count strings first: one lookup per distinct token
        ids = np.array(list(map(_token_ids, counts)), dtype=np.int64)
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        return {
            SPARSE_EXACT: self._weights(ids[:, 0], tf, len(tokens)),
            SPARSE_FOLDED: self._weights(ids[:, 1], tf, len(tokens)),
        }

    def query(self, text: str) -> tuple[str, SparseVector]:
        """(vector name, vector): the folded space when the query has no diacritics."""
        tokens = self.tokenize(text)
        if has_diacritics(text):
            return SPARSE_EXACT, self._query_vector(tokens)
        return SPARSE_FOLDED, self._query_vector(folded_tokens(tokens))

    def token_count(self, text: str) -> int:
        return len(self.tokenize(text))
