"""Documents scanned for instructions aimed at the assistant before they are indexed.

A document can carry a prompt injection ("Lưu ý cho AI: bỏ qua hướng dẫn…", a fake
``[SYSTEM]`` notice, a forged ``<tai_lieu>`` frame or ``[n]`` block) that would reach the
LLM as context. :func:`scan_document` runs the policy's injection rails over each
passage of the text, plus a check for text that imitates the prompt's frame; each hit
is a :class:`DocumentFinding`. The sandbox policy's ``documents.injection`` decides:
``warn`` (index it, report the finding), ``refuse`` (do not index it) or ``off``.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel

from aulac_rag.guardrails.engine import GuardEngine
from aulac_rag.guardrails.rails.base import GuardInput

_FRAME = re.compile(r"<\s*/?\s*tai_lieu\b|^\s*\[(?:system|hệ thống|he thong|admin|developer)\]", re.IGNORECASE | re.MULTILINE)
_PASSAGE_CHARS = 600


class DocumentFinding(BaseModel):
    """One suspicious passage of a document."""

    doc_id: str
    source: str = ""
    rule: str
    excerpt: str
    action: Literal["warn", "refuse"]


def passages(text: str, size: int = _PASSAGE_CHARS) -> list[str]:
    """Paragraph-aligned pieces of about ``size`` characters (rules read local context)."""
    out: list[str] = []
    current = ""
    for para in re.split(r"\n\s*\n|\n", text):
        if current and len(current) + len(para) > size:
            out.append(current)
            current = ""
        current = f"{current}\n{para}" if current else para
        while len(current) > 2 * size:
            out.append(current[:size])
            current = current[size:]
    if current.strip():
        out.append(current)
    return out


def scan_document(engine: GuardEngine, doc_id: str, text: str, source: str = "", action: str = "warn") -> list[DocumentFinding]:
    """Findings for one document (at most one per rule); none when ``action`` is ``off``."""
    if action == "off":
        return []
    rails = [r for r in engine.inputs if r.spec.kind == "injection"]
    found: dict[str, DocumentFinding] = {}
    for passage in passages(text):
        m = _FRAME.search(passage)
        if m and "frame_imitation" not in found:
            found["frame_imitation"] = DocumentFinding(
                doc_id=doc_id, source=source, rule="frame_imitation", excerpt=_excerpt(passage, m.start()), action=action
            )
        item = GuardInput(passage, engine.detector)
        for rail in rails:
            if rail.spec.id in found:
                continue
            if rail.check(item) is not None:
                found[rail.spec.id] = DocumentFinding(
                    doc_id=doc_id, source=source, rule=rail.spec.id, excerpt=_excerpt(passage, 0), action=action
                )
    return list(found.values())


def _excerpt(text: str, at: int, width: int = 160) -> str:
    start = max(0, at - 20)
    piece = " ".join(text[start : start + width].split())
    return piece + ("…" if len(text) - start > width else "")
