"""``toy-hash``: syllables hashed into 256 dimensions (fast, deterministic, no model; for examples only)."""

from __future__ import annotations

import hashlib

import numpy as np

from aulac_rag.config import EmbedderConfig
from aulac_rag.embeddings.base import Embedder
from aulac_rag.text.tokenize import syllables


class ToyHashEmbedder(Embedder):
    model_id = "toy-hash-256"

    @property
    def dim(self) -> int:
        return 256

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in syllables(text):
                slot = int.from_bytes(hashlib.blake2b(token.encode(), digest_size=4).digest(), "big") % self.dim
                out[row, slot] += 1.0
        return out


def create(model: str, config: EmbedderConfig) -> Embedder:
    """The factory aulac-rag calls: ``factory(model_argument, config)``."""
    return ToyHashEmbedder(config)
