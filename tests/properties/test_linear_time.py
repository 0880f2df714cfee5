"""Time grows roughly linearly with input size on adversarial inputs (no regex blow-ups).

Each check times an input of size n and 8n (the best of five runs, the garbage collector paused:
its pauses grow with the whole test process's heap, not with the input) and allows a ratio of 30
instead of 8, so a loaded CI machine does not make it flaky; a quadratic path gives ~64.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

import pytest

from aulac_rag.chunking import DocumentChunker
from aulac_rag.config import ChunkingConfig
from aulac_rag.connectors.readers import read_html, read_markdown, read_plain
from aulac_rag.documents import Document
from aulac_rag.errors import ConnectorError
from aulac_rag.guardrails.pii import PiiDetector
from aulac_rag.text.normalize import fold_diacritics, normalize_text
from aulac_rag.text.tokenize import syllable_bigram_tokens

MAX_RATIO = 30

PATTERNS: dict[str, Callable[[int], str]] = {
    "digit_run": lambda n: "0" * n,
    "digit_groups": lambda n: "STK " + "0909 " * (n // 5),
    "spaces": lambda n: "a" + " " * n + "b",
    "articles": lambda n: "Điều 1.\n" * (n // 8),
    "at_signs": lambda n: "a@" * (n // 2),
    "long_line": lambda n: "hoàbìnhthuỷ" * (n // 11),
    "names": lambda n: "Nguyễn " * (n // 7),
    "cues": lambda n: "tôi tên là " * (n // 11),
    "address": lambda n: "nhà ở số 1, " * (n // 12),
    "labels": lambda n: "STK " * (n // 4),
    "dots": lambda n: "1." * (n // 2),
    "decomposed": lambda n: "a\u0301\u0300\u0309" * (n // 4),
}
TAG_PATTERNS: dict[str, Callable[[int], str]] = {
    "nested": lambda n: "<div>" * (n // 10) + "x" + "</div>" * (n // 10),
    "unclosed": lambda n: "<p><b>" * (n // 6),
    "cells": lambda n: "<tr><td>a</td><td>b</td></tr>" * (n // 30),
    "brs": lambda n: "<br>" * (n // 4),
}


def _best(fn: Callable[[str], object], text: str) -> float:
    times = []
    collecting = gc.isenabled()
    gc.disable()
    try:
        for _ in range(5):
            start = time.perf_counter()
            fn(text)
            times.append(time.perf_counter() - start)
    finally:
        if collecting:
            gc.enable()
    return min(times)


def _assert_linear(fn: Callable[[str], object], make: Callable[[int], str], n: int) -> None:
    small, large = make(n), make(8 * n)
    fn(small)  # warm caches and lazy imports
    t_small = max(_best(fn, small), 2e-4)  # below timer noise, a ratio says nothing
    t_large = _best(fn, large)
    assert t_large / t_small < MAX_RATIO, f"{t_small:.4f}s for {len(small)} chars, {t_large:.4f}s for {len(large)}"


_PII = PiiDetector()
_CHUNKER = DocumentChunker(ChunkingConfig(max_tokens=64))
TEXT_FUNCTIONS: dict[str, tuple[Callable[[str], object], int]] = {
    "normalize": (normalize_text, 4000),
    "fold": (fold_diacritics, 4000),
    "tokens": (syllable_bigram_tokens, 4000),
    "chunker": (lambda t: _CHUNKER.run(Document(doc_id="d", text=t)), 3000),
    "pii_mask": (_PII.mask, 1500),
    "read_plain": (lambda t: read_plain(t.encode("utf-8")), 4000),
    "read_markdown": (lambda t: read_markdown(t.encode("utf-8")), 4000),
}


@pytest.mark.parametrize("pattern", sorted(PATTERNS))
@pytest.mark.parametrize("function", sorted(TEXT_FUNCTIONS))
def test_text_functions_scale_linearly(function: str, pattern: str) -> None:
    fn, n = TEXT_FUNCTIONS[function]
    _assert_linear(fn, PATTERNS[pattern], n)


def _html(text: str) -> object:
    try:
        return read_html(text.encode("utf-8"))
    except ConnectorError as exc:  # a page too deeply nested is refused, which is fine if quick
        return exc


@pytest.mark.parametrize("pattern", sorted({**PATTERNS, **TAG_PATTERNS}))
def test_read_html_scales_linearly(pattern: str) -> None:
    _assert_linear(_html, {**PATTERNS, **TAG_PATTERNS}[pattern], 1000)


def test_read_html_unclosed_start_tags_scale_linearly() -> None:
    # html.parser (CPython 3.11) took quadratic time here (64 KB: about a minute); read_html uses lxml
    _assert_linear(_html, lambda n: "<a " * (n // 3), 1000)
