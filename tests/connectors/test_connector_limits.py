"""SourceLimits: zip bombs in .docx, nested JSON Lines and HTML, caps passed through load_sources."""

from __future__ import annotations

import io
import json
import struct
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import docx
import pytest
from pydantic import ValidationError

from aulac_rag.connectors import FilesConnector, load_sources
from aulac_rag.connectors.base import DEFAULT_MAX_FILE_BYTES
from aulac_rag.connectors.readers import read_docx
from aulac_rag.documents import Document, SourceError
from aulac_rag.errors import ConnectorError
from aulac_rag.limits import DEFAULT_SOURCE_LIMITS, SourceLimits
from tests.connectors.support import only_document, only_error

MiB = 1024 * 1024


def docx_bytes(text: str = "Nội dung hợp lệ.") -> bytes:
    word = docx.Document()
    word.add_paragraph(text)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def with_member(original: bytes, name: str, size: int, fill: bytes = b"<") -> bytes:
    """``original`` with member ``name`` replaced by ``size`` bytes of ``fill``, deflated (streamed)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != name:
                target.writestr(info.filename, source.read(info))
        with target.open(name, "w") as member:
            block = fill * MiB
            for _ in range(size // MiB):
                member.write(block)
    return out.getvalue()


def lying_about(data: bytes, name: str, declared: int, fill: bytes = b"<") -> bytes:
    """Patch ``name``'s headers to declare ``declared`` bytes (with a CRC matching that prefix)."""
    patched = bytearray(data)
    crc = zlib.crc32(fill * declared)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        local = archive.getinfo(name).header_offset
    struct.pack_into("<I", patched, local + 14, crc)
    struct.pack_into("<I", patched, local + 22, declared)
    encoded = name.encode()
    central = data.rfind(b"PK\x01\x02", 0, data.rfind(encoded))
    assert data[central + 46 : central + 46 + len(encoded)] == encoded
    struct.pack_into("<I", patched, central + 16, crc)
    struct.pack_into("<I", patched, central + 24, declared)
    return bytes(patched)


def peak_while(action) -> tuple[object, int]:  # type: ignore[no-untyped-def]
    tracemalloc.start()
    try:
        result = action()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


class TestSourceLimits:
    def test_defaults_and_strictness(self) -> None:
        assert DEFAULT_SOURCE_LIMITS.max_file_bytes == DEFAULT_MAX_FILE_BYTES == 50 * MiB
        assert (DEFAULT_SOURCE_LIMITS.max_redirects, DEFAULT_SOURCE_LIMITS.max_json_depth) == (5, 64)
        with pytest.raises(ValidationError):
            SourceLimits(max_zip_member=3)  # type: ignore[call-arg]
        with pytest.raises(ValidationError):
            SourceLimits(max_redirects=-1)

    def test_max_file_bytes_argument_overrides_the_limits(self) -> None:
        connector = FilesConnector(max_file_bytes=10, limits=SourceLimits(max_json_depth=3))
        assert (connector.limits.max_file_bytes, connector.limits.max_json_depth) == (10, 3)

    def test_load_sources_passes_the_limits(self, tmp_path: Path) -> None:
        path = tmp_path / "a.jsonl"
        path.write_text('{"id": "a", "text": "x", "metadata": {"b": {"c": 1}}}\n', encoding="utf-8")
        documents, errors = load_sources([str(path)], limits=SourceLimits(max_json_depth=2))
        assert documents == [] and errors[0].error.startswith("line 1: nested deeper than 2 levels")
        documents, errors = load_sources([str(path)])
        assert len(documents) == 1 and errors == []


class TestZipBombs:
    def test_declared_size_over_the_cap_is_refused_fast_and_small(self, tmp_path: Path) -> None:
        bomb = with_member(docx_bytes(), "word/document.xml", 40 * MiB)
        assert len(bomb) < MiB
        path = tmp_path / "bomb.docx"
        path.write_bytes(bomb)
        limits = SourceLimits(max_unzipped_bytes=8 * MiB)
        items, peak = peak_while(lambda: list(FilesConnector(limits=limits).run(str(path))))
        assert len(items) == 1 and isinstance(items[0], SourceError), items
        assert "zip bomb" in items[0].error and "MiB (limit 8 MiB), which looks like a zip bomb" in items[0].error
        assert peak < 8 * MiB

    def test_compression_ratio_over_the_cap(self) -> None:
        bomb = with_member(docx_bytes(), "word/document.xml", 4 * MiB)
        with pytest.raises(ConnectorError, match=r"part 'word/document.xml' is compressed \d+:1 \(limit 100:1\)"):
            read_docx(bomb)

    def test_too_many_members(self) -> None:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            for i in range(30):
                archive.writestr(f"part{i}.xml", b"<a/>")
        with pytest.raises(ConnectorError, match=r"has 30 parts \(limit 20\)"):
            read_docx(out.getvalue(), limits=SourceLimits(max_zip_members=20))

    def test_member_lying_about_its_size_is_never_inflated(self) -> None:
        bomb = lying_about(with_member(docx_bytes(), "word/document.xml", 64 * MiB), "word/document.xml", 1000)
        with zipfile.ZipFile(io.BytesIO(bomb)) as archive:  # the central directory looks harmless
            assert archive.getinfo("word/document.xml").file_size == 1000

        def read() -> None:
            with pytest.raises(ConnectorError, match="cannot read Word file"):
                read_docx(bomb)

        _, peak = peak_while(read)
        assert peak < 16 * MiB  # python-docx alone would inflate all 64 MiB before cutting

    def test_a_pdf_named_docx(self) -> None:
        with pytest.raises(ConnectorError, match=r"not a \.docx \(the content is a PDF\)"):
            read_docx(b"%PDF-1.4\n%...")

    def test_genuine_docx_still_reads(self, tmp_path: Path) -> None:
        path = tmp_path / "ok.docx"
        path.write_bytes(docx_bytes("Điều 1. Phạm vi điều chỉnh."))
        assert only_document(path).text == "Điều 1. Phạm vi điều chỉnh."


class TestNesting:
    def test_deep_jsonl_line_is_one_record_error(self, tmp_path: Path) -> None:
        path = tmp_path / "records.jsonl"
        lines = [
            json.dumps({"id": "a", "text": "Dòng một"}, ensure_ascii=False),
            "[" * 100_000 + "]" * 100_000,
            '{"id": "b", "text": "x", "metadata": ' + '{"k": ' * 70 + "1" + "}" * 70 + "}",
            json.dumps({"id": "c", "text": "Dòng ba", "metadata": {"tag": "[[[[{{{{"}}, ensure_ascii=False),
        ]
        path.write_text("\n".join(lines), encoding="utf-8")
        items = list(FilesConnector().run(str(path)))
        assert [d.doc_id for d in items if isinstance(d, Document)] == ["a", "c"]
        errors = [e.error for e in items if isinstance(e, SourceError)]
        assert [e.split(";")[0] for e in errors] == [
            "line 2: nested deeper than 64 levels",
            "line 3: nested deeper than 64 levels",
        ]

    def test_deep_html_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "deep.html"
        path.write_text("<html><body>" + "<div>" * 5000 + "chào" + "</div>" * 5000 + "</body></html>")
        assert "HTML nested deeper than 1024 elements" in only_error(path).error

    def test_sloppy_but_shallow_html_still_reads(self, tmp_path: Path) -> None:
        path = tmp_path / "sloppy.html"
        path.write_text("<title>Trang</title>" + "<p>đoạn" * 300, encoding="utf-8")
        assert only_document(path).title == "Trang"
