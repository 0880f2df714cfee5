"""Vietnamese tokens for BM25 and word segmentation for models that want it.

Tokenizers (``retrieval.sparse_tokenizer``):
- ``syllable``: lower-cased syllables;
- ``syllable_bigram``: syllables plus adjacent-syllable pairs, which capture
  two-syllable words (``bảo_hiểm``) without a segmenter (measured best in bench/);
- ``pyvi`` / ``underthesea``: dictionary/CRF word segmentation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from aulac_rag.registry import Registry
from aulac_rag.text.normalize import fold_diacritics, normalize_text

_TOKEN = re.compile(r"\w+", re.UNICODE)

Tokenizer = Callable[..., list[str]]
"""``tokenizer(text, normalized=False)``; ``normalized=True`` skips :func:`normalize_text` (ingestion did it)."""
_T = "aulac_rag.text.tokenize:"
tokenizers: Registry[Tokenizer] = Registry(
    "sparse tokenizer",
    "aulac_rag.tokenizers",
    {
        "syllable": _T + "syllable_tokens",
        "syllable_bigram": _T + "syllable_bigram_tokens",
        "pyvi": _T + "pyvi_tokens",
        "underthesea": _T + "underthesea_tokens",
    },
)


def _normalized(text: str, normalized: bool) -> str:
    return text if normalized else normalize_text(text)


def syllables(text: str, normalized: bool = False) -> list[str]:
    """Normalized, lower-cased syllables (and numbers) of ``text``."""
    return _TOKEN.findall(_normalized(text, normalized).lower())


def syllable_tokens(text: str, normalized: bool = False) -> list[str]:
    return syllables(text, normalized)


def syllable_bigram_tokens(text: str, normalized: bool = False) -> list[str]:
    units = syllables(text, normalized)
    return units + [f"{a}_{b}" for a, b in zip(units, units[1:], strict=False)]


def pyvi_tokens(text: str, normalized: bool = False) -> list[str]:
    from pyvi import ViTokenizer

    return _TOKEN.findall(ViTokenizer.tokenize(_normalized(text, normalized)).lower())


def underthesea_tokens(text: str, normalized: bool = False) -> list[str]:
    from underthesea import word_tokenize

    return [w.replace(" ", "_") for w in word_tokenize(_normalized(text, normalized).lower()) if _TOKEN.search(w)]


fold_token = lru_cache(maxsize=500_000)(fold_diacritics)
"""One token without diacritics (cached: vocabularies are small)."""


def folded_tokens(tokens: list[str]) -> list[str]:
    """The same tokens without diacritics, for queries typed without them."""
    return [fold_token(t) for t in tokens]


@lru_cache(maxsize=1)
def _pyvi() -> Callable[[str], str]:
    from pyvi import ViTokenizer

    tokenize: Callable[[str], str] = ViTokenizer.tokenize
    return tokenize


def segment_words(text: str) -> str:
    """Word-segmented text (``bảo_hiểm y_tế``) as pyvi-trained models expect."""
    return _pyvi()(normalize_text(text))
