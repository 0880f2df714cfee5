"""qdrant-edge alone: upsert cost per point as a shard grows, by shard layout.

Usage: python bench/edge_upsert.py [--size 100000] [--variants default,nowal,nowal-nofield,nowal-nosparse,nowal-nodense]

Points are upserted 256 at a time (384-d random dense vector, two sparse vectors of 120 random
terms, a 1 KB payload; flush every 40 batches) into a fresh shard under bench/out/edge-upsert.
A variant names what is left out: ``nowal`` the write-ahead log, ``nofield`` the ``doc_id``
keyword index, ``nosparse`` / ``nodense`` those vectors. Prints µs a point in the first and
last tenth of the run and the total time.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import qdrant_edge as qe

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import OUT, machine  # noqa: E402

BATCH = 256


def run(variant: str, size: int) -> tuple[float, float, float]:
    path = OUT / "edge-upsert" / variant
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    dense_on, sparse_on = "nodense" not in variant, "nosparse" not in variant
    config = qe.EdgeConfig(
        vectors={"dense": qe.EdgeVectorParams(size=384, distance=qe.Distance.Cosine)} if dense_on else {},
        sparse_vectors={n: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf) for n in ("bm25", "bm25_folded")} if sparse_on else {},
        wal_enabled="nowal" not in variant,
    )
    shard = qe.EdgeShard.create(str(path), config)
    if "nofield" not in variant:
        shard.update(qe.UpdateOperation.create_field_index("doc_id", qe.PayloadSchemaType.Keyword))
    rng, terms = np.random.default_rng(0), random.Random(0)
    text = "Người tham gia bảo hiểm y tế " * 30
    started, marks = time.perf_counter(), []
    for start in range(0, size, BATCH):
        points = []
        for i in range(start, min(size, start + BATCH)):
            sparse = qe.SparseVector(sorted(terms.sample(range(1 << 30), 120)), [1.0] * 120)
            vector: dict = {"dense": rng.standard_normal(384).astype(np.float32).tolist()} if dense_on else {}
            if sparse_on:
                vector.update({"bm25": sparse, "bm25_folded": sparse})
            points.append(qe.Point(id=str(uuid.uuid4()), vector=vector, payload={"doc_id": f"d{i // 3}", "doc_hash": "h", "text": text}))
        t0 = time.perf_counter()
        shard.update(qe.UpdateOperation.upsert_points(points))
        marks.append(time.perf_counter() - t0)
        if len(marks) % 40 == 0:
            shard.flush()
    shard.flush()
    shard.close()
    tenth = max(1, len(marks) // 10)
    first = 1e6 * sum(marks[:tenth]) / (BATCH * tenth)
    last = 1e6 * sum(marks[-tenth:]) / (BATCH * tenth)
    return first, last, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--variants", default="default,nowal,nowal-nofield,nowal-nosparse,nowal-nodense")
    args = parser.parse_args()
    print(f"# qdrant-edge upsert — {time.strftime('%Y-%m-%d')} — {machine()} — {args.size:,} points\n")
    print("| variant | µs/point, first 10% | last 10% | total s |\n|---|---|---|---|")
    for variant in args.variants.split(","):
        first, last, total = run(variant, args.size)
        print(f"| {variant} | {first:.0f} | {last:.0f} | {total:.1f} |", flush=True)
    shutil.rmtree(OUT / "edge-upsert", ignore_errors=True)


if __name__ == "__main__":
    main()
