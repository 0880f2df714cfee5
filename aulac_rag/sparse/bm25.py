"""BM25 term weights from Vietnamese tokens; Qdrant's IDF modifier supplies the IDF.

Documents get ``tf·(k1+1) / (tf + k1·(1−b+b·dl/avgdl))`` per token; queries get 1 per
distinct token, so the dot product Qdrant computes (with IDF) is the BM25 score.
Every text yields two vectors: with diacritics, and folded (for queries typed without).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from aulac_rag.sparse.ids import MASK31, syllable_bigram_ids, token_ids
from aulac_rag.sparse.ids import token_id as _token_id
from aulac_rag.text.normalize import has_diacritics
from aulac_rag.text.tokenize import folded_tokens, syllables, tokenizers

SPARSE_EXACT = "bm25"
SPARSE_FOLDED = "bm25_folded"


@dataclass(frozen=True)
class SparseVector:
    indices: list[int]
    values: list[float]


@lru_cache(maxsize=500_000)
def token_id(token: str) -> int:
    """Stable 31-bit id of a token (collisions are negligible at corpus vocabularies)."""
    return _token_id(token)


class BM25SparseEncoder:
    """Encodes passages and queries into BM25 sparse vectors."""

    def __init__(self, tokenizer: str = "syllable_bigram", k1: float = 1.2, b: float = 0.75, avg_len: float = 150.0) -> None:
        self.tokenizer = tokenizer
        self.tokenize = tokenizers.get(tokenizer)
        self.k1, self.b, self.avg_len = k1, b, avg_len

    def _weights(self, ids: np.ndarray, length: int) -> SparseVector:
        """BM25 document weights from one id per token occurrence."""
        indices, tf = np.unique(ids, return_counts=True)  # merges folded twins and rare hash collisions
        counts = tf.astype(np.float64)
        norm = self.k1 * (1 - self.b + self.b * length / self.avg_len)
        return SparseVector(indices.tolist(), (counts * (self.k1 + 1) / (counts + norm)).tolist())

    @staticmethod
    def _query_vector(tokens: list[str]) -> SparseVector:
        indices = sorted({token_id(t) for t in tokens})
        return SparseVector(indices, [1.0] * len(indices))

    def passage(self, text: str, normalized: bool = False) -> dict[str, SparseVector]:
        """Both vectors of a passage; ``normalized=True`` when ``normalize_text`` already ran."""
        if self.tokenizer == "syllable_bigram":  # the default: pair ids without building pair strings
            units = syllables(text, normalized)
            ids = syllable_bigram_ids(units) if units else np.zeros(0, dtype=np.int64)
        else:
            ids = token_ids(self.tokenize(text, normalized=normalized))
        if not len(ids):
            empty = SparseVector([], [])
            return {SPARSE_EXACT: empty, SPARSE_FOLDED: empty}
        return {
            SPARSE_EXACT: self._weights(ids >> 31, len(ids)),
            SPARSE_FOLDED: self._weights(ids & MASK31, len(ids)),
        }

    def query(self, text: str) -> tuple[str, SparseVector]:
        """(vector name, vector): the folded space when the query has no diacritics."""
        tokens = self.tokenize(text)
        if has_diacritics(text):
            return SPARSE_EXACT, self._query_vector(tokens)
        return SPARSE_FOLDED, self._query_vector(folded_tokens(tokens))

    def token_count(self, text: str) -> int:
        return len(self.tokenize(text))
