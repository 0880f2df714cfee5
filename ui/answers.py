"""How an answer is shown: mode badge, guardrail outcomes, the text, numbered citations and feedback."""

from __future__ import annotations

from typing import Any, cast

import streamlit as st

from aulac_rag.errors import AulacError
from aulac_rag.pipeline import Answer, GuardrailNote
from aulac_rag.ui.common import Context

MODE_BADGES = {
    "llm": ("LLM", "blue", ":material/psychology:"),
    "extractive": ("Trích xuất", "orange", ":material/format_quote:"),
}
RATINGS = {1: "up", 0: "down"}  # st.feedback("thumbs"): 0 = 👎, 1 = 👍
RATING_ICONS = {"up": ":material/thumb_up:", "down": ":material/thumb_down:"}


def stop_note(answer: Answer) -> GuardrailNote | None:
    """The input rule that stopped the question (escalate first), if any."""
    for action in ("escalate", "block"):
        for note in answer.guardrails:
            if note.action == action:
                return note
    return None


def render_badges(answer: Answer) -> None:
    label, color, icon = MODE_BADGES.get(answer.mode, (answer.mode, "gray", ":material/help:"))
    cols = st.columns([1, 1, 4], gap="small")
    with cols[0]:
        st.badge(f"Chế độ: {label}", icon=icon, color=cast(Any, color))
    note = stop_note(answer)
    with cols[1]:
        if note is not None and note.action == "escalate":
            st.badge("Chuyển hỗ trợ khẩn cấp", icon=":material/emergency:", color="red")
        elif answer.refused:
            st.badge("Đã từ chối", icon=":material/block:", color="red")


def render_guardrails(answer: Answer) -> None:
    """Blocked: error box. Escalated: warning box with the hotline. Masked or rewritten: info notes."""
    stopped = stop_note(answer)
    if stopped is not None and stopped.action == "escalate":
        st.warning(f"**Cần hỗ trợ ngay.** {stopped.message or answer.answer}", icon=":material/emergency:")
    elif stopped is not None:
        st.error(
            f"**Câu hỏi bị chặn theo chính sách của sandbox.** {stopped.message or answer.answer}",
            icon=":material/block:",
        )
    shown = {stopped.message} if stopped is not None else set()
    for note in answer.guardrails:
        if note is stopped or not note.message or note.message in shown:
            continue  # several rules (a rule and the classifier) often give the same reply: show it once
        shown.add(note.message)
        if note.action == "redact":
            icon = ":material/lock:" if "pii" in note.rule else ":material/content_cut:"
            st.info(note.message, icon=icon)
        elif note.action in ("flag", "notice") and note.rule != "no_context":
            st.info(note.message, icon=":material/info:")
        elif note.action in ("escalate", "block"):
            st.warning(note.message, icon=":material/warning:")


def render_citations(answer: Answer, titles: dict[str, str]) -> None:
    if not answer.citations:
        return
    st.markdown("**Nguồn trích dẫn**")
    for c in answer.citations:
        document = titles.get(c.doc_id) or c.title or c.doc_id
        with st.expander(f"[{c.n}] {document}"):
            st.markdown(f"**Tài liệu:** {document}  \n`{c.doc_id}`")
            if c.title and c.title != document:
                st.markdown(f"**Điều / mục:** {c.title}")
            st.markdown("\n".join(f"> {line}" for line in c.quote.splitlines() if line.strip()) or "> …")


def render_answer(answer: Answer, titles: dict[str, str]) -> None:
    render_badges(answer)
    render_guardrails(answer)
    if stop_note(answer) is None:
        st.markdown(answer.answer)
    render_citations(answer, titles)


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
