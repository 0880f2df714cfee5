"""``aulac doctor SANDBOX [--repair] [--json]``: does the ingestion manifest agree with the index?"""

from __future__ import annotations

import typer

from aulac_rag.cli.output import emit_json


def doctor_command(
    sandbox: str = typer.Argument(..., help="Sandbox name."),
    repair: bool = typer.Option(False, "--repair", help="Finish or roll back interrupted work and remove stray points."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Compare the manifest with the index (pending documents, missing or extra points, duplicates); exit 1 if problems remain."""
    from aulac_rag.ingest.doctor import diagnose
    from aulac_rag.sandbox import Sandbox

    box = Sandbox(sandbox)
    try:
        report = diagnose(box.name, box.index, box.manifest, repair=repair)
    finally:
        box.close()
    if as_json:
        emit_json(report.model_dump())
    else:
        for line in report.repaired:
            typer.echo(f"repaired: {line}")
        for line in report.problems:
            typer.echo(f"problem: {line}")
        typer.echo(f"{sandbox}: {'ok' if report.ok else 'problems remain' + ('' if repair else ' (run with --repair)')}")
    if not report.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor_command)
