"""Follow-up questions: make "còn trẻ em thì sao?" standalone before retrieval.

With an LLM backend the model rewrites the question from the conversation; without
one (or when the LLM fails) the previous question is prepended, which keeps its
keywords in the retrieval query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aulac_rag.errors import GenerationError
from aulac_rag.generation.base import Generator, Prompt
from aulac_rag.generation.prompting import Turn

REWRITE_SYSTEM_PROMPT = (
    "Viết lại câu hỏi cuối cùng của người dùng thành một câu hỏi độc lập, đầy đủ ý, bằng tiếng Việt, "
    "dựa trên cuộc hội thoại. Không trả lời câu hỏi. Chỉ in ra câu hỏi đã viết lại."
)


@dataclass(frozen=True)
class Rewrite:
    """The standalone question and how it was made: ``none``, ``llm``, ``concat`` or ``concat_fallback``."""

    question: str
    method: str


class QuestionRewriter:
    """Turns a follow-up into a standalone question (``llm`` is None or not an LLM: concatenation)."""

    def __init__(self, llm: Generator | None = None, *, max_turns: int = 3, max_chars: int = 500) -> None:
        if max_turns < 1:
            raise ValueError(f"max_turns must be >= 1, got {max_turns!r}")
        self.llm = llm if llm is not None and llm.mode == "llm" else None
        self.max_turns = max_turns
        self.max_chars = max_chars

    def run(self, question: str, history: Sequence[Turn] = ()) -> Rewrite:
        if not history:
            return Rewrite(question, "none")
        if self.llm is None:
            return Rewrite(_concat(history, question), "concat")
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


def _concat(history: Sequence[Turn], question: str) -> str:
    return f"{history[-1][0].strip()} {question.strip()}"
