"""Structure-aware chunking of Vietnamese legal and regulatory text.

Recognizes Chương / Mục / Điều / Khoản (numbered clauses) and điểm (a), b) ...).
A chunk never straddles two articles (Điều); a long article is split between
clauses, and each chunk carries the article heading as its title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from aulac_rag.chunking.sentences import count_tokens, pack

_MD = r"[#*_\s]*"  # tolerate Markdown heading/bold markers around headings
CHAPTER = re.compile(rf"^{_MD}(Chương|CHƯƠNG|Phần|PHẦN)\s+([IVXLCDM]+|\d+)\b.*$")
SECTION = re.compile(rf"^{_MD}(Mục|MỤC)\s+(\d+|[IVXLC]+)\b.*$")
ARTICLE = re.compile(rf"^{_MD}(Điều|ĐIỀU)\s+(\d+[a-zđ]?)\s*[.:]?.*$")
CLAUSE = re.compile(r"^\s*(\d{1,3})[.)]\s+\S")


_HAS_NAME = re.compile(r"[.:]\s")  # "Chương I. TÊN" already carries its name


def looks_legal(text: str) -> bool:
    """True when the text has at least two article headings (``Điều N.``)."""
    return sum(1 for line in text.splitlines() if ARTICLE.match(line)) >= 2


def _clean_heading(line: str) -> str:
    return line.strip().strip("#*_ ").strip()


@dataclass
class Article:
    heading: str
    chapter: str = ""
    section: str = ""
    lines: list[str] = field(default_factory=list)

    def clauses(self) -> list[str]:
        """The article body grouped into clauses (a clause keeps its điểm lines)."""
        groups: list[list[str]] = []
        for line in self.lines:
            if not line.strip():
                continue
            if CLAUSE.match(line) or not groups:
                groups.append([line.strip()])
            else:
                groups[-1].append(line.strip())
        return ["\n".join(g) for g in groups]


@dataclass(frozen=True)
class LegalPiece:
    title: str
    text: str
    metadata: dict[str, str]


def parse_articles(text: str) -> tuple[list[str], list[Article]]:
    """Split into preamble lines and articles, tracking the current Chương and Mục.

    A heading's name may sit on the next line (``Chương I`` / ``NHỮNG QUY ĐỊNH CHUNG``).
    """
    preamble: list[str] = []
    articles: list[Article] = []
    chapter = section = ""
    named: str | None = None  # which heading still waits for its name line
    for line in text.splitlines():
        if CHAPTER.match(line):
            chapter, section = _clean_heading(line), ""
            named = None if _HAS_NAME.search(chapter) else "chapter"
        elif SECTION.match(line):
            section = _clean_heading(line)
            named = None if _HAS_NAME.search(section) else "section"
        elif ARTICLE.match(line):
            articles.append(Article(heading=_clean_heading(line), chapter=chapter, section=section))
            named = None
        elif named and line.strip():
            # Only a heading without its name takes the next line as the name; after
            # "Chương I. QUY ĐỊNH CHUNG" the next line is text and must not be lost.
            if named == "chapter":
                chapter = f"{chapter}. {_clean_heading(line)}"
            else:
                section = f"{section}. {_clean_heading(line)}"
            named = None
        elif articles:
            articles[-1].lines.append(line)
        else:
            preamble.append(line)
    return preamble, articles


def chunk_legal(text: str, max_tokens: int) -> tuple[str, list[LegalPiece]]:
    """Preamble text and one or more pieces per article, each within ``max_tokens``."""
    preamble, articles = parse_articles(text)
    pieces: list[LegalPiece] = []
    for article in articles:
        meta = {"article": article.heading, "chapter": article.chapter, "section": article.section}
        budget = max(16, max_tokens - count_tokens(article.heading))
        parts = pack(article.clauses(), budget, joiner="\n") or [""]
        for part in parts:
            pieces.append(LegalPiece(title=article.heading, text=part, metadata=meta))
    return "\n".join(preamble).strip(), pieces
