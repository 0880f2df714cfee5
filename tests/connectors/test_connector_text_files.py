"""Plain text and Markdown files: strict decoding and titles."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from aulac_rag.connectors.readers.text import decode_text, markdown_title
from aulac_rag.errors import ConnectorError
from tests.connectors.support import only_document, only_error

# Windows-1258 spells tones as combining marks after a base letter it has (ê + U+0301 for ế).
CP1258_TEXT = "Ti\u00ea\u0301ng Vi\u00ea\u0323t, xin ch\u00e0o"
VIETNAMESE = "Điều 1. Phạm vi điều chỉnh\nLuật này quy định về khám bệnh, chữa bệnh."




class TestTxt:
    def test_utf8(self, tmp_path: Path) -> None:
        path = tmp_path / "luat.txt"
        path.write_bytes(VIETNAMESE.encode("utf-8"))
        document = only_document(path)
        assert document.text == VIETNAMESE
        assert document.doc_id == "luat.txt"
        assert document.title == "Điều 1. Phạm vi điều chỉnh"  # a short first line without a full stop
        assert document.source == str(path)
        assert document.metadata["file_type"] == "txt"

    def test_title_is_the_first_line_when_it_reads_as_one(self, tmp_path: Path) -> None:
        path = tmp_path / "bao-hiem-y-te.txt"
        path.write_text("\n  Bảo hiểm y tế hộ gia đình  \n\nNgười tham gia đóng theo hộ.\n", encoding="utf-8")
        assert only_document(path).title == "Bảo hiểm y tế hộ gia đình"

    @pytest.mark.parametrize(
        "text",
        [
            "Người tham gia đóng theo hộ gia đình.\nDòng hai",  # a sentence, not a title
            "Gồm các khoản sau:\n- một",  # a lead-in
            "x " * 30,  # too long
        ],
    )
    def test_without_a_title_line_the_file_name_is_de_slugged(self, tmp_path: Path, text: str) -> None:
        path = tmp_path / "bao-hiem-y-te.txt"
        path.write_text(text, encoding="utf-8")
        assert only_document(path).title == "Bao hiem y te"

    def test_utf8_bom_is_stripped(self, tmp_path: Path) -> None:
        path = tmp_path / "bom.txt"
        path.write_bytes(codecs.BOM_UTF8 + VIETNAMESE.encode("utf-8"))
        assert only_document(path).text == VIETNAMESE

    @pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
    def test_utf16_with_bom(self, tmp_path: Path, codec: str) -> None:
        path = tmp_path / "u16.txt"
        data = VIETNAMESE.encode(codec)
        path.write_bytes(data if codec == "utf-16" else codecs.BOM_UTF16_BE + data)
        assert only_document(path).text == VIETNAMESE

    def test_no_unicode_normalization(self, tmp_path: Path) -> None:
        decomposed = "Vie\u0302\u0323t Nam"  # NFD: the pipeline normalizes, not the connector
        path = tmp_path / "nfd.txt"
        path.write_text(decomposed, encoding="utf-8")
        assert only_document(path).text == decomposed

    def test_cp1258_is_refused_not_guessed(self, tmp_path: Path) -> None:
        path = tmp_path / "legacy.txt"
        path.write_bytes(CP1258_TEXT.encode("cp1258"))
        error = only_error(path)
        assert error.source == str(path)
        assert "not UTF-8 text" in error.error
        assert "save it as UTF-8" in error.error
        assert "Windows-1258" in error.error

    def test_binary_junk_with_nul_bytes(self, tmp_path: Path) -> None:
        path = tmp_path / "junk.txt"
        path.write_bytes(bytes(range(256)) * 4)
        assert "binary" in only_error(path).error

    def test_binary_junk_without_nul_bytes(self, tmp_path: Path) -> None:
        path = tmp_path / "image.txt"
        path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xd8\xff\xe0" * 10)
        error = only_error(path).error
        assert "not UTF-8 text" in error and "0x89" in error

    @pytest.mark.parametrize("content", [b"", b"   \n\t\r\n  "])
    def test_empty_file(self, tmp_path: Path, content: bytes) -> None:
        path = tmp_path / "empty.txt"
        path.write_bytes(content)
        assert only_error(path).error.startswith("empty file")

    def test_bom_only_file_is_empty(self, tmp_path: Path) -> None:
        path = tmp_path / "bom-only.txt"
        path.write_bytes(codecs.BOM_UTF8 + b"  \n")
        assert "empty file" in only_error(path).error


class TestMarkdown:
    def test_title_is_first_h1(self, tmp_path: Path) -> None:
        path = tmp_path / "guide.md"
        path.write_text("Intro line\n\n## Not this\n\n# Hướng dẫn sử dụng #\n\nNội dung.\n", encoding="utf-8")
        document = only_document(path)
        assert document.title == "Hướng dẫn sử dụng"
        assert "Nội dung." in document.text
        assert document.metadata["file_type"] == "md"

    def test_without_heading_title_is_the_de_slugged_file_name(self, tmp_path: Path) -> None:
        path = tmp_path / "ghi-chu.md"
        path.write_text("Chỉ có văn bản.\n", encoding="utf-8")
        assert only_document(path).title == "Ghi chu"

    def test_without_h1_a_title_like_first_line_is_the_title(self, tmp_path: Path) -> None:
        path = tmp_path / "gia-kham.md"
        path.write_text("**Giá khám bệnh tại Bệnh viện Âu Lạc**\n\nGiá khám là 50.000 đồng.\n", encoding="utf-8")
        assert only_document(path).title == "Giá khám bệnh tại Bệnh viện Âu Lạc"

    def test_headings_in_code_fences_and_front_matter_are_skipped(self) -> None:
        text = "---\n# yaml comment\ntitle: x\n---\n```bash\n# not a title\n```\n# Real title\n"
        assert markdown_title(text) == "Real title"

    def test_hash_inside_heading_is_kept(self) -> None:
        assert markdown_title("# Lập trình C#\n") == "Lập trình C#"


class TestDecodeText:
    def test_declared_charset_is_used(self) -> None:
        assert decode_text(CP1258_TEXT.encode("cp1258"), "windows-1258") == CP1258_TEXT

    def test_bom_wins_over_declared_charset(self) -> None:
        assert decode_text(codecs.BOM_UTF8 + "Việt".encode(), "iso-8859-1") == "Việt"

    def test_unknown_declared_charset_falls_back_to_utf8(self) -> None:
        assert decode_text("Việt".encode(), "no-such-charset") == "Việt"

    def test_wrong_declared_charset_is_an_error(self) -> None:
        with pytest.raises(ConnectorError, match="declared charset"):
            decode_text(b"\x81\x8d\x8f\x90\x9d", "windows-1252")
