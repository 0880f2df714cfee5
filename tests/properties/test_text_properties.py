"""Properties of the Vietnamese text normalizer and tokenizers (aulac_rag.text)."""

from __future__ import annotations

import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from aulac_rag.text.normalize import fold_diacritics, has_diacritics, normalize_text, normalize_tone_placement
from aulac_rag.text.tokenize import folded_tokens, syllable_bigram_tokens, syllables
from tests.properties.strategies import CODAS, ONSETS, TONES, vi_paragraph, vi_text
from tests.properties.strategies import syllables as vi_syllable

_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"


@settings(max_examples=400)
@given(vi_text)
@example("café España ThủyLợi hòabình élève")
def test_normalize_is_nfc_idempotent_and_drops_invisibles(text: str) -> None:
    out = normalize_text(text)
    assert unicodedata.is_normalized("NFC", out)
    assert normalize_text(out) == out
    assert not any(ch in _INVISIBLE for ch in out)
    assert normalize_text(unicodedata.normalize("NFD", text)) == out


@settings(max_examples=200)
@given(vi_text)
@example("café España Müller élève ThủyLợi hòabình")
def test_normalize_keeps_letters_and_marks(text: str) -> None:
    """Tone marks may move inside a syllable, never get lost, added, or land on a consonant."""
    out = normalize_text(text)

    def marks(s: str) -> list[str]:
        return sorted(ch for ch in unicodedata.normalize("NFD", s) if unicodedata.combining(ch))

    def bases(s: str) -> str:
        return "".join(ch for ch in unicodedata.normalize("NFD", s) if not unicodedata.combining(ch))

    cleaned = "".join(ch for ch in text if ch not in _INVISIBLE)
    assert marks(out) == marks(cleaned)
    assert len(bases(out)) == len(bases(cleaned))
    assert fold_diacritics(out).lower() == fold_diacritics(normalize_text(cleaned)).lower()


@settings(max_examples=200)
@given(
    st.sampled_from([o for o in ONSETS if o not in ("qu", "gi")]),
    st.sampled_from(["oa", "oe", "uy"]),
    st.sampled_from(CODAS),
    st.sampled_from(TONES[1:]),
    st.sampled_from([str.lower, str.upper, str.title]),
)
def test_both_tone_placements_normalize_the_same(onset: str, nucleus: str, coda: str, tone: str, case) -> None:
    """hoà/hòa, thuỷ/thủy, khoẻ/khỏe: old and new placement give one string (also decomposed)."""
    old = case(unicodedata.normalize("NFC", onset + nucleus[0] + tone + nucleus[1] + coda))
    new = case(unicodedata.normalize("NFC", onset + nucleus + tone + coda))
    assert normalize_text(old) == normalize_text(new) == normalize_tone_placement(old)
    assert normalize_text(unicodedata.normalize("NFD", old)) == normalize_text(new)
    assert syllable_bigram_tokens(f"{old} {new}") == syllable_bigram_tokens(f"{new} {old}")


@settings(max_examples=200)
@given(vi_syllable())
def test_syllables_round_trip(syllable: str) -> None:
    """A well-formed syllable keeps its letters and tone; a canonical one is left as it is."""
    out = normalize_tone_placement(syllable)
    assert fold_diacritics(out) == fold_diacritics(syllable)
    assert out == unicodedata.normalize("NFC", syllable) or unicodedata.normalize("NFD", out) != syllable
    assert normalize_tone_placement(out) == out


@settings(max_examples=400)
@given(vi_text)
def test_fold_diacritics_is_idempotent_and_complete(text: str) -> None:
    folded = fold_diacritics(text)
    assert fold_diacritics(folded) == folded
    assert not any("\u0300" <= ch <= "\u036f" for ch in folded)
    assert "đ" not in folded and "Đ" not in folded
    assert fold_diacritics(normalize_text(text)) == fold_diacritics(normalize_text(folded))


@settings(max_examples=200)
@given(vi_paragraph)
def test_folded_vietnamese_has_no_diacritics(text: str) -> None:
    folded = fold_diacritics(text)
    assert folded.isascii() or not has_diacritics(folded)
    assert len(folded) == len(unicodedata.normalize("NFC", text))  # one letter for one letter


@settings(max_examples=300)
@given(vi_text)
def test_tokenizers_total_and_consistent(text: str) -> None:
    tokens = syllables(text)
    assert all(t and not any(ch.isspace() for ch in t) and t == t.lower() for t in tokens)
    assert syllables(normalize_text(text), normalized=True) == tokens
    assert syllables(unicodedata.normalize("NFD", text)) == tokens
    bigrams = syllable_bigram_tokens(text)
    assert bigrams[: len(tokens)] == tokens and len(bigrams) == max(0, 2 * len(tokens) - 1)
    assert len(folded_tokens(tokens)) == len(tokens)
