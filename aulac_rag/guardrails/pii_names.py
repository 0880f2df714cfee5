"""Person names and street addresses in Vietnamese text (best effort, favouring precision).

Names: capitalised words after a cue ("tôi tên là", "họ tên:", "bệnh nhân") or three
or more capitalised words starting with a common surname ("Nguyễn Văn An"), minus
streets, schools and famous people whose names are places. Addresses: after a cue
("nhà ở", "địa chỉ", "sống tại", "trú tại"), a house number or street-level word
followed by comma-separated parts that look like address parts.
"""

from __future__ import annotations

import re

from aulac_rag.guardrails.patterns import translate_pattern
from aulac_rag.text.normalize import fold_diacritics

_SURNAMES = (
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Trương Đào Lương Mai Cao Tô Lâm "
    "Trịnh Châu Tạ Quách Thái Kiều Hứa Tăng Lưu Triệu Đoàn Vương Doãn Khúc Phùng Nghiêm Chu Âu Tống Lại Giang Mạc "
    "Thân Khổng Diệp Hầu Ông Mã Quan Từ Lục Văn Hà La Lò Lữ Nông Tôn Thạch Viên Hoa Kim Bạch"
).split()
_SURNAME_SET = set(_SURNAMES) | {fold_diacritics(s) for s in _SURNAMES}
_NOT_PEOPLE = {
    fold_diacritics(n).lower()
    for n in (
        "Hồ Chí Minh", "Trần Hưng Đạo", "Nguyễn Thị Minh Khai", "Võ Văn Kiệt", "Phạm Văn Đồng", "Lê Quý Đôn",
        "Lý Thường Kiệt", "Nguyễn Văn Cừ", "Nguyễn Đình Chiểu", "Phan Đình Phùng", "Hoàng Văn Thụ", "Lê Văn Sỹ",
        "Trần Quốc Toản", "Nguyễn Văn Linh", "Võ Thị Sáu", "Phạm Ngũ Lão", "Lê Thánh Tông", "Nguyễn Tất Thành",
        "Lê Hồng Phong", "Nguyễn Chí Thanh", "Trần Đại Nghĩa", "Tôn Đức Thắng", "Hoàng Quốc Việt", "Phan Bội Châu",
        "Phan Chu Trinh", "Lê Đức Thọ", "Nguyễn Thái Học", "Trần Quang Khải", "Đinh Tiên Hoàng", "Lê Thái Tổ",
        "Nguyễn Văn Trỗi", "Võ Nguyên Giáp", "Lê Văn Lương", "Trần Khánh Dư", "Nguyễn Hữu Thọ", "Hồ Xuân Hương",
        "Hà Nội", "Hà Giang", "Hà Tĩnh", "Hà Nam", "Lâm Đồng", "Cao Bằng", "Phan Thiết", "Phan Rang", "Mai Châu",
    )
}  # fmt: skip
_BEFORE_PLACE = re.compile(
    translate_pattern(
        r"(?:đường|phố|trường|thpt|thcs|tiểu học|bệnh viện|bv|quận|phường|huyện|xã|cầu|chợ|đại học|tp|thành phố|"
        r"giải|tượng|lăng|khu|học viện|công ty|tòa nhà|chung cư|ngân hàng|số|ngõ|hẻm|city|street|university)\W*$"
    ),
    re.IGNORECASE,
)
_NAME_CUE = re.compile(
    r"(?<!\w)"
    + translate_pattern(
        r"(?:(?:tôi|mình|em|con|bé|cháu|con tôi|con trai tôi|con gái tôi) tên(?: là)?|tên(?: (?:tôi|mình|em|con|cháu|bé|chồng|vợ|mẹ|bố|ba|anh|chị|ông|bà)(?: (?:tôi|mình|em))?)? là|"
        r"tên đầy đủ(?: của \w+)? là|họ (?:và )?tên(?: là)?\s*:?|họ tên(?: đầy đủ)?\s*:?|tôi là|mình là|em là|"
        r"con tôi là|bệnh nhân|học sinh|sinh viên|khách hàng|người bệnh|cháu|bé|bố tôi|mẹ tôi|chồng tôi|vợ tôi|"
        r"tên bệnh nhân|tên người bệnh|tên học sinh|tên sinh viên|tên khách hàng|người liên hệ|chủ tài khoản|chủ thẻ|người nhận|"
        r"my name is|i am|i'm|name)"
    )
    + r"(?!\w)\s*:?\s*",
    re.IGNORECASE,
)
_ADDRESS_CUE = re.compile(
    r"(?<![\w])"
    + translate_pattern(
        r"(?:địa chỉ(?:\s+[^\W\d_]+){0,4}?\s*(?::|là)|địa chỉ|nhà(?: (?:tôi|mình|em|con|cháu|bố mẹ|ba mẹ|tôi hiện))? (?:ở|tại)|"
        r"sống (?:ở|tại)|đang ở|trú (?:ở|tại)|cư trú (?:ở|tại)|thường trú (?:ở|tại)|tạm trú (?:ở|tại)|ở tại|ở|giao (?:hàng |thẻ )?(?:đến|tới|về)|"
        r"gửi (?:\w+\s+){0,3}(?:về|đến|tới)|live at|living at|address(?: is)?\s*:?)\s*"
    ),
    re.IGNORECASE,
)
_STREET_WORD = re.compile(
    translate_pattern(r"(?:số|ngõ|ngách|hẻm|kiệt|thôn|ấp|xóm|tổ|khu phố|kp|đường|phố|lô|tầng|căn hộ|chung cư|tòa|block|street|st|road)")
    + r"(?![^\W\d_])",
    re.IGNORECASE,
)
_ADDRESS_WORD = re.compile(
    translate_pattern(
        r"(?:số|ngõ|ngách|hẻm|kiệt|thôn|ấp|xóm|tổ|khu phố|kp|khu|phường|p|quận|q|huyện|xã|thị xã|thị trấn|tỉnh|"
        r"thành phố|tp|đường|phố|lô|tầng|căn hộ|chung cư|tòa|block|street|st|road|ward|district)"
    )
    + r"(?![^\W\d_])",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"[^\s,;:!?()\"“”]+")


def _is_cap(token: str) -> bool:
    word = token.rstrip(".")
    return bool(word) and word[0].isupper() and word.replace("-", "").isalpha() and len(word) <= 8


def _cap_run(text: str, pos: int, limit: int) -> tuple[int, int, int]:
    """From ``pos``: the start, end and count of up to ``limit`` capitalised words separated by single spaces."""
    count, end, start = 0, pos, pos
    for m in _TOKEN.finditer(text, pos):
        gap = text[end:m.start()] if count else text[pos:m.start()]
        if (count and gap != " ") or (not count and gap.strip()) or not _is_cap(m.group(0)):
            break
        if count == 0:
            start = m.start()
        word = m.group(0)
        end = m.start() + len(word.rstrip("."))
        count += 1
        if count == limit or word.endswith("."):
            break
    return start, end, count


def find_names(text: str) -> list[tuple[int, int]]:
    """Spans of person names (linear in the text's length: look-behinds use a bounded window)."""
    spans: list[tuple[int, int]] = []
    for m in _NAME_CUE.finditer(text):
        start, end, count = _cap_run(text, m.end(), 5)
        if count >= 2 and fold_diacritics(text[start:end]).lower() not in _NOT_PEOPLE:
            spans.append((start, end))
    covered_until = -1  # cue spans are in text order, and so is this scan
    cue_spans = iter(sorted(spans))
    next_cue = next(cue_spans, None)
    for m in re.finditer(r"(?<![\w])[^\W\d_]+", text):
        while next_cue is not None and next_cue[0] <= m.start():
            covered_until = max(covered_until, next_cue[1])
            next_cue = next(cue_spans, None)
        word = m.group(0)
        if (word not in _SURNAME_SET and word.title() not in _SURNAME_SET) or m.start() < covered_until:
            continue
        start, end, count = _cap_run(text, m.start(), 5)
        name = fold_diacritics(text[start:end]).lower()
        if count < 3 or name in _NOT_PEOPLE or _BEFORE_PLACE.search(text[max(0, start - 40) : start]):
            continue
        if any(name.startswith(p + " ") or name == p for p in _NOT_PEOPLE):
            continue
        spans.append((start, end))
        covered_until = max(covered_until, end)
    return sorted(spans)


def _address_part(text: str, pos: int, first: bool) -> int:
    """End of the address part starting at ``pos`` (``pos`` itself when it is not one)."""
    end = pos
    started = False
    for m in _TOKEN.finditer(text, pos):
        gap = text[end:m.start()]
        if started and gap != " ":
            break
        if not started and gap.strip():
            break
        word = m.group(0)
        bare = word.rstrip(".")
        keyword = _ADDRESS_WORD.fullmatch(bare.lower()) or _ADDRESS_WORD.match(word)
        numeric = bool(re.match(r"^\d+[A-Za-z]?(?:[/\-]\d+[A-Za-z]?)*\.?$", word))
        if not started and first and not (numeric or keyword):
            return pos
        if not (numeric or keyword or _is_cap(word) or re.match(r"^[A-ZĐ][\w.]*$", word)):
            break
        end = m.start() + len(bare) if not re.match(r"^[A-Z]{1,3}\.[A-Z]", word) else m.end()
        started = True
    return end if started else pos


def find_addresses(text: str) -> list[tuple[int, int]]:
    """Spans of street addresses introduced by a cue."""
    spans: list[tuple[int, int]] = []
    for m in _ADDRESS_CUE.finditer(text):
        start = m.end()
        end = _address_part(text, start, first=True)
        if end == start:
            continue
        while True:
            rest = re.match(r",\s*", text[end:])
            if not rest:
                break
            nxt = _address_part(text, end + rest.end(), first=False)
            if nxt == end + rest.end():
                break
            end = nxt
        body = text[start:end]
        if any(s < end and start < e for s, e in spans) or not _looks_like_address(body):
            continue
        spans.append((start, end))
    return spans


def _looks_like_address(body: str) -> bool:
    """A house number with a street name ("12 Lê Lợi", "12/3 Lê Văn Sỹ") or a street-level word
    with a number ("số 5 ngõ 10", "thôn 3"); a ward or district alone ("quận 3") is not one."""
    tokens = [t.strip(",.") for t in body.split()]
    if len(tokens) < 2:
        return False
    if re.match(r"^\d+[A-Za-z]?(?:[/\-]\d+[A-Za-z]?)*$", tokens[0]) and _is_cap(tokens[1]):
        return True
    return any(_STREET_WORD.fullmatch(t.lower()) for t in tokens) and any(ch.isdigit() for ch in body)
