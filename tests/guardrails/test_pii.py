"""PII detection: exact spans per type, checksums, overlaps, masks."""

from __future__ import annotations

import pytest

from aulac_rag.guardrails.pii import MASKS, PiiDetector, PiiSpan, resolve_overlaps


def spans(text: str) -> list[tuple[str, str]]:
    return [(s.type, text[s.start : s.end]) for s in PiiDetector().find(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CCCD của tôi là 001095012345.", [("cccd", "001095012345")]),
        ("Số CCCD 079 095 012 345", [("cccd", "079 095 012 345")]),
        ("CMND 012345678 hết hạn", [("cmnd", "012345678")]),
        ("Gọi 0912 345 678 nhé", [("phone", "0912 345 678")]),
        ("SĐT +84 912.345.678 hoặc 84987654321", [("phone", "+84 912.345.678"), ("phone", "84987654321")]),
        ("số 0387-123-456", [("phone", "0387-123-456")]),
        ("Email: lan.tran89@gmail.com.", [("email", "lan.tran89@gmail.com")]),
        ("Thẻ BHYT DN4797912345678 của mẹ", [("bhyt", "DN4797912345678")]),
        ("MST công ty: 0100233488", [("mst", "0100233488")]),
        ("MST chi nhánh 0314409058-002", [("mst", "0314409058-002")]),
        ("STK Vietcombank 0123456789012, chủ tài khoản Trần Thị Bích Ngọc", [("bank_account", "0123456789012"), ("name", "Trần Thị Bích Ngọc")]),
        ("số tài khoản của tôi là 1903 4567 8901 23 tại Techcombank", [("bank_account", "1903 4567 8901 23")]),
        (
            "Tôi tên là Nguyễn Văn A, nhà ở 12 Lê Lợi, phường Bến Nghé, quận 1, TP.HCM, tôi bị đau đầu.",
            [("name", "Nguyễn Văn A"), ("address", "12 Lê Lợi, phường Bến Nghé, quận 1, TP.HCM")],
        ),
        ("nha o so 5 ngo 10 pho Hue, Ha Noi", [("address", "so 5 ngo 10 pho Hue, Ha Noi")]),
    ],
)
def test_exact_spans(text: str, expected: list[tuple[str, str]]) -> None:
    assert spans(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Gọi 115 hoặc Đường dây nóng Bộ Y tế 1900 9095",
        "Vay 500000000 đồng trong 150.000.000 kỳ",
        "Đường Trần Hưng Đạo ở TP Hồ Chí Minh có bệnh viện nào?",
        "Gợi ý quán cà phê ở quận 3",
        "tôi ở 3 ngày",
        "Em tên là Mai, học lớp 10",
    ],
)
def test_no_false_positives(text: str) -> None:
    assert spans(text) == []


def test_mst_checksum_rejects_bad_code() -> None:
    assert spans("mã số thuế 0100233488") == [("mst", "0100233488")]
    assert spans("mã số thuế 0100233489") == []
    # a phone-shaped tax code in tax context is a tax code, not a phone number
    assert spans("MST 0315123453") == [("mst", "0315123453")]
    assert spans("MST 0315123454") == []


def test_overlaps_resolved_by_context_then_length() -> None:
    # 12 digits: a CCCD, never also a phone number starting with 079…
    assert spans("079203004567") == [("cccd", "079203004567")]
    # the same 12 digits after "STK" are an account number
    assert spans("STK 079203004567") == [("bank_account", "079203004567")]
    chosen = resolve_overlaps([PiiSpan("phone", 0, 10, "x", 2), PiiSpan("cccd", 0, 12, "x", 2), PiiSpan("mst", 0, 10, "x", 1)])
    assert [s.type for s in chosen] == ["cccd"]


def test_mask_and_types_filter() -> None:
    text = "CCCD 001095012345, email a.b@c.vn, SĐT 0912345678"
    assert PiiDetector().mask(text) == "CCCD [CCCD], email [EMAIL], SĐT [SĐT]"
    only_email = PiiDetector(["email"])
    assert only_email.mask(text) == "CCCD 001095012345, email [EMAIL], SĐT 0912345678"
    assert set(MASKS) >= {"cccd", "cmnd", "phone", "email", "bhyt", "mst", "bank_account", "name", "address"}
    with pytest.raises(ValueError, match="unknown PII types"):
        PiiDetector(["passport"])
