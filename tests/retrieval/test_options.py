"""Retrieval options: document-level score aggregation (``retrieval.doc_aggregation_weight``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aulac_rag.config import RetrievalConfig
from aulac_rag.documents import Document
from aulac_rag.retrieval.aggregate import aggregate_by_document, document_scores
from aulac_rag.retrieval.types import Hit
from aulac_rag.sandbox import Sandbox
from tests.helpers import make_user_sandbox


def _hit(doc: str, chunk: int, score: float) -> Hit:
    return Hit(doc_id=doc, chunk_id=f"{doc}#{chunk}", score=score, title="", text="")


class TestDocumentAggregation:
    def test_defaults_off(self) -> None:
        assert RetrievalConfig().doc_aggregation_weight == 0.0

    def test_several_chunks_lift_their_document(self) -> None:
        hits = [_hit("a", 0, 0.9), _hit("b", 0, 0.8), _hit("b", 1, 0.7), _hit("c", 0, 0.6), _hit("b", 2, 0.5)]
        assert document_scores(hits, 0.1) == pytest.approx({"a": 0.9, "b": 0.92, "c": 0.6})
        order = [(h.doc_id, h.chunk_id) for h in aggregate_by_document(hits, 0.1)]
        assert order == [("b", "b#0"), ("b", "b#1"), ("b", "b#2"), ("a", "a#0"), ("c", "c#0")]

    def test_weight_zero_keeps_the_fused_order(self) -> None:
        hits = [_hit("a", 0, 0.9), _hit("b", 0, 0.8), _hit("b", 1, 0.7)]
        assert aggregate_by_document(hits, 0.0) == hits


DOCS = [
    Document("khang-sinh.md", "Thuốc kháng sinh là thuốc kê đơn, chỉ được bán khi có đơn của bác sĩ. Không tự ý dùng kháng sinh.",
             "Dùng kháng sinh đúng cách", "khang-sinh.md"),
    Document("bhyt.md", "Người tham gia bảo hiểm y tế khám đúng tuyến được quỹ chi trả 80% chi phí.", "Mức hưởng", "bhyt.md"),
    Document("quyen.md", "Điều 1. Quyền được giữ bí mật\n1. Người bệnh được giữ bí mật thông tin sức khỏe.\n"
             "Điều 2. Quyền từ chối điều trị\n1. Người bệnh được từ chối chữa bệnh nhưng phải cam kết bằng văn bản.",
             "Quyền của người bệnh", "quyen.md"),
]


@pytest.mark.parametrize("fusion", ["linear", "rrf", "sparse"])
def test_sandbox_retrieval_with_document_aggregation(aulac_home: Path, fusion: str) -> None:
    make_user_sandbox(aulac_home, "opts", retrieval={"chunking": {"max_tokens": 40}, "fusion": fusion, "doc_aggregation_weight": 0.1})
    box = Sandbox("opts")
    try:
        box.ingest_documents(DOCS, progress=False)
        result = box.retrieve("mua thuốc kháng sinh có cần đơn bác sĩ", k=2)
        assert result.hits[0].doc_id == "khang-sinh.md" and len(result.hits) <= 2
        assert box.retrieve("quyen tu choi chua benh", k=3).hits[0].doc_id == "quyen.md"  # folded query space
    finally:
        box.close()
