"""FAQ records in JSON Lines: the question is indexed with the answer."""

from __future__ import annotations

import json
from pathlib import Path

from aulac_rag.connectors import FilesConnector
from aulac_rag.documents import Document


def test_faq_record_indexes_its_question_as_the_title(tmp_path: Path) -> None:
    lines = [
        {"id": "faq-1", "question": "Thẻ BHYT có giá trị bao lâu?", "answer": "Thẻ có giá trị theo thời gian đóng.", "topic": "bhyt"},
        {"id": "faq-2", "question": "Hỏi?", "answer": "Đáp.", "title": "Tiêu đề riêng"},
        {"id": "plain", "text": "Văn bản", "question": "kept as metadata"},
    ]
    path = tmp_path / "faq.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines), encoding="utf-8")
    documents = [d for d in FilesConnector().run(str(path)) if isinstance(d, Document)]
    assert [(d.doc_id, d.text, d.title) for d in documents] == [
        ("faq-1", "Thẻ có giá trị theo thời gian đóng.", "Thẻ BHYT có giá trị bao lâu?"),
        ("faq-2", "Đáp.", "Tiêu đề riêng"),
        ("plain", "Văn bản", ""),
    ]
    assert documents[0].metadata == {"file_type": "jsonl", "topic": "bhyt"}
    assert documents[1].metadata["question"] == "Hỏi?"  # a record with its own title keeps the question as metadata
    assert documents[2].metadata["question"] == "kept as metadata"
