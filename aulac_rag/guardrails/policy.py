"""The guardrail policy of a sandbox (``guardrails.yaml``), validated with pydantic.

Shape::

    version: 1
    input:            # evaluated on every question; the strongest action wins
      - id: pii
        kind: pii     # a registered input rail kind (see ``input_kinds()``)
        action: redact
        message: "…"  # Vietnamese, shown to the user (required for block/escalate)
        params: {…}   # the kind's own settings, validated by its Params model
    output:           # applied in order to each generated answer
      - id: citations
        kind: citations
        action: redact
        params: {…}

Errors are :class:`GuardrailError` naming the file and the field, e.g.
``guardrails.yaml: input[2] (id 'scope').params.margin: Input should be a valid number``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from aulac_rag.errors import GuardrailError
from aulac_rag.guardrails.rails.base import (
    InputRail,
    OutputRail,
    RailContext,
    RuleSpec,
    input_rails,
    output_rails,
)
from aulac_rag.guardrails.types import Action


class RuleModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    kind: str
    action: Action
    message: str | None = None
    enabled: bool = True
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _message_when_stopping(self) -> RuleModel:
        if self.action in ("block", "escalate") and not (self.message or "").strip():
            raise ValueError(f"message: required when action is {self.action!r} (the user's reply in Vietnamese)")
        return self


class DocumentPolicy(BaseModel):
    """``documents:``: what ingestion does with a document that carries instructions for the assistant."""

    model_config = ConfigDict(extra="forbid")

    injection: Literal["warn", "refuse", "off"] = "warn"


class PolicyModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    description: str | None = None
    input: list[RuleModel] = Field(default_factory=list)
    output: list[RuleModel] = Field(default_factory=list)
    #: what ingestion does with documents that carry instructions for the assistant (warn | refuse | off)
    documents: DocumentPolicy = Field(default_factory=DocumentPolicy)

    @model_validator(mode="after")
    def _unique_ids(self) -> PolicyModel:
        seen: set[str] = set()
        for stage in ("input", "output"):
            for i, rule in enumerate(getattr(self, stage)):
                if rule.id in seen:
                    raise ValueError(f"{stage}[{i}].id: duplicate rule id {rule.id!r}")
                seen.add(rule.id)
        return self


def _errors(error: ValidationError, prefix: str = "") -> str:
    parts = []
    for item in error.errors():
        loc = ".".join(str(p) for p in item["loc"])
        msg = item["msg"].removeprefix("Value error, ")
        field = f"{prefix}.{loc}" if prefix and loc else prefix or loc or "(root)"
        parts.append(f"{field}: {msg}")
    return "; ".join(parts)


def parse_policy(raw: Any, source: str = "guardrails.yaml") -> PolicyModel:
    """Validate an already-parsed policy mapping."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise GuardrailError(f"{source}: expected a mapping with 'input' and 'output' lists")
    try:
        return PolicyModel.model_validate(raw)
    except ValidationError as exc:
        raise GuardrailError(f"{source}: invalid guardrail policy: {_errors(exc)}") from None


def load_policy(path: Path) -> PolicyModel:
    """Read and validate ``guardrails.yaml``; GuardrailError names the file and field."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GuardrailError(f"{path}: guardrail policy not found") from None
    except yaml.YAMLError as exc:
        raise GuardrailError(f"{path}: not valid YAML: {exc}") from exc
    return parse_policy(raw, str(path))


def _build(stage: str, index: int, rule: RuleModel, context: RailContext, source: str) -> Any:
    registry = input_rails if stage == "input" else output_rails
    where = f"{source}: {stage}[{index}] (id {rule.id!r})"
    if rule.kind not in registry:
        known = ", ".join(registry.names())
        raise GuardrailError(f"{where}.kind: unknown {stage} rail kind {rule.kind!r}; known: {known}")
    cls = registry.get(rule.kind)
    try:
        params = cls.Params.model_validate(rule.params)
    except ValidationError as exc:
        raise GuardrailError(f"{where}: invalid params: {_errors(exc, 'params')}") from None
    spec = RuleSpec(id=rule.id, kind=rule.kind, action=rule.action, message=rule.message, params=rule.params)
    try:
        return cls(spec, params, context)
    except GuardrailError as exc:
        raise GuardrailError(f"{where}.params: {exc}") from None


def build_rails(
    policy: PolicyModel, context: RailContext | None = None, source: str = "guardrails.yaml"
) -> tuple[list[InputRail[Any]], list[OutputRail[Any]]]:
    """Instantiate the enabled rules of ``policy`` as rails (validating each rule's params)."""
    context = context or RailContext()
    inputs = [_build("input", i, r, context, source) for i, r in enumerate(policy.input) if r.enabled]
    outputs = [_build("output", i, r, context, source) for i, r in enumerate(policy.output) if r.enabled]
    return inputs, outputs


def input_kinds() -> list[str]:
    return input_rails.names()


def output_kinds() -> list[str]:
    return output_rails.names()
