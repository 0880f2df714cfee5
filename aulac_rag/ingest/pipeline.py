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
from typing import Any

from pydantic import BaseModel, Field, field_serializer

from aulac_rag.chunking import DocumentChunker
from aulac_rag.config import SandboxConfig
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
    document_hash,
    index_text,
    normalized_document,
    point_id,
    prepare_parallel,
    worker_count,
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


class Ingestor:
    """Writes documents into one sandbox's index and manifest.

    Documents are prepared (normalized, chunked, BM25-encoded: in worker processes when the
    run is large, see ``ingest/prepare.py``) in order, then written in groups of about
    ``GROUP_CHUNKS`` chunks (smaller while writes are slow, as with a slow embedder, so progress is
    committed often): all of a group's documents are marked pending in one manifest
    transaction, their points upserted and flushed once, their old versions deleted in one
    request and the manifest committed in one transaction. A crash anywhere leaves each
    document of the group pending, and recovery finishes or rolls back each on its own.
    """

    GROUP_CHUNKS = 4096  # most chunks per group: one index flush and two manifest syncs each
    FIRST_GROUP = 16  # the first group's chunks; doubled after each group written in under GROUP_SECONDS
    GROUP_SECONDS = 0.5
    UPSERT_BATCH = 256  # points per embedding call and upsert request

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
        start = 0
        while start < len(jobs) and self.manifest.get_meta("bm25_avg_len") is None:
            yield self._prepare_here(*jobs[start])
            start += 1
        self._set_avg_len([])
        rest = jobs[start:]
        workers = worker_count(self.workers, [raw for raw, _ in rest])
        if workers > 1:
            yield from prepare_parallel(rest, self._settings(), workers)
        else:
            for job in rest:
                yield self._prepare_here(*job)

    def _points(self, prepared: list[tuple[PreparedDocument, int]]) -> list[IndexPoint]:
        """Points of (document, chunk index) pairs, with their dense vectors."""
        dense = self.embedder.embed_passages([doc.texts[i] for doc, i in prepared])
        check_vector_size(self.manifest, dense.shape[1], self.config.retrieval.embedder.name)
        points = []
        for (doc, i), vector in zip(prepared, dense, strict=True):
            chunk = doc.chunks[i]
            payload = {
                "doc_id": chunk.doc_id,
                "chunk_id": chunk.chunk_id,
                "title": chunk.title,
                "text": chunk.text,
                "position": chunk.position,
                "source": chunk.source,
                "doc_hash": chunk.doc_hash,
                "content_hash": chunk.content_hash,
                "metadata": chunk.metadata,
            }
            points.append(IndexPoint(doc.ids[i], vector.tolist(), doc.sparse[i], payload))
        return points

    def _written(self, group: list[tuple[PreparedDocument, list[DocumentFinding]]]) -> None:
        """:meth:`_write_group`, with a full or failing disk turned into a StoreError that stops the run."""
        try:
            self._write_group(group)
        except (OSError, sqlite3.Error) as exc:
            names = ", ".join(repr(doc.document.doc_id) for doc, _ in group[:3]) + (" …" if len(group) > 3 else "")
            raise StoreError(
                f"cannot write the index or its manifest while ingesting {names} ({exc}); free disk "
                "space and run the same ingest again: committed documents are kept and the unfinished ones are "
                "rolled forward or back (check with `aulac doctor SANDBOX`)"
            ) from exc

    def _write_group(self, group: list[tuple[PreparedDocument, list[DocumentFinding]]]) -> None:
        with self.manifest.transaction():
            for doc, _ in group:
                d = doc.document
                self.manifest.begin(d.doc_id, doc.doc_hash, d.title, d.source, len(doc.chunks))
        failpoint("ingest.after_begin")
        pairs = [(doc, i) for doc, _ in group for i in range(len(doc.chunks))]
        for start in range(0, len(pairs), self.UPSERT_BATCH):
            self.index.upsert(self._points(pairs[start : start + self.UPSERT_BATCH]))
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
        started = time.perf_counter()
        summary = IngestSummary(errors=list(source_errors))
        docs = list(documents)
        self._ensure_index()
        self.index.count()  # open the index before anything is marked pending: a locked index stops the run here
        summary.recovered = recover_pending(self.index, self.manifest)
        committed = {r.doc_id: r.doc_hash for r in self.manifest.all() if r.doc_hash and r.pending_hash is None}
        show = sys.stdout.isatty() if progress is None else progress
        bar = _progress(len(docs), show)
        group: list[tuple[PreparedDocument, list[DocumentFinding]]] = []
        size, target = 0, self.FIRST_GROUP

        def write() -> None:
            nonlocal group, size, target
            if group:
                began = time.perf_counter()
                self._written(group)
                fast = time.perf_counter() - began < self.GROUP_SECONDS
                target = min(self.GROUP_CHUNKS, target * 2) if fast else max(self.FIRST_GROUP, target // 2)
                for doc, _ in group:
                    committed[doc.document.doc_id] = doc.doc_hash
                    summary.chunks += len(doc.chunks)
                    summary.documents += 1
                bar.update(len(group))
            group, size = [], 0

        for raw, outcome in zip(docs, self._outcomes(docs, committed), strict=True):
            try:
                prepared, findings = self._checked(outcome, summary)
                doc_id = prepared.document.doc_id
                if any(doc.document.doc_id == doc_id for doc, _ in group):
                    write()  # a repeated doc id: its earlier copy is committed first, as a serial run would
                if prepared.unchanged or committed.get(doc_id) == prepared.doc_hash:
                    summary.skipped += 1
                    bar.update(1)
                    continue
                group.append((prepared, findings))
                size += len(prepared.chunks)
                if size >= target:
                    write()
            except (StoreError, EmbeddingError, ConfigError):
                # the index or the embedder itself failed (locked, disk, server down, wrong vector size):
                # stop, do not report it once per document
                raise
            except AulacError as exc:
                summary.errors.append(SourceError(raw.source or raw.doc_id, str(exc)))
                bar.update(1)
        write()
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
