"""Retrieval options on ../shared/data/retrieval: BM25 pseudo-relevance feedback (bench/prf.py) and
document-level aggregation (``retrieval.doc_aggregation_weight``).

Usage: python bench/retrieval_options.py [--sets vimedaqa,virhe4qa,alqac2023] [--limit-queries N]

Reuses the sandboxes of bench/retrieval_quality.py under bench/out/home (ingested once, embeddings
cached); query vectors are computed once per set (cached too), so every mode costs only the search.
MRR@10 over distinct documents, ×100, each mode beside the default (hybrid linear, dense 0.4).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aulac_rag.config import ChunkingConfig  # noqa: E402
from aulac_rag.documents import Document  # noqa: E402
from aulac_rag.embeddings.cache import CachedPassageEmbedder  # noqa: E402
from aulac_rag.sandbox import Sandbox  # noqa: E402
from aulac_rag.text.normalize import normalize_text  # noqa: E402
from bench.common import OUT, SHARED_DATA, machine, mean_metrics, ranking_metrics, read_jsonl  # noqa: E402
from bench.prf import FeedbackEncoder  # noqa: E402
from bench.retrieval_quality import build  # noqa: E402

BASE = {"fusion": "linear", "dense_weight": 0.4, "prf_terms": 0, "doc_aggregation_weight": 0.0}
MODES: dict[str, dict[str, Any]] = {
    "default (hybrid linear 0.4)": {},
    "+ PRF 10 terms, weight 0.3": {"prf_terms": 10, "prf_weight": 0.3},
    "+ PRF 10 terms, weight 0.5": {"prf_terms": 10, "prf_weight": 0.5},
    "+ PRF 5 terms, weight 0.1": {"prf_terms": 5, "prf_weight": 0.1},
    "+ doc aggregation 0.05": {"doc_aggregation_weight": 0.05},
    "+ doc aggregation 0.1": {"doc_aggregation_weight": 0.1},
    "+ doc aggregation 0.2": {"doc_aggregation_weight": 0.2},
    "+ doc aggregation 0.3": {"doc_aggregation_weight": 0.3},
    "BM25 alone": {"fusion": "sparse"},
    "BM25 alone + PRF 10 terms, weight 0.3": {"fusion": "sparse", "prf_terms": 10, "prf_weight": 0.3},
    "BM25 alone + PRF 10 terms, weight 0.5": {"fusion": "sparse", "prf_terms": 10, "prf_weight": 0.5},
}


class _Precomputed:
    """Wraps the sandbox's embedder so each question's vector is looked up, not recomputed."""

    def __init__(self, embedder: Any, vectors: dict[str, np.ndarray]) -> None:
        self._embedder, self._vectors = embedder, vectors

    def embed_query(self, text: str) -> np.ndarray:
        return self._vectors[text]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._embedder, name)


def open_box(name: str, home: Path, distractors: int = 0, build_missing: bool = True) -> Sandbox:
    """The set's benchmark sandbox; with ``distractors``, a smaller corpus: every gold document plus that many others."""
    if not distractors:
        box_name = f"bench-{name}-syllable-bigram-c{ChunkingConfig().max_tokens}"
        if (home / "state" / box_name / "manifest.sqlite").exists() and not build_missing:
            return Sandbox(box_name, home)
        return build(name, home)
    box_name = f"bench-{name}-sub{distractors}".replace("_", "-")
    folder = home / "sandboxes" / box_name
    folder.mkdir(parents=True, exist_ok=True)
    config = {"name": box_name, "domain": "general", "description": f"benchmark {name} subset", "retrieval": {"prefetch": 100}}
    (folder / "sandbox.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    box = Sandbox(box_name, home)
    gold = {str(g) for q in read_jsonl(SHARED_DATA / "retrieval" / name / "queries.jsonl") for g in q["gold_ids"]}
    corpus = read_jsonl(SHARED_DATA / "retrieval" / name / "corpus.jsonl")
    others = [r for r in corpus if str(r["id"]) not in gold]
    chosen = [r for r in corpus if str(r["id"]) in gold] + random.Random(0).sample(others, min(distractors, len(others)))
    docs = [Document(str(r["id"]), r["text"], r.get("title") or "", source=name) for r in chosen]
    summary = box.ingest_documents(docs, progress=False)
    print(f"  {box_name}: {len(docs)} documents ({summary.documents} new), {box.stats()['chunks']} chunks", flush=True)
    return box


def evaluate(box: Sandbox, queries: list[dict], settings: dict[str, Any]) -> float:
    options = {**BASE, **settings}
    terms, weight = int(options.pop("prf_terms")), float(options.pop("prf_weight", 0.3))
    encoder = box.__dict__.setdefault("_plain_sparse", box.sparse)
    box.__dict__["sparse"] = FeedbackEncoder(encoder, box.index, 3, terms, weight) if terms else encoder
    for key, value in options.items():
        setattr(box.config.retrieval, key, value)
    rows = []
    for query in queries:
        ranked: list[str] = []
        for hit in box.retrieve(query["question"], k=30).hits:
            if hit.doc_id not in ranked:
                ranked.append(hit.doc_id)
        rows.append(ranking_metrics(ranked, set(map(str, query["gold_ids"]))))
    return mean_metrics(rows)["MRR@10"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sets", default="vimedaqa,virhe4qa,alqac2023")
    parser.add_argument("--limit-queries", type=int, default=0)
    parser.add_argument("--indexed-only", action="store_true", help="use the index as it is; score only queries it covers")
    parser.add_argument("--distractors", default="", help="set=N,...: gold documents plus N others instead of the whole corpus")
    args = parser.parse_args()
    home = OUT / "home"
    sets = args.sets.split(",")
    print(f"# Retrieval options — {time.strftime('%Y-%m-%d')} — {machine()}\n")
    results: dict[str, dict[str, float]] = {}
    for name in sets:
        distractors = dict(part.split("=") for part in args.distractors.split(",") if part)
        box = open_box(name, home, int(distractors.get(name, 0)), build_missing=not args.indexed_only)
        queries = read_jsonl(SHARED_DATA / "retrieval" / name / "queries.jsonl")
        if args.limit_queries:
            queries = queries[: args.limit_queries]
        if args.indexed_only:  # a partly ingested corpus: only the queries whose gold documents are all in it
            present = {r.doc_id for r in box.documents()}
            queries = [q for q in queries if {str(g) for g in q["gold_ids"]} <= present]
            print(f"{name}: {len(present)} documents indexed, {len(queries)} queries with all gold documents among them")
        cache = CachedPassageEmbedder(box.embedder, home / "cache" / "embeddings.sqlite")
        try:
            texts = [q["question"] for q in queries]
            vectors = cache.embed_queries([normalize_text(t) for t in texts])
        finally:
            cache.close()
        box.__dict__["embedder"] = _Precomputed(box.embedder, {normalize_text(t): v for t, v in zip(texts, vectors, strict=True)})
        results[name] = {}
        for label, settings in MODES.items():
            started = time.perf_counter()
            results[name][label] = evaluate(box, queries, settings)
            print(f"{name:10s} {label:42s} MRR@10 {results[name][label]:.1f}  ({time.perf_counter() - started:.0f}s)", flush=True)
        box.close()
    print("\n| mode | " + " | ".join(sets) + " |\n|---|" + "---|" * len(sets))
    for label in MODES:
        print(f"| {label} | " + " | ".join(f"{results[s][label]:.1f}" for s in sets) + " |")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "retrieval_options.json").write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
