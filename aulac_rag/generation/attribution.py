"""Citations that survive weak models: a sentence that cites nothing gets the context that supports it.

Small or weak LLMs often drop ``[n]``, print a literal ``[n]``, or cite after a list. Before the
citation rail judges the answer, :class:`CitationAttributor` reads the model's text sentence by
sentence (as it streams) and, for a claim without a valid citation, adds ``[n]`` of the context
that supports it best: the share of the sentence's syllable pairs found in the context
(:func:`aulac_rag.generation.lexical.relevance`), at least ``threshold``, and every number of the
sentence present in that context (a wrong "10 năm" is never attributed). A sentence with no such
support is left alone, so the citation rail still replaces it with "không đủ căn cứ trong tài liệu".

The sources a model names itself (``[n]`` in its text, or a structured answer's ``sources`` rendered
as ``[n]``) are verified by the same measure and threshold: a weak model often names every passage
for every sentence. Of a sentence's named contexts only those that support it are kept; when none
does, the sentence gets the best-supported context instead, or, with none above the threshold, no
citation, so the rail replaces it exactly as an uncited unsupported sentence.

The threshold is measured in ``bench/attribution_threshold.py`` (bench/RESULTS.md).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from aulac_rag.generation.citations import CITATION_GROUP, cited_numbers
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


def support_score(sentence: str, context: str) -> float | None:
    """How well ``context`` supports ``sentence`` (0..1), None when it lacks one of the sentence's numbers."""
    numbers = set(_NUMBER.findall(sentence))
    if numbers and not numbers <= set(_NUMBER.findall(context)):
        return None
    return relevance(sentence, context)


def best_support(sentence: str, contexts: Sequence[str]) -> Support | None:
    """The context whose text covers most of ``sentence`` and holds all its numbers (None: no context)."""
    best: Support | None = None
    for n, context in enumerate(contexts, 1):
        score = support_score(sentence, context)
        if score is not None and (best is None or score > best.score):
            best = Support(n, score)
    return best


class CitationAttributor:
    """Adds ``[n]`` to uncited claims of a model's streamed answer (see the module docstring).

    It sits in front of the citation filter, on the model's own numbers. Text is released as soon as
    it cannot change: everything of the current sentence but its trailing spaces, closing punctuation
    and an unclosed ``[``; at the sentence's end the citation (if any) goes before its full stop. So it
    delays the stream by a few characters, not a sentence. ``attributed`` counts the citations added.

    With ``verify`` (the default) a sentence's own citations of existing contexts are checked: those
    whose context does not support it are removed; when none does, the best-supported context is
    cited instead (counted in ``reattributed``), or nothing (``unsupported``). ``named`` and ``kept``
    count the model's citations judged and kept. A sentence's citations are held back until it ends
    (they may still go). Invented citations (no such context) are left for the citation filter to
    remove and flag: a sentence citing only those is not re-attributed. Sentences the attributor
    does not judge (under four words, a question or heading, the not-found reply) keep what the
    model wrote.
    """

    def __init__(self, contexts: Sequence[str], threshold: float = DEFAULT_THRESHOLD, *, verify: bool = True) -> None:
        self.contexts = list(contexts)
        self.threshold = threshold
        self.verify = verify
        self.attributed = 0
        self.named = 0  # the model's citations of existing contexts, in judged sentences
        self.kept = 0  # of those, the ones whose context supports the sentence
        self.reattributed = 0  # sentences none of whose named contexts supported them, given the best one
        self.unsupported = 0  # sentences none of whose named contexts supported them, left uncited
        self._sentence = ""  # the current sentence so far
        self._sent = 0  # how much of it was released

    @property
    def dropped(self) -> int:
        """The model's citations removed because their context does not support the sentence."""
        return self.named - self.kept

    def feed(self, chunk: str) -> str:
        self._sentence += chunk
        out = []
        # sentences split where the rails split them: a placeholder may keep "tháng 12 [n]. Sau" apart
        safe = len(self._sentence)
        while (end := sentence_end(self._sentence)) is not None:
            if _citations_may_follow(self._sentence, end):  # the sentence's full stop waits with them
                head = _without_trailing_citations(self._sentence[:end])
                safe = len(head.rstrip(".!?…").rstrip())
                break
            out.append(self._close(self._sentence[:end]))
            self._sentence, self._sent = self._sentence[end:], 0
        safe = min(safe, _safe_length(self._sentence))
        placeholder = _PLACEHOLDER.search(self._sentence, self._sent)
        if placeholder is not None:  # never released: it is dropped when the sentence closes
            safe = min(safe, placeholder.start())
        if self.verify and (marker := _MARKER.search(self._sentence, self._sent)) is not None:
            safe = min(safe, marker.start())  # held back: it may be removed when the sentence is verified
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
        if self.verify and _MARKER.search(rest):
            return self._verified(sentence, rest)
        n = self._support(body)
        if n is None:
            return rest
        self.attributed += 1
        end = len(body.rstrip(".!?…"))
        if end < self._sent:  # cannot happen: closing punctuation is never released early
            return rest
        return f"{sentence[self._sent : end]} [{n}]{sentence[end:]}"

    def _verified(self, sentence: str, rest: str) -> str:
        """The unreleased ``rest`` of ``sentence`` keeping only the model's citations that its context supports."""
        named = dict.fromkeys(n for m in _MARKER.finditer(rest) for n in cited_numbers(m.group(1)))
        valid = [n for n in named if 1 <= n <= len(self.contexts)]
        bare = _ANY_CITATION.sub("", sentence).rstrip()
        kind = self._kind(bare)
        if not valid or kind == "skip":
            return rest
        # too short to judge by its words ("Có 800 giường [3]."), but a number it states must be in the passage
        floor = self.threshold if kind == "claim" else 0.0
        kept = {
            n
            for n in valid
            if (score := support_score(bare, self.contexts[n - 1])) is not None and score >= floor
        }
        if not kept and len(valid) > 1:
            kept = self._jointly_supporting(bare, valid)
        self.named += len(valid)
        self.kept += len(kept)
        if len(kept) == len(valid):
            return rest
        out = _MARKER.sub(lambda m: _kept_marks(m, kept, len(self.contexts)), rest)
        if kept:
            return out
        best = best_support(bare, self.contexts)
        if best is None or best.score < self.threshold:
            self.unsupported += 1
            return out
        self.reattributed += 1
        end = len(out.rstrip().rstrip(".!?…"))
        return f"{out[:end]} [{best.n}]{out[end:]}"

    def _jointly_supporting(self, bare: str, named: list[int]) -> set[int]:
        """The named contexts that together support a sentence joining them ("800 giường [1] và 10 ngày [2]"):
        with numbers in the sentence, those holding one of them; without, those supporting it alone by half the
        threshold. Kept when there are two or more and together they hold all its numbers and reach the
        threshold; else empty."""
        numbers = set(_NUMBER.findall(bare))
        part = {
            n
            for n in named
            if (numbers & set(_NUMBER.findall(self.contexts[n - 1])))
            or (not numbers and relevance(bare, self.contexts[n - 1]) >= self.threshold / 2)
        }
        if len(part) < 2:
            return set()
        joint = support_score(bare, "\n".join(self.contexts[n - 1] for n in sorted(part)))
        return part if joint is not None and joint >= self.threshold else set()

    def _judged(self, body: str) -> bool:
        """Whether ``body`` (citations removed) is a claim the attributor sources: not too short, no
        question or heading, not the not-found reply."""
        return self._kind(body) == "claim"

    @staticmethod
    def _kind(body: str) -> Literal["claim", "short", "skip"]:
        """``claim``: judged by word overlap; ``short``: under four words but stating a number (only its
        numbers are checked); ``skip``: a question, a heading, the not-found reply or a short phrase."""
        if body.endswith((":", "?")) or is_not_found(body.lstrip(" -*•")):  # "Không tìm thấy…" is no claim
            return "skip"
        if len(re.findall(r"\w+", body)) >= _MIN_WORDS:
            return "claim"
        return "short" if _NUMBER.search(body) else "skip"

    def _support(self, body: str) -> int | None:
        if not self.contexts or _ANY_CITATION.search(body) or not self._judged(body):
            return None
        support = best_support(body, self.contexts)
        return support.n if support is not None and support.score >= self.threshold else None


def verification_note(attributor: CitationAttributor) -> str:
    """The notice of an answer whose model-named sources were not all kept (Vietnamese, shown with it)."""
    message = f"Đã bỏ {attributor.dropped} nguồn mô hình ghi cho câu mà đoạn tài liệu đó không chứa nội dung câu"
    if attributor.reattributed:
        message += f"; {attributor.reattributed} câu được gắn lại nguồn theo đoạn tài liệu chứa nội dung đó"
    return message + "."


_ANY_CITATION = re.compile(CITATION_GROUP)
#: citation groups as the citation filter reads them ([1], [1, 3], [1;3], [1-3]): a run of them ("[1][2] [3]")
#: taken together with the space before it (not a line break)
_MARKER = re.compile(rf"[ \t]?({CITATION_GROUP}(?:[ \t]*{CITATION_GROUP})*)")


def _kept_marks(match: re.Match[str], kept: set[int], n_contexts: int) -> str:
    """A run of citations without the existing contexts not in ``kept`` (invented numbers stay, for the filter)."""
    numbers = cited_numbers(match.group(1))
    left = [n for n in numbers if n in kept or not 1 <= n <= n_contexts]
    if not left:
        return ""
    space = " " if match.group(0)[0].isspace() else ""
    return space + "".join(f"[{n}]" for n in left)


_CITATION_BODY = re.compile(r"[\d\s,;–-]*")


def _without_trailing_citations(text: str) -> str:
    """``text`` without the citation groups (and spaces) at its end, in one backward pass (no regex
    backtracking over long runs of spaces)."""
    end = len(text.rstrip())
    while end and text[end - 1] == "]":
        start = text.rfind("[", 0, end - 1)
        if start == -1 or not _CITATION_BODY.fullmatch(text, start + 1, end - 1):
            break
        end = len(text[:start].rstrip())
    return text[:end]
_CITATION_PREFIX = re.compile(r"\s*(?:\[[\d\s,;–-]*\]\s*)*(?:\[[\d\s,;–-]*)?")


def _citations_may_follow(text: str, end: int) -> bool:
    """Whether the sentence ending at ``end`` may still get citations after its full stop ("… 80%. [1][3]"
    arriving as "… 80%. [" then "1][3]"): the rails take those as the sentence's own, so wait for them."""
    tail = text[end:]
    return bool(_CITATION_PREFIX.fullmatch(tail)) if tail else text.rstrip().endswith("]")


def _safe_length(text: str) -> int:
    """How much of an unfinished sentence can be released: not its trailing spaces or closing
    punctuation (a citation may go before it), nor an unclosed ``[`` (a citation or a placeholder)."""
    cut = len(text.rstrip().rstrip(".!?…").rstrip())
    start = text.rfind("[", 0, cut)
    if start != -1 and "]" not in text[start:cut]:
        cut = start
    return len(text[:cut].rstrip())
