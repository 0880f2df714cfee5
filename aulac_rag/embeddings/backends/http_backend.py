"""``openai-compatible:<model>``: embeddings from a server speaking OpenAI's ``POST /embeddings``.

Served by vLLM's pooling runner (``vllm serve MODEL --runner pooling``, or ``aulac llm serve
--embed-model MODEL``), Hugging Face text-embeddings-inference (its ``/v1/embeddings`` route) and
Infinity. ``retrieval.embedder`` settings: ``base_url`` (the part before ``/embeddings``, e.g.
``http://127.0.0.1:8002/v1``; ``$AULAC_EMBED_BASE_URL`` otherwise), ``api_key_env`` (the *name*
of the variable holding the key), ``batch_size`` (texts per request), ``concurrency`` (requests
in flight), ``timeout_s``, ``max_retries``, ``retry_backoff_s`` and ``dim`` (the expected vector
size; every reply is checked against it, or against the first reply's). e5 models get their
``query: `` / ``passage: `` prefixes; set ``query_prefix`` / ``passage_prefix`` for others.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from pydantic import BaseModel, ValidationError

from aulac_rag.config import EmbedderConfig
from aulac_rag.embeddings.backends.sentence_transformers_backend import KNOWN_PREFIXES
from aulac_rag.embeddings.base import Embedder
from aulac_rag.errors import ConfigError, EmbeddingError
from aulac_rag.jsonhttp import HttpTarget, JsonClient

BASE_URL_ENV = "AULAC_EMBED_BASE_URL"
_E5 = ("query: ", "passage: ")


class _Item(BaseModel):
    index: int
    embedding: list[float]


class _Reply(BaseModel):
    """The part of OpenAI's embeddings reply we use: ``{"data": [{"index", "embedding"}, ...]}``."""

    data: list[_Item]


def default_prefixes(model: str) -> tuple[str, str]:
    """The (query, passage) prefixes ``model`` was trained with: e5 models by id or served name; else none."""
    if model in KNOWN_PREFIXES:
        return KNOWN_PREFIXES[model]
    base = model.rstrip("/").rsplit("/", 1)[-1].lower()
    if base.startswith(("multilingual-e5-", "e5-")) and "instruct" not in base:
        return _E5
    return ("", "")


class OpenAICompatEmbedder(Embedder):
    """Remote embeddings over HTTP: batches sent ``concurrency`` at a time, each retried on 429/5xx."""

    batches_queries = True  # one request for several questions costs about one round trip

    def __init__(self, model: str, config: EmbedderConfig) -> None:
        if not model:
            raise ConfigError(
                "retrieval.embedder.name: give the served model, e.g. 'openai-compatible:intfloat/multilingual-e5-large'"
            )
        base_url = config.base_url or os.environ.get(BASE_URL_ENV)
        if not base_url:
            raise ConfigError(
                f"retrieval.embedder.base_url is not set (nor ${BASE_URL_ENV}); give the server's URL before "
                "/embeddings, e.g. http://127.0.0.1:8002/v1"
            )
        self.model = model
        self.query_prefix, self.passage_prefix = default_prefixes(model)
        super().__init__(config)
        target = HttpTarget.of(
            config,
            base_url=base_url,
            what="the embedding server",
            field="retrieval.embedder",
            url_field="retrieval.embedder.base_url",
            start_hint=f"`aulac llm serve --model LLM --embed-model {model}`",
        )
        self.client = JsonClient(target, EmbeddingError)
        self.model_id = f"http/{model}/seg={int(config.segment_words)}/q={self.query_prefix}/p={self.passage_prefix}"
        self._dim: int | None = config.dim
        self._dim_lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    @property
    def dim(self) -> int:
        """The configured ``dim``, else the size of one probe vector from the server (asked once)."""
        if self._dim is None:
            self._encode([self.passage_prefix + "dim"], False)
        assert self._dim is not None
        return self._dim

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        raw = self.client.post("/embeddings", {"model": self.model, "input": texts})
        where = f"the embedding server at {self.client.base_url}/embeddings"
        try:
            items = sorted(_Reply.model_validate(raw).data, key=lambda item: item.index)
        except ValidationError as exc:
            raise EmbeddingError(
                f"{where} sent a reply that is not an OpenAI embeddings response ({exc.error_count()} problems); "
                "check retrieval.embedder.base_url points at the /v1 of an embeddings server"
            ) from None
        if [item.index for item in items] != list(range(len(texts))):
            raise EmbeddingError(f"{where} returned {len(items)} vectors for {len(texts)} texts")
        sizes = {len(item.embedding) for item in items}
        if len(sizes) != 1:
            raise EmbeddingError(f"{where} returned vectors of different sizes {sorted(sizes)}")
        self._check_dim(sizes.pop())
        return np.asarray([item.embedding for item in items], dtype=np.float32)

    def _check_dim(self, size: int) -> None:
        with self._dim_lock:
            if self._dim is None:
                self._dim = size
                return
            expected = self._dim
        if size != expected and self.config.dim is not None:
            raise ConfigError(
                f"the embedding server's model {self.model!r} returns {size}-d vectors but retrieval.embedder.dim is "
                f"{expected}; set retrieval.embedder.dim: {size} (and ingest into a new sandbox) or serve the intended model"
            )
        if size != expected:
            raise EmbeddingError(
                f"the embedding server's model {self.model!r} now returns {size}-d vectors but earlier replies had "
                f"{expected}; the server was switched to another model: serve the one the index was built with"
            )

    def _encode_batches(self, batches: list[list[str]], is_query: bool) -> list[np.ndarray]:
        if len(batches) <= 1 or self.config.concurrency == 1:
            return super()._encode_batches(batches, is_query)
        with self._dim_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.config.concurrency, thread_name_prefix="aulac-embed")
            pool = self._pool
        return list(pool.map(lambda batch: self._encode(batch, is_query), batches))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None
        self.client.close()


def _openai_compatible(model: str, config: EmbedderConfig) -> Embedder:
    return OpenAICompatEmbedder(model, config)
