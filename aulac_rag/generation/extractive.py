"""The ``extractive`` backend: no LLM; it quotes the context sentences that best answer the question.

Sentences are scored by diacritics-insensitive overlap of Vietnamese syllables and
syllable pairs with the question (:mod:`aulac_rag.generation.lexical`), with a small
bonus for better-ranked chunks. Each picked sentence is cited as ``[n]``. When no
sentence shares a content syllable with the question the answer is
:data:`~aulac_rag.generation.prompting.NOT_FOUND_ANSWER`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from aulac_rag.config import GenerationConfig
from aulac_rag.errors import ConfigError
from aulac_rag.generation.base import Mode, Prompt, generators
from aulac_rag.generation.lexical import overlap, split_sentences, terms
from aulac_rag.generation.prompting import NOT_FOUND_ANSWER


@dataclass(frozen=True)
class _Candidate:
    n: int
    sentence: str
    score: float


class ExtractiveGenerator:
    """Answers with up to ``max_sentences`` cited sentences taken verbatim from the contexts."""

    name = "extractive"
    model = "extractive"
    mode: Mode = "extractive"

    def __init__(self, max_sentences: int = 3, min_overlap: float = 0.15, rank_bonus: float = 0.05) -> None:
        if max_sentences < 1:
            raise ConfigError(f"extractive max_sentences must be >= 1, got {max_sentences!r}")
        if not 0 <= min_overlap <= 1:
            raise ConfigError(f"extractive min_overlap must be in [0, 1], got {min_overlap!r}")
        self.max_sentences = max_sentences
        self.min_overlap = min_overlap
        self.rank_bonus = rank_bonus

    def select(self, prompt: Prompt) -> list[_Candidate]:
        """The sentences to answer with, best first (empty when nothing matches)."""
        query = terms(prompt.question)
        focus = terms(prompt.focus) if prompt.focus else []
        candidates: list[_Candidate] = []
        for rank, context in enumerate(prompt.contexts):
            for sentence in split_sentences(context.text):
                score = overlap(query, sentence)
                if focus:  # a follow-up: what it adds weighs twice the standalone question
                    score = (score + 2 * overlap(focus, sentence)) / 3
                if score > 0:
                    candidates.append(_Candidate(context.n, sentence, score + self.rank_bonus / (rank + 1)))
        candidates.sort(key=lambda c: c.score, reverse=True)
        if not candidates or candidates[0].score - self.rank_bonus < self.min_overlap:
            return []
        floor = candidates[0].score * 0.6
        picked: list[_Candidate] = []
        for cand in candidates:
            if len(picked) == self.max_sentences or cand.score < floor:
                break
            if any(_near_duplicate(cand.sentence, p.sentence) for p in picked):
                continue
            picked.append(cand)
        return picked

    def stream(self, prompt: Prompt) -> Iterator[str]:
        picked = self.select(prompt)
        if not picked:
            yield NOT_FOUND_ANSWER
            return
        for i, cand in enumerate(picked):
            yield ("" if i == 0 else " ") + _cite(cand.sentence, cand.n)


_MARKUP = re.compile(r"^\s*(?:#+\s+|[-*•+]\s+|\d+[.)]\s+|[a-zđ]\)\s+)|\*\*|__")


def _cite(sentence: str, n: int) -> str:
    """``sentence [n].`` — Markdown list/heading marks dropped, the citation before the closing punctuation."""
    sentence = _MARKUP.sub("", sentence).strip()
    if sentence and sentence[-1] in ".!?…;:":
        return f"{sentence[:-1].rstrip()} [{n}]{sentence[-1]}"
    return f"{sentence} [{n}]"


def _near_duplicate(a: str, b: str) -> bool:
    ta, tb = set(terms(a)), set(terms(b))
    if not ta or not tb:
        return a == b
    return len(ta & tb) / len(ta | tb) > 0.8


@generators.register("extractive", "extract")
def _extractive(config: GenerationConfig) -> ExtractiveGenerator:
    return ExtractiveGenerator(max_sentences=config.extractive_sentences)
