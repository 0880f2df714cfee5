"""Learned fusion: does a small model over (dense, BM25, lexical-coverage) features beat linear fusion?

Usage: python bench/learned_fusion.py [--sets vimedaqa,virhe4qa,alqac2023,xquad_vi] [--bundled] [--features-only]

For each question, the candidates are the union of the dense and the BM25 top ``--depth`` chunks of the
set's benchmark sandbox (bench/retrieval_quality.py's, under bench/out/home; query vectors cached). Each
candidate gets the features of :mod:`aulac_rag.retrieval.learned` and a label (its document is gold).
Models are trained **leave one set out**: the set being scored is never seen in training, so the number
says how the model carries to a collection it was not fitted on (the hidden sets are such collections).
MRR@10 over distinct documents, ×100, beside the default linear fusion (dense 0.4) on the same candidates.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aulac_rag.embeddings.cache import CachedPassageEmbedder  # noqa: E402
from aulac_rag.index.base import DENSE, linear_fusion  # noqa: E402
from aulac_rag.sandbox import Sandbox  # noqa: E402
from aulac_rag.text.normalize import normalize_text  # noqa: E402
from bench.common import OUT, SHARED_DATA, machine, read_jsonl  # noqa: E402
from bench.learned import FEATURES, candidate_features, fit_ranker  # noqa: E402
from bench.retrieval_options import open_box  # noqa: E402

FEATURE_DIR = OUT / "learned_features"


def _bundled(name: str, home: Path) -> tuple[Sandbox, list[dict]]:
    box = Sandbox(name, home)
    if not box.index.exists():
        box.ingest_demo(progress=False)
    rows = read_jsonl(box.folder / "eval.jsonl") if (box.folder / "eval.jsonl").exists() else []
    queries = [{"question": r["question"], "gold_ids": r.get("reference_doc_ids") or []} for r in rows]
    return box, [q for q in queries if q["gold_ids"]]


def extract(name: str, box: Sandbox, queries: list[dict], depth: int, pool: int, home: Path) -> dict[str, np.ndarray]:
    """Features, labels, query ids and doc ids of the ``pool`` best candidates by linear fusion, cached under bench/out."""
    path = FEATURE_DIR / f"{name}-{depth}-{pool}.npz"
    if path.exists():
        data = np.load(path, allow_pickle=True)
        return {k: data[k] for k in data.files}
    cache = CachedPassageEmbedder(box.embedder, home / "cache" / "embeddings.sqlite")
    try:
        vectors = cache.embed_queries([normalize_text(q["question"]) for q in queries])
    finally:
        cache.close()
    feats, labels, qids, docs = [], [], [], []
    started = time.perf_counter()
    for qi, (query, vector) in enumerate(zip(queries, vectors, strict=True)):
        normalized = normalize_text(query["question"])
        sparse_name, sparse = box.sparse.query(normalized)
        dense_hits = box.index._nearest(DENSE, np.asarray(vector).tolist(), depth, None)
        sparse_hits = box.index._nearest(sparse_name, sparse, depth, None) if sparse.indices else []
        ids = [i for i, _ in linear_fusion(dense_hits, sparse_hits, 0.4)[:pool]]
        payloads = box.index._payloads(ids)
        ids = [i for i in ids if i in payloads]
        matrix = candidate_features(
            normalized, dense_hits, sparse_hits,
            [(str(payloads[i].get("title", "")), str(payloads[i].get("text", "")), str(payloads[i].get("doc_id", ""))) for i in ids],
            ids,
        )
        gold = {str(g) for g in query["gold_ids"]}
        for i, row in zip(ids, matrix, strict=True):
            doc = str(payloads[i].get("doc_id", ""))
            feats.append(row)
            labels.append(doc in gold)
            qids.append(qi)
            docs.append(doc)
    print(f"  {name}: {len(queries)} queries, {len(feats)} candidates, {time.perf_counter() - started:.0f}s", flush=True)
    out = {"X": np.asarray(feats, dtype=np.float64), "y": np.asarray(labels), "q": np.asarray(qids), "doc": np.asarray(docs)}
    FEATURE_DIR.mkdir(parents=True, exist_ok=True)
    np.savez(path, **out)
    return out


def mrr(scores: np.ndarray, data: dict[str, np.ndarray], n_queries: int) -> float:
    """MRR@10 over distinct documents; a query whose gold is not among the candidates scores 0."""
    total = 0.0
    order = np.lexsort((-scores, data["q"]))
    start = 0
    q_sorted = data["q"][order]
    bounds = np.flatnonzero(np.diff(q_sorted)) + 1
    for block in np.split(order, bounds):
        seen: list[str] = []
        for idx in block:
            doc = str(data["doc"][idx])
            if doc in seen:
                continue
            seen.append(doc)
            if data["y"][idx]:
                total += 1.0 / len(seen)
                break
            if len(seen) >= 10:
                break
        start += 1
    return 100 * total / n_queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sets", default="vimedaqa,virhe4qa,alqac2023,xquad_vi")
    parser.add_argument("--bundled", action="store_true", help="also the bundled sandboxes' evaluation sets")
    parser.add_argument("--depth", type=int, default=100)
    parser.add_argument("--pool", type=int, default=30, help="candidates: the best N by linear fusion (dense 0.4)")
    parser.add_argument("--features-only", action="store_true")
    args = parser.parse_args()
    home = OUT / "home"
    print(f"# Learned fusion — {time.strftime('%Y-%m-%d')} — {machine()}\n")
    sets: dict[str, tuple[dict[str, np.ndarray], int]] = {}
    for name in args.sets.split(","):
        box = open_box(name, home, build_missing=True)
        queries = read_jsonl(SHARED_DATA / "retrieval" / name / "queries.jsonl")
        sets[name] = (extract(name, box, queries, args.depth, args.pool, home), len(queries))
        box.close()
    if args.bundled:
        for name in ("healthcare", "education", "finance"):
            box, queries = _bundled(name, home)
            sets[name] = (extract(name, box, queries, args.depth, args.pool, home), len(queries))
            box.close()
    if args.features_only:
        return
    d, s = FEATURES.index("dense_mm"), FEATURES.index("sparse_mm")
    results = {}
    for held, (data, n) in sets.items():
        train = [v for k, (v, _) in sets.items() if k != held]
        X = np.vstack([t["X"] for t in train])
        y = np.concatenate([t["y"] for t in train])
        q = np.concatenate([t["q"] + 100000 * j for j, t in enumerate(train)])
        model = fit_ranker(X, y, q)
        base = mrr(0.4 * data["X"][:, d] + 0.6 * data["X"][:, s], data, n)
        learned = mrr(model.score(data["X"]), data, n)
        within = np.zeros(len(data["y"]))
        folds = data["q"] % 5
        for f in range(5):  # the same set, 5-fold by question: how much a model fitted to a collection could gain
            fit = folds != f
            within[~fit] = fit_ranker(data["X"][fit], data["y"][fit], data["q"][fit]).score(data["X"][~fit])
        cv = mrr(within, data, n)
        results[held] = {"linear 0.4": base, "learned (left out)": learned, "learned (5-fold within)": cv}
        print(f"{held:12s} linear 0.4 {base:5.1f}   learned, set left out {learned:5.1f} ({learned - base:+.1f})"
              f"   5-fold within the set {cv:5.1f} ({cv - base:+.1f})", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "learned_fusion.json").write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
