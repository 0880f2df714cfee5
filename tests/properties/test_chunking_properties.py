"""Properties of the chunkers (aulac_rag.chunking): bounded, lossless, deterministic."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from aulac_rag.chunking import DocumentChunker
from aulac_rag.chunking.legal import ARTICLE, CHAPTER, SECTION, chunk_legal
from aulac_rag.chunking.sentences import count_tokens, pack
from aulac_rag.config import ChunkingConfig
from aulac_rag.documents import Document
from tests.properties.strategies import syllables, vi_paragraph, vi_sentence, vi_text, vi_words

_HEADINGS = (ARTICLE, CHAPTER, SECTION)
max_tokens = st.integers(min_value=32, max_value=160)


def _run(text: str, config: ChunkingConfig, title: str = "Tài liệu") -> list:
    return DocumentChunker(config).run(Document(doc_id="d", text=text, title=title))


def _words(texts) -> list[str]:
    return [w for t in texts for w in t.split()]


@settings(max_examples=150)
@given(vi_text, max_tokens, st.integers(0, 3), st.sampled_from(["auto", "always", "never"]))
def test_any_text_chunks_within_budget(text: str, budget: int, overlap: int, legal: str) -> None:
    config = ChunkingConfig(max_tokens=budget, overlap_sentences=overlap, legal=legal)
    chunks = _run(text, config)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert count_tokens(chunk.text) <= budget
        # only an article with a heading and no body gives an empty text (its heading is the title)
        assert chunk.text.strip() or (chunk.metadata.get("article") and chunk.title)
    again = _run(text, config)
    assert [(c.text, c.title, c.metadata) for c in again] == [(c.text, c.title, c.metadata) for c in chunks]
    if overlap == 0 and legal == "never" and not re.search(r"(?m)^\s{0,3}#", text):
        assert _words(c.text for c in chunks) == text.split()


_prose_block = st.one_of(vi_paragraph, vi_paragraph.map(lambda p: p.replace(". ", ".\n")))


@settings(max_examples=150)
@given(st.lists(_prose_block, min_size=1, max_size=8), max_tokens, st.integers(0, 3))
def test_prose_keeps_every_word_in_order(paragraphs: list[str], budget: int, overlap: int) -> None:
    text = "\n\n".join(paragraphs)
    chunks = _run(text, ChunkingConfig(max_tokens=budget, overlap_sentences=overlap, legal="never"))
    assert chunks and all(c.text.strip() and count_tokens(c.text) <= budget for c in chunks)
    words = _words(c.text for c in chunks)
    if overlap == 0:
        assert words == text.split()
    else:  # repeated units only: the input is a subsequence of the output, and nothing else appears
        rest = iter(words)
        assert all(any(w == x for x in rest) for w in text.split())
        assert set(words) == set(text.split())


@settings(max_examples=150)
@given(st.lists(st.lists(syllables(), min_size=1, max_size=400).map(" ".join), max_size=5), st.integers(1, 64),
       st.integers(0, 3), st.sampled_from([" ", "\n", "\n\n"]))  # fmt: skip
def test_pack_bounds_and_order(units: list[str], budget: int, overlap: int, joiner: str) -> None:
    pieces = pack(units, budget, overlap, joiner)
    assert all(p.strip() and count_tokens(p) <= budget for p in pieces)
    if overlap == 0:
        assert _words(pieces) == _words(units)
    assert pack(units, budget, overlap, joiner) == pieces


# --- legal documents built from their structure -------------------------------------------------


def _body_line(words: str) -> str:
    return "ngoài ra " + words if any(h.match(words) for h in _HEADINGS) else words


@st.composite
def legal_documents(draw: st.DrawFn) -> tuple[str, list[str], list[str]]:
    """(text, article headings, body words in order) of a law with chapters, sections, articles, clauses."""
    lines: list[str] = []
    headings: list[str] = []
    body: list[str] = []
    preamble = draw(st.lists(vi_words.map(_body_line), max_size=3))
    lines += preamble
    body += _words(preamble)
    number = 0
    for chapter in range(1, draw(st.integers(1, 3)) + 1):
        roman = ["I", "II", "III"][chapter - 1]
        if draw(st.booleans()):
            lines += [f"Chương {roman}", draw(vi_words).upper()]  # the name on its own line
        else:
            lines.append(f"Chương {roman}. {draw(vi_words).upper()}")
            intro = draw(st.lists(vi_words.map(_body_line), max_size=2))  # text right after a named chapter
            lines += intro
            body += _words(intro)
        if draw(st.booleans()):
            lines.append(f"Mục {chapter}. {draw(vi_words).upper()}")
        for _ in range(draw(st.integers(1, 4))):
            number += 1
            heading = f"Điều {number}. {draw(vi_words)}"
            lines.append(draw(st.sampled_from(["", "**", "### "])) + heading)
            headings.append(heading)
            for clause in range(1, draw(st.integers(0, 5)) + 1):
                text = f"{clause}. {draw(_clause_text)}"
                lines.append(text)
                body += text.split()
                for point in "ab"[: draw(st.integers(0, 2))]:
                    item = f"{point}) {draw(vi_sentence_lower)}"
                    lines.append(item)
                    body += item.split()
            if draw(st.booleans()):
                lines.append("")
    return "\n".join(lines), headings, body


_clause_text = st.lists(vi_sentence, min_size=1, max_size=4).map(" ".join)
vi_sentence_lower = vi_words.map(lambda w: w.lower() + ";")


@settings(max_examples=80)
@given(legal_documents(), max_tokens)
@example(("Chương I. A\nlời dẫn\nĐiều 1. a\nĐiều 2. b", ["Điều 1. a", "Điều 2. b"], ["lời", "dẫn"]), 32)
def test_legal_chunks_never_straddle_articles_and_lose_nothing(doc, budget: int) -> None:
    text, headings, body = doc
    chunks = _run(text, ChunkingConfig(max_tokens=budget))
    legal = [c for c in chunks if c.metadata.get("article")]
    if len(headings) >= 2:
        titles = [c.title for c in legal]
        assert [t for i, t in enumerate(titles) if i == 0 or titles[i - 1] != t] == headings
        assert _words(c.text for c in chunks) == body  # preamble and every clause, in order
        for chunk in legal:
            assert count_tokens(chunk.text) <= budget
            assert not any(ARTICLE.match(line) for line in chunk.text.splitlines())
            assert chunk.metadata["chapter"].startswith("Chương ")
            if count_tokens(chunk.title) <= budget - 16:  # the heading fits too
                assert count_tokens(chunk.title) + count_tokens(chunk.text) <= budget


@settings(max_examples=50)
@given(legal_documents(), st.integers(1, 64))
def test_chunk_legal_small_budgets(doc, budget: int) -> None:
    text, headings, body = doc
    preamble, pieces = chunk_legal(text, budget)
    assert [p.title for i, p in enumerate(pieces) if i == 0 or pieces[i - 1].title != p.title] == headings
    assert all(count_tokens(p.text) <= max(16, budget - count_tokens(p.title)) for p in pieces)
    assert preamble.split() + _words(p.text for p in pieces) == body
