"""The ``extractive`` backend: no LLM; it quotes the context sentences that best answer the question.

The answer is up to ``max_sentences`` whole sentences (:mod:`aulac_rag.generation.quotes`),
each with the lead-in its condition comes from ("Tại bệnh viện tuyến tỉnh: …"), each cited
``[n]``, closed by :data:`QUOTE_NOTE` on a line of its own: it is made of quotations, not
written text (the output rails treat that note as a remark, not a claim).

Scoring: diacritics-insensitive overlap of the question's syllables and syllable pairs with
the sentence and its lead-in (:mod:`aulac_rag.generation.lexical`), syllables weighted by
how rare they are among the contexts' sentences (the words that tell one passage from the
next), plus part of what the heading adds, a small bonus for better-ranked chunks and, when
the question asks for a quantity ("bao nhiêu", "mức", "%", "bao lâu"…), a bonus for
sentences stating one. The best sentence comes first; others follow while they score at
least ``keep_ratio`` of it. The defaults were tuned on two thirds of the bundled sandboxes'
eval sets and checked on the held-out third (bench/extractive_quality.py, bench/RESULTS.md). A quantity question
always gets a sentence with a number when a relevant one exists. When no sentence shares
enough with the question the answer is :data:`~aulac_rag.generation.prompting.NOT_FOUND_ANSWER`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from aulac_rag.config import GenerationConfig
from aulac_rag.errors import ConfigError
from aulac_rag.generation.base import Context, Mode, Prompt
from aulac_rag.generation.lexical import asks_quantity, has_quantity, overlap, terms, weighted_overlap
from aulac_rag.generation.prompting import NOT_FOUND_ANSWER
from aulac_rag.generation.quotes import Quote, capitalized, quotes

#: The closing line of every extractive answer: the sentences are quoted from the documents, not written.
QUOTE_NOTE = "(Các câu trên được trích nguyên văn từ tài liệu.)"

#: A heading that starts like this states a condition ("Tại bệnh viện tuyến tỉnh"): quoted with its sentences.
_CONDITION = re.compile(
    r"^(?:tại|ở|đối với|với|trường hợp|trong trường hợp|khi|nếu|riêng|ngoài|trừ|từ|dưới|trên|sau|trước)\s",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Candidate:
    n: int
    text: str  # as quoted: lead-in (or heading) and the sentence
    lead: str  # the lead-in part of ``text`` ("" if none)
    score: float
    plain: float  # unweighted overlap with the question (the not-found test)
    quantity: bool
    terms: frozenset[str]
    follow: str = ""  # the context's next sentence, when it states a quantity (a quantity question may need it)


@dataclass(frozen=True)
class _Unit:
    n: int
    rank: int
    quote: Quote
    body: list[str]  # terms of the lead-in and the sentence
    heading: list[str]  # terms of the heading


def strip_quote_note(text: str) -> str:
    """``text`` without the :data:`QUOTE_NOTE` line (for scoring answers against references)."""
    return text.replace(f"\n\n{QUOTE_NOTE}", "").replace(QUOTE_NOTE, "").strip() if QUOTE_NOTE in text else text


class ExtractiveGenerator:
    """Answers with up to ``max_sentences`` cited whole sentences taken verbatim from the contexts."""

    name = "extractive"
    model = "extractive"
    mode: Mode = "extractive"

    def __init__(
        self,
        max_sentences: int = 3,
        min_overlap: float = 0.15,
        rank_bonus: float = 1.0,
        keep_ratio: float = 0.9,
        quantity_bonus: float = 1.0,
        heading_weight: float = 0.5,
    ) -> None:
        if max_sentences < 1:
            raise ConfigError(f"extractive max_sentences must be >= 1, got {max_sentences!r}")
        if not 0 <= min_overlap <= 1:
            raise ConfigError(f"extractive min_overlap must be in [0, 1], got {min_overlap!r}")
        if not 0 <= keep_ratio <= 1:
            raise ConfigError(f"extractive keep_ratio must be in [0, 1], got {keep_ratio!r}")
        self.max_sentences = max_sentences
        self.min_overlap = min_overlap
        self.rank_bonus = rank_bonus
        self.keep_ratio = keep_ratio
        self.quantity_bonus = quantity_bonus
        self.heading_weight = heading_weight

    def select(self, prompt: Prompt) -> list[_Candidate]:
        """The sentences to answer with, most relevant first (empty when nothing matches)."""
        candidates = self._candidates(prompt)
        if not candidates or max(c.plain for c in candidates) < self.min_overlap:
            return []
        candidates.sort(key=lambda c: c.score, reverse=True)
        floor = candidates[0].score * self.keep_ratio
        picked: list[_Candidate] = []
        for cand in candidates:
            if len(picked) == self.max_sentences or cand.score < floor:
                break
            if not any(_near_duplicate(cand, p) for p in picked):
                picked.append(cand)
        if asks_quantity(prompt.focus or prompt.question):
            picked = self._with_quantity(picked, candidates, floor * 0.5)
        return picked

    def _candidates(self, prompt: Prompt) -> list[_Candidate]:
        units = _units(prompt.contexts)
        weight = _rarity(units)
        query = terms(prompt.question)
        focus = terms(prompt.focus) if prompt.focus else []
        quantity = asks_quantity(prompt.focus or prompt.question)
        out: list[_Candidate] = []
        for i, unit in enumerate(units):
            score, show_heading = self._score(unit, query, weight)
            plain = overlap(query, " ".join(unit.body))
            if focus:  # a follow-up: what it adds weighs twice the standalone question
                score = (score + 2 * self._score(unit, focus, weight)[0]) / 3
                plain = (plain + 2 * overlap(focus, " ".join(unit.body))) / 3
            if score <= 0:
                continue
            text = unit.quote.text(with_heading=show_heading)
            stated = has_quantity(f"{unit.quote.lead} {unit.quote.sentence}")  # not the heading's "Điều 5"
            # the bonuses scale the relevance: an off-topic sentence stays off-topic, whatever its rank or numbers
            score *= (1 + self.rank_bonus / (unit.rank + 1)) * (
                1 + (self.quantity_bonus if quantity and stated else 0.0)
            )
            lead = capitalized(unit.quote.prefix(show_heading))
            follow = _following_quantity(units, i) if quantity and not stated else ""
            out.append(_Candidate(unit.n, text, lead, score, plain, stated, frozenset(unit.body), follow))
        return out

    def _score(self, unit: _Unit, query: list[str], weight: dict[str, float]) -> tuple[float, bool]:
        """The unit's score for ``query`` and whether its heading belongs in the quote."""
        base = weighted_overlap(query, unit.body, weight)
        gain = weighted_overlap(query, unit.heading + unit.body, weight) - base if unit.heading else 0.0
        condition = bool(_CONDITION.match(unit.quote.heading)) and not unit.quote.lead
        return base + self.heading_weight * max(gain, 0.0), condition

    def _with_quantity(self, picked: list[_Candidate], ranked: list[_Candidate], floor: float) -> list[_Candidate]:
        """A quantity question's answer states a number.

        When no picked sentence has one, the best sentence is quoted with the next one of its
        passage if that states it ("… khi làm mất thẻ. Mức thu là 20.000 đồng."), else the best
        relevant sentence with a number joins the answer.
        """
        if not picked or any(c.quantity for c in picked):
            return picked
        if picked[0].follow:
            top = picked[0]
            merged = replace(top, text=f"{top.text} {top.follow}", quantity=True, follow="")
            return [merged, *picked[1:]]
        extra = next((c for c in ranked if c.quantity and c.score >= floor and c not in picked), None)
        if extra is None:
            return picked
        kept = picked if len(picked) < self.max_sentences else picked[:-1]
        return sorted([*kept, extra], key=lambda c: c.score, reverse=True)

    def stream(self, prompt: Prompt) -> Iterator[str]:
        picked = self.select(prompt)
        if not picked:
            yield NOT_FOUND_ANSWER
            return
        lead = ""
        for i, cand in enumerate(picked):
            text = cand.text
            if lead and text.startswith(lead + " "):  # the same lead-in as the quote before: said once
                text = capitalized(text[len(lead) + 1 :])
            lead = cand.lead
            yield ("" if i == 0 else " ") + _cite(text, cand.n)
        yield f"\n\n{QUOTE_NOTE}"


def _units(contexts: Sequence[Context]) -> list[_Unit]:
    units = []
    for rank, context in enumerate(contexts):
        for quote in quotes(context.text, context.title):
            body = terms(f"{quote.lead} {quote.sentence}")
            units.append(_Unit(context.n, rank, quote, body, terms(quote.heading)))
    return units


def _following_quantity(units: Sequence[_Unit], i: int) -> str:
    """The sentence after unit ``i`` in the same context and under the same lead-in, when it states a quantity."""
    if i + 1 >= len(units):
        return ""
    unit, after = units[i], units[i + 1]
    if after.n != unit.n or after.quote.lead != unit.quote.lead or not has_quantity(after.quote.sentence):
        return ""
    return capitalized(after.quote.sentence)


def _rarity(units: Sequence[_Unit]) -> dict[str, float]:
    """Inverse document frequency of each syllable over the contexts' sentences (smoothed, >= 1)."""
    df: Counter[str] = Counter()
    for unit in units:
        df.update(set(unit.body) | set(unit.heading))
    n = len(units) or 1
    return {t: 1.0 + math.log((n + 1) / (count + 0.5)) for t, count in df.items()}


def _cite(sentence: str, n: int) -> str:
    """``sentence [n].`` — the citation before the closing punctuation."""
    sentence = sentence.strip()
    if sentence and sentence[-1] in ".!?…;:":
        return f"{sentence[:-1].rstrip()} [{n}]{sentence[-1] if sentence[-1] in '.!?…' else '.'}"
    return f"{sentence} [{n}]."


def _near_duplicate(a: _Candidate, b: _Candidate) -> bool:
    if not a.terms or not b.terms:
        return a.text == b.text
    return len(a.terms & b.terms) / len(a.terms | b.terms) > 0.8 or a.terms <= b.terms or b.terms <= a.terms


def _extractive(config: GenerationConfig) -> ExtractiveGenerator:
    return ExtractiveGenerator(max_sentences=config.extractive_sentences)
