"""Vietnamese text normalization: NFC, one tone-mark placement, invisible characters.

Indexing and queries go through :func:`normalize_text`, so ``hoà``/``hòa`` and
``thuỷ``/``thủy`` (and decomposed Unicode) become the same string.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Combining tone marks (NFD): grave, acute, hook above, tilde, dot below.
_TONES = {"\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}
_VOWELS = set("aăâeêioôơuưy")
_MARKED_VOWELS = set("ăâêôơư")  # vowels that carry a quality diacritic
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile("[\u00a0\u2000-\u200a\u202f\u205f\u3000]")
_SYLLABLE = re.compile(r"([^\W\d_]+)")  # captured: split() alternates other text and syllables


def _split_tone(syllable: str) -> tuple[str, str | None]:
    """The syllable without its tone mark (NFC) and the tone mark, if any.

    The tone is ``None`` unless the syllable has exactly one tone mark and it sits on a
    vowel: "ThủyLợi" (two syllables run together) or "España" (a tilde on n) are not
    Vietnamese syllables and must not have their marks moved or dropped.
    """
    decomposed = unicodedata.normalize("NFD", syllable)
    marks = [i for i, ch in enumerate(decomposed) if ch in _TONES]
    if len(marks) != 1:
        return unicodedata.normalize("NFC", syllable), None
    base = marks[0] - 1
    while base >= 0 and unicodedata.combining(decomposed[base]):
        base -= 1
    if base < 0 or decomposed[base].lower() not in _VOWELS:
        return unicodedata.normalize("NFC", syllable), None
    bare = decomposed[: marks[0]] + decomposed[marks[0] + 1 :]
    return unicodedata.normalize("NFC", bare), decomposed[marks[0]]


def _tone_index(bare: str) -> int | None:
    """Index of the vowel that carries the tone (classic "hòa, thủy" placement)."""
    lower = bare.lower()
    start = 0
    if lower.startswith("qu"):
        start = 2
    elif lower.startswith("gi") and len(lower) > 2 and lower[2] in _VOWELS:
        start = 2
    positions = [i for i in range(start, len(lower)) if lower[i] in _VOWELS]
    if not positions:  # "gì": the i of gi is the only vowel
        positions = [i for i, ch in enumerate(lower) if ch in _VOWELS]
    if not positions:
        return None
    first, last = positions[0], positions[-1]
    if last - first + 1 != len(positions) or len(positions) > 3:
        return None  # vowels not in one run ("café", "hoabình"): not one Vietnamese syllable
    cluster = list(range(first, last + 1))
    marked = [i for i in cluster if lower[i] in _MARKED_VOWELS]
    if marked:
        return marked[-1]  # ươ → ơ; otherwise the one marked vowel
    if len(cluster) == 1:
        return cluster[0]
    if len(cluster) == 3:
        return cluster[1]
    closed = last + 1 < len(lower)
    return cluster[1] if closed else cluster[0]


@lru_cache(maxsize=200_000)  # a language has a few thousand syllables: cache them all
def normalize_tone_placement(syllable: str) -> str:
    """Put the tone mark of one syllable on the conventional vowel (hoà → hòa)."""
    bare, tone = _split_tone(syllable)
    if tone is None:
        return unicodedata.normalize("NFC", syllable)
    index = _tone_index(bare)
    if index is None:
        return unicodedata.normalize("NFC", syllable)
    toned = unicodedata.normalize("NFC", bare[index] + tone)
    return bare[:index] + toned + bare[index + 1 :]


def _normalize_syllables(text: str) -> str:
    """Each syllable of ``text`` with its tone mark on the conventional vowel."""
    parts = _SYLLABLE.split(text)
    parts[1::2] = map(normalize_tone_placement, parts[1::2])  # cached per syllable; the loop runs in C
    return "".join(parts)


class _Words(dict[str, str]):
    """Space-separated piece of text → :func:`_normalize_syllables` of it, computed on first sight.

    A syllable never contains a space, so normalizing each piece between spaces is normalizing the
    text; pieces repeat (words with their punctuation), so most are a dictionary lookup.
    """

    def __missing__(self, piece: str) -> str:
        value = _normalize_syllables(piece)
        if value == piece:
            value = piece  # the same object: normalize_text sees that nothing changed
        if len(piece) <= 64:  # long pieces (text without spaces) are not kept
            if len(self) >= 500_000:
                self.clear()
            self[piece] = value
        return value


_WORDS = _Words()


def normalize_text(text: str) -> str:
    """NFC, invisible characters removed, odd spaces made plain, tone marks placed consistently."""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = _SPACES.sub(" ", text)
    pieces = text.split(" ")
    normalized = list(map(_WORDS.__getitem__, pieces))
    return text if normalized == pieces else " ".join(normalized)  # (list == compares identical items at once)


def _fold_table() -> dict[int, str]:
    table = {ord("đ"): "d", ord("Đ"): "D"}
    for code in [*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)]:
        base = "".join(c for c in unicodedata.normalize("NFD", chr(code)) if unicodedata.category(c) != "Mn")
        if base and base != chr(code) and base.isascii():
            table[code] = base
    return table


_FOLD = _fold_table()
_COMBINING = re.compile("[\u0300-\u036f]")


def fold_diacritics(text: str) -> str:
    """Text without Vietnamese diacritics: ``Bảo hiểm đường`` → ``Bao hiem duong``."""
    return _COMBINING.sub("", unicodedata.normalize("NFC", text).translate(_FOLD))


def has_diacritics(text: str) -> bool:
    """True when ``text`` carries any Vietnamese diacritic (or đ)."""
    return fold_diacritics(text) != unicodedata.normalize("NFC", text)
