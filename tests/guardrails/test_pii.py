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


def test_mst_checksum_only_matters_without_a_label() -> None:
    # after its label a tax code is masked whatever its checksum (people mistype; the number is still theirs)
    assert spans("mã số thuế 0100233488") == [("mst", "0100233488")]
    assert spans("mã số thuế 0100233489") == [("mst", "0100233489")]
    assert spans("MST 0315123454") == [("mst", "0315123454")]
    assert spans("MST chi nhánh 0314409059-002") == [("mst", "0314409059-002")]
    # a phone-shaped tax code in tax context is a tax code, not a phone number
    assert spans("MST 0315123453") == [("mst", "0315123453")]
    # without a label only a valid checksum makes a 10-digit number a tax code
    assert spans("dãy số 0100233488 là gì") == [("mst", "0100233488")]
    assert spans("dãy số 0100233489 là gì") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Chuyển vào Vietcombank 0011 0023 45678 giúp tôi", [("bank_account", "0011 0023 45678")]),
        ("tài khoản BIDV số 1201.0000.1234.56 bị trừ tiền", [("bank_account", "1201.0000.1234.56")]),
        ("ngân hàng Agribank 1234567890123 của mẹ tôi", [("bank_account", "1234567890123")]),
        ("SĐT 090.123.4567 nhé", [("phone", "090.123.4567")]),
        ("CCCD: ０１２３４５６７８９０１", [("cccd", "０１２３４５６７８９０１")]),
        ("số CMND 0 1 2 3 4 5 6 7 8", [("cmnd", "0 1 2 3 4 5 6 7 8")]),
    ],
)
def test_labelled_numbers_with_spaces_dots_and_full_width(text: str, expected: list[tuple[str, str]]) -> None:
    assert spans(text) == expected


def test_money_after_a_bank_name_is_not_an_account() -> None:
    assert spans("vay Vietcombank 500000000 đồng trong 5 năm") == []


def test_detection_is_linear_in_length() -> None:
    import time

    text = "Nguyễn Văn An, Trần Thị Bình, STK 0123456789, " * 2000  # about 90k characters
    started = time.perf_counter()
    found = PiiDetector().find(text)
    elapsed = time.perf_counter() - started
    assert len(found) >= 6000
    assert elapsed < 20, f"{elapsed:.1f} s for {len(text)} characters"  # was minutes (quadratic look-behinds)


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
