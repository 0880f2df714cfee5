"""Rerankers behind HTTP: ``tei:<url>`` and ``vllm:<url>``.

* ``tei:http://HOST:8080`` — Hugging Face text-embeddings-inference serving a reranker:
  ``POST {url}/rerank`` with ``{"query", "texts", "truncate": true}`` → ``[{"index", "score"}, ...]``.
* ``vllm:http://HOST:8000/v1`` — vLLM (``vllm serve BAAI/bge-reranker-v2-m3``) and other servers
  of the Cohere/Jina rerank API: ``POST {url}/rerank`` with ``{"model", "query", "documents"}`` →
  ``{"results": [{"index", "relevance_score"}, ...]}``; ``retrieval.reranker.model`` names the model.

Texts go ``batch_size`` at a time (TEI refuses more than ``--max-client-batch-size``, 32 by
default). Retries, timeouts and the API key (``api_key_env``) as for the HTTP embedder.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from aulac_rag.config import RerankerConfig
from aulac_rag.errors import ConfigError, RerankError
from aulac_rag.jsonhttp import HttpTarget, JsonClient
from aulac_rag.retrieval.rerank import Reranker


class _Rank(BaseModel):
    index: int
    score: float


_RANKS = TypeAdapter(list[_Rank])


class _Result(BaseModel):
    index: int
    relevance_score: float


class _Results(BaseModel):
    results: list[_Result]


class HttpReranker(Reranker):
    """Common part: the client, batching, and the check that every text got exactly one score."""

    protocol = ""

    def __init__(self, url: str, config: RerankerConfig) -> None:
        if not url:
            raise ConfigError(f"retrieval.reranker.name: give the server's URL, e.g. '{self.protocol}:http://127.0.0.1:8080'")
        super().__init__(config)
        target = HttpTarget.of(
            config, base_url=url, what="the reranking server", field="retrieval.reranker", url_field="retrieval.reranker.name"
        )
        self.client = JsonClient(target, RerankError)

    def score(self, query: str, texts: Sequence[str]) -> list[float]:
        size = self.config.batch_size
        scores: list[float] = []
        for start in range(0, len(texts), size):
            batch = list(texts[start : start + size])
            scores += self._score_batch(query, batch)
        return scores

    def _score_batch(self, query: str, texts: list[str]) -> list[float]:
        raw = self.client.post("/rerank", self._payload(query, texts))
        try:
            pairs = self._parse(raw)
        except ValidationError:
            raise RerankError(
                f"the reranking server at {self.client.base_url}/rerank sent a reply that is not the {self.protocol} "
                "rerank protocol; check retrieval.reranker.name (tei:<url> for text-embeddings-inference, "
                "vllm:<url>/v1 for vLLM and Cohere/Jina-style servers)"
            ) from None
        by_index = dict(pairs)
        if len(pairs) != len(texts) or sorted(by_index) != list(range(len(texts))):
            raise RerankError(
                f"the reranking server at {self.client.base_url}/rerank scored {len(pairs)} of {len(texts)} passages"
            )
        return [by_index[i] for i in range(len(texts))]

    @abstractmethod
    def _payload(self, query: str, texts: list[str]) -> dict[str, Any]:
        """The request body of one batch, in this server's protocol."""

    @abstractmethod
    def _parse(self, raw: Any) -> list[tuple[int, float]]:
        """``(index, score)`` pairs from this server's reply."""

    def close(self) -> None:
        self.client.close()


class TeiReranker(HttpReranker):
    """text-embeddings-inference ``/rerank``."""

    protocol = "tei"

    def _payload(self, query: str, texts: list[str]) -> dict[str, Any]:
        return {"query": query, "texts": texts, "truncate": True}

    def _parse(self, raw: Any) -> list[tuple[int, float]]:
        return [(r.index, r.score) for r in _RANKS.validate_python(raw)]


class CohereStyleReranker(HttpReranker):
    """vLLM's (Cohere/Jina-compatible) ``/rerank``."""

    protocol = "vllm"

    def __init__(self, url: str, config: RerankerConfig) -> None:
        if not config.model:
            raise ConfigError(
                "retrieval.reranker.model is empty; name the served reranking model, e.g. BAAI/bge-reranker-v2-m3"
            )
        super().__init__(url, config)

    def _payload(self, query: str, texts: list[str]) -> dict[str, Any]:
        return {"model": self.config.model, "query": query, "documents": texts}

    def _parse(self, raw: Any) -> list[tuple[int, float]]:
        return [(r.index, r.relevance_score) for r in _Results.model_validate(raw).results]


def _tei(url: str, config: RerankerConfig) -> Reranker:
    return TeiReranker(url, config)


def _vllm(url: str, config: RerankerConfig) -> Reranker:
    return CohereStyleReranker(url, config)
