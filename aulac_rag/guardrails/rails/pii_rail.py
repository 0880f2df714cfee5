"""``pii``: finds Vietnamese personal identifiers in the question; the engine masks them."""

from __future__ import annotations

from pydantic import Field, field_validator

from aulac_rag.guardrails.pii import PII_TYPES, PiiDetector
from aulac_rag.guardrails.rails.base import GuardInput, InputRail, RuleParams
from aulac_rag.guardrails.types import RuleDecision


class PiiParams(RuleParams):
    types: list[str] = Field(default_factory=lambda: list(PII_TYPES))
    masks: dict[str, str] = Field(default_factory=dict)

    @field_validator("types", "masks")
    @classmethod
    def _known(cls, value: list[str] | dict[str, str]) -> list[str] | dict[str, str]:
        unknown = sorted(set(value) - set(PII_TYPES))
        if unknown:
            raise ValueError(f"unknown PII types {unknown}; known: {', '.join(PII_TYPES)}")
        return value


class PiiRail(InputRail[PiiParams]):
    """Fires when the text holds any enabled identifier; details carry the exact spans."""

    Params = PiiParams

    @property
    def detector(self) -> PiiDetector:
        params = self.params
        return PiiDetector(params.types, params.masks)

    def check(self, item: GuardInput) -> RuleDecision | None:
        params = self.params
        spans = [s for s in item.pii if s.type in params.types]
        if not spans:
            return None
        return self.decision(spans=[s.to_dict() for s in spans], types=sorted({s.type for s in spans}))
