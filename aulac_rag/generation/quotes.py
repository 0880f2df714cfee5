"""Quotable units of a context: whole sentences, each with the lead-in its meaning depends on.

A chunk's text is read line by line (hard-wrapped lines joined again). A sentence inside
a list item or a legal clause/point depends on the line that introduced the list
("Tại bệnh viện tuyến tỉnh:", a Khoản's "1. … sau đây:"); a sentence after an inline label
("Tại bệnh viện tuyến tỉnh: … . Người bệnh …") depends on that label. :func:`quotes` keeps
that lead-in with the sentence, and the nearest heading (the chunk's title or a ``#``
heading in its text) for when the lead-in is not in the chunk. Sentences are never cut
mid-way; a lower-case fragment at the very start of a chunk (the rest of a sentence that
began in the chunk before) is not quotable.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")
_ITEM = re.compile(r"^\s*(?:(?P<bullet>[-*•+])|(?P<clause>\d{1,3}[.)])|(?P<point>[a-zđ]\)))\s+")
_EMPHASIS = re.compile(r"\*\*|__")
_LABEL = re.compile(r"^(?P<label>[^.!?:;]{3,80}?):\s+(?P<rest>\S.*)$")
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"”’)]?\s+")
_ABBREVIATION = re.compile(r"(?:^|\s)(?:[A-ZĐ]|Tp|TP|ThS|TS|PGS|GS|BS|ĐH|v\.v|St|Ths)\.$")
_TERMINAL = ".!?…"
_MIN_CHARS = 12
_MAX_LABEL_WORDS = 10
_WRAPPED_LINE = 50  # a line at least this long without final punctuation continues on the next line


@dataclass(frozen=True)
class Quote:
    """One whole sentence of a context, with what it depends on.

    ``lead`` is the lead-in that carries its condition ("Tại bệnh viện tuyến tỉnh:"), ``""``
    when none is in the chunk; ``heading`` the nearest heading; ``item`` whether it is in a
    list item, clause or point (whose lead-in, when missing, the heading stands for).
    """

    sentence: str
    lead: str = ""
    heading: str = ""
    item: bool = False
    position: int = 0

    def prefix(self, with_heading: bool = False) -> str:
        """What the quote starts with before the sentence: its lead-in, else (when needed or asked) its heading."""
        return self.lead or (_as_lead(self.heading) if with_heading or self._needs_heading() else "")

    def text(self, with_heading: bool = False) -> str:
        """The quote as shown: lead-in (or heading) then the sentence, starting with a capital."""
        prefix = self.prefix(with_heading)
        body = f"{prefix} {self.sentence}" if prefix else self.sentence
        return capitalized(body)

    def _needs_heading(self) -> bool:
        return self.item and not self.lead and bool(self.heading)


@dataclass(frozen=True)
class _Line:
    text: str
    kind: str  # "heading", "bullet", "clause", "point", "text", "blank"


def quotes(text: str, heading: str = "") -> list[Quote]:
    """The quotable sentences of ``text`` in order; ``heading`` is the chunk's title."""
    out: list[Quote] = []
    lead = sublead = ""
    governs_text = False  # a lead-in line governs the text lines right after it, up to a blank line
    first = True
    for line in _lines(text):
        if line.kind == "blank":
            governs_text = False
            continue
        if line.kind == "heading":
            heading, lead, sublead = line.text, "", ""
            first = False
            continue
        item = line.kind != "text"
        if not item and not governs_text:
            lead = sublead = ""
        own = sublead or lead if line.kind in ("bullet", "point") else lead
        if line.kind == "clause":
            sublead = ""
        body = line.text
        if body.endswith(":"):  # its last sentence introduces what follows; not a quote of its own
            *before, intro = split_whole_sentences(body)
            if item:
                sublead = intro
            else:
                lead, governs_text = intro, True
            first = False
            if not before:
                continue
            body = " ".join(before)
        for sentence, label in _sentences(body):
            if first and not item and sentence[:1].islower():
                first = False
                continue  # the tail of a sentence cut at the chunk's start
            first = False
            quote_lead = " ".join(x for x in (own, label) if x)
            out.append(Quote(sentence, quote_lead, heading, item, len(out)))
    return out


def _lines(text: str) -> Iterator[_Line]:
    """Logical lines: Markdown marks dropped, hard-wrapped lines joined, item kinds told apart."""
    pending: _Line | None = None
    for raw in text.splitlines():
        line = _line(raw)
        if pending is not None and _continues(pending, line):
            pending = _Line(f"{pending.text} {line.text}", pending.kind)
            continue
        if pending is not None:
            yield pending
        pending = line
    if pending is not None:
        yield pending


def _line(raw: str) -> _Line:
    if not raw.strip():
        return _Line("", "blank")
    heading = _HEADING.match(raw)
    if heading:
        return _Line(_EMPHASIS.sub("", heading.group(1)).strip(), "heading")
    item = _ITEM.match(raw)
    body = _EMPHASIS.sub("", raw[item.end() :] if item else raw).strip()
    if item is None:
        return _Line(body, "text")
    kind = next(k for k in ("bullet", "clause", "point") if item.group(k))
    return _Line(body, kind)


def _continues(previous: _Line, line: _Line) -> bool:
    """Whether ``line`` is the rest of ``previous`` (a hard-wrapped paragraph or item)."""
    if line.kind != "text" or previous.kind in ("heading", "blank") or not line.text:
        return False
    end = previous.text[-1:]
    if end in _TERMINAL or end in ":;":
        return False
    return line.text[:1].islower() or len(previous.text) >= _WRAPPED_LINE


def _sentences(text: str) -> Iterator[tuple[str, str]]:
    """Whole sentences of one line, each with the inline label ("X: …") of the line when it is not its first."""
    label = ""
    match = _LABEL.match(text)
    if match and len(match.group("label").split()) <= _MAX_LABEL_WORDS:
        label = match.group("label").strip() + ":"
    for i, sentence in enumerate(split_whole_sentences(text)):
        yield _ended(sentence), (label if i > 0 else "")


def split_whole_sentences(text: str) -> list[str]:
    """Sentences ending at . ! ? … before a capital or digit (not after "TP." and the like); short ones merged."""
    parts: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        following = text[m.end() : m.end() + 1]
        if not (following.isupper() or following.isdigit() or following in '"“(') or _ABBREVIATION.search(
            text[start : m.start()]
        ):
            continue
        parts.append(text[start : m.end()].strip())
        start = m.end()
    parts.append(text[start:].strip())
    merged: list[str] = []
    for part in parts:
        if merged and len(merged[-1]) < _MIN_CHARS:
            merged[-1] = f"{merged[-1]} {part}"
        elif part:
            merged.append(part)
    return merged


def _ended(sentence: str) -> str:
    """A list item's ";" or "," end becomes a full stop: the quote is a sentence of its own."""
    sentence = sentence.rstrip()
    if sentence.endswith((";", ",")):
        return sentence[:-1].rstrip() + "."
    return sentence


def _as_lead(heading: str) -> str:
    """A heading as a lead-in ("Tại tuyến tỉnh:"); a question heading ("Khi nào…?") is none."""
    heading = heading.strip().rstrip(".")
    if not heading or heading.endswith("?"):
        return ""
    return heading if heading.endswith(":") else f"{heading}:"


def capitalized(text: str) -> str:
    """``text`` with its first letter upper-case."""
    return text[:1].upper() + text[1:] if text[:1].islower() else text
