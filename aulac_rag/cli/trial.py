"""``aulac trial show|suspend|resume|decide|check|report|history SANDBOX`` and ``aulac incidents SANDBOX``: the controlled trial."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

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


def _day(text: str | None, option: str) -> date | None:
    from aulac_rag.errors import ConfigError

    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option}: expected a date YYYY-MM-DD, got {text!r}") from None


@trial_app.command("report")
def report(
    sandbox: str = typer.Argument(..., help="Sandbox name."),
    period: str = typer.Option("periodic", "--period", help="periodic (the plan's reporting cadence) or final (the whole trial)."),
    since: str | None = typer.Option(None, "--since", help="First day (YYYY-MM-DD, UTC); default from the plan."),
    until: str | None = typer.Option(None, "--until", help="Last day (YYYY-MM-DD, UTC); default today."),
    out: Path | None = typer.Option(None, "--out", help="FILE.html, FILE.pdf, FILE.md or FILE.json (default: HTML, JSON and, with the 'report' extra, PDF under AULAC_HOME/reports/SANDBOX/trial/)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Write the periodic or final report of the trial for the regulator (Vietnamese; cites the Law on AI)."""
    from aulac_rag.pipeline import Caller
    from aulac_rag.report.trial_report import report_format, write_trial_report
    from aulac_rag.service import SandboxService

    service, caller = SandboxService(), Caller(key_id="local", role="cli")
    first, last = _day(since, "--since"), _day(until, "--until")
    if out is not None:
        report_format(out)  # a wrong suffix fails before any work
        facts = service.trial_report(sandbox, period, since=first, until=last, caller=caller)
        files = {report_format(out): str(write_trial_report(facts, out))}
    else:
        paths = service.write_trial_reports(sandbox, period, since=first, until=last, caller=caller)
        files = {fmt: str(path) for fmt, path in paths.items()}
        if "pdf" not in paths:
            from aulac_rag.report.pdf import pdf_unavailable

            typer.echo(f"no PDF: {pdf_unavailable()}", err=True)
        facts = json.loads(paths["json"].read_text(encoding="utf-8"))
    usage, evaluation = facts["usage"], facts["evaluation"]
    summary = {
        "sandbox": sandbox,
        "period": period,
        "since": facts["period"]["since"],
        "until": facts["period"]["until"],
        "state": facts["status"]["state"],
        "files": files,
        "questions": usage["questions"],
        "refused": usage["refused"],
        "escalated": usage["escalated"],
        "incidents": facts["incidents"]["total"],
        "exit_criteria_met": evaluation["met"],
        "audit_ok": facts["records"]["audit"]["ok"],
        "signed": facts["records"]["checkpoint"] is not None,
    }
    if as_json:
        emit_json(summary)
        return
    for fmt, path in files.items():
        typer.echo(f"{fmt}: {path}")


@trial_app.command("check")
def check(
    sandbox: str = typer.Argument(..., help="Sandbox name."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Run only N questions (partial: no incident)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON on stdout."),
) -> None:
    """The scheduled check (run it from cron on the plan's cadence): the evaluation set and red-team suite
    against the plan's exit criteria, drift since the previous full run, an incident per criterion not met.
    Exit code 3 when a criterion is not met."""
    from aulac_rag.cli.remote import owner_client
    from aulac_rag.pipeline import Caller
    from aulac_rag.service import SandboxService, TrialCheck

    remote = owner_client()
    if remote is not None:  # the app or `aulac serve` holds the index: it runs the check
        try:
            result = TrialCheck.model_validate(remote.post(f"/v1/sandboxes/{sandbox}/trial/check", {"limit": limit}))
        finally:
            remote.close()
    else:
        service = SandboxService()
        try:
            result = service.trial_check(sandbox, caller=Caller(key_id="local", role="cli"), limit=limit)
        finally:
            service.close()
    if as_json:
        emit_json(result.model_dump(mode="json"))
    else:
        scope = f"{result.items} câu hỏi" + (" (một phần bộ đánh giá)" if result.partial else "")
        typer.echo(f"{sandbox}: kiểm tra định kỳ trên {scope} — {result.run_dir}")
        for item in result.criteria:
            mark = {True: "đạt", False: "KHÔNG ĐẠT", None: "chưa đo"}[item.met]
            value = "—" if item.value is None else f"{item.value:.3f}"
            drift = result.drift.get(item.name)
            change = f" (trước: {drift.previous:.3f})" if drift is not None and drift.previous is not None else ""
            typer.echo(f"  {item.name}: {value}{change} / ngưỡng {item.threshold:g} — {mark}")
        if result.incidents:
            typer.echo(f"  sự cố đã mở: {', '.join(f'#{i}' for i in result.incidents)} (aulac incidents {sandbox})")
    if result.met is False:
        raise typer.Exit(3)


@trial_app.command("history")
def history(sandbox: str = typer.Argument(..., help="Sandbox name."), as_json: bool = typer.Option(False, "--json")) -> None:
    """The version history of the sandbox's policy, prompt, sandbox.yaml and trial plan (hash, time, who, change)."""
    from aulac_rag.pipeline import Caller
    from aulac_rag.service import SandboxService

    versions = SandboxService().policy_history(sandbox, caller=Caller(key_id="local", role="cli"))
    if as_json:
        emit_json([v.model_dump() for v in versions])
        return
    for v in versions:
        digest = (v.sha256 or "absent")[:16]
        ref = f" (audit #{v.audit_seq})" if v.audit_seq else ""
        typer.echo(f"{v.time} {v.file} {digest} by {v.by}: {v.summary}{ref}")


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
