"""``aulac audit verify|export``: check the hash chain, export rows for the regulator."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from aulac_rag.audit import AuditLog, verify_jsonl, write_rows
from aulac_rag.errors import AuditError

audit_app = typer.Typer(help="The tamper-evident audit log (AULAC_HOME/audit.sqlite).", no_args_is_help=True)


@audit_app.command("verify")
def verify(
    sandbox: str | None = typer.Option(None, "--sandbox", help="Only this sandbox's chain."),
    file: Annotated[Path | None, typer.Option("--file", help="Verify an exported JSONL file instead.")] = None,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Exit 0 when every chain is intact; 1 naming the first broken row otherwise."""
    report = verify_jsonl(file) if file else AuditLog().verify(sandbox)
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    elif report.ok:
        heads = ", ".join(f"{name}: seq {h['seq']} head {h['row_hash'][:16]}" for name, h in report.heads.items())
        print(f"ok: {report.rows} rows, chains intact ({heads or 'empty'})")
    if not report.ok:
        first = report.problems[0]
        more = f" (+{len(report.problems) - 1} more)" if len(report.problems) > 1 else ""
        raise AuditError(f"audit log tampered: {first}{more}")


@audit_app.command("export")
def export(
    fmt: str = typer.Option("jsonl", "--format", help="jsonl or csv."),
    out: Annotated[Path | None, typer.Option("--out", help="File to write (default: stdout).")] = None,
    sandbox: str | None = typer.Option(None, "--sandbox"),
) -> None:
    """Export rows (with their hashes, so an export can be verified with `verify --file`)."""
    if fmt not in ("jsonl", "csv"):
        raise AuditError(f"unknown export format {fmt!r}; use jsonl or csv")
    rows = AuditLog().rows(sandbox)
    if out is None:
        write_rows(rows, sys.stdout, fmt)
        return
    with out.open("w", encoding="utf-8", newline="") as handle:
        count = write_rows(rows, handle, fmt)
    typer.echo(f"wrote {count} rows to {out}", err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
