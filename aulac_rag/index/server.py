"""``qdrant``: a Qdrant server or distributed cluster by URL (qdrant-client).

``url: ":memory:"`` uses qdrant-client's local mode, which implements the server's API
(used by the tests); anything else is a real server, with the API key read from the
environment variable named in ``index.api_key_env``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from qdrant_client import QdrantClient, models

from aulac_rag.config import IndexConfig
from aulac_rag.errors import StoreError
from aulac_rag.index.base import DENSE, SPARSE_NAMES, Filters, IndexPoint, SearchSettings, VectorIndex
from aulac_rag.sparse.bm25 import SparseVector

_LOCAL_CLIENTS: dict[str, QdrantClient] = {}  # ":memory:" mode: one client per AULAC_HOME, shared in-process


def server_filter(filters: Filters | None, must_not: list[Any] | None = None) -> models.Filter | None:
    if not filters and not must_not:
        return None
    must: list[Any] = []
    for key, value in (filters or {}).items():
        match = models.MatchAny(any=list(value)) if isinstance(value, (list, tuple, set)) else models.MatchValue(value=value)
        must.append(models.FieldCondition(key=key, match=match))
    return models.Filter(must=must or None, must_not=must_not or None)


class QdrantServerIndex(VectorIndex):
    """A collection on a Qdrant server/cluster, with sharding and replication settings."""

    def __init__(self, collection: str, config: IndexConfig, home: Path) -> None:
        super().__init__(collection, config, home)
        self._client: QdrantClient | None = None

    @property
    def client(self) -> QdrantClient:
        if self._client is None:
            url = self.config.url or ""
            if url == ":memory:":
                if str(self.home) not in _LOCAL_CLIENTS:
                    _LOCAL_CLIENTS[str(self.home)] = QdrantClient(":memory:")
                self._client = _LOCAL_CLIENTS[str(self.home)]
            else:
                api_key = os.environ.get(self.config.api_key_env) or None
                self._client = QdrantClient(url=url, api_key=api_key, timeout=int(self.config.timeout_s))
        return self._client

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # transport and API errors come in many classes
            raise StoreError(f"Qdrant at {self.config.url} failed to {what} ({self.collection!r}): {exc}") from exc

    def exists(self) -> bool:
        return bool(self._call("check the collection", self.client.collection_exists, self.collection))

    def create(self, dim: int) -> None:
        self._call(
            "create the collection",
            self.client.create_collection,
            self.collection,
            vectors_config={DENSE: models.VectorParams(size=dim, distance=models.Distance.COSINE)},
            sparse_vectors_config={name: models.SparseVectorParams(modifier=models.Modifier.IDF) for name in SPARSE_NAMES},
            shard_number=self.config.shard_number,
            replication_factor=self.config.replication_factor,
            write_consistency_factor=self.config.write_consistency_factor,
        )
        if self.config.url == ":memory:":
            return  # local mode ignores payload indexes (and warns)
        for field in ("doc_id", "doc_hash"):
            self._call(
                "create a payload index", self.client.create_payload_index, self.collection, field, models.PayloadSchemaType.KEYWORD
            )

    def upsert(self, points: list[IndexPoint]) -> None:
        structs = [
            models.PointStruct(
                id=p.id,
                vector={DENSE: p.dense, **{n: models.SparseVector(indices=v.indices, values=v.values) for n, v in p.sparse.items()}},
                payload=p.payload,
            )
            for p in points
        ]
        self._call("upsert points", self.client.upsert, self.collection, structs, wait=True)

    def delete_where(self, doc_id: str, keep_doc_hash: str | None = None) -> None:
        keep = [models.FieldCondition(key="doc_hash", match=models.MatchValue(value=keep_doc_hash))] if keep_doc_hash else None
        selector = models.FilterSelector(filter=server_filter({"doc_id": doc_id}, keep))
        self._call("delete points", self.client.delete, self.collection, selector, wait=True)

    def count(self, filters: Filters | None = None) -> int:
        if not self.exists():
            return 0
        result = self._call("count points", self.client.count, self.collection, count_filter=server_filter(filters), exact=True)
        return int(result.count)

    def scroll_payloads(self, fields: list[str], filters: Filters | None = None) -> list[dict[str, Any]]:
        if not self.exists():
            return []
        out: list[dict[str, Any]] = []
        offset = None
        while True:
            records, offset = self._call(
                "scroll points",
                self.client.scroll,
                self.collection,
                scroll_filter=server_filter(filters),
                limit=1000,
                offset=offset,
                with_payload=fields,
                with_vectors=False,
            )
            out.extend(dict(r.payload or {}) for r in records)
            if offset is None:
                return out

    def drop(self) -> None:
        if self.exists():
            self._call("delete the collection", self.client.delete_collection, self.collection)

    def close(self) -> None:
        if self._client is not None and self.config.url != ":memory:":
            self._client.close()
        self._client = None

    @staticmethod
    def _query(vector: list[float] | SparseVector) -> Any:
        if isinstance(vector, SparseVector):
            return models.SparseVector(indices=vector.indices, values=vector.values)
        return vector

    def _nearest(self, using: str, vector: list[float] | SparseVector, limit: int, filters: Filters | None) -> list[tuple[str, float]]:
        response = self._call(
            "query",
            self.client.query_points,
            self.collection,
            query=self._query(vector),
            using=using,
            limit=limit,
            query_filter=server_filter(filters),
            with_payload=False,
        )
        return [(str(p.id), p.score) for p in response.points]

    def _fused(
        self, dense: list[float], sparse_name: str, sparse: SparseVector, settings: SearchSettings, filters: Filters | None
    ) -> list[tuple[str, float]]:
        flt = server_filter(filters)
        prefetch = [models.Prefetch(query=dense, using=DENSE, limit=settings.prefetch, filter=flt)]
        weights = [settings.dense_weight, 1 - settings.dense_weight]
        if sparse.indices:
            prefetch.append(models.Prefetch(query=self._query(sparse), using=sparse_name, limit=settings.prefetch, filter=flt))
        else:
            weights = [1.0]
        if settings.fusion == "dbsf":
            query: Any = models.FusionQuery(fusion=models.Fusion.DBSF)
        else:
            query = models.RrfQuery(rrf=models.Rrf(k=settings.rrf_k, weights=weights))
        response = self._call(
            "query", self.client.query_points, self.collection, prefetch=prefetch, query=query, limit=settings.limit, with_payload=False
        )
        return [(str(p.id), p.score) for p in response.points]

    def _payloads(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        records = self._call("retrieve points", self.client.retrieve, self.collection, ids, with_payload=True, with_vectors=False)
        return {str(r.id): dict(r.payload or {}) for r in records}


def _server(collection: str, config: IndexConfig, home: Path) -> VectorIndex:
    return QdrantServerIndex(collection, config, home)
