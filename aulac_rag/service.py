"""The application, once: the sandboxes of one AULAC_HOME, opened once and shared.

The API's routes, the chat app's local mode and the CLI's owner-aware commands are
thin adapters over :class:`SandboxService`. It keeps one :class:`~aulac_rag.sandbox.Sandbox`
and one answer pipeline per sandbox, and one readers–writer lock per index: retrievals
(questions, evaluation) run concurrently, an ingestion or a deletion waits for them and
holds the index alone. Permissions are :func:`aulac_rag.keys.check_access`.

    service = SandboxService()                       # AULAC_HOME
    stream = service.ask("healthcare", "…", caller=Caller(key_id="ui", role="ui"))
    summary = service.ingest("healthcare", ["./docs"])
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from aulac_rag.audit import AuditEntry, AuditLog
from aulac_rag.errors import ConfigError
from aulac_rag.home import resolve_home
from aulac_rag.incidents import Incident, IncidentStore
from aulac_rag.pipeline import AnswerPipeline, AnswerStream, Caller, Retriever, build_pipeline
from aulac_rag.policy_versions import PolicyHistory, PolicyVersion
from aulac_rag.retrieval.types import RetrievalResult
from aulac_rag.rwlock import ReadWriteLock
from aulac_rag.trial import TrialStatus, trial_of

if TYPE_CHECKING:
    from aulac_rag.audit.signed_export import AuditExport
    from aulac_rag.generation import Turn
    from aulac_rag.ingest.pipeline import IngestSummary
    from aulac_rag.sandbox import Sandbox


class SandboxService:
    """Sandboxes of one AULAC_HOME behind one cache and one lock per index (see the module docstring)."""

    def __init__(self, home: str | Path | None = None) -> None:
        self.home = resolve_home(home)
        self.audit_log = AuditLog.for_home(self.home)
        self._sandboxes: dict[str, Sandbox] = {}
        self._pipelines: dict[str, AnswerPipeline] = {}
        self._index_locks: dict[str, ReadWriteLock] = {}
        self._lock = threading.Lock()

    # --- lifecycle -------------------------------------------------------------------------

    def sandbox(self, name: str) -> Sandbox:
        """The sandbox, opened once (SandboxNotFound when there is none)."""
        with self._lock:
            if name not in self._sandboxes:
                from aulac_rag.sandbox import Sandbox

                box = Sandbox(name, home=self.home)
                self._record_versions(box, None)  # the policy and prompt that will answer (fail closed)
                self._sandboxes[name] = box
                self._index_locks[name] = ReadWriteLock()
            return self._sandboxes[name]

    def _record_versions(self, box: Sandbox, caller: Caller | None) -> list[PolicyVersion]:
        """Record changed policy, prompt, settings or trial plan files (audited as ``policy`` rows)."""
        who = caller or Caller(key_id="system", role="service")
        return PolicyHistory.of(box).record(key_id=who.key_id, role=who.role, audit=self.audit_log)

    def index_lock(self, name: str) -> ReadWriteLock:
        self.sandbox(name)
        return self._index_locks[name]

    def sandboxes(self) -> list[dict[str, Any]]:
        """``[{"name", "domain", "description", "documents", "chunks"}]``."""
        from aulac_rag.sandbox import list_sandboxes

        return [item.to_dict() if hasattr(item, "to_dict") else dict(item) for item in list_sandboxes(home=self.home)]

    def pipeline(self, name: str) -> AnswerPipeline:
        """The sandbox's answer pipeline; its retrievals take the index's read lock."""
        sandbox = self.sandbox(name)
        with self._lock:
            if name not in self._pipelines:
                retrieve = _locked(sandbox.retrieve, self._index_locks[name])
                self._pipelines[name] = build_pipeline(sandbox, audit=self.audit_log, retrieve=retrieve)
            return self._pipelines[name]

    def close(self) -> None:
        with self._lock:
            for sandbox in self._sandboxes.values():
                sandbox.close()
            self._sandboxes.clear()
            self._pipelines.clear()

    # --- questions -------------------------------------------------------------------------

    def ask(
        self,
        name: str,
        question: str,
        history: Sequence[Turn] = (),
        *,
        caller: Caller,
        k: int | None = None,
        filters: dict[str, Any] | None = None,
    ) -> AnswerStream:
        return self.pipeline(name).stream(question, history, k=k, filters=filters, caller=caller)

    def retrieve(
        self, name: str, query: str, k: int | None = None, filters: dict[str, Any] | None = None
    ) -> RetrievalResult:
        sandbox = self.sandbox(name)
        with self.index_lock(name).read():
            return sandbox.retrieve(query, k=k, filters=filters)

    def retrieve_batch(self, name: str, queries: list[str], k: int | None = None) -> list[RetrievalResult]:
        sandbox = self.sandbox(name)
        with self.index_lock(name).read():
            return sandbox.retrieve_batch(queries, k=k)

    # --- the knowledge base ----------------------------------------------------------------

    def ingest(
        self,
        name: str,
        paths: Sequence[str] = (),
        *,
        prune: bool = False,
        demo: bool = False,
        caller: Caller | None = None,
    ) -> IngestSummary:
        """Files, folders, URLs (or the bundled demo corpus); holds the index alone while it writes.
        What changed is written to the audit trail (event ``document``)."""
        sandbox = self.sandbox(name)
        with self.index_lock(name).write():
            if demo:
                summary = sandbox.ingest_demo(prune=True, progress=False)
            else:
                summary = sandbox.ingest(list(paths), prune=prune, progress=False)
        if summary.documents or summary.pruned or summary.errors:
            message = (
                f"ingest: {summary.documents} documents ({summary.chunks} chunks) indexed, {summary.skipped} "
                f"unchanged, {summary.pruned} removed, {len(summary.errors)} errors"
            )
            self._audit_event(name, caller, "document", "ingest", message)
        return summary

    def documents(self, name: str) -> list[dict[str, Any]]:
        """``[{"doc_id", "title", "chunks", "updated_at", "flags"}]`` (flags: document-scan rules that fired)."""
        sandbox = self.sandbox(name)
        with self.index_lock(name).read():
            records = sandbox.documents()
            findings = sandbox.manifest.findings()
        return [
            {"doc_id": r.doc_id, "title": r.title, "chunks": r.chunks, "updated_at": r.updated_at,
             "flags": sorted({f["rule"] for f in findings.get(r.doc_id, [])})}
            for r in records
        ]  # fmt: skip

    def delete_document(self, name: str, doc_id: str, *, caller: Caller | None = None) -> bool:
        sandbox = self.sandbox(name)
        with self.index_lock(name).write():
            deleted = sandbox.delete_document(doc_id)
        if deleted:
            self._audit_event(name, caller, "document", "delete", f"deleted document {doc_id}")
        return deleted

    # --- feedback --------------------------------------------------------------------------

    def feedback(self, name: str, limit: int = 200) -> list[dict[str, Any]]:
        """The sandbox's 👍/👎 with their comments, questions and answers (PII masked), newest first."""
        from aulac_rag.feedback import FeedbackStore

        self.sandbox(name)
        store = FeedbackStore.for_home(self.home)
        try:
            return [entry.to_dict() for entry in store.entries(name, limit)]
        finally:
            store.close()

    def add_feedback(
        self, name: str, question: str, answer: str, rating: str, comment: str = "", *, caller: Caller
    ) -> int:
        """Store a 👍/👎 (PII masked by the store); a 👎 with a comment opens a ``feedback`` incident."""
        from aulac_rag.feedback import FeedbackStore

        self.sandbox(name)
        store = FeedbackStore.for_home(self.home)
        try:
            feedback_id = store.add(name, question, answer, rating, comment, caller.key_id)
        finally:
            store.close()
        if rating == "down" and comment.strip():
            pipeline = self.pipeline(name)
            assert pipeline.incidents is not None  # build_pipeline always gives one
            masked = pipeline.guard.mask_pii(f"{comment.strip()} — câu hỏi: {question}")
            pipeline.incidents.run("feedback", masked[:400], 0)
        return feedback_id

    def _audit_event(self, name: str, caller: Caller | None, event: str, action: str, message: str) -> None:
        who = caller or Caller()
        note = {"rule": event, "action": action, "message": message}
        self.audit_log.append(
            AuditEntry(sandbox=name, key_id=who.key_id, role=who.role, question="", retrieved=[],
                       guardrails=[note], answer="", refused=False, mode="", backend="", model="",
                       config_hash="", latency_ms=0.0, event=event)
        )  # fmt: skip

    # --- the controlled trial ----------------------------------------------------------------

    def trial(self, name: str) -> TrialStatus:
        return trial_of(self.sandbox(name)).status()

    def change_trial(self, name: str, action: str, *, caller: Caller, reason: str = "") -> TrialStatus:
        """Suspend, resume, approve, start or end the trial; the change goes to the audit trail too."""
        trial = trial_of(self.sandbox(name))
        change = trial.change(action, by=f"{caller.key_id} ({caller.role})", reason=reason)
        self._audit_event(name, caller, "trial", action, f"→ {change.state}: {change.reason}".strip())
        return trial.status()

    def trial_check(self, name: str, *, caller: Caller, limit: int | None = None) -> TrialCheck:
        """The scheduled check of a running trial (``aulac trial check``, e.g. from cron): run the evaluation
        set and the red-team suite, compare with the plan's exit criteria and with the previous full
        run (drift), open an ``evaluation_breach`` incident per criterion not met, and audit the check.
        ``limit`` runs part of the set: such a run is marked partial and never becomes a report's headline."""
        from datetime import datetime, timezone

        from aulac_rag.report.trial_facts import ReportPeriod, evaluation_facts
        from aulac_rag.trial import incident_rule

        box = self.sandbox(name)
        plan = trial_of(box).plan
        now = datetime.now(timezone.utc)
        period = ReportPeriod(kind="periodic", since=date(2000, 1, 1), until=now.date())
        before = evaluation_facts(box, plan, period)
        previous = {c["name"]: c["value"] for c in (before["run"] or {}).get("checks", [])}
        run, summary = self.evaluate(name, limit=limit)
        measured = {c.name: c.value for c in run.checks}
        lower = {c.name: c.lower_is_better for c in run.checks}
        criteria = []
        for metric, target in (plan.exit_criteria if plan is not None else {}).items():
            value = measured.get(metric)
            met = None if value is None else (value <= target if lower.get(metric) else value >= target)
            criteria.append(CriterionResult(name=metric, value=value, threshold=target, met=met))
        drift = {
            metric: DriftEntry(previous=previous.get(metric), current=value)
            for metric, value in measured.items()
            if value is not None
        }
        opened: list[int] = []
        if limit is None:  # a partial run says nothing about the trial as a whole: no incident from it
            rule = incident_rule(plan.incidents if plan is not None else {}, "evaluation_breach")
            store = IncidentStore.for_home(self.home)
            for item in criteria:
                if item.met is False:
                    text = (f"Kiểm tra định kỳ: chỉ số {item.name} = {item.value:.3f} chưa đạt ngưỡng "
                            f"{item.threshold:g} của kế hoạch thử nghiệm ({summary['run_dir']}).")  # fmt: skip
                    opened.append(store.open(name, "evaluation_breach", rule.severity, text,
                                             deadline_hours=rule.deadline_hours).id)  # fmt: skip
        met = None if not criteria or any(c.met is None for c in criteria) else all(c.met for c in criteria)
        check = TrialCheck(
            sandbox=name, time=now.isoformat(timespec="seconds"), partial=limit is not None, items=len(run.items),
            run_dir=str(summary["run_dir"]), criteria=criteria, met=met, drift=drift, incidents=opened,
        )  # fmt: skip
        verdict = "đạt" if met else ("chưa đủ số liệu" if met is None else "KHÔNG đạt")
        self._audit_event(name, caller, "trial", "check", f"kiểm tra định kỳ: {verdict}; sự cố mở: {len(opened)}")
        return check

    def decide_trial(self, name: str, decision: str, *, caller: Caller, note: str = "") -> TrialStatus:
        """Record the regulator's decision on the trial (audited as a ``trial`` event)."""
        trial = trial_of(self.sandbox(name))
        change = trial.decide(decision, by=f"{caller.key_id} ({caller.role})", note=note)
        self._audit_event(name, caller, "trial", f"decide:{decision}", f"→ {change.state}: {change.reason}".strip())
        return trial.status()

    def policy_history(self, name: str, *, caller: Caller | None = None) -> list[PolicyVersion]:
        """The versions of the sandbox's policy, prompt, settings and trial plan, oldest first; a change
        since the last recorded version is recorded (and audited) first."""
        box = self.sandbox(name)
        self._record_versions(box, caller)
        return PolicyHistory.of(box).versions()

    def trial_report(
        self, name: str, period: str = "periodic", *, since: date | None = None, until: date | None = None,
        caller: Caller | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """The facts of a ``periodic`` or ``final`` trial report (render them with
        :func:`aulac_rag.report.trial_report.render_trial_report`)."""
        from aulac_rag.report.trial_facts import collect_trial_facts, report_period

        box = self.sandbox(name)
        self._record_versions(box, caller)
        return collect_trial_facts(box, report_period(trial_of(box).plan, period, since, until))

    def write_trial_reports(
        self, name: str, period: str = "periodic", *, since: date | None = None, until: date | None = None,
        caller: Caller | None = None, formats: Sequence[str] | None = None,
    ) -> dict[str, Path]:  # fmt: skip
        """Write the report in each format under ``AULAC_HOME/reports/NAME/trial/``; format → path. By
        default HTML, JSON and, where fpdf2 and a Unicode font are installed, PDF."""
        from datetime import datetime, timezone

        from aulac_rag.report.pdf import pdf_unavailable
        from aulac_rag.report.trial_report import trial_reports_dir, write_trial_report

        if formats is None:
            formats = ("html", "json") if pdf_unavailable() else ("html", "pdf", "json")

        facts = self.trial_report(name, period, since=since, until=until, caller=caller)
        stem = f"{period}-{facts['period']['since']}_{facts['period']['until']}-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}"
        folder = trial_reports_dir(self.home, name)
        return {fmt: write_trial_report(facts, folder / f"{stem}.{fmt}") for fmt in formats}

    def trial_reports(self, name: str) -> list[Path]:
        """The trial reports saved for ``name`` (HTML and PDF), newest first."""
        from aulac_rag.report.trial_report import list_trial_reports

        self.sandbox(name)
        return list_trial_reports(self.home, name)

    def audit_export(
        self, name: str, *, since: date | None = None, until: date | None = None, fmt: str = "jsonl"
    ) -> AuditExport:
        """The sandbox's audit rows of a period (UTC days) as ``jsonl`` or ``csv``, with a checkpoint of
        the whole chain's head signed by ``AULAC_AUDIT_KEY`` (AuditError when no key is configured)."""
        from aulac_rag.audit.signed_export import export_period

        self.sandbox(name)
        return export_period(self.audit_log, name, since=since, until=until, fmt=fmt)

    def incidents(self, name: str, status: str = "open") -> list[Incident]:
        self.sandbox(name)  # SandboxNotFound for a wrong name
        return IncidentStore.for_home(self.home).find(name, status)

    def update_incident(
        self, name: str, incident_id: int, *, caller: Caller, status: str | None = None, note: str = ""
    ) -> Incident:
        """Acknowledge, resolve or annotate an incident of ``name``; the note says who."""
        store = IncidentStore.for_home(self.home)
        if not any(i.id == incident_id for i in store.find(name, "all")):
            raise ConfigError(f"sandbox {name!r} has no incident {incident_id}")
        signed = f"{caller.key_id} ({caller.role}): {note.strip()}" if note.strip() else ""
        if status is not None:
            signed = (signed + " " if signed else f"{caller.key_id} ({caller.role}): ") + f"→ {status}"
        return store.update(incident_id, status=status, owner=None, note=signed or None)

    # --- what a regulator reads -------------------------------------------------------------

    def settings(self, name: str) -> dict[str, Any]:
        """The sandbox's definition as files and values: sandbox.yaml, policy, prompt, thresholds, models."""
        from aulac_rag.evaluation import effective_thresholds, metric_specs

        box = self.sandbox(name)
        config = box.config

        def read(relative: str) -> str | None:
            path = box.folder / relative
            return path.read_text(encoding="utf-8") if path.is_file() else None

        configured = dict(config.evaluation.thresholds)
        thresholds = [
            {"name": n, "label": metric_specs.get(n).label, "threshold": v, "from_config": n in configured}
            for n, v in effective_thresholds(configured, list(metric_specs.names())).items()
        ]
        return {
            "name": box.name,
            "domain": config.domain,
            "description": config.description,
            "sandbox_yaml": read("sandbox.yaml"),
            "policy_file": config.guardrails.policy_file,
            "policy": read(config.guardrails.policy_file),
            "prompt_file": config.generation.prompt_file,
            "prompt": read(config.generation.prompt_file),
            "trial_plan": read("trial.yaml"),
            "thresholds": thresholds,
            "generation": {"backend": config.generation.backend, "model": config.generation.model},
            "embedder": config.retrieval.embedder.name,
            "max_file_mb": config.max_file_mb,
        }

    def examples(self, name: str, n: int = 3) -> list[str]:
        """Up to ``n`` example questions for the chat, spread over the sandbox's evaluation set.

        Only well-formed ones (capitalised, with diacritics, ending in "?", short); none when the
        sandbox has no evaluation set (a sandbox created from a template).
        """
        import json

        box = self.sandbox(name)
        path = box.file_path(box.config.evaluation.eval_file)
        if not path.is_file():
            return []
        found = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                item = json.loads(line) if line.strip() else None
            except ValueError:
                continue
            question = str(item.get("question", "")).strip() if isinstance(item, dict) else ""
            if question[:1].isupper() and question.endswith("?") and len(question) <= 90 and not question.isascii():
                found.append(question)
        if len(found) <= n:
            return found
        return [found[round(i * (len(found) - 1) / max(n - 1, 1))] for i in range(n)]

    def reports(self, name: str) -> list[dict[str, Any]]:
        """Saved evaluation runs, newest first: ``{"run", "data"}`` (``data`` is the run's report.json)."""
        import json

        self.sandbox(name)
        root = self.home / "reports" / name
        if not root.is_dir():
            return []
        found = []
        for folder in sorted((p for p in root.iterdir() if (p / "report.json").is_file()), reverse=True):
            try:
                data = json.loads((folder / "report.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            found.append({"run": folder.name, "data": data if isinstance(data, dict) else {}})
        return found

    #: the files of an evaluation run that may be downloaded, and their media types
    REPORT_FILES = {"report.html": "text/html", "report.md": "text/markdown", "report.json": "application/json"}

    def report_file(self, name: str, run: str, file: str) -> bytes | None:
        """One file of a saved evaluation run (``REPORT_FILES``); None when that run has no such file."""
        self.sandbox(name)
        if file not in self.REPORT_FILES or not run or "/" in run or "\\" in run or run.startswith("."):
            return None
        path = self.home / "reports" / name / run / file
        return path.read_bytes() if path.is_file() else None

    # --- evaluation ------------------------------------------------------------------------

    def evaluate(self, name: str, *, out: Path | None = None, log: Callable[[str], None] | None = None,
                 **options: Any) -> tuple[Any, dict[str, Any]]:  # fmt: skip
        """Run the evaluation set (``EvaluationRunner`` options: k, limit, judge, redteam) and write the
        reports; returns the run and the ``aulac eval --json`` summary."""
        from aulac_rag.evaluation import EvaluationRunner, new_run_dir
        from aulac_rag.report import write_eval_report

        sandbox = self.sandbox(name)
        with self.index_lock(name).read():
            run = EvaluationRunner(sandbox, log=log, **options).run()
        folder = out if out is not None else new_run_dir(sandbox.home, sandbox.name)
        paths = write_eval_report(run, folder)
        summary = {
            **run.summary(),
            "report": str(paths["md"]),
            "html": str(paths["html"]),
            "json": str(paths["json"]),
            "run_dir": str(folder),
            "k": run.k,
            "items": len(run.items),
            "modes": run.settings.get("modes", {}),
            "skipped": run.skipped,
        }
        return run, summary


class CriterionResult(BaseModel):
    """One exit criterion of the trial plan against the latest check."""

    name: str
    value: float | None
    threshold: float
    met: bool | None


class DriftEntry(BaseModel):
    """A metric at the previous full run and now."""

    previous: float | None
    current: float

    @property
    def delta(self) -> float | None:
        return None if self.previous is None else self.current - self.previous


class TrialCheck(BaseModel):
    """What ``aulac trial check`` found (``--json``)."""

    sandbox: str
    time: str
    partial: bool
    items: int
    run_dir: str
    criteria: list[CriterionResult]
    met: bool | None
    drift: dict[str, DriftEntry]
    incidents: list[int]


def _locked(retrieve: Retriever, lock: ReadWriteLock) -> Retriever:
    def locked_retrieve(query: str, k: int | None = None, filters: dict[str, Any] | None = None) -> RetrievalResult:
        with lock.read():
            return retrieve(query, k=k, filters=filters)

    return locked_retrieve
