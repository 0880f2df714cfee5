"""Evaluating a sandbox: retrieval, ragas and Vietnamese answer metrics against thresholds.

    from aulac_rag.evaluation import EvaluationRunner, save_run
    run = EvaluationRunner(Sandbox("healthcare")).run()
    run.passed, run.metrics          # the ``aulac eval --json`` keys

Reports (Markdown, HTML, the regulator's sandbox report) live in :mod:`aulac_rag.report`.
"""

from aulac_rag.evaluation.compare import Comparison, compare_runs
from aulac_rag.evaluation.dataset import load_eval_set
from aulac_rag.evaluation.redteam import find_redteam_files, run_redteam
from aulac_rag.evaluation.runner import EvaluationRunner
from aulac_rag.evaluation.runs import latest_run, load_run, new_run_dir, run_file, runs_root, save_run
from aulac_rag.evaluation.specs import MetricSpec, effective_thresholds, metric_specs
from aulac_rag.evaluation.types import EvalItem, EvalRun, ItemResult, MetricCheck, RetrievedContext

__all__ = [
    "Comparison",
    "EvalItem",
    "EvalRun",
    "EvaluationRunner",
    "ItemResult",
    "MetricCheck",
    "MetricSpec",
    "RetrievedContext",
    "compare_runs",
    "effective_thresholds",
    "find_redteam_files",
    "latest_run",
    "load_eval_set",
    "load_run",
    "metric_specs",
    "new_run_dir",
    "run_file",
    "run_redteam",
    "runs_root",
    "save_run",
]
