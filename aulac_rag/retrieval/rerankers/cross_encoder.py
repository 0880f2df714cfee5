"""``sentence-transformers:<hub id or folder>``: a local ``CrossEncoder`` (needs the ``st`` extra, torch).

Examples: ``sentence-transformers:BAAI/bge-reranker-v2-m3`` (multilingual, Vietnamese included),
``sentence-transformers:/models/my-reranker`` on an offline machine.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from aulac_rag.config import RerankerConfig
from aulac_rag.embeddings.backends.sentence_transformers_backend import load_st_model
from aulac_rag.errors import ConfigError, RerankError
from aulac_rag.retrieval.rerank import Reranker


class CrossEncoderReranker(Reranker):
    """sentence-transformers' ``CrossEncoder.predict`` on (query, passage) pairs; loaded on first use."""

    def __init__(self, model_name: str, config: RerankerConfig) -> None:
        if not model_name:
            raise ConfigError("retrieval.reranker.name: give a model, e.g. 'sentence-transformers:BAAI/bge-reranker-v2-m3'")
        super().__init__(config)
        self.model_name = model_name
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = load_st_model(
                    "CrossEncoder", self.model_name, self.config.device, error=RerankError, role="reranker",
                    what="reranking", setting="retrieval.reranker",
                )  # fmt: skip
            return self._model

    def score(self, query: str, texts: Sequence[str]) -> list[float]:
        model = self._load()
        scores = model.predict(
            [(query, text) for text in texts], batch_size=self.config.batch_size, show_progress_bar=False, convert_to_numpy=True
        )
        return [float(s) for s in scores.reshape(len(texts), -1)[:, 0]]


def _cross_encoder(model: str, config: RerankerConfig) -> Reranker:
    return CrossEncoderReranker(model, config)
