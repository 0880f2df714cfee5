"""Per-sandbox guardrails: input and output rails, decisions, policies.

The answer pipeline calls :func:`load_guard` once per sandbox and then only the
:class:`Guard` protocol (``check_input``, ``check_output``, ``mask_pii``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aulac_rag.guardrails.engine import GuardEngine
from aulac_rag.guardrails.pii import PII_TYPES, PiiDetector, PiiSpan
from aulac_rag.guardrails.policy import PolicyModel, build_rails, load_policy, parse_policy
from aulac_rag.guardrails.rails.base import JudgeSettings, RailContext, input_rails, output_rails
from aulac_rag.guardrails.types import (
    ACTION_STRENGTH,
    Action,
    Guard,
    OutputVerdict,
    PassThroughGuard,
    RuleDecision,
    Verdict,
    strongest,
)

__all__ = [
    "ACTION_STRENGTH",
    "Action",
    "Guard",
    "GuardEngine",
    "JudgeSettings",
    "OutputVerdict",
    "PII_TYPES",
    "PassThroughGuard",
    "PiiDetector",
    "PiiSpan",
    "PolicyModel",
    "RailContext",
    "RuleDecision",
    "Verdict",
    "build_rails",
    "input_rails",
    "load_guard",
    "load_policy",
    "output_rails",
    "parse_policy",
    "rail_context",
    "strongest",
]

_FROM_SANDBOX: Any = object()


def rail_context(sandbox: Any, embedder: Any = _FROM_SANDBOX) -> RailContext:
    """What the rails of ``sandbox`` may use.

    ``embedder=None`` is the explicit rules-only mode (``aulac guard --no-embedder``, fast rule tests):
    the scope rail votes by keywords and the semantic classifier is off. Everywhere else a
    missing or failing embedder is an error: the guard fails closed.
    """
    config = sandbox.config
    if embedder is _FROM_SANDBOX:

        def provide() -> Any:
            # lazy: the model loads only if the scope rail needs it; no embedder → keyword vote only
            return getattr(sandbox, "embedder", None)

    elif embedder is not None:

        def provide() -> Any:
            return embedder

    judge = None
    generation = getattr(config, "generation", None)
    if config.guardrails.llm_judge and generation is not None and generation.base_url:
        judge = JudgeSettings(
            base_url=generation.base_url,
            model=generation.model,
            api_key_env=generation.api_key_env,
            timeout_s=min(float(generation.timeout_s), 20.0),
        )
    home = getattr(sandbox, "home", None)
    return RailContext(
        domain=config.domain,
        description=config.description,
        folder=Path(sandbox.folder),
        corpus_dir=getattr(config, "corpus_dir", "corpus"),
        embedder=None if embedder is None else provide,
        judge=judge,
        cache_dir=Path(home) / "cache" / "guardrails" if home is not None else None,
    )


def load_guard(sandbox: Any, embedder: Any = _FROM_SANDBOX) -> GuardEngine:
    """The guard of ``sandbox`` (anything with ``.config``, ``.folder`` and a lazy ``.embedder``).

    Reads ``<folder>/<guardrails.policy_file>``; a sandbox without that file gets an
    engine with no rules, which allows everything but still masks PII for the audit log.
    """
    path = Path(sandbox.folder) / sandbox.config.guardrails.policy_file
    context = rail_context(sandbox, embedder)
    if not path.is_file():
        return GuardEngine([], [], source=str(path))
    return GuardEngine.from_file(path, context)
