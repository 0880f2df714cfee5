"""Chat: ask the chosen sandbox in Vietnamese; answers stream, with citations, guardrails and feedback."""

from __future__ import annotations

import uuid

import streamlit as st

from aulac_rag.errors import AulacError
from aulac_rag.limits import DEFAULT_LIMITS
from aulac_rag.ui.answers import render_answer, render_feedback
from aulac_rag.ui.common import context

ctx = context()
st.title(":material/chat: Hỏi đáp")
st.caption(f"Sandbox **{ctx.sandbox}** — câu trả lời chỉ dựa trên tài liệu của sandbox và luôn kèm trích dẫn [n].")
try:
    trial = ctx.client.trial(ctx.sandbox)
except AulacError:
    trial = {}
if trial.get("disclosure"):  # people must be able to tell that an AI answers them (Law on AI, Art. 11.1)
    st.info(trial["disclosure"], icon=":material/smart_toy:")
elif trial.get("state") == "development":
    st.caption("Trợ lý AI · " + str(trial.get("message", "")))
if trial and not trial.get("answering", True):
    st.warning(str(trial.get("message", "")), icon=":material/pause_circle:")

conversations: dict[str, list[dict]] = st.session_state.setdefault("conversations", {})
turns = conversations.setdefault(ctx.sandbox, [])

try:
    titles = ctx.client.document_titles(ctx.sandbox)
except AulacError:
    titles = {}

if not turns:
    st.info(
        "Hãy đặt một câu hỏi, ví dụ: *Mức hưởng bảo hiểm y tế khi khám đúng tuyến là bao nhiêu?*",
        icon=":material/lightbulb:",
    )

for turn in turns:
    with st.chat_message("user"):
        st.markdown(turn["question"])
    with st.chat_message("assistant"):
        render_answer(turn["answer"], titles)
        render_feedback(ctx, turn)

if turns and st.button("Xoá lịch sử trò chuyện", icon=":material/delete:", type="tertiary"):
    turns.clear()
    st.rerun()

question = st.chat_input("Nhập câu hỏi bằng tiếng Việt…", max_chars=DEFAULT_LIMITS.max_question_chars)
if question:
    with st.chat_message("user"):
        st.markdown(question)
    with st.chat_message("assistant"):
        history = [(t["question"], t["answer"].answer) for t in turns]
        try:
            with st.spinner("Đang tìm trong tài liệu…"):
                participant = st.session_state.setdefault("participant", f"anon-{uuid.uuid4().hex[:10]}")
                stream = ctx.client.ask(ctx.sandbox, question, history, ctx.access, participant)
            st.write_stream(stream)
            answer = stream.answer()
        except AulacError as exc:
            st.error(f"Không trả lời được: {exc}", icon=":material/error:")
            st.stop()
    turns.append({"id": uuid.uuid4().hex[:12], "sandbox": ctx.sandbox, "question": question, "answer": answer})
    st.rerun()
