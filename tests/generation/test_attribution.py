"""Citations that survive weak models: uncited sentences get the passage that supports them, or nothing."""

from __future__ import annotations

import re
from pathlib import Path

from aulac_rag.config import GenerationConfig
from aulac_rag.generation.attribution import CitationAttributor, best_support
from aulac_rag.guardrails import GuardEngine, RailContext
from aulac_rag.pipeline import AnswerPipeline
from tests.generation.fake_llm import FakeLLM, Reply
from tests.pipeline.test_pipeline import CITED_HITS, CITED_QUESTION, TinyRetriever

ROOT = Path(__file__).resolve().parents[2]
CONTEXTS = [
    "Bệnh viện Âu Lạc có hơn 800 giường bệnh nội trú và 12 khoa lâm sàng.",
    "Giấy chuyển tuyến có giá trị sử dụng trong vòng 10 ngày làm việc kể từ ngày ký.",
    "Với bệnh mạn tính, giấy chuyển tuyến có giá trị sử dụng đến hết ngày 31 tháng 12.",
]


def run(text: str, contexts: list[str] = CONTEXTS, chunks: list[str] | None = None) -> tuple[str, int]:
    attributor = CitationAttributor(contexts)
    out = "".join(attributor.feed(c) for c in (chunks or [text])) + attributor.flush()
    return out, attributor.attributed


def test_a_paraphrase_without_citation_gets_its_passage() -> None:
    out, added = run("Giấy chuyển tuyến chỉ dùng được trong 10 ngày làm việc sau khi ký.")
    assert out == "Giấy chuyển tuyến chỉ dùng được trong 10 ngày làm việc sau khi ký [2]." and added == 1


def test_a_number_that_no_passage_holds_is_never_attributed() -> None:
    # the "10 năm" kind of wrong claim: same words as passage 2, but a number it does not say
    out, added = run("Giấy chuyển tuyến có giá trị sử dụng trong vòng 30 ngày làm việc.")
    assert "[" not in out and added == 0
    assert best_support("trong vòng 30 ngày", CONTEXTS) is None or best_support("trong vòng 30 ngày", CONTEXTS).n != 2


def test_unrelated_claims_stay_uncited() -> None:
    out, added = run("Phí đỗ xe máy tại bệnh viện được miễn cho người cao tuổi vào cuối tuần.")
    assert "[" not in out and added == 0


def test_cited_sentences_questions_and_placeholders() -> None:
    out, added = run("Bệnh viện có hơn 800 giường [1]. Bạn cần hỏi thêm gì không? Hạn dùng đến hết 31 tháng 12 [n].")
    assert out.startswith("Bệnh viện có hơn 800 giường [1]. Bạn cần hỏi thêm gì không? ")
    assert "[n]" not in out and out.endswith("[3].") and added == 1


def test_streamed_in_small_chunks_gives_the_same_text() -> None:
    text = "Giấy chuyển tuyến chỉ dùng được trong 10 ngày làm việc. Bệnh viện có hơn 800 giường bệnh nội trú. "
    whole, _ = run(text)
    pieces, _ = run(text, chunks=[text[i : i + 3] for i in range(0, len(text), 3)])
    assert pieces == whole and whole.count("[") == 2


def test_an_llm_answer_without_citations_reaches_the_user_cited(fake_llm: FakeLLM) -> None:
    # what small real models do: the right content, no [n] (or a literal "[n]")
    fake_llm.script(
        Reply(
            text="Giấy chuyển tuyến có giá trị trong vòng 10 ngày làm việc kể từ ngày ký. "
            "Với bệnh mạn tính thì giấy có giá trị đến hết ngày 31 tháng 12 [n]. "
            "Ngoài ra giấy được gia hạn tự động 5 năm."
        )
    )
    config = GenerationConfig(backend="openai-compatible", base_url=fake_llm.base_url, max_retries=0, timeout_s=5)
    guard = GuardEngine.from_file(ROOT / "sandboxes" / "healthcare" / "guardrails.yaml", RailContext(domain="healthcare"))
    pipeline = AnswerPipeline.from_config(config, TinyRetriever(CITED_HITS), guard=guard, sandbox="hc")
    answer = pipeline.run(CITED_QUESTION)
    assert re.findall(r"\[(\d+)\]", answer.answer) == ["1", "2"]
    assert {c.chunk_id for c in answer.citations} == {"chuyen-tuyen.md#1", "chuyen-tuyen.md#2"}
    assert "5 năm" not in answer.answer  # unsupported: left uncited, then replaced by the citation rail
    assert "citation_attribution" in {g.rule for g in answer.guardrails}
