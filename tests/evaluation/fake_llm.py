"""A tiny OpenAI-compatible server on 127.0.0.1 for the LLM paths (answers and the ragas judge).

It speaks the real ``/v1/chat/completions`` JSON protocol (and SSE when ``stream`` is
true). Replies are scripted: a ragas prompt is recognised by its instruction and
answered with the JSON its output model expects, computed from the prompt's input
so that the metric values can be checked by hand; any other prompt is an answer
request and gets ``answer_text``.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RELEVANT_MARK = "80%"  # a context containing this is "useful" / a statement containing it is "attributed"


def prompt_input(prompt: str) -> dict[str, Any]:
    """The JSON after ragas' final ``input:`` line (before ``Output:``)."""
    tail = prompt.rsplit("\ninput: ", 1)[-1]
    return json.loads(tail.rsplit("\nOutput:", 1)[0])


def judge_reply(prompt: str, question_for_relevancy: str) -> str | None:
    """The JSON reply to one ragas prompt, or None when ``prompt`` is not a ragas prompt."""
    if "analyze the complexity of each sentence" in prompt:  # Faithfulness, step 1
        return json.dumps({"statements": ["Mức hưởng là 80%.", "Người nghỉ hưu được miễn phí hoàn toàn."]})
    if "judge the faithfulness of a series of statements" in prompt:  # Faithfulness, step 2
        data = prompt_input(prompt)
        verdicts = [
            {
                "statement": s,
                "reason": "so với ngữ cảnh",
                "verdict": int(RELEVANT_MARK in s and RELEVANT_MARK in data["context"]),
            }
            for s in data["statements"]
        ]
        return json.dumps({"statements": verdicts}, ensure_ascii=False)
    if "Generate a question for the given answer" in prompt:  # ResponseRelevancy
        return json.dumps({"question": question_for_relevancy, "noncommittal": 0}, ensure_ascii=False)
    if "verify if the context was useful" in prompt:  # LLMContextPrecisionWithReference
        data = prompt_input(prompt)
        return json.dumps({"reason": "kiểm tra", "verdict": int(RELEVANT_MARK in data["context"])})
    if "classify if the sentence can be attributed" in prompt:  # LLMContextRecall
        return json.dumps(
            {
                "classifications": [
                    {"statement": "Mức hưởng là 80%.", "reason": "có trong ngữ cảnh", "attributed": 1},
                    {"statement": "Áp dụng cho mọi người.", "reason": "không có", "attributed": 0},
                ]
            },
            ensure_ascii=False,
        )
    return None


class FakeOpenAIServer:
    """``with FakeOpenAIServer() as server: server.base_url`` → ``http://127.0.0.1:PORT/v1``."""

    def __init__(self, answer_text: str = "Mức hưởng là 80% [1].", question_for_relevancy: str = "") -> None:
        self.answer_text = answer_text
        self.question_for_relevancy = question_for_relevancy
        self.requests: list[dict[str, Any]] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def reply_for(self, body: dict[str, Any]) -> str:
        prompt = str(body["messages"][-1]["content"])
        return judge_reply(prompt, self.question_for_relevancy) or self.answer_text

    def __enter__(self) -> FakeOpenAIServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, payload: bytes, content_type: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                data = {"object": "list", "data": [{"id": "aulac-llm", "object": "model", "owned_by": "test"}]}
                self._send(200, json.dumps(data).encode())

            def do_POST(self) -> None:
                if not self.path.endswith("/chat/completions"):
                    self._send(404, b'{"error": {"message": "not found"}}')
                    return
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                owner.requests.append(body)
                text = owner.reply_for(body)
                base = {"id": "chatcmpl-test", "created": int(time.time()), "model": body.get("model", "aulac-llm")}
                if body.get("stream"):
                    chunks = [text[i : i + 12] for i in range(0, len(text), 12)]
                    events = [
                        {
                            **base,
                            "object": "chat.completion.chunk",
                            "choices": [{"index": 0, "delta": {"content": c}, "finish_reason": None}],
                        }
                        for c in chunks
                    ]
                    events.append(
                        {
                            **base,
                            "object": "chat.completion.chunk",
                            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                        }
                    )
                    payload = (
                        "".join(f"data: {json.dumps(e, ensure_ascii=False)}\n\n" for e in events) + "data: [DONE]\n\n"
                    )
                    self._send(200, payload.encode(), "text/event-stream")
                    return
                data = {
                    **base,
                    "object": "chat.completion",
                    "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                    ],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
                }
                self._send(200, json.dumps(data, ensure_ascii=False).encode())

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
