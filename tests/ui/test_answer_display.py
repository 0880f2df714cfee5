"""How answers look, on hand-made Answers: mode badges and each kind of reply (answer, not found,
out of scope, blocked, crisis)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def show(answer_dict: dict, question: str = "") -> AppTest:
    def script(data: dict, question: str) -> None:
        from aulac_rag.pipeline import Answer
        from aulac_rag.ui.answers import render_answer

        examples = ["Gửi tiết kiệm có được bảo hiểm không?", "Lãi chậm trả tính thế nào?"]
        render_answer(
            Answer.from_dict(data),
            {"luat-bhyt.md": "Luật Bảo hiểm y tế"},
            question,
            examples=examples,
            on_example=print,
        )

    at = AppTest.from_function(script, args=(answer_dict, question), default_timeout=30).run()
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


def markdown(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


def test_llm_badge_and_citation_passage() -> None:
    at = show(BASE)
    md = markdown(at)
    assert ":blue-badge[:material/psychology: AI tóm tắt từ tài liệu]" in md
    # the marker links to its document's entry (the page's script opens it), the tooltip names the document
    assert 'Người bệnh được hưởng 80% chi phí [\\[1\\]](#nguon__1 "Luật Bảo hiểm y tế").' in md
    [expander] = at.expander
    assert expander.label == "[1] Luật Bảo hiểm y tế"
    inside = [m.value for m in expander.markdown]
    assert any("Luật Bảo hiểm y tế" in v and "luat-bhyt.md" in v for v in inside)
    assert "**[1]** — Điều 22. Mức hưởng" in inside
    assert "> Được hưởng 80% chi phí." in inside
    assert not at.caption  # the question was searched as asked: no "Đã hiểu câu hỏi là"


def _citation(n: int, doc: str, title: str, quote: str) -> dict:
    return {"n": n, "doc_id": doc, "chunk_id": f"{doc}#{n}", "title": title, "quote": quote}


def test_citations_are_one_entry_per_document_with_its_passages() -> None:
    answer = dict(
        BASE,
        answer="Hưởng 80% [1]. Trẻ em được 100% [2]. Trái tuyến được 40% [3]. Số [7] không phải trích dẫn.",
        citations=[
            _citation(1, "luat-bhyt.md", "Điều 22. Mức hưởng", "Được hưởng 80% chi phí."),
            _citation(2, "nghi-dinh.md", "Điều 14. Trẻ em", "Trẻ em dưới 6 tuổi hưởng 100%."),
            _citation(3, "luat-bhyt.md", "Điều 22. Mức hưởng (khoản 3)", "Trái tuyến hưởng 40%."),
        ],
    )
    at = show(answer)
    assert [e.label for e in at.expander] == ["[1] [3] Luật Bảo hiểm y tế", "[2] Điều 14. Trẻ em"]
    first = [m.value for m in at.expander[0].markdown]
    assert "**[1]** — Điều 22. Mức hưởng" in first and "**[3]** — Điều 22. Mức hưởng (khoản 3)" in first
    assert "> Trái tuyến hưởng 40%." in first and not any("100%" in v for v in first)
    [body] = [m for m in markdown(at) if m.startswith("Hưởng 80%")]
    assert '[\\[1\\]](#nguon__1 "Luật Bảo hiểm y tế")' in body and "(#nguon__2 " in body
    assert '[\\[3\\]](#nguon__1 "Luật Bảo hiểm y tế")' in body
    assert "Số [7] không phải" in body  # a number that cites nothing stays plain text


def test_extractive_badge_says_the_text_is_quoted() -> None:
    at = show(dict(BASE, mode="extractive"))
    badges = [m for m in markdown(at) if "-badge[" in m]
    assert badges == [":orange-badge[:material/format_quote: Trích nguyên văn từ tài liệu]"]
    assert not any("Trích xuất" in m or "Chế độ" in m for m in markdown(at))


def test_a_rewritten_follow_up_shows_what_was_searched() -> None:
    searched = "Mức hưởng bảo hiểm y tế khi khám trái tuyến là bao nhiêu?"
    at = show(dict(BASE, standalone_question=searched), question="Còn trái tuyến thì sao?")
    assert [c.value for c in at.caption] == [f":material/manage_search: Đã hiểu câu hỏi là: *{searched}*"]
    same = show(dict(BASE, standalone_question="còn trái tuyến thì sao"), question="Còn trái tuyến thì sao?")
    assert not same.caption


def test_blocked_is_one_error_box_without_the_answer_repeated() -> None:
    message = "Xin lỗi, tôi không thể làm theo yêu cầu này."
    at = show(
        dict(
            BASE,
            answer=message,
            citations=[],
            refused=True,
            guardrails=[
                {"rule": "injection", "action": "block", "message": message},
                {"rule": "semantic.injection", "action": "block", "message": message},
            ],
        )
    )
    assert len(at.error) == 1 and message in at.error[0].value
    assert not at.warning and not at.info and not at.expander
    assert message not in markdown(at)
    assert not any("-badge[" in m for m in markdown(at))


def test_stock_tip_refusal_is_one_box_and_says_its_disclaimer_once() -> None:
    tip = "Tôi không thể khuyến nghị bạn mua cổ phiếu cụ thể. Thông tin không phải là lời khuyên đầu tư."
    other = "Tôi không thể hỗ trợ yêu cầu này vì có thể gây hại hoặc vi phạm pháp luật, quy định."
    at = show(
        dict(
            BASE,
            answer=tip,
            citations=[],
            refused=True,
            guardrails=[
                {"rule": "personal_investment_advice", "action": "block", "message": tip},
                {"rule": "semantic.domain_harm", "action": "block", "message": other},
            ],
        )
    )
    assert [e.value for e in at.error] == [tip]
    assert not at.warning and not at.info
    shown = " ".join([e.value for e in at.error] + markdown(at))
    assert shown.count("không phải là lời khuyên đầu tư") == 1 and other not in shown


def test_out_of_scope_is_a_calm_note_with_example_questions() -> None:
    message = "Xin lỗi, trợ lý này chỉ trả lời các câu hỏi về tài chính. Câu hỏi của bạn nằm ngoài phạm vi này."
    for rule in ("semantic.out_of_scope", "scope"):
        at = show(
            dict(
                BASE,
                answer=message,
                citations=[],
                refused=True,
                guardrails=[{"rule": rule, "action": "block", "message": message}],
            )
        )
        assert not at.error and not at.warning, rule
        assert [i.value for i in at.info] == [message]
        assert [b.label for b in at.button] == ["Gửi tiết kiệm có được bảo hiểm không?", "Lãi chậm trả tính thế nào?"]


def test_crisis_is_one_warning_with_tap_to_call_hotlines_and_no_badge() -> None:
    message = "Hãy gọi ngay cấp cứu 115. Đường dây hỗ trợ tâm lý Ngày Mai 096 306 1414, Bộ Y tế 1900 9095."
    at = show(
        dict(
            BASE,
            answer=message,
            citations=[],
            refused=True,
            guardrails=[
                {"rule": "self_harm", "action": "escalate", "message": message},
                {"rule": "semantic.self_harm", "action": "escalate", "message": message},
            ],
        )
    )
    [warning] = at.warning
    assert warning.value.startswith("**Cần hỗ trợ ngay.** **Gọi ngay:** [115](tel:115) · ")
    for link in ("[115](tel:115)", "[096 306 1414](tel:0963061414)", "[1900 9095](tel:19009095)"):
        assert link in warning.value
    assert not at.error and not at.info
    assert not any("-badge[" in m for m in markdown(at))


def test_not_found_is_a_note_with_the_next_step() -> None:
    answer = (
        "Không tìm thấy thông tin này trong các tài liệu hiện có. Bạn có thể hỏi nhân viên y tế nơi bạn khám. "
        "Nếu có dấu hiệu nguy hiểm, hãy gọi 115."
    )
    notice = [{"rule": "no_context", "action": "notice", "message": "Không tìm thấy thông tin này."}]
    at = show(dict(BASE, answer=answer, citations=[], mode="extractive", guardrails=notice))
    [info] = at.info
    assert info.value.startswith("**Không tìm thấy thông tin này trong các tài liệu hiện có.**")
    assert "hỏi nhân viên y tế" in info.value and "[115](tel:115)" in info.value
    assert not at.error and not at.warning
    assert not any("-badge[" in m for m in markdown(at))


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


def test_phone_links() -> None:
    from aulac_rag.ui.answers import hotlines, phone_links

    text = "Gọi 115 hoặc 096 306 1414 (24/7); sốt 39 độ, năm 2024, 1900 9095."
    assert phone_links(text) == (
        "Gọi [115](tel:115) hoặc [096 306 1414](tel:0963061414) (24/7); sốt 39 độ, năm 2024, [1900 9095](tel:19009095)."
    )
    assert hotlines(text + " Gọi 115.") == ["115", "096 306 1414", "1900 9095"]
    assert phone_links("80.115.000 đồng, mức 1150") == "80.115.000 đồng, mức 1150"


def test_paced_stream_yields_every_word_in_order() -> None:
    from aulac_rag.ui.answers import paced

    chunks = ["Người bệnh được hưởng 80% chi phí [1].", " Trẻ em dưới 6 tuổi được hưởng 100% [2].", "\n\nGhi chú."]
    pieces = list(paced(iter(chunks), word_s=0.0))
    assert "".join(pieces) == "".join(chunks)
    assert len(pieces) > len(chunks)  # shown word by word, not in one block
    assert pieces[0] == "Người "
    slow = list(paced(iter(chunks), word_s=0.001, budget_s=0.0))
    assert slow == chunks  # past the pacing budget, chunks pass as they come
