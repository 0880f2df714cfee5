"""Building a sandbox's answer pipeline: its generation config, prompt file, guard and audit log.

The guard fails closed: if the guardrail engine cannot be imported or the sandbox's policy
cannot be built, building the pipeline raises :class:`GuardrailError` and nothing is answered.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Protocol

from aulac_rag.audit import AuditLog
from aulac_rag.config import SandboxConfig
from aulac_rag.errors import GuardrailError
from aulac_rag.generation import load_system_prompt
from aulac_rag.generation.followup import FollowupResolver
from aulac_rag.guardrails.types import Guard
from aulac_rag.pipeline.components import Retriever
from aulac_rag.pipeline.pipeline import AnswerPipeline
from aulac_rag.retrieval.types import RetrievalResult


class SandboxLike(Protocol):
    """What the pipeline needs from :class:`aulac_rag.sandbox.Sandbox`."""

    name: str
    config: SandboxConfig
    folder: Path
    home: Path

    def retrieve(self, query: str, k: int | None = None, filters: dict[str, Any] | None = None) -> RetrievalResult: ...


def config_hash(config: SandboxConfig) -> str:
    """sha256 of the sandbox config as canonical JSON: which settings produced an answer."""
    text = json.dumps(config.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_sandbox_guard(sandbox: SandboxLike) -> Guard:
    """The sandbox's guard (never a pass-through: a guard that cannot be built is an error)."""
    try:
        from aulac_rag.guardrails import load_guard
    except ImportError as exc:
        raise GuardrailError(
            f"the guardrail engine cannot be loaded ({exc}); sandbox {sandbox.name!r} refuses to answer without it"
        ) from exc
    return load_guard(sandbox)


def _chunk_texts(sandbox: SandboxLike) -> list[str]:
    """The text of every chunk in the sandbox's index (the follow-up resolver's word statistics)."""
    index = getattr(sandbox, "index", None)
    if index is None or not index.exists():
        return []
    return [str(p.get("text", "")) for p in index.scroll_payloads(["text"])]


def build_pipeline(
    sandbox: SandboxLike, *, audit: AuditLog | None | bool = True, retrieve: Retriever | None = None
) -> AnswerPipeline:
    """The answer pipeline of ``sandbox``; ``audit=True`` logs to ``sandbox.home/audit.sqlite``.

    ``retrieve`` replaces ``sandbox.retrieve`` (e.g. wrapped in a lock by the server).
    """
    from aulac_rag.incidents import IncidentRecorder, IncidentStore
    from aulac_rag.trial import trial_of

    generation = sandbox.config.generation
    prompt_path = sandbox.folder / generation.prompt_file
    log = AuditLog.for_home(sandbox.home) if audit is True else (audit or None)
    trial = trial_of(sandbox)
    incidents = IncidentRecorder(IncidentStore.for_home(sandbox.home), sandbox.name, trial.plan)
    return AnswerPipeline.from_config(
        generation,
        retrieve or sandbox.retrieve,
        system_prompt=load_system_prompt(prompt_path),
        guard=load_sandbox_guard(sandbox),
        audit=log,
        sandbox=sandbox.name,
        config_hash=config_hash(sandbox.config),
        trial=trial,
        incidents=incidents,
        followups=FollowupResolver(lambda: getattr(sandbox, "embedder", None), texts=lambda: _chunk_texts(sandbox)),
    )
