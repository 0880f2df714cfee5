"""How answers look, on hand-made Answers: mode badges and each kind of guardrail outcome."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def show(answer_dict: dict) -> AppTest:
    def script(data: dict) -> None:
        from aulac_rag.pipeline import Answer
        from aulac_rag.ui.answers import render_answer

        render_answer(Answer.from_dict(data), {"luat-bhyt.md": "Luật Bảo hiểm y tế"})

    at = AppTest.from_function(script, args=(answer_dict,), default_timeout=30).run()
    assert not at.exception, at.exception
    return at


BASE = {
    "answer": "Người bệnh được hưởng 80% chi phí [1].",
    "citations": [
        {
            "n": 1,
            "doc_id": "luat-bhyt.md",
            "chunk_id": "luat-bhyt.md#2",
            "title": "Điều 22. Mức hưởng",
            "quote": "Được hưởng 80% chi phí.",
        }
    ],
    "guardrails": [],
    "mode": "llm",
    "refused": False,
}


def test_llm_badge_and_citation_passage() -> None:
    at = show(BASE)
    md = [m.value for m in at.markdown]
    assert ":blue-badge[:material/psychology: Chế độ: LLM]" in md
    assert "Người bệnh được hưởng 80% chi phí [1]." in md
    [expander] = at.expander
    assert expander.label == "[1] Luật Bảo hiểm y tế"
    inside = [m.value for m in expander.markdown]
    assert any("Luật Bảo hiểm y tế" in v and "luat-bhyt.md" in v for v in inside)
    assert "**Điều / mục:** Điều 22. Mức hưởng" in inside
    assert "> Được hưởng 80% chi phí." in inside


def test_extractive_badge() -> None:
    at = show(dict(BASE, mode="extractive"))
    assert ":orange-badge[:material/format_quote: Chế độ: Trích xuất]" in [m.value for m in at.markdown]


def test_blocked_is_an_error_box_without_the_answer_repeated() -> None:
    message = "Xin lỗi, tôi không thể làm theo yêu cầu này."
    at = show(
        dict(
            BASE,
            answer=message,
            citations=[],
            refused=True,
            guardrails=[{"rule": "injection", "action": "block", "message": message}],
        )
    )
    assert len(at.error) == 1 and message in at.error[0].value
    assert not at.warning and not at.expander
    assert message not in [m.value for m in at.markdown]


def test_escalated_is_a_warning_with_the_hotline() -> None:
    message = "Hãy gọi ngay 115. Đường dây nóng Bộ Y tế: 1900 9095."
    at = show(
        dict(
            BASE,
            answer=message,
            citations=[],
            refused=True,
            guardrails=[{"rule": "self_harm", "action": "escalate", "message": message}],
        )
    )
    assert len(at.warning) == 1 and "1900 9095" in at.warning[0].value
    assert not at.error


def test_pii_and_notices_are_info_notes() -> None:
    notes = [
        {"rule": "pii", "action": "redact", "message": "Thông tin cá nhân đã được che."},
        {"rule": "llm_fallback", "action": "notice", "message": "LLM không phản hồi; đã dùng câu trả lời trích xuất."},
        {"rule": "disclaimer", "action": "allow", "message": None},
    ]
    at = show(dict(BASE, guardrails=notes))
    infos = [i.value for i in at.info]
    assert "Thông tin cá nhân đã được che." in infos
    assert any("trích xuất" in i for i in infos)
    assert not at.error and not at.warning
