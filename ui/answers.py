"""How an answer is shown: one badge row, the reply in the box its kind calls for, numbered citations and feedback.

Every answer is drawn in the same frame (badge row, body, sources), live while it streams and
again from the history, so nothing jumps when the answer completes. The kind decides the body:

- an answer from the documents: its text under a short badge saying how it was written;
- not found: a calm note with the sandbox's next step;
- out of the sandbox's scope: a neutral note with example questions to click;
- blocked (an attack or a harmful request): one firm error box;
- a crisis (escalated): one warning, hotlines first as tap-to-call links; no badge, no rating.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Literal

import streamlit as st

from aulac_rag.errors import AulacError
from aulac_rag.generation import is_not_found
from aulac_rag.pipeline import Answer, GuardrailNote, Source
from aulac_rag.ui.common import Context

Kind = Literal["answer", "not_found", "out_of_scope", "blocked", "crisis"]

#: how the text was written, as a short badge (never cut off: one markdown line, no columns)
MODE_BADGES = {
    "llm": ":blue-badge[:material/psychology: AI tóm tắt từ tài liệu]",
    "extractive": ":orange-badge[:material/format_quote: Trích nguyên văn từ tài liệu]",
}
PENDING_BADGE = ":gray-badge[:material/hourglass_top: Đang soạn câu trả lời…]"
#: a reply that arrives at once (quoted sentences take milliseconds) is shown word by word within this time
PACE_WORD_S = 0.015
PACE_BUDGET_S = 1.0
RATINGS = {1: "up", 0: "down"}  # st.feedback("thumbs"): 0 = 👎, 1 = 👍
RATING_ICONS = {"up": ":material/thumb_up:", "down": ":material/thumb_down:"}

#: Vietnamese hotline and emergency numbers: 111–115, 1800/1900 lines, 10-digit numbers starting with 0
_PHONE = re.compile(r"(?<![\d/.,])(11[1-5]|1[89]00(?:[ .]?\d){4,6}|0\d{2}(?:[ .]?\d){7})(?!\d|[/.,]\d)")


def paced(chunks: Iterable[str], word_s: float = PACE_WORD_S, budget_s: float = PACE_BUDGET_S) -> Iterator[str]:
    """The stream's text as it comes, each chunk word by word at a reading pace (a model's slower
    stream passes as it arrives); after ``budget_s`` of pauses, chunks pass whole."""
    spent = 0.0
    for chunk in chunks:
        for piece in re.findall(r"\s*\S+\s*|\s+", chunk) if spent < budget_s else [chunk]:
            yield piece
            if spent < budget_s:
                time.sleep(word_s)
                spent += word_s


def stop_note(answer: Answer) -> GuardrailNote | None:
    """The input rule that stopped the question (escalate first), if any."""
    for action in ("escalate", "block"):
        for note in answer.guardrails:
            if note.action == action:
                return note
    return None


def _out_of_scope(note: GuardrailNote) -> bool:
    return "scope" in re.split(r"[._]", note.rule) or note.rule.endswith("out_of_scope")


def answer_kind(answer: Answer) -> Kind:
    """What the reply is, which decides how it is shown (see the module docstring)."""
    stopped = stop_note(answer)
    if stopped is not None and stopped.action == "escalate":
        return "crisis"
    if stopped is not None:
        return "out_of_scope" if _out_of_scope(stopped) else "blocked"
    if is_not_found(answer.answer.strip()):
        return "not_found"
    return "answer"


def phone_links(text: str) -> str:
    """``text`` with each hotline number as a Markdown ``tel:`` link (tap to call on a phone)."""
    return _PHONE.sub(lambda m: f"[{m.group(1)}](tel:{re.sub(r'[ .]', '', m.group(1))})", text)


def hotlines(text: str) -> list[str]:
    """The hotline numbers in ``text``, in order, each once."""
    seen: list[str] = []
    for m in _PHONE.finditer(text):
        if m.group(1) not in seen:
            seen.append(m.group(1))
    return seen


def badges_markdown(answer: Answer) -> str:
    """The answer's badge row: how it was written, for answers from the documents only."""
    if answer_kind(answer) != "answer":
        return ""
    return MODE_BADGES.get(answer.mode, f":gray-badge[{answer.mode}]")


def _same(a: str, b: str) -> bool:
    fold = lambda s: " ".join(unicodedata.normalize("NFC", s).casefold().split()).rstrip("?.! ")  # noqa: E731
    return fold(a) == fold(b)


def render_understood(answer: Answer, question: str) -> None:
    """A follow-up rewritten before the search: show what was searched, in small text."""
    searched = answer.standalone_question.strip()
    if searched and question and not _same(searched, question) and answer_kind(answer) in ("answer", "not_found"):
        st.caption(f":material/manage_search: Đã hiểu câu hỏi là: *{searched}*")


def render_notes(answer: Answer, stopped: GuardrailNote | None) -> None:
    """Masking and other notices, each once (a stopped question shows only its one box)."""
    if stopped is not None:
        return
    shown: set[str] = set()
    for note in answer.guardrails:
        if not note.message or note.message in shown or note.rule == "no_context":
            continue  # several rules often give the same reply: show it once
        shown.add(note.message)
        if note.action == "redact":
            st.info(note.message, icon=":material/lock:" if "pii" in note.rule else ":material/content_cut:")
        elif note.action in ("flag", "notice"):
            st.info(note.message, icon=":material/info:")


def render_body(
    answer: Answer,
    titles: dict[str, str],
    examples: Sequence[str] = (),
    on_example: Callable[[str], None] | None = None,
    key: str = "",
) -> None:
    """The reply itself, in the box its kind calls for."""
    kind = answer_kind(answer)
    stopped = stop_note(answer)
    message = (stopped.message if stopped is not None else None) or answer.answer
    if kind == "crisis":
        numbers = hotlines(message)
        first = " · ".join(phone_links(n) for n in numbers)
        call = f"**Gọi ngay:** {first}\n\n" if numbers else ""
        st.warning(f"**Cần hỗ trợ ngay.** {call}{phone_links(message)}", icon=":material/emergency:")
    elif kind == "blocked":
        st.error(message, icon=":material/block:")
    elif kind == "out_of_scope":
        st.info(message, icon=":material/explore:")
        render_examples(examples, on_example, key, "Bạn có thể hỏi, ví dụ:")
    elif kind == "not_found":
        first, _, hint = answer.answer.strip().partition(". ")
        text = f"**{first.rstrip('.')}.**" + (f"\n\n{phone_links(hint)}" if hint else "")
        st.info(text, icon=":material/search_off:")
    else:
        render_notes(answer, stopped)
        st.markdown(linked_markers(answer.answer, answer, titles, key))


def render_examples(examples: Sequence[str], on_example: Callable[[str], None] | None, key: str, label: str) -> None:
    """Example questions as buttons that ask them."""
    if not examples:
        return
    st.caption(label)
    for i, question in enumerate(examples):
        st.button(
            question,
            key=f"example_{key}_{i}",
            icon=":material/chat_bubble:",
            type="tertiary",
            on_click=on_example,
            args=(question,),
            disabled=on_example is None,
        )


def source_key(key: str, i: int) -> str:
    """The widget key (and ``st-key-…`` class) of the ``i``-th cited document of turn ``key``."""
    return f"nguon_{key}_{i}"


def document_title(source: Source, titles: dict[str, str]) -> str:
    """A cited document's name: its title, else its first cited passage's heading, else its id."""
    return titles.get(source.doc_id) or source.passages[0].title or source.doc_id


def linked_markers(text: str, answer: Answer, titles: dict[str, str], key: str) -> str:
    """``text`` with each valid ``[n]`` as a link to its document's entry under "Nguồn trích dẫn"
    (the page's script opens it and scrolls to it; the link's tooltip names the document)."""
    where: dict[int, tuple[str, str]] = {}
    for i, source in enumerate(answer.sources(), 1):
        title = document_title(source, titles).replace('"', "'")
        for n in source.numbers:
            where[n] = (source_key(key, i), title)

    def link(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if n not in where:
            return m.group(0)
        anchor, title = where[n]
        return f'[\\[{n}\\]](#{anchor} "{title}")'

    return re.sub(r"\[(\d+)\]", link, text)


def render_citations(answer: Answer, titles: dict[str, str], key: str = "") -> None:
    """One entry per document, in the order of first use, with the numbers that cite it and the
    quoted passages (each with its article or section) inside."""
    sources = answer.sources()
    if not sources:
        return
    st.markdown("**Nguồn trích dẫn**")
    for i, source in enumerate(sources, 1):
        document = document_title(source, titles)
        numbers = " ".join(f"[{n}]" for n in source.numbers)
        with st.expander(f"{numbers} {document}", key=source_key(key, i)):
            st.markdown(f"**Tài liệu:** {document}  \n`{source.doc_id}`")
            for c in source.passages:
                where = f" — {c.title}" if c.title and c.title != document else ""
                st.markdown(f"**[{c.n}]**{where}")
                st.markdown("\n".join(f"> {line}" for line in c.quote.splitlines() if line.strip()) or "> …")


def render_answer(
    answer: Answer,
    titles: dict[str, str],
    question: str = "",
    *,
    examples: Sequence[str] = (),
    on_example: Callable[[str], None] | None = None,
    key: str = "",
    slots: tuple[Any, Any] | None = None,
) -> None:
    """Draw the answer in its frame: badge row, body, sources.

    ``slots``: the badge row and body placeholders (``st.empty()``) already drawn while it streamed.
    """
    badges, body = slots if slots is not None else (st.empty(), st.empty())
    row = badges_markdown(answer)
    if row:
        badges.markdown(row)
    else:
        badges.empty()
    with body.container():
        render_understood(answer, question)
        render_body(answer, titles, examples, on_example, key)
    render_citations(answer, titles, key)


def wants_feedback(answer: Answer) -> bool:
    """No rating buttons under a crisis reply."""
    return answer_kind(answer) != "crisis"


def render_feedback(ctx: Context, turn: dict[str, Any]) -> None:
    """👍/👎 with an optional comment, saved through the client once the user sends it."""
    turn_id = turn["id"]
    if turn.get("feedback"):
        st.caption(f"{RATING_ICONS[turn['feedback']]} Đã ghi nhận đánh giá của bạn. Cảm ơn!")
        return
    choice = st.feedback("thumbs", key=f"fb_{turn_id}")
    if choice is None:
        return
    rating = RATINGS[choice]
    comment = st.text_input("Góp ý thêm (không bắt buộc)", key=f"fb_comment_{turn_id}")
    if st.button("Gửi đánh giá", key=f"fb_send_{turn_id}", icon=RATING_ICONS[rating]):
        answer: Answer = turn["answer"]
        try:
            ctx.client.add_feedback(turn["sandbox"], turn["question"], answer.answer, rating, comment, ctx.access)
        except AulacError as exc:
            st.warning(f"Chưa lưu được đánh giá: {exc}")
            return
        turn["feedback"] = rating
        st.rerun()
