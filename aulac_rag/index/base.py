"""One interface over the two Qdrant engines, and the score fusion they share.

Both engines store a named dense vector (``dense``) and two sparse BM25 vectors
(``bm25``, ``bm25_folded``, IDF modifier) per chunk, with the chunk as payload.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aulac_rag.config import IndexConfig
from aulac_rag.errors import RequestError
from aulac_rag.registry import Registry
from aulac_rag.sparse.bm25 import SPARSE_EXACT, SPARSE_FOLDED, SparseVector

DENSE = "dense"
SPARSE_NAMES = (SPARSE_EXACT, SPARSE_FOLDED)
Filters = dict[str, Any]  # field → value, or list of values (any of)


_FIELD = re.compile(r"[A-Za-z_][\w.]{0,63}")


_MAX_FIELDS, _MAX_VALUES, _MAX_VALUE_CHARS = 20, 100, 500


def check_filters(filters: Filters | None) -> None:
    """Filters are ``{field: value | [values]}`` (at most 20 fields, 100 values each, 500 characters a value)
    with string, integer or boolean values; anything else is a RequestError. The one rule the API and the
    library share."""
    if filters is None:
        return
    if not isinstance(filters, dict):
        raise RequestError(f"filters: expected an object of field → value, got {type(filters).__name__}")
    if len(filters) > _MAX_FIELDS:
        raise RequestError(f"filters: at most {_MAX_FIELDS} fields, got {len(filters)}")
    for name, value in filters.items():
        if not isinstance(name, str) or not _FIELD.fullmatch(name):
            raise RequestError(f"filters: invalid field name {name!r}")
        values = value if isinstance(value, list) else [value]
        if not 1 <= len(values) <= _MAX_VALUES or not all(isinstance(v, (str, int, bool)) for v in values):
            raise RequestError(
                f"filters.{name}: values must be strings, integers or booleans (or a list of 1 to {_MAX_VALUES} of them)"
            )
        if any(isinstance(v, str) and len(v) > _MAX_VALUE_CHARS for v in values):
            raise RequestError(f"filters.{name}: values are at most {_MAX_VALUE_CHARS} characters")


@dataclass(frozen=True)
class IndexPoint:
    id: str
    dense: list[float]
    sparse: dict[str, SparseVector]
    payload: dict[str, Any]


@dataclass(frozen=True)
class ScoredPoint:
    id: str
    score: float
    payload: dict[str, Any]


@dataclass(frozen=True)
class SearchSettings:
    limit: int
    prefetch: int
    fusion: str  # linear | rrf | dbsf | dense | sparse
    dense_weight: float = 0.4
    rrf_k: int = 60


def _minmax(scores: dict[str, float]) -> dict[str, float]:
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    span = high - low
    return {key: (value - low) / span if span > 0 else 1.0 for key, value in scores.items()}


def linear_fusion(dense: list[tuple[str, float]], sparse: list[tuple[str, float]], dense_weight: float) -> list[tuple[str, float]]:
    """Min-max normalize each list and add them with weights; absent = 0. Best first."""
    d, s = _minmax(dict(dense)), _minmax(dict(sparse))
    fused = {key: dense_weight * d.get(key, 0.0) + (1 - dense_weight) * s.get(key, 0.0) for key in d.keys() | s.keys()}
    return sorted(fused.items(), key=lambda kv: kv[1], reverse=True)


class VectorIndex(ABC):
    """A Qdrant collection holding one sandbox's chunks."""

    def __init__(self, collection: str, config: IndexConfig, home: Path) -> None:
        self.collection = collection
        self.config = config
        self.home = home

    # --- storage -------------------------------------------------------------
    @abstractmethod
    def exists(self) -> bool: ...

    @abstractmethod
    def create(self, dim: int) -> None:
        """Create the collection with the vector layout and a keyword index on doc_id."""

    @abstractmethod
    def upsert(self, points: list[IndexPoint]) -> None: ...

    @abstractmethod
    def delete_where(self, doc_id: str, keep_doc_hash: str | None = None) -> None:
        """Delete a document's points, except those of ``keep_doc_hash`` when given."""

    def delete_stale(self, versions: dict[str, str]) -> None:
        """For each ``doc_id → doc_hash``, delete the document's points of any other version
        (engines override this to do it in one request)."""
        for doc_id, doc_hash in versions.items():
            self.delete_where(doc_id, keep_doc_hash=doc_hash)

    @abstractmethod
    def count(self, filters: Filters | None = None) -> int: ...

    @abstractmethod
    def scroll_payloads(self, fields: list[str], filters: Filters | None = None) -> list[dict[str, Any]]: ...

    @abstractmethod
    def drop(self) -> None: ...

    def flush(self) -> None:  # noqa: B027 (optional hook)
        """Make writes durable (engines with explicit flush override this)."""

    def close(self) -> None:  # noqa: B027 (optional hook)
        """Release files and connections."""

    # --- queries ---------------------------------------------------------------
    @abstractmethod
    def _nearest(self, using: str, vector: list[float] | SparseVector, limit: int, filters: Filters | None) -> list[tuple[str, float]]:
        """(id, score) best first for one named vector."""

    @abstractmethod
    def _fused(
        self, dense: list[float], sparse_name: str, sparse: SparseVector, settings: SearchSettings, filters: Filters | None
    ) -> list[tuple[str, float]]:
        """(id, score) best first, fused inside Qdrant (RRF or DBSF)."""

    @abstractmethod
    def _payloads(self, ids: list[str]) -> dict[str, dict[str, Any]]: ...

    def search(
        self,
        dense: list[float],
        sparse_name: str,
        sparse: SparseVector,
        settings: SearchSettings,
        filters: Filters | None = None,
    ) -> list[ScoredPoint]:
        """Hybrid (or single-vector) search; payloads fetched only for the final hits."""
        check_filters(filters)
        if settings.fusion == "dense":
            ranked = self._nearest(DENSE, dense, settings.limit, filters)
        elif settings.fusion == "sparse":
            ranked = self._nearest(sparse_name, sparse, settings.limit, filters) if sparse.indices else []
        elif settings.fusion == "linear":
            dense_hits = self._nearest(DENSE, dense, settings.prefetch, filters)
            sparse_hits = self._nearest(sparse_name, sparse, settings.prefetch, filters) if sparse.indices else []
            ranked = linear_fusion(dense_hits, sparse_hits, settings.dense_weight)[: settings.limit]
        else:
            # Qdrant orders equal fused scores arbitrarily (RRF ties are common): break ties by id, so runs repeat
            ranked = sorted(self._fused(dense, sparse_name, sparse, settings, filters), key=lambda kv: (-kv[1], kv[0]))
        payloads = self._payloads([point_id for point_id, _ in ranked])
        return [ScoredPoint(pid, score, payloads[pid]) for pid, score in ranked if pid in payloads]


IndexFactory = Callable[[str, IndexConfig, Path], VectorIndex]
# Only the engine asked for is imported (qdrant-client alone takes about a second to import).
_EDGE, _SERVER = "aulac_rag.index.edge:_edge", "aulac_rag.index.server:_server"
index_engines: Registry[IndexFactory] = Registry(
    "index engine", "aulac_rag.index_engines", {"edge": _EDGE, "embedded": _EDGE, "qdrant": _SERVER, "server": _SERVER}
)


def open_index(collection: str, config: IndexConfig, home: Path) -> VectorIndex:
    return index_engines.get(config.engine)(collection, config, home)
