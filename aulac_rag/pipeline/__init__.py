"""The answer pipeline: input guard → retrieve → prompt → generate (stream) → output check → audit.

from aulac_rag.pipeline import build_pipeline
answer = build_pipeline(Sandbox("healthcare")).run("Mức đóng bảo hiểm y tế là bao nhiêu?")
print(answer.to_dict())  # the ``aulac ask --json`` shape
"""

from aulac_rag.pipeline.components import (
    AuditStep,
    GenerateStep,
    InputGuardStep,
    OutputCheckStep,
    RelevanceGate,
    Retriever,
    RetrieveStep,
)
from aulac_rag.pipeline.factory import SandboxLike, build_pipeline, config_hash, load_sandbox_guard
from aulac_rag.pipeline.pipeline import DEFAULT_REFUSAL, AnswerPipeline, AnswerStream
from aulac_rag.pipeline.types import Answer, Caller, Citation, GuardrailNote, RetrievedRef, Source, group_citations

__all__ = [
    "DEFAULT_REFUSAL",
    "Answer",
    "AnswerPipeline",
    "AnswerStream",
    "AuditStep",
    "Caller",
    "Citation",
    "GenerateStep",
    "GuardrailNote",
    "InputGuardStep",
    "OutputCheckStep",
    "RelevanceGate",
    "RetrieveStep",
    "RetrievedRef",
    "Retriever",
    "SandboxLike",
    "Source",
    "build_pipeline",
    "config_hash",
    "group_citations",
    "load_sandbox_guard",
]
