"""What every rail shares: the registries by kind, the context a rail is built with,
and the prepared input all input rails read.

An input rail inspects the user's text and returns a :class:`RuleDecision` when it
fires; an output rail rewrites an answer. A rail is a class with a pydantic
``Params`` model (its policy ``params``), generic over it::

    class PiiRail(InputRail[PiiParams]):
        Params = PiiParams

and named in the registry by a lazy ``"module:Class"`` spec (built-ins below; plugins through
the ``aulac_rag.input_rails`` / ``aulac_rag.output_rails`` entry points).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from aulac_rag.embeddings.base import Embedder
from aulac_rag.guardrails.pii import PiiDetector, PiiSpan
from aulac_rag.guardrails.textnorm import MatchText, prepare
from aulac_rag.guardrails.types import Action, RuleDecision
from aulac_rag.registry import Registry


class RuleParams(BaseModel):
    """Base of each rail's ``params`` model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class RuleSpec:
    """One validated policy rule."""

    id: str
    kind: str
    action: Action
    message: str | None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class JudgeSettings:
    """Where the optional LLM judge is (the sandbox's OpenAI-compatible endpoint)."""

    base_url: str
    model: str
    api_key_env: str = "AULAC_LLM_API_KEY"
    timeout_s: float = 20.0


@dataclass
class RailContext:
    """What a rail may know about its sandbox. ``embedder`` is called lazily (None: no model)."""

    domain: str = "general"
    description: str = ""
    folder: Path | None = None
    corpus_dir: str = "corpus"
    embedder: Callable[[], Embedder | None] | None = None
    judge: JudgeSettings | None = None
    cache_dir: Path | None = None


class GuardInput:
    """One input text, prepared once and shared by all input rails."""

    def __init__(self, text: str, detector: PiiDetector) -> None:
        self.text = text
        self._detector = detector
        #: rails that scored this text close to (but under) their threshold; the LLM judge reads it
        self.borderline: list[str] = []
        #: set by the semantic rail: how sure it is that the text is allowed, and from what score it
        #: may overrule a domain-harm *block* rule (an information question that shares a rule's words)
        self.allow_score: float = 0.0
        self.veto_at: float | None = None

    @cached_property
    def match(self) -> MatchText:
        return prepare(self.text)

    @cached_property
    def pii(self) -> list[PiiSpan]:
        return self._detector.find(self.text)

    @cached_property
    def redacted(self) -> str:
        return self._detector.mask(self.text, self.pii)


P = TypeVar("P", bound=RuleParams)


class _Rail(Generic[P]):
    """What every rail holds: its rule from the policy, its validated params (typed ``P``) and the context."""

    Params: ClassVar[type[RuleParams]] = RuleParams

    def __init__(self, spec: RuleSpec, params: P, context: RailContext) -> None:
        self.spec = spec
        self.params = params
        self.context = context

    def decision(self, **details: Any) -> RuleDecision:
        return RuleDecision(id=self.spec.id, action=self.spec.action, message=self.spec.message, details=details)


class InputRail(_Rail[P], ABC):
    """Base class: ``check`` returns a decision when the rule fires, else None."""

    #: "model" rails (embedder, LLM) are skipped once a rule-based rail has stopped the input.
    cost: ClassVar[str] = "rule"
    #: True only for rails that add recall on top of others (the LLM judge): their failure is logged, not fatal.
    #: Every other rail fails closed: an exception stops the answer.
    fail_open: ClassVar[bool] = False
    #: True for model rails that still run after a rule blocked (only an escalation stops them)
    always_run: ClassVar[bool] = False

    @abstractmethod
    def check(self, item: GuardInput) -> RuleDecision | None: ...


class OutputRail(_Rail[P], ABC):
    """Base class: ``apply`` returns the rewritten answer and a decision when it changed anything."""

    #: True when the rail can judge one sentence alone, so a stream releases each sentence after it.
    #: False for rails that need the whole answer (the disclaimer appended at the end).
    streamable: ClassVar[bool] = True

    @abstractmethod
    def apply(self, answer: str, contexts: list[str]) -> tuple[str, RuleDecision | None]: ...


_R = "aulac_rag.guardrails.rails."
_SIGNALS = _R + "signal_rails:SignalRail"
_CITATIONS = _R + "answer_rails:CitationRail"
input_rails: Registry[type[InputRail[Any]]] = Registry(
    "input rail kind",
    "aulac_rag.input_rails",
    {
        "pii": _R + "pii_rail:PiiRail",
        "scope": _R + "scope_rail:ScopeRail",
        "semantic": _R + "semantic_rail:SemanticRail",
        "llm_judge": _R + "judge_rail:LlmJudgeRail",
        "signals": _SIGNALS,
        "domain_harm": _SIGNALS,
        "escalation": _SIGNALS,
        "injection": _R + "signal_rails:InjectionRail",
        "self_harm": _R + "signal_rails:SelfHarmRail",
        "harm": _R + "signal_rails:HarmRail",
    },
)
output_rails: Registry[type[OutputRail[Any]]] = Registry(
    "output rail kind",
    "aulac_rag.output_rails",
    {
        "citations": _CITATIONS,
        "require_citations": _CITATIONS,
        "forbidden_phrases": _R + "answer_rails:ForbiddenPhraseRail",
        "mask_pii": _R + "answer_rails:OutputPiiRail",
        "strip_links": _R + "answer_rails:LinkRail",
        "disclaimer": _R + "answer_rails:DisclaimerRail",
    },
)
