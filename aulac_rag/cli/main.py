"""The ``aulac`` command: one Typer app; each sub-command group lives in its own module.

A module adds its commands through ``register(app)``; errors are mapped to one line
on stderr and exit code 1 here, in one place.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from aulac_rag.errors import AulacError

app = typer.Typer(
    name="aulac",
    help="aulac-rag: Vietnamese sandbox RAG (sandboxes, ingestion, retrieval, answers, guardrails, evaluation).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _global(
    home: Path | None = typer.Option(None, "--home", help="State folder (default: $AULAC_HOME or ~/.aulac)."),
) -> None:
    if home is not None:
        os.environ["AULAC_HOME"] = str(home)


def _register_commands() -> None:
    import importlib

    for module in ("sandbox", "ingest", "retrieve", "ask", "guard", "serve", "keys", "audit", "llm", "eval", "tune", "report", "doctor", "trial", "app"):
        importlib.import_module(f"aulac_rag.cli.{module}").register(app)  # a command that fails to import is an error


_register_commands()


def _undecodable_argument() -> str | None:
    """The first command-line argument that is not valid UTF-8 (Python keeps its bytes as surrogates)."""
    for position, arg in enumerate(sys.argv[1:], start=1):
        if any("\udc80" <= ch <= "\udcff" for ch in arg):
            shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            return f"argument {position} ({shown!r}) is not valid UTF-8 text; type it again or rename the file in UTF-8"
    return None


def main() -> None:
    """Entry point: run the app, turning every error into one line on stderr (traceback with AULAC_DEBUG=1)."""
    bad = _undecodable_argument()
    if bad is not None:
        print(f"error: {bad}", file=sys.stderr)
        sys.exit(2)
    try:
        code = app(standalone_mode=False)  # typer.Exit is returned as its code in this mode
        if isinstance(code, int) and code:
            sys.exit(code)
    except AulacError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except (typer.Abort, KeyboardInterrupt):
        print("error: interrupted", file=sys.stderr)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # usage errors (typer's own click) and anything unexpected
        message, exit_code = getattr(exc, "format_message", None), getattr(exc, "exit_code", None)
        if isinstance(exc, typer.TyperException) and callable(message) and isinstance(exit_code, int):
            # typer's usage errors, in one line: "error: Invalid value for '--k': … (aulac ask --help)"
            context = getattr(exc, "ctx", None)
            where = f" ({context.command_path} --help)" if context is not None else ""
            print(f"error: {message()}{where}", file=sys.stderr)
            sys.exit(exit_code)
        if os.environ.get("AULAC_DEBUG"):
            raise
        print(f"error: unexpected {type(exc).__name__}: {exc} (rerun with AULAC_DEBUG=1 for details)", file=sys.stderr)
        sys.exit(1)
