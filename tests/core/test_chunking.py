from pathlib import Path

import pytest

from aulac_rag.chunking import DocumentChunker, looks_legal
from aulac_rag.chunking.legal import ARTICLE
from aulac_rag.config import ChunkingConfig
from aulac_rag.documents import Document
from tests.helpers import SHARED_DATA, requires_shared

LEGAL = """QUY CHẾ ĐÀO TẠO
Chương I
NHỮNG QUY ĐỊNH CHUNG
Điều 1. Phạm vi điều chỉnh
1. Quy chế này áp dụng cho sinh viên hệ chính quy.
2. Quy chế không áp dụng cho học viên sau đại học.
Điều 2. Giải thích từ ngữ
Trong quy chế này, tín chỉ là đơn vị đo khối lượng học tập.
Chương II
Mục 1. HỌC PHẦN
Điều 3. Đăng ký học phần
1. Sinh viên đăng ký tối thiểu 14 tín chỉ mỗi học kỳ:
a) trừ học kỳ cuối;
b) trừ trường hợp được phép.
2. Sinh viên bị cảnh báo học vụ đăng ký tối đa 14 tín chỉ.
"""


def test_legal_chunks_follow_articles() -> None:
    chunks = DocumentChunker().run(Document(doc_id="qc.md", text=LEGAL, title="Quy chế"))
    titles = [c.title for c in chunks]
    assert titles == ["Quy chế", "Điều 1. Phạm vi điều chỉnh", "Điều 2. Giải thích từ ngữ", "Điều 3. Đăng ký học phần"]
    third = chunks[3]
    assert third.metadata["chapter"] == "Chương II"
    assert third.metadata["section"] == "Mục 1. HỌC PHẦN"
    assert "b) trừ trường hợp được phép." in third.text and "Điều 2" not in third.text
    assert chunks[1].metadata["chapter"] == "Chương I. NHỮNG QUY ĐỊNH CHUNG"
    assert [c.chunk_id for c in chunks] == [f"qc.md#{i}" for i in range(4)]
    assert all(c.doc_hash == chunks[0].doc_hash and len(c.content_hash) == 64 for c in chunks)


def test_long_article_splits_between_clauses_within_budget() -> None:
    clauses = "\n".join(f"{i}. " + " ".join(["khoản"] * 30) + f" số {i}." for i in range(1, 9))
    text = f"Điều 1. Dài\n{clauses}\nĐiều 2. Ngắn\n1. Một câu."
    chunks = DocumentChunker(ChunkingConfig(max_tokens=80)).run(Document(doc_id="d", text=text))
    first = [c for c in chunks if c.title == "Điều 1. Dài"]
    assert len(first) >= 3
    for chunk in first:
        assert len(chunk.text.split()) <= 80
        assert chunk.text.lstrip()[0].isdigit()  # each piece starts at a clause boundary


def test_prose_packs_paragraphs_and_sentences() -> None:
    para = " ".join(["Người bệnh được quyền khiếu nại."] * 20)
    text = "# Quyền người bệnh\n\n" + "\n\n".join([para] * 4)
    chunks = DocumentChunker(ChunkingConfig(max_tokens=64)).run(Document(doc_id="p", text=text, title="Tựa"))
    assert not looks_legal(text)
    assert len(chunks) > 4
    assert all(len(c.text.split()) <= 64 for c in chunks)
    assert chunks[0].title == "Quyền người bệnh"


@requires_shared()
@pytest.mark.parametrize("law", sorted((SHARED_DATA / "laws").glob("*/*.txt"))[:6] if SHARED_DATA.is_dir() else [])
def test_real_laws_never_straddle_articles(law: Path) -> None:
    text = law.read_text(encoding="utf-8")
    chunks = DocumentChunker().run(Document(doc_id=law.name, text=text, title=law.stem))
    articles = [line for line in text.splitlines() if ARTICLE.match(line)]
    legal = [c for c in chunks if c.title.startswith(("Điều", "ĐIỀU"))]
    assert len({c.title for c in legal}) >= len(set(articles)) * 0.95
    for chunk in legal:
        assert not any(ARTICLE.match(line) for line in chunk.text.splitlines())
        assert len(chunk.text.split()) <= ChunkingConfig().max_tokens
