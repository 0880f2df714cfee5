"""Turn a Document into Chunks: legal structure when present, paragraphs otherwise."""

from __future__ import annotations

import re

from aulac_rag.chunking.legal import chunk_legal, looks_legal
from aulac_rag.chunking.sentences import pack
from aulac_rag.config import ChunkingConfig
from aulac_rag.documents import Chunk, Document, content_hash

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")


def _sections(text: str, default_title: str) -> list[tuple[str, list[str]]]:
    """(heading, paragraphs) per Markdown section; text before any heading uses the doc title."""
    sections: list[tuple[str, list[str]]] = [(default_title, [])]
    for block in re.split(r"\n\s*\n", text):
        block = block.strip()
        if not block:
            continue
        first, _, rest = block.partition("\n")
        match = _HEADING.match(first)
        if match:
            sections.append((match.group(1).strip(), []))
            block = rest.strip()
            if not block:
                continue
        sections[-1][1].append(block)
    return [(title, paras) for title, paras in sections if paras]


class DocumentChunker:
    """Splits documents into chunks within a token budget (see ``ChunkingConfig``)."""

    def __init__(self, config: ChunkingConfig | None = None) -> None:
        self.config = config or ChunkingConfig()

    def run(self, document: Document, doc_hash: str | None = None) -> list[Chunk]:
        doc_hash = doc_hash or content_hash(document.text)
        title = document.title or document.doc_id
        pieces: list[tuple[str, str, dict[str, str]]] = []
        legal = self.config.legal == "always" or (self.config.legal == "auto" and looks_legal(document.text))
        text = document.text
        if legal:
            preamble, legal_pieces = chunk_legal(text, self.config.max_tokens)
            text = preamble
            tail = [(p.title, p.text, p.metadata) for p in legal_pieces]
        else:
            tail = []
        for heading, paragraphs in _sections(text, title):
            for piece in pack(paragraphs, self.config.max_tokens, self.config.overlap_sentences, joiner="\n\n"):
                pieces.append((heading, piece, {}))
        pieces.extend(tail)
        chunks = []
        for position, (chunk_title, body, meta) in enumerate(pieces):
            chunks.append(
                Chunk(
                    doc_id=document.doc_id,
                    chunk_id=f"{document.doc_id}#{position}",
                    text=body,
                    title=chunk_title,
                    position=position,
                    source=document.source,
                    doc_hash=doc_hash,
                    metadata={**document.metadata, **{k: v for k, v in meta.items() if v}, "doc_title": title},
                )
            )
        return chunks
