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


# -- the model's own sources, verified against its sentences --------------------------------------------------
CITES_ALL = "Giấy chuyển tuyến chỉ dùng được trong 10 ngày làm việc sau khi ký [1][2][3]."
NO_SUPPORT = "Phí đỗ xe máy tại bệnh viện được miễn cho người cao tuổi vào cuối tuần"


def verified(text: str, chunks: list[str] | None = None, **kw: bool) -> tuple[str, CitationAttributor]:
    attributor = CitationAttributor(CONTEXTS, **kw)
    return "".join(attributor.feed(c) for c in (chunks or [text])) + attributor.flush(), attributor


def test_of_the_cited_passages_only_the_one_that_supports_the_sentence_is_kept() -> None:
    for chunks in ([CITES_ALL], list(CITES_ALL), [CITES_ALL[i : i + 3] for i in range(0, len(CITES_ALL), 3)]):
        out, attributor = verified(CITES_ALL, chunks)
        assert out == "Giấy chuyển tuyến chỉ dùng được trong 10 ngày làm việc sau khi ký [2]."
        assert (attributor.named, attributor.kept, attributor.dropped, attributor.attributed) == (3, 1, 2, 0)
    # a group, and a citation in the middle of the sentence
    out, _ = verified("Theo tài liệu [1, 2], giấy chuyển tuyến chỉ dùng được trong 10 ngày làm việc sau khi ký.")
    assert out == "Theo tài liệu [2], giấy chuyển tuyến chỉ dùng được trong 10 ngày làm việc sau khi ký."


def test_a_sentence_citing_only_passages_that_do_not_support_it_gets_the_best_supported_one() -> None:
    # passage 1 shares no words, passage 3 lacks the "10"; passage 2 says it
    out, attributor = verified("Giấy chuyển tuyến chỉ dùng được trong 10 ngày làm việc sau khi ký [1][3].")
    assert out == "Giấy chuyển tuyến chỉ dùng được trong 10 ngày làm việc sau khi ký [2]."
    assert (attributor.dropped, attributor.reattributed, attributor.unsupported) == (2, 1, 0)


def test_without_any_supporting_passage_its_citations_go() -> None:
    out, attributor = verified(f"{NO_SUPPORT} [1][2].")
    assert out == f"{NO_SUPPORT}." and (attributor.unsupported, attributor.reattributed) == (1, 0)


def test_a_sentence_joining_two_passages_keeps_both_and_an_unrelated_one_goes() -> None:
    # no single passage holds both numbers; together passages 1 and 2 do (passage 3 adds nothing)
    text = "Bệnh viện Âu Lạc có hơn 800 giường bệnh và giấy chuyển tuyến dùng được 10 ngày làm việc [1][2][3]."
    for chunks in ([text], list(text)):
        out, attributor = verified(text, chunks)
        assert out == text.replace("[1][2][3]", "[1][2]") and (attributor.named, attributor.kept) == (3, 2)
    # a joined claim none of whose parts a passage says is still not supported
    out, attributor = verified("Bệnh viện có 900 giường bệnh và giấy chuyển tuyến dùng được 45 ngày [1][2].")
    assert "[" not in out and attributor.unsupported == 1


def test_correct_citations_are_untouched() -> None:
    text = (
        "Bệnh viện Âu Lạc có hơn 800 giường bệnh nội trú [1]. "
        "Giấy chuyển tuyến có giá trị sử dụng theo thời hạn [3][2]. "  # in both passages
        "Với bệnh mạn tính, giấy có giá trị đến hết ngày 31 tháng 12. [3] Bạn cần hỏi thêm gì không [1]?"
    )
    for chunks in ([text], list(text)):
        out, attributor = verified(text, chunks)
        assert out == text and (attributor.named, attributor.kept) == (3, 3)  # a question is not judged


def test_invented_citations_are_left_to_the_citation_filter() -> None:
    # removed and flagged downstream (check_citations), not re-attributed; the real ones are verified
    out, _ = verified(f"{CITES_ALL[:-11]} [9]. Bệnh viện có hơn 800 giường bệnh [2, 9].")
    assert out == f"{CITES_ALL[:-11]} [9]. Bệnh viện có hơn 800 giường bệnh [9] [1]."


def test_without_verification_the_models_citations_are_trusted() -> None:
    out, attributor = verified(CITES_ALL, verify=False)
    assert out == CITES_ALL and attributor.named == 0


def test_a_sentences_citations_wait_for_its_end() -> None:
    attributor = CitationAttributor(CONTEXTS)
    released = attributor.feed(CITES_ALL[:-1])
    assert released == "Giấy chuyển tuyến chỉ dùng được trong 10 ngày làm việc sau khi ký" and "[" not in released
    assert attributor.feed(". B") == " [2]. B"
    # citations after the full stop, arriving in pieces, are still the sentence's own
    pieces = ["Giấy chuyển tuyến chỉ dùng được trong 10 ngày làm việc sau khi ký. [", "1][", "3] Bệnh viện có ", "hơn 800 giường."]
    out, _ = verified("", pieces)
    assert out == "Giấy chuyển tuyến chỉ dùng được trong 10 ngày làm việc sau khi ký [2]. Bệnh viện có hơn 800 giường [1]."


def _final(fake_llm: FakeLLM, text: str) -> object:
    fake_llm.script(Reply(text=text, chunks=[text[i : i + 5] for i in range(0, len(text), 5)]))
    config = GenerationConfig(backend="openai-compatible", base_url=fake_llm.base_url, max_retries=0, timeout_s=5)
    guard = GuardEngine.from_file(ROOT / "sandboxes" / "healthcare" / "guardrails.yaml", RailContext(domain="healthcare"))
    stream = AnswerPipeline.from_config(config, TinyRetriever(CITED_HITS), guard=guard, sandbox="hc").stream(CITED_QUESTION)
    streamed = "".join(stream)
    answer = stream.answer()
    assert streamed == answer.answer  # nothing streamed that verification later took back
    return answer


def test_an_llm_answer_reaches_the_user_with_verified_citations(fake_llm: FakeLLM) -> None:
    # CITED_HITS: 1 = 800 beds, 2 = ten working days, 3 = chronic illness until 31 December
    answer = _final(
        fake_llm,
        "Giấy chuyển tuyến có giá trị trong vòng 10 ngày làm việc kể từ ngày ký [1][2][3]. "
        "Với bệnh mạn tính thì giấy có giá trị đến hết ngày 31 tháng 12 [1][2].",
    )
    assert answer.answer.startswith(  # type: ignore[attr-defined]
        "Giấy chuyển tuyến có giá trị trong vòng 10 ngày làm việc kể từ ngày ký [1]. "
        "Với bệnh mạn tính thì giấy có giá trị đến hết ngày 31 tháng 12 [2]."
    )
    assert [c.chunk_id for c in answer.citations] == ["chuyen-tuyen.md#1", "chuyen-tuyen.md#2"]  # type: ignore[attr-defined]
    notes = {g.rule: g.message for g in answer.guardrails}  # type: ignore[attr-defined]
    assert notes["citation_verification"] == (
        "Đã bỏ 4 nguồn mô hình ghi cho câu mà đoạn tài liệu đó không chứa nội dung câu; "
        "1 câu được gắn lại nguồn theo đoạn tài liệu chứa nội dung đó."
    )


def test_a_sentence_citing_only_unsupporting_passages_is_treated_as_an_uncited_unsupported_one(fake_llm: FakeLLM) -> None:
    first = "Giấy chuyển tuyến có giá trị trong vòng 10 ngày làm việc kể từ ngày ký [2]. "
    cited = _final(fake_llm, f"{first}{NO_SUPPORT} [1][3].")
    uncited = _final(fake_llm, f"{first}{NO_SUPPORT}.")
    assert cited.answer == uncited.answer  # type: ignore[attr-defined]
    assert "(không đủ căn cứ trong tài liệu)" in cited.answer and "xe máy" not in cited.answer  # type: ignore[attr-defined]
    assert [c.chunk_id for c in cited.citations] == ["chuyen-tuyen.md#1"]  # type: ignore[attr-defined]


def test_ranges_are_verified_like_the_numbers_they_span() -> None:
    for text in (CITES_ALL.replace("[1][2][3]", "[1-3]"), CITES_ALL.replace("[1][2][3]", "[1–3]")):
        for chunks in ([text], list(text)):
            out, attributor = verified(text, chunks)
            assert out == "Giấy chuyển tuyến chỉ dùng được trong 10 ngày làm việc sau khi ký [2]."
            assert (attributor.named, attributor.kept) == (3, 1)


def test_a_short_claim_keeps_only_passages_holding_its_number() -> None:
    out, attributor = verified("Có 800 giường [3].")  # too short to judge by its words; passage 3 has no 800
    assert out == "Có 800 giường [1]." and (attributor.named, attributor.kept, attributor.reattributed) == (1, 0, 1)
    assert verified("Có 800 giường [1].")[0] == "Có 800 giường [1]."


def test_citations_glued_to_the_full_stop_end_their_sentence() -> None:
    # "ký.[2] Bệnh viện": two sentences, each verified on its own (before, one wrong citation sank both)
    text = "Giấy chuyển tuyến chỉ dùng được trong 10 ngày làm việc sau khi ký.[2] Bệnh viện có hơn 800 giường bệnh.[3]"
    for chunks in ([text], list(text)):
        out, attributor = verified(text, chunks)
        assert out.startswith("Giấy chuyển tuyến chỉ dùng được trong 10 ngày làm việc sau khi ký.[2] Bệnh viện")
        assert out.endswith("[1]") and "[3]" not in out and (attributor.kept, attributor.reattributed) == (1, 1)


def test_a_long_run_of_spaces_waits_in_linear_time() -> None:
    from tests.properties.test_linear_time import _assert_linear

    # a sentence's end followed by spaces and an open "[" (a citation may follow): the wait is one backward pass
    _assert_linear(lambda t: CitationAttributor(CONTEXTS).feed(t), lambda n: "Có 800 giường." + " " * n + "[", 4000)
