"""Citations that survive weak models: a sentence that cites nothing gets the context that supports it.

Small or weak LLMs often drop ``[n]``, print a literal ``[n]``, or cite after a list. Before the
citation rail judges the answer, :class:`CitationAttributor` reads the model's text sentence by
sentence (as it streams) and, for a claim without a valid citation, adds ``[n]`` of the context
that supports it best: the share of the sentence's syllable pairs found in the context
(:func:`aulac_rag.generation.lexical.relevance`), at least ``threshold``, and every number of the
sentence present in that context (a wrong "10 năm" is never attributed). A sentence with no such
support is left alone, so the citation rail still replaces it with "không đủ căn cứ trong tài liệu".

The threshold is measured in ``bench/attribution_threshold.py`` (bench/RESULTS.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from aulac_rag.generation.lexical import relevance
from aulac_rag.generation.prompting import is_not_found
from aulac_rag.guardrails.rails.answer_rails import sentence_end

#: measured (bench/attribution_threshold.py): the lowest threshold attributing at most 5% of unsupported
#: sentences on one half of the eval sets; on the other half 70% of supported sentences got their passage,
#: 1.1% a wrong one, and 1.6% of unsupported sentences were attributed
DEFAULT_THRESHOLD = 0.2

_PLACEHOLDER = re.compile(r"\s?\[\s*(?:n|N|k|x|số|\.\.\.|…)\s*\]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_MIN_WORDS = 4


@dataclass(frozen=True)
class Support:
    """The context (1-based) that best supports a sentence, and how well (0..1)."""

    n: int
    score: float


def best_support(sentence: str, contexts: Sequence[str]) -> Support | None:
    """The context whose text covers most of ``sentence`` and holds all its numbers (None: no context)."""
    numbers = set(_NUMBER.findall(sentence))
    best: Support | None = None
    for n, context in enumerate(contexts, 1):
        if numbers and not numbers <= set(_NUMBER.findall(context)):
            continue
        score = relevance(sentence, context)
        if best is None or score > best.score:
            best = Support(n, score)
    return best


class CitationAttributor:
    """Adds ``[n]`` to uncited claims of a model's streamed answer (see the module docstring).

    It sits in front of the citation filter, on the model's own numbers. Text is released as soon as
    it cannot change: everything of the current sentence but its trailing spaces, closing punctuation
    and an unclosed ``[``; at the sentence's end the citation (if any) goes before its full stop. So it
    delays the stream by a few characters, not a sentence. ``attributed`` counts the citations added.
    A sentence that cites anything, even a context that does not exist, is left alone: an invented
    citation is the model's claim of a source, removed and flagged downstream, not re-attributed.
    """

    def __init__(self, contexts: Sequence[str], threshold: float = DEFAULT_THRESHOLD) -> None:
        self.contexts = list(contexts)
        self.threshold = threshold
        self.attributed = 0
        self._sentence = ""  # the current sentence so far
        self._sent = 0  # how much of it was released

    def feed(self, chunk: str) -> str:
        self._sentence += chunk
        out = []
        # sentences split where the rails split them: a placeholder may keep "tháng 12 [n]. Sau" apart
        while (end := sentence_end(self._sentence)) is not None:
            out.append(self._close(self._sentence[:end]))
            self._sentence, self._sent = self._sentence[end:], 0
        safe = _safe_length(self._sentence)
        placeholder = _PLACEHOLDER.search(self._sentence, self._sent)
        if placeholder is not None:  # never released: it is dropped when the sentence closes
            safe = min(safe, placeholder.start())
        if safe > self._sent:
            out.append(self._sentence[self._sent : safe])
            self._sent = safe
        return "".join(out)

    def flush(self) -> str:
        sentence, self._sentence = self._sentence, ""
        out = self._close(sentence) if sentence else ""
        self._sent = 0
        return out

    def attribute(self, sentence: str) -> str:
        """One whole sentence, with ``[n]`` added when it cites nothing and a context supports it."""
        self._sent = 0
        return self._close(sentence)

    def _close(self, sentence: str) -> str:
        """The unreleased rest of a finished ``sentence`` without placeholders, with its citation when one is found."""
        sentence = sentence[: self._sent] + _PLACEHOLDER.sub("", sentence[self._sent :])
        rest = sentence[self._sent :]
        body = sentence.rstrip()
        n = self._support(body)
        if n is None:
            return rest
        self.attributed += 1
        end = len(body.rstrip(".!?…"))
        if end < self._sent:  # cannot happen: closing punctuation is never released early
            return rest
        return f"{sentence[self._sent : end]} [{n}]{sentence[end:]}"

    def _support(self, body: str) -> int | None:
        if not self.contexts or _ANY_CITATION.search(body):
            return None
        if len(re.findall(r"\w+", body)) < _MIN_WORDS or body.endswith((":", "?")):
            return None
        if is_not_found(body.lstrip(" -*•")):  # "Không tìm thấy thông tin này…" is no claim to source
            return None
        support = best_support(body, self.contexts)
        return support.n if support is not None and support.score >= self.threshold else None


_ANY_CITATION = re.compile(r"\[\s*\d+(?:\s*[,;–-]\s*\d+)*\s*\]")


def _safe_length(text: str) -> int:
    """How much of an unfinished sentence can be released: not its trailing spaces or closing
    punctuation (a citation may go before it), nor an unclosed ``[`` (a citation or a placeholder)."""
    cut = len(text.rstrip().rstrip(".!?…").rstrip())
    start = text.rfind("[", 0, cut)
    if start != -1 and "]" not in text[start:cut]:
        cut = start
    return len(text[:cut].rstrip())
