"""An example aulac-rag plugin: a toy embedder and a toy input rail."""
