"""Idempotent, crash-safe ingestion of Documents into a sandbox's index.

Per document: mark pending in the manifest → upsert the new version's points (ids are
deterministic: doc id, position and document hash) → delete the document's other
points → commit the manifest. Killing the process at any step leaves either the old
or the new version answerable; the next run finishes or rolls back what was pending.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
from pydantic import BaseModel, Field, field_serializer

from aulac_rag.chunking import DocumentChunker
from aulac_rag.config import RetrievalConfig, SandboxConfig
from aulac_rag.documents import Chunk, Document, SourceError
from aulac_rag.embeddings.cache import CachedPassageEmbedder
from aulac_rag.errors import AulacError, ConfigError, EmbeddingError, StoreError
from aulac_rag.failpoints import failpoint
from aulac_rag.guardrails.documents import DocumentFinding
from aulac_rag.index.base import IndexPoint, VectorIndex
from aulac_rag.ingest.manifest import DocumentRecord, IngestManifest
from aulac_rag.ingest.prepare import (
    Outcome,
    PreparedDocument,
    PrepareSettings,
    add_sparse,
    chunk_document,
    collect_young,
    document_hash,
    index_text,
    normalized_document,
    point_id,
    prepare_parallel,
    start_pool,
    worker_count,
    young_gc_only,
)
from aulac_rag.sparse.bm25 import BM25SparseEncoder

__all__ = [
    "Ingestor",
    "IngestSummary",
    "check_vector_size",
    "delete_document",
    "document_hash",
    "index_text",
    "point_id",
    "recover_pending",
]

Scanner = Callable[[Document], list[DocumentFinding]]
Group = list[tuple[PreparedDocument, list[DocumentFinding]]]  # documents written together


class IngestSummary(BaseModel):
    """What an ingestion run did: one shape for ``aulac ingest --json``, the API (its ``response_model``,
    with the uploaded ``files``), the chat app and the audit trail."""

    documents: int = 0
    chunks: int = 0
    skipped: int = 0
    pruned: int = 0
    recovered: int = 0
    errors: list[SourceError] = Field(default_factory=list)
    seconds: float = 0.0
    #: documents whose text carries instructions aimed at the assistant (see guardrails/documents.py)
    flagged: list[DocumentFinding] = Field(default_factory=list)

    @field_serializer("seconds")
    def _rounded(self, seconds: float) -> float:
        return round(seconds, 3)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def _prepare(document: Document) -> Document:
    """Normalized text and title; TextError for legacy encodings."""
    return normalized_document(document)


def delete_document(index: VectorIndex, manifest: IngestManifest, doc_id: str) -> None:
    """Delete a document: mark it, delete its points, drop its row (a crash in between is finished by recovery)."""
    manifest.begin_delete(doc_id)
    failpoint("delete.after_mark")
    index.delete_where(doc_id)
    failpoint("delete.after_points")
    manifest.remove(doc_id)
    manifest.set_findings(doc_id, [])


def recover_pending(index: VectorIndex, manifest: IngestManifest) -> int:
    """Finish or roll back what an interrupted run left pending; never deletes the only copy.

    A pending deletion is finished. A pending new version whose points are all in the
    index is rolled *forward* (the old version may already be gone: old points are deleted
    only after every new one is written); an incomplete one is rolled back, and then the
    old version is still whole (a document never committed loses its partial points).
    """
    count = 0
    for record in manifest.pending():
        if record.deleting:
            delete_document(index, manifest, record.doc_id)
        elif _complete(index, record):
            index.delete_where(record.doc_id, keep_doc_hash=record.pending_hash)
            failpoint("recover.after_index")
            chunks = record.pending_chunks or index.count({"doc_id": record.doc_id, "doc_hash": record.pending_hash})
            manifest.commit(record.doc_id, str(record.pending_hash), record.title, record.source, chunks)
        else:
            index.delete_where(record.doc_id, keep_doc_hash=record.doc_hash)  # None: no committed version to keep
            failpoint("recover.after_index")
            manifest.rollback(record.doc_id)
        count += 1
    return count


def _complete(index: VectorIndex, record: DocumentRecord) -> bool:
    """Are all chunks of the pending version in the index?"""
    new = index.count({"doc_id": record.doc_id, "doc_hash": record.pending_hash})
    if record.pending_chunks:
        return new >= record.pending_chunks
    # a manifest from before chunk counts were kept: forward only if the old version is not whole
    old = index.count({"doc_id": record.doc_id, "doc_hash": record.doc_hash}) if record.doc_hash else 0
    return new > 0 and old < record.chunks


def check_vector_size(manifest: IngestManifest, size: int, embedder: str) -> None:
    """ConfigError when ``size`` differs from the vector size the sandbox's index was created with."""
    stored = manifest.get_meta("embedder_dim")  # absent for indexes made before it was recorded
    if stored is not None and int(stored) != size:
        raise ConfigError(
            f"the sandbox's index holds {stored}-d vectors but retrieval.embedder {embedder!r} gives {size}-d ones; "
            "use the embedder the index was built with, or ingest into a new sandbox (one index has one vector size)"
        )


#: BM25 k1 and b before 2026-12-04; an index made before its parameters were recorded was built with these
#: unless its sandbox.yaml set others
LEGACY_BM25 = (1.2, 0.75)


def indexed_bm25(manifest: IngestManifest, retrieval: RetrievalConfig) -> tuple[float, float]:
    """The BM25 ``k1`` and ``b`` the sandbox's passages were (or will first be) weighted with.

    The index's own parameters win over sandbox.yaml: documents added later must be weighted like the
    ones already there. A new index takes sandbox.yaml's (or the defaults); changing them takes a new index.
    """
    k1, b = manifest.get_meta("bm25_k1"), manifest.get_meta("bm25_b")
    if k1 is not None and b is not None:
        return float(k1), float(b)
    if manifest.get_meta("bm25_avg_len") is None:  # nothing indexed yet
        return retrieval.bm25_k1, retrieval.bm25_b
    explicit = retrieval.model_fields_set
    return (
        retrieval.bm25_k1 if "bm25_k1" in explicit else LEGACY_BM25[0],
        retrieval.bm25_b if "bm25_b" in explicit else LEGACY_BM25[1],
    )


def indexed_chunk_tokens(manifest: IngestManifest) -> int | None:
    """The chunk size (``chunking.max_tokens``) the index was built with; None for an index made before it was
    recorded (2026-12-04; the default was 220 words then) or with nothing indexed yet."""
    stored = manifest.get_meta("chunk_max_tokens")
    return int(stored) if stored is not None else None


class Ingestor:
    """Writes documents into one sandbox's index and manifest.

    Documents are prepared (normalized, chunked, BM25-encoded: in worker processes when the
    run is large, see ``ingest/prepare.py``) in order, then written in groups of about
    ``GROUP_CHUNKS`` chunks (smaller while embedding and writing are slow, as with a slow embedder,
    so progress is committed often). A group's dense vectors are computed in a thread while the
    previous group is written and the next one prepared, so an embedding server is kept busy.
    Then all of a group's documents are marked pending in one manifest transaction, their points
    upserted and flushed once, their old versions deleted in one request and the manifest
    committed in one transaction. A crash anywhere leaves each document of the group pending,
    and recovery finishes or rolls back each on its own.
    """

    GROUP_CHUNKS = 4096  # most chunks per group: one index flush and two manifest syncs each
    #: the fewest chunks per group (and at least the embedder's batch size times its requests in flight);
    #: groups double after one is embedded and written in under GROUP_SECONDS, and halve otherwise
    FIRST_GROUP = 16
    GROUP_SECONDS = 5.0
    UPSERT_BATCH = 256  # points per upsert request

    def __init__(
        self,
        config: SandboxConfig,
        index: VectorIndex,
        manifest: IngestManifest,
        embedder: CachedPassageEmbedder,
        sparse: BM25SparseEncoder,
        scan: Scanner | None = None,
        workers: int = 1,
    ) -> None:
        if workers < 0:
            raise ConfigError(f"workers must be 0 (one per CPU) or more, got {workers}")
        self.config = config
        self.index = index
        self.manifest = manifest
        self.embedder = embedder
        self.sparse = sparse
        self.chunker = DocumentChunker(config.retrieval.chunking)
        self.scan = scan
        self.workers = workers

    def _ensure_index(self) -> None:
        if not self.index.exists():
            dim = self.embedder.embedder.dim
            self.index.create(dim)
            self.manifest.set_meta("embedder", self.embedder.embedder.model_id)
            self.manifest.set_meta("embedder_dim", str(dim))

    def _set_avg_len(self, chunks: list[Chunk]) -> None:
        """BM25's average length is fixed at the first ingestion so weights stay comparable."""
        stored = self.manifest.get_meta("bm25_avg_len")
        if stored is None and chunks:
            lengths = [self.sparse.token_count(index_text(c)) for c in chunks]
            stored = str(max(1.0, sum(lengths) / len(lengths)))
            self.manifest.set_meta("bm25_avg_len", stored)
            # a new index: its chunk size is known (an older one's is not: its chunks may be of another size)
            self.manifest.set_meta("chunk_max_tokens", str(self.config.retrieval.chunking.max_tokens))
        if stored is not None and self.manifest.get_meta("bm25_k1") is None:  # recorded with the first weights
            self.manifest.set_meta("bm25_k1", repr(self.sparse.k1))
            self.manifest.set_meta("bm25_b", repr(self.sparse.b))
        if stored is not None:
            self.sparse.avg_len = float(stored)

    def _settings(self) -> PrepareSettings:
        stored = self.manifest.get_meta("bm25_avg_len")
        return PrepareSettings(
            self.config.retrieval.chunking, self.sparse.tokenizer, self.sparse.k1, self.sparse.b, float(stored) if stored else None
        )

    def _prepare_here(self, raw: Document, committed_hash: str | None) -> Outcome:
        try:
            prepared = chunk_document(raw, self.chunker, committed_hash)
            if not prepared.unchanged:
                self._set_avg_len(prepared.chunks)
            return add_sparse(prepared, self.sparse)
        except AulacError as exc:
            return exc

    def _outcomes(self, docs: list[Document], committed: dict[str, str]) -> Iterator[Outcome]:
        """Each document prepared, in order: here until BM25's average length is fixed, then in workers if it pays."""
        seen: set[str] = set()
        jobs: list[tuple[Document, str | None]] = []
        for raw in docs:  # a repeated doc id is compared with its committed hash when it is written
            jobs.append((raw, committed.get(raw.doc_id) if raw.doc_id not in seen else None))
            seen.add(raw.doc_id)
        workers = worker_count(self.workers, [raw for raw, _ in jobs])
        pool, ready = start_pool(workers) if workers > 1 else (None, [])  # started now: they import meanwhile
        try:
            start = 0
            while start < len(jobs) and self.manifest.get_meta("bm25_avg_len") is None:
                yield self._prepare_here(*jobs[start])
                start += 1
            self._set_avg_len([])
            while start < len(jobs) and not all(f.done() for f in ready):  # here until the workers are up
                yield self._prepare_here(*jobs[start])
                start += 1
            if pool is not None:
                yield from prepare_parallel(jobs[start:], self._settings(), workers, pool)
            else:
                for job in jobs[start:]:
                    yield self._prepare_here(*job)
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)

    def _embedded(self, group: Group) -> np.ndarray:
        """Dense vectors of every chunk of ``group``, in order (run ahead, in the embedding thread)."""
        dense = self.embedder.embed_passages([text for doc, _ in group for text in doc.texts])
        check_vector_size(self.manifest, dense.shape[1], self.config.retrieval.embedder.name)
        return dense

    @staticmethod
    def _points(prepared: list[tuple[PreparedDocument, int]], dense: np.ndarray) -> list[IndexPoint]:
        """Points of (document, chunk index) pairs, with their dense vectors (one row each)."""
        points = []
        for (doc, i), vector in zip(prepared, dense.tolist(), strict=True):
            chunk = doc.chunks[i]
            payload = {
                "doc_id": chunk.doc_id,
                "chunk_id": chunk.chunk_id,
                "title": chunk.title,
                "text": chunk.text,
                "position": chunk.position,
                "source": chunk.source,
                "doc_hash": chunk.doc_hash,
                "content_hash": doc.hashes[i],
                "metadata": chunk.metadata,
            }
            points.append(IndexPoint(doc.ids[i], vector, doc.index_sparse[i], payload))
        return points

    def _written(self, group: Group, dense: np.ndarray) -> None:
        """:meth:`_write_group`, with a full or failing disk turned into a StoreError that stops the run."""
        try:
            self._write_group(group, dense)
        except (OSError, sqlite3.Error) as exc:
            names = ", ".join(repr(doc.document.doc_id) for doc, _ in group[:3]) + (" …" if len(group) > 3 else "")
            raise StoreError(
                f"cannot write the index or its manifest while ingesting {names} ({exc}); free disk "
                "space and run the same ingest again: committed documents are kept and the unfinished ones are "
                "rolled forward or back (check with `aulac doctor SANDBOX`)"
            ) from exc

    def _write_group(self, group: Group, dense: np.ndarray) -> None:
        with self.manifest.transaction():
            for doc, _ in group:
                d = doc.document
                self.manifest.begin(d.doc_id, doc.doc_hash, d.title, d.source, len(doc.chunks))
        failpoint("ingest.after_begin")
        pairs = [(doc, i) for doc, _ in group for i in range(len(doc.chunks))]
        for start in range(0, len(pairs), self.UPSERT_BATCH):
            self.index.upsert(self._points(pairs[start : start + self.UPSERT_BATCH], dense[start : start + self.UPSERT_BATCH]))
            failpoint("ingest.after_upsert")
        self.index.flush()
        failpoint("ingest.after_all_upserts")
        self.index.delete_stale({doc.document.doc_id: doc.doc_hash for doc, _ in group})
        failpoint("ingest.after_delete_old")
        with self.manifest.transaction():
            for doc, findings in group:
                d = doc.document
                self.manifest.commit(d.doc_id, doc.doc_hash, d.title, d.source, len(doc.chunks))
                self.manifest.set_findings(d.doc_id, [f.model_dump() for f in findings])
        failpoint("ingest.after_commit")

    def _checked(self, outcome: Outcome, summary: IngestSummary) -> tuple[PreparedDocument, list[DocumentFinding]]:
        """The scan's findings of a prepared document; AulacError when it is refused or failed to prepare."""
        if isinstance(outcome, AulacError):
            raise outcome
        findings = self.scan(outcome.document) if self.scan is not None else []
        summary.flagged += findings
        if any(f.action == "refuse" for f in findings):
            rules = ", ".join(sorted({f.rule for f in findings}))
            raise AulacError(
                f"refused by the sandbox's guardrail policy: the document contains instructions aimed at the assistant ({rules}); "
                "remove them or set documents.injection: warn in guardrails.yaml"
            )
        return outcome, findings

    def run(
        self,
        documents: Iterable[Document],
        source_errors: Iterable[SourceError] = (),
        prune: bool = False,
        progress: bool | None = None,
    ) -> IngestSummary:
        """Ingest ``documents``; with ``prune``, delete indexed documents not among them."""
        with young_gc_only():
            return self._run(documents, source_errors, prune, progress)

    def _run(self, documents: Iterable[Document], source_errors: Iterable[SourceError], prune: bool, progress: bool | None) -> IngestSummary:
        started = time.perf_counter()
        summary = IngestSummary(errors=list(source_errors))
        docs = list(documents)
        self._ensure_index()
        self.index.count()  # open the index before anything is marked pending: a locked index stops the run here
        summary.recovered = recover_pending(self.index, self.manifest)
        committed = {r.doc_id: r.doc_hash for r in self.manifest.all() if r.doc_hash and r.pending_hash is None}
        show = sys.stdout.isatty() if progress is None else progress
        bar = _progress(len(docs), show)
        floor = max(self.FIRST_GROUP, self.config.retrieval.embedder.batch_size * self.config.retrieval.embedder.concurrency)
        groups = _Groups(self, summary, committed, bar, floor)
        chars_left = sum(len(raw.text) for raw in docs)
        chars_seen = chunks_seen = 0
        try:
            for raw, outcome in zip(docs, self._outcomes(docs, committed), strict=True):
                chars_left -= len(raw.text)
                chars_seen += len(raw.text)
                try:
                    prepared, findings = self._checked(outcome, summary)
                    doc_id = prepared.document.doc_id
                    chunks_seen += len(prepared.chunks)
                    if doc_id in groups.waiting:
                        groups.drain()  # a repeated doc id: its earlier copy is committed first, as a serial run would
                    if prepared.unchanged or committed.get(doc_id) == prepared.doc_hash:
                        summary.skipped += 1
                        bar.update(1)
                        continue
                    groups.add(prepared, findings, chunks_left=chars_left * chunks_seen // max(1, chars_seen))
                except (StoreError, EmbeddingError, ConfigError):
                    # the index or the embedder itself failed (locked, disk, server down, wrong vector size):
                    # stop, do not report it once per document
                    raise
                except AulacError as exc:
                    summary.errors.append(SourceError(raw.source or raw.doc_id, str(exc)))
                    bar.update(1)
            groups.drain()
        finally:
            groups.close()
        bar.close()
        if prune:
            failed = {e.source for e in summary.errors}
            seen = {raw.doc_id for raw in docs}
            for record in self.manifest.all():
                if record.doc_id not in seen and record.source not in failed:
                    delete_document(self.index, self.manifest, record.doc_id)
                    summary.pruned += 1
        self.index.flush()
        summary.seconds = time.perf_counter() - started
        return summary


class _Groups:
    """Documents collected into groups, each embedded ahead in a thread and then written by the caller.

    When a group is full, its dense vectors are started (an embedding server works on them while
    the previous group is written and the next one prepared) and the previous group is written
    once its own vectors are there. A group is full at ``target`` chunks, which doubles after a
    group embedded and written in under ``GROUP_SECONDS`` and halves otherwise (between ``floor``
    and ``GROUP_CHUNKS``), and at half the chunks still to come (so the last group, whose writing
    nothing overlaps, is small).
    """

    def __init__(self, ingestor: Ingestor, summary: IngestSummary, committed: dict[str, str], bar: Any, floor: int) -> None:
        self.ingestor, self.summary, self.committed, self.bar = ingestor, summary, committed, bar
        self.floor = self.target = floor
        self.group: Group = []
        self.size = 0
        self.ahead: tuple[Group, Future[tuple[np.ndarray, float]]] | None = None
        self.waiting: set[str] = set()  # doc ids in ``group`` and ``ahead``
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="aulac-ingest-embed")

    def add(self, prepared: PreparedDocument, findings: list[DocumentFinding], chunks_left: int) -> None:
        self.group.append((prepared, findings))
        self.waiting.add(prepared.document.doc_id)
        self.size += len(prepared.chunks)
        if self.size >= min(self.target, max(self.floor, chunks_left // 2)):
            self._submit()

    def drain(self) -> None:
        """Write every document collected so far."""
        self._submit()
        self._commit()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)  # at most one group's embedding still running

    def _embedded(self, group: Group) -> tuple[np.ndarray, float]:
        began = time.perf_counter()
        return self.ingestor._embedded(group), time.perf_counter() - began

    def _submit(self) -> None:
        """Start embedding the current group, then write the previous one."""
        if self.group:
            future = self.pool.submit(self._embedded, self.group)
            self._commit()
            self.ahead = (self.group, future)
        self.group, self.size = [], 0

    def _commit(self) -> None:
        """Write the group embedded ahead, once its vectors are there."""
        if self.ahead is None:
            return
        group, future = self.ahead
        self.ahead = None
        dense, seconds = future.result()
        began = time.perf_counter()
        self.ingestor._written(group, dense)
        fast = seconds + time.perf_counter() - began < self.ingestor.GROUP_SECONDS
        self.target = min(self.ingestor.GROUP_CHUNKS, self.target * 2) if fast else max(self.floor, self.target // 2)
        collect_young()
        for doc, _ in group:
            self.waiting.discard(doc.document.doc_id)
            self.committed[doc.document.doc_id] = doc.doc_hash
            self.summary.chunks += len(doc.chunks)
            self.summary.documents += 1
        self.bar.update(len(group))


class _NoProgress:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, show: bool) -> Any:
    if not show or total < 2:
        return _NoProgress()
    from tqdm import tqdm

    return tqdm(total=total, unit="doc", desc="ingest", file=sys.stderr)
