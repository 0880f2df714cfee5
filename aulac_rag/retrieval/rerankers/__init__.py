"""Built-in rerankers (each imported only when a sandbox names it; see aulac_rag.retrieval.rerank)."""
