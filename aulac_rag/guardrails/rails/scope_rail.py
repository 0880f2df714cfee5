"""``scope``: is the question about what this sandbox covers?

Three votes, cheapest first:

1. in-domain keywords (``keywords``) → in scope, no model needed;
2. with the sandbox's embedder: the question's similarity to in-domain prototypes
   (the policy's ``prototypes``, the sandbox description, the headings of its demo
   corpus) against off-topic prototypes (built-in everyday topics, the other bundled
   domains, the policy's ``negatives``); the mean of the ``top_k`` best of each side
   is compared, and the rule fires when ``in - out < margin``;
3. without an embedder: fires only on an off-topic keyword (``out_keywords``).

Prototype vectors are computed once per process and cached on disk by content hash.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from aulac_rag.guardrails.lexicons.scope import DOMAIN_TOPICS, OFF_TOPIC
from aulac_rag.guardrails.patterns import build_signal
from aulac_rag.guardrails.rails.base import GuardInput, InputRail, RailContext, RuleParams, RuleSpec
from aulac_rag.guardrails.types import RuleDecision

_HEADING = re.compile(r"^#{1,3}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_SMALLTALK = build_signal(
    "smalltalk",
    ["xin chào|chào bạn|chào trợ lý|chào|cảm ơn|cám ơn|cảm ơn bạn|cảm ơn nhiều|tạm biệt|hello|hi|hey|thanks|thank you|"
     "bye|ok|oke|okay|vâng|dạ|được rồi|tốt quá|bạn là ai|bạn làm được gì|bạn giúp được gì|who are you|what can you do"],
)


class ScopeParams(RuleParams):
    keywords: list[str] = Field(default_factory=list)
    out_keywords: list[str] = Field(default_factory=list)
    prototypes: list[str] = Field(default_factory=list)
    negatives: list[str] = Field(default_factory=list)
    use_description: bool = True
    use_corpus: bool = True
    max_corpus_headings: int = Field(80, ge=0, le=1000)
    include_other_domains: bool = True
    top_k: int = Field(3, ge=1, le=20)
    margin: float = Field(0.0, ge=-1.0, le=1.0)
    out_keyword_bonus: float = Field(0.02, ge=0.0, le=1.0)
    min_words: int = Field(2, ge=0)
    allow_smalltalk: bool = True


def corpus_headings(folder: Path | None, corpus_dir: str, limit: int) -> list[str]:
    """Markdown headings (``#``–``###``) of the sandbox's demo corpus, in file order."""
    if folder is None or limit == 0 or not (folder / corpus_dir).is_dir():
        return []
    out: list[str] = []
    for path in sorted((folder / corpus_dir).rglob("*.md")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        out.extend(h.strip("*_ ") for h in _HEADING.findall(text))
        if len(out) >= limit:
            break
    return [h for h in out if len(h.split()) >= 3][:limit]


class ScopeRail(InputRail[ScopeParams]):
    """Out-of-scope questions: blocked politely with what the sandbox covers."""

    Params = ScopeParams
    cost: ClassVar[str] = "model"

    def __init__(self, spec: RuleSpec, params: ScopeParams, context: RailContext) -> None:
        super().__init__(spec, params, context)
        p = params
        self.p = p
        self.keywords = build_signal("keywords", p.keywords) if p.keywords else None
        self.out_keywords = build_signal("out_keywords", p.out_keywords) if p.out_keywords else None
        self._vectors: tuple[np.ndarray, np.ndarray] | None = None

    # --- prototypes ------------------------------------------------------------
    def in_prototypes(self) -> list[str]:
        texts = list(self.p.prototypes)
        if self.p.use_description and self.context.description:
            texts.append(self.context.description)
        if self.p.use_corpus:
            texts += corpus_headings(self.context.folder, self.context.corpus_dir, self.p.max_corpus_headings)
        if self.context.domain in DOMAIN_TOPICS:
            texts += DOMAIN_TOPICS[self.context.domain]
        return list(dict.fromkeys(texts))

    def out_prototypes(self) -> list[str]:
        texts = OFF_TOPIC + list(self.p.negatives)
        if self.p.include_other_domains:
            for domain, topics in DOMAIN_TOPICS.items():
                if domain != self.context.domain:
                    texts += topics
        return list(dict.fromkeys(texts))

    def _embed_cached(self, embedder: Any, texts: list[str]) -> np.ndarray:
        key = hashlib.sha256("\n".join([getattr(embedder, "model_id", type(embedder).__name__), *texts]).encode()).hexdigest()[:24]
        path = self.context.cache_dir / f"scope-{key}.npy" if self.context.cache_dir else None
        if path is not None and path.is_file():
            try:
                loaded: np.ndarray = np.load(path)
                return loaded
            except (OSError, ValueError):
                pass
        vectors = np.asarray(embedder.embed_queries(texts), dtype=np.float32)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                np.save(path, vectors)
            except OSError:
                pass
        return vectors

    def vectors(self, embedder: Any) -> tuple[np.ndarray, np.ndarray]:
        if self._vectors is None:
            self._vectors = (self._embed_cached(embedder, self.in_prototypes()), self._embed_cached(embedder, self.out_prototypes()))
        return self._vectors

    # --- decision --------------------------------------------------------------
    def scores(self, text: str, embedder: Any) -> tuple[float, float]:
        """Mean of the ``top_k`` cosine similarities to in-domain and to off-topic prototypes."""
        inside, outside = self.vectors(embedder)
        query = np.asarray(embedder.embed_query(text), dtype=np.float32)
        k = self.p.top_k
        s_in = float(np.sort(inside @ query)[-k:].mean())
        s_out = float(np.sort(outside @ query)[-k:].mean())
        return s_in, s_out

    def check(self, item: GuardInput) -> RuleDecision | None:
        words = item.match.canonical.split()
        if len(words) < self.p.min_words:
            return None
        if self.p.allow_smalltalk and len(words) <= 6 and _SMALLTALK.find(item.match):
            return None
        if self.keywords is not None and self.keywords.find(item.match):
            return None
        off = self.out_keywords.find(item.match) if self.out_keywords is not None else None
        embedder = self.context.embedder() if self.context.embedder is not None else None
        if embedder is None:
            return self.decision(method="keywords", out_keyword=off) if off else None
        s_in, s_out = self.scores(item.redacted, embedder)
        margin = self.p.margin + (self.p.out_keyword_bonus if off else 0.0)
        if s_in - s_out < margin:
            return self.decision(method="embedding", similarity_in=round(s_in, 4), similarity_out=round(s_out, 4), out_keyword=off)
        return None
