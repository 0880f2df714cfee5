"""Properties of the PII detector and masker (aulac_rag.guardrails.pii)."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from aulac_rag.guardrails.pii import MASKS, PiiDetector
from tests.properties.strategies import FULLWIDTH_DIGITS, syllables, vi_paragraph, vi_text

DETECTOR = PiiDetector()
_LONGEST_MASK = max(len(m) for m in MASKS.values())

_LABELS = ["STK", "số tài khoản", "Vietcombank", "MST", "mã số thuế", "CCCD", "CMND", "SĐT", "điện thoại", "số thẻ BHYT",
           "Zalo", "họ tên:", "tôi tên là", "địa chỉ:", "nhà ở", "email", "hotline", "Điều 1."]  # fmt: skip
_NUMBERS = st.one_of(
    st.from_regex(r"\A(?:\+84|0)[35789]\d{8}\Z"),
    st.from_regex(r"\A0\d{2}[ .]\d{3}[ .]\d{4}\Z"),
    st.from_regex(r"\A\d{6,19}\Z"),
    st.from_regex(r"\A\d{10}-\d{3}\Z"),
    st.from_regex(r"\A[A-Z]{2}\d{13}\Z"),
    st.from_regex(r"\A\d{4} \d{4} \d{4}\Z"),
    st.from_regex(r"\A[a-z]{1,8}\.?[a-z0-9]{0,5}@[a-z]{2,8}\.(?:com|vn|com\.vn)\Z"),
    st.from_regex(r"\A\d{1,3}(?:/\d{1,2})? [A-ZĐ][a-zà-ỹ]{1,5} [A-ZĐ][a-zà-ỹ]{1,5}\Z"),
    st.lists(st.sampled_from(FULLWIDTH_DIGITS), min_size=9, max_size=12).map("".join),
)
_NAMES = st.lists(syllables().map(str.title), min_size=2, max_size=4).map(" ".join).map(lambda n: "Nguyễn " + n)

#: Text full of things that look like identifiers, mixed with ordinary Vietnamese.
pii_text = st.lists(
    st.one_of(vi_paragraph, st.sampled_from(_LABELS), _NUMBERS, _NAMES, st.sampled_from([" ", ", ", ". ", "\n", ": "])),
    max_size=14,
).map(" ".join)
any_text = st.one_of(vi_text, pii_text)


@settings(max_examples=300)
@given(any_text)
@example("STK 1234567 và 12345678")
def test_spans_are_exact_sorted_and_disjoint(text: str) -> None:
    spans = DETECTOR.find(text)
    for span in spans:
        assert 0 <= span.start < span.end <= len(text)
        assert text[span.start : span.end] == span.text
        assert span.type in MASKS
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))


@settings(max_examples=300)
@given(any_text)
@example("STK 1234567 và 12345678")
@example("Liên hệ Nguyễn Văn An 0912345678")
@example("STK +8430000000\u0660 000000000")  # an Arabic-Indic digit
@example("STK 000.000.0000 000000000 0 Aa Aa")
def test_masking_is_idempotent_and_leaves_no_pii(text: str) -> None:
    spans = DETECTOR.find(text)
    masked = DETECTOR.mask(text)
    assert DETECTOR.mask(text, spans) == masked
    assert DETECTOR.find(masked) == []
    assert DETECTOR.mask(masked) == masked
    assert len(masked) <= len(text) + _LONGEST_MASK * len(spans)
    # what lies between the spans is kept as it is
    kept = re.split("|".join(re.escape(m) for m in MASKS.values()), masked) if spans else [masked]
    assert "".join(kept) == "".join(
        text[a.end : b.start] for a, b in zip([_Start()] + spans, spans + [_End(text)], strict=True)
    )


class _Start:
    end = 0


class _End:
    def __init__(self, text: str) -> None:
        self.start = len(text)


_lower_vi = st.lists(
    st.one_of(syllables().map(str.lower), st.sampled_from([",", ".", ";", ":", "!", "?", "-", "(", ")", "\n", "  "])),
    max_size=60,
).map(" ".join)


@settings(max_examples=300)
@given(_lower_vi)
def test_text_without_digits_at_or_capitals_is_untouched(text: str) -> None:
    assert DETECTOR.find(text) == []
    assert DETECTOR.mask(text) == text


@settings(max_examples=200)
@given(vi_paragraph.filter(lambda t: not re.search(r"[\d@]", t)), st.sampled_from(_LABELS))
def test_labels_alone_are_not_pii(text: str, label: str) -> None:
    """A label with no number or name after it does not make anything PII."""
    masked = DETECTOR.mask(f"{label} {text.lower()}")
    assert masked == f"{label} {text.lower()}"


@settings(max_examples=100)
@given(st.lists(_NUMBERS, min_size=1, max_size=5), st.sampled_from(["cccd", "phone", "email", "bank_account"]))
def test_restricting_types_only_removes_spans(numbers: list[str], kind: str) -> None:
    text = " và ".join(f"STK {n}" for n in numbers)
    only = PiiDetector(types=[kind]).find(text)
    assert set(only) <= set(DETECTOR.find(text))


@settings(max_examples=100)
@given(st.from_regex(r"\A\d{8,15}\Z"), st.from_regex(r"\A09\d{8}\Z"), st.sampled_from(["", " ", "."]),
       st.sampled_from(["STK", "số tài khoản", "Vietcombank", "tài khoản"]))  # fmt: skip
def test_account_then_phone_masks_both(account: str, phone: str, sep: str, label: str) -> None:
    """A label followed by two numbers: over 19 digits together, each is still masked."""
    grouped = sep.join([phone[:4], phone[4:7], phone[7:]]) if sep else phone
    text = f"{label} {account} {grouped}"
    masked = DETECTOR.mask(text)
    assert not re.search(r"\d", masked), masked
