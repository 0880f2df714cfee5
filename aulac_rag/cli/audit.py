"""``aulac audit verify|export|keygen|checkpoint``: check the hash chain, sign its heads, export rows for the regulator."""

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
    checkpoint: Annotated[
        list[Path] | None, typer.Option("--checkpoint", help="A signed checkpoint the log must still extend (repeatable).")
    ] = None,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Exit 0 when every chain is intact (and extends every checkpoint); 1 naming the first problem otherwise."""
    from aulac_rag.audit.checkpoint import read_checkpoints, verify_checkpoint

    log = AuditLog()
    report = verify_jsonl(file) if file else log.verify(sandbox)
    problems = [str(p) for p in report.problems]
    for path in checkpoint or []:
        for cp in read_checkpoints(path):
            rows = [r for r in read_jsonl_rows(file) if r["sandbox"] == cp.sandbox] if file else log.rows(cp.sandbox)
            problems += verify_checkpoint(cp, rows)
    if as_json:
        print(json.dumps({"ok": not problems, "rows": report.rows, "problems": problems, "heads": report.heads}, ensure_ascii=False))
    elif not problems:
        heads = ", ".join(f"{name}: seq {h['seq']} head {h['row_hash'][:16]}" for name, h in report.heads.items())
        extends = f"; extends {len(checkpoint)} checkpoint file(s)" if checkpoint else ""
        print(f"ok: {report.rows} rows, chains intact ({heads or 'empty'}){extends}")
    if problems:
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        raise AuditError(f"audit log tampered: {problems[0]}{more}")


def read_jsonl_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@audit_app.command("keygen")
def keygen(out: Annotated[Path, typer.Option("--out", help="Where to write the Ed25519 private key (outside AULAC_HOME).")]) -> None:
    """Create a signing key (mode 0600; never overwrites) and print its public key."""
    from aulac_rag.audit.checkpoint import KEY_ENV, generate_key
    from aulac_rag.home import resolve_home

    info = generate_key(out, resolve_home())
    print(json.dumps(info, ensure_ascii=False))
    typer.echo(f"set {KEY_ENV}={info['key_file']} for 'aulac audit checkpoint'; give the public key to the regulator", err=True)


@audit_app.command("checkpoint")
def checkpoint_command(
    out: Annotated[Path, typer.Option("--out", help="File to write the signed checkpoint(s) to.")],
    sandbox: str | None = typer.Option(None, "--sandbox", help="One sandbox (default: a list, one per sandbox)."),
) -> None:
    """Sign the current head of each chain with the key named by AULAC_AUDIT_KEY."""
    from aulac_rag.audit.chain import GENESIS
    from aulac_rag.audit.checkpoint import load_key, make_checkpoint

    key = load_key()
    log = AuditLog()
    report = log.verify(sandbox)
    if not report.ok:
        raise AuditError(f"refusing to sign a broken chain: {report.problems[0]}")
    names = [sandbox] if sandbox else log.sandboxes()
    points = [make_checkpoint(name, report.heads.get(name, {"seq": 0, "row_hash": GENESIS}), key).model_dump() for name in names]
    payload = points[0] if sandbox else points
    out.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    typer.echo(f"wrote {len(points)} signed checkpoint(s) to {out}", err=True)


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
