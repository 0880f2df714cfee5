"""Ingestion and hybrid retrieval on both Qdrant engines (edge files; qdrant-client ':memory:')."""

from __future__ import annotations

from pathlib import Path

import pytest

from aulac_rag.documents import Document
from aulac_rag.integrations.langchain import AulacRetriever
from aulac_rag.sandbox import Sandbox
from tests.helpers import make_user_sandbox

DOCS = [
    Document("bhyt.md", "Người tham gia bảo hiểm y tế khám chữa bệnh đúng tuyến được quỹ bảo hiểm y tế chi trả 80% chi phí; "
             "người nghèo được chi trả 100%.", "Mức hưởng bảo hiểm y tế", "bhyt.md", {"topic": "bhyt"}),
    Document("khang-sinh.md", "Thuốc kháng sinh là thuốc kê đơn, chỉ được bán khi có đơn của bác sĩ. "
             "Không tự ý dùng kháng sinh vì dễ gây kháng thuốc.", "Dùng kháng sinh đúng cách", "khang-sinh.md", {"topic": "thuoc"}),
    Document("chuyen-tuyen.md", "Khi vượt quá khả năng chuyên môn, bệnh viện có trách nhiệm chuyển người bệnh lên tuyến trên "
             "kèm giấy chuyển tuyến. Cấp cứu thì được khám ở bất kỳ cơ sở nào.", "Chuyển tuyến điều trị", "chuyen-tuyen.md", {"topic": "bhyt"}),
    Document("quyen.md", "Điều 1. Quyền được giữ bí mật\n1. Người bệnh được giữ bí mật thông tin về tình trạng sức khỏe.\n"
             "Điều 2. Quyền từ chối điều trị\n1. Người bệnh được từ chối chữa bệnh nhưng phải cam kết bằng văn bản.",
             "Quyền của người bệnh", "quyen.md", {"topic": "quyen"}),
]

ENGINES = [{"engine": "edge"}, {"engine": "qdrant", "url": ":memory:"}]


@pytest.fixture(params=ENGINES, ids=["edge", "qdrant-client"])
def box(request: pytest.FixtureRequest, aulac_home: Path) -> Sandbox:
    make_user_sandbox(aulac_home, "tiny", index=request.param, retrieval={"chunking": {"max_tokens": 60}})
    sandbox = Sandbox("tiny")
    yield sandbox
    sandbox.close()


def _ids(box: Sandbox, query: str, **kw: object) -> list[str]:
    return [h.doc_id for h in box.retrieve(query, **kw).hits]


def test_hybrid_retrieval_finds_the_right_document(box: Sandbox) -> None:
    summary = box.ingest_documents(DOCS)
    assert (summary.documents, summary.skipped, summary.errors) == (4, 0, [])
    assert _ids(box, "Mức hưởng bảo hiểm y tế khi khám đúng tuyến")[0] == "bhyt.md"
    assert _ids(box, "mua kháng sinh có cần đơn bác sĩ không")[0] == "khang-sinh.md"
    hit = box.retrieve("quyền từ chối chữa bệnh", k=3).hits[0]
    assert (hit.doc_id, hit.title) == ("quyen.md", "Điều 2. Quyền từ chối điều trị")
    assert hit.chunk_id.startswith("quyen.md#") and "cam kết" in hit.text


def test_queries_without_diacritics_and_other_tone_style(box: Sandbox) -> None:
    box.ingest_documents(DOCS)
    assert _ids(box, "thuoc khang sinh co can don cua bac si")[0] == "khang-sinh.md"
    assert _ids(box, "giay chuyen tuyen len tuyen tren")[0] == "chuyen-tuyen.md"
    assert _ids(box, "quyền được giữ bí mật tình trạng sức khoẻ")[0] == "quyen.md"  # khoẻ vs khỏe


@pytest.mark.parametrize("fusion", ["linear", "rrf", "dbsf", "dense", "sparse"])
def test_every_fusion_mode_and_filters(box: Sandbox, fusion: str) -> None:
    box.ingest_documents(DOCS)
    box.config.retrieval.fusion = fusion
    assert _ids(box, "thuốc kháng sinh kê đơn")[0] == "khang-sinh.md"
    filtered = _ids(box, "thuốc kháng sinh, bảo hiểm y tế", filters={"doc_id": ["bhyt.md", "chuyen-tuyen.md"]})
    assert filtered and set(filtered) <= {"bhyt.md", "chuyen-tuyen.md"}


def test_reingest_is_idempotent_and_changes_replace(box: Sandbox) -> None:
    box.ingest_documents(DOCS)
    chunks = box.index.count()
    again = box.ingest_documents(DOCS)
    assert (again.documents, again.skipped, box.index.count()) == (0, 4, chunks)
    changed = Document("bhyt.md", "Từ năm 2025 mức hưởng bảo hiểm y tế đúng tuyến là 80%, trẻ em dưới 6 tuổi được 100%.",
                       "Mức hưởng bảo hiểm y tế", "bhyt.md")
    summary = box.ingest_documents([changed, *DOCS[1:]])
    assert (summary.documents, summary.skipped) == (1, 3)
    texts = [p["text"] for p in box.index.scroll_payloads(["text", "doc_id"], {"doc_id": "bhyt.md"})]
    assert texts and all("trẻ em dưới 6 tuổi" in t for t in texts)
    assert box.index.count() == box.stats()["chunks"]


def test_prune_removes_missing_documents(box: Sandbox) -> None:
    box.ingest_documents(DOCS)
    summary = box.ingest_documents(DOCS[:2], prune=True)
    assert summary.pruned == 2
    assert {r.doc_id for r in box.documents()} == {"bhyt.md", "khang-sinh.md"}
    assert box.index.count(filters={"doc_id": "quyen.md"}) == 0
    assert box.delete_document("khang-sinh.md") and not box.delete_document("khang-sinh.md")
    assert box.index.count() == box.stats()["chunks"]


def test_legacy_text_reported_rest_ingested(box: Sandbox) -> None:
    legacy = Document("cu.txt", "Céng hoµ x· héi chñ nghÜa ViÖt Nam §éc lËp - Tù do - H¹nh phóc. LuËt b¶o hiÓm y tÕ", "", "cu.txt")
    summary = box.ingest_documents([legacy, *DOCS])
    assert summary.documents == 4
    assert [e.source for e in summary.errors] == ["cu.txt"] and "TCVN3" in summary.errors[0].error


def test_langchain_retriever_adapter(box: Sandbox) -> None:
    box.ingest_documents(DOCS)
    box.close()
    retriever = AulacRetriever(sandbox="tiny", k=2)
    docs = retriever.invoke("kháng sinh phải có đơn bác sĩ")
    assert len(docs) == 2 and docs[0].metadata["doc_id"] == "khang-sinh.md"


def test_bm25_parameters_are_the_indexes_until_it_is_rebuilt(aulac_home: Path, caplog: pytest.LogCaptureFixture) -> None:
    make_user_sandbox(aulac_home, "bm", retrieval={"bm25_k1": 1.6, "bm25_b": 0.3})
    box = Sandbox("bm")
    box.ingest_documents(DOCS[:2])
    assert (box.manifest.get_meta("bm25_k1"), box.manifest.get_meta("bm25_b")) == ("1.6", "0.3")
    box.close()
    # sandbox.yaml changed afterwards: the index keeps its weights (new documents are weighted alike), with a warning
    make_user_sandbox(aulac_home, "bm", retrieval={"bm25_k1": 0.9, "bm25_b": 0.4})
    box = Sandbox("bm")
    with caplog.at_level("WARNING", logger="aulac_rag.sandbox"):
        assert (box.sparse.k1, box.sparse.b) == (1.6, 0.3)
    assert "k1 1.6, b 0.3" in caplog.text and "rebuilt" in caplog.text
    box.ingest_documents(DOCS[2:])
    assert box.manifest.get_meta("bm25_k1") == "1.6"
    assert _ids(box, "chuyển tuyến trên")[0] == "chuyen-tuyen.md"
    box.close()


def test_an_index_from_before_the_parameters_were_recorded_keeps_the_old_defaults(aulac_home: Path) -> None:
    from aulac_rag.ingest.pipeline import LEGACY_BM25

    def legacy(name: str) -> None:
        box = Sandbox(name)
        box.ingest_documents(DOCS[:1])
        for key in ("bm25_k1", "bm25_b", "chunk_max_tokens"):  # as an index made before 2026-12-04 looks
            box.manifest._db.execute("DELETE FROM meta WHERE key = ?", (key,))
        box.close()

    make_user_sandbox(aulac_home, "old")
    legacy("old")
    box = Sandbox("old")
    assert (box.sparse.k1, box.sparse.b) == LEGACY_BM25
    box.ingest_documents(DOCS[1:2])  # the weights are recorded now; the chunk size stays unknown
    assert box.manifest.get_meta("bm25_k1") == "1.2" and box.manifest.get_meta("chunk_max_tokens") is None
    box.close()
    make_user_sandbox(aulac_home, "set", retrieval={"bm25_k1": 2.0})  # a value its sandbox.yaml set is what it was built with
    legacy("set")
    box = Sandbox("set")
    assert (box.sparse.k1, box.sparse.b) == (2.0, LEGACY_BM25[1])
    box.close()


def test_the_chunk_size_is_the_indexes_until_it_is_rebuilt(aulac_home: Path, caplog: pytest.LogCaptureFixture) -> None:
    long_doc = Document("dai.md", " ".join(f"Câu số {i} nói về quyền lợi bảo hiểm y tế của người bệnh." for i in range(40)), "Dài")
    make_user_sandbox(aulac_home, "ck", retrieval={"chunking": {"max_tokens": 60}})
    box = Sandbox("ck")
    box.ingest_documents([DOCS[0]])
    assert box.manifest.get_meta("chunk_max_tokens") == "60"
    box.close()
    make_user_sandbox(aulac_home, "ck", retrieval={"chunking": {"max_tokens": 400}})
    box = Sandbox("ck")
    with caplog.at_level("WARNING", logger="aulac_rag.sandbox"):
        box.ingest_documents([long_doc])
    assert "chunks of 60, not sandbox.yaml's 400" in caplog.text
    assert box.stats()["chunks"] - 1 > 1  # the long document was cut at 60, not kept whole at 400
    box.close()
