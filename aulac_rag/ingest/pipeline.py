"""Idempotent, crash-safe ingestion of Documents into a sandbox's index.

Per document: mark pending in the manifest → upsert the new version's points (ids are
deterministic: doc id, position and document hash) → delete the document's other
points → commit the manifest. Killing the process at any step leaves either the old
or the new version answerable; the next run finishes or rolls back what was pending.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel, Field, field_serializer

from aulac_rag.chunking import DocumentChunker
from aulac_rag.config import SandboxConfig
from aulac_rag.documents import Chunk, Document, SourceError, content_hash
from aulac_rag.embeddings.cache import CachedPassageEmbedder
from aulac_rag.errors import AulacError, ConfigError, EmbeddingError, StoreError
from aulac_rag.failpoints import failpoint
from aulac_rag.guardrails.documents import DocumentFinding
from aulac_rag.index.base import IndexPoint, VectorIndex
from aulac_rag.ingest.manifest import DocumentRecord, IngestManifest
from aulac_rag.sparse.bm25 import BM25SparseEncoder
from aulac_rag.text.legacy import ensure_unicode_vietnamese
from aulac_rag.text.normalize import normalize_text

_POINT_NAMESPACE = uuid.UUID("6f1c2a4e-9d3b-4c57-8e21-a0b7c3d4e5f6")


def point_id(doc_id: str, position: int, doc_hash: str) -> str:
    """Deterministic point id: the same chunk of the same version always gets the same id."""
    return str(uuid.uuid5(_POINT_NAMESPACE, f"{doc_id}\x00{position}\x00{doc_hash}"))


def index_text(chunk: Chunk) -> str:
    """What is embedded and BM25-indexed: document title, chunk title and text."""
    doc_title = str(chunk.metadata.get("doc_title", ""))
    heads = [h for h in (doc_title, chunk.title) if h]
    if len(heads) == 2 and heads[0] == heads[1]:
        heads = heads[:1]
    return "\n".join([*heads, chunk.text])


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
    text = normalize_text(ensure_unicode_vietnamese(document.text, document.source or document.doc_id)).strip()
    return Document(
        doc_id=document.doc_id,
        text=text,
        title=normalize_text(document.title).strip(),
        source=document.source,
        metadata=document.metadata,
    )


def document_hash(document: Document) -> str:
    return content_hash(json.dumps([document.title, document.text, document.metadata], ensure_ascii=False, sort_keys=True, default=str))


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
    """Writes documents into one sandbox's index and manifest."""

    def __init__(
        self,
        config: SandboxConfig,
        index: VectorIndex,
        manifest: IngestManifest,
        embedder: CachedPassageEmbedder,
        sparse: BM25SparseEncoder,
        scan: Scanner | None = None,
    ) -> None:
        self.config = config
        self.index = index
        self.manifest = manifest
        self.embedder = embedder
        self.sparse = sparse
        self.chunker = DocumentChunker(config.retrieval.chunking)
        self.scan = scan

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

    def _points(self, chunks: list[Chunk]) -> list[IndexPoint]:
        texts = [index_text(c) for c in chunks]
        dense = self.embedder.embed_passages(texts)
        check_vector_size(self.manifest, dense.shape[1], self.config.retrieval.embedder.name)
        points = []
        for chunk, text, vector in zip(chunks, texts, dense, strict=False):
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
            sparse = self.sparse.passage(text, normalized=True)  # _prepare normalized the document
            points.append(IndexPoint(point_id(chunk.doc_id, chunk.position, chunk.doc_hash), vector.tolist(), sparse, payload))
        return points

    def _written(self, document: Document, doc_hash: str) -> int:
        """:meth:`_index_document`, with a full or failing disk turned into a StoreError that stops the run."""
        try:
            return self._index_document(document, doc_hash)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(
                f"cannot write the index or its manifest while ingesting {document.doc_id!r} ({exc}); free disk "
                "space and run the same ingest again: committed documents are kept and the unfinished one is "
                "rolled forward or back (check with `aulac doctor SANDBOX`)"
            ) from exc

    def _index_document(self, document: Document, doc_hash: str) -> int:
        chunks = self.chunker.run(document, doc_hash)
        self._set_avg_len(chunks)
        self.manifest.begin(document.doc_id, doc_hash, document.title, document.source, len(chunks))
        failpoint("ingest.after_begin")
        for start in range(0, len(chunks), 64):
            self.index.upsert(self._points(chunks[start : start + 64]))
            failpoint("ingest.after_upsert")
        self.index.flush()
        failpoint("ingest.after_all_upserts")
        self.index.delete_where(document.doc_id, keep_doc_hash=doc_hash)
        failpoint("ingest.after_delete_old")
        self.manifest.commit(document.doc_id, doc_hash, document.title, document.source, len(chunks))
        failpoint("ingest.after_commit")
        return len(chunks)

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
        show = sys.stdout.isatty() if progress is None else progress
        bar = _progress(len(docs), show)
        seen: set[str] = set()
        for raw in docs:
            seen.add(raw.doc_id)
            try:
                document = _prepare(raw)
                if not document.text:
                    raise AulacError("empty document after text extraction")
                doc_hash = document_hash(document)
                findings = self.scan(document) if self.scan is not None else []
                summary.flagged += findings
                if any(f.action == "refuse" for f in findings):
                    rules = ", ".join(sorted({f.rule for f in findings}))
                    raise AulacError(
                        f"refused by the sandbox's guardrail policy: the document contains instructions aimed at the assistant ({rules}); "
                        "remove them or set documents.injection: warn in guardrails.yaml"
                    )
                record = self.manifest.get(document.doc_id)
                if record and record.doc_hash == doc_hash and record.pending_hash is None:
                    summary.skipped += 1
                else:
                    summary.chunks += self._written(document, doc_hash)
                    summary.documents += 1
                    self.manifest.set_findings(document.doc_id, [f.model_dump() for f in findings])
            except (StoreError, EmbeddingError, ConfigError):
                # the index or the embedder itself failed (locked, disk, server down, wrong vector size):
                # stop, do not report it once per document
                raise
            except AulacError as exc:
                summary.errors.append(SourceError(raw.source or raw.doc_id, str(exc)))
            bar.update(1)
        bar.close()
        if prune:
            failed = {e.source for e in summary.errors}
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
