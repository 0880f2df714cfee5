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

    One walk over the tree, without recursion and without editing it (bs4's insert_before
    scans the parent's children, which made many sibling blocks quadratic: 64 KB of ``<p>``
    took 8 s).
    """
    from bs4 import CData, NavigableString, Tag

    out: list[str] = []
    # (node, in <pre>, a cell precedes it among its siblings); None marks "emit this closing marker"
    stack: list[tuple[object, bool, bool] | tuple[None, str, None]] = [(soup, False, False)]
    while stack:
        node, flag, cell_before = stack.pop()
        if node is None:
            out.append(str(flag))
            continue
        if isinstance(node, NavigableString):
            if type(node) is NavigableString or isinstance(node, CData):  # not comments, doctypes …
                out.append(node.replace("\n", _LINE) if flag else str(node))
            continue
        if not isinstance(node, Tag) or node.name in _DROP or node.has_attr("hidden"):
            continue
        if node.name == "br":
            out.append(_LINE)
            continue
        in_pre = bool(flag) or node.name == "pre"
        closing = _PARAGRAPH if node.name in _PARAGRAPH_TAGS else _LINE if node.name in _LINE_TAGS else ""
        if cell_before:
            out.append(_CELL)
        if closing:
            out.append(closing)
            stack.append((None, closing, None))
        children: list[tuple[object, bool, bool]] = []
        seen_cell = False
        for child in node.contents:
            is_cell = isinstance(child, Tag) and child.name in _CELL_TAGS
            children.append((child, in_pre, is_cell and seen_cell))
            seen_cell = seen_cell or is_cell
        stack.extend(reversed(children))
    return _layout("".join(out))


def _layout(marked: str) -> str:
    paragraphs = []
    for block in _SPACES.sub(" ", marked).split(_PARAGRAPH):
        lines = (line.replace(_CELL, " | ").strip(" |") for line in block.split(_LINE))
        text = "\n".join(line for line in lines if line)
        if text:
            paragraphs.append(text)
    return "\n\n".join(paragraphs)
