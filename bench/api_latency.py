"""API latency under load: N concurrent clients asking over HTTP, extractive mode, real uvicorn.

    python bench/api_latency.py                      # 50 clients x 10 questions, healthcare demo corpus
    python bench/api_latency.py --retriever stub     # API + pipeline + audit only (no embedding, no index)
    python bench/api_latency.py --workers 2

The server runs in a subprocess (``aulac serve``-equivalent uvicorn) on 127.0.0.1 with a
fresh AULAC_HOME, an API key (auth is measured) and rate limiting off; clients are
asyncio + httpx in this process. Prints p50/p95/p99, errors, throughput, the median
time of each pipeline stage (from ``timings_ms``) and the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine  # noqa: E402

QUESTIONS = [
    "Mức đóng bảo hiểm y tế hằng tháng là bao nhiêu?",
    "Khi nào được chuyển tuyến điều trị?",
    "Đi cấp cứu có cần giấy chuyển tuyến không?",
    "Thuốc kháng sinh có cần đơn của bác sĩ không?",
    "Người bệnh có quyền được giữ bí mật thông tin không?",
    "Khám trái tuyến được bảo hiểm chi trả bao nhiêu?",
    "Thẻ bảo hiểm y tế có giá trị sử dụng khi nào?",
    "Những trường hợp nào không được hưởng bảo hiểm y tế?",
    "muc huong bao hiem y te khi kham dung tuyen",
    "Hồ sơ bệnh án được lưu trữ bao lâu?",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- server side (subprocess) -------------------------------------------------------------
def stub_app() -> Any:
    """The real app and pipeline over a fixed retriever: measures API + pipeline + audit overhead."""
    from aulac_rag.audit import AuditLog
    from aulac_rag.pipeline import AnswerPipeline
    from aulac_rag.retrieval.types import Hit, RetrievalResult
    from aulac_rag.server import create_app

    hits = [
        Hit("bhyt-muc-dong.md", "bhyt-muc-dong.md#0", 0.9, "Mức đóng bảo hiểm y tế",
            "Mức đóng bảo hiểm y tế hằng tháng bằng 4,5% tiền lương. Người sử dụng lao động đóng hai phần ba."),
        Hit("chuyen-tuyen.md", "chuyen-tuyen.md#0", 0.7, "Chuyển tuyến",
            "Người bệnh được chuyển tuyến khi vượt quá khả năng chuyên môn. Cấp cứu được khám ở bất kỳ cơ sở nào."),
    ]  # fmt: skip

    class StubCatalog:
        def __init__(self) -> None:
            self.audit_log = AuditLog()

        def sandboxes(self) -> list[dict[str, Any]]:
            return [{"name": "healthcare", "domain": "healthcare", "description": "stub", "documents": 2, "chunks": 2}]

        def pipeline(self, name: str) -> AnswerPipeline:
            def retrieve(query: str, k: int | None = None, filters: dict | None = None) -> RetrievalResult:
                return RetrievalResult(query, hits)

            return AnswerPipeline(retrieve, audit=self.audit_log, sandbox=name, config_hash="0" * 64)

        def ingest(self, name: str, folder: Path) -> dict[str, Any]:
            raise NotImplementedError

    return create_app(catalog=StubCatalog())


def serve(port: int, retriever: str, workers: int) -> subprocess.Popen:
    # as `aulac serve` does: one BLAS thread per request (requests are the parallelism)
    env = dict(os.environ, AULAC_API_RATE_PER_MINUTE="0", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    if retriever == "stub":
        argv = [sys.executable, "-m", "uvicorn", "bench.api_latency:stub_app", "--factory"]
    else:
        argv = [sys.executable, "-m", "uvicorn", "aulac_rag.server.app:create_app", "--factory"]
    argv += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    argv += ["--timeout-keep-alive", "30"]  # as `aulac serve` (KEEP_ALIVE_S)
    return subprocess.Popen(argv, env=env, cwd=Path(__file__).resolve().parent.parent)


# --- client side ---------------------------------------------------------------------------
async def run_clients(
    base: str,
    key: str,
    clients: int,
    per_client: int,
    path: str = "/v1/sandboxes/healthcare/ask",
    unique: bool = False,
    refused: list[dict] | None = None,
) -> tuple[list[float], list[str], list[dict]]:
    """``clients`` concurrent clients, each sending ``per_client`` requests one after another.

    ``unique``: each question gets its own suffix, so no answer or query vector is reused from a
    cache. ``refused``: where "server busy" answers (429/503) go, with their Retry-After and time,
    instead of ``errors`` (they are the intended answer to excess load, not failures)."""
    import httpx

    latencies: list[float] = []
    errors: list[str] = []
    timings: list[dict] = []
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60, limits=limits) as http:

        async def client(c: int) -> None:
            for i in range(per_client):
                question = QUESTIONS[(c + i) % len(QUESTIONS)]
                if unique:
                    question = f"{question.rstrip('?')} (người hỏi số {c}, lần {i})?"
                start = time.perf_counter()
                try:
                    if path == "/healthz":
                        r = await http.get(path)
                    else:
                        r = await http.post(path, json={"question": question})
                    elapsed = (time.perf_counter() - start) * 1000
                    if r.status_code in (429, 503) and refused is not None:
                        refused.append({"status": r.status_code, "retry_after": r.headers.get("retry-after"), "ms": elapsed})
                        continue
                    if r.status_code != 200:
                        errors.append(f"HTTP {r.status_code}: {r.text[:120]}")
                        continue
                    latencies.append(elapsed)
                    if path != "/healthz":
                        timings.append(r.json()["timings_ms"])
                except httpx.HTTPError as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")

        await asyncio.gather(*(client(c) for c in range(clients)))
    return latencies, errors, timings


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=10, help="questions per client")
    parser.add_argument("--retriever", choices=["real", "stub"], default="real")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--home", type=Path, default=None, help="AULAC_HOME to reuse (the demo corpus is ingested once)"
    )
    parser.add_argument(
        "--unique", action="store_true", help="a distinct question per request (no query-vector cache hits)"
    )
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    args = parser.parse_args()

    home = args.home or Path(tempfile.mkdtemp(prefix="aulac-bench-"))
    os.environ["AULAC_HOME"] = str(home)
    from aulac_rag.server import KeyStore

    if args.retriever == "real":
        from aulac_rag.sandbox import Sandbox

        box = Sandbox("healthcare")
        try:
            if box.stats()["chunks"] == 0:
                print("ingesting the healthcare demo corpus once ...", file=sys.stderr)
                box.ingest_demo()
        finally:
            box.close()
    key = KeyStore().create("healthcare", "user", "bench")[1]

    port = _free_port()
    server = serve(port, args.retriever, args.workers)
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        # warm-up: loads models and the index in the server
        for q in QUESTIONS[:3]:
            httpx.post(
                base + "/v1/sandboxes/healthcare/ask",
                json={"question": q},
                headers={"Authorization": f"Bearer {key}"},
                timeout=120,
            )
        # the floor: the same load on GET /healthz (framework, HTTP and this machine, no pipeline)
        floor, floor_errors, _ = asyncio.run(run_clients(base, key, args.clients, args.requests, "/healthz"))
        started = time.perf_counter()
        busy: list[dict] = []
        latencies, errors, timings = asyncio.run(
            run_clients(base, key, args.clients, args.requests, unique=args.unique, refused=busy)
        )
        wall = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(10)

    stages = sorted({k for t in timings for k in t})
    result = {
        "machine": machine(),
        "retriever": args.retriever,
        "workers": args.workers,
        "clients": args.clients,
        "requests": args.clients * args.requests,
        "ok": len(latencies),
        "errors": len(errors),
        "server_errors_5xx": sum(1 for e in errors if e.startswith("HTTP 5")),
        "busy_429_503": len(busy),
        "busy_with_retry_after": sum(1 for b in busy if b["retry_after"]),
        "busy_p95_ms": round(pct([b["ms"] for b in busy], 0.95), 1),
        "unique_questions": args.unique,
        "p50_ms": round(pct(latencies, 0.50), 1),
        "p95_ms": round(pct(latencies, 0.95), 1),
        "p99_ms": round(pct(latencies, 0.99), 1),
        "max_ms": round(max(latencies, default=float("nan")), 1),
        "throughput_rps": round(len(latencies) / wall, 1),
        "healthz_p50_ms": round(pct(floor, 0.50), 1),
        "healthz_p95_ms": round(pct(floor, 0.95), 1),
        "healthz_errors": len(floor_errors),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "server_stage_median_ms": {s: round(statistics.median(t[s] for t in timings if s in t), 2) for s in stages},
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    print(f"machine: {result['machine']} · load average {result['load_average']}")
    print(
        f"{args.clients} clients x {args.requests} questions, retriever={args.retriever}, workers={args.workers}, extractive"
    )
    print(
        f"p50 {result['p50_ms']} ms · p95 {result['p95_ms']} ms · p99 {result['p99_ms']} ms · max {result['max_ms']} ms"
    )
    print(f"errors {len(errors)} / {result['requests']} (5xx: {result['server_errors_5xx']}) · served "
          f"{result['ok']} · throughput {result['throughput_rps']} req/s")
    print(f"busy (429/503): {len(busy)}, with Retry-After {result['busy_with_retry_after']}, "
          f"answered in p95 {result['busy_p95_ms']} ms")
    print(f"floor, same load on GET /healthz: p50 {result['healthz_p50_ms']} ms · p95 {result['healthz_p95_ms']} ms")
    print(
        "server-side stage medians (ms): " + ", ".join(f"{k} {v}" for k, v in result["server_stage_median_ms"].items())
    )
    for error in errors[:5]:
        print("  error:", error)


if __name__ == "__main__":
    main()
