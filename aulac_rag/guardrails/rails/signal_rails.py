"""Signal rails: a rule fires when a combination of phrase families is present.

``signals`` (aliases ``domain_harm``, ``escalation``) takes its families from the policy;
``injection``, ``self_harm`` and ``harm`` start from the built-in lexicons
(``guardrails/lexicons/``) and may add families and combinations of their own.
"""

from __future__ import annotations

from types import ModuleType
from typing import ClassVar

from pydantic import Field, model_validator

from aulac_rag.guardrails.lexicons import harm, injection, self_harm
from aulac_rag.guardrails.patterns import SignalSet
from aulac_rag.guardrails.rails.base import GuardInput, InputRail, RailContext, RuleParams, RuleSpec
from aulac_rag.guardrails.types import RuleDecision


class SignalParams(RuleParams):
    signals: dict[str, list[str]] = Field(default_factory=dict)
    when: list[list[str]] = Field(default_factory=list)
    unless: list[list[str]] = Field(default_factory=list)
    always: list[list[str]] = Field(default_factory=list)


class PolicySignalParams(SignalParams):
    @model_validator(mode="after")
    def _has_combination(self) -> PolicySignalParams:
        if not self.when and not self.always:
            raise ValueError("needs at least one combination in 'when' or 'always'")
        names = {n.split(":", 1)[1] if n.startswith(("CASE:", "ANY:")) else n for n in self.signals}
        for key in ("when", "unless", "always"):
            for group in getattr(self, key):
                missing = [n for n in group if n not in names]
                if missing:
                    raise ValueError(f"{key}: unknown signal(s) {missing}; defined: {sorted(names)}")
        return self


class SignalRail(InputRail[SignalParams]):
    """Fires on the policy's own signal combinations."""

    Params: ClassVar[type[RuleParams]] = PolicySignalParams
    lexicon: ClassVar[ModuleType | None] = None
    #: Match spaced-out letters too ("b ỏ q u a"): worth its cost for injection only.
    squash: ClassVar[bool] = False

    def __init__(self, spec: RuleSpec, params: SignalParams, context: RailContext) -> None:
        super().__init__(spec, params, context)
        p = params
        base = self.lexicon
        signals = {**(base.SIGNALS if base else {}), **p.signals}
        self.signal_set = SignalSet(
            signals,
            when=(base.WHEN if base else []) + p.when,
            unless=(base.UNLESS if base else []) + p.unless,
            always=(base.ALWAYS if base else []) + p.always,
            squash=self.squash,
        )

    def check(self, item: GuardInput) -> RuleDecision | None:
        matched = self.signal_set.evaluate(item.match)
        return None if matched is None else self.decision(signals=matched)


class InjectionRail(SignalRail):
    """Prompt injection, jailbreaks and system-prompt extraction (Vietnamese and English)."""

    Params = SignalParams
    lexicon: ClassVar[ModuleType | None] = injection
    squash = True


class SelfHarmRail(SignalRail):
    """Suicidal ideation and self-harm: escalate with hotlines."""

    Params = SignalParams
    lexicon: ClassVar[ModuleType | None] = self_harm


class HarmRail(SignalRail):
    """Weapons, drug making, hurting, hacking or scamming others asked as a how-to."""

    Params = SignalParams
    lexicon: ClassVar[ModuleType | None] = harm
