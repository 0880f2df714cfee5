"""FAQ-style records: index the record's question with its answer, or the answer alone?

Usage: python bench/faq_indexing.py [--sets virhe4qa,xquad_vi]

A simulated FAQ answer-retrieval set from the shared sets whose passages have several questions:
per passage, its first question and that question's (short) answer form one FAQ record; the
passage's other questions are the queries, and the record is their gold. No query is the record's
own question. Each variant is its own sandbox under bench/out/home (embeddings cached).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aulac_rag.documents import Document  # noqa: E402
from aulac_rag.sandbox import Sandbox  # noqa: E402
from bench.common import OUT, SHARED_DATA, machine, mean_metrics, ranking_metrics, read_jsonl  # noqa: E402

VARIANTS = {"answer only": False, "question + answer (question as title)": True}


def faq_set(name: str) -> tuple[list[dict], list[dict]]:
    by_gold: dict[str, list[dict]] = defaultdict(list)
    for query in read_jsonl(SHARED_DATA / "retrieval" / name / "queries.jsonl"):
        if query.get("answer") and len(query["gold_ids"]) == 1:
            by_gold[str(query["gold_ids"][0])].append(query)
    records, queries = [], []
    for gold, group in by_gold.items():
        if len(group) < 2:
            continue
        records.append({"id": gold, "question": group[0]["question"], "answer": group[0]["answer"]})
        queries += [{"question": q["question"], "gold": gold} for q in group[1:]]
    return records, queries


def build(name: str, records: list[dict], with_question: bool, home: Path, bm25: tuple[float, float] = (1.2, 0.75)) -> Sandbox:
    suffix = "" if bm25 == (1.2, 0.75) else f"-k{bm25[0]}-b{bm25[1]}".replace(".", "")
    box_name = f"faq-{name}-{'qa' if with_question else 'a'}{suffix}".replace("_", "-")
    folder = home / "sandboxes" / box_name
    folder.mkdir(parents=True, exist_ok=True)
    retrieval = {"prefetch": 100, "bm25_k1": bm25[0], "bm25_b": bm25[1]}
    config = {"name": box_name, "domain": "general", "description": f"FAQ simulation {name}", "retrieval": retrieval}
    (folder / "sandbox.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    box = Sandbox(box_name, home)
    docs = [Document(r["id"], r["answer"], r["question"] if with_question else "", source=name) for r in records]
    box.ingest_documents(docs, progress=False)
    return box


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sets", default="virhe4qa,xquad_vi")
    parser.add_argument("--bm25", default="1.2/0.75", help="k1/b pairs, comma-separated (each its own sandbox)")
    args = parser.parse_args()
    home = OUT / "home"
    print(f"# FAQ indexing — {time.strftime('%Y-%m-%d')} — {machine()}\n")
    print("| set (records / queries) | variant | k1 / b | mode | MRR@10 | R@10 |\n|---|---|---|---|---|---|")
    for name in args.sets.split(","):
        records, queries = faq_set(name)
        for label, with_question, pair in ((lb, wq, p) for lb, wq in VARIANTS.items() for p in args.bm25.split(",")):
            k1, b = map(float, pair.split("/"))
            box = build(name, records, with_question, home, (k1, b))
            modes = ("linear", "sparse", "dense")
            rows: dict[str, list[dict[str, float]]] = {mode: [] for mode in modes}
            for query in queries:  # modes inside: the query's vector is embedded once (the embedder keeps the last few)
                for mode in modes:
                    box.config.retrieval.fusion = mode
                    ranked = list(dict.fromkeys(h.doc_id for h in box.retrieve(query["question"], k=30).hits))
                    rows[mode].append(ranking_metrics(ranked, {query["gold"]}))
            for mode in modes:
                m = mean_metrics(rows[mode])
                print(f"| {name} ({len(records)} / {len(queries)}) | {label} | {k1} / {b} | {mode} | {m['MRR@10']:.1f} | {m['R@10']:.1f} |", flush=True)
            box.close()


if __name__ == "__main__":
    main()
