"""ragas' metrics through their real ``single_turn_ascore`` path, on hand-made samples."""

from __future__ import annotations

import asyncio

import pytest
from rapidfuzz.distance import Levenshtein

from aulac_rag.config import GenerationConfig
from aulac_rag.errors import ConfigError
from aulac_rag.evaluation.ragas_metrics import JudgeScorer, NonLLMScorer
from aulac_rag.evaluation.ragas_models import SandboxEmbeddings, judge_available, judge_embeddings, judge_llm
from aulac_rag.evaluation.types import ItemResult, RetrievedContext
from tests.evaluation.conftest import HashEmbedder
from tests.evaluation.fake_llm import FakeOpenAIServer

RELEVANT = "Theo quy định, học sinh và sinh viên được quỹ chi trả 80% chi phí khám chữa bệnh trong phạm vi quyền lợi."
OTHER = "Giấy chuyển tuyến có giá trị sử dụng trong 10 ngày làm việc kể từ ngày ký."
QUESTION = "Học sinh được bảo hiểm y tế chi trả bao nhiêu?"


def item(
    contexts: list[str], answer: str = "Học sinh được chi trả 80% [1].", refs: list[str] | None = None
) -> ItemResult:
    return ItemResult(
        id="x",
        question=QUESTION,
        reference="Học sinh được chi trả 80%.",
        reference_doc_ids=["a"],
        reference_contexts=refs if refs is not None else ["học sinh và sinh viên được quỹ chi trả 80% chi phí"],
        answer=answer,
        retrieved=[RetrievedContext(f"d{i}", f"d{i}#0", 1.0 - i / 10, "t", c) for i, c in enumerate(contexts)],
    )


def score(scorer: NonLLMScorer, sample: ItemResult) -> dict:
    scores, errors = asyncio.run(scorer.score(sample))
    assert not errors
    return scores


def test_non_llm_precision_is_average_precision_over_ranks() -> None:
    scorer = NonLLMScorer("partial")
    # the reference sentence is inside the chunk at rank 1: AP = 1; at rank 2 only: AP = 1/2
    assert score(scorer, item([RELEVANT, OTHER]))["non_llm_context_precision_with_reference"] == pytest.approx(1.0)
    assert score(scorer, item([OTHER, RELEVANT]))["non_llm_context_precision_with_reference"] == pytest.approx(0.5)
    assert score(scorer, item([OTHER]))["non_llm_context_precision_with_reference"] == pytest.approx(0.0)


def test_non_llm_recall_counts_reference_contexts_found() -> None:
    scorer = NonLLMScorer("partial")
    refs = ["học sinh và sinh viên được quỹ chi trả 80% chi phí", "trẻ em dưới 6 tuổi được miễn phí"]
    assert score(scorer, item([RELEVANT, OTHER], refs=refs))["non_llm_context_recall"] == pytest.approx(0.5)
    assert score(scorer, item([], refs=refs))["non_llm_context_recall"] == 0.0  # nothing retrieved


def test_ragas_default_levenshtein_misses_a_sentence_inside_a_chunk() -> None:
    """Why contexts are compared with partial similarity: the chunk contains the sentence verbatim."""
    chunk = RELEVANT + " " + OTHER
    assert score(NonLLMScorer("levenshtein"), item([chunk]))["non_llm_context_recall"] == 0.0
    assert score(NonLLMScorer("partial"), item([chunk]))["non_llm_context_recall"] == 1.0


def test_string_similarity_is_ragas_levenshtein_without_citations() -> None:
    scores = score(NonLLMScorer(), item([RELEVANT], answer="Học sinh được chi trả 80% [1]."))
    assert scores["non_llm_string_similarity"] == pytest.approx(1.0)
    scores = score(NonLLMScorer(), item([RELEVANT], answer="Được chi trả 80%"))
    expected = 1 - Levenshtein.normalized_distance("Học sinh được chi trả 80%.", "Được chi trả 80%")
    assert scores["non_llm_string_similarity"] == pytest.approx(expected)


def test_missing_reference_contexts_is_reported_not_guessed() -> None:
    scores, errors = asyncio.run(NonLLMScorer().score(item([RELEVANT], refs=[])))
    assert scores["non_llm_context_recall"] is None
    assert "reference_contexts" in errors["non_llm_context_recall"]


def test_invalid_context_similarity() -> None:
    with pytest.raises(ValueError, match="context_similarity"):
        NonLLMScorer("cosine")


def test_judge_scorer_needs_explicit_models() -> None:
    with pytest.raises(ValueError, match="OpenAI"):
        JudgeScorer(None, object())
    with pytest.raises(ValueError, match="OpenAI"):
        JudgeScorer(object(), None)


def test_judge_needs_an_openai_compatible_llm() -> None:
    assert not judge_available(GenerationConfig())
    assert not judge_available(GenerationConfig(backend="openai-compatible"))  # no base_url
    assert judge_available(GenerationConfig(backend="openai-compatible", base_url="http://127.0.0.1:1/v1"))
    with pytest.raises(ConfigError, match="base_url"):
        judge_llm(GenerationConfig())


def test_sandbox_embeddings_adapter() -> None:
    adapter = SandboxEmbeddings(HashEmbedder())
    query = adapter.embed_query("mức hưởng")
    docs = adapter.embed_documents(["mức hưởng", "học phí"])
    assert len(query) == 16 and len(docs) == 2
    assert docs[0] == pytest.approx(query)
    assert adapter.embed_documents([]) == []


def test_llm_judge_metrics_against_a_local_server(socket_guard: list) -> None:
    """Faithfulness 1/2, relevancy 1, context precision 1/2 (useful context 2nd), recall 1/2 — by hand."""
    with FakeOpenAIServer(question_for_relevancy=QUESTION) as server:
        config = GenerationConfig(backend="openai-compatible", base_url=server.base_url, model="aulac-llm")
        scorer = JudgeScorer(judge_llm(config), judge_embeddings(HashEmbedder(), config))
        scores, errors = asyncio.run(scorer.score(item([OTHER, RELEVANT])))
    assert errors == {}
    assert scores["faithfulness"] == pytest.approx(0.5)
    assert scores["response_relevancy"] == pytest.approx(1.0)
    assert scores["llm_context_precision_with_reference"] == pytest.approx(0.5)
    assert scores["llm_context_recall"] == pytest.approx(0.5)
    # 2 faithfulness calls, 3 relevancy questions (strictness), 1 per context, 1 recall
    assert len(server.requests) == 8
    assert all(r["model"] == "aulac-llm" for r in server.requests)
    assert socket_guard == []


def test_judge_failure_is_recorded_per_metric(socket_guard: list) -> None:
    config = GenerationConfig(
        backend="openai-compatible", base_url="http://127.0.0.1:9/v1", timeout_s=2, max_retries=0
    )  # nothing listens on port 9
    scorer = JudgeScorer(judge_llm(config), judge_embeddings(HashEmbedder(), config))
    scores, errors = asyncio.run(scorer.score(item([RELEVANT])))
    assert all(v is None for v in scores.values())
    assert set(errors) == set(JudgeScorer.names)
