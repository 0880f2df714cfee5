"""The fast paths of ingestion give exactly what their plain definitions give.

Normalization by space-separated pieces, pack() counting each unit once, BM25 vectors of many
passages at once, and bigram ids from their syllables' CRCs are each checked against the
straightforward code they replace.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections import Counter

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from aulac_rag.chunking.sentences import count_tokens, split_sentences
from aulac_rag.sparse import ids
from aulac_rag.sparse.bm25 import SPARSE_EXACT, SPARSE_FOLDED, BM25SparseEncoder, SparseVector
from aulac_rag.text import normalize
from aulac_rag.text.tokenize import fold_token, syllable_bigram_tokens
from tests.properties.strategies import PIECES, vi_paragraph, vi_text

_SYLLABLE = re.compile(r"([^\W\d_]+)")
_EXOTIC = ["ǘ", "ë", "İ", "ß", "ﬁ", "Ω", "ǅ", "ǹ", "x" * 70, "đ" * 40, "Ⅻ", "٣", "ᄀ", "ᅡ", "_", " ", "  "]
texts = st.one_of(vi_text, st.lists(st.sampled_from(PIECES + _EXOTIC), max_size=80).map("".join))


def _normalize_reference(text: str) -> str:
    """normalize_text as first written: every syllable of the whole text through the per-syllable function."""
    text = unicodedata.normalize("NFC", text)
    text = normalize._INVISIBLE.sub("", text)
    text = normalize._SPACES.sub(" ", text)
    parts = _SYLLABLE.split(text)
    parts[1::2] = [normalize.normalize_tone_placement(p) for p in parts[1::2]]
    return "".join(parts)


@settings(max_examples=500)
@given(texts)
@example("hoà  hòa\u00a0thuỷ, ThủyLợi hoà\nhoà" + " hoà" * 5)
@example("x" * 200 + " hoà")
def test_normalize_text_matches_its_definition(text: str) -> None:
    assert normalize.normalize_text(text) == _normalize_reference(text)
    assert normalize.normalize_text(text) == _normalize_reference(text)  # the second time from the cache


def _pack_reference(units: list[str], max_tokens: int, overlap: int = 0, joiner: str = " ") -> list[str]:
    """pack() as first written (counting a unit's tokens whenever it is needed)."""
    expanded: list[str] = []
    for unit in units:
        if count_tokens(unit) <= max_tokens:
            expanded.append(unit)
            continue
        for sentence in split_sentences(unit):
            words = sentence.split()
            for start in range(0, len(words), max_tokens):
                expanded.append(" ".join(words[start : start + max_tokens]))
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for unit in expanded:
        tokens = count_tokens(unit)
        if current and size + tokens > max_tokens:
            pieces.append(joiner.join(current))
            current = current[-overlap:] if overlap else []
            size = sum(count_tokens(u) for u in current)
            if size + tokens > max_tokens:
                current, size = [], 0
        current.append(unit)
        size += tokens
    if current:
        pieces.append(joiner.join(current))
    return pieces


@settings(max_examples=300)
@given(st.lists(st.one_of(vi_paragraph, texts), max_size=6), st.integers(1, 40), st.integers(0, 3), st.sampled_from([" ", "\n\n"]))
def test_pack_matches_its_definition(units: list[str], budget: int, overlap: int, joiner: str) -> None:
    from aulac_rag.chunking.sentences import pack

    assert pack(units, budget, overlap, joiner) == _pack_reference(units, budget, overlap, joiner)


def _vector_reference(encoder: BM25SparseEncoder, text: str) -> dict[str, SparseVector]:
    """BM25 of the bigram tokenizer's token strings, each id the CRC-32 of the string (and of it folded)."""
    tokens = syllable_bigram_tokens(text, normalized=True)
    out = {}
    for name, ident in ((SPARSE_EXACT, lambda t: t), (SPARSE_FOLDED, fold_token)):
        counts: Counter[int] = Counter(zlib.crc32(ident(t).encode()) & ids.MASK31 for t in tokens)
        indices = sorted(counts)
        tf = np.array([counts[i] for i in indices], dtype=np.float64)
        norm = encoder.k1 * (1 - encoder.b + encoder.b * len(tokens) / encoder.avg_len)
        out[name] = SparseVector(indices, (tf * (encoder.k1 + 1) / (tf + norm)).tolist())
    return out


@settings(max_examples=300)
@given(st.lists(texts.map(normalize.normalize_text), max_size=6))
@example(["Hoà hòa HOÀ hoa Đường duong đường 2024 2024", "", "a " + "ư" * 40 + " b", "x" * 70 + " y z"])
def test_passages_match_the_token_definition(batch: list[str]) -> None:
    encoder = BM25SparseEncoder(avg_len=37.0)
    expected = [_vector_reference(encoder, t) for t in batch]
    assert encoder.passages(batch, normalized=True) == expected
    assert [encoder.passage(t, normalized=True) for t in batch] == expected


def test_pair_ids_survive_a_cleared_table(monkeypatch) -> None:
    monkeypatch.setattr(ids, "_LIMIT", 3)
    encoder = BM25SparseEncoder(avg_len=10.0)
    for text in ["một hai ba bốn năm", "sáu bảy tám", "một hai ba bốn năm sáu"]:
        assert encoder.passage(text, normalized=True) == _vector_reference(encoder, text)
