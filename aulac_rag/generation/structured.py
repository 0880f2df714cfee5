"""Structured output: the model answers in JSON sentences with their sources, rendered as ``text [n].``

With ``generation.structured_output`` the openai-compatible backend asks for
``{"sentences": [{"text": str, "sources": [int]}]}`` (``response_format`` with a JSON schema, which
vLLM and llama.cpp enforce by constrained decoding) and :class:`StructuredAnswer` turns the JSON
back into the usual answer text: each sentence followed by its sources as ``[n]`` before its full
stop, sources outside ``1..len(contexts)`` dropped, sentences joined by a space (a line break where
the rails would not see the model's boundary). The rest of the pipeline is unchanged: the
attributor (which keeps only the sources whose passage supports their sentence), the citation rail
and the output rails judge the rendered text.

Streaming: the JSON is parsed incrementally: each sentence is released as soon as its object is
complete, so the answer still streams, one sentence at a time.

A reply that is not the expected JSON never crashes and never passes unchecked: a reply that does
not start with ``{`` is passed through as it streams, as a plain answer; broken or truncated JSON
gives the ``"text"`` values that can still be read (the raw text when there are none), without
sources. Either way the attributor and the citation rail judge it as any plain answer, and a
note (``structured_output``) says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from aulac_rag.generation.citations import CITATION_GROUP, cited_numbers
from aulac_rag.generation.lexical import relevance
from aulac_rag.guardrails.rails.answer_rails import sentence_end, split_sentences

SCHEMA_NAME = "cited_answer"

#: The JSON schema of a cited answer (strict: every property required, nothing else allowed).
CITED_ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "sentences": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "text": {"type": "string"},
                    "sources": {"type": "array", "items": {"type": "integer"}},
                },
                "required": ["text", "sources"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["sentences"],
    "additionalProperties": False,
}

#: Appended to the system message so the model knows what the JSON means (the schema alone
#: constrains its form, not its content). At the end of the user message a 0.5B model copied it
#: into its answer (bench/RESULTS.md §9); copies are dropped anyway (:func:`render_sentence`).
JSON_INSTRUCTION = (
    'Trả lời bằng JSON có khóa "sentences": mỗi câu của câu trả lời là một phần tử, với "text" là nội dung câu '
    '(thông tin lấy từ tài liệu) và "sources" là danh sách số thứ tự các đoạn tài liệu chứa thông tin của câu đó.'
)

NOT_JSON_NOTE = (
    "Mô hình không trả lời đúng định dạng JSON đã yêu cầu; câu trả lời được kiểm tra nguồn như văn bản thường."
)
UNSUPPORTED_NOTE = "Máy chủ mô hình không nhận response_format (structured output); câu trả lời được sinh và kiểm tra như văn bản thường."


def dropped_note(count: int) -> str:
    return f"Mô hình ghi {count} nguồn không có trong các đoạn tài liệu; các nguồn đó đã bị bỏ."


def echo_note(count: int) -> str:
    return f"Đã bỏ {count} câu mô hình chép lại từ hướng dẫn định dạng, không phải nội dung trả lời."


def response_format(kind: str) -> dict[str, Any]:
    """The ``response_format`` of a chat completions request: ``json_schema`` (OpenAI, vLLM) or
    ``json_object`` with ``schema`` (llama-cpp-python's server, which does not take the former)."""
    if kind == "json_object":
        return {"type": "json_object", "schema": CITED_ANSWER_SCHEMA}
    return {"type": "json_schema", "json_schema": {"name": SCHEMA_NAME, "schema": CITED_ANSWER_SCHEMA, "strict": True}}


def with_json_instruction(messages: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    """``messages`` with :data:`JSON_INSTRUCTION` added to the system message (or, without one, the last user message)."""
    out = [dict(m) for m in messages]
    systems = [m for m in out if m.get("role") == "system"]
    users = [m for m in out if m.get("role") == "user"]
    target = systems[0] if systems else users[-1] if users else None
    if target is not None:
        target["content"] = f"{target.get('content', '')}\n\n{JSON_INSTRUCTION}"
    return out


#: A sentence whose syllable pairs are at least this share the instruction's is a copy of it, not an answer.
ECHO_SHARE = 0.5


def without_instruction(text: str) -> tuple[str, int]:
    """``text`` without the sentences that copy :data:`JSON_INSTRUCTION`, and how many were dropped."""
    kept, dropped = [], 0
    for sentence in split_sentences(text):
        if len(sentence.split()) >= 4 and relevance(sentence, JSON_INSTRUCTION) >= ECHO_SHARE:
            dropped += 1
        else:
            kept.append(sentence.strip())
    return (" ".join(kept), dropped) if dropped else (text, 0)


@dataclass(frozen=True)
class StreamNote:
    """Something a backend noticed while streaming, shown with the answer (``rule``: what kind)."""

    rule: str
    message: str


class NotedStream(Iterator[str]):
    """Text chunks and the :class:`StreamNote` s recorded while producing them (complete once exhausted).

    ``raw`` is the model's own text (the JSON) as it arrived. ``close()`` closes the underlying
    stream (and so the HTTP connection).
    """

    def __init__(self) -> None:
        self.notes: list[StreamNote] = []
        self.raw: list[str] = []
        self._chunks: Iterator[str] | None = None

    def attach(self, chunks: Iterator[str]) -> NotedStream:
        self._chunks = chunks
        return self

    def __next__(self) -> str:
        if self._chunks is None:
            raise StopIteration
        return next(self._chunks)

    def close(self) -> None:
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()


_HEAD = re.compile(r'\s*\{\s*"sentences"\s*:\s*\[')
_FENCE = re.compile(r"\s*```[a-zA-Z]*[ \t]*\n")
_INLINE_CITATION = re.compile(rf"\s*{CITATION_GROUP}")
_PLACEHOLDER = re.compile(r"\s*\[\s*(?:n|N|k|x|số|\.\.\.|…)\s*\]")
_TEXT_VALUE = re.compile(r'"text"\s*:\s*"((?:[^"\\]|\\.)*)', re.DOTALL)
_CLOSING = ".!?…"


def _numbers(value: Any) -> list[int]:
    if not isinstance(value, list):
        value = [value]
    out = []
    for v in value:
        if isinstance(v, bool):
            continue
        if isinstance(v, int):
            out.append(v)
        elif isinstance(v, str) and v.strip().strip("[]").strip().isdigit():
            out.append(int(v.strip().strip("[]").strip()))
    return out


class Rendered(NamedTuple):
    text: str  # the sentence with its citations ("" when nothing is left)
    dropped: int = 0  # sources outside the contexts
    echoed: int = 0  # sentences that copied the instruction


def render_sentence(item: Any, n_contexts: int) -> Rendered:
    """One JSON sentence as answer text with ``[n]`` before its full stop.

    ``[n]`` the model wrote inside ``text`` count as sources too; placeholders (``[n]``) are removed;
    sentences copying the JSON instruction are dropped; a question or a heading ("…sau:") gets no
    sources, as the citation rail counts no claim there (small models echo the user's question,
    citing every passage).
    """
    if isinstance(item, str):
        item = {"text": item, "sources": []}
    if not isinstance(item, dict):
        return Rendered("")
    text = item.get("text")
    if not isinstance(text, str):
        return Rendered("")
    cited = _numbers(item.get("sources", []))
    for m in _INLINE_CITATION.finditer(text):
        cited += cited_numbers(m.group(0))
    text = _PLACEHOLDER.sub("", _INLINE_CITATION.sub("", text))
    text, echoed = without_instruction(" ".join(text.split()))
    sources = list(dict.fromkeys(n for n in cited if 1 <= n <= n_contexts))
    dropped = len({n for n in cited if not 1 <= n <= n_contexts})
    if not text:
        return Rendered("", dropped, echoed)
    if text[-1] not in _CLOSING + ":;":
        text += "."
    if not sources or text.endswith(("?", ":")):  # no claim (the citation rail's rule): often the question, echoed
        return Rendered(text, dropped, echoed)
    body = text.rstrip(_CLOSING)
    marks = "".join(f"[{n}]" for n in sources)
    return Rendered(f"{body} {marks}{text[len(body) :]}", dropped, echoed)


def salvage_texts(raw: str) -> list[str]:
    """The ``"text"`` values readable in broken JSON (the last one may be cut off)."""
    out = []
    for m in _TEXT_VALUE.finditer(raw):
        value = m.group(1)
        if value.endswith("\\") and not value.endswith("\\\\"):
            value = value[:-1]
        try:
            value = json.loads(f'"{value}"')
        except ValueError:
            pass
        value = " ".join(value.split())
        if value:
            out.append(value)
    return out


class StructuredAnswer:
    """Incremental reader of the model's JSON: :meth:`feed` chunks, :meth:`finish` at the end.

    Both return answer text to release (rendered sentences joined by spaces). ``notes`` says what
    went wrong, if anything; ``dropped`` counts sources outside the contexts.
    """

    def __init__(self, n_contexts: int) -> None:
        self.n_contexts = n_contexts
        self.notes: list[StreamNote] = []
        self.dropped = 0
        self.echoed = 0  # sentences dropped as copies of the instruction
        self.sentences = 0  # rendered and released
        self._buf = ""
        self._pos = 0
        self._items = 0  # array items consumed
        self._last = ""  # the last sentence released
        self._state = "start"  # start | items | tail | whole (decide at the end) | raw (plain text)

    def feed(self, chunk: str) -> str:
        self._buf += chunk
        if self._state == "raw":
            return chunk
        if self._state == "start":
            self._start()
            if self._state == "raw":
                return self._buf
        out = []
        while self._state == "items":
            rendered = self._next_item()
            if rendered is None:
                break
            if rendered:
                out.append(rendered)
        return "".join(out)

    def finish(self) -> str:
        if self._state == "raw":
            self._note(NOT_JSON_NOTE)
            return ""
        text = self._buf
        fence = _FENCE.match(text)
        if fence:
            text = text[fence.end() :].rstrip().removesuffix("```")
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        items = data.get("sentences") if isinstance(data, dict) else None
        if isinstance(items, list):
            rendered = [self._render(item) for item in items[self._items :]]
            self._items = len(items)
            out = "".join(r for r in rendered if r)
            self._finish_notes()
            return out
        # not the JSON asked for: what can be read of it, without sources, for attribution and the rails
        self._note(NOT_JSON_NOTE)
        texts = salvage_texts(self._buf[self._pos :] if self._state in ("items", "tail") else self._buf)
        if not texts and self.sentences == 0 and not self._buf.lstrip().startswith(("{", "[", "```")):
            texts = [" ".join(self._buf.split())]
        out = "".join(self._render({"text": t, "sources": []}) for t in texts)
        self._finish_notes()
        return out

    # -- internals ------------------------------------------------------------------------
    def _start(self) -> None:
        rest = self._buf[self._pos :]
        if not rest.strip():
            return
        stripped = rest.lstrip()
        if stripped.startswith("`"):
            fence = _FENCE.match(rest)
            if fence is None:
                if len(stripped) > 16:  # a fence line without a newline: not JSON
                    self._state = "whole"
                return
            self._pos += fence.end()
            rest = self._buf[self._pos :]
            if not rest.strip():
                return
            stripped = rest.lstrip()
        elif not stripped.startswith("{"):
            self._state = "raw"
            return
        head = _HEAD.match(rest)
        if head:
            self._pos += head.end()
            self._state = "items"
        elif len(re.sub(r"\s", "", rest)) >= len('{"sentences":['):
            self._state = "whole"  # JSON of another shape: decided when complete

    def _next_item(self) -> str | None:
        """The next complete item rendered ('' when it renders to nothing), or None to wait for more."""
        buf, pos = self._buf, self._pos
        while pos < len(buf) and (buf[pos].isspace() or buf[pos] == ","):
            pos += 1
        self._pos = pos
        if pos >= len(buf):
            return None
        if buf[pos] == "]":
            self._pos += 1
            self._state = "tail"
            return None
        if buf[pos] != "{":
            self._state = "whole"
            return None
        if "}" not in buf[pos:]:
            return None
        try:
            item, end = json.JSONDecoder().raw_decode(buf, pos)
        except ValueError:
            return None  # incomplete (or broken: then finish() decides)
        self._pos = end
        self._items += 1
        return self._render(item)

    def _render(self, item: Any) -> str:
        rendered = render_sentence(item, self.n_contexts)
        self.dropped += rendered.dropped
        self.echoed += rendered.echoed
        return self._join(rendered.text)

    def _join(self, text: str) -> str:
        """``text`` with what separates it from the sentence before: a space, or a line break where the
        rails would not see a boundary ("… tháng 12. Sau đó": "12." reads as an abbreviation)."""
        if not text:
            return ""
        self.sentences += 1
        last, self._last = self._last, text
        if self.sentences == 1:
            return text
        return f" {text}" if sentence_end(f"{last} {text}") is not None else f"\n{text}"

    def _note(self, message: str) -> None:
        if all(n.message != message for n in self.notes):
            self.notes.append(StreamNote("structured_output", message))

    def _finish_notes(self) -> None:
        if self.dropped:
            self._note(dropped_note(self.dropped))
        if self.echoed:
            self._note(echo_note(self.echoed))
