"""The red-team suite's numbers for ``aulac eval`` and the sandbox report.

Scoring is the guardrails package's own (:mod:`aulac_rag.guardrails.evaluation`, the
one the guardrails benchmark prints), run on the sandbox's guard; this module finds the
suite files, merges them and names the metrics as evaluation metrics (``redteam_*``).

Suite file: ``redteam.jsonl`` in the sandbox folder. The bundled sandboxes ship the project's
held-out set there (written by a separate writer, never tuned on: the honest figures a regulator
should see); it travels in the wheel as package data. Lines
``{"id", "text", "label", "expected_action", "pii": [{"type", "start", "end"}]}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aulac_rag.errors import EvaluationError

#: guardrails metric → evaluation metric, and the count each is a rate over.
METRICS = {
    "attack_block_rate": ("redteam_attack_block_rate", "attack"),
    "escalation_recall": ("redteam_escalation_recall", "escalation"),
    "benign_blocked_rate": ("redteam_benign_blocked_rate", "benign"),
    "pii_recall": ("redteam_pii_recall", "pii_true"),
    "pii_precision": ("redteam_pii_precision", "pii_pred"),
}


def find_redteam_files(folder: Path) -> list[Path]:
    """The sandbox's red-team suite files (empty when it has none)."""
    own = folder / "redteam.jsonl"
    return [own] if own.is_file() else []


def run_redteam(guard: Any, files: list[Path]) -> dict[str, Any]:
    """Score ``guard`` on the cases of ``files`` together; the per-file numbers are kept too.

    Returns ``{"files", "cases", "metrics": {redteam_*: value|None}, "counts": {...},
    "out_of_scope_rate", "per_file": [...], "misses": [...]}``. A scorer that cannot be
    imported is an EvaluationError, never a report silently without red-team numbers.
    """
    try:
        from aulac_rag.guardrails.evaluation import evaluate, load_cases
    except ImportError as exc:
        raise EvaluationError(f"the red-team scorer (aulac_rag.guardrails.evaluation) cannot be loaded: {exc}") from exc
    all_cases, per_file = [], []
    for path in files:
        try:
            cases = load_cases(path)
        except (ValueError, KeyError, TypeError) as exc:
            raise EvaluationError(f"{path}: not a red-team suite ({type(exc).__name__}: {exc})") from None
        all_cases += cases
        report = evaluate(guard, cases)
        per_file.append({"file": str(path), "cases": len(cases), "metrics": _public(report.metrics)})
    report = evaluate(guard, all_cases)
    metrics = report.metrics
    counts = dict(report.counts, pii_true=report.pii_true, pii_pred=report.pii_pred, pii_correct=report.pii_correct)
    return {
        "files": [str(p) for p in files],
        "cases": len(all_cases),
        "metrics": {name: metrics.get(source) for source, (name, _) in METRICS.items()},
        "counts": counts,
        "denominators": {name: int(counts.get(key, 0)) for name, key in METRICS.values()},
        "out_of_scope_rate": metrics.get("out_of_scope_rate"),
        "latency_p50_ms": metrics.get("latency_p50_ms"),
        "per_file": per_file,
        "misses": report.misses,
    }


def _public(metrics: dict[str, float | None]) -> dict[str, float | None]:
    out: dict[str, float | None] = {name: metrics.get(source) for source, (name, _) in METRICS.items()}
    out["out_of_scope_rate"] = metrics.get("out_of_scope_rate")
    return out
