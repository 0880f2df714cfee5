"""``aulac eval SANDBOX`` and ``aulac eval --compare RUN_A RUN_B``: evaluation runs and their reports."""

from __future__ import annotations

from pathlib import Path

import typer

from aulac_rag.cli.output import emit_json
from aulac_rag.errors import ConfigError


def _stderr(message: str) -> None:
    typer.echo(message, err=True)


def render_summary(summary: dict, checks: list) -> str:
    """The human-readable result: one line per metric, then the verdict and report path."""
    width = max((len(c.name) for c in checks), default=10)
    lines = []
    for c in checks:
        value = "—" if c.value is None else f"{c.value:.4f}"
        sign = "<=" if c.lower_is_better else ">="
        lines.append(f"{c.name.ljust(width)}  {value:>7}  ({sign} {c.threshold:g})  {'ok' if c.passed else 'FAIL'}")
    lines.append("")
    lines.append(("PASSED" if summary["passed"] else "FAILED") + f": {summary['sandbox']}")
    lines.append(f"report: {summary['report']}")
    return "\n".join(lines)


def _compare(paths: tuple[str, str], as_json: bool) -> None:
    from aulac_rag.evaluation import compare_runs, load_run, run_file

    a_path, b_path = (str(run_file(p).parent) for p in paths)
    comparison = compare_runs(load_run(paths[0]), load_run(paths[1]), a_path, b_path)
    if as_json:
        emit_json(comparison.to_dict())
    else:
        typer.echo(comparison.render_text())


def _followups(sandbox: str, k: int | None, as_json: bool) -> None:
    """``aulac eval SANDBOX --followups``: the follow-up set, asked alone / with concatenation / with the resolver."""
    from aulac_rag.cli.remote import owner_client
    from aulac_rag.evaluation import EvaluationRunner
    from aulac_rag.evaluation.followups import FollowupEvaluator
    from aulac_rag.service import SandboxService

    remote = owner_client()
    if remote is not None:
        remote.close()
        raise ConfigError("aulac eval --followups runs on the local index: stop 'aulac serve' (or the app) on this home first")
    service = SandboxService()
    try:
        box = service.sandbox(sandbox)
        EvaluationRunner(box, log=_stderr).ensure_index()
        with service.index_lock(sandbox).read():
            report = FollowupEvaluator(box, k=k, log=_stderr).run()
    finally:
        service.close()
    if as_json:
        emit_json(report.model_dump(mode="json"))
    else:
        typer.echo(report.render_text())


def register(app: typer.Typer) -> None:
    @app.command("eval")
    def eval_command(
        sandbox: str | None = typer.Argument(None, help="Sandbox name, e.g. healthcare."),
        out: Path | None = typer.Option(
            None, "--out", help="Run folder (default: AULAC_HOME/reports/SANDBOX/TIMESTAMP)."
        ),
        k: int | None = typer.Option(
            None, "--k", min=1, max=200, help="Chunks retrieved per question (default: evaluation.k)."
        ),
        limit: int | None = typer.Option(None, "--limit", min=1, help="Evaluate only the first N items."),
        judge: bool | None = typer.Option(
            None, "--judge/--no-judge", help="ragas LLM-judge metrics (default: when the sandbox has an LLM)."
        ),
        redteam: bool = typer.Option(True, "--redteam/--no-redteam", help="Include the red-team suite's numbers."),
        strict: bool = typer.Option(False, "--strict", help="Exit with status 2 when a metric is below its threshold."),
        compare: tuple[str, str] | None = typer.Option(
            None, "--compare", help="Compare two runs (folders or report.json): --compare RUN_A RUN_B."
        ),
        followups: bool = typer.Option(
            False, "--followups", help="Evaluate the sandbox's follow-up conversations (followups.jsonl) instead."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print JSON on stdout (CONTRACTS shape)."),
    ) -> None:
        """Evaluate SANDBOX on its eval set and write report.md, report.html and report.json."""
        if compare:
            if sandbox:
                raise ConfigError("--compare takes two runs and no SANDBOX: aulac eval --compare RUN_A RUN_B")
            _compare(compare, as_json)
            return
        if not sandbox:
            raise ConfigError("missing SANDBOX: aulac eval SANDBOX [--json], or aulac eval --compare RUN_A RUN_B")
        if followups:
            _followups(sandbox, k, as_json)
            return
        from types import SimpleNamespace

        from aulac_rag.cli.remote import owner_client
        from aulac_rag.service import SandboxService

        options = {"k": k, "limit": limit, "judge": judge, "redteam": redteam}
        remote = owner_client()
        if remote is not None:  # the app or `aulac serve` holds the index: it runs the evaluation
            body = {**options, "out": str(out.resolve()) if out is not None else None}
            try:
                data = remote.post(f"/v1/sandboxes/{sandbox}/eval", body)
            finally:
                remote.close()
            summary, checks = data["summary"], [SimpleNamespace(**c) for c in data["checks"]]
        else:
            service = SandboxService()
            try:
                run, summary = service.evaluate(sandbox, out=out, log=_stderr, **options)
            finally:
                service.close()
            checks = run.checks
        if as_json:
            emit_json(summary)
        else:
            typer.echo(render_summary(summary, checks))
        if strict and not summary["passed"]:
            raise typer.Exit(2)
