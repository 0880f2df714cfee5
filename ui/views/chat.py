"""Chat: ask the chosen sandbox in Vietnamese; answers stream, with citations, guardrails and feedback."""

from __future__ import annotations

import uuid

import streamlit as st

from aulac_rag.errors import AulacError
from aulac_rag.limits import DEFAULT_LIMITS
from aulac_rag.ui.answers import PENDING_BADGE, paced, render_answer, render_examples, render_feedback, wants_feedback
from aulac_rag.ui.common import context, sandbox_label


def ask_example(question: str) -> None:
    st.session_state["pending_question"] = question


ctx = context()
st.title(":material/chat: Hỏi đáp")
st.caption(
    f"Lĩnh vực **{sandbox_label(ctx.sandbox, ctx.sandbox_info.get('domain'))}** — câu trả lời chỉ dựa trên các tài liệu "
    "đã được nạp và luôn ghi nguồn [n]."
)
try:
    trial = ctx.client.trial(ctx.sandbox)
except AulacError:
    trial = {}
if trial.get("disclosure"):  # people must be able to tell that an AI answers them (Law on AI, Art. 11.1)
    st.info(trial["disclosure"], icon=":material/smart_toy:")
elif trial.get("state") == "development":
    st.caption("Trợ lý AI · đang trong giai đoạn phát triển, chưa thử nghiệm chính thức.")
if trial and not trial.get("answering", True):
    st.warning(str(trial.get("message", "")), icon=":material/pause_circle:")

conversations: dict[str, list[dict]] = st.session_state.setdefault("conversations", {})
turns = conversations.setdefault(ctx.sandbox, [])

try:
    titles = ctx.client.document_titles(ctx.sandbox)
except AulacError:
    titles = {}
try:
    examples = ctx.client.examples(ctx.sandbox)
except AulacError:
    examples = []

# read first (the box stays pinned at the bottom): a question on its way hides the empty chat's hints
typed = st.chat_input("Nhập câu hỏi bằng tiếng Việt…", max_chars=DEFAULT_LIMITS.max_question_chars)
question = typed or st.session_state.pop("pending_question", None)

if not turns and not question:
    st.info("Hãy đặt một câu hỏi bằng tiếng Việt về các tài liệu của lĩnh vực này.", icon=":material/lightbulb:")
    render_examples(examples, ask_example, "empty", "Ví dụ, bấm để hỏi:")

for turn in turns:
    with st.chat_message("user"):
        st.markdown(turn["question"])
    with st.chat_message("assistant"):
        render_answer(
            turn["answer"], titles, turn["question"], examples=examples, on_example=ask_example, key=turn["id"]
        )
        if wants_feedback(turn["answer"]):
            render_feedback(ctx, turn)

if turns and st.button("Xoá lịch sử trò chuyện", icon=":material/delete:", type="tertiary"):
    turns.clear()
    st.rerun()

if question:
    with st.chat_message("user"):
        st.markdown(question)
    with st.chat_message("assistant"):
        history = [(t["question"], t["answer"].answer) for t in turns]
        badges, body = st.empty(), st.empty()  # the answer's frame, drawn before any text arrives
        badges.markdown(PENDING_BADGE)
        turn_id = uuid.uuid4().hex[:12]
        try:
            with body.container():
                with st.spinner("Đang tìm trong tài liệu…"):
                    participant = st.session_state.setdefault("participant", f"anon-{uuid.uuid4().hex[:10]}")
                    stream = ctx.client.ask(ctx.sandbox, question, history, ctx.access, participant)
                st.write_stream(paced(stream))
            answer = stream.answer()
        except AulacError as exc:
            badges.empty()
            body.error(f"Không trả lời được: {exc}", icon=":material/error:")
            st.stop()
        render_answer(
            answer, titles, question, examples=examples, on_example=ask_example, key=turn_id, slots=(badges, body)
        )
    turns.append({"id": turn_id, "sandbox": ctx.sandbox, "question": question, "answer": answer})
    st.rerun()
