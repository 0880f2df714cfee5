"""Vietnamese personal identifiers: find their exact spans and mask them.

Types (mask): ``cccd`` 12-digit citizen ID ([CCCD]), ``cmnd`` 9-digit old ID ([CMND]),
``phone`` mobile number ([SĐT]), ``email`` ([EMAIL]), ``bhyt`` health-insurance card
code ([BHYT]), ``mst`` tax code ([MST]), ``bank_account`` digits after "số tài khoản",
"STK" or a bank's name ([STK]), ``name`` ([HỌ TÊN]) and ``address`` ([ĐỊA CHỈ]).

A number right after its label (MST, STK or a bank's name, CCCD/CMND, số thẻ BHYT, SĐT)
is masked whether or not its checksum validates, with spaces, dots or a branch suffix
("0101234567-001"); without a label a tax code needs a valid checksum. Full-width
digits, and other scripts' decimal digits, are read as ASCII (offsets unchanged). Every look-behind uses a bounded window,
so detection stays linear in the text's length.

Overlaps are resolved by priority, then length: a number introduced by its context
("STK …", "mã số thuế …", "CCCD …") beats a guess from its shape, so a 12-digit
account number is not also a CCCD and a tax code is not also a phone number.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from aulac_rag.guardrails.patterns import translate_pattern
from aulac_rag.guardrails.pii_names import find_addresses, find_names

MASKS: dict[str, str] = {
    "cccd": "[CCCD]",
    "cmnd": "[CMND]",
    "phone": "[SĐT]",  # mobile (and 11-digit landline) numbers
    "email": "[EMAIL]",
    "bhyt": "[BHYT]",
    "mst": "[MST]",
    "bank_account": "[STK]",
    "name": "[HỌ TÊN]",
    "address": "[ĐỊA CHỈ]",
}
PII_TYPES = tuple(MASKS)


@dataclass(frozen=True)
class PiiSpan:
    """One identifier: its type and ``text[start:end]``."""

    type: str
    start: int
    end: int
    text: str
    priority: int = 0

    def to_dict(self) -> dict[str, object]:
        return {"type": self.type, "start": self.start, "end": self.end}


def _ctx(*patterns: str) -> str:
    return "(?:" + "|".join(translate_pattern(p) for p in patterns) + ")"


_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w@])")
_PHONE = re.compile(
    r"(?<![\w+])(?:\(\+?84\)|\+84|84|0)[\s.\-]?[35789]\d(?:[\s.\-]?\d){7}(?![\w]|[.\-]\d)", re.ASCII
)
_LANDLINE = re.compile(r"(?<![\w+])(?:\(\+?84\)|\+84|0)[\s.\-]?2\d(?:[\s.\-]?\d){8}(?![\w]|[.\-]\d)", re.ASCII)
_BHYT = re.compile(r"(?<![\w])[A-Za-z]{2}[\s.\-]?\d[\s.\-]?\d{2}[\s.\-]?\d{10}(?![\w])", re.ASCII)
_DIGITS12 = re.compile(r"(?<![\w.,])(?:\d{12}|\d{3}([ .])\d{3}\1\d{3}\1\d{3}|\d{4}([ .])\d{4}\2\d{4})(?![\w]|[.,]\d)", re.ASCII)
_DIGITS9 = re.compile(r"(?<![\w.,])\d{9}(?![\w]|[.,]\d)", re.ASCII)
_TAXLIKE = re.compile(r"(?<![\w\-.,])\d{10}(?:\s?-\s?\d{3})?(?![\w]|[.,\-]\d)", re.ASCII)
_MONEY_AFTER = re.compile(r"\s*(?:đ\b|đồng|vnd|vnđ|usd|triệu|tỷ|nghìn|ngàn|%)", re.IGNORECASE)
_ID_CONTEXT = re.compile(
    _ctx("cccd", "cmnd", "căn cước", "chứng minh", "cmt", "số định danh", "định danh cá nhân", "giấy tờ tùy thân", "id card")
    + r"[^\d\n]{0,25}$",
    re.IGNORECASE,
)
_TAX_CONTEXT = re.compile(_ctx("mst", "mã số thuế", "mã số doanh nghiệp", "mã thuế", "tax code", "tax id") + r"[^\d\n]{0,25}$", re.IGNORECASE)
_BANK_WORDS = ("số tài khoản", "stk", "tk ngân hàng", "tài khoản ngân hàng", "số tk", "tài khoản số", "tk", "account number", "account no")
_BANK_PREFIX = re.compile(r"(?<!\w)" + _ctx(*_BANK_WORDS) + r"[^\d\n.?!;]{0,40}$", re.IGNORECASE)
_BANK_CONTEXT = re.compile(
    r"(?<!\w)" + _ctx(*_BANK_WORDS)
    + r"(?:[^\d\n.?!;]{0,40}?)(?<![\w])(\d[\d .\-]{4,30}\d)(?![\w])",
    re.IGNORECASE,
)


_WINDOW = 80


def _before(regex: re.Pattern[str], text: str, pos: int) -> bool:
    """Does ``regex`` (anchored with ``$``) match just before ``pos``? Bounded window: linear overall."""
    return bool(regex.search(text[max(0, pos - _WINDOW) : pos]))


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _mst_valid(text: str) -> bool:
    """Checksum-valid tax code (python-stdnum's ``stdnum.vn.mst``; the same rule inline if it is absent)."""
    number = re.sub(r"[\s\-]", "", text)
    from stdnum.vn import mst  # a core dependency: no fallback rule, a broken install fails loudly

    return bool(mst.is_valid(number))


def _bank_accounts(text: str) -> Iterable[PiiSpan]:
    for m in _BANK_CONTEXT.finditer(text):
        start, end = m.span(1)
        if _MONEY_AFTER.match(text, end):
            continue
        # The longest run of groups with an account's length ("STK 0011002345678 0909123456": the first).
        cuts = _space_cuts(text, start, end) if len(_digits(m.group(1))) > 19 else [m.group(1)]
        number = next((v for v in cuts if 6 <= len(_digits(v)) <= 19), None)
        if number is not None:
            yield PiiSpan("bank_account", start, start + len(number), number, priority=4)


def _numbers(text: str) -> Iterable[PiiSpan]:
    for m in _EMAIL.finditer(text):
        yield PiiSpan("email", m.start(), m.end(), m.group(0), priority=4)
    for m in _BHYT.finditer(text):
        yield PiiSpan("bhyt", m.start(), m.end(), m.group(0), priority=4)
    for m in _TAXLIKE.finditer(text):
        if not _mst_valid(m.group(0)):
            continue
        in_context = _before(_TAX_CONTEXT, text, m.start())
        yield PiiSpan("mst", m.start(), m.end(), m.group(0), priority=4 if in_context else 1)
    for m in _PHONE.finditer(text):
        if _before(_TAX_CONTEXT, text, m.start()) and len(_digits(m.group(0))) == 10:
            continue  # "mã số thuế 03…" with a bad checksum is not a phone number either
        yield PiiSpan("phone", m.start(), m.end(), m.group(0), priority=2)
    for m in _LANDLINE.finditer(text):
        if not _before(_TAX_CONTEXT, text, m.start()) and not _before(_BANK_PREFIX, text, m.start()):
            yield PiiSpan("phone", m.start(), m.end(), m.group(0), priority=2)
    for m in _DIGITS12.finditer(text):
        in_context = _before(_ID_CONTEXT, text, m.start())
        yield PiiSpan("cccd", m.start(), m.end(), m.group(0), priority=3 if in_context else 2)
    for m in _DIGITS9.finditer(text):
        if _MONEY_AFTER.match(text, m.end()):
            continue
        in_context = _before(_ID_CONTEXT, text, m.start())
        yield PiiSpan("cmnd", m.start(), m.end(), m.group(0), priority=3 if in_context else 1)
    yield from _bank_accounts(text)
    yield from _labelled(text)


_BANK_NAMES = (
    "vietcombank", "vcb", "techcombank", "tcb", "bidv", "agribank", "vietinbank", "vietin", "mbbank", "mb bank", "mb",
    "acb", "sacombank", "vpbank", "vp bank", "tpbank", "tp bank", "hdbank", "shb", "vib", "ocb", "seabank", "msb",
    "maritime bank", "eximbank", "lpbank", "lienvietpostbank", "nam a bank", "bac a bank", "bản việt", "đông á", "scb",
    "abbank", "pvcombank", "kienlongbank", "ncb", "baovietbank", "saigonbank", "vietabank", "gpbank", "oceanbank",
    "cbbank", "timo", "cake", "momo", "zalopay", "vietbank", "pgbank", "ngân hàng [^\\W\\d_]+(?: [^\\W\\d_]+){0,2}",
)  # fmt: skip
#: (type, label words): a number right after one of these is that identifier, whatever its checksum.
_LABELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("mst", ("mst", "mã số thuế", "mã thuế", "mã số doanh nghiệp", "mã số thuế cá nhân", "tax code", "tax id")),
    ("bhyt", ("bhyt", "thẻ bảo hiểm y tế", "số thẻ bảo hiểm", "mã thẻ bhyt", "mã bhyt", "số thẻ")),
    ("cccd", ("cccd", "căn cước", "căn cước công dân", "số định danh", "định danh cá nhân", "cmnd", "chứng minh nhân dân", "chứng minh thư", "giấy chứng minh", "cmt", "id card")),
    ("bank_account", ("stk", "số tài khoản", "số tk", "tk", "tài khoản", "account number", "account no", "số thẻ atm", *_BANK_NAMES)),
    ("phone", ("sđt", "sdt", "số điện thoại", "điện thoại", "đt", "dt", "đtdđ", "di động", "hotline", "zalo", "phone", "mobile", "gọi cho", "gọi số", "liên hệ")),
)
_EXPLICIT_ACCOUNT = re.compile(_ctx("stk", "số tài khoản", "số tk", "account number", "account no"), re.IGNORECASE)
_LABEL_RE = re.compile(
    "(?:" + "|".join(f"(?P<{kind}>(?<!\\w){_ctx(*words)}(?!\\w))" for kind, words in _LABELS) + ")"
    + r"(?P<gap>[^\d\n.?!;]{0,30}?)(?P<value>[A-Za-z]{0,2}\d(?:[\d]|[ .\-](?=\d)){5,24})(?![\d])",
    re.IGNORECASE,
)
_DIGIT_COUNTS: dict[str, tuple[int, ...]] = {
    "mst": (10, 13),
    "bhyt": (10, 13, 15),
    "cccd": (9, 12),
    "phone": (9, 10, 11, 12),
}


_STANDALONE = (_PHONE, _LANDLINE, _DIGITS12, _DIGITS9, _TAXLIKE)


def _space_cuts(text: str, start: int, end: int) -> list[str]:
    """``text[start:end]``, then its prefixes ending before a space, first those followed by a number of its own.

    "0011002345678 0909 123 456" holds an account and a phone number: the cut before "0909".
    """
    value = text[start:end]
    prefixes = [value[: m.start()] for m in reversed(list(re.finditer(" ", value)))]
    whole = [p for p in prefixes if any(r.match(text, start + len(p) + 1) for r in _STANDALONE)]
    return [value, *whole, *(p for p in prefixes if p not in whole)]


def _labelled(text: str) -> Iterable[PiiSpan]:
    """Numbers introduced by their label ("MST 0101234567-001", "Vietcombank 0011 0023 45678", "SĐT 090.123.4567")."""
    for m in _LABEL_RE.finditer(text):
        if _MONEY_AFTER.match(text, m.end("value")):
            continue
        # Too many digits for one number: the longest run of groups that is one ("STK 0011002345678 0909 123 456").
        cuts = _space_cuts(text, *m.span("value")) if len(_digits(m.group("value"))) > 19 else [m.group("value")]
        for value in cuts:
            span = _labelled_value(text, m, value)
            if span is not None:
                yield span
                break


def _labelled_value(text: str, m: re.Match[str], value: str) -> PiiSpan | None:
    kind = next(k for k, _ in _LABELS if m.group(k))
    start = m.start("value")
    digits = _digits(value)
    letters = len(value) - len(value.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
    if kind != "bhyt" and letters:
        start += letters
        value = value[letters:]
    if kind == "cccd":
        if len(digits) not in _DIGIT_COUNTS["cccd"]:
            return None
        kind = "cccd" if len(digits) == 12 else "cmnd"
    elif kind == "bank_account":
        if not 6 <= len(digits) <= 19:
            return None
        plus = start > 0 and text[start - 1] == "+"
        explicit = bool(_EXPLICIT_ACCOUNT.fullmatch(m.group("bank_account").strip()))
        if _PHONE.fullmatch(("+" if plus else "") + value) and (plus or not explicit):
            return None  # "ngân hàng gọi tôi qua số 0909 888 777": a phone number, left to the phone finder
    elif len(digits) not in _DIGIT_COUNTS[kind]:
        return None
    if kind == "phone" and start > 0 and text[start - 1] == "+":
        start -= 1
        value = "+" + value
    return PiiSpan(kind, start, start + len(value), value, priority=5)


#: Full-width digits and letters (a common way to dodge filters) mapped one-for-one to ASCII, so offsets stay true.
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]}
_FULLWIDTH.update({0xFF0E: ord("."), 0xFF0D: ord("-"), 0x3000: ord(" ")})
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")


#: What a mask already in the text reads as: a clause break, so neither the mask nor a label before it
#: ("STK [STK] và 12345678") introduces what follows.
_INERT = ";"


def resolve_overlaps(spans: Iterable[PiiSpan]) -> list[PiiSpan]:
    """Non-overlapping spans, preferring higher priority, then longer; sorted by start."""
    chosen: list[PiiSpan] = []
    for span in sorted(spans, key=lambda s: (-s.priority, -(s.end - s.start), s.start)):
        if all(span.end <= c.start or span.start >= c.end for c in chosen):
            chosen.append(span)
    return sorted(chosen, key=lambda s: s.start)


Finder = Callable[[str], Iterable[PiiSpan]]
_FINDERS: dict[str, Finder] = {
    "numbers": _numbers,
    "name": lambda t: (PiiSpan("name", s, e, t[s:e], priority=1) for s, e in find_names(t)),
    "address": lambda t: (PiiSpan("address", s, e, t[s:e], priority=3) for s, e in find_addresses(t)),
}


class PiiDetector:
    """Finds and masks the enabled PII types (all by default)."""

    def __init__(self, types: Iterable[str] | None = None, masks: dict[str, str] | None = None) -> None:
        self.types = frozenset(types or PII_TYPES)
        unknown = self.types - set(PII_TYPES)
        if unknown:
            raise ValueError(f"unknown PII types {sorted(unknown)}; known: {', '.join(PII_TYPES)}")
        self.masks = {**MASKS, **(masks or {})}
        tokens = sorted({m for m in self.masks.values() if m}, key=len, reverse=True)
        self._mask_tokens = re.compile("|".join(re.escape(m) for m in tokens)) if tokens else None

    def find(self, text: str) -> list[PiiSpan]:
        """Exact spans of the enabled types, non-overlapping, in text order."""
        plain = text.translate(_FULLWIDTH)  # same length: spans index the original text
        if not plain.isascii():  # other scripts' digits (٠١٢, ०१२): some patterns use \d, some ASCII digits
            plain = _OTHER_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group(0))), plain)
        if self._mask_tokens is not None:
            # A mask already in the text ("[STK] và 12345678") is not a label: masking stays idempotent.
            plain = self._mask_tokens.sub(lambda m: _INERT * len(m.group(0)), plain)
        found = [s for finder in _FINDERS.values() for s in finder(plain)]
        return [
            PiiSpan(s.type, s.start, s.end, text[s.start : s.end], s.priority)
            for s in resolve_overlaps(found)
            if s.type in self.types
        ]

    def mask(self, text: str, spans: list[PiiSpan] | None = None) -> str:
        """``text`` with each span replaced by its mask."""
        spans = self.find(text) if spans is None else spans
        out, last = [], 0
        for span in spans:
            out.append(text[last : span.start])
            out.append(self.masks[span.type])
            last = span.end
        out.append(text[last:])
        return "".join(out)
