"""``aulac report SANDBOX``: the regulator's sandbox report (Markdown + HTML + JSON)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import typer

from aulac_rag.cli.output import emit_json


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report_command(
        sandbox: str = typer.Argument(..., help="Sandbox name, e.g. healthcare."),
        out: Path | None = typer.Option(
            None, "--out", help="Folder for the report (default: AULAC_HOME/reports/SANDBOX/sandbox-report-TIMESTAMP)."
        ),
        eval_run: Path | None = typer.Option(
            None, "--eval-run", help="Evaluation run to report (default: the latest under AULAC_HOME/reports/SANDBOX)."
        ),
        redteam: bool = typer.Option(True, "--redteam/--no-redteam", help="Run the red-team suite for the report."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON on stdout."),
    ) -> None:
        """Write the regulator's report of SANDBOX: definition, risk controls, evaluation, red-team, audit, usage."""
        from aulac_rag.evaluation import runs_root
        from aulac_rag.report import collect_facts, write_sandbox_report
        from aulac_rag.sandbox import Sandbox

        box = Sandbox(sandbox)
        try:
            facts = collect_facts(box, eval_run=eval_run, redteam=redteam)
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            folder = out if out is not None else runs_root(box.home, box.name) / f"sandbox-report-{stamp}"
            paths = write_sandbox_report(facts, folder)
        finally:
            box.close()
        evaluation, audit = facts["evaluation"], facts["audit"]
        summary = {
            "sandbox": sandbox,
            "report": str(paths["md"]),
            "html": str(paths["html"]),
            "json": str(paths["json"]),
            "date": facts["generated_at"],
            "evaluation": None if evaluation is None else {"run": evaluation["run"], "passed": evaluation["passed"]},
            "redteam": None if facts["redteam"] is None else facts["redteam"]["metrics"],
            "audit": {"ok": audit["ok"], "rows": audit["rows"], "problems": len(audit["problems"])},
        }
        if as_json:
            emit_json(summary)
        else:
            typer.echo(f"report: {paths['md']}\nhtml:   {paths['html']}")
