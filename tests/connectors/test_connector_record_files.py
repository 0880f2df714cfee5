"""Record files: JSON Lines and CSV, one document per record."""

from __future__ import annotations

import json
from pathlib import Path

from aulac_rag.connectors import FilesConnector
from aulac_rag.documents import Document, SourceError


def read(path: Path) -> tuple[list[Document], list[SourceError]]:
    items = list(FilesConnector().run(str(path)))
    return [i for i in items if isinstance(i, Document)], [i for i in items if isinstance(i, SourceError)]


class TestJsonl:
    def test_records_with_one_bad_line(self, tmp_path: Path) -> None:
        lines = [
            json.dumps({"id": "vimedaqa-c0", "text": "Mất hoàn toàn chức năng của thận."}, ensure_ascii=False),
            '{"id": "broken", "text": ',
            "",
            json.dumps(
                {"id": 7, "text": "Bảo hiểm y tế", "title": "BHYT", "metadata": {"year": 2008}, "domain": "y tế"}
            ),
            json.dumps({"text": "no id"}),
            json.dumps({"id": "x", "title": "no text"}),
            json.dumps(["not", "an", "object"]),
            json.dumps({"id": "vimedaqa-c0", "text": "again"}),
        ]
        path = tmp_path / "corpus.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        documents, errors = read(path)

        assert [(d.doc_id, d.text, d.title) for d in documents] == [
            ("vimedaqa-c0", "Mất hoàn toàn chức năng của thận.", ""),
            ("7", "Bảo hiểm y tế", "BHYT"),
        ]
        assert documents[1].metadata == {"file_type": "jsonl", "year": 2008, "domain": "y tế"}
        assert all(d.source == str(path) for d in documents)
        assert all(e.source == str(path) for e in errors)
        messages = [e.error for e in errors]
        assert messages[0].startswith("line 2: not valid JSON")
        assert messages[1].startswith('line 5: missing "id"')
        assert messages[2].startswith('line 6: missing "text"')
        assert messages[3].startswith("line 7: a JSON list is not a record")
        assert messages[4].startswith("line 8: duplicate id 'vimedaqa-c0' (first at line 1)")
        assert len(errors) == 5

    def test_unicode_line_separator_inside_a_string_is_not_a_line_break(self, tmp_path: Path) -> None:
        path = tmp_path / "ls.jsonl"
        path.write_text(json.dumps({"id": "a", "text": "một\u2028hai"}, ensure_ascii=False) + "\n", encoding="utf-8")
        documents, errors = read(path)
        assert errors == [] and documents[0].text == "một\u2028hai"

    def test_only_blank_lines_is_empty(self, tmp_path: Path) -> None:
        path = tmp_path / "blank.jsonl"
        path.write_text("\n\n  \n")
        _, errors = read(path)
        assert [e.error for e in errors] == ["empty file"]

    def test_all_lines_bad_reports_only_the_lines(self, tmp_path: Path) -> None:
        path = tmp_path / "bad.jsonl"
        path.write_text('{"id": 1}\nnot json\n', encoding="utf-8")
        documents, errors = read(path)
        assert documents == []
        assert [e.error.split(":")[0] for e in errors] == ["line 1", "line 2"]

    def test_legacy_encoding_fails_the_whole_file(self, tmp_path: Path) -> None:
        path = tmp_path / "legacy.jsonl"
        path.write_bytes('{"id": "a", "text": "Vi\u00ea\u0323t"}\n'.encode("cp1258"))
        documents, errors = read(path)
        assert documents == [] and "not UTF-8 text" in errors[0].error


class TestCsv:
    def test_rows_become_documents(self, tmp_path: Path) -> None:
        path = tmp_path / "faq.csv"
        path.write_text(
            "id,title,text,category\n"
            'q1,Học phí,"Học phí năm 2024, theo tín chỉ.",tài chính\n'
            "q2,,Đăng ký học phần trực tuyến.,học vụ\n"
            ",Không id,Có text,x\n"
            "q4,Không text,,x\n",
            encoding="utf-8-sig",
        )
        documents, errors = read(path)
        assert [(d.doc_id, d.title, d.text) for d in documents] == [
            ("q1", "Học phí", "Học phí năm 2024, theo tín chỉ."),
            ("q2", "", "Đăng ký học phần trực tuyến."),
        ]
        assert documents[0].metadata == {"file_type": "csv", "category": "tài chính"}
        assert [e.error for e in errors] == [
            "row 3 (line 4): bad id: id is empty",
            "row 4 (line 5): text is empty (id 'q4')",
        ]

    def test_semicolon_delimiter_and_column_case(self, tmp_path: Path) -> None:
        path = tmp_path / "excel.csv"
        path.write_text("ID;Text\n1;Xin chào, thế giới\n", encoding="utf-8")
        documents, errors = read(path)
        assert errors == [] and [(d.doc_id, d.text) for d in documents] == [("1", "Xin chào, thế giới")]

    def test_missing_columns(self, tmp_path: Path) -> None:
        path = tmp_path / "wrong.csv"
        path.write_text("ma,noi_dung\n1,abc\n", encoding="utf-8")
        documents, errors = read(path)
        assert documents == []
        assert len(errors) == 1
        assert "needs the columns 'id' and 'text'" in errors[0].error and "'ma', 'noi_dung'" in errors[0].error

    def test_long_cell_is_read(self, tmp_path: Path) -> None:
        long_text = "Điều khoản. " * 20_000  # over csv's default 128 KB field limit
        path = tmp_path / "long.csv"
        path.write_text(f'id,text\nlaw,"{long_text}"\n', encoding="utf-8")
        documents, errors = read(path)
        assert errors == [] and documents[0].text == long_text

    def test_header_only_is_empty(self, tmp_path: Path) -> None:
        path = tmp_path / "header.csv"
        path.write_text("id,text\n")
        _, errors = read(path)
        assert [e.error for e in errors] == ["empty file (no records)"]
