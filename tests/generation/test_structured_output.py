"""Structured output: JSON answer sentences with sources, rendered as ``text [n].`` before the rails.

Against a real HTTP server speaking the OpenAI chat completions protocol (SSE included).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from aulac_rag.config import GenerationConfig
from aulac_rag.errors import GenerationError
from aulac_rag.generation import OpenAICompatGenerator, load_generator
from aulac_rag.generation.base import Context, Prompt
from aulac_rag.generation.structured import (
    CITED_ANSWER_SCHEMA,
    JSON_INSTRUCTION,
    NotedStream,
    StructuredAnswer,
    echo_note,
    render_sentence,
    salvage_texts,
)
from aulac_rag.guardrails import GuardEngine, RailContext
from aulac_rag.pipeline import AnswerPipeline
from tests.generation.fake_llm import FakeLLM, Reply
from tests.pipeline.test_pipeline import CITED_HITS, CITED_QUESTION, TinyRetriever

ROOT = Path(__file__).resolve().parents[2]
CONTEXTS = tuple(
    Context(n, f"d{n}.md", f"d{n}.md#0", f"Tiêu đề {n}", text)
    for n, text in enumerate(
        [
            "Bệnh viện Âu Lạc có hơn 800 giường bệnh nội trú.",
            "Giấy chuyển tuyến có giá trị sử dụng trong vòng 10 ngày làm việc kể từ ngày ký.",
            "Với bệnh mạn tính, giấy chuyển tuyến có giá trị sử dụng đến hết ngày 31 tháng 12.",
        ],
        start=1,
    )
)
PROMPT = Prompt(
    messages=({"role": "system", "content": "Hệ thống"}, {"role": "user", "content": "Câu hỏi?"}),
    question="Câu hỏi?",
    contexts=CONTEXTS,
)


def _json(*sentences: tuple[str, list]) -> str:
    return json.dumps({"sentences": [{"text": t, "sources": s} for t, s in sentences]}, ensure_ascii=False)


def _gen(fake: FakeLLM, structured: str = "json_schema", **kw: object) -> OpenAICompatGenerator:
    settings: dict = {"base_url": fake.base_url, "max_retries": 0, "timeout_s": 5.0, "structured_output": structured}
    settings.update(kw)
    return OpenAICompatGenerator(**settings)


def _notes(stream: object) -> list[str]:
    return [n.rule + ": " + n.message for n in getattr(stream, "notes", [])]


class TestConfig:
    def test_off_by_default_and_true_means_json_schema(self) -> None:
        assert GenerationConfig().structured_output == "off"
        assert GenerationConfig(structured_output=True).structured_output == "json_schema"
        assert GenerationConfig(structured_output=False).structured_output == "off"
        assert GenerationConfig(structured_output="json_object").structured_output == "json_object"
        with pytest.raises(ValidationError, match="structured_output"):
            GenerationConfig(structured_output="yaml")

    def test_the_backend_gets_the_setting(self, fake_llm: FakeLLM) -> None:
        gen = load_generator(GenerationConfig(backend="vllm", base_url=fake_llm.base_url, structured_output=True))
        assert isinstance(gen, OpenAICompatGenerator) and gen.structured_output == "json_schema"


class TestRequest:
    def test_json_schema_response_format_and_instruction(self, fake_llm: FakeLLM) -> None:
        fake_llm.script(Reply(text=_json(("Bệnh viện có hơn 800 giường.", [1]))))
        assert list(_gen(fake_llm).stream(PROMPT)) == ["Bệnh viện có hơn 800 giường [1]."]
        sent = fake_llm.requests[0]
        assert sent["stream"] is True
        assert sent["response_format"] == {
            "type": "json_schema",
            "json_schema": {"name": "cited_answer", "schema": CITED_ANSWER_SCHEMA, "strict": True},
        }
        item = CITED_ANSWER_SCHEMA["properties"]["sentences"]["items"]
        assert item["properties"] == {
            "text": {"type": "string"},
            "sources": {"type": "array", "items": {"type": "integer"}},
        }
        # in the system message: at the end of the user message a small model copied it into its answer
        assert sent["messages"][0]["content"] == f"Hệ thống\n\n{JSON_INSTRUCTION}"
        assert sent["messages"][1:] == list(PROMPT.messages[1:])
        assert PROMPT.messages[0]["content"] == "Hệ thống"  # the prompt itself is untouched

    def test_json_object_form_for_llama_cpp(self, fake_llm: FakeLLM) -> None:
        fake_llm.script(Reply(text=_json(("Bệnh viện có hơn 800 giường.", [1]))))
        list(_gen(fake_llm, "json_object").stream(PROMPT))
        assert fake_llm.requests[0]["response_format"] == {"type": "json_object", "schema": CITED_ANSWER_SCHEMA}

    def test_off_or_without_contexts_nothing_is_asked(self, fake_llm: FakeLLM) -> None:
        fake_llm.script(Reply(text="Câu hỏi độc lập"))
        list(_gen(fake_llm, "off").stream(PROMPT))
        rewrite = Prompt(messages=PROMPT.messages, question="x")  # a follow-up rewrite: no contexts
        assert "".join(_gen(fake_llm).stream(rewrite)) == "Câu hỏi độc lập"
        assert all("response_format" not in r for r in fake_llm.requests)

    def test_a_server_refusing_response_format_is_asked_again_without_it(self, fake_llm: FakeLLM) -> None:
        fake_llm.script(Reply(status=400), Reply(text="Bệnh viện có hơn 800 giường [1]."))
        stream = _gen(fake_llm).stream(PROMPT)
        assert "".join(stream) == "Bệnh viện có hơn 800 giường [1]."
        assert "response_format" in fake_llm.requests[0] and "response_format" not in fake_llm.requests[1]
        assert any("response_format" in n for n in _notes(stream))

    def test_llama_cpp_python_refuses_json_schema_with_a_500_naming_it(self) -> None:
        import httpx2
        import openai

        from aulac_rag.generation.openai_compat import _refuses_format

        def error(status: int, message: str) -> openai.APIStatusError:
            response = httpx2.Response(status, request=httpx2.Request("POST", "http://llm/v1/chat/completions"))
            return openai.APIStatusError(message, response=response, body=None)

        said = "Error code: 500 - {'loc': ('body', 'response_format', 'type'), 'msg': \"Input should be 'text' or 'json_object'\"}"
        assert _refuses_format(error(500, said)) and _refuses_format(error(422, "invalid"))
        assert not _refuses_format(error(500, "out of memory")) and not _refuses_format(error(401, "response_format"))

    def test_other_failures_still_raise(self, fake_llm: FakeLLM) -> None:
        fake_llm.script(Reply(status=401))
        with pytest.raises(GenerationError, match="API key"):
            list(_gen(fake_llm).stream(PROMPT))


class TestStreaming:
    def test_each_sentence_is_released_when_its_object_completes(self, fake_llm: FakeLLM) -> None:
        text = _json(
            ("Bệnh viện có hơn 800 giường bệnh nội trú.", [1]),
            ("Giấy chuyển tuyến dùng được trong 10 ngày làm việc", [2, 2]),
            ("Bệnh mạn tính: đến hết 31 tháng 12 [3]!", []),
        )
        fake_llm.script(Reply(chunks=[text[i : i + 3] for i in range(0, len(text), 3)]))
        stream = _gen(fake_llm).stream(PROMPT)
        assert isinstance(stream, NotedStream)
        assert list(stream) == [
            "Bệnh viện có hơn 800 giường bệnh nội trú [1].",
            " Giấy chuyển tuyến dùng được trong 10 ngày làm việc [2].",
            " Bệnh mạn tính: đến hết 31 tháng 12 [3]!",
        ]
        assert stream.notes == [] and "".join(stream.raw) == text

    def test_out_of_range_sources_are_dropped_and_noted(self, fake_llm: FakeLLM) -> None:
        fake_llm.script(
            Reply(text=_json(("Bệnh viện có 800 giường [9].", [0, 1, 4, -2]), ("Giấy có hạn 10 ngày.", [7, True])))
        )
        stream = _gen(fake_llm).stream(PROMPT)
        assert "".join(stream) == "Bệnh viện có 800 giường [1]. Giấy có hạn 10 ngày."
        assert any("5 nguồn không có" in n for n in _notes(stream))

    def test_truncated_json_keeps_what_is_readable_and_notes_it(self, fake_llm: FakeLLM) -> None:
        full = _json(("Bệnh viện có hơn 800 giường.", [1]), ("Giấy chuyển tuyến có giá trị 10 ngày làm việc.", [2]))
        fake_llm.script(Reply(text=full[: full.index("10 ngày")]))  # cut at max_tokens
        stream = _gen(fake_llm).stream(PROMPT)
        chunks = list(stream)
        assert chunks[0] == "Bệnh viện có hơn 800 giường [1]."  # released before the break
        assert "".join(chunks) == "Bệnh viện có hơn 800 giường [1]. Giấy chuyển tuyến có giá trị."
        assert any(n.startswith("structured_output: Mô hình không trả lời đúng định dạng JSON") for n in _notes(stream))

    @pytest.mark.parametrize(
        ("reply", "expected"),
        [
            ('{"sentences": [{"text": "Bệnh viện có 800 giường", "sources": [1,}]}', "Bệnh viện có 800 giường."),
            ('{"sentences": [', ""),  # nothing readable: nothing passes, not the JSON syntax
            ("{not json at all}", ""),
            ('{"answer": "Bệnh viện có 800 giường"}', ""),  # valid JSON of another shape
        ],
    )
    def test_malformed_json_never_crashes(self, fake_llm: FakeLLM, reply: str, expected: str) -> None:
        fake_llm.script(Reply(text=reply))
        stream = _gen(fake_llm).stream(PROMPT)
        assert "".join(stream) == expected
        assert any("định dạng JSON" in n for n in _notes(stream))

    def test_plain_text_is_passed_through_as_it_streams(self, fake_llm: FakeLLM) -> None:
        fake_llm.script(Reply(chunks=["Bệnh viện ", "có hơn 800 ", "giường."]))
        stream = _gen(fake_llm).stream(PROMPT)
        assert list(stream) == ["Bệnh viện ", "có hơn 800 ", "giường."]
        assert any("định dạng JSON" in n for n in _notes(stream))

    def test_a_fenced_json_block_is_read(self) -> None:
        parser = StructuredAnswer(3)
        text = "```json\n" + _json(("Bệnh viện có 800 giường.", [1])) + "\n```"
        out = "".join(parser.feed(text[i : i + 2]) for i in range(0, len(text), 2)) + parser.finish()
        assert out == "Bệnh viện có 800 giường [1]." and parser.notes == []


def test_sentences_keep_the_boundaries_the_model_gave() -> None:
    parser = StructuredAnswer(3)
    text = _json(("Có giá trị đến hết ngày 31 tháng 12.", [3]), ("Hạn là 31 tháng 12.", []), ("Sau đó hết hạn.", []))
    out = parser.feed(text) + parser.finish()
    # "12." reads as an abbreviation to the rails: a line break keeps the model's boundary
    assert out == "Có giá trị đến hết ngày 31 tháng 12 [3]. Hạn là 31 tháng 12.\nSau đó hết hạn."


def test_copies_of_the_instruction_are_dropped_and_noted() -> None:
    # what Qwen2.5-0.5B did with the instruction at the end of the user message (bench/RESULTS.md §9)
    echo = "Trả lời bằng JSON có khóa 'sentences': mỗi câu của câu trả lời là một phần tử, với 'text' là nội dung câu."
    parser = StructuredAnswer(3)
    out = parser.feed(_json((f"Thẻ BHYT dùng được khi nào? {echo}", [1]), ("Thẻ có giá trị từ ngày đóng tiền.", [2])))
    assert out + parser.finish() == "Thẻ BHYT dùng được khi nào? Thẻ có giá trị từ ngày đóng tiền [2]."
    assert [n.message for n in parser.notes] == [echo_note(1)]
    # an answer about documents and their information is not a copy
    assert render_sentence({"text": "Thông tin này có trong tài liệu của bệnh viện.", "sources": [1]}, 3).echoed == 0


def test_the_not_found_reply_is_never_attributed() -> None:
    # Qwen2.5-0.5B said it in plain text and the attributor sourced it to [1] (bench/RESULTS.md §9)
    from aulac_rag.generation.attribution import CitationAttributor

    text = "Không tìm thấy thông tin này trong các tài liệu hiện có."
    attributor = CitationAttributor([f"{text} Bệnh viện có hơn 800 giường."])
    assert attributor.feed(text) + attributor.flush() == text and attributor.attributed == 0


def test_render_and_salvage_helpers() -> None:
    assert render_sentence({"text": "  Mức   hưởng 80%  ", "sources": [2, 1, 2]}, 3) == ("Mức hưởng 80% [2][1].", 0, 0)
    assert render_sentence({"text": "Danh sách gồm:", "sources": [5, 1]}, 3) == ("Danh sách gồm:", 1, 0)
    assert render_sentence({"text": "Mức [n] hưởng.", "sources": ["2"]}, 3) == ("Mức hưởng [2].", 0, 0)
    assert render_sentence({"text": "Bệnh viện có được thu tiền trước không?", "sources": [1, 2]}, 3) == (
        "Bệnh viện có được thu tiền trước không?",
        0,
        0,
    )
    assert render_sentence({"sources": [1]}, 3) == ("", 0, 0) and render_sentence(42, 3) == ("", 0, 0)
    assert salvage_texts('{"sentences":[{"text":"A \\"b\\" c","sources":[1]},{"text":"Cut here') == [
        'A "b" c',
        "Cut here",
    ]


class TestPipeline:
    def _pipeline(self, fake: FakeLLM) -> AnswerPipeline:
        config = GenerationConfig(
            backend="openai-compatible", base_url=fake.base_url, max_retries=0, timeout_s=5, structured_output=True
        )
        guard = GuardEngine.from_file(
            ROOT / "sandboxes" / "healthcare" / "guardrails.yaml", RailContext(domain="healthcare")
        )
        return AnswerPipeline.from_config(config, TinyRetriever(CITED_HITS), guard=guard, sandbox="hc")

    def test_sources_become_citations_and_the_rails_still_judge(self, fake_llm: FakeLLM) -> None:
        fake_llm.script(
            Reply(
                text=_json(
                    ("Giấy chuyển tuyến có giá trị trong vòng 10 ngày làm việc kể từ ngày ký.", [2]),
                    ("Với bệnh mạn tính thì giấy có giá trị đến hết ngày 31 tháng 12.", [9]),
                    ("Ngoài ra giấy được gia hạn tự động 5 năm.", []),
                )
            )
        )
        stream = self._pipeline(fake_llm).stream(CITED_QUESTION)
        streamed = "".join(stream)
        answer = stream.answer()
        assert "{" not in streamed and "sources" not in answer.answer
        # [2] kept; [9] dropped then attributed to passage 3; "5 năm": no support, replaced by the rail
        assert re.findall(r"\[(\d+)\]", answer.answer) == ["1", "2"]
        assert {c.chunk_id for c in answer.citations} == {"chuyen-tuyen.md#1", "chuyen-tuyen.md#2"}
        assert "5 năm" not in answer.answer and "không đủ căn cứ trong tài liệu" in answer.answer
        rules = {g.rule for g in answer.guardrails}
        assert {"structured_output", "citation_attribution"} <= rules

    def test_invalid_json_falls_back_to_the_plain_path(self, fake_llm: FakeLLM) -> None:
        fake_llm.script(Reply(text='{"sentences": [{"text": "Giấy chuyển tuyến có giá trị trong vòng 10 ngày làm việc'))
        answer = self._pipeline(fake_llm).run(CITED_QUESTION)
        assert answer.answer.startswith("Giấy chuyển tuyến có giá trị trong vòng 10 ngày làm việc [1].")
        notes = {g.rule: g.message or "" for g in answer.guardrails}
        assert "định dạng JSON" in notes["structured_output"] and "citation_attribution" in notes

    def test_the_models_sources_are_verified_against_its_sentences(self, fake_llm: FakeLLM) -> None:
        # a weak model names every passage for every sentence (Qwen2.5-0.5B, bench/RESULTS.md §9)
        text = _json(
            ("Giấy chuyển tuyến có giá trị trong vòng 10 ngày làm việc kể từ ngày ký.", [1, 2, 3]),
            ("Với bệnh mạn tính thì giấy có giá trị đến hết ngày 31 tháng 12.", [1, 2]),
            ("Bệnh viện Âu Lạc có hơn 800 giường bệnh nội trú.", [1]),
        )
        fake_llm.script(Reply(text=text, chunks=[text[i : i + 7] for i in range(0, len(text), 7)]))
        stream = self._pipeline(fake_llm).stream(CITED_QUESTION)
        deltas = list(stream)
        answer = stream.answer()
        assert "".join(deltas) == answer.answer  # no citation was streamed and then taken back
        assert answer.answer.startswith(
            "Giấy chuyển tuyến có giá trị trong vòng 10 ngày làm việc kể từ ngày ký [1]. "
            "Với bệnh mạn tính thì giấy có giá trị đến hết ngày 31 tháng 12 [2]. "
            "Bệnh viện Âu Lạc có hơn 800 giường bệnh nội trú [3]."
        )
        assert [c.chunk_id for c in answer.citations] == ["chuyen-tuyen.md#1", "chuyen-tuyen.md#2", "gioi-thieu.md#0"]
        assert [c.quote for c in answer.citations] == [h.text for h in CITED_HITS[1:]] + [CITED_HITS[0].text]
        notes = {g.rule: g.message or "" for g in answer.guardrails}
        assert notes["citation_verification"].startswith("Đã bỏ 4 nguồn") and "citation_attribution" not in notes


def test_a_range_written_inside_the_text_names_every_passage_it_spans() -> None:
    # read as the citation filter reads it (1, 2, 3), not as its two ends
    rendered = render_sentence({"text": "Mức hưởng là 80% [1-3].", "sources": []}, 3)
    assert rendered == ("Mức hưởng là 80% [1][2][3].", 0, 0)
