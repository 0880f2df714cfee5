"""Follow-up questions: make "còn trẻ em thì sao?" standalone before retrieval.

With an LLM backend the model rewrites the question from the conversation. Without one,
:class:`~aulac_rag.generation.followup.FollowupResolver` decides whether the question
depends on the previous turn (markers, missing content, topic similarity) and, only
then, appends the previous question's key words after the question's own; an
independent question is searched alone. ``no_llm="concat"`` keeps the old rule (always
prepend the previous question), the baseline of ``aulac eval --followups``. When the
LLM fails, the previous question is prepended (``concat_fallback``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from aulac_rag.errors import GenerationError
from aulac_rag.generation.base import Generator, Prompt
from aulac_rag.generation.followup import FollowupDecision, FollowupResolver
from aulac_rag.generation.prompting import Turn

REWRITE_SYSTEM_PROMPT = (
    "Viết lại câu hỏi cuối cùng của người dùng thành một câu hỏi độc lập, đầy đủ ý, bằng tiếng Việt, "
    "dựa trên cuộc hội thoại. Không trả lời câu hỏi. Chỉ in ra câu hỏi đã viết lại."
)

NoLLM = Literal["followup", "concat"]


@dataclass(frozen=True)
class Rewrite:
    """The question to search and how it was made.

    ``method``: ``none`` (no history), ``standalone`` (history, but the question does not
    depend on it: searched alone), ``followup`` (dependent: the previous turn's key words
    appended), ``llm``, ``concat`` (the old rule) or ``concat_fallback`` (the LLM failed).
    ``decision`` is the follow-up resolver's reasoning when it decided.
    """

    question: str
    method: str
    decision: FollowupDecision | None = None

    @property
    def rewritten(self) -> bool:
        return self.method in ("followup", "llm", "concat", "concat_fallback")


class QuestionRewriter:
    """Turns a follow-up into a standalone question (``llm`` is None or not an LLM: see ``no_llm``)."""

    def __init__(
        self,
        llm: Generator | None = None,
        *,
        max_turns: int = 3,
        max_chars: int = 500,
        followups: FollowupResolver | None = None,
        no_llm: NoLLM = "followup",
    ) -> None:
        if max_turns < 1:
            raise ValueError(f"max_turns must be >= 1, got {max_turns!r}")
        if no_llm not in ("followup", "concat"):
            raise ValueError(f"no_llm must be 'followup' or 'concat', got {no_llm!r}")
        self.llm = llm if llm is not None and llm.mode == "llm" else None
        self.max_turns = max_turns
        self.max_chars = max_chars
        self.followups = followups or FollowupResolver()
        self.no_llm = no_llm

    def run(self, question: str, history: Sequence[Turn] = ()) -> Rewrite:
        if not history:
            return Rewrite(question, "none")
        if self.llm is None:
            return self._without_llm(question, history)
        turns = list(history)[-self.max_turns :]
        dialogue = "\n".join(f"Người dùng: {q}\nTrợ lý: {a}" for q, a in turns)
        user = f"Hội thoại:\n{dialogue}\n\nCâu hỏi tiếp theo: {question}\n\nCâu hỏi độc lập:"
        prompt = Prompt(
            messages=({"role": "system", "content": REWRITE_SYSTEM_PROMPT}, {"role": "user", "content": user}),
            question=question,
            temperature=0.0,
            max_tokens=128,
        )
        try:
            text = "".join(self.llm.stream(prompt)).strip().strip('"“”').strip()
        except GenerationError:
            return Rewrite(_concat(history, question), "concat_fallback")
        if not text or len(text) > self.max_chars:
            return Rewrite(_concat(history, question), "concat_fallback")
        return Rewrite(text.splitlines()[0].strip(), "llm")

    def _without_llm(self, question: str, history: Sequence[Turn]) -> Rewrite:
        if self.no_llm == "concat":
            return Rewrite(_concat(history, question), "concat")
        decision = self.followups.run(question, history)
        if decision.dependent:
            return Rewrite(decision.search, "followup", decision)
        return Rewrite(question, "standalone", decision)


def _concat(history: Sequence[Turn], question: str) -> str:
    return f"{history[-1][0].strip()} {question.strip()}"
