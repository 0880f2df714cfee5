"""Asking (JSON and SSE), uploads, audit reads, health and OpenAPI docs through the test client."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from aulac_rag.generation import OpenAICompatGenerator
from tests.generation.fake_llm import FakeLLM, Reply
from tests.server.conftest import FakeCatalog, Keys, make_client

QUESTION = "Mức đóng bảo hiểm y tế hằng tháng là bao nhiêu?"


def parse_sse(text: str) -> list[tuple[str | None, str]]:
    events = []
    for block in text.strip().split("\n\n"):
        event, data = None, []
        for line in block.splitlines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data.append(line[6:])
        events.append((event, "\n".join(data)))
    return events


def test_healthz_and_docs(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    spec = client.get("/openapi.json").json()
    for path in ("/v1/sandboxes", "/v1/sandboxes/{name}/ask", "/v1/sandboxes/{name}/documents", "/v1/chat/completions"):
        assert path in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_ask_json(client: TestClient, keys: Keys, catalog: FakeCatalog) -> None:
    r = client.post("/v1/sandboxes/hc/ask", json={"question": QUESTION, "k": 2}, headers=Keys.auth(keys.hc_user))
    assert r.status_code == 200
    body = r.json()
    assert {"answer", "citations", "guardrails", "mode", "refused", "timings_ms", "backend", "model"} <= set(body)
    assert body["answer"].startswith("Mức đóng") and body["citations"][0]["n"] == 1 and body["mode"] == "extractive"
    row = catalog.audit_log.rows("hc")[0]
    assert row["role"] == "user" and row["key_id"] == keys.store.authenticate(keys.hc_user).key_id


def test_ask_with_history(client: TestClient, keys: Keys) -> None:
    body = {"question": "Còn trẻ em thì sao?", "history": [{"question": QUESTION, "answer": "4,5% [1]."}]}
    r = client.post("/v1/sandboxes/hc/ask", json=body, headers=Keys.auth(keys.hc_user))
    assert r.json()["answer"].startswith("Trẻ em dưới 6 tuổi")


def test_ask_sse(client: TestClient, keys: Keys) -> None:
    r = client.post(
        "/v1/sandboxes/hc/ask", json={"question": QUESTION, "stream": True}, headers=Keys.auth(keys.hc_user)
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(r.text)
    assert events[-1][0] == "answer" and all(e == "delta" for e, _ in events[:-1])
    final = json.loads(events[-1][1])
    assert "".join(json.loads(d)["text"] for _, d in events[:-1]) == final["answer"]


def test_ask_sse_with_llm_streams_chunks(catalog: FakeCatalog, keys: Keys, fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(chunks=["Mức đóng ", "là 4,5% ", "[1]", ". Trẻ em ", "được miễn ", "phí [1]", " và [9]."]))
    catalog.generator = OpenAICompatGenerator(base_url=fake_llm.base_url, max_retries=0)
    with make_client(catalog, keys) as c:
        r = c.post("/v1/sandboxes/hc/ask", json={"question": QUESTION, "stream": True}, headers=Keys.auth(keys.hc_user))
    events = parse_sse(r.text)
    deltas = [json.loads(d)["text"] for e, d in events if e == "delta"]
    # released sentence by sentence, each after the output rails
    assert deltas == ["Mức đóng là 4,5% [1]. ", "Trẻ em được miễn phí [1] và."]
    final = json.loads(events[-1][1])
    assert final["mode"] == "llm" and final["answer"] == "Mức đóng là 4,5% [1]. Trẻ em được miễn phí [1] và."
    assert [g["rule"] for g in final["guardrails"]] == ["invalid_citation"]


def test_ask_sse_error_event(catalog: FakeCatalog, keys: Keys, fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(chunks=["Mức ", "đóng ", "là"], cut_after=1))
    catalog.generator = OpenAICompatGenerator(base_url=fake_llm.base_url, max_retries=0)
    with make_client(catalog, keys) as c:
        r = c.post("/v1/sandboxes/hc/ask", json={"question": QUESTION, "stream": True}, headers=Keys.auth(keys.hc_user))
    event, data = parse_sse(r.text)[-1]
    assert event == "error" and json.loads(data)["error"]["type"] == "generation_error"


def test_upload_documents(client: TestClient, keys: Keys, catalog: FakeCatalog) -> None:
    files = [
        ("files", ("Quy chế đào tạo.md", "# Quy chế\nNội dung.".encode(), "text/markdown")),
        ("files", ("../../etc/passwd", b"root", "text/plain")),
        ("files", ("empty.txt", b"", "text/plain")),
        ("files", ("...", b"x", "text/plain")),
    ]
    r = client.post("/v1/sandboxes/hc/documents", files=files, headers=Keys.auth(keys.hc_admin))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["files"] == ["Quy chế đào tạo.md", "passwd", "empty.txt"]
    assert set(catalog.ingested[0]) == {"Quy chế đào tạo.md", "passwd", "empty.txt"}
    assert {"source": "empty.txt", "error": "empty file"} in body["errors"]
    assert {"source": "...", "error": "file name is empty or invalid"} in body["errors"]
    assert body["documents"] == 2


def test_audit_endpoints(client: TestClient, keys: Keys) -> None:
    for _ in range(2):
        client.post("/v1/sandboxes/hc/ask", json={"question": QUESTION}, headers=Keys.auth(keys.hc_user))
    auth = Keys.auth(keys.hc_regulator)
    rows = client.get("/v1/sandboxes/hc/audit?limit=1", headers=auth).json()["rows"]
    assert len(rows) == 1 and rows[0]["seq"] == 4 and rows[0]["event"] == "answer" and rows[0]["ref_seq"] == 3
    assert client.get("/v1/sandboxes/hc/audit/verify", headers=auth).json()["ok"] is True
    jsonl = client.get("/v1/sandboxes/hc/audit?format=jsonl", headers=auth).text.splitlines()
    assert [json.loads(line)["event"] for line in jsonl] == ["started", "answer"] * 2


def test_caps_apply_before_any_work(client: TestClient, keys: Keys, catalog: FakeCatalog) -> None:
    auth = Keys.auth(keys.hc_user)
    long = "Mức đóng bảo hiểm y tế là bao nhiêu? " * 300  # about 11k characters
    for path, body in [
        ("/v1/sandboxes/hc/ask", {"question": long}),
        ("/v1/chat/completions", {"model": "hc", "messages": [{"role": "user", "content": long}]}),
        ("/v1/sandboxes/hc/ask", {"question": QUESTION, "history": [{"question": "q", "answer": "a"}] * 60}),
        ("/v1/sandboxes/hc/ask", {"question": "   "}),
    ]:
        r = client.post(path, json=body, headers=auth)
        assert r.status_code in (413, 422), (path, r.text)  # the schema's own caps answer 422
        assert r.json()["error"]["type"] in ("request_too_large", "invalid_request")
    # nothing was retrieved or generated; the refused requests that reached the pipeline are on record as errors
    rows = catalog.audit_log.rows("hc")
    assert rows and all(r["event"] == "error" and r["retrieved"] == [] for r in rows)
    assert all(len(r["question"]) < 4100 for r in rows)


@pytest.mark.parametrize("filters", [{"topic": {"$ne": "x"}}, {"year": 2.5}, {"topic": []}, {"topic": [{"a": 1}]}])
def test_malformed_filters_are_422_naming_the_field(client: TestClient, keys: Keys, filters: dict) -> None:
    r = client.post("/v1/sandboxes/hc/ask", json={"question": QUESTION, "filters": filters}, headers=Keys.auth(keys.hc_user))
    assert r.status_code == 422, r.text
    assert "filters" in r.json()["error"]["message"]


def test_filters_are_checked_in_the_core_too() -> None:
    from aulac_rag.errors import RequestError
    from aulac_rag.index.base import check_filters

    check_filters({"topic": "bhyt", "year": [2024, 2025], "public": True})
    for bad in ({"topic": {"a": 1}}, {"year": 2.5}, {"bad name": "x"}, {"topic": []}):
        with pytest.raises(RequestError, match="filters"):
            check_filters(bad)
