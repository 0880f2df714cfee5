"""Sentence splitting and token budgets shared by the chunkers."""

from __future__ import annotations

import re

# A sentence ends at . ! ? … (or ;) followed by space and a capital/digit/quote, or a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?…;:])\s+(?=[\"“(\[0-9A-ZÀ-ỸĐ])|\n+")


def count_tokens(text: str) -> int:
    """Token budget unit: whitespace-separated words (one Vietnamese syllable each)."""
    return len(text.split())


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def pack(units: list[str], max_tokens: int, overlap: int = 0, joiner: str = " ") -> list[str]:
    """Greedily pack text units into pieces of at most ``max_tokens``.

    A unit longer than the budget is split by sentences, then by words.
    ``overlap`` repeats that many trailing units at the start of the next piece.
    """
    expanded: list[str] = []
    sizes: list[int] = []  # count_tokens of each expanded unit, counted once
    for unit in units:
        tokens = count_tokens(unit)
        if tokens <= max_tokens:
            expanded.append(unit)
            sizes.append(tokens)
            continue
        for sentence in split_sentences(unit):
            words = sentence.split()
            for start in range(0, len(words), max_tokens):
                piece = " ".join(words[start : start + max_tokens])
                expanded.append(piece)
                sizes.append(count_tokens(piece))
    pieces: list[str] = []
    current: list[str] = []
    current_sizes: list[int] = []
    size = 0
    for unit, tokens in zip(expanded, sizes, strict=True):
        if current and size + tokens > max_tokens:
            pieces.append(joiner.join(current))
            current = current[-overlap:] if overlap else []
            current_sizes = current_sizes[-overlap:] if overlap else []
            size = sum(current_sizes)
            if size + tokens > max_tokens:
                current, current_sizes, size = [], [], 0
        current.append(unit)
        current_sizes.append(tokens)
        size += tokens
    if current:
        pieces.append(joiner.join(current))
    return pieces
