"""What a periodic or final trial report states, for one period, as plain JSON-able data.

    period = report_period(trial.plan, "periodic", since=date(2026, 11, 1))
    facts = collect_trial_facts(sandbox, period)

Every source is cut to the period (UTC days, both ends included): audit rows (usage, the trial's
state changes), incidents, feedback, policy versions and the regulator's decisions. The latest
*full* evaluation run finished by the period's end is compared with the plan's exit criteria (a
partial run never stands for the trial). The audit chain is verified and, when a signing key is
configured (``AULAC_AUDIT_KEY``), its head is signed into the report.
"""

from __future__ import annotations

import os
import statistics
from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, model_validator

from aulac_rag.errors import AulacError, ConfigError

PeriodKind = Literal["periodic", "final"]
REQUEST_EVENTS = ("answer", "aborted", "error")  # one row per question (``started`` rows are closed by one)


class ReportPeriod(BaseModel):
    """The days a report covers: ``since`` to ``until`` inclusive (UTC)."""

    kind: PeriodKind
    since: date
    until: date

    @model_validator(mode="after")
    def _order(self) -> ReportPeriod:
        if self.until < self.since:
            raise ValueError(f"the period ends ({self.until}) before it starts ({self.since})")
        return self

    @property
    def start(self) -> datetime:
        return datetime.combine(self.since, time.min, tzinfo=timezone.utc)

    @property
    def stop(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.until + timedelta(days=1), time.min, tzinfo=timezone.utc)

    def covers(self, moment: str | float | datetime | None) -> bool:
        """Whether an ISO time (naive = UTC), an epoch or a datetime falls in the period."""
        found = as_utc(moment)
        return found is not None and self.start <= found < self.stop


def as_utc(moment: str | float | datetime | None) -> datetime | None:
    if moment is None or moment == "":
        return None
    try:
        if isinstance(moment, int | float):
            return datetime.fromtimestamp(float(moment), tz=timezone.utc)
        found = moment if isinstance(moment, datetime) else datetime.fromisoformat(str(moment))
    except (ValueError, OSError, OverflowError):
        return None
    return found.replace(tzinfo=timezone.utc) if found.tzinfo is None else found.astimezone(timezone.utc)


def report_period(
    plan: Any, kind: str, since: date | None = None, until: date | None = None, today: date | None = None
) -> ReportPeriod:
    """The default period: a ``periodic`` report covers the plan's reporting cadence up to today
    (not before the trial's start); a ``final`` one the whole trial, from its start to today."""
    if kind not in ("periodic", "final"):
        raise ConfigError(f"unknown report period {kind!r}; use periodic or final")
    today = today or datetime.now(timezone.utc).date()
    end = until or today
    if since is None:
        if kind == "final":
            since = plan.start if plan is not None else end - timedelta(days=29)
        else:
            cadence = plan.reporting_cadence_days if plan is not None else 7
            since = end - timedelta(days=cadence - 1)
            if plan is not None and plan.start <= end:
                since = max(since, plan.start)
    if end < since:
        raise ConfigError(f"invalid report period: it ends ({end}) before it starts ({since})")
    return ReportPeriod(kind=kind, since=since, until=end)  # type: ignore[arg-type]


# --- the sources -----------------------------------------------------------------------------


def _actions(row: dict[str, Any]) -> list[dict[str, Any]]:
    return [g for g in row.get("guardrails") or [] if isinstance(g, dict)]


def usage_facts(rows: list[dict[str, Any]], period: ReportPeriod) -> dict[str, Any]:
    """Questions, refusals by rule, escalations, errors, participants and latency in the period."""
    requests = [r for r in rows if r.get("event", "answer") in REQUEST_EVENTS and period.covers(r.get("ts"))]
    refused_by_rule: Counter[str] = Counter()
    escalated_by_rule: Counter[str] = Counter()
    for row in requests:
        for g in _actions(row):
            if g.get("action") == "escalate":
                escalated_by_rule[str(g.get("rule"))] += 1
            elif g.get("action") == "block" and row.get("refused"):
                refused_by_rule[str(g.get("rule"))] += 1
    refused = sum(bool(r.get("refused")) for r in requests)
    latencies = sorted(float(r.get("latency_ms") or 0) for r in requests if r.get("event", "answer") == "answer")
    participants = {(str(r.get("role")), str(r.get("key_id"))) for r in requests}
    by_role = Counter(role for role, _ in participants)
    per_day = Counter(str(r.get("ts", ""))[:10] for r in requests)
    return {
        "questions": len(requests),
        "answered": sum(r.get("event", "answer") == "answer" and not r.get("refused") for r in requests),
        "refused": refused,
        "refused_by_rule": dict(refused_by_rule.most_common()),
        "escalated": sum(any(g.get("action") == "escalate" for g in _actions(r)) for r in requests),
        "escalated_by_rule": dict(escalated_by_rule.most_common()),
        "errors": sum(r.get("event") == "error" for r in requests),
        "aborted": sum(r.get("event") == "aborted" for r in requests),
        "participants": len(participants),
        "participants_by_role": dict(sorted(by_role.items())),
        "latency_ms_p50": round(statistics.median(latencies), 1) if latencies else None,
        "latency_ms_p95": round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 1) if latencies else None,
        "per_day": dict(sorted(per_day.items())),
    }


def state_changes(rows: list[dict[str, Any]], period: ReportPeriod) -> list[dict[str, Any]]:
    """The trial's state changes and decisions as the audit trail records them (who, when, why)."""
    out = []
    for row in rows:
        if row.get("event") != "trial" or not period.covers(row.get("ts")):
            continue
        note = (_actions(row) or [{}])[0]
        out.append({"seq": row.get("seq"), "time": row.get("ts"), "by": f"{row.get('key_id')} ({row.get('role')})",
                    "action": str(note.get("action", "")), "message": str(note.get("message", ""))})  # fmt: skip
    return out


def incident_facts(incidents: list[dict[str, Any]], period: ReportPeriod) -> dict[str, Any]:
    found = [i for i in incidents if period.covers(i.get("time"))]
    table: dict[str, dict[str, int]] = {}
    for item in found:
        by_status = table.setdefault(item["severity"], {"open": 0, "acknowledged": 0, "resolved": 0})
        by_status[item["status"]] = by_status.get(item["status"], 0) + 1
    now = datetime.now(timezone.utc)
    overdue = [i["id"] for i in found if i["status"] != "resolved" and (as_utc(i.get("deadline")) or now) < now]
    return {"total": len(found), "by_severity": table, "by_kind": dict(Counter(i["kind"] for i in found)),
            "overdue": overdue, "items": found[:200]}  # fmt: skip


def feedback_facts(sandbox: Any, period: ReportPeriod) -> dict[str, Any]:
    from aulac_rag.feedback import FeedbackStore

    path = Path(sandbox.home) / "feedback.sqlite"
    if not path.exists():
        return {"up": 0, "down": 0, "comments": []}
    store = FeedbackStore(path)
    try:
        entries = [e for e in store.entries(sandbox.name, limit=100_000) if period.covers(e.time)]
    finally:
        store.close()
    comments = [
        {"time": datetime.fromtimestamp(e.time, tz=timezone.utc).isoformat(timespec="seconds"), "question": e.question,
         "answer": e.answer[:400], "comment": e.comment}
        for e in entries if e.rating == "down" and e.comment.strip()
    ]  # fmt: skip
    return {"up": sum(e.rating == "up" for e in entries), "down": sum(e.rating == "down" for e in entries),
            "comments": comments[:100]}  # fmt: skip


def latest_full_run(home: Path, sandbox: str, until: datetime | None = None) -> tuple[Any, Path] | None:
    """The newest evaluation run that covered the whole evaluation set (and finished by ``until``)."""
    from aulac_rag.errors import EvaluationError
    from aulac_rag.evaluation.runs import RUN_FILE, load_run, runs_root

    root = runs_root(home, sandbox)
    if not root.is_dir():
        return None
    found = []
    for folder in root.iterdir():
        if not (folder / RUN_FILE).is_file():
            continue
        try:
            run = load_run(folder)
        except EvaluationError:
            continue
        settings = run.settings or {}
        if settings.get("limit") or len(run.items) < int(settings.get("eval_set_size") or len(run.items)):
            continue  # a partial run never stands for the trial
        finished = as_utc(run.finished_at)
        if until is not None and finished is not None and finished >= until:
            continue
        found.append((run.finished_at, folder.name, folder, run))
    if not found:
        return None
    _, _, folder, run = max(found, key=lambda item: (item[0], item[1]))
    return run, folder


def evaluation_facts(sandbox: Any, plan: Any, period: ReportPeriod) -> dict[str, Any]:
    """The latest full run against the plan's exit criteria (``met``: None when nothing was measured)."""
    from aulac_rag.evaluation import specs

    found = latest_full_run(Path(sandbox.home), sandbox.name, period.stop)
    criteria = dict(plan.exit_criteria) if plan is not None else {}
    if found is None:
        rows = [{"name": n, "value": None, "threshold": t, "lower_is_better": False, "met": None} for n, t in criteria.items()]
        return {"run": None, "criteria": rows, "met": None}
    run, folder = found
    measured = {c.name: c.value for c in run.checks}
    rows = []
    for name, target in criteria.items():
        lower = specs.spec(name).lower_is_better if name in specs.metric_specs.names() else False
        value = measured.get(name)
        met = None if value is None else (value <= target if lower else value >= target)
        rows.append({"name": name, "value": value, "threshold": target, "lower_is_better": lower, "met": met})
    all_met = None if not rows or any(r["met"] is None for r in rows) else all(r["met"] for r in rows)
    return {
        "run": {"folder": str(folder), "finished_at": run.finished_at, "items": len(run.items), "passed": run.passed,
                "checks": [c.to_dict() for c in run.checks]},
        "criteria": rows,
        "met": all_met,
    }  # fmt: skip


def records_facts(sandbox: Any, log: Any, period: ReportPeriod) -> dict[str, Any]:
    """Policy and prompt versions, the audit chain's integrity and, with a key, its signed head."""
    from aulac_rag.audit.chain import GENESIS
    from aulac_rag.audit.checkpoint import KEY_ENV, load_key, make_checkpoint
    from aulac_rag.policy_versions import PolicyHistory

    history = PolicyHistory.of(sandbox)
    versions = [v.model_dump() for v in history.versions()]
    current = {v.kind: v.model_dump() for v in history.current().values()}
    report = log.verify(sandbox.name)
    head = report.heads.get(sandbox.name) or {"seq": 0, "row_hash": GENESIS}
    checkpoint, note = None, ""
    if not report.ok:
        note = "chuỗi băm có vấn đề: không ký điểm kiểm tra"
    elif os.environ.get(KEY_ENV):
        try:
            checkpoint = make_checkpoint(sandbox.name, head, load_key()).model_dump()
        except AulacError as exc:
            note = str(exc)
    else:
        note = f"chưa cấu hình khóa ký ({KEY_ENV}); tạo bằng: aulac audit keygen --out KEYFILE"
    return {
        "versions": [v for v in versions if period.covers(v["time"])],
        "current": current,
        "audit": {"ok": report.ok, "rows": report.rows, "problems": [str(p) for p in report.problems][:20],
                  "head": head},
        "checkpoint": checkpoint,
        "checkpoint_note": note,
    }  # fmt: skip


def collect_trial_facts(sandbox: Any, period: ReportPeriod) -> dict[str, Any]:
    """Everything a periodic or final report states (``trial-report.json``)."""
    from aulac_rag import __version__
    from aulac_rag.audit import AuditLog
    from aulac_rag.incidents import IncidentStore
    from aulac_rag.pipeline import config_hash
    from aulac_rag.trial import trial_of

    trial = trial_of(sandbox)
    plan = trial.plan
    log = AuditLog.for_home(sandbox.home)
    rows = log.rows(sandbox.name)
    incidents = [i.model_dump() for i in IncidentStore.for_home(sandbox.home).find(sandbox.name, "all")]
    history = trial.history()
    decisions = [c.model_dump() for c in history if c.decision and (period.kind == "final" or period.covers(c.time))]
    moment = datetime.now(timezone.utc)
    return {
        "kind": "trial_report",
        "version": 1,
        "sandbox": sandbox.name,
        "domain": sandbox.config.domain,
        "period": period.model_dump(mode="json"),
        "generated_at": moment.isoformat(timespec="seconds"),
        "aulac_rag": __version__,
        "config_hash": config_hash(sandbox.config),
        "status": trial.status().model_dump(mode="json"),
        "plan": plan.model_dump(mode="json") if plan is not None else None,
        "state_changes": state_changes(rows, period),
        "usage": usage_facts(rows, period),
        "incidents": incident_facts(incidents, period),
        "open_incidents_now": sum(i["status"] != "resolved" for i in incidents),
        "feedback": feedback_facts(sandbox, period),
        "evaluation": evaluation_facts(sandbox, plan, period),
        "decisions": decisions,
        "records": records_facts(sandbox, log, period),
    }
