"""Writing a tuning result: ``patch.yaml`` (only the changed keys), ``report.md`` and ``result.json``.

They go to ``AULAC_HOME/reports/<sandbox>/tune-<UTC time>/``; the sandbox itself is never touched.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import yaml

from aulac_rag.evaluation.tune import TuneResult


def apply_hint(result: TuneResult, sandbox_yaml: Path) -> str:
    """How to apply the patch (one line), or why there is nothing to apply."""
    if not result.patch:
        return "the current settings are already the best found: nothing to apply"
    hint = f"to apply: merge patch.yaml's retrieval: keys into {sandbox_yaml}"
    changed = result.patch.get("retrieval", {})
    if any(key in changed for key in ("bm25_k1", "bm25_b", "chunking")):
        # ingestion skips unchanged documents, so new BM25 weights or chunks need a fresh index
        hint += (
            f"; bm25_k1/bm25_b/chunking apply when passages are indexed: delete index/aulac_{result.sandbox} and "
            f"state/{result.sandbox} under AULAC_HOME and ingest again (cached embeddings make that fast)"
        )
    return hint


def render_markdown(result: TuneResult, sandbox_yaml: Path) -> str:
    lines = [
        f"# Tuning — sandbox `{result.sandbox}`",
        "",
        f"{result.questions} labelled questions, {result.settings_tried} settings, {result.folds}-fold cross-validation "
        f"(pick the best MRR@10 on {result.folds - 1} folds, score it on the held-out fold). Metrics over distinct documents.",
        "",
        f"| | setting | MRR@10 | hit@{result.k} |",
        "|---|---|---|---|",
        f"| current | {result.current.label} | {result.current.mrr:.3f} | {result.current.hit_at_k:.3f} |",
        f"| best, in-sample | {result.best.label} | {result.best.mrr:.3f} | {result.best.hit_at_k:.3f} |",
        f"| **cross-validated** | (chosen per fold) | **{result.cv_mrr:.3f}** | **{result.cv_hit_at_k:.3f}** |",
        "",
        "A cross-validated score well below the in-sample one means the choice overfits this evaluation set: "
        "prefer the current setting unless the cross-validated score beats it.",
        "",
        "## Folds",
        "",
        "| fold | questions | chosen | train MRR@10 | held-out MRR@10 |",
        "|---|---|---|---|---|",
        *[f"| {f.fold} | {f.questions} | {f.chosen} | {f.train_mrr:.3f} | {f.test_mrr:.3f} |" for f in result.fold_results],
        "",
        "## Best settings (in-sample)",
        "",
        f"| setting | MRR@10 | hit@{result.k} |",
        "|---|---|---|",
        *[f"| {s.label} | {s.mrr:.3f} | {s.hit_at_k:.3f} |" for s in result.top],
        "",
        "## Proposed patch",
        "",
        "```yaml",
        yaml.safe_dump(result.patch, allow_unicode=True, sort_keys=False).strip() if result.patch else "# (no change)",
        "```",
        "",
        apply_hint(result, sandbox_yaml),
    ]
    if result.notes:
        lines += ["", "## Notes", "", *[f"- {n}" for n in result.notes]]
    return "\n".join(lines) + "\n"


def write_tune_report(result: TuneResult, home: Path, sandbox_yaml: Path) -> Path:
    """Write the three files; returns their folder (also set on ``result.report_dir``)."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    folder = home / "reports" / result.sandbox / f"tune-{stamp}"
    folder.mkdir(parents=True, exist_ok=False)
    result.report_dir = str(folder)
    (folder / "patch.yaml").write_text(
        yaml.safe_dump(result.patch, allow_unicode=True, sort_keys=False) if result.patch else "{}\n", encoding="utf-8"
    )
    (folder / "report.md").write_text(render_markdown(result, sandbox_yaml), encoding="utf-8")
    (folder / "result.json").write_text(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=1), encoding="utf-8")
    return folder
