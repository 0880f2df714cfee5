"""Per-sandbox tuning: search retrieval settings on the sandbox's evaluation set, with k-fold cross-validation.

    result = tune_sandbox(Sandbox("healthcare"), TuneSpace(), folds=5)
    result.best.mrr, result.cv_mrr, result.patch      # in-sample best, cross-validated, sandbox.yaml patch

Search-time settings (fusion, dense weight, RRF k, document-level aggregation) are varied on the
sandbox's own index with query vectors computed once. BM25 ``k1``/``b`` are applied when passages are encoded, so each
(k1, b) pair gets a temporary index rebuilt from the sandbox's chunks (dense vectors from the
embedding cache); chunk sizes (only when asked) re-ingest the sandbox's sources into one.
Nothing in the sandbox changes: the result carries a proposed patch of ``retrieval`` keys.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from aulac_rag.config import IndexConfig, RetrievalConfig
from aulac_rag.documents import Chunk, Document
from aulac_rag.embeddings.cache import CachedPassageEmbedder
from aulac_rag.errors import ConfigError, EvaluationError
from aulac_rag.evaluation.dataset import load_eval_set
from aulac_rag.evaluation.retrieval_metrics import dedupe_docs, hit_at_k, reciprocal_rank
from aulac_rag.index.base import IndexPoint, SearchSettings, VectorIndex, open_index
from aulac_rag.ingest.manifest import IngestManifest
from aulac_rag.ingest.pipeline import Ingestor, index_text, indexed_chunk_tokens, point_id
from aulac_rag.retrieval.aggregate import aggregate_by_document
from aulac_rag.retrieval.types import Hit
from aulac_rag.sparse.bm25 import BM25SparseEncoder, SparseVector
from aulac_rag.text.normalize import normalize_text

if TYPE_CHECKING:
    from aulac_rag.sandbox import Sandbox

MRR_DEPTH = 10  # MRR@10, over distinct documents
_PAYLOAD_FIELDS = ["doc_id", "chunk_id", "title", "text", "position", "source", "doc_hash", "content_hash", "metadata"]


class TuneSetting(BaseModel):
    """One point of the search: retrieval keys of ``sandbox.yaml`` (``chunk_max_tokens`` is ``chunking.max_tokens``)."""

    model_config = ConfigDict(frozen=True)

    fusion: str
    dense_weight: float
    rrf_k: int
    bm25_k1: float
    bm25_b: float
    chunk_max_tokens: int
    doc_aggregation_weight: float = 0.0

    @classmethod
    def of(cls, config: RetrievalConfig, bm25: tuple[float, float] | None = None, chunk_tokens: int | None = None) -> TuneSetting:
        """``config``'s setting; ``bm25`` and ``chunk_tokens``: what the index was really built with, when known."""
        k1, b = bm25 or (config.bm25_k1, config.bm25_b)
        return cls(
            fusion=config.fusion,
            dense_weight=config.dense_weight,
            rrf_k=config.rrf_k,
            bm25_k1=k1,
            bm25_b=b,
            chunk_max_tokens=chunk_tokens or config.chunking.max_tokens,
            doc_aggregation_weight=config.doc_aggregation_weight,
        )

    def label(self) -> str:
        if self.fusion == "linear":
            mode = f"linear dense {self.dense_weight:g}"
        elif self.fusion == "rrf":
            mode = f"rrf k={self.rrf_k} dense {self.dense_weight:g}"
        else:
            mode = self.fusion
        aggregation = f", doc aggregation {self.doc_aggregation_weight:g}" if self.doc_aggregation_weight else ""
        return f"{mode}, k1 {self.bm25_k1:g} b {self.bm25_b:g}, chunks {self.chunk_max_tokens}{aggregation}"

    def patch(self, config: RetrievalConfig, indexed: TuneSetting | None = None) -> dict[str, Any]:
        """The ``retrieval`` keys that differ from ``config`` (nested like sandbox.yaml), or from what the index was
        built with (``indexed``: BM25 weights and chunk size, which need a fresh index); only keys that matter
        for this fusion (a dense weight is not proposed for DBSF, which ignores it)."""
        current = TuneSetting.of(config)
        built = indexed or current
        changed: dict[str, Any] = {}
        keys = ["fusion", "bm25_k1", "bm25_b", "doc_aggregation_weight"]
        if self.fusion in ("linear", "rrf"):
            keys.append("dense_weight")
        if self.fusion == "rrf":
            keys.append("rrf_k")
        for key in keys:
            if getattr(self, key) != getattr(current, key) or getattr(self, key) != getattr(built, key):
                changed[key] = getattr(self, key)
        if self.chunk_max_tokens != current.chunk_max_tokens or self.chunk_max_tokens != built.chunk_max_tokens:
            changed["chunking"] = {"max_tokens": self.chunk_max_tokens}
        return changed


class TuneSpace(BaseModel):
    """The grid searched. Empty ``chunk_sizes``: keep the sandbox's chunks (no re-ingestion)."""

    model_config = ConfigDict(extra="forbid")

    fusions: list[str] = Field(default_factory=lambda: ["linear", "rrf", "dbsf"])
    dense_weights: list[float] = Field(default_factory=lambda: [0.2, 0.3, 0.4, 0.5, 0.6, 0.7])
    rrf_ks: list[int] = Field(default_factory=lambda: [2, 60])
    rrf_dense_weights: list[float] = Field(default_factory=lambda: [0.5])
    bm25_k1s: list[float] = Field(default_factory=lambda: [0.9, 1.2, 1.6])
    bm25_bs: list[float] = Field(default_factory=lambda: [0.4, 0.75])
    chunk_sizes: list[int] = Field(default_factory=list)
    doc_aggregation_weights: list[float] = Field(default_factory=lambda: [0.0, 0.1])

    def search_settings(self) -> list[tuple[str, float, int]]:
        """(fusion, dense_weight, rrf_k) combinations, varied without touching the index."""
        out: list[tuple[str, float, int]] = []
        for fusion in self.fusions:
            if fusion == "linear":
                out += [("linear", w, 60) for w in self.dense_weights]
            elif fusion == "rrf":
                out += [("rrf", w, k) for k in self.rrf_ks for w in self.rrf_dense_weights]
            elif fusion in ("dbsf", "dense", "sparse"):
                out.append((fusion, 0.5, 60))
            else:
                raise ConfigError(f"tune: unknown fusion {fusion!r}; choose from linear, rrf, dbsf, dense, sparse")
        return out


class TuneScore(BaseModel):
    setting: TuneSetting
    label: str
    mrr: float  # MRR@10 over the whole evaluation set
    hit_at_k: float


class FoldResult(BaseModel):
    fold: int
    questions: int
    chosen: str  # the label of the setting picked on the other folds
    train_mrr: float
    test_mrr: float
    test_hit_at_k: float


class TuneResult(BaseModel):
    """What ``aulac tune --json`` prints."""

    sandbox: str
    questions: int
    folds: int
    k: int  # hit@k's k (evaluation.k)
    settings_tried: int
    current: TuneScore
    best: TuneScore  # in-sample: the best setting on all questions (what the patch proposes)
    cv_mrr: float  # cross-validated: each fold scored with the setting picked on the others
    cv_hit_at_k: float
    fold_results: list[FoldResult]
    patch: dict[str, Any]  # {"retrieval": {...changed keys}} or {} when the current setting is best
    top: list[TuneScore]
    notes: list[str] = Field(default_factory=list)
    report_dir: str | None = None


class _Question(BaseModel):
    id: str
    text: str
    gold: list[str]


def _questions(sandbox: Sandbox) -> list[_Question]:
    items = load_eval_set(sandbox.file_path(sandbox.config.evaluation.eval_file))
    questions = [_Question(id=i.id, text=i.question, gold=list(i.reference_doc_ids)) for i in items if i.reference_doc_ids]
    if not questions:
        raise EvaluationError(f"sandbox {sandbox.name!r}: no evaluation item has reference_doc_ids; tuning needs them")
    return questions


class _QueryVectors:
    """Dense and sparse query vectors, computed once per question (dense through the embedding cache)."""

    def __init__(self, sandbox: Sandbox, questions: list[_Question], cache: CachedPassageEmbedder) -> None:
        normalized = [normalize_text(q.text) for q in questions]
        self.dense: np.ndarray = cache.embed_queries(normalized)
        self.sparse: list[tuple[str, SparseVector]] = [sandbox.sparse.query(t) for t in normalized]


def _score(
    index: VectorIndex,
    vectors: _QueryVectors,
    questions: list[_Question],
    settings: SearchSettings,
    k: int,
    aggregations: list[float],
) -> dict[float, tuple[np.ndarray, np.ndarray]]:
    """Per document-aggregation weight, per question: reciprocal rank (@10) and hit@k over distinct documents
    (one search per question; aggregation reorders its hits as in :meth:`Sandbox.retrieve_batch`)."""
    out = {weight: (np.zeros(len(questions)), np.zeros(len(questions))) for weight in aggregations}
    for row, question in enumerate(questions):
        name, sparse = vectors.sparse[row]
        hits = [_hit(p.payload, p.score) for p in index.search(vectors.dense[row].tolist(), name, sparse, settings)]
        for weight, (rr, hit) in out.items():
            ranked = dedupe_docs(h.doc_id for h in aggregate_by_document(hits, weight))
            rr[row] = reciprocal_rank(ranked, question.gold, MRR_DEPTH)
            hit[row] = hit_at_k(ranked, question.gold, k)
    return out


def _hit(payload: dict[str, Any], score: float) -> Hit:
    return Hit(doc_id=str(payload.get("doc_id", "")), chunk_id=str(payload.get("chunk_id", "")), score=score, title="", text="")


def _chunk_of(payload: dict[str, Any]) -> Chunk:
    return Chunk(
        doc_id=str(payload["doc_id"]),
        chunk_id=str(payload.get("chunk_id", "")),
        text=str(payload.get("text", "")),
        title=str(payload.get("title", "")),
        position=int(payload.get("position", 0)),
        source=str(payload.get("source", "")),
        doc_hash=str(payload.get("doc_hash", "")),
        metadata=dict(payload.get("metadata") or {}),
    )


def _rebuild_sparse(source: VectorIndex, target: VectorIndex, cache: CachedPassageEmbedder, encoder: BM25SparseEncoder) -> None:
    """Copy the sandbox's chunks into ``target`` with BM25 weights from ``encoder`` (dense vectors from the cache)."""
    payloads = sorted(source.scroll_payloads(_PAYLOAD_FIELDS), key=lambda p: (str(p["doc_id"]), int(p.get("position", 0))))
    target.create(cache.embedder.dim)
    for start in range(0, len(payloads), 256):
        batch = payloads[start : start + 256]
        chunks = [_chunk_of(p) for p in batch]
        texts = [index_text(c) for c in chunks]
        dense = cache.embed_passages(texts)
        target.upsert(
            [
                IndexPoint(point_id(c.doc_id, c.position, c.doc_hash), vector.tolist(), encoder.passage(text, normalized=True), payload)
                for c, text, vector, payload in zip(chunks, texts, dense, batch, strict=True)
            ]
        )
    target.flush()


def _sources(sandbox: Sandbox) -> list[Document]:
    """The sandbox's documents, loaded again from the sources its manifest records (for chunk-size variants)."""
    from aulac_rag.connectors import load_sources

    sources = sorted({r.source for r in sandbox.documents() if r.source})
    documents, errors = load_sources(sources)
    if errors or not documents:
        detail = "; ".join(f"{e.source}: {e.error}" for e in errors[:3]) if errors else "no sources recorded"
        raise ConfigError(f"--chunk-sizes re-ingests the sandbox's sources, and they cannot all be read again ({detail})")
    return documents


def _indexed_setting(sandbox: Sandbox) -> TuneSetting:
    """The sandbox's current setting as its index was built (BM25 weights and chunk size recorded with it)."""
    return TuneSetting.of(sandbox.config.retrieval, (sandbox.sparse.k1, sandbox.sparse.b), indexed_chunk_tokens(sandbox.manifest))


@contextmanager
def _variant_index(
    sandbox: Sandbox, setting: TuneSetting, cache: CachedPassageEmbedder, documents: list[Document] | None, work: Path
) -> Iterator[VectorIndex]:
    """The sandbox's own index for its current (k1, b, chunk size); else a temporary one under ``work``."""
    current = _indexed_setting(sandbox)
    if (setting.bm25_k1, setting.bm25_b, setting.chunk_max_tokens) == (current.bm25_k1, current.bm25_b, current.chunk_max_tokens):
        yield sandbox.index
        return
    name = f"tune_{setting.bm25_k1:g}_{setting.bm25_b:g}_{setting.chunk_max_tokens}".replace(".", "p")
    index = open_index(name, IndexConfig(), work)
    r = sandbox.config.retrieval
    encoder = BM25SparseEncoder(r.sparse_tokenizer, setting.bm25_k1, setting.bm25_b, sandbox.sparse.avg_len)
    try:
        if setting.chunk_max_tokens == current.chunk_max_tokens:
            _rebuild_sparse(sandbox.index, index, cache, encoder)
        else:
            config = sandbox.config.model_copy(deep=True)
            config.retrieval.bm25_k1, config.retrieval.bm25_b = setting.bm25_k1, setting.bm25_b
            config.retrieval.chunking.max_tokens = setting.chunk_max_tokens
            manifest = IngestManifest(work / f"{name}.sqlite")
            try:
                Ingestor(config, index, manifest, cache, encoder).run(documents or [], progress=False)
            finally:
                manifest.close()
        yield index
    finally:
        index.drop()


def _folds(count: int, folds: int, seed: int) -> list[int]:
    order = list(range(count))
    random.Random(seed).shuffle(order)
    assignment = [0] * count
    for position, row in enumerate(order):
        assignment[row] = position % folds
    return assignment


def _pick(mrr: np.ndarray, rows: np.ndarray, current: int) -> int:
    """The setting with the best mean MRR over ``rows``; ties go to the current setting, then the first tried."""
    means = mrr[:, rows].mean(axis=1)
    best = float(means.max())
    return current if means[current] >= best - 1e-12 else int(np.argmax(means))


def tune_sandbox(
    sandbox: Sandbox, space: TuneSpace | None = None, folds: int = 5, seed: int = 0, top: int = 10
) -> TuneResult:
    """Score every setting of ``space`` on the evaluation set; cross-validate the choice over ``folds`` folds."""
    space = space or TuneSpace()
    if folds < 2:
        raise ConfigError(f"--folds: at least 2, got {folds}")
    questions = _questions(sandbox)
    if len(questions) < folds:
        raise EvaluationError(f"sandbox {sandbox.name!r}: {len(questions)} labelled questions cannot fill {folds} folds")
    if not sandbox.index.exists():
        raise ConfigError(f"sandbox {sandbox.name!r} has no index yet; ingest documents first ('aulac ingest {sandbox.name} ...')")
    r = sandbox.config.retrieval
    current = _indexed_setting(sandbox)
    k = sandbox.config.evaluation.k
    aggregations = sorted(set(space.doc_aggregation_weights) | {current.doc_aggregation_weight})
    depth = max(30, k, r.prefetch if any(aggregations) else 0)  # aggregation sees every fused candidate
    notes = ["title weight: not searched (the title is prepended to each chunk's text; there is no separate weight)"]
    documents = _sources(sandbox) if space.chunk_sizes else None
    chunk_sizes = sorted(set(space.chunk_sizes) | {current.chunk_max_tokens})
    k1s, bs = sorted(set(space.bm25_k1s) | {current.bm25_k1}), sorted(set(space.bm25_bs) | {current.bm25_b})
    searches = space.search_settings()
    if (current.fusion, current.dense_weight, current.rrf_k) not in searches:
        searches.append((current.fusion, current.dense_weight, current.rrf_k))

    cache = CachedPassageEmbedder(sandbox.embedder, sandbox.home / "cache" / "embeddings.sqlite")
    settings: list[TuneSetting] = []
    rr_rows: list[np.ndarray] = []
    hit_rows: list[np.ndarray] = []
    try:
        vectors = _QueryVectors(sandbox, questions, cache)
        with tempfile.TemporaryDirectory(prefix="aulac-tune-") as tmp:
            for chunk_size in chunk_sizes:
                for k1 in k1s:
                    for b in bs:
                        variant = current.model_copy(update={"bm25_k1": k1, "bm25_b": b, "chunk_max_tokens": chunk_size})
                        with _variant_index(sandbox, variant, cache, documents, Path(tmp)) as index:
                            for fusion, weight, rrf_k in searches:
                                search = SearchSettings(depth, max(r.prefetch, depth), fusion, weight, rrf_k)
                                scored = _score(index, vectors, questions, search, k, aggregations)
                                for aggregation, (rr, hits) in scored.items():
                                    update = {"fusion": fusion, "dense_weight": weight, "rrf_k": rrf_k, "doc_aggregation_weight": aggregation}
                                    settings.append(variant.model_copy(update=update))
                                    rr_rows.append(rr)
                                    hit_rows.append(hits)
    finally:
        cache.close()

    mrr, hit = np.vstack(rr_rows), np.vstack(hit_rows)
    current_row = settings.index(current)
    assignment = np.array(_folds(len(questions), folds, seed))
    cv_rr, cv_hit = np.zeros(len(questions)), np.zeros(len(questions))
    fold_results = []
    for fold in range(folds):
        test, train = np.where(assignment == fold)[0], np.where(assignment != fold)[0]
        chosen = _pick(mrr, train, current_row)
        cv_rr[test], cv_hit[test] = mrr[chosen, test], hit[chosen, test]
        fold_results.append(
            FoldResult(
                fold=fold + 1,
                questions=len(test),
                chosen=settings[chosen].label(),
                train_mrr=round(float(mrr[chosen, train].mean()), 4),
                test_mrr=round(float(mrr[chosen, test].mean()), 4),
                test_hit_at_k=round(float(hit[chosen, test].mean()), 4),
            )
        )
    every = np.arange(len(questions))
    best_row = _pick(mrr, every, current_row)

    def score(row: int) -> TuneScore:
        s = settings[row]
        return TuneScore(setting=s, label=s.label(), mrr=round(float(mrr[row].mean()), 4), hit_at_k=round(float(hit[row].mean()), 4))

    ranked = sorted(range(len(settings)), key=lambda row: (-float(mrr[row].mean()), row))
    changed = settings[best_row].patch(r, current)
    return TuneResult(
        sandbox=sandbox.name,
        questions=len(questions),
        folds=folds,
        k=k,
        settings_tried=len(settings),
        current=score(current_row),
        best=score(best_row),
        cv_mrr=round(float(cv_rr.mean()), 4),
        cv_hit_at_k=round(float(cv_hit.mean()), 4),
        fold_results=fold_results,
        patch={"retrieval": changed} if changed else {},
        top=[score(row) for row in ranked[:top]],
        notes=notes,
    )
