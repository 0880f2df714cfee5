"""``aulac sandbox list|create``."""

from __future__ import annotations

import typer

from aulac_rag.cli.output import emit_json

sandbox_app = typer.Typer(help="List and create sandboxes.", no_args_is_help=True)


@sandbox_app.command("list")
def list_command(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """List bundled and user sandboxes with their document and chunk counts."""
    from aulac_rag.sandbox import list_sandboxes

    rows = list_sandboxes()
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        typer.echo(f"{row['name']:<16} {row['domain']:<11} {row['documents']:>5} docs {row['chunks']:>6} chunks  {row['description']}")


@sandbox_app.command("create")
def create_command(
    name: str = typer.Argument(..., help="New sandbox name (a-z, 0-9, -, _)."),
    template: str = typer.Option(..., "--from", help="healthcare, education, finance or general."),
    description: str | None = typer.Option(None, "--description", help="Vietnamese description."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Create an empty sandbox with a bundled sandbox's policy, prompt and settings."""
    from aulac_rag.sandbox import create_sandbox

    folder = create_sandbox(name, template, description)
    if as_json:
        emit_json({"name": name, "template": template, "path": str(folder)})
    else:
        typer.echo(f"created sandbox {name!r} from {template!r} at {folder}")


def register(app: typer.Typer) -> None:
    app.add_typer(sandbox_app, name="sandbox")
