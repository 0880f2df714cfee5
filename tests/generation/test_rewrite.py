from __future__ import annotations

from aulac_rag.generation import ExtractiveGenerator, OpenAICompatGenerator, QuestionRewriter
from tests.generation.fake_llm import FakeLLM, Reply

HISTORY = [("Mức đóng bảo hiểm y tế là bao nhiêu?", "4,5% tiền lương [1].")]


def test_no_history_is_unchanged() -> None:
    assert QuestionRewriter(None).run("Câu hỏi?").method == "none"


def test_without_llm_appends_previous_key_words_to_a_dependent_follow_up() -> None:
    # changed on purpose (issue 12): the follow-up's own words come first, then the previous turn's key words;
    # the old concatenation stays available as no_llm="concat"
    rewriter = QuestionRewriter(ExtractiveGenerator())  # not an LLM: ignored
    result = rewriter.run("Còn trẻ em thì sao?", HISTORY)
    assert (result.question, result.method) == ("Còn trẻ em thì sao (mức đóng bảo hiểm y tế)?", "followup")
    concat = QuestionRewriter(None, no_llm="concat").run("Còn trẻ em thì sao?", HISTORY)
    assert (concat.question, concat.method) == ("Mức đóng bảo hiểm y tế là bao nhiêu? Còn trẻ em thì sao?", "concat")


def test_llm_rewrites(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(text='"Mức đóng bảo hiểm y tế cho trẻ em là bao nhiêu?"\n'))
    rewriter = QuestionRewriter(OpenAICompatGenerator(base_url=fake_llm.base_url, max_retries=0))
    result = rewriter.run("Còn trẻ em thì sao?", HISTORY)
    assert (result.question, result.method) == ("Mức đóng bảo hiểm y tế cho trẻ em là bao nhiêu?", "llm")
    sent = fake_llm.requests[0]["messages"]
    assert "Còn trẻ em thì sao?" in sent[-1]["content"] and HISTORY[0][0] in sent[-1]["content"]
    assert fake_llm.requests[0]["temperature"] == 0.0


def test_llm_failure_falls_back_to_concatenation(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply(status=500))
    rewriter = QuestionRewriter(OpenAICompatGenerator(base_url=fake_llm.base_url, max_retries=0))
    result = rewriter.run("Còn trẻ em thì sao?", HISTORY)
    assert result.method == "concat_fallback" and result.question.endswith("Còn trẻ em thì sao?")
