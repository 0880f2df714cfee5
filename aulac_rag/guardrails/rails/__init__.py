"""The built-in rail kinds (named lazily in :mod:`aulac_rag.guardrails.rails.base`)."""

from aulac_rag.guardrails.rails import answer_rails, judge_rail, pii_rail, scope_rail, semantic_rail, signal_rails
from aulac_rag.guardrails.rails.base import InputRail, OutputRail, RailContext, input_rails, output_rails

__all__ = [
    "InputRail",
    "OutputRail",
    "RailContext",
    "answer_rails",
    "input_rails",
    "judge_rail",
    "output_rails",
    "pii_rail",
    "scope_rail",
    "semantic_rail",
    "signal_rails",
]
