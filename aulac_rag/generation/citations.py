"""Citation checking: every ``[n]`` must name a context that was given; invented ones are dropped.

Groups like ``[1, 3]`` or ``[1;3]`` are normalized to ``[1][3]`` so that each
citation is one ``[n]``. :class:`CitationStreamFilter` does the same on a stream,
holding back only an unfinished ``[...`` so streamed text is already clean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_GROUP = re.compile(r"\s?\[(\s*\d+(?:\s*[,;]\s*\d+)*\s*)\]")
_NUMBER = re.compile(r"\d+")
_MAX_OPEN = 24  # an unclosed "[" longer than this is plain text, not a citation


@dataclass(frozen=True)
class CitationCheck:
    """The answer with only valid citations, which numbers it cites, and which were invented."""

    text: str
    cited: tuple[int, ...]
    invalid: tuple[int, ...]


def _rewrite(match: re.Match[str], valid: range, cited: list[int], invalid: list[int]) -> str:
    numbers = [int(x) for x in _NUMBER.findall(match.group(1))]
    kept = []
    for n in numbers:
        if n in valid:
            if n not in kept:
                kept.append(n)
            if n not in cited:
                cited.append(n)
        elif n not in invalid:
            invalid.append(n)
    if not kept:
        return ""
    space = " " if match.group(0).startswith((" ", "\n", "\t")) else ""
    return space + "".join(f"[{n}]" for n in kept)


def check_citations(text: str, n_contexts: int) -> CitationCheck:
    """Keep ``[n]`` with 1 <= n <= n_contexts; remove the others and report them."""
    valid = range(1, n_contexts + 1)
    cited: list[int] = []
    invalid: list[int] = []
    cleaned = _GROUP.sub(lambda m: _rewrite(m, valid, cited, invalid), text)
    cleaned = re.sub(r"[ \t]+([.,;:!?])", r"\1", cleaned) if invalid else cleaned
    return CitationCheck(text=cleaned, cited=tuple(cited), invalid=tuple(invalid))


class CitationStreamFilter:
    """Streams text through :func:`check_citations`, holding back only an open ``[``."""

    def __init__(self, n_contexts: int) -> None:
        self.n_contexts = n_contexts
        self._pending = ""

    def feed(self, chunk: str) -> str:
        text = self._pending + chunk
        self._pending = ""
        cut = _open_bracket(text)
        if cut is not None:
            # keep a space before "[" with it, so a removed citation takes its space along
            if cut > 0 and text[cut - 1] in " \t":
                cut -= 1
            text, self._pending = text[:cut], text[cut:]
        elif text.endswith((" ", "\t")):
            stripped = text.rstrip(" \t")
            text, self._pending = stripped, text[len(stripped) :]
        return check_citations(text, self.n_contexts).text

    def flush(self) -> str:
        text, self._pending = self._pending, ""
        return check_citations(text, self.n_contexts).text


def _open_bracket(text: str) -> int | None:
    """Index of a trailing ``[`` that may still become a citation, else None."""
    start = text.rfind("[")
    if start == -1 or "]" in text[start:]:
        return None
    tail = text[start + 1 :]
    if len(tail) > _MAX_OPEN or not re.fullmatch(r"[\d\s,;]*", tail):
        return None
    return start
