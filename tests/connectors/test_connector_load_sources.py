"""load_sources: picking a connector per target and collecting the results."""

from __future__ import annotations

import sqlite3
from inspect import ismodule
from pathlib import Path
from typing import Any

import pytest

import aulac_rag.connectors as package
from aulac_rag.connectors import UrlConnector, connectors, load_sources
from aulac_rag.documents import Document, SourceError


def test_public_surface() -> None:
    public = {name for name, value in vars(package).items() if not name.startswith("_") and not ismodule(value)}
    assert set(package.__all__) == public
    assert {"load_sources", "Connector", "connectors"} <= set(package.__all__)


def test_builtin_connectors_are_registered() -> None:
    load_sources([])
    assert {"files", "url", "sql"} <= set(connectors.names())


def test_mixed_targets(tmp_path: Path, http_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def url_factory(**caps: Any) -> UrlConnector:  # the test server is on loopback, refused by default
        return UrlConnector(**caps, allow_hosts=("127.0.0.1",))

    for name in ("url", "http", "https"):
        monkeypatch.setitem(connectors._objects, name, url_factory)  # replaces the built-in for this test
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text("Văn bản A", encoding="utf-8")
    (folder / "b.bin").write_bytes(b"\x00")
    database = tmp_path / "db.sqlite"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE t (id TEXT, text TEXT)")
        db.execute("INSERT INTO t VALUES ('row-1', 'Dòng một')")
    db.close()
    url = http_server.serve("/p", b"<p>Trang web</p>", headers={"Content-Type": "text/html"})

    documents, errors = load_sources(
        [
            str(folder),
            url,
            f"sql+sqlite:///{database}::SELECT id, text FROM t",
            "ftp://example.vn/x",
            str(tmp_path / "missing"),
        ]
    )
    assert [(d.doc_id, d.text) for d in documents] == [
        ("a.txt", "Văn bản A"),
        (url, "Trang web"),
        ("row-1", "Dòng một"),
    ]
    assert [e.source for e in errors] == [str(folder / "b.bin"), "ftp://example.vn/x", str(tmp_path / "missing")]
    assert errors[1].error.startswith("no connector reads 'ftp://example.vn/x'; give one of: a file or folder path;")
    assert "http://" in errors[1].error and "sql+" in errors[1].error
    assert "no such file or folder" in errors[2].error


def test_duplicate_doc_ids_across_targets(tmp_path: Path) -> None:
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "readme.md").write_text(f"# {name}\n", encoding="utf-8")
    documents, errors = load_sources([str(tmp_path / "one"), str(tmp_path / "two")])
    assert [d.title for d in documents] == ["one"]
    assert len(errors) == 1 and errors[0].source == str(tmp_path / "two" / "readme.md")
    assert "duplicate doc_id 'readme.md'" in errors[0].error


def test_max_file_bytes_is_passed_on(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x" * 100)
    documents, errors = load_sources([str(tmp_path / "a.txt")], max_file_bytes=10)
    assert documents == [] and "over the 10 bytes limit" in errors[0].error


def test_results_are_typed(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    documents, errors = load_sources([str(tmp_path)])
    assert all(isinstance(d, Document) for d in documents) and all(isinstance(e, SourceError) for e in errors)
