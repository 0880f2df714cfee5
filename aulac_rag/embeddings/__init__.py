"""Dense embedders: one interface, backends registered by name."""

from aulac_rag.embeddings.base import Embedder, create_embedder, embedders

__all__ = ["Embedder", "create_embedder", "embedders"]
