"""Vietnamese-aware hypothesis strategies shared by the property tests."""

from __future__ import annotations

import unicodedata

from hypothesis import strategies as st

TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # none, huyền, sắc, hỏi, ngã, nặng
BASE_VOWELS = "aăâeêioôơuưy"
CONSONANTS = "bcdđghklmnpqrstvx"


def _toned(letter: str, tone: str) -> str:
    return unicodedata.normalize("NFC", letter + tone)


VOWELS = sorted({_toned(v, t) for v in BASE_VOWELS for t in TONES})
LETTERS_LOWER = VOWELS + list(CONSONANTS + "fjwz")
LETTERS = LETTERS_LOWER + [c.upper() for c in LETTERS_LOWER]
DIGITS = list("0123456789")
FULLWIDTH_DIGITS = [chr(0xFF10 + i) for i in range(10)]
PUNCTUATION = list(".,;:!?()[]-–—\"'“”…/%+*#_")
WHITESPACE = [" ", " ", " ", "\n", "\n\n", "\t", "\r\n", "\u00a0", "\u3000", "\u2009"]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u00ad", "\u2060"]
COMBINING = list(TONES[1:]) + ["\u0302", "\u0306", "\u031b"]  # loose marks (decomposed input)

PIECES = LETTERS + DIGITS + FULLWIDTH_DIGITS + PUNCTUATION + WHITESPACE + INVISIBLE + COMBINING + ["@", "đ", "Đ"]
VI_PIECE = st.sampled_from(PIECES)

ONSETS = ["", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng", "ngh", "nh", "ph",
          "qu", "r", "s", "t", "th", "tr", "v", "x"]  # fmt: skip
NUCLEI = ["a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "ia", "iê", "ua", "uô", "ưa", "ươ", "oa", "oe",
          "uy", "uê", "ai", "ao", "au", "ay", "âu", "ây", "eo", "êu", "iu", "oi", "ôi", "ơi", "ui", "ưi", "ưu", "iêu",
          "yêu", "uôi", "ươi", "ươu", "oai", "uya", "uyê"]  # fmt: skip
CODAS = ["", "", "c", "ch", "m", "n", "ng", "nh", "p", "t"]


@st.composite
def syllables(draw: st.DrawFn) -> str:
    """A plausible Vietnamese syllable (NFC), in lower, Title or UPPER case."""
    nucleus = draw(st.sampled_from(NUCLEI))
    coda = draw(st.sampled_from(CODAS)) if nucleus[-1] not in "iyuo" else ""
    tone = draw(st.sampled_from(TONES))
    # the mark on the last quality-marked vowel, else the middle / second / only vowel
    marked = [i for i, ch in enumerate(nucleus) if ch in "ăâêôơư"]
    at = marked[-1] if marked else (1 if len(nucleus) >= 2 else 0)
    body = nucleus[:at] + _toned(nucleus[at], tone) + nucleus[at + 1 :]
    word = draw(st.sampled_from(ONSETS)) + body + coda
    case = draw(st.sampled_from(["lower", "lower", "lower", "title", "upper"]))
    return word.title() if case == "title" else word.upper() if case == "upper" else word


def nfd_or_nfc(text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """The same texts, some in decomposed (NFD) form."""
    return st.tuples(text, st.booleans()).map(lambda p: unicodedata.normalize("NFD", p[0]) if p[1] else p[0])


#: Arbitrary text biased toward Vietnamese: letters with every tone, both forms, digits, odd spaces, invisibles.
vi_text = nfd_or_nfc(
    st.one_of(
        st.lists(st.one_of(VI_PIECE, syllables()), max_size=120).map("".join),
        st.lists(st.one_of(VI_PIECE, syllables(), st.just(" ")), max_size=80).map(" ".join),
        st.text(max_size=100),
    )
)

#: Sentences of real-looking syllables with punctuation, as prose.
vi_words = st.lists(syllables(), min_size=1, max_size=12).map(" ".join)
vi_sentence = st.builds(lambda w, p: w + p, vi_words, st.sampled_from([".", ".", "!", "?", ";", ",", ":", "…", ""]))
vi_paragraph = st.lists(vi_sentence, min_size=1, max_size=8).map(" ".join)
