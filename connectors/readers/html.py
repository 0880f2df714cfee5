"""HTML: the visible text, one paragraph per block element, and the page title."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from aulac_rag.connectors.readers.text import decode_text
from aulac_rag.connectors.readers.types import Extracted

from aulac_rag.errors import ConnectorError
from aulac_rag.limits import DEFAULT_SOURCE_LIMITS, SourceLimits

if TYPE_CHECKING:
    from bs4 import BeautifulSoup

_DROP = ("script", "style", "nav", "noscript", "template", "head", "svg", "iframe", "object", "embed", "canvas")
_PARAGRAPH_TAGS = (
    "address", "article", "aside", "blockquote", "body", "caption", "details", "dialog", "div", "dl",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hgroup", "hr", "main", "ol", "p", "pre", "section", "summary", "table", "ul",
)  # fmt: skip
_LINE_TAGS = ("li", "dd", "dt", "tr", "option")
_CELL_TAGS = ("td", "th")

# Private-use characters mark structure while whitespace from the source is collapsed.
_PARAGRAPH = "\ue000"
_LINE = "\ue001"
_CELL = "\ue002"
_SPACES = re.compile(r"\s+")


def read_html(
    data: bytes, charset: str | None = None, *, limits: SourceLimits = DEFAULT_SOURCE_LIMITS
) -> Extracted:
    """An HTML page: visible text (no script, style or nav), titled by <title> or the first <h1>.

    ``charset`` is the one an HTTP header declared; a BOM still wins, and without
    either the page's own <meta charset> is used, then UTF-8. A page nested deeper than
    ``limits.max_html_depth`` elements is refused (the text layout would take quadratic time).
    """
    from bs4 import BeautifulSoup
    from bs4.dammit import EncodingDetector

    if charset is None:
        declared = EncodingDetector.find_declared_encoding(data, is_html=True)
        # A page that says utf-16 in an ASCII-readable <meta> is really UTF-8 (HTML spec).
        charset = "utf-8" if declared and declared.lower().startswith("utf-16") else declared
    text = decode_text(data, charset)
    try:
        # lxml (installed with python-docx) parses in linear time; the standard library's parser took
        # quadratic time on repeated unclosed tags (a minute for 64 KB of "<a ")
        soup = BeautifulSoup(text, "lxml")
    except Exception as exc:  # bs4's ParserRejectedMarkup and the parser's own errors
        raise ConnectorError(
            f"cannot parse the HTML ({exc.__class__.__name__}); save the page as text and ingest that"
        ) from None
    if nesting_over(soup, limits.max_html_depth):
        raise ConnectorError(
            f"HTML nested deeper than {limits.max_html_depth} elements (unclosed or generated tags?); "
            "fix the markup, or save the page as text and ingest that"
        )
    title = _title(soup)
    return Extracted(visible_text(soup), title)


def nesting_over(soup: BeautifulSoup, limit: int) -> bool:
    """True when some element lies more than ``limit`` elements deep (walked without recursion)."""
    from bs4 import Tag

    stack: list[tuple[Tag, int]] = [(soup, 0)]
    while stack:
        tag, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in tag.contents if isinstance(child, Tag))
    return False


def _title(soup: BeautifulSoup) -> str:
    for tag in (soup.title, soup.find("h1")):
        if tag is not None:
            text = _SPACES.sub(" ", tag.get_text(" ")).strip()
            if text:
                return text
    return ""


def visible_text(soup: BeautifulSoup) -> str:
    """The text a reader sees, blocks separated by blank lines and rows or items by newlines.

    Changes ``soup`` (hidden parts are removed, markers inserted).
    """
    for tag in soup.find_all(_DROP):
        tag.decompose()
    for tag in soup.find_all(hidden=True):
        tag.decompose()
    for tag in soup.find_all("pre"):
        for string in tag.find_all(string=True):
            string.replace_with(string.replace("\n", _LINE))
    for tag in soup.find_all("br"):
        tag.replace_with(_LINE)
    for tag in soup.find_all(_PARAGRAPH_TAGS):
        tag.insert_before(_PARAGRAPH)
        tag.insert_after(_PARAGRAPH)
    for tag in soup.find_all(_LINE_TAGS):
        tag.insert_before(_LINE)
        tag.insert_after(_LINE)
    for tag in soup.find_all(_CELL_TAGS):
        if tag.find_previous_sibling(_CELL_TAGS) is not None:
            tag.insert_before(_CELL)
    return _layout(soup.get_text())


def _layout(marked: str) -> str:
    paragraphs = []
    for block in _SPACES.sub(" ", marked).split(_PARAGRAPH):
        lines = (line.replace(_CELL, " | ").strip(" |") for line in block.split(_LINE))
        text = "\n".join(line for line in lines if line)
        if text:
            paragraphs.append(text)
    return "\n\n".join(paragraphs)
