"""BM25 term weights from Vietnamese tokens; Qdrant's IDF modifier supplies the IDF.

Documents get ``tf·(k1+1) / (tf + k1·(1−b+b·dl/avgdl))`` per token; queries get 1 per
distinct token, so the dot product Qdrant computes (with IDF) is the BM25 score.
Every text yields two vectors: with diacritics, and folded (for queries typed without).
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

import numpy as np

from aulac_rag.sparse.ids import MASK31, syllable_bigram_texts, token_ids
from aulac_rag.sparse.ids import token_id as _token_id
from aulac_rag.text.normalize import has_diacritics, normalize_text
from aulac_rag.text.tokenize import folded_tokens, tokenizers

SPARSE_EXACT = "bm25"
SPARSE_FOLDED = "bm25_folded"


@dataclass(frozen=True)
class SparseVector:
    """Token ids (ascending) and their weights: lists, or compact arrays (``array.array``) on their way to an index."""

    indices: Sequence[int]
    values: Sequence[float]


class SparseBatch:
    """The sparse vectors of several texts, by name: all indices, all values, and where each text's start
    (``bounds[i]:bounds[i + 1]``). Compact to send between processes; :meth:`unpack` gives the vectors."""

    def __init__(self, columns: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]) -> None:
        self.columns = columns

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))[2]) - 1 if self.columns else 0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SparseBatch):
            return NotImplemented
        return self.columns.keys() == other.columns.keys() and all(
            np.array_equal(a, b) for name in self.columns for a, b in zip(self.columns[name], other.columns[name], strict=True)
        )

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def pack(cls, vectors: list[dict[str, SparseVector]]) -> SparseBatch:
        columns = {}
        for name in vectors[0] if vectors else ():
            sizes = [len(v[name].indices) for v in vectors]
            bounds = np.zeros(len(vectors) + 1, dtype=np.int64)
            np.cumsum(sizes, out=bounds[1:])
            indices = np.fromiter(chain.from_iterable(v[name].indices for v in vectors), dtype=np.int64, count=int(bounds[-1]))
            values = np.fromiter(chain.from_iterable(v[name].values for v in vectors), dtype=np.float64, count=int(bounds[-1]))
            columns[name] = (indices, values, bounds)
        return cls(columns)

    def compact(self) -> list[dict[str, SparseVector]]:
        """Like :meth:`unpack`, with ``array.array`` slices instead of lists (no Python number per entry):
        what the index needs, made several times faster and smaller."""
        out: list[dict[str, SparseVector]] = [{} for _ in range(len(self))]
        for name, (indices, values, bounds) in self.columns.items():
            index_array, value_array, edges = array("q", indices.tobytes()), array("d", values.tobytes()), bounds.tolist()
            for vectors, start, end in zip(out, edges, edges[1:], strict=False):
                vectors[name] = SparseVector(index_array[start:end], value_array[start:end])
        return out

    def unpack(self) -> list[dict[str, SparseVector]]:
        out: list[dict[str, SparseVector]] = [{} for _ in range(len(self))]
        for name, (indices, values, bounds) in self.columns.items():
            index_list, value_list, edges = indices.tolist(), values.tolist(), bounds.tolist()
            for vectors, start, end in zip(out, edges, edges[1:], strict=False):
                vectors[name] = SparseVector(index_list[start:end], value_list[start:end])
        return out


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
            return self.batch([text], normalized).unpack()[0]
        ids = token_ids(self.tokenize(text, normalized=normalized))
        if not len(ids):
            empty = SparseVector([], [])
            return {SPARSE_EXACT: empty, SPARSE_FOLDED: empty}
        return {
            SPARSE_EXACT: self._weights(ids >> 31, len(ids)),
            SPARSE_FOLDED: self._weights(ids & MASK31, len(ids)),
        }

    def passages(self, texts: Sequence[str], normalized: bool = False) -> list[dict[str, SparseVector]]:
        """:meth:`passage` of each text (the same vectors), computed together (see :meth:`batch`)."""
        return self.batch(texts, normalized).unpack()

    def batch(self, texts: Sequence[str], normalized: bool = False) -> SparseBatch:
        """Both vectors of every text, packed in arrays: one id pass, one sort and one weight
        computation per vector name for the whole batch (the default tokenizer)."""
        if self.tokenizer != "syllable_bigram":
            return SparseBatch.pack([self.passage(t, normalized) for t in texts])
        ids, owner = syllable_bigram_texts(texts if normalized else [normalize_text(t) for t in texts])
        lengths = np.bincount(owner, minlength=len(texts)).astype(np.float64)  # tokens per text
        norms = self.k1 * (1 - self.b + self.b * lengths / self.avg_len)  # as in _weights, per text
        columns = {}
        for name, part in ((SPARSE_EXACT, ids >> 31), (SPARSE_FOLDED, ids & MASK31)):
            keys, tf = np.unique((owner << 31) | part, return_counts=True)  # sorted by text, then id
            counts = tf.astype(np.float64)
            values = counts * (self.k1 + 1) / (counts + norms[keys >> 31])
            bounds = np.searchsorted(keys >> 31, np.arange(len(texts) + 1))
            columns[name] = (keys & MASK31, values, bounds)
        return SparseBatch(columns)

    def query(self, text: str) -> tuple[str, SparseVector]:
        """(vector name, vector): the folded space when the query has no diacritics."""
        tokens = self.tokenize(text)
        if has_diacritics(text):
            return SPARSE_EXACT, self._query_vector(tokens)
        return SPARSE_FOLDED, self._query_vector(folded_tokens(tokens))

    def token_count(self, text: str) -> int:
        return len(self.tokenize(text))
