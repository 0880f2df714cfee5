"""Token ids for the sparse vectors, cached per token and looked up in bulk.

A token's id is the CRC-32 of its UTF-8 bytes (31 bits); its folded id is that of the token
without diacritics. Both are packed in one int64 (``exact << 31 | folded``) so one dictionary
lookup per token gives both, and ``map(table.__getitem__, tokens)`` runs the loop in C. The
syllable-bigram tokenizer's pairs are looked up by the pair of syllable rows, so the bigram
strings are only built the first time a pair is seen.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

from aulac_rag.text.tokenize import fold_token

MASK31 = 0x7FFFFFFF
_LIMIT = 1_000_000  # entries per table before it is cleared (a corpus vocabulary is far smaller)


def token_id(token: str) -> int:
    """Stable 31-bit id of a token (collisions are negligible at corpus vocabularies)."""
    return zlib.crc32(token.encode("utf-8")) & MASK31


def packed_id(token: str) -> int:
    """``exact id << 31 | folded id`` of one token."""
    return token_id(token) << 31 | token_id(fold_token(token))


class _Packed(dict[str, int]):
    """token → packed id, computed on first sight."""

    def __missing__(self, token: str) -> int:
        value = self[token] = packed_id(token)
        return value


class _Rows(dict[str, int]):
    """syllable → row; ``packed[row]`` is its packed id and ``tokens[row]`` the syllable."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens: list[str] = []
        self.packed = np.zeros(1024, dtype=np.int64)

    def __missing__(self, token: str) -> int:
        row = len(self.tokens)
        if row == len(self.packed):
            self.packed = np.concatenate([self.packed, np.zeros(row, dtype=np.int64)])
        self.packed[row] = packed_id(token)
        self.tokens.append(token)
        self[token] = row
        return row


class _Pairs(dict[int, int]):
    """``row_a << 32 | row_b`` → packed id of the bigram token ``a_b``."""

    def __init__(self, rows: _Rows) -> None:
        super().__init__()
        self.rows = rows

    def __missing__(self, code: int) -> int:
        tokens = self.rows.tokens
        value = self[code] = packed_id(f"{tokens[code >> 32]}_{tokens[code & 0xFFFFFFFF]}")
        return value


_PACKED = _Packed()
_ROWS = _Rows()
_PAIRS = _Pairs(_ROWS)


def _bounded() -> None:
    if len(_PACKED) > _LIMIT:
        _PACKED.clear()
    if len(_ROWS) > _LIMIT or len(_PAIRS) > 4 * _LIMIT:
        _PAIRS.clear()  # pair codes name rows: they go with the rows
        _ROWS.clear()
        _ROWS.tokens.clear()


def token_ids(tokens: Sequence[str]) -> np.ndarray:
    """Packed ids of ``tokens``, one per token, in order."""
    _bounded()
    return np.fromiter(map(_PACKED.__getitem__, tokens), dtype=np.int64, count=len(tokens))


def syllable_bigram_ids(units: Sequence[str]) -> np.ndarray:
    """Packed ids of the syllables followed by those of their adjacent pairs (``a_b``): the
    ``syllable_bigram`` tokenizer's tokens, without building the pair strings."""
    _bounded()
    rows = np.fromiter(map(_ROWS.__getitem__, units), dtype=np.int64, count=len(units))
    codes = (rows[:-1] << 32) | rows[1:]
    pairs = np.fromiter(map(_PAIRS.__getitem__, codes.tolist()), dtype=np.int64, count=len(codes))
    return np.concatenate([_ROWS.packed[rows], pairs])
