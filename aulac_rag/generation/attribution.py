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
from aulac_rag.guardrails.rails.answer_rails import sentence_end

#: measured (bench/attribution_threshold.py): the lowest threshold attributing at most 5% of unsupported
#: sentences on one half of the eval sets; on the other half 70% of supported sentences got their passage,
#: 1.1% a wrong one, and 1.6% of unsupported sentences were attributed
DEFAULT_THRESHOLD = 0.2

_VALID = re.compile(r"\[\s*\d+(?:\s*[,;–-]\s*\d+)*\s*\]")
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

    ``feed`` returns text up to the last complete sentence (the rest waits for more text);
    ``flush`` returns the remainder. ``attributed`` counts the citations it added.
    """

    def __init__(self, contexts: Sequence[str], threshold: float = DEFAULT_THRESHOLD) -> None:
        self.contexts = list(contexts)
        self.threshold = threshold
        self.attributed = 0
        self._buffer = ""

    def feed(self, chunk: str) -> str:
        self._buffer += chunk
        out = []
        while (end := sentence_end(self._buffer)) is not None:
            sentence, self._buffer = self._buffer[:end], self._buffer[end:]
            out.append(self._attribute(sentence))
        return "".join(out)

    def flush(self) -> str:
        sentence, self._buffer = self._buffer, ""
        return self._attribute(sentence) if sentence else ""

    def _attribute(self, sentence: str) -> str:
        sentence = _PLACEHOLDER.sub("", sentence)
        if not self.contexts or self._cites(sentence):
            return sentence
        body = sentence.rstrip()
        if len(re.findall(r"\w+", body)) < _MIN_WORDS or body.endswith((":", "?")):
            return sentence
        support = best_support(body, self.contexts)
        if support is None or support.score < self.threshold:
            return sentence
        self.attributed += 1
        trailing = sentence[len(body) :]
        end = len(body.rstrip(".!?…"))
        return f"{body[:end]} [{support.n}]{body[end:]}{trailing}"

    def _cites(self, sentence: str) -> bool:
        for m in _VALID.finditer(sentence):
            if any(1 <= int(x) <= len(self.contexts) for x in re.findall(r"\d+", m.group(0))):
                return True
        return False
