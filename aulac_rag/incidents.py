"""The incident register (Law on AI, Art. 12): what went wrong in a trial, how bad, and who handles it.

``AULAC_HOME/incidents.sqlite`` (mode 0600). Incidents are opened automatically from audit rows
(an escalated question, an answer an output rail refused, an LLM or retrieval failure) or by hand;
each links to its audit row (``sandbox#seq``), takes its severity and deadline from the sandbox's
trial plan, and moves ``open → acknowledged → resolved``. A failure to record one is an error: the
answer that raised it is not delivered (fail closed).
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from aulac_rag.errors import AuditError, ConfigError
from aulac_rag.fileperm import make_private
from aulac_rag.home import resolve_home

INCIDENTS_FILE = "incidents.sqlite"
Status = Literal["open", "acknowledged", "resolved"]
STATUSES: tuple[str, ...] = ("open", "acknowledged", "resolved")
#: The statuses in Vietnamese, for every screen and report.
STATUS_LABELS: dict[str, str] = {"open": "mới", "acknowledged": "đã tiếp nhận", "resolved": "đã xử lý"}
#: Incident kinds and severities in Vietnamese.
KIND_LABELS: dict[str, str] = {
    "escalation": "chuyển khẩn cấp",
    "output_refused": "câu trả lời bị chặn",
    "llm_error": "lỗi mô hình ngôn ngữ",
    "retrieval_error": "lỗi truy xuất",
    "feedback": "phản hồi 👎",
    "evaluation_breach": "không đạt ngưỡng đánh giá",
    "manual": "ghi nhận thủ công",
}
SEVERITY_LABELS: dict[str, str] = {"low": "thấp", "medium": "trung bình", "high": "cao", "critical": "nghiêm trọng"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS incidents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sandbox TEXT NOT NULL,
    time TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    audit_ref TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL,
    owner TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    deadline TEXT NOT NULL
)
"""


class Incident(BaseModel):
    """``aulac incidents --json`` items (CONTRACTS keys, plus owner, notes and deadline)."""

    id: int
    sandbox: str
    time: str
    kind: str
    severity: str
    status: Status
    audit_ref: str
    summary: str
    owner: str = ""
    notes: str = ""
    deadline: str = ""


class IncidentStore:
    """Open, list and update the incidents of one AULAC_HOME."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else resolve_home() / INCIDENTS_FILE

    @classmethod
    def for_home(cls, home: str | Path | None = None) -> IncidentStore:
        return cls(resolve_home(home) / INCIDENTS_FILE)

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            make_private(self.path)
            conn = sqlite3.connect(self.path, timeout=30)
            conn.row_factory = sqlite3.Row
            conn.execute(_SCHEMA)
            return conn
        except sqlite3.Error as exc:
            raise AuditError(f"cannot open the incident register {self.path}: {exc}") from exc

    def open(
        self, sandbox: str, kind: str, severity: str, summary: str, *, audit_ref: str = "", deadline_hours: int = 72
    ) -> Incident:
        now = datetime.now(timezone.utc)
        row = {
            "sandbox": sandbox,
            "time": now.isoformat(timespec="seconds"),
            "kind": kind,
            "severity": severity,
            "status": "open",
            "audit_ref": audit_ref,
            "summary": summary[:500],
            "deadline": (now + timedelta(hours=deadline_hours)).isoformat(timespec="seconds"),
        }
        try:
            with closing(self._connect()) as conn, conn:
                cursor = conn.execute(
                    f"INSERT INTO incidents ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
                    tuple(row.values()),
                )
                new_id = int(cursor.lastrowid or 0)
        except sqlite3.Error as exc:
            raise AuditError(f"cannot record the incident in {self.path}: {exc}") from exc
        return Incident(id=new_id, **row)

    def find(self, sandbox: str | None = None, status: str = "open") -> list[Incident]:
        """Newest first; ``status`` is one of open, acknowledged, resolved, or ``all``."""
        if status != "all" and status not in STATUSES:
            raise ConfigError(f"unknown status {status!r}; use open, acknowledged, resolved or all")
        if not self.path.exists():
            return []
        where, params = [], []
        if sandbox:
            where.append("sandbox = ?")
            params.append(sandbox)
        if status != "all":
            where.append("status = ?")
            params.append(status)
        sql = "SELECT * FROM incidents" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id DESC"
        with closing(self._connect()) as conn:
            return [Incident(**dict(r)) for r in conn.execute(sql, params)]

    def update(self, incident_id: int, *, status: str | None = None, owner: str | None = None,
               note: str | None = None) -> Incident:  # fmt: skip
        """Acknowledge, resolve, assign or annotate (notes are appended, time-stamped)."""
        if status is not None and status not in STATUSES:
            raise ConfigError(f"unknown status {status!r}; use open, acknowledged or resolved")
        with closing(self._connect()) as conn, conn:
            row = conn.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,)).fetchone()
            if row is None:
                raise ConfigError(f"no incident with id {incident_id}; see `aulac incidents SANDBOX --status all`")
            values: dict[str, Any] = {}
            if status is not None:
                values["status"] = status
            if owner is not None:
                values["owner"] = owner
            if note:
                stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
                values["notes"] = (row["notes"] + "\n" if row["notes"] else "") + f"[{stamp}] {note}"
            if values:
                assignments = ", ".join(f"{k} = ?" for k in values)
                conn.execute(f"UPDATE incidents SET {assignments} WHERE id = ?", (*values.values(), incident_id))
            row = conn.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,)).fetchone()
        return Incident(**dict(row))


class IncidentRecorder:
    """Opens the incidents a pipeline's audit rows call for, with the trial plan's severities and deadlines."""

    def __init__(self, store: IncidentStore, sandbox: str, plan: Any = None) -> None:
        self.store = store
        self.sandbox = sandbox
        self.plan = plan  # aulac_rag.trial.TrialPlan | None

    def run(self, kind: str, summary: str, audit_seq: int) -> Incident:
        from aulac_rag.trial import incident_rule

        rule = incident_rule(self.plan.incidents if self.plan is not None else {}, kind)
        ref = f"{self.sandbox}#{audit_seq}" if audit_seq else ""
        return self.store.open(
            self.sandbox, kind, rule.severity, summary, audit_ref=ref, deadline_hours=rule.deadline_hours
        )
