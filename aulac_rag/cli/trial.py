"""``aulac trial show|suspend|resume SANDBOX`` and ``aulac incidents SANDBOX``: the controlled trial."""

from __future__ import annotations

import typer

from aulac_rag.cli.output import emit_json

trial_app = typer.Typer(help="The sandbox's controlled trial: plan, state, suspension (Law on AI, Art. 21).")



def _emit(status: dict, as_json: bool) -> None:
    if as_json:
        emit_json(status)
    else:
        typer.echo(f"{status['sandbox']}: {status['state']} — {status['message']}")


@trial_app.command("show")
def show(sandbox: str = typer.Argument(..., help="Sandbox name."), as_json: bool = typer.Option(False, "--json")) -> None:
    """The trial's plan summary, state and history (state ``development`` when there is no plan)."""
    from aulac_rag.service import SandboxService

    _emit(SandboxService().trial(sandbox).model_dump(mode="json"), as_json)


def _change(sandbox: str, action: str, reason: str, as_json: bool) -> None:
    from aulac_rag.pipeline import Caller
    from aulac_rag.service import SandboxService

    status = SandboxService().change_trial(sandbox, action, caller=Caller(key_id="local", role="cli"), reason=reason)
    _emit(status.model_dump(mode="json"), as_json)


@trial_app.command("suspend")
def suspend(
    sandbox: str = typer.Argument(..., help="Sandbox name."),
    reason: str = typer.Option(..., "--reason", help="Why (kept in the audit trail)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Stop the sandbox answering at once (every path refuses until resumed)."""
    _change(sandbox, "suspend", reason, as_json)


@trial_app.command("resume")
def resume(
    sandbox: str = typer.Argument(..., help="Sandbox name."),
    reason: str = typer.Option("", "--reason", help="Why (kept in the audit trail)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Let a suspended trial answer again."""
    _change(sandbox, "resume", reason, as_json)


@trial_app.command("decide")
def decide(
    sandbox: str = typer.Argument(..., help="Sandbox name."),
    decision: str = typer.Option(..., "--decision", help="approve, extend, adjust or end."),
    by: str = typer.Option(..., "--by", help="Who decides (the competent agency and signatory)."),
    note: str = typer.Option("", "--note", help="The decision's text or reference."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Record the regulator's decision on the trial's results (kept in the audit trail and the report)."""
    from aulac_rag.pipeline import Caller
    from aulac_rag.service import SandboxService

    status = SandboxService().decide_trial(sandbox, decision, caller=Caller(key_id=by, role="regulator"), note=note)
    _emit(status.model_dump(mode="json"), as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(trial_app, name="trial")

    @app.command("incidents")
    def incidents(
        sandbox: str = typer.Argument(..., help="Sandbox name."),
        status: str = typer.Option("open", "--status", help="open, acknowledged, resolved or all."),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """The incident register: escalations, refused answers, LLM and retrieval failures."""
        from aulac_rag.service import SandboxService

        keys = {"id", "time", "kind", "severity", "status", "audit_ref", "summary", "owner", "deadline"}
        found = [i.model_dump(include=keys) for i in SandboxService().incidents(sandbox, status)]
        if as_json:
            emit_json(found)
            return
        for item in found:
            typer.echo(f"#{item['id']} {item['time']} [{item['severity']}/{item['status']}] {item['kind']}: "
                       f"{item['summary']} ({item['audit_ref']})")  # fmt: skip
        if not found:
            typer.echo(f"{sandbox}: no {status if status != 'all' else ''} incidents".replace("  ", " "))
