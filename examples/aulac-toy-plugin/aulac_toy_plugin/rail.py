"""``toy_shouting``: an input rail that fires when most letters of the question are capitals."""

from __future__ import annotations

from pydantic import Field

from aulac_rag.guardrails.rails.base import GuardInput, InputRail, RuleParams
from aulac_rag.guardrails.types import RuleDecision


class ShoutingParams(RuleParams):
    min_ratio: float = Field(0.8, gt=0, le=1)
    min_letters: int = Field(8, ge=1)


class ShoutingRail(InputRail[ShoutingParams]):
    Params = ShoutingParams

    def check(self, item: GuardInput) -> RuleDecision | None:
        letters = [ch for ch in item.text if ch.isalpha()]
        if len(letters) < self.params.min_letters:
            return None
        ratio = sum(ch.isupper() for ch in letters) / len(letters)
        return self.decision(upper_ratio=round(ratio, 2)) if ratio >= self.params.min_ratio else None
