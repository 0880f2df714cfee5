"""Plain text and Markdown: strict decoding (BOM, declared charset, UTF-8; never a guess)."""

from __future__ import annotations

import codecs
import re

from aulac_rag.connectors.readers.types import Extracted
from aulac_rag.errors import ConnectorError
from aulac_rag.limits import DEFAULT_SOURCE_LIMITS, SourceLimits

_LEGACY_HINT = (
    "save it as UTF-8 (it may be in a legacy Vietnamese encoding such as Windows-1258, "
    "TCVN3 or VNI, which aulac-rag does not guess)"
)


def decode_text(data: bytes, charset: str | None = None) -> str:
    """Decode the bytes of a text file to str.

    A byte-order mark wins (UTF-8, UTF-16), then ``charset`` when one is declared
    (HTTP header, HTML meta), then UTF-8. Anything else is a ConnectorError saying
    how to fix the file; NUL bytes mean binary data.
    """
    if data.startswith(codecs.BOM_UTF8):
        return _checked(_decode(data[len(codecs.BOM_UTF8) :], "utf-8", "UTF-8"))
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _checked(_decode(data, "utf-16", "UTF-16"))
    if b"\x00" in data:
        raise ConnectorError(_binary_message())
    codec = _known_codec(charset)
    if codec is not None and codec != "utf-8":
        return _checked(_decode(data, codec, f"{charset} (the declared charset)"))
    return _decode(data, "utf-8", "UTF-8")


def _known_codec(charset: str | None) -> str | None:
    if not charset:
        return None
    try:
        return codecs.lookup(charset.strip().strip("\"'")).name
    except LookupError:
        return None


def _decode(data: bytes, codec: str, label: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1].hex()
        raise ConnectorError(
            f"not {label} text (byte 0x{bad} at offset {exc.start} is invalid); {_LEGACY_HINT}"
            if codec == "utf-8"
            else f"not valid {label} text (byte 0x{bad} at offset {exc.start}); save it as UTF-8"
        ) from None


def _checked(text: str) -> str:
    if "\x00" in text:
        raise ConnectorError(_binary_message())
    return text


def _binary_message() -> str:
    return "binary data, not text (it contains NUL bytes); check that the file extension matches its content"


def read_plain(data: bytes, charset: str | None = None, *, limits: SourceLimits = DEFAULT_SOURCE_LIMITS) -> Extracted:
    """A ``.txt`` file: its decoded text, titled by its first line when that reads as a title (:func:`first_line_title`).

    Otherwise the title is left to the caller (the file name). ``limits``: the file cap, checked before.
    """
    text = decode_text(data, charset)
    return Extracted(text, first_line_title(text))


def read_markdown(data: bytes, charset: str | None = None, *, limits: SourceLimits = DEFAULT_SOURCE_LIMITS) -> Extracted:
    """A ``.md`` file: its source text, titled by its first ``# `` heading, else as a ``.txt`` (``limits``: as read_plain)."""
    text = decode_text(data, charset)
    return Extracted(text, markdown_title(text) or first_line_title(text))


_MAX_TITLE_CHARS = 120
_MAX_TITLE_WORDS = 20
_LINE_MARKS = re.compile(r"^\s{0,3}#{1,6}\s+|\s+#+\s*$|\*\*|__|^\s*[*_]+|[*_]+\s*$")


def first_line_title(text: str) -> str:
    """The first non-empty line when it looks like a title (short, not ending like a sentence), else "".

    ``"Bảo hiểm y tế hộ gia đình\n\nNgười tham gia…"`` → ``"Bảo hiểm y tế hộ gia đình"``; a
    first line that is a sentence ("Chỉ có văn bản.") or a lead-in ("Gồm:") is no title.
    """
    line = next((raw for raw in text.splitlines() if raw.strip()), "").strip()
    if len(line) > 2 * _MAX_TITLE_CHARS:  # no title; and the marks pattern is quadratic on long space runs
        return ""
    line = _LINE_MARKS.sub("", line).strip()
    if not line or len(line) > _MAX_TITLE_CHARS or len(line.split()) > _MAX_TITLE_WORDS:
        return ""
    if line.endswith((".", ",", ";", ":", "…")) or not any(ch.isalpha() for ch in line):
        return ""
    return line


def file_title(stem: str) -> str:
    """A title from a file name: ``"bao-hiem-y-te"`` → ``"Bao hiem y te"`` (when the text offers none)."""
    words = re.sub(r"[-_.\s]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else stem


_HEADING = re.compile(r"^ {0,3}#[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


def markdown_title(text: str) -> str:
    """The first level-1 ATX heading, outside front matter and code fences; "" if none."""
    lines = text.split("\n")
    start = 0
    if lines and lines[0].strip() == "---":
        closing = next((i for i, line in enumerate(lines[1:], 1) if line.strip() in ("---", "...")), None)
        start = closing + 1 if closing is not None else 0
    fence: str | None = None
    for line in lines[start:]:
        line = line.rstrip("\r")
        opened = _FENCE.match(line)
        if opened:
            fence = None if fence == opened.group(1) else (fence or opened.group(1))
            continue
        if fence is None:
            heading = _HEADING.match(line)
            if heading and heading.group(1).strip():
                return heading.group(1).strip()
    return ""
