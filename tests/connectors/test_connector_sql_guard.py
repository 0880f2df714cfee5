"""The SQL connector's read-only guarantee: the per-dialect statement check and read-only transactions."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest

from aulac_rag.connectors import SqlConnector
from aulac_rag.connectors.sql import make_read_only
from aulac_rag.connectors.sqlguard import check_read_only
from aulac_rag.documents import Document, SourceError
from aulac_rag.errors import ConnectorError

DIALECTS = ("sqlite", "postgresql", "mysql", "mariadb", "mssql")


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "docs.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE docs (id INTEGER, text TEXT)")
        db.executemany("INSERT INTO docs VALUES (?, ?)", [(1, "Một; hai"), (2, "Ba")])
    db.close()
    return path


def count(path: Path) -> int:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT count(*) FROM docs").fetchone()[0]
    db.close()
    return rows


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    "query",
    [
        "SELECT id, text FROM docs",
        "  -- the laws\nSELECT id, text FROM docs WHERE text LIKE '%;%' ;",
        "WITH recent AS (SELECT * FROM docs) SELECT id, text FROM recent",
        "(SELECT id, text FROM docs)",
        "SELECT REPLACE(text, 'a', 'b') AS text, id FROM docs /* note; DROP */",
        "SELECT id, 'it''s; fine' AS text, updated_at, deleted FROM docs",
    ],
)
def test_read_only_queries_pass_everywhere(query: str, dialect: str) -> None:
    check_read_only(query, dialect)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    ("query", "why"),
    [
        ("SELECT id, text FROM docs; DELETE FROM docs", "more than one statement"),
        ("DELETE FROM docs", "starts with 'DELETE'"),
        ("VALUES (1)", "starts with 'VALUES'"),
        ("WITH gone AS (DELETE FROM docs RETURNING *) SELECT * FROM gone", "contains DELETE"),
        ("SELECT * INTO backup FROM docs", "contains INTO"),
        ("SELECT * FROM docs INTO OUTFILE '/tmp/x'", "contains INTO"),
        ("SELECT * FROM docs FOR UPDATE", "contains UPDATE"),
        ("SELECT * FROM docs FOR  SHARE", "locks rows (FOR SHARE)"),
        ("SELECT * FROM docs LOCK IN SHARE MODE", "contains LOCK"),
        ("SELECT 1 AS id, 'x' AS text DELETE FROM docs", "contains DELETE"),  # T-SQL: no ';' needed
        ("SELECT 1 EXEC('DROP TABLE docs')", "contains EXEC"),
        ("SELECT 'unterminated FROM docs", "never closed"),
        ("SELECT 1 /* never closed", "never closed"),
    ],
)
def test_writes_locks_and_tricks_are_refused_everywhere(query: str, why: str, dialect: str) -> None:
    with pytest.raises(ConnectorError, match="refused the SQL query") as caught:
        check_read_only(query, dialect)
    assert why in str(caught.value) and "one read-only SELECT" in str(caught.value)


@pytest.mark.parametrize(
    ("query", "dialect", "why"),
    [
        ("SELECT 1 /*! ; DROP TABLE docs */", "mysql", "executable comments"),
        ("SELECT 1 --1; DELETE FROM docs", "mysql", "more than one statement"),  # '--1' is minus minus one
        ("SELECT 1 # x\n; DELETE FROM docs", "mysql", "more than one statement"),
        ("SELECT 'a\\'; DELETE FROM docs; -- '", "mysql", "backslash inside quotes"),
        ("SELECT E'a\\'; DELETE FROM docs; -- '", "postgresql", "backslash inside quotes"),
        ("SELECT 1 # x; DELETE FROM docs", "postgresql", "more than one statement"),  # '#' is XOR there
        ("SELECT $q$ x $q$; DROP TABLE docs", "postgresql", "more than one statement"),
        ("SELECT 1 /* a /* b */ ; DROP TABLE docs */", "sqlite", "more than one statement"),  # no nesting
        ("SELECT arr[1]; DROP TABLE docs --]", "postgresql", "more than one statement"),  # [ ] not quotes
    ],
)
def test_dialect_specific_lexing(query: str, dialect: str, why: str) -> None:
    with pytest.raises(ConnectorError, match=why):
        check_read_only(query, dialect)


@pytest.mark.parametrize(
    ("query", "dialect"),
    [
        ("SELECT 1 # comment; DROP\nFROM docs", "mysql"),
        ("SELECT $$a;b$$ AS text, $tag$DROP$tag$ AS id", "postgresql"),
        ("SELECT 1 /* a /* nested; DROP */ still comment; */ AS id", "postgresql"),
        ("SELECT [select;drop] AS id, text FROM docs", "mssql"),
        ("SELECT 'C:\\laws' AS text", "mssql"),
    ],
)
def test_dialect_specific_quotes_and_comments_pass(query: str, dialect: str) -> None:
    check_read_only(query, dialect)


def test_two_statements_on_sqlite_are_refused_and_nothing_runs(database: Path) -> None:
    items = list(SqlConnector(f"sqlite:///{database}", "SELECT id, text FROM docs; DELETE FROM docs").run())
    assert len(items) == 1 and isinstance(items[0], SourceError)
    assert "more than one statement" in items[0].error
    assert count(database) == 2


def test_semicolons_in_strings_and_comments_are_fine_on_sqlite(database: Path) -> None:
    query = "SELECT id, text FROM docs WHERE text LIKE '%;%' -- ; DELETE FROM docs"
    items = list(SqlConnector(f"sqlite:///{database}", query).run())
    assert [(d.doc_id, d.text) for d in items if isinstance(d, Document)] == [("1", "Một; hai")]


def test_sqlite_connection_is_query_only(database: Path) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.exc import OperationalError

    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            make_read_only(connection)
            with pytest.raises(OperationalError, match="readonly"):
                connection.exec_driver_sql("DELETE FROM docs")
    finally:
        engine.dispose()
    assert count(database) == 2


@pytest.mark.parametrize(
    ("dialect", "statements"),
    [
        ("sqlite", ["PRAGMA query_only = ON"]),
        ("postgresql", ["SET TRANSACTION READ ONLY"]),
        ("mysql", ["START TRANSACTION READ ONLY"]),
        ("mariadb", ["START TRANSACTION READ ONLY"]),
        ("mssql", []),  # no read-only transactions: the statement check and the rollback guard it
    ],
)
def test_read_only_transaction_per_dialect(dialect: str, statements: list[str]) -> None:
    sent: list[str] = []
    connection = SimpleNamespace(dialect=SimpleNamespace(name=dialect), exec_driver_sql=sent.append)
    make_read_only(connection)  # type: ignore[arg-type]
    assert sent == statements
