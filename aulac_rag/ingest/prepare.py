"""The per-document work of ingestion that needs neither the index nor the embedder.

Normalization, hashing, chunking, BM25 vectors and point ids depend only on the document and
a few settings, so they can run in worker processes over batches of documents
(:func:`prepare_parallel`); the results are the same as :func:`prepare_document`'s in the
ingesting process, in the same order.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import uuid
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from aulac_rag.chunking import DocumentChunker
from aulac_rag.config import ChunkingConfig
from aulac_rag.documents import Chunk, Document, content_hash
from aulac_rag.errors import AulacError
from aulac_rag.sparse.bm25 import BM25SparseEncoder, SparseBatch, SparseVector
from aulac_rag.text.legacy import ensure_unicode_vietnamese
from aulac_rag.text.normalize import normalize_text

_POINT_NAMESPACE = uuid.UUID("6f1c2a4e-9d3b-4c57-8e21-a0b7c3d4e5f6")
#: below this much text in one run, worker processes cost more than they save
PARALLEL_MIN_CHARS = 2_000_000
_BATCH_DOCS = 16  # most documents per task sent to a worker
_BATCH_CHARS = 100_000  # most characters per task (but one document at least): results come back soon and evenly
_AHEAD_CHARS = 6_000_000  # characters sent to workers and not yet consumed: about one group of chunks ahead


@contextmanager
def young_gc_only() -> Iterator[None]:
    """Within: the cyclic garbage collector runs only on young objects, when :func:`collect_young` asks.

    Ingestion keeps many objects alive (documents, chunks, vectors, caches) and makes many more; the
    collector's full passes over all of them took more time than unpacking the vectors they were
    triggered by. Reference counting still frees everything acyclic at once, and young cycles are
    collected once per batch or group.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def collect_young() -> None:
    """Collect cycles among objects made since the last collection (generations 0 and 1)."""
    gc.collect(1)


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
    vectors: SparseBatch | None = None  # the chunks' BM25 vectors, packed (sent from a worker as arrays)
    ids: list[str] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)  # each chunk's content_hash

    @cached_property
    def sparse(self) -> list[dict[str, SparseVector]]:
        """The BM25 vectors of each chunk, by name."""
        return self.vectors.unpack() if self.vectors is not None else []

    @cached_property
    def index_sparse(self) -> list[dict[str, SparseVector]]:
        """:attr:`sparse` as compact arrays, for the index."""
        return self.vectors.compact() if self.vectors is not None else []

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("sparse", "index_sparse")}  # not the unpacked vectors


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
    vectors = encoder.batch(texts, normalized=True)  # normalized_document ran already
    ids = [point_id(c.doc_id, c.position, c.doc_hash) for c in prepared.chunks]
    hashes = [content_hash(c.text) for c in prepared.chunks]
    return PreparedDocument(prepared.document, prepared.doc_hash, False, prepared.chunks, texts, vectors, ids, hashes)


Outcome = PreparedDocument | AulacError


class _Worker:
    """Chunker and encoder of one process, built once per settings."""

    def __init__(self, settings: PrepareSettings) -> None:
        if settings.avg_len is None:
            raise ValueError("BM25's average length must be fixed before documents are prepared in workers")
        self.settings = settings
        self.chunker = DocumentChunker(settings.chunking)
        self.encoder = BM25SparseEncoder(settings.tokenizer, settings.k1, settings.b, settings.avg_len)

    def run(self, raw: Document, committed_hash: str | None) -> Outcome:
        try:
            return add_sparse(chunk_document(raw, self.chunker, committed_hash), self.encoder)
        except AulacError as exc:
            return exc


_WORKER: _Worker | None = None


def _init_process() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    gc.disable()  # see young_gc_only; _run_batch collects the young generations after each batch


def _ready() -> None:
    """A first task: done once a worker process has started (and imported this module)."""


def _run_batch(settings: PrepareSettings, batch: list[tuple[Document, str | None]]) -> list[Outcome]:
    global _WORKER
    if _WORKER is None or _WORKER.settings != settings:
        _WORKER = _Worker(settings)
    outcomes = [_WORKER.run(raw, committed) for raw, committed in batch]
    collect_young()
    return outcomes


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


def start_pool(workers: int) -> tuple[ProcessPoolExecutor, list[Future[None]]]:
    """``workers`` processes, started now (they import while the caller does its serial part), and
    their first tasks: all done once the processes are ready."""
    context = multiprocessing.get_context("spawn")  # no fork: the parent holds the index's threads and files
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_init_process)
    return pool, [pool.submit(_ready) for _ in range(workers)]


def _batches(jobs: Sequence[tuple[Document, str | None]]) -> Iterator[list[tuple[Document, str | None]]]:
    """Consecutive jobs, at most ``_BATCH_DOCS`` documents and about ``_BATCH_CHARS`` characters a batch."""
    batch: list[tuple[Document, str | None]] = []
    chars = 0
    for job in jobs:
        batch.append(job)
        chars += len(job[0].text)
        if len(batch) >= _BATCH_DOCS or chars >= _BATCH_CHARS:
            yield batch
            batch, chars = [], 0
    if batch:
        yield batch


def prepare_parallel(
    jobs: Sequence[tuple[Document, str | None]], settings: PrepareSettings, workers: int, pool: ProcessPoolExecutor | None = None
) -> Iterator[Outcome]:
    """``_Worker.run`` of every job, in order, over ``workers`` processes (about ``_AHEAD_CHARS`` characters of
    documents in flight); in ``pool`` when given (see :func:`start_pool`; the caller shuts it down)."""
    if pool is None:
        with start_pool(workers)[0] as own:
            yield from prepare_parallel(jobs, settings, workers, own)
        return
    pending: deque[tuple[Future[list[Outcome]], int]] = deque()  # with each batch's characters
    queued = _batches(jobs)
    ahead = 0  # characters in flight: enough for the next group while the ingesting process writes one

    def submit() -> bool:
        nonlocal ahead
        batch = next(queued, None)
        if batch is None:
            return False
        chars = sum(len(raw.text) for raw, _ in batch)
        pending.append((pool.submit(_run_batch, settings, batch), chars))
        ahead += chars
        return True

    while (ahead < _AHEAD_CHARS or len(pending) < 2 * workers) and submit():
        pass
    while pending:
        future, chars = pending.popleft()
        outcomes = future.result()
        ahead -= chars
        while (ahead < _AHEAD_CHARS or len(pending) < 2 * workers) and submit():
            pass
        yield from outcomes
