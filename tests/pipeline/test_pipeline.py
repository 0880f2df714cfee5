"""The answer pipeline with a tiny retriever: extractive, LLM (real HTTP test server), guards, audit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aulac_rag.audit import AuditLog
from aulac_rag.config import GenerationConfig
from aulac_rag.errors import GenerationError
from aulac_rag.generation import NOT_FOUND_ANSWER, QUOTE_NOTE, Context, ExtractiveGenerator
from aulac_rag.generation.extractive import strip_quote_note
from aulac_rag.pipeline import Answer, AnswerPipeline, Caller
from aulac_rag.pipeline.components import distinct_titles
from aulac_rag.retrieval.types import Hit
from tests.generation.fake_llm import FakeLLM, Reply
from tests.pipeline.conftest import HITS, RuleGuard, TinyRetriever

CONTRACT_KEYS = {"answer", "citations", "guardrails", "mode", "refused"}
QUESTION = "Mức đóng bảo hiểm y tế hằng tháng là bao nhiêu?"


def _llm_pipeline(fake: FakeLLM, retriever: TinyRetriever | None = None, **config: object) -> AnswerPipeline:
    settings: dict = {"backend": "openai-compatible", "base_url": fake.base_url, "max_retries": 0, "timeout_s": 5}
    settings.update(config)
    return AnswerPipeline.from_config(GenerationConfig(**settings), retriever or TinyRetriever(), sandbox="hc")


def _assert_every_citation_listed(answer: Answer) -> None:
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    assert cited == {c.n for c in answer.citations}


class TestExtractivePipeline:
    def test_answer_shape(self) -> None:
        answer = AnswerPipeline(TinyRetriever()).run(QUESTION)
        data = answer.to_dict()
        assert CONTRACT_KEYS <= set(data) and {"timings_ms", "backend", "model"} <= set(data)
        assert data["mode"] == "extractive" and data["refused"] is False
        assert data["answer"].startswith("Mức đóng bảo hiểm y tế hằng tháng bằng 4,5% tiền lương [1].")
        assert data["answer"].endswith(f"\n\n{QUOTE_NOTE}")
        assert data["citations"][0] == {
            "n": 1,
            "doc_id": "bhyt-muc-dong.md",
            "chunk_id": "bhyt-muc-dong.md#0",
            "title": "Mức đóng bảo hiểm y tế",
            "quote": "Mức đóng bảo hiểm y tế hằng tháng bằng 4,5% tiền lương.",
        }
        _assert_every_citation_listed(answer)
        assert {"input_guard", "rewrite", "retrieve", "prompt", "generate", "output_check", "audit", "total"} <= set(
            answer.timings_ms
        )

    def test_k_and_filters_reach_the_retriever(self) -> None:
        retriever = TinyRetriever()
        AnswerPipeline(retriever, k=4).run(QUESTION, filters={"topic": "bhyt"})
        AnswerPipeline(retriever, k=4).run(QUESTION, k=1)
        assert retriever.queries == [(QUESTION, 4, {"topic": "bhyt"}), (QUESTION, 1, None)]

    def test_no_hits(self) -> None:
        answer = AnswerPipeline(TinyRetriever([])).run(QUESTION)
        assert answer.answer == NOT_FOUND_ANSWER and not answer.refused and answer.citations == ()
        assert [g.rule for g in answer.guardrails] == ["no_context"]

    def test_top_score_below_min_relevance(self) -> None:
        answer = AnswerPipeline(TinyRetriever(), min_relevance=0.95).run(QUESTION)
        assert answer.answer == NOT_FOUND_ANSWER

    def test_lexically_unrelated_hits(self) -> None:
        answer = AnswerPipeline(TinyRetriever(), min_lexical_relevance=0.1).run("Cách nấu phở bò ngon?")
        assert answer.answer == NOT_FOUND_ANSWER and answer.guardrails[0].rule == "no_context"
        assert len(answer.retrieved) == 2  # still recorded for the audit

    def test_follow_up_borrows_previous_key_words_without_llm(self) -> None:
        retriever = TinyRetriever()
        answer = AnswerPipeline(retriever).run("Còn trẻ em thì sao?", [(QUESTION, "4,5% [1].")])
        assert retriever.queries[0][0] == "Còn trẻ em thì sao (mức đóng bảo hiểm y tế)?"
        assert answer.answer.startswith("Trẻ em dưới 6 tuổi") and answer.to_dict()["standalone_question"]

    def test_stream_deltas_make_the_answer(self) -> None:
        stream = AnswerPipeline(TinyRetriever()).stream(QUESTION)
        deltas = list(stream)
        assert len(deltas) >= 1 and "".join(deltas) == stream.answer().answer
        assert list(stream) == deltas  # replay


class TestGuards:
    def test_block_refuses_and_skips_retrieval(self) -> None:
        retriever = TinyRetriever()
        answer = AnswerPipeline(retriever, guard=RuleGuard()).run("Làm sao để làm giả giấy khám bệnh?")
        assert answer.refused and answer.answer == "Tôi không thể giúp làm giả giấy tờ."
        assert answer.guardrails[0].to_dict() == {"rule": "forged_papers", "action": "block", "message": answer.answer}
        assert retriever.queries == []

    def test_redacted_question_goes_downstream(self) -> None:
        retriever = TinyRetriever()
        answer = AnswerPipeline(retriever, guard=RuleGuard()).run(f"Số 0912345678 hỏi: {QUESTION}")
        assert retriever.queries[0][0] == f"Số [SĐT] hỏi: {QUESTION}"
        assert [g.rule for g in answer.guardrails] == ["pii", "disclaimer"] and not answer.refused


class TestLLMPipeline:
    def test_invented_citation_removed_and_flagged(self, fake_llm: FakeLLM) -> None:
        fake_llm.script(Reply(text="Mức đóng hằng tháng bằng 4,5% tiền lương [1]. Người già được miễn phí [9]."))
        answer = _llm_pipeline(fake_llm).run(QUESTION)
        assert answer.answer == "Mức đóng hằng tháng bằng 4,5% tiền lương [1]. Người già được miễn phí."
        assert answer.mode == "llm" and answer.backend == "openai-compatible" and answer.model == "aulac-llm"
        flag = [g for g in answer.guardrails if g.rule == "invalid_citation"]
        assert flag and flag[0].action == "flag" and "[9]" in flag[0].message
        assert [c.n for c in answer.citations] == [1]
        assert answer.citations[0].quote == "Mức đóng bảo hiểm y tế hằng tháng bằng 4,5% tiền lương."
        _assert_every_citation_listed(answer)

    def test_prompt_has_numbered_contexts(self, fake_llm: FakeLLM) -> None:
        _llm_pipeline(fake_llm).run(QUESTION)
        user = fake_llm.requests[0]["messages"][-1]["content"]
        assert '<tai_lieu so="1" tieu_de="Mức đóng bảo hiểm y tế">\n[1] ' in user
        assert '<tai_lieu so="2" tieu_de="Chuyển tuyến">\n[2] ' in user

    def test_streamed_text_is_already_clean(self, fake_llm: FakeLLM) -> None:
        fake_llm.script(Reply(chunks=["Mức đóng là 4,5% [", "1", "]", " và [", "9", "]."]))
        stream = _llm_pipeline(fake_llm).stream(QUESTION)
        assert "".join(stream) == "Mức đóng là 4,5% [1] và." == stream.answer().answer

    def test_model_says_not_found(self, fake_llm: FakeLLM) -> None:
        fake_llm.script(Reply(text=NOT_FOUND_ANSWER + "."))
        answer = _llm_pipeline(fake_llm).run(QUESTION)
        assert answer.answer == NOT_FOUND_ANSWER and answer.guardrails[-1].rule == "no_context"

    def test_unreachable_llm_falls_back_loudly(self, fake_llm: FakeLLM) -> None:
        fake_llm.script(Reply(status=500))
        answer = _llm_pipeline(fake_llm, fallback="extractive").run(QUESTION)
        assert answer.mode == "extractive" and answer.backend == "extractive"
        note = answer.guardrails[0]
        assert note.rule == "llm_fallback" and note.action == "notice" and "HTTP 500" in note.message
        assert answer.citations and strip_quote_note(answer.answer).endswith("[1].")

    def test_unreachable_llm_without_fallback_raises(self, fake_llm: FakeLLM) -> None:
        fake_llm.script(Reply(status=500))
        with pytest.raises(GenerationError, match="HTTP 500"):
            _llm_pipeline(fake_llm, fallback="none").run(QUESTION)

    def test_follow_up_rewritten_by_llm(self, fake_llm: FakeLLM) -> None:
        fake_llm.script(Reply(text="Trẻ em có được cấp thẻ bảo hiểm y tế miễn phí không?"), Reply(text="Có [1]."))
        retriever = TinyRetriever()
        answer = _llm_pipeline(fake_llm, retriever).run("Còn trẻ em thì sao?", [(QUESTION, "4,5% [1].")])
        assert retriever.queries[0][0] == "Trẻ em có được cấp thẻ bảo hiểm y tế miễn phí không?"
        assert answer.answer == "Có [1]."
        messages = fake_llm.requests[1]["messages"]
        assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]


class TestAudit:
    def test_every_question_is_logged(self, tmp_path: Path) -> None:
        log = AuditLog(tmp_path / "audit.sqlite")
        pipeline = AnswerPipeline(TinyRetriever(), guard=RuleGuard(), audit=log, sandbox="hc", config_hash="c" * 64)
        pipeline.run(f"Gọi 0912345678: {QUESTION}", caller=Caller(key_id="k1", role="user"))
        pipeline.run("Làm giả giấy khám được không?", caller=Caller(key_id="k2", role="admin"))
        rows = log.rows("hc")
        # a generated answer is on record before generation (started) and closed after (answer, ref_seq)
        assert [(r["seq"], r["event"], r["ref_seq"]) for r in rows] == [(1, "started", 0), (2, "answer", 1), (3, "answer", 0)]
        started, first, second = rows
        assert started["question"] == first["question"] and started["answer"] == ""
        assert first["question"] == f"Gọi [SĐT]: {QUESTION}" and first["key_id"] == "k1" and first["role"] == "user"
        assert first["retrieved"][0] == {"doc_id": "bhyt-muc-dong.md", "chunk_id": "bhyt-muc-dong.md#0", "score": 0.92}
        assert first["config_hash"] == "c" * 64 and first["mode"] == "extractive" and first["latency_ms"] > 0
        assert second["refused"] is True and second["guardrails"][0]["rule"] == "forged_papers"
        assert second["retrieved"] == []
        assert log.verify().ok


def test_hits_fixture_is_sane() -> None:
    assert HITS[0].score > HITS[1].score


def test_not_found_is_never_a_dead_end() -> None:
    from aulac_rag.generation import NOT_FOUND_ANSWER

    hint = "Bạn có thể hỏi nhân viên y tế; nếu sốt cao kéo dài, hãy đến cơ sở y tế hoặc gọi 115."
    pipeline = AnswerPipeline(TinyRetriever([]), not_found_hint=hint)
    stream = pipeline.stream("Sốt 39 độ ba ngày thì nên làm gì?")
    streamed = "".join(stream)
    answer = stream.answer()
    assert answer.answer == f"{NOT_FOUND_ANSWER} {hint}" and streamed == answer.answer
    assert NOT_FOUND_ANSWER.endswith(".") and "sandbox" not in NOT_FOUND_ANSWER


# Two passages of one document under one heading, a third document, and an unrelated best hit.
CITED_HITS = [
    Hit("gioi-thieu.md", "gioi-thieu.md#0", 0.95, "Giới thiệu", "Bệnh viện Âu Lạc có hơn 800 giường bệnh nội trú.",
        metadata={"doc_title": "Giới thiệu bệnh viện"}),
    Hit("chuyen-tuyen.md", "chuyen-tuyen.md#1", 0.9, "Thủ tục chuyển tuyến",
        "Giấy chuyển tuyến có giá trị sử dụng trong vòng 10 ngày làm việc kể từ ngày ký.", position=1,
        metadata={"doc_title": "Chuyển tuyến bảo hiểm y tế"}),
    Hit("chuyen-tuyen.md", "chuyen-tuyen.md#2", 0.8, "Thủ tục chuyển tuyến",
        "Với bệnh mạn tính, giấy chuyển tuyến có giá trị sử dụng đến hết ngày 31 tháng 12.", position=2,
        metadata={"doc_title": "Chuyển tuyến bảo hiểm y tế"}),
]  # fmt: skip
CITED_QUESTION = "Giấy chuyển tuyến có giá trị sử dụng trong bao nhiêu ngày, còn bệnh mạn tính thì sao?"


class TestCitationNumbers:
    def test_numbered_from_one_without_gaps_with_distinct_titles(self) -> None:
        answer = AnswerPipeline(TinyRetriever(CITED_HITS), ExtractiveGenerator(keep_ratio=0.3)).run(CITED_QUESTION)
        numbers = [int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)]
        assert numbers and sorted(set(numbers)) == list(range(1, len(set(numbers)) + 1))
        assert numbers == sorted(numbers)  # in order of appearance
        assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
        assert {c.chunk_id for c in answer.citations} == {"chuyen-tuyen.md#1", "chuyen-tuyen.md#2"}
        titles = [c.title for c in answer.citations]
        assert len(set(titles)) == len(titles)
        assert all(t.startswith("Thủ tục chuyển tuyến — đoạn ") for t in titles)
        _assert_every_citation_listed(answer)

    def test_streamed_text_is_renumbered_as_the_answer(self) -> None:
        stream = AnswerPipeline(TinyRetriever(CITED_HITS), ExtractiveGenerator(keep_ratio=0.3)).stream(CITED_QUESTION)
        streamed = "".join(stream)
        assert streamed == stream.answer().answer and "[3]" not in streamed

    def test_llm_citations_renumbered_and_the_same_passage_cited_once(self, fake_llm: FakeLLM) -> None:
        hits = [*CITED_HITS, CITED_HITS[1]]  # context 4 is context 2's chunk again
        # the second sentence is in passages 3 and 2 both (the model's sources are verified against its sentences)
        fake_llm.script(Reply(text="Giấy có giá trị 10 ngày làm việc [4]. Giấy chuyển tuyến có giá trị sử dụng theo thời hạn [3][2]."))
        answer = _llm_pipeline(fake_llm, TinyRetriever(hits)).run(CITED_QUESTION)
        assert answer.answer == "Giấy có giá trị 10 ngày làm việc [1]. Giấy chuyển tuyến có giá trị sử dụng theo thời hạn [2][1]."
        assert [(c.n, c.chunk_id) for c in answer.citations] == [(1, "chuyen-tuyen.md#1"), (2, "chuyen-tuyen.md#2")]


def test_distinct_titles_name_the_document_then_the_passage() -> None:
    contexts = [
        Context(1, "a.md", "a.md#0", "Lưu ý", "x", doc_title="Mức hưởng BHYT"),
        Context(2, "b.md", "b.md#3", "Lưu ý", "y", doc_title="Chuyển tuyến", position=3),
        Context(3, "b.md", "b.md#5", "Điều 5. Quyền", "z", doc_title="Luật"),
        Context(4, "c.txt", "c.txt#0", "Bảo hiểm y tế", "u", doc_title="Bảo hiểm y tế"),
        Context(5, "c.txt", "c.txt#1", "Bảo hiểm y tế", "v", doc_title="Bảo hiểm y tế", position=1),
    ]
    assert distinct_titles(contexts) == [
        "Lưu ý — Mức hưởng BHYT",
        "Lưu ý — Chuyển tuyến",
        "Điều 5. Quyền",
        "Bảo hiểm y tế — đoạn 1",
        "Bảo hiểm y tế — đoạn 2",
    ]
