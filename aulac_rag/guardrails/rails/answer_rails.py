"""Output rails: rewrite a generated answer before the user sees it.

- ``citations``: a sentence that states something without a valid ``[n]`` is replaced
  by "(không đủ căn cứ trong tài liệu)"; the not-found reply and the extractive answer's
  closing quotation note are left untouched;
- ``forbidden_phrases``: promised profits, certain diagnoses… rewritten, or their
  sentence removed;
- ``mask_pii``: identifiers echoed in the answer are masked;
- ``disclaimer``: the domain's disclaimer is appended once.
"""

from __future__ import annotations

import re
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from aulac_rag.guardrails.patterns import translate_pattern
from aulac_rag.guardrails.pii import PII_TYPES, PiiDetector
from aulac_rag.guardrails.rails.base import OutputRail, RailContext, RuleParams, RuleSpec
from aulac_rag.guardrails.types import RuleDecision
from aulac_rag.text.normalize import fold_diacritics

NOT_FOUND_PREFIX = "Không tìm thấy thông tin"
#: The extractive backend's closing note (``aulac_rag.generation.extractive.QUOTE_NOTE``): a remark, not a claim.
QUOTE_NOTE_PREFIX = "(Các câu trên được trích nguyên văn"
_CITATION = re.compile(r"\[(\d+(?:\s*[,;–-]\s*\d+)*)\]")
_LEADING_CITATIONS = re.compile(r"^((?:\s*\[\d+(?:\s*[,;–-]\s*\d+)*\])+)")
_BOUNDARY = re.compile(r"(?<=[.!?…\]])\s+")
#: a full stop followed by citations with no space ("… 80%.[1] Sau đó"): the boundary is after the citations
_CITED_END = re.compile(r"[.!?…](?:\[\d+(?:\s*[,;–-]\s*\d+)*\])+$")
_ABBREVIATION = re.compile(r"(?:^|\s)(?:[A-ZĐ][A-Za-zĐđ]{0,3}|\d{1,2}|[a-zđ]{1,2}|v\.v|Tp|TP|PGS|TS|ThS|BS|ĐH|Th)\.$")
_BULLET = re.compile(r"^(\s*(?:[-*•+]|\d{1,2}[.)])\s+)")


def _is_not_found(text: str) -> bool:
    return text.strip().startswith(NOT_FOUND_PREFIX)


def split_sentences(line: str) -> list[str]:
    """Sentences of one line; citation markers after a full stop stay with their sentence."""
    parts: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(line):
        piece = line[start : m.start()]
        if piece.endswith("]") and not _CITED_END.search(piece):
            continue
        if _ABBREVIATION.search(piece):
            continue
        parts.append(line[start : m.end()])
        start = m.end()
    parts.append(line[start:])
    merged: list[str] = []
    for part in parts:
        lead = _LEADING_CITATIONS.match(part)
        if lead and merged:
            merged[-1] = merged[-1].rstrip() + " " + lead.group(1).strip() + " "
            part = part[lead.end() :].lstrip()
            if not part:
                continue
        merged.append(part)
    return [p for p in merged if p]


_STREAM_BOUNDARY = re.compile(r"(?<=[.!?…\]])\s+|\n")


def sentence_end(text: str) -> int | None:
    """Where the first complete sentence of a growing ``text`` ends, or None while it may still grow.

    The rules of :func:`split_sentences`: an abbreviation ("TP.", "5.") is no boundary, a line
    break is one, and citations right after a full stop ("… 80%. [1]") belong to the sentence
    before them, so a boundary at the very end waits for what follows.
    """
    for m in _STREAM_BOUNDARY.finditer(text):
        if "\n" not in m.group(0):
            head = text[: m.start()]
            if head.endswith("]") and not _CITED_END.search(head):
                continue
            if _ABBREVIATION.search(head):
                continue
        rest = text[m.end() :]
        if not rest:
            return None
        lead = _LEADING_CITATIONS.match(rest)
        return m.end() + lead.end() if lead else m.end()
    return None


class CitationParams(RuleParams):
    replacement: str = "(không đủ căn cứ trong tài liệu)"
    min_words: int = Field(5, ge=1)
    check_range: bool = True


class CitationRail(OutputRail[CitationParams]):
    """Sentences that make a claim need a citation ``[n]`` to one of the contexts."""

    Params = CitationParams

    def _cited(self, sentence: str, n_contexts: int) -> bool:
        p = self.params
        for m in _CITATION.finditer(sentence):
            numbers = [int(x) for x in re.findall(r"\d+", m.group(1))]
            if not p.check_range or n_contexts == 0 or any(1 <= n <= n_contexts for n in numbers):
                return True
        return False

    def _is_claim(self, sentence: str) -> bool:
        """A sentence states something: ``min_words`` words, or any number ("10 năm", "80%") however short."""
        p = self.params
        bare = _CITATION.sub("", sentence).strip()
        if not bare or bare.startswith(("#", QUOTE_NOTE_PREFIX)) or bare.endswith((":", "?")) or bare == p.replacement:
            return False
        return len(re.findall(r"\w+", bare)) >= p.min_words or bool(re.search(r"\d", bare))

    def apply(self, answer: str, contexts: list[str]) -> tuple[str, RuleDecision | None]:
        if _is_not_found(answer):
            return answer, None
        p = self.params
        replaced = 0
        lines_out = []
        for line in answer.split("\n"):
            bullet = _BULLET.match(line)
            prefix = bullet.group(1) if bullet else ""
            body = line[len(prefix) :]
            out: list[str] = []
            for sentence in split_sentences(body):
                if self._is_claim(sentence) and not self._cited(sentence, len(contexts)):
                    replaced += 1
                    if not out or out[-1].strip() != p.replacement:
                        out.append(p.replacement + (" " if sentence.endswith(" ") else ""))
                else:
                    out.append(sentence)
            lines_out.append(prefix + "".join(out).rstrip() if out else line)
        if not replaced:
            return answer, None
        return "\n".join(lines_out), self.decision(replaced_sentences=replaced)


class Rewrite(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pattern: str
    replacement: str


class ForbiddenParams(RuleParams):
    rewrites: list[Rewrite] = Field(default_factory=list)
    remove_sentences: list[str] = Field(default_factory=list)


class ForbiddenPhraseRail(OutputRail[ForbiddenParams]):
    """Rewrites forbidden phrasing (``rewrites``) or drops sentences that contain it (``remove_sentences``)."""

    Params = ForbiddenParams

    def __init__(self, spec: RuleSpec, params: ForbiddenParams, context: RailContext) -> None:
        super().__init__(spec, params, context)
        p = params
        self.rewrites = [(re.compile(translate_pattern(r.pattern), re.IGNORECASE), r.replacement) for r in p.rewrites]
        joined = "|".join(f"(?:{translate_pattern(x)})" for x in p.remove_sentences)
        self.remove = re.compile(joined, re.IGNORECASE) if joined else None

    def apply(self, answer: str, contexts: list[str]) -> tuple[str, RuleDecision | None]:
        text, hits = answer, []
        for regex, replacement in self.rewrites:
            text, n = regex.subn(replacement, text)
            if n:
                hits.append(regex.pattern[:40])
        if self.remove is not None:
            lines = []
            for line in text.split("\n"):
                kept = [s for s in split_sentences(line) if not self.remove.search(s)]
                if len(kept) != len(split_sentences(line)):
                    hits.append("sentence removed")
                lines.append("".join(kept).rstrip() if kept or not line else "")
            text = "\n".join(lines).strip("\n") if hits else text
        if not hits:
            return answer, None
        return text, self.decision(changes=len(hits))


class MaskParams(RuleParams):
    types: list[str] = Field(default_factory=lambda: list(PII_TYPES))


class OutputPiiRail(OutputRail[MaskParams]):
    """Masks identifiers echoed in the answer."""

    Params = MaskParams

    def apply(self, answer: str, contexts: list[str]) -> tuple[str, RuleDecision | None]:
        p = self.params
        detector = PiiDetector(p.types)
        spans = detector.find(answer)
        if not spans:
            return answer, None
        return detector.mask(answer, spans), self.decision(types=sorted({s.type for s in spans}))


class LinkParams(RuleParams):
    replacement: str = "(liên kết đã bị gỡ)"


_MD_IMAGE = re.compile(r"!\[[^\]\n]*\]\(\s*<?([^)\s>]*)>?[^)\n]*\)")
_MD_LINK = re.compile(r"(?<!!)\[([^\]\n]*)\]\(\s*<?([^)\s>]*)>?[^)\n]*\)")
_URL = re.compile(r"(?:https?|ftp)://[^\s<>()\[\]\"']+|\bwww\.[^\s<>()\[\]\"']+", re.IGNORECASE)
_HOST = re.compile(r"^(?:[a-z]+://)?(?:[^@/\s]*@)?([^/:?#\s]+)", re.IGNORECASE)


def _host(url: str) -> str:
    m = _HOST.match(url.strip())
    return (m.group(1) if m else "").lower().removeprefix("www.")


class LinkRail(OutputRail[LinkParams]):
    """Markdown images are removed; links and bare URLs to hosts that no source mentions are removed.

    An image or link in an answer can leak the conversation to a third-party host (the URL
    is fetched by the client) or send the user to a site the sources never named.
    """

    Params = LinkParams

    def apply(self, answer: str, contexts: list[str]) -> tuple[str, RuleDecision | None]:
        p = self.params
        allowed = {_host(u) for c in contexts for u in _URL.findall(c)}
        removed: list[str] = []

        def image(m: re.Match[str]) -> str:
            removed.append(_host(m.group(1)) or "image")
            return ""

        def link(m: re.Match[str]) -> str:
            if _host(m.group(2)) in allowed:
                return m.group(0)
            removed.append(_host(m.group(2)))
            return m.group(1)

        def bare(m: re.Match[str]) -> str:
            if _host(m.group(0)) in allowed:
                return m.group(0)
            removed.append(_host(m.group(0)))
            return p.replacement

        text = _URL.sub(bare, _MD_LINK.sub(link, _MD_IMAGE.sub(image, answer)))
        if not removed:
            return answer, None
        return text, self.decision(hosts=sorted(set(removed)))


class DisclaimerParams(RuleParams):
    text: str = Field(min_length=1)
    separator: str = "\n\n"


class DisclaimerRail(OutputRail[DisclaimerParams]):
    """Appends the domain's disclaimer unless the answer already carries it."""

    Params = DisclaimerParams
    streamable: ClassVar[bool] = False

    def apply(self, answer: str, contexts: list[str]) -> tuple[str, RuleDecision | None]:
        p = self.params
        if not answer.strip() or _is_not_found(answer):
            return answer, None
        if fold_diacritics(p.text).lower() in fold_diacritics(answer).lower():
            return answer, None
        return answer.rstrip() + p.separator + p.text, self.decision()
