"""Token ids for the sparse vectors, cached per token and looked up in bulk.

A token's id is the CRC-32 of its UTF-8 bytes (31 bits); its folded id is that of the token
without diacritics. Both are packed in one int64 (``exact << 31 | folded``) so one dictionary
lookup per token gives both, and ``map(table.__getitem__, tokens)`` runs the loop in C. For the
default syllable-bigram tokenizer a text's syllables are looked up a space-separated piece at a
time (``_Pieces``: one lookup gives the rows of a word and its punctuation), and the pairs get their
ids from their syllables' CRCs with array operations (``_Rows.pair_ids``), so the bigram strings
are never built (but for pairs with a very long second syllable).
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Sequence
from itertools import chain

import numpy as np

from aulac_rag.text.tokenize import _TOKEN, fold_token

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


def _zero_byte_shifts(most: int) -> np.ndarray:
    """``T[(n * 4 + k) * 256 + v]``: CRC-32's register after ``n`` zero bytes, from ``v << 8k`` (n ≤ ``most``).

    The register's update is linear, so for strings ``A`` and ``B``
    ``crc32(A + B) = shift(crc32(A), len(B)) ^ crc32(B)``, where ``shift(c, n)`` (the register ``c`` after
    ``n`` zero bytes, without zlib's pre- and post-inversion) is the XOR of one table entry per byte of ``c``.
    """
    one = np.array([zlib.crc32(b"\0", v ^ 0xFFFFFFFF) ^ 0xFFFFFFFF for v in range(256)], dtype=np.int64)
    tables = [np.array([[v << (8 * k) for v in range(256)] for k in range(4)], dtype=np.int64)]  # n = 0: itself
    for _ in range(most):
        c = tables[-1]
        tables.append((c >> 8) ^ one[c & 0xFF])
    return np.stack(tables).reshape(-1)


_MOST_BYTES = 64  # pairs whose second syllable is longer (in UTF-8) are looked up one by one
_SHIFTS = _zero_byte_shifts(_MOST_BYTES)


def _shifted(crc: np.ndarray, length: np.ndarray) -> np.ndarray:
    """``shift(crc[i], length[i])`` for arrays of 32-bit registers and byte counts (≤ ``_MOST_BYTES``)."""
    base = length * 1024
    shifted: np.ndarray = (
        _SHIFTS[base + (crc & 0xFF)]
        ^ _SHIFTS[base + 256 + ((crc >> 8) & 0xFF)]
        ^ _SHIFTS[base + 512 + ((crc >> 16) & 0xFF)]
        ^ _SHIFTS[base + 768 + (crc >> 24)]
    )
    return shifted


class _Rows(dict[str, int]):
    """syllable → row; ``packed[row]`` is its packed id and ``tokens[row]`` the syllable.

    Each row also keeps the full CRC-32 of the syllable, of the syllable followed by ``_`` and the
    syllable's length in UTF-8 bytes, with and without diacritics: the pair ``a_b``'s CRC is then
    ``shift(crc(a_), len(b)) ^ crc(b)``, computed for all pairs at once without building ``a_b``.
    Folding maps ``a_b`` to ``fold(a)_fold(b)`` (NFC, the fold table and dropping combining marks
    never reach across ``_``, a starter that composes with nothing).
    """

    COLUMNS = ("packed", "exact", "exact_", "exact_len", "folded", "folded_", "folded_len")

    def __init__(self) -> None:
        super().__init__()
        self.tokens: list[str] = []
        self.table = np.zeros((len(self.COLUMNS), 1024), dtype=np.int64)

    @property
    def packed(self) -> np.ndarray:
        packed: np.ndarray = self.table[0]
        return packed

    def clear(self) -> None:
        super().clear()
        self.tokens.clear()

    def __missing__(self, token: str) -> int:
        row = len(self.tokens)
        if row == self.table.shape[1]:
            self.table = np.concatenate([self.table, np.zeros_like(self.table)], axis=1)
        exact = token.encode("utf-8")
        folded = fold_token(token).encode("utf-8")
        e, f = zlib.crc32(exact), zlib.crc32(folded)
        self.table[:, row] = ((e & MASK31) << 31 | (f & MASK31), e, zlib.crc32(b"_", e), len(exact), f, zlib.crc32(b"_", f), len(folded))
        self.tokens.append(token)
        self[token] = row
        return row

    def pair_ids(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Packed ids of the tokens ``tokens[first[i]] + "_" + tokens[second[i]]``."""
        _, exact, exact_, exact_len, folded, folded_, folded_len = self.table
        e_len, f_len = exact_len[second], folded_len[second]
        long = (e_len > _MOST_BYTES) | (f_len > _MOST_BYTES)
        if long.any():
            e_len, f_len = np.where(long, 0, e_len), np.where(long, 0, f_len)
        e = _shifted(exact_[first], e_len) ^ exact[second]
        f = _shifted(folded_[first], f_len) ^ folded[second]
        ids: np.ndarray = ((e & MASK31) << 31) | (f & MASK31)
        for i in np.flatnonzero(long).tolist():
            ids[i] = _PAIRS[int(first[i]) << 32 | int(second[i])]
        return ids


class _Pairs(dict[int, int]):
    """``row_a << 32 | row_b`` → packed id of the bigram token ``a_b`` (when ``b`` is too long for ``_SHIFTS``)."""

    def __init__(self, rows: _Rows) -> None:
        super().__init__()
        self.rows = rows

    def __missing__(self, code: int) -> int:
        tokens = self.rows.tokens
        value = self[code] = packed_id(f"{tokens[code >> 32]}_{tokens[code & 0xFFFFFFFF]}")
        return value


class _Pieces(dict[str, tuple[int, ...]]):
    """Space-separated piece of text → rows of its lower-cased syllables (``\\w+`` runs).

    A syllable never contains a space and lower-casing never looks across one, so the syllables of
    a text are those of its pieces in order; pieces repeat, so most cost one dictionary lookup.
    """

    def __missing__(self, piece: str) -> tuple[int, ...]:
        value = tuple(map(_ROWS.__getitem__, _TOKEN.findall(piece.lower())))
        if len(piece) <= 64:  # long pieces (text without spaces) are not kept
            self[piece] = value
        return value


_PACKED = _Packed()
_ROWS = _Rows()
# rows are numbered as syllables are first seen and renumbered when the tables are cleared: one batch at a
# time (ingestions of two sandboxes in one server process may run in two threads)
_ROWS_LOCK = threading.Lock()
_PAIRS = _Pairs(_ROWS)
_PIECES = _Pieces()


def _bounded() -> None:
    if len(_PACKED) > _LIMIT:
        _PACKED.clear()
    if len(_ROWS) > _LIMIT or len(_PAIRS) > 4 * _LIMIT or len(_PIECES) > _LIMIT:
        _PAIRS.clear()  # pair codes and pieces name rows: they go with the rows
        _PIECES.clear()
        _ROWS.clear()


def token_ids(tokens: Sequence[str]) -> np.ndarray:
    """Packed ids of ``tokens``, one per token, in order."""
    _bounded()
    return np.fromiter(map(_PACKED.__getitem__, tokens), dtype=np.int64, count=len(tokens))


def _bigrams(rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Packed ids of the syllables of each list of syllable ``rows`` and of their adjacent pairs (``a_b``; pairs
    never cross two lists), and the list each id came from. The pairs' ids come from their syllables'
    rows with array operations, so the pair strings are never built."""
    sizes = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    flat = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=int(sizes.sum()))
    owner = np.repeat(np.arange(len(rows), dtype=np.int64), sizes)
    inside = np.flatnonzero(owner[1:] == owner[:-1])  # pairs of adjacent syllables of the same list
    pairs = _ROWS.pair_ids(flat[inside], flat[inside + 1])
    return np.concatenate([_ROWS.packed[flat], pairs]), np.concatenate([owner, owner[inside]])


def syllable_bigram_texts(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The ``syllable_bigram`` tokenizer's token ids of normalized texts (their syllables, as
    ``tokenize.syllables`` reads them, then their adjacent pairs), and the text each id came from."""
    with _ROWS_LOCK:
        _bounded()
        rows = [list(chain.from_iterable(map(_PIECES.__getitem__, text.split(" ")))) for text in texts]
        return _bigrams(rows)
