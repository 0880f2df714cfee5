"""The read-only check of SQL connector queries, per dialect.

The query is lexed the way its database reads it (comments, strings and quoted names differ
between SQLite, PostgreSQL, MySQL/MariaDB and SQL Server); what is left, the code, must be
one statement, start with SELECT or WITH, and hold no writing, locking or executing word.
Constructs whose meaning depends on server settings (MySQL executable comments ``/*! */``,
backslashes inside quotes) are refused rather than guessed. The database's own read-only
mode (see ``make_read_only`` in ``sql.py``) backs this up where the dialect has one.
"""

from __future__ import annotations

import re

from aulac_rag.errors import ConnectorError

_STARTS = ("select", "with")
_FORBIDDEN = frozenset(
    """insert update delete merge upsert replace into truncate drop alter create rename grant revoke deny
    exec execute call declare set bulk dbcc backup restore shutdown kill reconfigure waitfor lock
    openrowset opendatasource openquery dblink dblink_exec load_file load_extension commit rollback""".split()
)
_FUNCTIONS = frozenset({"replace", "insert"})  # also string functions: REPLACE(text, 'a', 'b')
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_LOCKING = re.compile(r"\bfor\s+(?:no\s+key\s+update|key\s+share|share|update)\b", re.IGNORECASE)
_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")
_NESTED_COMMENTS = ("postgresql", "mssql")
_BRACKET_NAMES = ("mssql", "sqlite")
_BACKSLASH_SAFE = ("mssql", "sqlite")  # dialects where a backslash inside quotes is an ordinary character


def check_read_only(query: str, dialect: str = "") -> None:
    """ConnectorError unless ``query`` is one read-only SELECT for ``dialect`` (a SQLAlchemy backend name)."""
    dialect = "mysql" if dialect == "mariadb" else dialect
    code = strip_literals(query, dialect).strip()
    code = code[:-1].rstrip() if code.endswith(";") else code
    if ";" in code:
        raise ConnectorError(_refused("it holds more than one statement (a ';' outside quotes)"))
    first = _WORD.search(code)
    if first is None or first.group().lower() not in _STARTS or code[: first.start()].strip("( \t\r\n"):
        shown = first.group() if first else query.strip()[:20]
        raise ConnectorError(_refused(f"it starts with {shown!r}, not SELECT or WITH"))
    for word in _WORD.finditer(code):
        name = word.group().lower()
        if name in _FORBIDDEN and not (name in _FUNCTIONS and code[word.end() :].lstrip().startswith("(")):
            raise ConnectorError(_refused(f"it contains {word.group().upper()} (quote a column of that name)"))
    locking = _LOCKING.search(code)
    if locking:
        raise ConnectorError(_refused(f"it locks rows ({' '.join(locking.group().split()).upper()})"))


def strip_literals(query: str, dialect: str) -> str:
    """``query`` with comments turned into spaces and quoted strings or names into ``x``."""
    out: list[str] = []
    i = 0
    while i < len(query):
        end, replacement = _literal_at(query, i, dialect)
        if end == i:
            out.append(query[i])
            i += 1
        else:
            out.append(replacement)
            i = end
    return "".join(out)


def _literal_at(query: str, i: int, dialect: str) -> tuple[int, str]:
    """(end, replacement) of a comment or quoted literal starting at ``i``; (i, "") if none does."""
    two = query[i : i + 2]
    if two == "--" and (dialect != "mysql" or i + 2 == len(query) or query[i + 2] in " \t\r\n\f\v"):
        return _line_end(query, i), " "
    if query[i] == "#" and dialect == "mysql":
        return _line_end(query, i), " "
    if two == "/*":
        return _block_comment_end(query, i, dialect), " "
    if query[i] in "'\"`":
        return _quote_end(query, i, query[i], dialect), " x "
    if query[i] == "[" and dialect in _BRACKET_NAMES:
        return _quote_end(query, i, "]", dialect), " x "
    if query[i] == "$" and dialect == "postgresql" and not (i and (query[i - 1].isalnum() or query[i - 1] == "_")):
        tag = _DOLLAR.match(query, i)
        if tag:
            close = query.find(tag.group(), tag.end())
            if close < 0:
                raise ConnectorError(_refused(f"a {tag.group()} quote is never closed"))
            return close + len(tag.group()), " x "
    return i, ""


def _line_end(query: str, i: int) -> int:
    newline = query.find("\n", i)
    return len(query) if newline < 0 else newline + 1


def _block_comment_end(query: str, i: int, dialect: str) -> int:
    if dialect == "mysql" and query[i + 2 : i + 3] == "!":
        raise ConnectorError(_refused("MySQL executable comments (/*! … */) run as code"))
    depth, j = 1, i + 2
    while depth:
        if j >= len(query):
            raise ConnectorError(_refused("a /* comment is never closed"))
        if query.startswith("*/", j):
            depth, j = depth - 1, j + 2
        elif query.startswith("/*", j) and dialect in _NESTED_COMMENTS:
            depth, j = depth + 1, j + 2
        else:
            j += 1
    return j


def _quote_end(query: str, i: int, close: str, dialect: str) -> int:
    j = i + 1
    while True:
        end = query.find(close, j)
        if end < 0:
            raise ConnectorError(_refused(f"a {query[i]} quote is never closed"))
        if "\\" in query[j:end] and dialect not in _BACKSLASH_SAFE:
            raise ConnectorError(
                _refused("it has a backslash inside quotes, whose meaning depends on server settings")
            )
        if query.startswith(close * 2, end):  # a doubled quote stands for itself
            j = end + 2
            continue
        return end + 1


def _refused(why: str) -> str:
    return (
        f"refused the SQL query: {why}; connectors run one read-only SELECT (or WITH … SELECT), "
        "e.g. SELECT id, text, title FROM docs"
    )
