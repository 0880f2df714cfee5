"""Sentence splitting and diacritics-insensitive syllable overlap, for extraction and quotes."""

from __future__ import annotations

import re
from collections.abc import Iterable

from aulac_rag.text.normalize import fold_diacritics
from aulac_rag.text.tokenize import syllables

# Sentence ends: . ! ? … ; followed by space, or a line break. Keeps "Điều 5." lists readable.
_SENTENCE_END = re.compile(r"(?<=[.!?…;])\s+|\n+")
_MIN_SENTENCE_CHARS = 12

#: Folded Vietnamese function words that say nothing about the topic of a question.
STOPWORDS = frozenset(
    fold_diacritics(w)
    for w in (
        "là và của các có được cho không những này với trong thì một khi nào gì bao nhiêu như thế "
        "ai đâu sao tại vì hay hoặc mà để từ về theo đã đang sẽ rằng ra vào lên bị bởi nếu "
        "nó họ tôi bạn chúng ta em anh chị ông bà hãy xin vui lòng cần phải muốn biết hỏi "
        "gồm bằng nhé ạ à ư nhỉ đó kia ấy"
    ).split()
)


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` (very short fragments are merged into the next one)."""
    parts = [p.strip() for p in _SENTENCE_END.split(text) if p and p.strip()]
    merged: list[str] = []
    carry = ""
    for part in parts:
        part = f"{carry} {part}".strip() if carry else part
        if len(part) < _MIN_SENTENCE_CHARS:
            carry = part
            continue
        merged.append(part)
        carry = ""
    if carry:
        merged.append(carry)
    return merged


def terms(text: str) -> list[str]:
    """Folded (diacritics-free), lower-cased syllables of ``text`` minus function words."""
    return [t for t in (fold_diacritics(s) for s in syllables(text)) if t not in STOPWORDS]


def _bigrams(tokens: list[str]) -> set[tuple[str, str]]:
    return set(zip(tokens, tokens[1:], strict=False))


def overlap(query_terms: Iterable[str], sentence: str) -> float:
    """How well ``sentence`` covers the query: matched syllables plus matched syllable pairs.

    Normalized by the query's size so scores of different questions are comparable
    (1.0 ≈ every query syllable and pair appears in the sentence).
    """
    q = list(query_terms)
    if not q:
        return 0.0
    s = terms(sentence)
    s_set = set(s)
    q_set = set(q)
    unigram = len(q_set & s_set) / len(q_set)
    q_pairs = _bigrams(q)
    pair = len(q_pairs & _bigrams(s)) / len(q_pairs) if q_pairs else 0.0
    return 0.7 * unigram + 0.3 * pair


def best_sentence(query: str, text: str) -> tuple[str, float]:
    """The sentence of ``text`` that best covers ``query`` and its score (first sentence on ties)."""
    q = terms(query)
    best, best_score = "", -1.0
    for sentence in split_sentences(text):
        score = overlap(q, sentence)
        if score > best_score:
            best, best_score = sentence, score
    return best, max(best_score, 0.0)


def _pairs(text: str, fold: bool) -> tuple[set[str], set[tuple[str, str]]]:
    units = syllables(text)
    if fold:
        units = [fold_diacritics(u) for u in units]
    content = {u for u in units if fold_diacritics(u) not in STOPWORDS}
    pairs = {
        (a, b)
        for a, b in zip(units, units[1:], strict=False)
        if fold_diacritics(a) not in STOPWORDS or fold_diacritics(b) not in STOPWORDS
    }
    return content, pairs


def relevance(question: str, text: str) -> float:
    """Share of the question's syllable pairs (≈ Vietnamese words) found in ``text``, 0..1.

    Diacritics count when the question has them (``bảo hiểm`` ≠ ``bao hiem`` matches
    wrongly less often); a question typed without them is compared folded. A question
    without pairs (one word) falls back to its content syllables. Measured on the
    shared retrieval sets, this separates answerable from unanswerable questions with
    AUC 0.90 (``GenerationConfig.min_lexical_relevance``).
    """
    from aulac_rag.text.normalize import has_diacritics

    fold = not has_diacritics(question)
    q_units, q_pairs = _pairs(question, fold)
    t_units, t_pairs = _pairs(text, fold)
    if q_pairs:
        return len(q_pairs & t_pairs) / len(q_pairs)
    return len(q_units & t_units) / len(q_units) if q_units else 0.0


#: Folded question words that ask for a number, an amount, a rate or a duration; the weak ones
#: ("mức", "phí"…) only outside a yes/no question ("có phải trả phí … không?").
_QUANTITY_STRONG = re.compile(
    r"\b(?:bao nhieu|bao lau|bao gio|may|ti le|ty le|lai suat|han muc|toi da|toi thieu|bao xa|so tien|phan tram)\b|%"
)
_QUANTITY_WEAK = re.compile(r"\b(?:muc|gia|phi|le phi|thoi han|thoi gian|luong|tuoi|diem)\b")
_YES_NO = re.compile(r"\b(?:co|duoc|phai)\b.*\b(?:khong|chua)\W*$")
_NOT_AMOUNT = re.compile(r"\bmien phi\b")
_NUMBER_WORDS = (
    r"(?:một|hai|ba|bốn|năm|sáu|bảy|tám|chín|mười|mươi|trăm|nghìn|ngàn|triệu|tỷ|tỉ|nửa|rưỡi)"
)
_QUANTITY = re.compile(
    rf"\d|%|\b{_NUMBER_WORDS}\s+(?:ngày|tuần|tháng|năm|giờ|phút|lần|tuổi|người|đồng|triệu|tỷ|tỉ|phần trăm|tín chỉ|điểm)\b",
    re.IGNORECASE,
)


def asks_quantity(question: str) -> bool:
    """Whether the question asks for a number: "bao nhiêu", "mức", "giá", "phí", "%", "bao lâu", "mấy"…"""
    folded = _NOT_AMOUNT.sub(" ", fold_diacritics(question.lower()))
    if _QUANTITY_STRONG.search(folded):
        return True
    return bool(_QUANTITY_WEAK.search(folded)) and not _YES_NO.search(folded)


#: A number that only refers to a part of a text ("Điều 5", "khoản 2", "Chương III"), not a quantity.
_REFERENCE = re.compile(r"\b(?:điều|khoản|điểm|chương|mục|phần)\s+\d+[a-zđ]?\b", re.IGNORECASE)


def has_quantity(text: str) -> bool:
    """Whether ``text`` states a number, amount, rate or duration (digits, %, "ba tháng"…; not "Điều 5")."""
    return bool(_QUANTITY.search(_REFERENCE.sub(" ", text)))


def weighted_overlap(query_terms: Iterable[str], sentence_terms: Iterable[str], weight: dict[str, float]) -> float:
    """:func:`overlap` with each query syllable weighted (rare in the contexts: heavier), 0..1."""
    q = list(query_terms)
    q_set = set(q)
    if not q_set:
        return 0.0
    s = list(sentence_terms)
    s_set = set(s)
    total = sum(weight.get(t, 1.0) for t in q_set)
    unigram = sum(weight.get(t, 1.0) for t in q_set & s_set) / total
    q_pairs = _bigrams(q)
    pair = len(q_pairs & _bigrams(s)) / len(q_pairs) if q_pairs else 0.0
    return 0.7 * unigram + 0.3 * pair
