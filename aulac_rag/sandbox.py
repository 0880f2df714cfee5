"""A sandbox: its configuration folder, its isolated index, and the retrieval API.

Bundled sandboxes live in the project's ``sandboxes/`` folder; ``create_sandbox``
copies one into ``AULAC_HOME/sandboxes/<name>``. Each sandbox has its own Qdrant
collection (``aulac_<name>``) and manifest under AULAC_HOME.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from collections.abc import Callable
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

from aulac_rag.config import SandboxConfig, load_sandbox_config
from aulac_rag.documents import Document, SourceError
from aulac_rag.embeddings import Embedder, create_embedder
from aulac_rag.embeddings.cache import CachedPassageEmbedder
from aulac_rag.errors import ConfigError, SandboxNotFound
from aulac_rag.home import resolve_home
from aulac_rag.index.base import Filters, SearchSettings, VectorIndex, open_index
from aulac_rag.ingest.diskspace import ensure_free_space
from aulac_rag.ingest.manifest import DocumentRecord, IngestManifest
from aulac_rag.ingest.pipeline import (
    Ingestor,
    IngestSummary,
    check_vector_size,
    delete_document,
    indexed_bm25,
    indexed_chunk_tokens,
)
from aulac_rag.retrieval.aggregate import aggregate_by_document
from aulac_rag.retrieval.rerank import Reranker, create_reranker, rerank_hits
from aulac_rag.retrieval.types import Hit, RetrievalResult
from aulac_rag.sparse.bm25 import BM25SparseEncoder
from aulac_rag.text.normalize import normalize_text

if TYPE_CHECKING:
    from aulac_rag.guardrails.documents import DocumentFinding

log = logging.getLogger(__name__)

BUNDLED = ("healthcare", "education", "finance")
TEMPLATES = (*BUNDLED, "general")


def bundled_dir() -> Path:
    """Folder of the bundled sandboxes, package data of ``aulac_rag.sandboxes`` (``AULAC_SANDBOXES_DIR`` overrides)."""
    override = os.environ.get("AULAC_SANDBOXES_DIR")
    if override:
        return Path(override)
    root = resources.files("aulac_rag.sandboxes")
    if not isinstance(root, Path):  # a zipped install: sandboxes must be real folders (the index writes beside them)
        raise ConfigError(f"the bundled sandboxes are not installed as files ({root}); install aulac-rag unzipped")
    return root


_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}", re.IGNORECASE)


def check_name(name: str) -> str:
    """A sandbox name is a plain folder name: letters, digits, '-' and '_' (checked before touching the disk)."""
    if not _NAME.fullmatch(name or ""):
        raise ConfigError(f"invalid sandbox name {name!r}: use letters, digits, '-' or '_' (at most 63 characters)")
    return name


def sandbox_folder(name: str, home: Path) -> Path:
    check_name(name)
    user = home / "sandboxes" / name
    if (user / "sandbox.yaml").exists():
        return user
    if name in BUNDLED and (bundled_dir() / name / "sandbox.yaml").exists():
        return bundled_dir() / name
    raise SandboxNotFound(f"no sandbox named {name!r}; see 'aulac sandbox list' or create one with 'aulac sandbox create {name} --from general'")


class Sandbox:
    """One sandbox. Cheap to construct; models and the index load on first use."""

    def __init__(self, name: str, home: str | Path | None = None) -> None:
        self.home = resolve_home(home)
        self.name = name
        self.folder = sandbox_folder(name, self.home)
        self.config: SandboxConfig = load_sandbox_config(self.folder / "sandbox.yaml")
        if self.config.name != name:
            raise ConfigError(f"{self.folder / 'sandbox.yaml'}: name: {self.config.name!r} does not match folder {name!r}")
        self.state_dir = self.home / "state" / name

    # --- parts ---------------------------------------------------------------
    @cached_property
    def embedder(self) -> Embedder:
        return create_embedder(self.config.retrieval.embedder)

    @cached_property
    def reranker(self) -> Reranker | None:
        config = self.config.retrieval.reranker
        return create_reranker(config) if config is not None else None

    @cached_property
    def index(self) -> VectorIndex:
        return open_index(f"aulac_{self.name}", self.config.index, self.home)

    @cached_property
    def manifest(self) -> IngestManifest:
        return IngestManifest(self.state_dir / "manifest.sqlite")

    @cached_property
    def sparse(self) -> BM25SparseEncoder:
        r = self.config.retrieval
        k1, b = indexed_bm25(self.manifest, r)
        if (k1, b) != (r.bm25_k1, r.bm25_b):
            log.warning(
                "sandbox %s: its index was weighted with BM25 k1 %g, b %g, not sandbox.yaml's %g, %g; the index's are kept "
                "until it is rebuilt (delete index/aulac_%s and state/%s under AULAC_HOME and ingest again)",
                self.name, k1, b, r.bm25_k1, r.bm25_b, self.name, self.name,
            )
        encoder = BM25SparseEncoder(r.sparse_tokenizer, k1, b)
        stored = self.manifest.get_meta("bm25_avg_len")
        if stored:
            encoder.avg_len = float(stored)
        return encoder

    def file_path(self, relative: str) -> Path:
        """A file of the sandbox's folder (prompt, policy, eval set)."""
        return self.folder / relative

    # --- ingestion -------------------------------------------------------------
    def ingest_documents(
        self, documents: list[Document], errors: list[SourceError] | None = None, prune: bool = False, progress: bool | None = None
    ) -> IngestSummary:
        ensure_free_space(self.home)
        cache = CachedPassageEmbedder(self.embedder, self.home / "cache" / "embeddings.sqlite")
        try:
            ingestor = Ingestor(
                self._indexed_config(), self.index, self.manifest, cache, self.sparse, scan=self._document_scanner(),
                workers=self.config.ingest.workers,
            )
            return ingestor.run(documents, errors or [], prune=prune, progress=progress)
        finally:
            cache.close()

    def _indexed_config(self) -> SandboxConfig:
        """The config documents are chunked with: sandbox.yaml's, except a chunk size the index was built with."""
        size = indexed_chunk_tokens(self.manifest)
        configured = self.config.retrieval.chunking.max_tokens
        if size is None or size == configured:
            return self.config
        log.warning(
            "sandbox %s: its index was built with chunks of %d, not sandbox.yaml's %d; the index's are kept until it is "
            "rebuilt (delete index/aulac_%s and state/%s under AULAC_HOME and ingest again)",
            self.name, size, configured, self.name, self.name,
        )
        config = self.config.model_copy(deep=True)
        config.retrieval.chunking.max_tokens = size
        return config

    def _document_scanner(self) -> Callable[[Document], list[DocumentFinding]]:
        """Scans each document for instructions aimed at the assistant, per the policy's ``documents``."""
        from aulac_rag.guardrails import load_guard
        from aulac_rag.guardrails.documents import scan_document

        engine = load_guard(self, embedder=None)  # the injection rules; no model needed

        def scan(document: Document) -> list[DocumentFinding]:
            return scan_document(engine, document.doc_id, document.text, document.source, engine.documents.injection)

        return scan

    def ingest(self, targets: list[str], prune: bool = False, progress: bool | None = None) -> IngestSummary:
        """Ingest files, folders, URLs or SQL targets (see ``aulac_rag.connectors``)."""
        from aulac_rag.connectors import load_sources
        from aulac_rag.limits import DEFAULT_SOURCE_LIMITS

        started = time.perf_counter()
        limits = DEFAULT_SOURCE_LIMITS.model_copy(
            update={
                "max_file_bytes": int(self.config.max_file_mb * 1024 * 1024),
                "url_allow_hosts": tuple(self.config.url_allow_hosts),
            }
        )
        documents, errors = load_sources(targets, limits=limits)
        summary = self.ingest_documents(documents, errors, prune=prune, progress=progress)
        summary.seconds = time.perf_counter() - started
        return summary

    def ingest_demo(self, prune: bool = True, progress: bool | None = None) -> IngestSummary:
        """Ingest the sandbox's own demo corpus (``corpus_dir`` in its folder)."""
        corpus = self.folder / self.config.corpus_dir
        if not corpus.is_dir():
            raise ConfigError(f"sandbox {self.name!r} has no demo corpus at {corpus}")
        return self.ingest([str(corpus)], prune=prune, progress=progress)

    def delete_document(self, doc_id: str) -> bool:
        """Delete one document (crash-safe: a deletion cut short is finished by the next recovery)."""
        if self.manifest.get(doc_id) is None:
            return False
        delete_document(self.index, self.manifest, doc_id)
        self.index.flush()
        return True

    def documents(self) -> list[DocumentRecord]:
        return [r for r in self.manifest.all() if r.doc_hash is not None]

    def stats(self) -> dict[str, int]:
        docs, chunks = self.manifest.totals()
        return {"documents": docs, "chunks": chunks}

    # --- retrieval -------------------------------------------------------------
    def retrieve(self, query: str, k: int | None = None, filters: Filters | None = None) -> RetrievalResult:
        """The ``k`` best chunks for ``query``, best first, with per-stage timings."""
        return self.retrieve_batch([query], k=k, filters=filters)[0]

    def retrieve_batch(self, queries: list[str], k: int | None = None, filters: Filters | None = None) -> list[RetrievalResult]:
        r = self.config.retrieval
        limit = k or r.k
        reranker = self.reranker
        depth = max(limit, r.rerank_top_n) if reranker is not None else limit  # the reranker sees the top N
        if r.doc_aggregation_weight > 0:  # aggregation sees every fused candidate
            depth = max(depth, r.prefetch)
        settings = SearchSettings(
            limit=depth, prefetch=max(r.prefetch, depth), fusion=r.fusion, dense_weight=r.dense_weight, rrf_k=r.rrf_k
        )
        if not self.index.exists():  # (an exact count would cost ~7 ms a query at 100k points)
            return [RetrievalResult(query=q, hits=[], timings_ms={}) for q in queries]
        results = []
        for query in queries:
            t0 = time.perf_counter()
            normalized = normalize_text(query)
            if r.fusion != "sparse":
                dense = self.embedder.embed_query(normalized)
                self._check_vector_size(len(dense))
            else:
                dense = np.zeros(self._index_dim() or self.embedder.dim)
            t1 = time.perf_counter()
            sparse_name, sparse = self.sparse.query(normalized)
            t2 = time.perf_counter()
            points = self.index.search(dense.tolist(), sparse_name, sparse, settings, filters)
            t3 = time.perf_counter()
            hits = [_hit(p.payload, p.score) for p in points]
            if r.doc_aggregation_weight > 0:
                hits = aggregate_by_document(hits, r.doc_aggregation_weight)
                if reranker is None:
                    hits = hits[:limit]
            timings = {"embed": (t1 - t0) * 1000, "sparse": (t2 - t1) * 1000, "search": (t3 - t2) * 1000}
            if reranker is not None:
                hits = rerank_hits(reranker, normalized, hits, r.rerank_top_n)[:limit]
                timings["rerank"] = (time.perf_counter() - t3) * 1000
            timings["total"] = (time.perf_counter() - t0) * 1000
            results.append(RetrievalResult(query=query, hits=hits, timings_ms={k: round(v, 2) for k, v in timings.items()}))
        return results

    def _index_dim(self) -> int | None:
        """The vector size the index was created with (None for indexes made before it was recorded)."""
        stored = self.manifest.get_meta("embedder_dim")
        return int(stored) if stored else None

    def _check_vector_size(self, size: int) -> None:
        if self.__dict__.get("_checked_size") != size:
            check_vector_size(self.manifest, size, self.config.retrieval.embedder.name)
            self.__dict__["_checked_size"] = size

    def close(self) -> None:
        if "reranker" in self.__dict__ and self.reranker is not None:
            self.reranker.close()
        if "embedder" in self.__dict__:  # HTTP embedders hold connections (reopened if used again)
            close = getattr(self.embedder, "close", None)
            if callable(close):
                close()
        if "index" in self.__dict__:
            self.index.close()
        if "manifest" in self.__dict__:
            self.manifest.close()


def _hit(payload: dict[str, Any], score: float) -> Hit:
    return Hit(
        doc_id=str(payload.get("doc_id", "")),
        chunk_id=str(payload.get("chunk_id", "")),
        score=float(score),
        title=str(payload.get("title", "")),
        text=str(payload.get("text", "")),
        source=str(payload.get("source", "")),
        position=int(payload.get("position", 0)),
        metadata=dict(payload.get("metadata") or {}),
    )


def sandbox_names(home: str | Path | None = None) -> list[str]:
    """Bundled then user sandboxes of ``home`` (nothing is opened)."""
    root = resolve_home(home)
    names = [n for n in BUNDLED if (bundled_dir() / n / "sandbox.yaml").exists()]
    user_root = root / "sandboxes"
    if user_root.is_dir():
        names += sorted(p.name for p in user_root.iterdir() if (p / "sandbox.yaml").exists() and p.name not in names)
    return names


def list_sandboxes(home: str | Path | None = None) -> list[dict[str, Any]]:
    """Bundled and user sandboxes with document and chunk counts (``sandbox list`` shape)."""
    root = resolve_home(home)
    out = []
    for name in sandbox_names(root):
        sandbox = Sandbox(name, root)
        try:
            stats = sandbox.stats()
        finally:
            sandbox.close()
        c = sandbox.config
        out.append({"name": name, "domain": c.domain, "description": c.description, **stats})
    return out


def create_sandbox(name: str, template: str, description: str | None = None, home: str | Path | None = None) -> Path:
    """Copy a bundled template's policy, prompt and settings into a new, empty sandbox."""
    root = resolve_home(home)
    check_name(name)
    if template not in TEMPLATES:
        raise ConfigError(f"--from: unknown template {template!r}; choose one of {', '.join(TEMPLATES)}")
    if name in TEMPLATES:
        raise ConfigError(f"name: {name!r} is a bundled sandbox; pick another name")
    target = root / "sandboxes" / name
    if target.exists():
        raise ConfigError(f"sandbox {name!r} already exists at {target}")
    source = bundled_dir() / template
    raw = yaml.safe_load((source / "sandbox.yaml").read_text(encoding="utf-8"))
    raw["name"] = name
    if description:
        raw["description"] = description
    target.mkdir(parents=True)
    config = SandboxConfig.model_validate(raw)
    for relative in (config.generation.prompt_file, config.guardrails.policy_file, "guard_model.npz"):
        if (source / relative).is_file():
            shutil.copy2(source / relative, target / relative)
    if (source / "guard_examples").is_dir():  # the guard classifier's examples (its shipped model matches them)
        shutil.copytree(source / "guard_examples", target / "guard_examples")
    (target / "sandbox.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target
