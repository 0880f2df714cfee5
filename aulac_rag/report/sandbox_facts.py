"""What the regulator's sandbox report states, gathered from the sandbox and AULAC_HOME.

Each ``*_facts`` function reads one source (config, corpus manifest, guardrail policy,
evaluation runs, red-team suite, audit log, feedback) and returns plain JSON-able data;
the report document is built from that data alone (``sandbox-report.json``).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import Any

from aulac_rag.errors import AulacError


def _file_sha256(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def definition_facts(sandbox: Any) -> dict[str, Any]:
    from aulac_rag.pipeline import config_hash

    config = sandbox.config
    generation, retrieval = config.generation, config.retrieval
    documents = [
        {"doc_id": r.doc_id, "title": r.title, "source": r.source, "chunks": r.chunks, "sha256": r.doc_hash}
        for r in sorted(sandbox.documents(), key=lambda r: r.doc_id)
    ]
    return {
        "name": sandbox.name,
        "domain": config.domain,
        "description": config.description,
        "folder": str(sandbox.folder),
        "generation": {
            "backend": generation.backend,
            "model": generation.model,
            "base_url": generation.base_url,
            "fallback": generation.fallback,
            "temperature": generation.temperature,
        },
        "embedder": {"name": retrieval.embedder.name, "model_id": getattr(sandbox.embedder, "model_id", "")},
        "retrieval": {"fusion": retrieval.fusion, "sparse_tokenizer": retrieval.sparse_tokenizer, "k": retrieval.k},
        "index": {"engine": config.index.engine},
        "config_hash": config_hash(config),
        "prompt_sha256": _file_sha256(sandbox.folder / generation.prompt_file),
        "corpus": {**sandbox.stats(), "list": documents},
    }


def policy_facts(sandbox: Any) -> dict[str, Any]:
    """The guardrail policy's rules (or why there are none)."""
    path = sandbox.folder / sandbox.config.guardrails.policy_file
    if not path.is_file():
        return {"file": str(path), "present": False, "rules": []}
    from aulac_rag.guardrails.policy import load_policy

    policy = load_policy(path)
    rules = [
        {"stage": stage, "id": r.id, "kind": r.kind, "action": r.action, "message": r.message, "enabled": r.enabled}
        for stage in ("input", "output")
        for r in getattr(policy, stage)
    ]
    return {
        "file": str(path),
        "present": True,
        "sha256": _file_sha256(path),
        "description": policy.description,
        "llm_judge": sandbox.config.guardrails.llm_judge,
        "rules": rules,
    }


def evaluation_facts(sandbox: Any, run_path: str | Path | None = None) -> dict[str, Any] | None:
    """The latest evaluation run (or the one at ``run_path``) against its thresholds; None if never run."""
    from aulac_rag.evaluation.runs import latest_run, load_run, run_file
    from aulac_rag.pipeline import config_hash

    if run_path is not None:
        run, folder = load_run(run_path), run_file(run_path).parent
    else:
        found = latest_run(sandbox.home, sandbox.name)
        if found is None:
            return None
        run, folder = found
    return {
        "run": str(folder),
        "finished_at": run.finished_at,
        "items": len(run.items),
        "k": run.k,
        "passed": run.passed,
        "modes": run.settings.get("modes", {}),
        "judge": run.settings.get("judge", False),
        "skipped": run.skipped,
        "checks": [c.to_dict() for c in run.checks],
        "same_config": run.settings.get("config_hash") == config_hash(sandbox.config),
    }


def redteam_facts(sandbox: Any) -> dict[str, Any] | None:
    """The red-team suite run now on the sandbox's current guard; None without a suite."""
    from aulac_rag.evaluation.redteam import find_redteam_files, run_redteam
    from aulac_rag.pipeline import load_sandbox_guard

    files = find_redteam_files(sandbox.folder)
    if not files:
        return None
    from aulac_rag.evaluation.specs import effective_thresholds

    result = run_redteam(load_sandbox_guard(sandbox), files)
    result["misses"] = result["misses"][:20]
    result["thresholds"] = effective_thresholds(sandbox.config.evaluation.thresholds, list(result["metrics"]))
    return result


def audit_facts(sandbox: Any) -> dict[str, Any]:
    """The audit chain's integrity and what it records about usage of this sandbox."""
    from aulac_rag.audit import AuditLog

    log = AuditLog.for_home(sandbox.home)
    try:
        report = log.verify(sandbox.name)
        every = log.rows(sandbox.name)
    except AulacError as exc:
        return {"file": str(log.path), "ok": False, "error": str(exc), "rows": 0, "problems": [], "usage": {}}
    # a generated answer has a ``started`` row and an end row: count requests by their end (trial, document
    # and policy rows are not questions)
    rows = [r for r in every if r.get("event", "answer") in ("answer", "aborted", "error")]
    closed = {r.get("ref_seq") for r in rows}
    events = Counter(str(r.get("event", "answer")) for r in rows)
    escalated = sum(any(g.get("action") == "escalate" for g in r.get("guardrails") or []) for r in rows)
    blocked = sum(any(g.get("action") == "block" for g in r.get("guardrails") or []) for r in rows)
    refused = sum(bool(r.get("refused")) for r in rows)
    usage = {
        "questions": len(rows),
        "answered": events.get("answer", 0) - refused,
        "refused": refused,
        "blocked": blocked,
        "escalated": escalated,
        "aborted": events.get("aborted", 0),
        "errors": events.get("error", 0),
        "unfinished": sum(r.get("event") == "started" and r["seq"] not in closed for r in every),
        "modes": dict(Counter(str(r.get("mode", "")) for r in rows)),
        "first": rows[0]["ts"] if rows else None,
        "last": rows[-1]["ts"] if rows else None,
    }
    return {
        "file": str(log.path),
        "ok": report.ok,
        "rows": report.rows,
        "problems": [str(p) for p in report.problems],
        "head": report.heads.get(sandbox.name),
        "usage": usage,
    }


def feedback_facts(sandbox: Any) -> dict[str, int]:
    from aulac_rag.feedback import FeedbackStore

    path = Path(sandbox.home) / "feedback.sqlite"
    if not path.exists():
        return {"up": 0, "down": 0}
    store = FeedbackStore(path)
    try:
        return store.counts(sandbox.name)
    finally:
        store.close()


def trial_facts(sandbox: Any) -> dict[str, Any]:
    """The controlled trial: plan, state and history, and the incident register's counts and open items."""
    from aulac_rag.incidents import IncidentStore
    from aulac_rag.policy_versions import PolicyHistory
    from aulac_rag.trial import trial_of

    trial = trial_of(sandbox)
    status = trial.status().model_dump(mode="json")
    plan = trial.plan.model_dump(mode="json") if trial.plan is not None else None
    incidents = [i.model_dump() for i in IncidentStore.for_home(sandbox.home).find(sandbox.name, "all")]
    counts: dict[str, dict[str, int]] = {}
    for item in incidents:
        by_kind = counts.setdefault(item["kind"], {"open": 0, "acknowledged": 0, "resolved": 0})
        by_kind[item["status"]] = by_kind.get(item["status"], 0) + 1
    still_open = [i for i in incidents if i["status"] != "resolved"]
    versions = [v.model_dump() for v in PolicyHistory.of(sandbox).versions()]
    return {"status": status, "plan": plan, "incident_counts": counts, "open_incidents": still_open[:50],
            "versions": versions[-30:]}  # fmt: skip

