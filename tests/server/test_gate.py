"""The door: the key is checked before the body is read, unauthenticated callers are rate-limited by
address, open mode serves loopback only, and error bodies carry a request id but no paths or URLs."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import pytest

from aulac_rag.errors import AuditError
from aulac_rag.server import ServerSettings, create_app
from tests.helpers import run_cli
from tests.server.conftest import FakeCatalog, Keys, make_client

ASK = {"question": "Mức đóng bảo hiểm y tế hằng tháng là bao nhiêu?"}


def _call(app: Any, path: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, dict[bytes, bytes], int]:
    """Drive the ASGI app by hand; returns (status, headers, how many times it read the body)."""
    reads = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": b"x" * 65536, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"content-type", b"multipart/form-data; boundary=x"), (b"content-length", b"40000000"), *headers],
        "client": ("203.0.113.9", 4000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], dict(start["headers"]), reads


def test_upload_without_a_valid_key_is_refused_before_the_body_is_read(catalog: FakeCatalog, keys: Keys) -> None:
    app = create_app(ServerSettings(rate_per_minute=0), catalog=catalog, keys=keys.store)
    for headers in ([], [(b"authorization", b"Bearer aulac_nope_" + b"x" * 40)]):
        status, sent_headers, reads = _call(app, "/v1/sandboxes/hc/documents", headers)
        assert (status, reads) == (401, 0) and sent_headers[b"x-request-id"]
    assert catalog.ingested == []


def test_unauthenticated_requests_are_rate_limited_by_address(catalog: FakeCatalog, keys: Keys) -> None:
    with make_client(catalog, keys, anon_rate_per_minute=6, anon_burst=3) as c:
        codes = [c.post("/v1/sandboxes/hc/ask", json=ASK).status_code for _ in range(5)]
        assert codes == [401, 401, 401, 429, 429]
        limited = c.post("/v1/sandboxes/hc/ask", json=ASK, headers=Keys.auth("aulac_guess_" + "y" * 40))
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        # a valid key has its own bucket and is not punished for the address's failures
        assert c.post("/v1/sandboxes/hc/ask", json=ASK, headers=Keys.auth(keys.hc_user)).status_code == 200


def test_open_mode_answers_loopback_only(catalog: FakeCatalog, keys: Keys) -> None:
    app = create_app(ServerSettings(open_mode=True, rate_per_minute=0), catalog=catalog, keys=keys.store)
    status, _, reads = _call(app, "/v1/sandboxes/hc/ask", [])
    assert (status, reads) == (403, 0)
    with make_client(catalog, keys, open_mode=True) as c:  # 127.0.0.1
        assert c.post("/v1/sandboxes/hc/ask", json=ASK).status_code == 200


def test_serve_refuses_open_mode_on_a_public_interface(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AULAC_API_OPEN", "true")
    code, _, err = run_cli(["serve", "--host", "0.0.0.0", "--port", "8765"], capsys, monkeypatch)
    assert code != 0 and len(err.strip().splitlines()) == 1 and "127.0.0.1" in err


def test_server_errors_show_a_request_id_not_paths(catalog: FakeCatalog, keys: Keys, tmp_path: Any) -> None:
    catalog.fail_with = AuditError(f"cannot write the audit log {tmp_path}/home/audit.sqlite: database is locked")
    with make_client(catalog, keys) as c:
        r = c.post("/v1/sandboxes/hc/ask", json=ASK, headers={**Keys.auth(keys.hc_user), "X-Request-ID": "abc-123"})
    assert r.status_code == 503 and str(tmp_path) not in r.text and "audit.sqlite" not in r.text
    assert r.json()["error"]["request_id"] == r.headers["x-request-id"] == "abc-123"
    assert "nhật ký kiểm toán" in r.json()["error"]["message"]


def test_locked_audit_log_gives_no_answer_over_the_api(catalog: FakeCatalog, keys: Keys) -> None:
    catalog.audit_log.busy_timeout_s = 0.3
    with make_client(catalog, keys) as c:
        assert c.post("/v1/sandboxes/hc/ask", json=ASK, headers=Keys.auth(keys.hc_user)).status_code == 200
        catalog.audit_log.close()  # the next writer thread opens with the short timeout
        holder = sqlite3.connect(catalog.audit_log.path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            for body in (ASK, {**ASK, "stream": True}):
                r = c.post("/v1/sandboxes/hc/ask", json=body, headers=Keys.auth(keys.hc_user))
                assert r.status_code == 503 and "4,5%" not in r.text, r.text
        finally:
            holder.execute("ROLLBACK")
            holder.close()


def test_upload_file_count_is_capped(catalog: FakeCatalog, keys: Keys) -> None:
    from aulac_rag.limits import DEFAULT_LIMITS

    many = [("files", (f"f{i}.md", "Nội dung", "text/markdown")) for i in range(DEFAULT_LIMITS.max_upload_files + 1)]
    with make_client(catalog, keys) as c:
        r = c.post("/v1/sandboxes/hc/documents", files=many, headers=Keys.auth(keys.hc_admin))
    assert r.status_code == 413 and r.json()["error"]["type"] == "request_too_large"
    assert catalog.ingested == []


def test_upload_result_is_the_ingest_summary_plus_the_saved_names(catalog: FakeCatalog, keys: Keys) -> None:
    from aulac_rag.ingest.pipeline import IngestSummary
    from aulac_rag.server.schemas import UploadSummary

    assert set(UploadSummary.model_fields) == set(IngestSummary.model_fields) | {"files"}
    assert {"pruned", "recovered", "flagged"} <= set(UploadSummary.model_fields)


def test_a_full_server_answers_429_with_retry_after_not_a_timeout() -> None:
    import asyncio

    from aulac_rag.server.limits import ConcurrencyLimitMiddleware

    release = asyncio.Event()
    started = 0

    async def slow_app(scope: dict, receive: Any, send: Any) -> None:
        nonlocal started
        started += 1
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def scenario() -> list[tuple[int, dict]]:
        limited = ConcurrencyLimitMiddleware(slow_app, max_inflight=2, max_waiting=1, wait_s=5)
        results: list[tuple[int, dict]] = []

        async def call() -> None:
            sent: list[dict] = []

            async def send(message: dict) -> None:
                sent.append(message)

            await limited({"type": "http", "path": "/v1/sandboxes/hc/ask"}, None, send)
            start = sent[0]
            results.append((start["status"], dict(start["headers"])))

        tasks = [asyncio.create_task(call()) for _ in range(5)]
        await asyncio.sleep(0.1)  # two run, one waits, two are told to come back
        assert started == 2 and len(results) == 2
        release.set()
        await asyncio.gather(*tasks)
        return results

    results = asyncio.run(scenario())
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 200, 200, 429, 429]
    assert all(int(h[b"retry-after"]) >= 1 for status, h in results if status == 429)
