"""``aulac tune SANDBOX [--json] [--folds 5] [--chunk-sizes 160,300]``: propose retrieval settings, cross-validated."""

from __future__ import annotations

import typer

from aulac_rag.cli.output import emit_json
from aulac_rag.errors import ConfigError


def _ints(value: str | None, option: str) -> list[int]:
    if not value:
        return []
    try:
        return [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(f"{option}: expected comma-separated integers, got {value!r}") from None


def tune_command(
    sandbox: str = typer.Argument(..., help="Sandbox name."),
    folds: int = typer.Option(5, "--folds", min=2, max=20, help="Cross-validation folds."),
    chunk_sizes: str | None = typer.Option(
        None, "--chunk-sizes", help="Also try these chunking.max_tokens values (re-ingests the sources into temporary indexes; slow)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the fold assignment."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Search fusion, dense weight, BM25 k1/b, document aggregation (and chunk size) on the evaluation set; propose a sandbox.yaml patch."""
    from aulac_rag.cli.remote import owner_client
    from aulac_rag.evaluation.runner import EvaluationRunner
    from aulac_rag.evaluation.tune import TuneSpace, tune_sandbox
    from aulac_rag.evaluation.tune_report import apply_hint, write_tune_report
    from aulac_rag.sandbox import Sandbox

    remote = owner_client()
    if remote is not None:
        remote.close()
        raise ConfigError("aulac tune reads the local index: stop 'aulac serve' (or the app) on this home first")
    space = TuneSpace(chunk_sizes=_ints(chunk_sizes, "--chunk-sizes"))
    box = Sandbox(sandbox)
    try:
        EvaluationRunner(box, log=lambda m: typer.echo(m, err=True)).ensure_index()
        result = tune_sandbox(box, space, folds=folds, seed=seed)
        folder = write_tune_report(result, box.home, box.folder / "sandbox.yaml")
        sandbox_yaml = box.folder / "sandbox.yaml"
    finally:
        box.close()
    if as_json:
        emit_json(result.model_dump(mode="json"))
        return
    typer.echo(f"{result.sandbox}: {result.questions} questions, {result.settings_tried} settings, {result.folds} folds")
    typer.echo(f"current             MRR@10 {result.current.mrr:.3f}  hit@{result.k} {result.current.hit_at_k:.3f}  ({result.current.label})")
    typer.echo(f"best (in-sample)    MRR@10 {result.best.mrr:.3f}  hit@{result.k} {result.best.hit_at_k:.3f}  ({result.best.label})")
    typer.echo(f"cross-validated     MRR@10 {result.cv_mrr:.3f}  hit@{result.k} {result.cv_hit_at_k:.3f}")
    typer.echo(f"report: {folder / 'report.md'}")
    if result.patch:
        typer.echo(f"patch:  {folder / 'patch.yaml'}")
    typer.echo(apply_hint(result, sandbox_yaml))


def register(app: typer.Typer) -> None:
    app.command("tune")(tune_command)
