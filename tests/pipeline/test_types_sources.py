"""Citations grouped one entry per document (what the chat app and API clients show as sources)."""

from __future__ import annotations

from aulac_rag.pipeline import Answer, Citation, group_citations


def _c(n: int, doc: str) -> Citation:
    return Citation(n=n, doc_id=doc, chunk_id=f"{doc}#{n}", title=f"Điều {n}", quote=f"Câu {n}.")


def test_documents_in_order_of_first_number_with_their_passages() -> None:
    sources = group_citations([_c(3, "a"), _c(2, "b"), _c(1, "a"), _c(4, "c")])
    assert [(s.doc_id, s.numbers) for s in sources] == [("a", (1, 3)), ("b", (2,)), ("c", (4,))]
    assert [p.quote for p in sources[0].passages] == ["Câu 1.", "Câu 3."]


def test_answer_sources_and_no_citations() -> None:
    assert Answer(answer="x").sources() == []
    answer = Answer(answer="x [1] [2]", citations=(_c(1, "a"), _c(2, "a")))
    [only] = answer.sources()
    assert only.numbers == (1, 2)
