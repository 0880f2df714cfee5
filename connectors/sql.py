"""SQL databases: one document per row of a read-only SELECT (SQLAlchemy).

As a target string: ``sql+<SQLAlchemy URL>::<SELECT …>``, e.g.
``sql+sqlite:///data/docs.db::SELECT id, text, title FROM docs``. A ``${NAME}``
in the URL is replaced by the environment variable NAME, so passwords need not
be written down. From Python: ``SqlConnector(url, query).run()``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aulac_rag.connectors.base import Connector
from aulac_rag.connectors.sqlguard import check_read_only
from aulac_rag.documents import Document, SourceError
from aulac_rag.errors import ConnectorError
from aulac_rag.limits import SourceLimits

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Connection, RowMapping

PREFIX = "sql+"
SEPARATOR = "::"
_EXAMPLE = "e.g. sql+sqlite:///docs.db::SELECT id, text, title FROM docs"
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def is_sql_target(target: str) -> bool:
    """True for ``sql+<url>::<query>`` target strings."""
    return target.startswith(PREFIX)


def parse_sql_target(target: str) -> tuple[str, str]:
    """(SQLAlchemy URL, query) from ``sql+<url>::<query>``; ConnectorError if malformed."""
    if not is_sql_target(target):
        raise ConnectorError(f"not an SQL target (it must start with {PREFIX!r}); {_EXAMPLE}")
    body = target[len(PREFIX) :]
    cut = _separator(body)
    url, query = (body[:cut].strip(), body[cut + len(SEPARATOR) :].strip()) if cut >= 0 else (body, "")
    if not url or not query:
        raise ConnectorError(f"an SQL target is sql+<database URL>::<SELECT query>; {_EXAMPLE}")
    return url, query


def _separator(body: str) -> int:
    """Index of the first ``::`` outside ``[...]`` (an IPv6 host), or -1."""
    depth = 0
    for i, char in enumerate(body):
        if char == "[":
            depth += 1
        elif char == "]":
            depth = max(0, depth - 1)
        elif depth == 0 and body.startswith(SEPARATOR, i):
            return i
    return -1


class SqlConnector(Connector):
    """Runs one SELECT and yields a document per row.

    ``id_column`` and ``text_column`` are required in the result, ``title_column``
    is optional, other columns become metadata. The query runs read-only: it must
    be one SELECT (or WITH … SELECT) statement with no writing or locking clause, checked
    per dialect (see :mod:`aulac_rag.connectors.sqlguard`); then SQLite connections are set
    ``query_only``, PostgreSQL and Oracle transactions ``READ ONLY``, MySQL/MariaDB ones are
    started ``READ ONLY`` (SQL Server has no such mode: the check alone guards it), and every
    transaction is rolled back, never committed.
    """

    name = "sql"
    targets = f"sql+<database URL>::<SELECT query> ({_EXAMPLE})"

    def __init__(
        self,
        url: str,
        query: str,
        id_column: str = "id",
        text_column: str = "text",
        title_column: str = "title",
    ) -> None:
        for label, value in (("url", url), ("query", query), ("id_column", id_column), ("text_column", text_column)):
            if not value or not value.strip():
                raise ValueError(f"SqlConnector needs a non-empty {label}, got {value!r}")
        self.url = url
        self.query = query
        self.id_column = id_column
        self.text_column = text_column
        self.title_column = title_column

    @classmethod
    def from_target(cls, target: str, **columns: str) -> SqlConnector:
        """A connector for an ``sql+<url>::<query>`` string; ConnectorError if malformed."""
        url, query = parse_sql_target(target)
        return cls(url, query, **columns)

    @property
    def target(self) -> str:
        """This connector's source as a target string."""
        return f"{PREFIX}{self.url}{SEPARATOR}{self.query}"

    def accepts(self, target: str) -> bool:
        return is_sql_target(target)

    def run(self, target: str | None = None) -> Iterator[Document | SourceError]:
        """Read this connector's query, or ``target`` (another ``sql+…`` string, same columns)."""
        if target is not None and target != self.target:
            try:
                other = SqlConnector.from_target(
                    target, id_column=self.id_column, text_column=self.text_column, title_column=self.title_column
                )
            except ConnectorError as exc:
                yield SourceError(_mask_url(target), str(exc))
                return
            yield from other.run()
            return
        try:
            yield from self._rows()
        except ConnectorError as exc:
            yield SourceError(self.source, str(exc))

    @property
    def source(self) -> str:
        """The target string with any password hidden, as documents and errors name it."""
        return _mask_url(self.target)

    def _rows(self) -> Iterator[Document | SourceError]:
        from sqlalchemy import create_engine
        from sqlalchemy.exc import SQLAlchemyError

        url = _parse_url(_expand_env(self.url))
        check_read_only(self.query, url.get_backend_name())
        _check_sqlite_file(url)
        try:
            engine = create_engine(url)
        except ImportError as exc:
            raise ConnectorError(
                f"no database driver for {url.drivername} ({exc}); install it, e.g. pip install psycopg[binary] "
                "for PostgreSQL or pymysql for MySQL"
            ) from None
        except SQLAlchemyError as exc:
            raise ConnectorError(f"cannot use database URL {self.source!r}: {exc}") from None
        try:
            with engine.connect() as connection:
                try:
                    make_read_only(connection)
                    yield from self._documents(connection)
                finally:
                    connection.rollback()
        except SQLAlchemyError as exc:
            detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            raise ConnectorError(f"query failed: {detail}; check the SQL and that the tables exist") from None
        finally:
            engine.dispose()

    def _documents(self, connection: Connection) -> Iterator[Document | SourceError]:
        result = connection.execution_options(stream_results=True).exec_driver_sql(self.query)
        names = {key.lower(): key for key in reversed(list(result.keys()))}
        missing = [c for c in (self.id_column, self.text_column) if c.lower() not in names]
        if missing:
            raise ConnectorError(
                f"the query returns columns {', '.join(result.keys()) or '(none)'} but needs "
                f"{' and '.join(repr(c) for c in missing)}; alias them, e.g. SELECT code AS id, body AS text …"
            )
        id_key, text_key = names[self.id_column.lower()], names[self.text_column.lower()]
        title_key = names.get(self.title_column.lower()) if self.title_column else None
        seen: set[str] = set()
        for number, row in enumerate(result.mappings(), 1):
            item = self._document(row, number, id_key, text_key, title_key)
            if isinstance(item, Document) and item.doc_id in seen:
                item = SourceError(self.source, f"row {number}: duplicate id {item.doc_id!r}; ids must be unique")
            elif isinstance(item, Document):
                seen.add(item.doc_id)
            yield item

    def _document(
        self, row: RowMapping, number: int, id_key: str, text_key: str, title_key: str | None
    ) -> Document | SourceError:
        raw_id, text = row[id_key], row[text_key]
        if raw_id is None or not str(raw_id).strip():
            return SourceError(self.source, f"row {number}: {id_key} is empty or NULL")
        doc_id = str(raw_id)
        if isinstance(text, bytes | bytearray | memoryview):
            try:
                text = bytes(text).decode("utf-8")
            except UnicodeDecodeError:
                return SourceError(self.source, f"row {number} (id {doc_id!r}): {text_key} is binary, not UTF-8 text")
        if text is None or not str(text).strip():
            return SourceError(self.source, f"row {number} (id {doc_id!r}): {text_key} is empty or NULL")
        title = row[title_key] if title_key else None
        used = {id_key, text_key, title_key}
        metadata = {key: _plain(value) for key, value in row.items() if key not in used}
        return Document(doc_id, str(text), "" if title is None else str(title), self.source, metadata)


def _expand_env(url: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ConnectorError(f"environment variable {name} (used in the SQL URL) is not set; export it first")
        return os.environ[name]

    return _ENV.sub(value, url)


def _parse_url(url: str) -> URL:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url)
    except ArgumentError:
        raise ConnectorError(
            f"bad database URL {_mask_url(url)!r}; write it as SQLAlchemy does, e.g. sqlite:///docs.db "
            "or postgresql+psycopg://user:${PGPASSWORD}@host/db"
        ) from None


def _check_sqlite_file(url: URL) -> None:
    """Refuse a missing SQLite file: connecting would silently create an empty one."""
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
        return
    if not Path(database).is_file():
        raise ConnectorError(f"no SQLite database file at {database}; check the path in the URL")


_READ_ONLY_STATEMENTS = {
    "sqlite": "PRAGMA query_only = ON",
    "postgresql": "SET TRANSACTION READ ONLY",
    "oracle": "SET TRANSACTION READ ONLY",
    "mysql": "START TRANSACTION READ ONLY",
    "mariadb": "START TRANSACTION READ ONLY",
}


def make_read_only(connection: Connection) -> None:
    """Put the connection's transaction in read-only mode where the dialect has one (not mssql)."""
    statement = _READ_ONLY_STATEMENTS.get(connection.dialect.name)
    if statement is not None:
        connection.exec_driver_sql(statement)


def _mask_url(url: str) -> str:
    """The URL with its password replaced by ``***``."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def _plain(value: Any) -> Any:
    """A metadata value that JSON and Qdrant payloads can hold."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)


class SqlTargetConnector(Connector):
    """Reads ``sql+<url>::<query>`` target strings with the default column names."""

    name = "sql"
    targets = SqlConnector.targets

    def accepts(self, target: str) -> bool:
        return is_sql_target(target)

    def run(self, target: str) -> Iterator[Document | SourceError]:
        try:
            connector = SqlConnector.from_target(target)
        except ConnectorError as exc:
            yield SourceError(_mask_url(target), str(exc))
            return
        yield from connector.run()


def _sql_targets(*, max_file_bytes: int, limits: SourceLimits | None = None) -> Connector:
    """Registry factory; rows have no file size, so ``max_file_bytes`` and ``limits`` do not apply."""
    return SqlTargetConnector()


