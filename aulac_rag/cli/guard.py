"""``aulac guard SANDBOX TEXT | --inputs FILE.jsonl``: the input rails alone.

``aulac guard train SANDBOX`` rebuilds the sandbox's semantic guard classifier from its
example files (deterministic) and writes it next to them (or to the home's cache when
the sandbox folder is read-only).

JSON shape (CONTRACTS.md): ``{"action", "rules": [{"id", "action", "message"}], "redacted",
"message"}``, plus ``pii`` (exact spans) and ``ms``; batch lines start with ``"id"``.
"""

from __future__ import annotations

import time
from typing import Any

import typer

from aulac_rag.cli.output import emit_json, iter_jsonl
from aulac_rag.errors import ConfigError


def _result(guard: Any, text: str) -> dict[str, Any]:
    started = time.perf_counter()
    verdict = guard.check_input(text)
    elapsed = (time.perf_counter() - started) * 1000
    out = verdict.to_dict()
    out["pii"] = [s.to_dict() for s in guard.pii_spans(text)]
    out["ms"] = round(elapsed, 2)
    return out


def guard_command(
    sandbox: str = typer.Argument(..., help="Sandbox name."),
    text: str | None = typer.Argument(None, help="Text to check (a user question)."),
    inputs: str | None = typer.Option(None, "--inputs", help="JSONL file of {id, text}; one output line each."),
    no_embedder: bool = typer.Option(False, "--no-embedder", help="Skip the embedder vote of the scope rail (keywords only)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Run a sandbox's input guardrails (PII, injection, harm, escalation, scope); `guard train SANDBOX` rebuilds its classifier."""
    from aulac_rag.guardrails import load_guard
    from aulac_rag.sandbox import Sandbox

    if sandbox == "train" and text is not None and inputs is None:
        _train(text, as_json)
        return

    if (text is None) == (inputs is None):
        raise ConfigError("give either TEXT or --inputs FILE.jsonl")
    records = iter_jsonl(inputs) if inputs else []
    for number, record in enumerate(records, 1):
        if not isinstance(record.get("text"), str):
            raise ConfigError(f"{inputs}:{number}: missing 'text'")
    box = Sandbox(sandbox)
    try:
        guard = load_guard(box, embedder=None) if no_embedder else load_guard(box)
        if inputs:
            for record in records:
                emit_json({"id": record.get("id"), **_result(guard, record["text"])})
            return
        result = _result(guard, str(text))
    finally:
        box.close()
    if as_json:
        emit_json(result)
        return
    typer.echo(f"action: {result['action']}")
    for rule in result["rules"]:
        typer.echo(f"  - {rule['id']} ({rule['action']})")
    typer.echo(f"redacted: {result['redacted']}")
    if result["message"]:
        typer.echo(f"message: {result['message']}")


def _train(name: str, as_json: bool) -> None:
    from aulac_rag.guardrails import load_guard
    from aulac_rag.guardrails.rails.semantic_rail import SemanticRail
    from aulac_rag.sandbox import Sandbox

    box = Sandbox(name)
    try:
        engine = load_guard(box)
        rails = [r for r in engine.inputs if isinstance(r, SemanticRail)]
        if not rails:
            raise ConfigError(f"sandbox {name!r} has no 'semantic' rule in its guardrail policy: nothing to train")
        results = []
        for rail in rails:
            started = time.perf_counter()
            model, target, examples = rail.rebuild(prefer_folder=True)
            results.append({
                "rule": rail.spec.id, "examples": examples, "model": str(target), "embedder": model.embedder_id,
                "thresholds": model.thresholds, "metrics": model.metrics, "seconds": round(time.perf_counter() - started, 1),
            })
    finally:
        box.close()
    out = {"sandbox": name, "models": results}
    if as_json:
        emit_json(out)
        return
    for r in results:
        typer.echo(f"{name}/{r['rule']}: {r['examples']} examples, thresholds {r['thresholds']} → {r['model']} ({r['seconds']} s)")


def register(app: typer.Typer) -> None:
    app.command("guard")(guard_command)
