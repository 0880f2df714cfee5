"""Document sources (files, URLs, SQL), importable as ``aulac_rag.connectors``."""
