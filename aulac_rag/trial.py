"""The controlled trial of a sandbox (Law on AI 134/2025/QH15, Art. 21): its plan, its state, the stop button.

``trial.yaml`` beside ``sandbox.yaml`` is the plan (:class:`TrialPlan`, validated; its fields are
data, since the decree that details the dossier may change them). A sandbox without one is in
``development`` use: it answers as before, and says so. States: ``draft → approved → running →
suspended → ended``. The plan gives the starting state; every change (who, when, why) is kept in
``AULAC_HOME/state/<sandbox>/trial_state.json`` and written to the audit trail. A sandbox with a plan
answers only while it is ``running`` and today is inside its period; otherwise every path (CLI, API,
chat app) refuses with :class:`TrialNotRunning` (HTTP 423) and a Vietnamese message.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from aulac_rag.errors import AulacError, ConfigError

TRIAL_FILE = "trial.yaml"
State = Literal["development", "draft", "approved", "running", "suspended", "ended"]
Severity = Literal["low", "medium", "high", "critical"]

#: Which state changes a command may make: (from, to).
TRANSITIONS: dict[str, set[str]] = {
    "approve": {"draft"},
    "start": {"approved"},
    "suspend": {"approved", "running"},
    "resume": {"suspended"},
    "end": {"approved", "running", "suspended"},
}
#: The states in Vietnamese, for every screen and report.
STATE_LABELS: dict[str, str] = {
    "development": "phát triển (chưa có kế hoạch thử nghiệm)",
    "draft": "bản nháp",
    "approved": "đã phê duyệt",
    "running": "đang chạy",
    "suspended": "tạm dừng",
    "ended": "đã kết thúc",
}
_TARGET = {"approve": "approved", "start": "running", "suspend": "suspended", "resume": "running", "end": "ended"}


class TrialNotRunning(AulacError):
    """The sandbox has a trial plan and is not running now (suspended, ended, or outside its period)."""


class _Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Contact(_Plan):
    name: str
    role: str = ""
    email: str = ""


class Risk(_Plan):
    risk: str
    controls: list[str] = Field(min_length=1)  # guardrail rules, thresholds, human review


class IncidentRule(_Plan):
    severity: Severity
    deadline_hours: int = Field(72, ge=1)  # to acknowledge and handle (Art. 12)


DEFAULT_INCIDENTS: dict[str, IncidentRule] = {
    "escalation": IncidentRule(severity="high", deadline_hours=24),
    "output_refused": IncidentRule(severity="medium", deadline_hours=72),
    "llm_error": IncidentRule(severity="medium", deadline_hours=72),
    "retrieval_error": IncidentRule(severity="medium", deadline_hours=72),
    "feedback": IncidentRule(severity="low", deadline_hours=168),
    "evaluation_breach": IncidentRule(severity="medium", deadline_hours=72),
    "manual": IncidentRule(severity="medium", deadline_hours=72),
}


class Decision(_Plan):
    by: str
    date: date
    decision: str
    note: str = ""


class TrialPlan(_Plan):
    """``trial.yaml``: who runs the trial, for what, at which risk, how long, and how it is judged."""

    organization: str = Field(min_length=1)
    contacts: list[Contact] = Field(default_factory=list)
    purpose: str = Field(min_length=1)
    scope: str = ""  # questions in scope
    users: str = ""  # who takes part
    channels: list[str] = Field(default_factory=lambda: ["web", "api"])
    risk_level: Literal["high", "medium", "low"]
    risk_rationale: str = ""
    start: date
    end: date
    participants_max: int = Field(ge=1)
    state: Literal["draft", "approved", "running", "suspended", "ended"] = "draft"
    risks: list[Risk] = Field(default_factory=list)
    incidents: dict[str, IncidentRule] = Field(default_factory=lambda: dict(DEFAULT_INCIDENTS))
    reporting_cadence_days: int = Field(7, ge=1)
    exit_criteria: dict[str, float] = Field(default_factory=dict)  # metric -> threshold
    disclosure: str = Field(min_length=1)  # shown to every end user (Art. 11.1)
    decision: Decision | None = None

    @model_validator(mode="after")
    def _period(self) -> TrialPlan:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self

    def rule(self, kind: str) -> IncidentRule:
        return incident_rule(self.incidents, kind)


def incident_rule(rules: dict[str, IncidentRule], kind: str) -> IncidentRule:
    """The severity and deadline of an incident ``kind``: the plan's, else the default, else ``manual``'s."""
    return rules.get(kind) or DEFAULT_INCIDENTS.get(kind) or DEFAULT_INCIDENTS["manual"]


class StateChange(BaseModel):
    state: str
    by: str
    time: str
    reason: str = ""
    decision: str = ""  # the regulator's decision, when this change records one (aulac trial decide)


class TrialStatus(BaseModel):
    """``aulac trial show --json``."""

    sandbox: str
    state: State
    start: date | None = None
    end: date | None = None
    organization: str | None = None
    purpose: str | None = None
    participants_max: int | None = None
    risk_level: str | None = None
    answering: bool  # whether the sandbox answers questions now
    message: str  # in Vietnamese: what the state means for its users
    disclosure: str | None = None
    history: list[StateChange] = Field(default_factory=list)
    decision: StateChange | None = None  # the latest recorded decision of the regulator


DECISIONS = ("approve", "extend", "adjust", "end")
#: The regulator's decisions in Vietnamese (Art. 21.2: recognise the results, adjust obligations; Art. 21.3: end).
DECISION_LABELS: dict[str, str] = {"approve": "công nhận kết quả thử nghiệm", "extend": "gia hạn thử nghiệm",
                                   "adjust": "điều chỉnh nghĩa vụ", "end": "chấm dứt thử nghiệm"}  # fmt: skip


def load_plan(folder: Path) -> TrialPlan | None:
    """The sandbox's plan, None when it has none; ConfigError naming the field when it is invalid."""
    path = Path(folder) / TRIAL_FILE
    if not path.is_file():
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return TrialPlan.model_validate(data)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the trial plan: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path}: invalid trial plan: {problems}") from None


class Trial:
    """The trial of one sandbox: its plan (or none), its current state, and the changes made to it."""

    def __init__(self, sandbox: str, folder: Path, home: Path) -> None:
        self.sandbox = sandbox
        self.plan = load_plan(folder)
        self.state_file = Path(home) / "state" / sandbox / "trial_state.json"

    def history(self) -> list[StateChange]:
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{self.state_file}: cannot read the trial's state ({exc})") from exc
        return [StateChange.model_validate(item) for item in data]

    def state(self) -> State:
        if self.plan is None:
            return "development"
        changes = self.history()
        return changes[-1].state if changes else self.plan.state  # type: ignore[return-value]

    def status(self, today: date | None = None) -> TrialStatus:
        state = self.state()
        answering, message = self._verdict(state, today or date.today())
        plan = self.plan
        return TrialStatus(
            sandbox=self.sandbox,
            state=state,
            start=plan.start if plan else None,
            end=plan.end if plan else None,
            organization=plan.organization if plan else None,
            purpose=plan.purpose if plan else None,
            participants_max=plan.participants_max if plan else None,
            risk_level=plan.risk_level if plan else None,
            answering=answering,
            message=message,
            disclosure=plan.disclosure if plan else None,
            history=self.history(),
            decision=next((c for c in reversed(self.history()) if c.decision), None),
        )

    def check(self, today: date | None = None) -> None:
        """TrialNotRunning (Vietnamese) unless the sandbox may answer now."""
        answering, message = self._verdict(self.state(), today or date.today())
        if not answering:
            raise TrialNotRunning(message)

    def change(self, action: str, *, by: str, reason: str = "") -> StateChange:
        """Apply ``action`` (approve, start, suspend, resume, end); ConfigError when it does not apply."""
        if self.plan is None:
            raise ConfigError(f"sandbox {self.sandbox!r} has no trial plan ({TRIAL_FILE}); it is in development use")
        if action not in TRANSITIONS:
            raise ConfigError(f"unknown trial action {action!r}; use one of: {', '.join(TRANSITIONS)}")
        current = self.state()
        if current not in TRANSITIONS[action]:
            raise ConfigError(f"cannot {action} the trial of {self.sandbox!r}: it is {current}")
        if action == "suspend" and not reason.strip():
            raise ConfigError("a suspension needs a reason (--reason TEXT)")
        change = StateChange(
            state=_TARGET[action],
            by=by,
            time=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            reason=reason.strip(),
        )
        self._write([*self.history(), change])
        return change

    def decide(self, decision: str, *, by: str, note: str = "") -> StateChange:
        """Record the regulator's decision on the trial's results (Art. 21): ``approve`` (conformity
        recognised), ``extend``, ``adjust`` (obligations adjusted) or ``end``. ``end`` also ends the trial."""
        if self.plan is None:
            raise ConfigError(f"sandbox {self.sandbox!r} has no trial plan ({TRIAL_FILE}); nothing to decide")
        if decision not in DECISIONS:
            raise ConfigError(f"unknown decision {decision!r}; use one of: {', '.join(DECISIONS)}")
        current = self.state()
        state = "ended" if decision == "end" else current
        change = StateChange(
            state=state,
            by=by,
            time=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            reason=note.strip(),
            decision=decision,
        )
        self._write([*self.history(), change])
        return change

    def _write(self, changes: list[StateChange]) -> None:
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        temp = self.state_file.with_name(f".trial_state-{os.getpid()}.tmp")
        temp.write_text(json.dumps([c.model_dump() for c in changes], ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(temp, self.state_file)

    def _verdict(self, state: str, today: date) -> tuple[bool, str]:
        plan = self.plan
        if plan is None:
            return True, (
                "Sandbox đang ở giai đoạn phát triển, chưa có kế hoạch thử nghiệm có kiểm soát được phê duyệt."
            )
        where = f"Thử nghiệm có kiểm soát của {plan.organization}"
        if state == "suspended":
            return False, f"{where} đang bị tạm dừng; trợ lý tạm thời không trả lời. Vui lòng quay lại sau."
        if state == "ended":
            return False, f"{where} đã kết thúc; trợ lý không còn trả lời câu hỏi."
        if state in ("draft", "approved"):
            return False, f"{where} chưa bắt đầu (trạng thái: {STATE_LABELS[state]}); trợ lý chưa trả lời câu hỏi."
        if today < plan.start:
            return False, f"{where} bắt đầu ngày {plan.start:%d/%m/%Y}; trợ lý chưa trả lời câu hỏi."
        if today > plan.end:
            return False, f"{where} đã hết hạn ngày {plan.end:%d/%m/%Y}; trợ lý không còn trả lời câu hỏi."
        return True, f"{where} đang diễn ra (đến ngày {plan.end:%d/%m/%Y})."


def trial_of(sandbox: Any) -> Trial:
    """The trial of a :class:`~aulac_rag.sandbox.Sandbox` (or anything with name, folder and home)."""
    return Trial(sandbox.name, Path(sandbox.folder), Path(sandbox.home))
