"""``edge``: the embedded Qdrant engine (qdrant-edge-py), files under AULAC_HOME, no server."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, cast

import qdrant_edge as qe

from aulac_rag.config import IndexConfig
from aulac_rag.errors import StoreError
from aulac_rag.index.base import DENSE, SPARSE_NAMES, Filters, IndexPoint, SearchSettings, VectorIndex
from aulac_rag.sparse.bm25 import SparseVector


def edge_filter(filters: Filters | None, must_not: list[Any] | None = None) -> qe.Filter | None:
    if not filters and not must_not:
        return None
    must: list[Any] = []
    for key, value in (filters or {}).items():
        match = qe.MatchAny(list(value)) if isinstance(value, (list, tuple, set)) else qe.MatchValue(value)
        must.append(qe.FieldCondition(key=key, match=match))
    return qe.Filter(must=must or None, must_not=must_not or None)


def _sparse(vector: SparseVector) -> qe.SparseVector:
    """The engine's sparse vector (it reads any sequence: lists, or the ``array.array`` slices ingestion sends)."""
    return qe.SparseVector(cast(list[int], vector.indices), cast(list[float], vector.values))


class QdrantEdgeIndex(VectorIndex):
    """One EdgeShard per sandbox at ``AULAC_HOME/index/<collection>``."""

    def __init__(self, collection: str, config: IndexConfig, home: Path) -> None:
        super().__init__(collection, config, home)
        self.path = home / "index" / collection
        self._shard: qe.EdgeShard | None = None

    @property
    def shard(self) -> qe.EdgeShard:
        if self._shard is None:
            if not self.exists():
                raise StoreError(f"index for {self.collection!r} does not exist yet; ingest documents first")
            try:
                self._shard = qe.EdgeShard.load(str(self.path))
            except Exception as exc:
                raise StoreError(
                    f"cannot open the embedded index at {self.path}: {exc}. "
                    "Is another aulac process using it? If the files are damaged, delete the folder and ingest again."
                ) from exc
        return self._shard

    def exists(self) -> bool:
        return (self.path / "edge_config.json").exists() or any(self.path.glob("segments*"))

    def create(self, dim: int) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        config = qe.EdgeConfig(
            vectors={DENSE: qe.EdgeVectorParams(size=dim, distance=qe.Distance.Cosine)},
            sparse_vectors={name: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf) for name in SPARSE_NAMES},
        )
        try:
            self._shard = qe.EdgeShard.create(str(self.path), config)
            self._shard.update(qe.UpdateOperation.create_field_index("doc_id", qe.PayloadSchemaType.Keyword))
        except Exception as exc:
            raise StoreError(f"cannot create the embedded index at {self.path}: {exc}") from exc

    def upsert(self, points: list[IndexPoint]) -> None:
        edge_points = [
            qe.Point(id=p.id, vector={DENSE: p.dense, **{name: _sparse(v) for name, v in p.sparse.items()}}, payload=p.payload)
            for p in points
        ]
        self.shard.update(qe.UpdateOperation.upsert_points(edge_points))

    def delete_where(self, doc_id: str, keep_doc_hash: str | None = None) -> None:
        keep = [qe.FieldCondition(key="doc_hash", match=qe.MatchValue(keep_doc_hash))] if keep_doc_hash else None
        selected = edge_filter({"doc_id": doc_id}, keep)
        assert selected is not None  # a doc_id filter is never empty
        self.shard.update(qe.UpdateOperation.delete_points_by_filter(selected))

    def delete_stale(self, versions: dict[str, str]) -> None:
        if not versions:
            return
        stale: list[Any] = [
            qe.Filter(
                must=[qe.FieldCondition(key="doc_id", match=qe.MatchValue(doc_id))],
                must_not=[qe.FieldCondition(key="doc_hash", match=qe.MatchValue(doc_hash))],
            )
            for doc_id, doc_hash in versions.items()
        ]
        self.shard.update(qe.UpdateOperation.delete_points_by_filter(qe.Filter(should=stale)))

    def count(self, filters: Filters | None = None) -> int:
        if not self.exists():
            return 0
        return self.shard.count(qe.CountRequest(exact=True, filter=edge_filter(filters)))

    def scroll_payloads(self, fields: list[str], filters: Filters | None = None) -> list[dict[str, Any]]:
        if not self.exists():
            return []
        out: list[dict[str, Any]] = []
        offset = None
        while True:
            records, offset = self.shard.scroll(
                qe.ScrollRequest(offset=offset, limit=1000, filter=edge_filter(filters), with_payload=fields, with_vector=False)
            )
            out.extend(dict(r.payload or {}) for r in records)
            if offset is None:
                return out

    def drop(self) -> None:
        self.close()
        shutil.rmtree(self.path, ignore_errors=True)

    def flush(self) -> None:
        if self._shard is not None:
            self._shard.flush()

    def close(self) -> None:
        if self._shard is not None:
            self._shard.flush()
            self._shard.close()
            self._shard = None

    @staticmethod
    def _query_vector(using: str, vector: list[float] | SparseVector) -> qe.Query:
        named = _sparse(vector) if isinstance(vector, SparseVector) else vector
        return qe.Query.Nearest(named, using=using)

    def _nearest(self, using: str, vector: list[float] | SparseVector, limit: int, filters: Filters | None) -> list[tuple[str, float]]:
        request = qe.QueryRequest(limit=limit, query=self._query_vector(using, vector), filter=edge_filter(filters), with_payload=False)
        return [(str(p.id), p.score) for p in self.shard.query(request)]

    def _fused(
        self, dense: list[float], sparse_name: str, sparse: SparseVector, settings: SearchSettings, filters: Filters | None
    ) -> list[tuple[str, float]]:
        flt = edge_filter(filters)
        prefetches = [qe.Prefetch(limit=settings.prefetch, query=self._query_vector(DENSE, dense), filter=flt)]
        weights = [settings.dense_weight, 1 - settings.dense_weight]
        if sparse.indices:
            prefetches.append(qe.Prefetch(limit=settings.prefetch, query=self._query_vector(sparse_name, sparse), filter=flt))
        else:
            weights = [1.0]
        fusion: Any = qe.Fusion.Dbsf() if settings.fusion == "dbsf" else qe.Fusion.Rrf(k=settings.rrf_k, weights=weights)
        request = qe.QueryRequest(limit=settings.limit, prefetches=prefetches, query=fusion, with_payload=False)
        return [(str(p.id), p.score) for p in self.shard.query(request)]

    def _payloads(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        points: list[Any] = list(ids)
        return {str(r.id): dict(r.payload or {}) for r in self.shard.retrieve(points, with_payload=True, with_vector=False)}


def _edge(collection: str, config: IndexConfig, home: Path) -> VectorIndex:
    return QdrantEdgeIndex(collection, config, home)
