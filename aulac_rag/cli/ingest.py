"""``aulac ingest SANDBOX PATH... | --demo``."""

from __future__ import annotations

import typer

from aulac_rag.cli.output import emit_json
from aulac_rag.errors import ConfigError


def ingest_command(
    sandbox: str = typer.Argument(..., help="Sandbox name."),
    paths: list[str] | None = typer.Argument(None, help="Files, folders, URLs or sql+URL::QUERY targets."),
    demo: bool = typer.Option(False, "--demo", help="Ingest the sandbox's bundled demo corpus."),
    prune: bool = typer.Option(False, "--prune", help="Remove indexed documents missing from these sources."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Ingest documents; unchanged ones are skipped, changed ones replaced."""
    from aulac_rag.sandbox import Sandbox

    if not demo and not paths:
        raise ConfigError("give one or more PATHs, or --demo")
    box = Sandbox(sandbox)
    try:
        summary = box.ingest_demo(prune=True) if demo else box.ingest(list(paths or []), prune=prune)
    finally:
        box.close()
    if as_json:
        emit_json(summary.to_dict())
        return
    typer.echo(
        f"{sandbox}: {summary.documents} documents ({summary.chunks} chunks) indexed, {summary.skipped} unchanged, "
        f"{summary.pruned} pruned, {len(summary.errors)} errors in {summary.seconds:.1f}s"
    )
    for error in summary.errors:
        typer.echo(f"  ! {error.source}: {error.error}", err=True)


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_command)
