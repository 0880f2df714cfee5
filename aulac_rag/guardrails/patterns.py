"""Signal patterns: small regexes written with Vietnamese diacritics.

A pattern is a regular expression over the canonical text (``guardrails/textnorm.py``).
Each pattern is compiled twice: as written, for text typed with diacritics (or in
English), and without diacritics, for Vietnamese typed without them. Which one applies
is decided per input (:attr:`MatchText.folded`), so ``tự tử`` matches "tự tử" and
"tu tu" but never "từ từ", and ``tội`` never matches "tôi". A space matches one
space; ``~`` stands for a gap of up to six syllables (``bỏ qua ~ hướng dẫn``).

A :class:`SignalSet` is a named family of such patterns ("override verbs",
"controlled drugs"); rails combine families ("verb and target both present").

:func:`translate_pattern` serves regexes run on raw text (PII cues, answers): there
each accented letter matches itself or its bare letter.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from aulac_rag.errors import GuardrailError
from aulac_rag.guardrails.textnorm import MatchText
from aulac_rag.text.normalize import fold_diacritics

_GAP = r"(?:\w+ ){0,6}"
_GAP_SQUASHED = r"\w{0,24}"


@lru_cache(maxsize=4096)
def _letter_class(ch: str) -> str:
    """Regex for one letter on raw text: itself or its bare letter."""
    if ch in "đĐ":
        return "[đd]"
    decomposed = unicodedata.normalize("NFD", ch)
    if len(decomposed) == 1:
        return re.escape(ch)
    return f"[{ch}{decomposed[0]}]"


def _rewrite(pattern: str, space: str, gap: str, letter: bool) -> str:
    """Spaces → ``space``, ``~`` → ``gap``, accented letters → classes when ``letter``; escapes and classes kept."""
    out: list[str] = []
    i = 0
    in_class = False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            out.append(ch)
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            out.append(ch)
        elif ch == "~":
            out.append(gap)
            while i + 1 < len(pattern) and pattern[i + 1] == " ":
                i += 1
        elif ch == " ":
            while i + 1 < len(pattern) and pattern[i + 1] == " ":
                i += 1
            if i + 1 < len(pattern) and pattern[i + 1] in "?*":
                i += 1
                out.append(r"\s*")
            else:
                out.append(space)
        elif letter and ch.isalpha() and not ch.isascii():
            out.append(_letter_class(ch.lower()))
        else:
            out.append(ch.lower() if ch.isalpha() else ch)
        i += 1
    return "".join(out)


def translate_pattern(pattern: str) -> str:
    """A pattern for raw text: any whitespace between words, accented letters also bare."""
    return _rewrite(pattern, r"\s+", r"(?:\w+\s+){0,4}", letter=True)


#: Syllables so common in Vietnamese typed without diacritics that a one-syllable accented
#: alternative folding to one of them ("tội" → "toi", "giả" → "gia", "khống" → "khong")
#: would match everywhere; such alternatives are left out of the folded regex unless the
#: signal keeps them (``keep_common``: pronoun lists, where "toi" does mean "tôi").
COMMON_FOLDED = frozenset(
    "toi ban la co khong gi cho minh em anh chi nay thi ma de di duoc nhu the nao sao vay roi voi cua va bi da "
    "dang se con cung nhung cac mot hai ba nam ngay gia tien so ao cam phi le tet lam an noi hoi biet muon can "
    "nen phai tu den tai vi khi ra vao lai con ai dau nhieu it qua lon nho moi mo xem doc viet hoc thay cau bai".split()
)


def split_alternatives(pattern: str) -> list[str]:
    """Top-level ``|`` alternatives of a regex (groups and classes kept whole)."""
    parts, depth, start, i, in_class = [], 0, 0, 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


def _folded_alternatives(pattern: str, keep_common: bool = False) -> str | None:
    """The pattern without diacritics, minus alternatives that would fold into common words
    and those marked exact-only with a leading ``=``; None when nothing is left."""
    kept = []
    for alternative in split_alternatives(pattern):
        if alternative.startswith("="):
            continue
        folded = fold_diacritics(alternative)
        if not keep_common and folded != alternative and folded.strip() in COMMON_FOLDED:
            continue
        kept.append(folded)
    return "|".join(kept) if kept else None


def compile_patterns(
    patterns: Iterable[str], folded: bool = False, squashed: bool = False, keep_common: bool = False
) -> re.Pattern[str]:
    """One regex matching any of ``patterns`` as whole words of canonical text (anywhere when ``squashed``).

    Canonical text has single spaces and a space at each end, so whole words are
    delimited by literal spaces, which lets the regex engine scan fast. ``folded``:
    the patterns lose their diacritics, for text typed without them. Apostrophes are
    dropped, as they are from the text ("doctor's" → "doctors").
    """
    patterns = list(patterns)
    parts = []
    for p in patterns:
        p = p.strip().replace("'", "")
        if folded:
            p = _folded_alternatives(p, keep_common) or ""
        else:
            p = "|".join(a.removeprefix("=") for a in split_alternatives(p))
        if not p:
            continue
        parts.append(_rewrite(p, r"\s*" if squashed else " ", _GAP_SQUASHED if squashed else _GAP, letter=False))
    if not parts:
        return re.compile(r"(?!x)x")
    body = "|".join(f"(?:{p})" for p in parts)
    source = body if squashed else rf" (?:{body})(?:(?<= )|(?= ))"
    try:
        return re.compile(source)
    except re.error as exc:
        raise GuardrailError(f"invalid pattern in {patterns[:3]}...: {exc}") from exc


@dataclass(frozen=True)
class Signal:
    """One named family of patterns; ``case_sensitive`` ones match the original text."""

    name: str
    regex: re.Pattern[str]
    folded: re.Pattern[str] | None = None
    squashed: re.Pattern[str] | None = None
    squashed_folded: re.Pattern[str] | None = None
    case_sensitive: bool = False

    def find(self, text: MatchText) -> str | None:
        """The first matching phrase, or None."""
        if self.case_sensitive:
            m = self.regex.search(text.original)
            return m.group(0) if m else None
        regex = self.folded if text.folded and self.folded is not None else self.regex
        m = regex.search(text.canonical)
        if m:
            return m.group(0).strip()
        squashed = self.squashed_folded if text.folded else self.squashed
        if squashed is not None and text.squashed:
            m = squashed.search(text.squashed)
            if m:
                return m.group(0)
        return None


def build_signal(name: str, patterns: list[str], squash: bool = False) -> Signal:
    """A :class:`Signal`; a name starting with ``CASE:`` matches case-sensitively on the original text,
    one starting with ``ANY:`` keeps its common one-syllable alternatives in folded text
    (pronouns: "toi" is "tôi" there).

    ``squash``: also match text written with spaced-out letters ("b ỏ q u a"), without word boundaries.
    """
    try:
        if name.startswith("CASE:"):
            return Signal(name[5:], re.compile("|".join(f"(?:{p})" for p in patterns)), case_sensitive=True)
        keep = name.startswith("ANY:")
        name = name.removeprefix("ANY:")
        return Signal(
            name,
            compile_patterns(patterns),
            compile_patterns(patterns, folded=True, keep_common=keep),
            compile_patterns(patterns, squashed=True) if squash else None,
            compile_patterns(patterns, folded=True, squashed=True, keep_common=keep) if squash else None,
        )
    except re.error as exc:
        raise GuardrailError(f"signal {name!r}: invalid pattern: {exc}") from exc


class SignalSet:
    """Named signals plus combinations.

    Fires when every signal of some ``always`` group is present, or of some ``when``
    group while no ``unless`` group is complete (``unless`` holds framings such as
    "what is the penalty for …" that make a topic informational).
    """

    def __init__(
        self,
        signals: Mapping[str, list[str]],
        when: list[list[str]],
        unless: list[list[str]] | None = None,
        always: list[list[str]] | None = None,
        squash: bool = False,
    ) -> None:
        self.signals = {s.name: s for s in (build_signal(n, p, squash) for n, p in signals.items())}
        self.when = [list(group) for group in when]
        self.unless = [list(group) for group in (unless or [])]
        self.always = [list(group) for group in (always or [])]
        for group in self.when + self.unless + self.always:
            for name in group:
                if name not in self.signals:
                    known = ", ".join(sorted(self.signals))
                    raise GuardrailError(f"combination uses unknown signal {name!r}; known: {known}")

    def evaluate(self, text: MatchText) -> dict[str, str] | None:
        """The matched phrases of the first complete ``when`` group, or None."""
        found: dict[str, str | None] = {}

        def has(name: str) -> bool:
            if name not in found:
                found[name] = self.signals[name].find(text)
            return found[name] is not None

        for group in self.always:
            if all(has(n) for n in group):
                return {n: found[n] or "" for n in group}
        for group in self.when:
            if all(has(n) for n in group):
                if any(all(has(n) for n in veto) for veto in self.unless):
                    return None
                return {n: found[n] or "" for n in group}
        return None
