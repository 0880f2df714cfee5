"""Output rails: citations, PII echo, disclaimers, forbidden phrasing."""

from __future__ import annotations

from aulac_rag.guardrails import GuardEngine
from aulac_rag.guardrails.rails.answer_rails import split_sentences

CONTEXTS = ["Paracetamol hạ sốt, giảm đau.", "Liều thường dùng theo hướng dẫn."]
NO_BASIS = "không đủ căn cứ trong tài liệu"


def test_uncited_claims_replaced(engines: dict[str, GuardEngine]) -> None:
    answer = "Paracetamol giúp hạ sốt và giảm đau nhẹ [1]. Thuốc này cũng chữa khỏi viêm phổi rất nhanh. Liều dùng theo hướng dẫn trên nhãn. [2]"
    out = engines["general"].check_output(answer, CONTEXTS)
    assert out.text.startswith("Paracetamol giúp hạ sốt và giảm đau nhẹ [1].")
    assert NO_BASIS in out.text and "viêm phổi" not in out.text
    assert "Liều dùng theo hướng dẫn trên nhãn. [2]" in out.text
    assert [r.id for r in out.rules] == ["citations"] and out.rules[0].details["replaced_sentences"] == 1


def test_citation_to_missing_context_is_not_a_citation(engines: dict[str, GuardEngine]) -> None:
    out = engines["general"].check_output("Thuốc này an toàn cho mọi phụ nữ mang thai [7].", CONTEXTS)
    assert NO_BASIS in out.text


def test_extractive_quote_note_is_not_a_claim(engines: dict[str, GuardEngine]) -> None:
    from aulac_rag.generation import QUOTE_NOTE

    answer = f"Paracetamol hạ sốt, giảm đau [1].\n\n{QUOTE_NOTE}"
    for name in ("healthcare", "finance", "general"):
        out = engines[name].check_output(answer, CONTEXTS).text
        assert out.startswith(answer) and NO_BASIS not in out


def test_not_found_reply_untouched(engines: dict[str, GuardEngine]) -> None:
    reply = "Không tìm thấy thông tin này trong các tài liệu hiện có."
    for name in ("healthcare", "finance", "general"):
        assert engines[name].check_output(reply, []).text == reply


def test_pii_echo_masked(engines: dict[str, GuardEngine]) -> None:
    out = engines["general"].check_output("Chúng tôi sẽ gọi lại số 0912345678 của bạn [1].", CONTEXTS)
    assert "0912345678" not in out.text and "[SĐT]" in out.text
    assert engines["general"].mask_pii("CCCD 001095012345") == "CCCD [CCCD]"


def test_disclaimers_appended_once(engines: dict[str, GuardEngine]) -> None:
    health = engines["healthcare"].check_output("Paracetamol hạ sốt [1].", CONTEXTS)
    assert health.text.endswith("Thông tin chỉ mang tính tham khảo, không thay thế chẩn đoán của bác sĩ.")
    again = engines["healthcare"].check_output(health.text, CONTEXTS)
    assert again.text.count("không thay thế chẩn đoán") == 1
    money = engines["finance"].check_output("Tiền gửi được bảo hiểm tới 125 triệu đồng [1].", CONTEXTS)
    assert money.text.endswith("Thông tin không phải là lời khuyên đầu tư.")
    assert "Thông tin không phải" not in engines["education"].check_output("Học phí tính theo tín chỉ [1].", CONTEXTS).text


def test_forbidden_phrasing_rewritten_or_removed(engines: dict[str, GuardEngine]) -> None:
    health = engines["healthcare"].check_output("Với các triệu chứng này, chắc chắn bạn bị viêm phổi [1].", CONTEXTS)
    assert "chắc chắn bạn bị" not in health.text and "có khả năng bạn bị" in health.text
    money = engines["finance"].check_output(
        "Quỹ này cam kết lãi 20% mỗi năm [1]. Lợi nhuận chắc chắn đến từ trái phiếu [2]. Phí quản lý là 1% [1].", CONTEXTS
    )
    assert "cam kết lãi" not in money.text and "Lợi nhuận chắc chắn" not in money.text
    assert "lợi nhuận không được đảm bảo" in money.text and "Phí quản lý là 1% [1]." in money.text
    assert "no_promised_profit" in [r.id for r in money.rules]


def test_sentence_split_keeps_trailing_citations_and_abbreviations() -> None:
    assert split_sentences("Câu một. [1] Câu hai [2].") == ["Câu một. [1] ", "Câu hai [2]."]
    assert len(split_sentences("Bệnh viện ở TP. HCM có nhiều khoa [1].")) == 1
