"""The form of a text that signal patterns match: tricks undone, case and spacing folded.

Attackers hide words from filters with full-width letters, zero-width characters,
look-alike Cyrillic letters, letters spaced out ("b ỏ q u a"), separators inside
words ("i.g.n.o.r.e"), leetspeak ("ign0re") and Vietnamese chat abbreviations
("ko", "dc"). :func:`prepare` undoes all of these once per input; diacritics are kept
(patterns match text typed with or without them, see ``guardrails/patterns.py``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from aulac_rag.text.normalize import fold_diacritics, normalize_text

# Bidi controls and other invisibles that normalize_text keeps.
_EXTRA_INVISIBLE = re.compile("[\u200e\u200f\u202a-\u202e\u2061-\u2064\u180e\u034f]")
# Look-alike letters from Cyrillic and Greek (lower case after NFKC).
_CONFUSABLES = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
        "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ɡ": "g", "ո": "n",
        "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
        "χ": "x", "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
        "Т": "T", "У": "Y", "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S", "Α": "A", "Β": "B", "Ε": "E", "Η": "H",
        "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ζ": "Z",
    }
)  # fmt: skip
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a", "$": "s", "!": "i"})
# Chat abbreviations expanded before matching (whole tokens only).
_TEENCODE = {
    "ko": "không", "k": "không", "kh": "không", "khg": "không", "kg": "không", "hok": "không", "hông": "không",
    "hem": "không", "dc": "được", "đc": "được", "j": "gì", "mik": "mình", "mk": "mình", "mn": "mọi người",
    "ntn": "như thế nào", "lm": "làm", "nx": "nữa", "cx": "cũng", "trc": "trước", "ng": "người", "bít": "biết",
    "bik": "biết", "bh": "bây giờ", "bjo": "bây giờ", "vs": "với", "tn": "thế nào", "ns": "nói", "sdt": "sđt",
    "bs": "bác sĩ", "ck": "chồng", "vk": "vợ", "r": "rồi",
    "ik": "đi", "oy": "rồi", "ak": "à", "z": "vậy", "zậy": "vậy", "thik": "thích", "iu": "yêu",
}  # fmt: skip
_SEPARATED_LETTERS = re.compile(r"^(?:[^\W\d_][.\-_*·•|/+~]){1,}[^\W\d_]$|^(?:[^\W_][.\-_*·•|/+~]){3,}[^\W_]$")
_UNIT_NUMBER = re.compile(r"^\d+(?:[.,]\d+)?[^\W\d_]{0,4}$")
_LEET_TOKEN = re.compile(r"[^\W\d_][0-9@$!]+[^\W\d_]|^[0-9@$]+[^\W\d_]{2,}|[^\W\d_]{3,}[013457@$]$|^[^\W\d_]+0$|^[^\W\d_][0134]$")
_NON_WORD = re.compile(r"[^\w]+")
_APOSTROPHE = re.compile(r"(?<=\w)['’ʼ`´](?=\w)")
_ENGLISH = frozenset(
    "the a an and or is are was were be been to of in on for with my your you i me we what how why when where "
    "can could should would will do does did please this that it all now not have has any from about as at by "
    "if so but just tell give show want need help".split()
)
_VIETNAMESE_BARE = frozenset(
    "toi ban la cua va khong co duoc nhu nao gi cho nay thi khi bi de mot nhung cac voi em minh anh chi "
    "nguoi lam sao bao nhieu nhieu hay da dang se roi nua cung tu den tai vi ma con".split()
)


def is_folded_vietnamese(words: list[str]) -> bool:
    """True for Vietnamese written without diacritics (not for accented text, not for English)."""
    alpha = [w for w in words if w.isalpha()]
    if not alpha:
        return False
    accented = sum(1 for w in alpha if not w.isascii())
    if accented >= 3 or accented / len(alpha) >= 0.2:
        return False
    english = sum(1 for w in alpha if w in _ENGLISH)
    vietnamese = sum(1 for w in alpha if w in _VIETNAMESE_BARE)
    return vietnamese >= english
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class MatchText:
    """One input prepared for signal matching.

    ``canonical`` is lower-case, trick-free text with single spaces and a space at each
    end; ``folded`` says it is Vietnamese typed without diacritics, in which case
    patterns are matched without theirs (and ``canonical`` is fully folded, đ → d); ``joined`` holds words rebuilt from spaced-out letters; when there are any,
    ``squashed`` is the canonical text without spaces, matched without word boundaries
    (the spacing of such text carries no meaning); ``original`` is the input as given
    (for case-sensitive signals such as ``DAN``).
    """

    original: str
    canonical: str
    joined: tuple[str, ...] = ()
    squashed: str = ""
    folded: bool = False


@lru_cache(maxsize=65536)
def _clean_token(token: str) -> str:
    return unicodedata.normalize("NFC", normalize_text(token.translate(_CONFUSABLES)).lower())


def _clean(text: str) -> list[str]:
    """NFKC, invisibles removed, look-alikes mapped, tones placed, lower case; as tokens."""
    text = _EXTRA_INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    return [_clean_token(t) for t in text.split()]


def _untrick_token(token: str) -> str:
    if _SEPARATED_LETTERS.match(token):
        token = re.sub(r"[.\-_*·•|/+~]", "", token)
    core = token.strip(".,;:!?()[]{}\"'“”")
    if core and not _UNIT_NUMBER.match(core) and _LEET_TOKEN.search(core):
        token = token.replace(core, core.translate(_LEET))
    return token


def _join_spaced_letters(tokens: list[str]) -> tuple[list[str], list[str]]:
    """Join runs of three or more one-letter tokens ("b ỏ q u a" → "bỏqua")."""
    out: list[str] = []
    joined: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) >= 3 and sum(c.isalpha() for c in run) >= 2:
            word = "".join(run).translate(_LEET)
            out.append(word)
            joined.append(word)
        else:
            out.extend(run)
        run.clear()

    for token in tokens:
        bare = _NON_WORD.sub("", token)
        if len(bare) == 1 and (bare.isalpha() or bare in "0134578"):
            run.append(bare)
        else:
            flush()
            out.append(token)
    flush()
    return out, joined


def prepare(text: str) -> MatchText:
    """The matching form of ``text`` (see :class:`MatchText`)."""
    tokens = [_untrick_token(t) for t in _clean(text)]
    tokens, joined = _join_spaced_letters(tokens)
    words = []
    for token in tokens:
        token = _APOSTROPHE.sub("", token)  # "doctor's" → "doctors", "can't" → "cant"
        for part in _NON_WORD.sub(" ", token).split():
            words.append(_TEENCODE.get(part, part))
    folded = is_folded_vietnamese(words)
    if folded:
        words = [fold_diacritics(w) for w in words]
    canonical = " " + _SPACES.sub(" ", " ".join(words)).strip() + " "
    squashed = canonical.replace(" ", "") if joined else ""
    return MatchText(original=text, canonical=canonical, joined=tuple(joined), squashed=squashed, folded=folded)
