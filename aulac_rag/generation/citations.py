"""Citation checking: every ``[n]`` must name a context that was given; invented ones are dropped.

Groups like ``[1, 3]`` or ``[1;3]`` are normalized to ``[1][3]`` so that each
citation is one ``[n]``. :class:`CitationStreamFilter` does the same on a stream,
holding back only an unfinished ``[...`` so streamed text is already clean.

:class:`CitationNumbering` then shows the cited contexts as ``[1]``, ``[2]``, ``[3]``… in the
order the answer first cites them (no gaps such as ``[1][3]``), one number per distinct
passage (two contexts holding the same chunk share it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass

_NUMBERS = r"\s*\d+(?:\s*[,;–-]\s*\d+)*\s*"  # inside the brackets: 1 | 1, 3 | 1;3 | ranges 1-3 / 1–3
#: one citation group: [1], [1, 3], [1;3], [1-3] (its numbers: :func:`cited_numbers`)
CITATION_GROUP = rf"\[{_NUMBERS}\]"
_GROUP = re.compile(rf"\s?\[({_NUMBERS})\]")
_RANGE = re.compile(r"(\d+)\s*[–-]\s*(\d+)|(\d+)")
_MAX_RANGE = 20
_MAX_OPEN = 24  # an unclosed "[" longer than this is plain text, not a citation


@dataclass(frozen=True)
class CitationCheck:
    """The answer with only valid citations, which numbers it cites, and which were invented."""

    text: str
    cited: tuple[int, ...]
    invalid: tuple[int, ...]


def cited_numbers(groups: str) -> list[int]:
    """The numbers that citation groups name, in order, ranges expanded ("[1-3][5]" → 1, 2, 3, 5; a range
    wider than 20 counts as its two ends)."""
    numbers: list[int] = []
    for m in _RANGE.finditer(groups):
        if m.group(3) is not None:
            numbers.append(int(m.group(3)))
            continue
        low, high = int(m.group(1)), int(m.group(2))
        numbers += list(range(low, high + 1)) if 0 <= high - low <= _MAX_RANGE else [low, high]
    return list(dict.fromkeys(numbers))


def _rewrite(match: re.Match[str], valid: range, cited: list[int], invalid: list[int]) -> str:
    numbers = cited_numbers(match.group(1))
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


_SINGLE = re.compile(r"\[(\d+)\]")
_REPEATED = re.compile(r"(\[\d+\])(?:\1)+")


class CitationNumbering:
    """Numbers shown for cited contexts: 1, 2, 3… in order of first citation, one per distinct passage.

    ``passage_of(n)`` names context ``n``'s passage (its chunk id): contexts with the same
    passage get the same number. Feed text whose citations were checked
    (:func:`check_citations`); :attr:`order` maps each shown number back to a context.
    """

    def __init__(self, passage_of: Callable[[int], Hashable] | None = None) -> None:
        self.passage_of: Callable[[int], Hashable] = passage_of or (lambda n: n)
        self._shown: dict[Hashable, int] = {}
        self._order: list[int] = []

    @property
    def order(self) -> tuple[int, ...]:
        """The context number behind each shown number: ``order[k - 1]`` for ``[k]``."""
        return tuple(self._order)

    def number(self, n: int) -> int:
        """The shown number of context ``n`` (a new one when its passage is cited for the first time)."""
        key = self.passage_of(n)
        if key not in self._shown:
            self._order.append(n)
            self._shown[key] = len(self._order)
        return self._shown[key]

    def context(self, shown: int) -> int:
        """The context number behind the shown number ``shown``."""
        return self._order[shown - 1]

    def renumber(self, text: str) -> str:
        """``text`` with each ``[n]`` replaced by its shown number (a repeated ``[k][k]`` said once)."""
        renumbered = _SINGLE.sub(lambda m: f"[{self.number(int(m.group(1)))}]", text)
        return _REPEATED.sub(r"\1", renumbered)


def renumber_citations(text: str, passage_of: Callable[[int], Hashable] | None = None) -> tuple[str, tuple[int, ...]]:
    """``text`` with citations renumbered 1, 2, 3… in order of appearance, and the old number behind each new one."""
    numbering = CitationNumbering(passage_of)
    return numbering.renumber(text), numbering.order


class CitationStreamFilter:
    """Streams text through :func:`check_citations`, holding back only an open ``[``.

    With a :class:`CitationNumbering`, the streamed citations are renumbered as they pass.
    """

    def __init__(self, n_contexts: int, numbering: CitationNumbering | None = None) -> None:
        self.n_contexts = n_contexts
        self.numbering = numbering
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
        return self._checked(text)

    def flush(self) -> str:
        text, self._pending = self._pending, ""
        return self._checked(text)

    def _checked(self, text: str) -> str:
        checked = check_citations(text, self.n_contexts).text
        return self.numbering.renumber(checked) if self.numbering is not None else checked


def _open_bracket(text: str) -> int | None:
    """Index of a trailing ``[`` that may still become a citation, else None."""
    start = text.rfind("[")
    if start == -1 or "]" in text[start:]:
        return None
    tail = text[start + 1 :]
    if len(tail) > _MAX_OPEN or not re.fullmatch(r"[\d\s,;]*", tail):
        return None
    return start
