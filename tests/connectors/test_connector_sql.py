"""SQL queries over a real SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from aulac_rag.connectors import SqlConnector
from aulac_rag.connectors.sql import SqlTargetConnector, parse_sql_target
from aulac_rag.documents import Document, SourceError
from aulac_rag.errors import ConnectorError


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "docs.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE docs (id INTEGER, text TEXT, title TEXT, category TEXT, updated DATE)")
        db.executemany(
            "INSERT INTO docs VALUES (?, ?, ?, ?, ?)",
            [
                (1, "Bảo hiểm y tế là hình thức bảo hiểm bắt buộc.", "BHYT", "y tế", "2024-01-02"),
                (2, "Học phí được tính theo tín chỉ.", None, "giáo dục", None),
                (3, None, "Trống", "x", None),
                (None, "Không có id", "x", "x", None),
            ],
        )
    db.close()
    return path


def split(items: list[Document | SourceError]) -> tuple[list[Document], list[SourceError]]:
    return [i for i in items if isinstance(i, Document)], [i for i in items if isinstance(i, SourceError)]


def test_target_string(database: Path) -> None:
    target = f"sql+sqlite:///{database}::SELECT id, text, title, category FROM docs ORDER BY id"
    documents, errors = split(list(SqlTargetConnector().run(target)))
    assert [(d.doc_id, d.text, d.title) for d in documents] == [
        ("1", "Bảo hiểm y tế là hình thức bảo hiểm bắt buộc.", "BHYT"),
        ("2", "Học phí được tính theo tín chỉ.", ""),
    ]
    assert documents[0].metadata == {"category": "y tế"}
    assert documents[0].source == target
    assert sorted(e.error for e in errors) == ["row 1: id is empty or NULL", "row 4 (id '3'): text is empty or NULL"]


def test_python_api_with_custom_columns(database: Path) -> None:
    connector = SqlConnector(
        f"sqlite:///{database}",
        "SELECT id AS ma, text AS noi_dung, category AS nhom, updated FROM docs WHERE text IS NOT NULL AND id IS NOT NULL",
        id_column="ma",
        text_column="noi_dung",
        title_column="nhom",
    )
    documents, errors = split(list(connector.run()))
    assert errors == []
    assert [(d.doc_id, d.title, d.metadata) for d in documents] == [
        ("1", "y tế", {"updated": "2024-01-02"}),
        ("2", "giáo dục", {"updated": None}),
    ]


def test_run_with_another_target_keeps_the_column_names(database: Path) -> None:
    connector = SqlConnector("sqlite:///unused.db", "SELECT 1", id_column="key")
    target = f"sql+sqlite:///{database}::SELECT id AS key, text FROM docs WHERE id = 2"
    documents, errors = split(list(connector.run(target)))
    assert errors == [] and [d.doc_id for d in documents] == ["2"]


def test_missing_columns(database: Path) -> None:
    items = list(SqlConnector(f"sqlite:///{database}", "SELECT title, category FROM docs").run())
    assert len(items) == 1 and isinstance(items[0], SourceError)
    assert "returns columns title, category but needs 'id' and 'text'" in items[0].error


def test_bad_query(database: Path) -> None:
    items = list(SqlConnector(f"sqlite:///{database}", "SELECT id, text FROM no_such_table").run())
    assert isinstance(items[0], SourceError)
    assert items[0].error.startswith("query failed: no such table: no_such_table")


def test_writes_are_refused(database: Path) -> None:
    items = list(SqlConnector(f"sqlite:///{database}", "DELETE FROM docs").run())
    assert isinstance(items[0], SourceError) and "it starts with 'DELETE', not SELECT or WITH" in items[0].error
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM docs").fetchone() == (4,)
    db.close()


def test_write_hidden_in_a_cte_is_refused(database: Path) -> None:
    query = "WITH gone AS (SELECT 1) DELETE FROM docs"
    items = list(SqlConnector(f"sqlite:///{database}", query).run())
    assert isinstance(items[0], SourceError) and "it contains DELETE" in items[0].error
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM docs").fetchone() == (4,)
    db.close()


def test_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "typo.sqlite"
    items = list(SqlConnector(f"sqlite:///{path}", "SELECT 1 AS id, 'x' AS text").run())
    assert isinstance(items[0], SourceError) and "no SQLite database file" in items[0].error
    assert not path.exists()


def test_bad_url() -> None:
    items = list(SqlTargetConnector().run("sql+not a url::SELECT 1"))
    assert isinstance(items[0], SourceError) and items[0].error.startswith("bad database URL")


def test_unknown_dialect() -> None:
    items = list(SqlTargetConnector().run("sql+nosuchdb://host/db::SELECT 1"))
    assert isinstance(items[0], SourceError) and "cannot use database URL" in items[0].error


def test_env_variable_in_url(database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCS_DB", str(database))
    documents, _ = split(list(SqlConnector("sqlite:///${DOCS_DB}", "SELECT id, text FROM docs WHERE id = 1").run()))
    assert [d.doc_id for d in documents] == ["1"]
    monkeypatch.delenv("DOCS_DB")
    items = list(SqlConnector("sqlite:///${DOCS_DB}", "SELECT id, text FROM docs").run())
    assert isinstance(items[0], SourceError) and "environment variable DOCS_DB" in items[0].error


def test_password_is_hidden_in_sources() -> None:
    items = list(SqlTargetConnector().run("sql+nosuchdb://user:hunter2@host/db::SELECT 1"))
    assert "hunter2" not in items[0].source and "user:***@host" in items[0].source


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (
            "sql+sqlite:///a.db::SELECT id::text AS id, body AS text FROM t",
            ("sqlite:///a.db", "SELECT id::text AS id, body AS text FROM t"),
        ),
        ("sql+postgresql://u@[::1]:5432/db::SELECT 1", ("postgresql://u@[::1]:5432/db", "SELECT 1")),
    ],
)
def test_parse_target(target: str, expected: tuple[str, str]) -> None:
    assert parse_sql_target(target) == expected


def test_parse_target_without_query() -> None:
    with pytest.raises(ConnectorError, match="sql\\+<database URL>::<SELECT query>"):
        parse_sql_target("sql+sqlite:///a.db")


def test_init_validates() -> None:
    with pytest.raises(ValueError, match="non-empty query"):
        SqlConnector("sqlite:///a.db", " ")
