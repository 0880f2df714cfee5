"""Whole-corpus check of candidate defaults: chunk size and BM25 ``k1``/``b``.

Usage: python bench/retrieval_defaults.py [--sets vimedaqa,virhe4qa,alqac2023,xquad_vi | --bundled]
       [--chunks 220,160,128] [--bm25 1.2/0.75,0.9/0.4] [--overlap N] [--limit-queries N]

Each (set, chunk size, k1/b) is its own sandbox under bench/out/home (embeddings cached by content,
so a BM25 variant costs only the sparse side and a chunk size only its new chunks). The whole corpus
file is the search space; MRR@10 over distinct documents ×100, hybrid linear (dense 0.4) and BM25 alone.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aulac_rag.embeddings.cache import CachedPassageEmbedder  # noqa: E402
from aulac_rag.sandbox import Sandbox, bundled_dir  # noqa: E402
from aulac_rag.text.normalize import normalize_text  # noqa: E402
from bench.common import OUT, SHARED_DATA, machine, read_jsonl  # noqa: E402
from bench.retrieval_options import _Precomputed  # noqa: E402
from bench.retrieval_quality import evaluate, ingest_set  # noqa: E402


def build(name: str, home: Path, chunk_tokens: int, k1: float, b: float, overlap: int = 0) -> Sandbox:
    box_name = f"defaults-{name}-c{chunk_tokens}-k{k1}-b{b}".replace("_", "-").replace(".", "") + (f"-o{overlap}" if overlap else "")
    chunking = {"max_tokens": chunk_tokens, "overlap_sentences": overlap}
    return ingest_set(box_name, name, home, {"prefetch": 100, "bm25_k1": k1, "bm25_b": b, "chunking": chunking})


def build_bundled(name: str, home: Path, chunk_tokens: int, k1: float, b: float) -> tuple[Sandbox, list[dict]]:
    """A copy of a bundled sandbox with these settings (its own prefetch), its demo corpus ingested; its evaluation questions."""
    box_name = f"defaults-{name}-c{chunk_tokens}-k{k1}-b{b}".replace(".", "")
    folder = home / "sandboxes" / box_name
    if not folder.exists():
        shutil.copytree(bundled_dir() / name, folder)
    config = yaml.safe_load((folder / "sandbox.yaml").read_text(encoding="utf-8"))
    config["name"] = box_name
    retrieval = config.setdefault("retrieval", {})
    retrieval.update({"bm25_k1": k1, "bm25_b": b, "chunking": {**retrieval.get("chunking", {}), "max_tokens": chunk_tokens}})
    (folder / "sandbox.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    box = Sandbox(box_name, home)
    box.ingest_demo(progress=False)
    rows = read_jsonl(bundled_dir() / name / "eval.jsonl")
    return box, [{"question": r["question"], "gold_ids": r["reference_doc_ids"]} for r in rows if r.get("reference_doc_ids")]


def precompute_queries(box: Sandbox, queries: list[dict], home: Path) -> None:
    """Question vectors from the embedding cache (computed once for all the set's sandboxes)."""
    cache = CachedPassageEmbedder(box.embedder, home / "cache" / "embeddings.sqlite")
    try:
        texts = [normalize_text(q["question"]) for q in queries]
        vectors = cache.embed_queries(texts)
    finally:
        cache.close()
    box.__dict__["embedder"] = _Precomputed(box.embedder, dict(zip(texts, vectors, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sets", default="vimedaqa,virhe4qa,alqac2023,xquad_vi")
    parser.add_argument("--chunks", default="220,160,128")
    parser.add_argument("--bm25", default="1.2/0.75,0.9/0.4")
    parser.add_argument("--limit-queries", type=int, default=0)
    parser.add_argument("--overlap", type=int, default=0, help="chunking.overlap_sentences (shared sets only)")
    parser.add_argument("--bundled", action="store_true", help="the bundled sandboxes (their demo corpora and evaluation sets) instead")
    args = parser.parse_args()
    home = OUT / "home"
    print(f"# Retrieval defaults — {time.strftime('%Y-%m-%d')} — {machine()}\n")
    rows: list[dict[str, object]] = []
    for name in ("healthcare", "education", "finance") if args.bundled else args.sets.split(","):
        queries = [] if args.bundled else read_jsonl(SHARED_DATA / "retrieval" / name / "queries.jsonl")
        for size in map(int, args.chunks.split(",")):
            for pair in args.bm25.split(","):
                k1, b = map(float, pair.split("/"))
                if args.bundled:
                    box, queries = build_bundled(name, home, size, k1, b)
                else:
                    box = build(name, home, size, k1, b, args.overlap)
                if args.limit_queries:
                    queries = queries[: args.limit_queries]
                precompute_queries(box, queries, home)
                hybrid = evaluate(box, queries, {"fusion": "linear", "dense_weight": 0.4})[0]["MRR@10"]
                weights = {w: evaluate(box, queries, {"fusion": "linear", "dense_weight": w})[0]["MRR@10"] for w in (0.3, 0.5)}
                sparse = evaluate(box, queries, {"fusion": "sparse"})[0]["MRR@10"]
                dense = evaluate(box, queries, {"fusion": "dense"})[0]["MRR@10"] if pair == args.bm25.split(",")[0] else float("nan")
                row = {"set": name, "chunk": size, "k1": k1, "b": b, "hybrid": hybrid, "hybrid 0.3": weights[0.3],
                       "hybrid 0.5": weights[0.5], "bm25": sparse, "dense": dense}
                rows.append(row)
                print(f"{name:10s} chunk {size:4d} k1 {k1} b {b}: hybrid {hybrid:.1f} (dense 0.3: {weights[0.3]:.1f}, 0.5: "
                      f"{weights[0.5]:.1f})  BM25 {sparse:.1f}  dense {dense:.1f}", flush=True)
                box.close()
    print("\n| set | chunk ≤ tokens | k1 / b | hybrid linear 0.4 | dense 0.3 | dense 0.5 | BM25 alone | dense alone |\n"
          "|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['set']} | {r['chunk']} | {r['k1']} / {r['b']} | {r['hybrid']:.1f} | {r['hybrid 0.3']:.1f} | {r['hybrid 0.5']:.1f} "
              f"| {r['bm25']:.1f} | {r['dense']:.1f} |")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "retrieval_defaults.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
