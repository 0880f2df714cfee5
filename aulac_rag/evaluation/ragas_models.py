"""The sandbox's own models, wrapped for ragas: the judge LLM and the embedder.

ragas falls back to OpenAI's hosted API whenever a metric has no LLM or embeddings,
so LLM-judge metrics are only ever built with both from here:

- :func:`judge_llm` wraps langchain-openai's ``ChatOpenAI`` pointed at the sandbox's
  ``generation.base_url`` (the same OpenAI-compatible server that answers) in ragas'
  ``LangchainLLMWrapper``;
- :class:`SandboxEmbeddings` is a LangChain ``Embeddings`` over the sandbox's
  :class:`~aulac_rag.embeddings.Embedder`, wrapped in ragas' ``LangchainEmbeddingsWrapper``
  by :func:`judge_embeddings`.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

from langchain_core.embeddings import Embeddings

from aulac_rag.config import GenerationConfig
from aulac_rag.embeddings import Embedder
from aulac_rag.errors import ConfigError, EvaluationError
from aulac_rag.evaluation.ragas_env import ragas_module
from aulac_rag.extras import import_error_message

#: Room for the judge's JSON (statement lists can be long); ``finish_reason: length`` fails a metric.
JUDGE_MAX_TOKENS = 2048

JUDGE_BACKENDS = ("openai-compatible", "openai", "vllm")


def judge_available(config: GenerationConfig) -> bool:
    """True when the sandbox answers with an OpenAI-compatible LLM at a configured ``base_url``."""
    return config.backend in JUDGE_BACKENDS and bool(config.base_url)


class SandboxEmbeddings(Embeddings):
    """LangChain ``Embeddings`` over an aulac :class:`Embedder`.

    ragas' ResponseRelevancy compares the user's question with questions generated
    from the answer, so by default both sides use the embedder's *query* form
    (e5's ``query:`` prefix); ``documents_as_queries=False`` embeds documents as passages.
    """

    def __init__(self, embedder: Embedder, documents_as_queries: bool = True) -> None:
        self.embedder = embedder
        self.documents_as_queries = documents_as_queries
        self.model = getattr(embedder, "model_id", type(embedder).__name__)

    def embed_query(self, text: str) -> list[float]:
        return [float(x) for x in self.embedder.embed_query(text)]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = (
            self.embedder.embed_queries(texts) if self.documents_as_queries else self.embedder.embed_passages(texts)
        )
        return vectors.astype(float).tolist()


def _run_config(config: GenerationConfig) -> Any:
    run_config = ragas_module("ragas.run_config").RunConfig
    return run_config(timeout=int(max(config.timeout_s, 1)), max_retries=config.max_retries + 1, max_wait=4)


def judge_llm(config: GenerationConfig) -> Any:
    """The sandbox's LLM as a ragas ``BaseRagasLLM`` (never OpenAI's hosted API)."""
    if not judge_available(config):
        raise ConfigError(
            "LLM-judge metrics need generation.backend 'openai-compatible' and generation.base_url in sandbox.yaml"
        )
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        raise EvaluationError(import_error_message("LLM-judge metrics", exc)) from exc
    chat = ChatOpenAI(
        model=config.model,
        base_url=config.base_url,
        api_key=os.environ.get(config.api_key_env) or "EMPTY",  # vLLM without --api-key accepts any key
        timeout=config.timeout_s,
        max_retries=0,  # ragas' RunConfig retries
        temperature=0.0,
        max_tokens=JUDGE_MAX_TOKENS,
    )
    wrapper = ragas_module("ragas.llms").LangchainLLMWrapper
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        # bypass_n: many OpenAI-compatible servers (llama.cpp) ignore n>1; ask n times instead.
        return wrapper(chat, run_config=_run_config(config), bypass_n=True)


def judge_embeddings(embedder: Embedder, config: GenerationConfig) -> Any:
    """The sandbox's embedder as a ragas ``BaseRagasEmbeddings``."""
    wrapper = ragas_module("ragas.embeddings").LangchainEmbeddingsWrapper
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return wrapper(SandboxEmbeddings(embedder), run_config=_run_config(config))
