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
    from aulac_rag.cli.remote import absolute_targets, owner_client
    from aulac_rag.pipeline import Caller
    from aulac_rag.sandbox import check_name
    from aulac_rag.service import SandboxService

    if not demo and not paths:
        raise ConfigError("give one or more PATHs, or --demo")
    check_name(sandbox)
    remote = owner_client()
    if remote is not None:  # the app or `aulac serve` holds the index: it ingests, and answers at once
        try:
            body = {"paths": absolute_targets(list(paths or [])), "prune": prune, "demo": demo}
            summary = remote.post(f"/v1/sandboxes/{sandbox}/ingest", body)
        finally:
            remote.close()
    else:
        service = SandboxService()
        try:
            caller = Caller(key_id="local", role="cli")
            summary = service.ingest(sandbox, list(paths or []), prune=prune, demo=demo, caller=caller).to_dict()
        finally:
            service.close()
    if as_json:
        emit_json(summary)
        return
    typer.echo(
        f"{sandbox}: {summary['documents']} documents ({summary['chunks']} chunks) indexed, "
        f"{summary['skipped']} unchanged, {summary['pruned']} pruned, {len(summary['errors'])} errors "
        f"in {summary['seconds']:.1f}s" + (f" (through {remote.owner.url})" if remote is not None else "")
    )
    for error in summary["errors"]:
        typer.echo(f"  ! {error['source']}: {error['error']}", err=True)


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_command)
