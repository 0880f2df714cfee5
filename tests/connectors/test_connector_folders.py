"""Folders, size limits, unsupported types and missing paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from aulac_rag.connectors import FilesConnector
from aulac_rag.documents import Document, SourceError


def run(target: Path | str, **options: int) -> tuple[list[Document], list[SourceError]]:
    items = list(FilesConnector(**options).run(str(target)))
    return [i for i in items if isinstance(i, Document)], [i for i in items if isinstance(i, SourceError)]


def test_folder_recursion_sorted_relative_ids_hidden_skipped(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    (root / "b" / "sub").mkdir(parents=True)
    (root / "a").mkdir()
    (root / ".git").mkdir()
    (root / "z.txt").write_text("zeta", encoding="utf-8")
    (root / "b" / "sub" / "deep.md").write_text("# Sâu\nnội dung", encoding="utf-8")
    (root / "b" / "first.txt").write_text("bê", encoding="utf-8")
    (root / "a" / "one.txt").write_text("một", encoding="utf-8")
    (root / ".hidden.txt").write_text("secret", encoding="utf-8")
    (root / ".git" / "config.txt").write_text("git", encoding="utf-8")
    (root / "a" / "~$lock.docx").write_bytes(b"lock")

    documents, errors = run(root)
    assert errors == []
    assert [d.doc_id for d in documents] == ["a/one.txt", "b/first.txt", "b/sub/deep.md", "z.txt"]
    assert documents[2].title == "Sâu"
    assert documents[2].source == str(root / "b" / "sub" / "deep.md")


def test_single_file_id_is_its_name(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    path = tmp_path / "x" / "note.txt"
    path.write_text("ghi chú", encoding="utf-8")
    documents, _ = run(path)
    assert [d.doc_id for d in documents] == ["note.txt"]


def test_bad_files_do_not_stop_the_folder(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("tốt", encoding="utf-8")
    (tmp_path / "empty.md").write_bytes(b"")
    (tmp_path / "picture.xyz").write_bytes(b"\x00\x01")
    documents, errors = run(tmp_path)
    assert [d.doc_id for d in documents] == ["good.txt"]
    assert {Path(e.source).name: e.error for e in errors} == {
        "empty.md": "empty file",
        "picture.xyz": "unsupported file type .xyz (supported: .csv, .docx, .htm, .html, .jsonl, .markdown, .md, .pdf, .txt)",
    }


def test_file_without_extension(tmp_path: Path) -> None:
    (tmp_path / "README").write_text("hi")
    _, errors = run(tmp_path / "README")
    assert errors[0].error.startswith("unsupported file type (no extension)")


def test_oversized_file(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("a" * 3000)
    documents, errors = run(path, max_file_bytes=2048)
    assert documents == []
    assert errors[0].error == (
        "file is 2.9 KB, over the 2.0 KB limit; raise max_file_mb in the sandbox's sandbox.yaml, or split the file"
    )


def test_missing_path(tmp_path: Path) -> None:
    _, errors = run(tmp_path / "nope")
    assert "no such file or folder" in errors[0].error


def test_invalid_limit() -> None:
    with pytest.raises(ValueError, match="max_file_bytes must be positive"):
        FilesConnector(max_file_bytes=0)


@pytest.mark.parametrize(
    ("target", "accepted"),
    [
        ("corpus/", True),
        ("/abs/file.pdf", True),
        (r"C:\docs\a.txt", True),
        ("https://x.vn", False),
        ("sql+sqlite:///a.db::SELECT 1", False),
    ],
)
def test_accepts_paths_only(target: str, accepted: bool) -> None:
    assert FilesConnector().accepts(target) is accepted
