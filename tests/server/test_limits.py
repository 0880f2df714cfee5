"""413 request size, 429 rate limit, and no stack traces to clients."""

from __future__ import annotations

from fastapi.testclient import TestClient

from aulac_rag.errors import GenerationError
from aulac_rag.server.ratelimit import TokenBucketLimiter
from tests.server.conftest import FakeCatalog, Keys, make_client

ASK = {"question": "Mức đóng bảo hiểm y tế hằng tháng là bao nhiêu?"}


def test_body_too_large_by_content_length(catalog: FakeCatalog, keys: Keys) -> None:
    with make_client(catalog, keys, max_body_bytes=2048) as c:
        r = c.post("/v1/sandboxes/hc/ask", json={"question": "x" * 5000}, headers=Keys.auth(keys.hc_user))
    assert r.status_code == 413 and r.json()["error"]["type"] == "request_too_large"


def test_body_too_large_when_streamed(catalog: FakeCatalog, keys: Keys) -> None:
    def chunks():  # no content-length: the limit is enforced while reading
        yield b'{"question": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    headers = {**Keys.auth(keys.hc_user), "content-type": "application/json"}
    with make_client(catalog, keys, max_body_bytes=2048) as c:
        r = c.post("/v1/sandboxes/hc/ask", content=chunks(), headers=headers)
    assert r.status_code == 413


def test_upload_limit_is_separate(catalog: FakeCatalog, keys: Keys) -> None:
    with make_client(catalog, keys, max_body_bytes=2048, max_upload_bytes=8192) as c:
        ok = c.post(
            "/v1/sandboxes/hc/documents", files=[("files", ("a.md", "y" * 4000))], headers=Keys.auth(keys.hc_admin)
        )
        big = c.post(
            "/v1/sandboxes/hc/documents", files=[("files", ("a.md", "y" * 9000))], headers=Keys.auth(keys.hc_admin)
        )
    assert ok.status_code == 200 and big.status_code == 413


def test_rate_limit_per_key(catalog: FakeCatalog, keys: Keys) -> None:
    with make_client(catalog, keys, rate_per_minute=60, burst=3) as c:
        codes = [c.get("/v1/sandboxes", headers=Keys.auth(keys.hc_user)).status_code for _ in range(5)]
        other = c.get("/v1/sandboxes", headers=Keys.auth(keys.edu_user))
        limited = c.get("/v1/sandboxes", headers=Keys.auth(keys.hc_user))
    assert codes == [200, 200, 200, 429, 429] and other.status_code == 200
    assert limited.headers["retry-after"] == "1" and limited.json()["error"]["type"] == "rate_limited"


def test_token_bucket_refills() -> None:
    now = [0.0]
    bucket = TokenBucketLimiter(rate_per_minute=60, burst=2, clock=lambda: now[0])
    assert [bucket.take("k") for _ in range(3)] == [0.0, 0.0, 1.0]
    now[0] = 1.0
    assert bucket.take("k") == 0.0 and bucket.take("k") > 0
    assert TokenBucketLimiter(0, 1).take("k") == 0.0  # disabled


def test_unexpected_error_has_no_stack_trace(client: TestClient, catalog: FakeCatalog, keys: Keys) -> None:
    catalog.fail_with = RuntimeError("secret internal detail /srv/app.py line 3")
    r = client.post("/v1/sandboxes/hc/ask", json=ASK, headers=Keys.auth(keys.hc_user))
    assert r.status_code == 500
    body = r.json()
    assert body["error"]["type"] == "internal_error" and "internal server error" in body["error"]["message"]
    assert body["error"]["request_id"] == r.headers["x-request-id"]  # the server log has the details under it
    assert "secret" not in r.text and "Traceback" not in r.text


def test_aulac_errors_map_to_statuses(client: TestClient, catalog: FakeCatalog, keys: Keys) -> None:
    r = client.post("/v1/sandboxes/nope/ask", json=ASK, headers=Keys.auth(keys.global_admin))
    assert r.status_code == 404 and r.json()["error"]["type"] == "sandbox_not_found"
    catalog.fail_with = GenerationError("cannot reach the LLM at http://x/v1")
    r = client.post("/v1/sandboxes/hc/ask", json=ASK, headers=Keys.auth(keys.hc_user))
    error = r.json()["error"]
    assert r.status_code == 502 and error["type"] == "generation_error"
    assert "http://x" not in r.text and "Mô hình ngôn ngữ" in error["message"]  # the LLM's address stays inside
    assert error["request_id"] == r.headers["x-request-id"]


def test_validation_errors_are_422(client: TestClient, keys: Keys) -> None:
    r = client.post("/v1/sandboxes/hc/ask", json={"question": ""}, headers=Keys.auth(keys.hc_user))
    assert r.status_code == 422 and "question" in r.json()["error"]["message"]


def test_shared_buckets_hold_across_processes(tmp_path) -> None:  # noqa: ANN001
    """Two limiters on one SQLite file (two worker processes) draw from one bucket per key."""
    import multiprocessing

    from aulac_rag.server.ratelimit import SharedTokenBucketLimiter

    path = str(tmp_path / "ratelimit.sqlite")
    first = SharedTokenBucketLimiter(path, rate_per_minute=1, burst=3)
    assert [first.take("k") for _ in range(2)] == [0.0, 0.0]
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        other = pool.apply(_take_twice, (path,))
    assert other[0] == 0.0 and other[1] > 0  # the other process saw one token left, not three
    assert first.take("k") > 0 and first.take("other-key") == 0.0


def _take_twice(path: str) -> list[float]:
    from aulac_rag.server.ratelimit import SharedTokenBucketLimiter

    limiter = SharedTokenBucketLimiter(path, rate_per_minute=1, burst=3)
    return [limiter.take("k"), limiter.take("k")]
