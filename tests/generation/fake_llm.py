"""A scripted OpenAI-compatible server on 127.0.0.1 for tests: real HTTP, real SSE framing.

Each request pops the next :class:`Reply` (the last one repeats). It records every
request body and Authorization header, like ``llm``'s scripted fake model.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:  # clients hanging up on purpose
        pass


@dataclass
class Reply:
    """What the server does for one request."""

    text: str = "Câu trả lời [1]."
    status: int = 200
    delay_s: float = 0.0  # before the response starts
    chunk_delay_s: float = 0.0  # between stream chunks
    chunks: list[str] | None = None  # stream pieces; default: text split every 4 chars
    cut_after: int | None = None  # close the connection after this many stream chunks
    raw: bytes | None = None  # a 200 response with this body as it is (garbage instead of JSON or SSE)


@dataclass
class FakeLLM:
    replies: list[Reply] = field(default_factory=lambda: [Reply()])
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server API
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append(body)
                fake.headers.append({k.lower(): v for k, v in self.headers.items()})
                reply = fake.replies.pop(0) if len(fake.replies) > 1 else fake.replies[0]
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                if self.path != "/v1/chat/completions":
                    return self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
                if reply.raw is not None:
                    self.send_response(200)
                    kind = "text/event-stream" if body.get("stream") else "application/json"
                    self.send_header("content-type", kind)
                    self.send_header("content-length", str(len(reply.raw)))
                    self.end_headers()
                    self.wfile.write(reply.raw)
                    return None
                if reply.status != 200:
                    return self._json(reply.status, {"error": {"message": f"scripted {reply.status}", "type": "err"}})
                if body.get("stream"):
                    return self._stream(body, reply)
                return self._json(
                    200,
                    {
                        "id": "cmpl-test",
                        "object": "chat.completion",
                        "created": 0,
                        "model": body.get("model"),
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": reply.text},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    },
                )

            def _json(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, body: dict[str, Any], reply: Reply) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("connection", "close")
                self.end_headers()
                pieces = (
                    reply.chunks
                    if reply.chunks is not None
                    else [reply.text[i : i + 4] for i in range(0, len(reply.text), 4)]
                )

                def event(delta: dict[str, Any], finish: str | None = None) -> None:
                    chunk = {
                        "id": "cmpl-test",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": body.get("model"),
                        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                    }
                    self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
                    self.wfile.flush()

                event({"role": "assistant", "content": ""})
                for i, piece in enumerate(pieces):
                    if reply.cut_after is not None and i >= reply.cut_after:
                        self.wfile.write(b'data: {"trunc')  # a broken event, then the socket closes
                        self.wfile.flush()
                        self.close_connection = True
                        return
                    if reply.chunk_delay_s:
                        time.sleep(reply.chunk_delay_s)
                    event({"content": piece})
                event({}, "stop")
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def script(self, *replies: Reply) -> None:
        self.replies = list(replies)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
