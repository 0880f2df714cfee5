"""Guardrail decisions and the interface the answer pipeline calls.

The pipeline only knows :class:`Guard`; the rule engine (``guardrails/engine.py``)
implements it, and :class:`PassThroughGuard` allows everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, cast

Action = Literal["allow", "redact", "block", "escalate"]

#: Strongest action wins when several rules fire.
ACTION_STRENGTH: dict[str, int] = {"allow": 0, "redact": 1, "block": 2, "escalate": 3}


def strongest(actions: Sequence[str]) -> Action:
    """The strongest of ``actions`` (``allow`` when empty)."""
    best = max(actions, key=ACTION_STRENGTH.__getitem__, default="allow")
    return cast(Action, best)


@dataclass(frozen=True)
class RuleDecision:
    """One rule that fired: its id, action and the Vietnamese message for the user."""

    id: str
    action: Action
    message: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "action": self.action, "message": self.message}


@dataclass(frozen=True)
class Verdict:
    """The outcome of the input rails on one text."""

    action: Action
    rules: tuple[RuleDecision, ...]
    redacted: str
    message: str | None = None

    @property
    def stops(self) -> bool:
        """True when the question must not reach retrieval/generation."""
        return self.action in ("block", "escalate")

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "rules": [r.to_dict() for r in self.rules],
            "redacted": self.redacted,
            "message": self.message,
        }


@dataclass(frozen=True)
class OutputVerdict:
    """The outcome of the output rails on one answer: the text to show and what fired."""

    text: str
    rules: tuple[RuleDecision, ...] = ()


class Guard(Protocol):
    """What the answer pipeline needs from guardrails."""

    def check_input(self, text: str) -> Verdict: ...

    def check_output(self, answer: str, contexts: list[str]) -> OutputVerdict: ...

    def check_stream(self, sentence: str, contexts: list[str]) -> OutputVerdict: ...

    def mask_pii(self, text: str) -> str: ...


class PassThroughGuard:
    """Allows everything and masks nothing (sandboxes without a policy)."""

    def check_input(self, text: str) -> Verdict:
        return Verdict(action="allow", rules=(), redacted=text, message=None)

    def check_output(self, answer: str, contexts: list[str]) -> OutputVerdict:
        return OutputVerdict(text=answer)

    def check_stream(self, sentence: str, contexts: list[str]) -> OutputVerdict:
        return OutputVerdict(text=sentence)

    def mask_pii(self, text: str) -> str:
        return text
