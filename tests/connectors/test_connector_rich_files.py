"""HTML, PDF and Word files read through the files connector."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import docx
import pypdf
import pytest

from tests.connectors.support import only_document, only_error

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title> Bệnh   tiểu đường </title>
<style>p { color: red }</style><script>var hidden = "không hiện";</script></head>
<body>
<nav><a href="/">Trang chủ</a> | <a href="/lien-he">Liên hệ</a></nav>
<h1>Tiểu đường type 2</h1>
<p>Tiểu đường là bệnh
   mạn tính.</p>
<p>Triệu chứng:<br>khát nước</p>
<ul><li>Ăn uống lành mạnh</li><li>Tập thể dục</li></ul>
<table><tr><th>Chỉ số</th><th>Giá trị</th></tr><tr><td>HbA1c</td><td>6,5%</td></tr></table>
<div hidden>ẩn đi</div>
<!-- a comment -->
</body></html>"""




class TestHtml:
    def test_visible_text_with_paragraphs(self, tmp_path: Path) -> None:
        path = tmp_path / "tieu-duong.html"
        path.write_text(PAGE, encoding="utf-8")
        document = only_document(path)
        assert document.title == "Bệnh tiểu đường"
        assert document.text == (
            "Tiểu đường type 2\n\n"
            "Tiểu đường là bệnh mạn tính.\n\n"
            "Triệu chứng:\nkhát nước\n\n"
            "Ăn uống lành mạnh\nTập thể dục\n\n"
            "Chỉ số | Giá trị\nHbA1c | 6,5%"
        )
        for gone in ("Trang chủ", "var hidden", "color", "ẩn đi", "comment"):
            assert gone not in document.text

    def test_h1_is_the_title_without_title_tag(self, tmp_path: Path) -> None:
        path = tmp_path / "page.htm"
        path.write_text("<h1>Quy chế đào tạo</h1><p>Điều 1.</p>", encoding="utf-8")
        assert only_document(path).title == "Quy chế đào tạo"

    def test_meta_charset_is_honoured(self, tmp_path: Path) -> None:
        path = tmp_path / "legacy.html"
        text = "Vi\u00ea\u0323t Nam"  # cp1258 spelling: ê + combining dot below
        path.write_bytes(f'<meta charset="windows-1258"><p>{text}</p>'.encode("cp1258"))
        assert only_document(path).text == text

    def test_undeclared_legacy_bytes_are_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "legacy.html"
        path.write_bytes("<p>Vi\u00ea\u0323t Nam</p>".encode("cp1258"))
        assert "not UTF-8" in only_error(path).error

    def test_page_without_visible_text_is_empty(self, tmp_path: Path) -> None:
        path = tmp_path / "blank.html"
        path.write_text("<html><head><title>x</title><script>1</script></head><body> </body></html>")
        assert "empty file" in only_error(path).error


class TestPdf:
    def test_text_per_page_and_metadata_title(self, tmp_path: Path, make_pdf: Callable[..., bytes]) -> None:
        path = tmp_path / "report.pdf"
        path.write_bytes(make_pdf(["Hello page one\nsecond line", "Page two (final)"], title="Annual Report"))
        document = only_document(path)
        assert document.text == "Hello page one\nsecond line\n\nPage two (final)"
        assert document.title == "Annual Report"
        assert document.metadata == {"file_type": "pdf", "pages": 2}

    def test_title_falls_back_to_stem(self, tmp_path: Path, make_pdf: Callable[..., bytes]) -> None:
        path = tmp_path / "bao-cao.pdf"
        path.write_bytes(make_pdf(["Some text"]))
        assert only_document(path).title == "bao-cao"

    def test_encrypted_pdf(self, tmp_path: Path, make_pdf: Callable[..., bytes]) -> None:
        writer = pypdf.PdfWriter(clone_from=io.BytesIO(make_pdf(["Secret text"])))
        writer.encrypt("secret", algorithm="RC4-128")
        path = tmp_path / "locked.pdf"
        with path.open("wb") as handle:
            writer.write(handle)
        error = only_error(path).error
        assert "encrypted PDF" in error and "remove the password" in error

    def test_pdf_locked_only_against_editing_is_read(self, tmp_path: Path, make_pdf: Callable[..., bytes]) -> None:
        writer = pypdf.PdfWriter(clone_from=io.BytesIO(make_pdf(["Open text"])))
        writer.encrypt("", owner_password="owner", algorithm="RC4-128")
        path = tmp_path / "owner-only.pdf"
        with path.open("wb") as handle:
            writer.write(handle)
        assert only_document(path).text == "Open text"

    @pytest.mark.parametrize("cut", [0.5, 0.1])
    def test_truncated_pdf(self, tmp_path: Path, make_pdf: Callable[..., bytes], cut: float) -> None:
        data = make_pdf(["Some text here"])
        path = tmp_path / "broken.pdf"
        path.write_bytes(data[: int(len(data) * cut)])
        assert "cannot read PDF (corrupt or not a PDF" in only_error(path).error

    def test_not_a_pdf(self, tmp_path: Path) -> None:
        path = tmp_path / "fake.pdf"
        path.write_text("this is plain text, not a PDF")
        assert "corrupt or not a PDF" in only_error(path).error

    def test_no_text_layer(self, tmp_path: Path, make_pdf: Callable[..., bytes]) -> None:
        path = tmp_path / "scan.pdf"
        path.write_bytes(make_pdf(["", ""]))
        error = only_error(path).error
        assert "no text layer (scanned PDF?)" in error and "OCR" in error


class TestDocx:
    def test_paragraphs_headings_and_tables(self, tmp_path: Path) -> None:
        word = docx.Document()
        word.add_heading("Quy định học vụ", level=1)
        word.add_paragraph("Điều 1. Sinh viên phải đăng ký học phần.")
        table = word.add_table(rows=3, cols=2)
        table.cell(0, 0).text, table.cell(0, 1).text = "Học kỳ", "Số tín chỉ"
        table.cell(1, 0).text, table.cell(1, 1).text = "Chính", "14"
        merged = table.cell(2, 0).merge(table.cell(2, 1))
        merged.text = "Ghi chú chung"
        word.add_paragraph("Điều 2. Hiệu lực thi hành.")
        path = tmp_path / "quy-dinh.docx"
        word.save(str(path))

        document = only_document(path)
        assert document.title == "Quy định học vụ"
        assert document.text == (
            "Quy định học vụ\n\n"
            "Điều 1. Sinh viên phải đăng ký học phần.\n\n"
            "Học kỳ | Số tín chỉ\nChính | 14\nGhi chú chung\n\n"
            "Điều 2. Hiệu lực thi hành."
        )
        assert document.metadata["file_type"] == "docx"

    def test_core_title_when_no_heading(self, tmp_path: Path) -> None:
        word = docx.Document()
        word.core_properties.title = "Tài liệu nội bộ"
        word.add_paragraph("Nội dung.")
        path = tmp_path / "noi-bo.docx"
        word.save(str(path))
        assert only_document(path).title == "Tài liệu nội bộ"

    def test_not_a_docx(self, tmp_path: Path) -> None:
        path = tmp_path / "old.docx"
        path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64)  # an old .doc (OLE) header
        error = only_error(path).error
        assert "cannot read Word file" in error and "save it as .docx" in error
