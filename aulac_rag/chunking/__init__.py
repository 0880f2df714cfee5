"""Chunkers: legal-structure aware (Chương/Mục/Điều/Khoản) and paragraph/sentence based."""

from aulac_rag.chunking.chunker import DocumentChunker
from aulac_rag.chunking.legal import looks_legal

__all__ = ["DocumentChunker", "looks_legal"]
