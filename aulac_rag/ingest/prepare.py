"""The per-document work of ingestion that needs neither the index nor the embedder.

Normalization, hashing, chunking, BM25 vectors and point ids depend only on the document and
a few settings, so they can run in worker processes over batches of documents
(:func:`prepare_parallel`); the results are the same as :func:`prepare_document`'s in the
ingesting process, in the same order.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import uuid
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field

from aulac_rag.chunking import DocumentChunker
from aulac_rag.config import ChunkingConfig
from aulac_rag.documents import Chunk, Document, content_hash
from aulac_rag.errors import AulacError
from aulac_rag.sparse.bm25 import BM25SparseEncoder, SparseVector
from aulac_rag.text.legacy import ensure_unicode_vietnamese
from aulac_rag.text.normalize import normalize_text

_POINT_NAMESPACE = uuid.UUID("6f1c2a4e-9d3b-4c57-8e21-a0b7c3d4e5f6")
#: below this much text in one run, worker processes cost more than they save
PARALLEL_MIN_CHARS = 2_000_000
_BATCH_DOCS = 16  # documents per task sent to a worker


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


def normalized_document(document: Document) -> Document:
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


@dataclass(frozen=True)
class PrepareSettings:
    """What preparation depends on (plain values: it travels to worker processes)."""

    chunking: ChunkingConfig
    tokenizer: str
    k1: float
    b: float
    avg_len: float | None  # None until the sandbox's first document fixes it


@dataclass(frozen=True)
class PreparedDocument:
    """A normalized document and, unless it is unchanged, everything its points need but the dense vectors."""

    document: Document
    doc_hash: str
    unchanged: bool = False
    chunks: list[Chunk] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    sparse: list[dict[str, SparseVector]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)


def chunk_document(raw: Document, chunker: DocumentChunker, committed_hash: str | None) -> PreparedDocument:
    """Normalize, hash and chunk ``raw`` (not chunked when its hash is ``committed_hash``)."""
    document = normalized_document(raw)
    if not document.text:
        raise AulacError("empty document after text extraction")
    doc_hash = document_hash(document)
    if doc_hash == committed_hash:
        return PreparedDocument(document, doc_hash, unchanged=True)
    return PreparedDocument(document, doc_hash, chunks=chunker.run(document, doc_hash))


def add_sparse(prepared: PreparedDocument, encoder: BM25SparseEncoder) -> PreparedDocument:
    """``prepared`` with index texts, BM25 vectors and point ids of its chunks."""
    if prepared.unchanged:
        return prepared
    texts = [index_text(c) for c in prepared.chunks]
    sparse = [encoder.passage(t, normalized=True) for t in texts]  # normalized_document ran already
    ids = [point_id(c.doc_id, c.position, c.doc_hash) for c in prepared.chunks]
    return PreparedDocument(prepared.document, prepared.doc_hash, False, prepared.chunks, texts, sparse, ids)


Outcome = PreparedDocument | AulacError


class _Worker:
    """Chunker and encoder of one process, built once."""

    def __init__(self, settings: PrepareSettings) -> None:
        if settings.avg_len is None:
            raise ValueError("BM25's average length must be fixed before documents are prepared in workers")
        self.chunker = DocumentChunker(settings.chunking)
        self.encoder = BM25SparseEncoder(settings.tokenizer, settings.k1, settings.b, settings.avg_len)

    def run(self, raw: Document, committed_hash: str | None) -> Outcome:
        try:
            return add_sparse(chunk_document(raw, self.chunker, committed_hash), self.encoder)
        except AulacError as exc:
            return exc


_WORKER: _Worker | None = None


def _init_worker(settings: PrepareSettings) -> None:
    global _WORKER
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    _WORKER = _Worker(settings)


def _run_batch(batch: list[tuple[Document, str | None]]) -> list[Outcome]:
    assert _WORKER is not None, "worker not initialized"
    return [_WORKER.run(raw, committed) for raw, committed in batch]


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worker_count(configured: int, documents: Sequence[Document]) -> int:
    """Processes to use: ``configured`` (0: one per CPU, at most 4), or 1 when the text is too small to pay."""
    workers = configured or min(4, available_cpus())
    if workers <= 1 or sum(len(d.text) for d in documents) < PARALLEL_MIN_CHARS:
        return 1
    return workers


def prepare_parallel(jobs: Sequence[tuple[Document, str | None]], settings: PrepareSettings, workers: int) -> Iterator[Outcome]:
    """``_Worker.run`` of every job, in order, over ``workers`` processes (a few batches in flight at a time)."""
    batches = [list(jobs[i : i + _BATCH_DOCS]) for i in range(0, len(jobs), _BATCH_DOCS)]
    context = multiprocessing.get_context("spawn")  # no fork: the parent holds the index's threads and files
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(settings,)) as pool:
        pending: deque[Future[list[Outcome]]] = deque()
        queued = iter(batches)
        for batch in queued:
            pending.append(pool.submit(_run_batch, batch))
            if len(pending) >= 3 * workers:
                break
        while pending:
            outcomes = pending.popleft().result()
            following = next(queued, None)
            if following is not None:
                pending.append(pool.submit(_run_batch, following))
            yield from outcomes
