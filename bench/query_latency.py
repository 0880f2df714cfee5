"""Query latency of an existing sandbox index: p50/p95 with the query embedding included.

Usage: python bench/query_latency.py SANDBOX [--home DIR] [--queries 200]
(e.g. the 100k-chunk index that bench/retrieval_speed.py leaves in bench/out/speed-home)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aulac_rag.sandbox import Sandbox  # noqa: E402
from bench.common import SHARED_DATA, machine, percentile, read_jsonl  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sandbox")
    parser.add_argument("--home", default=None)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    half = args.queries // 2
    questions = [q["question"] for q in read_jsonl(SHARED_DATA / "retrieval" / "vimedaqa" / "queries.jsonl")][:half]
    questions += [q["question"] for q in read_jsonl(SHARED_DATA / "retrieval" / "alqac2023" / "queries.jsonl")][: args.queries - half]
    box = Sandbox(args.sandbox, args.home)
    box.retrieve(questions[0])  # load the index and the model
    timings = [box.retrieve(q, k=10).timings_ms for q in questions]
    print(f"{machine()}; sandbox {args.sandbox}: {box.index.count()} chunks, {len(questions)} queries, k=10")
    for stage in ("total", "embed", "search"):
        values = [t[stage] for t in timings]
        print(f"  {stage:<6} p50 {percentile(values, 50):6.1f} ms  p95 {percentile(values, 95):6.1f} ms")


if __name__ == "__main__":
    main()
