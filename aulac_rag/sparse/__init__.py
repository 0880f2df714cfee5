"""Sparse (BM25) vectors for Vietnamese."""
