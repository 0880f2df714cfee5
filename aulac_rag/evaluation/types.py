"""Result types of an evaluation run; ``EvalRun.to_dict()`` is ``report.json``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class EvalItem:
    """One line of ``eval.jsonl``."""

    id: str
    question: str
    reference: str
    reference_doc_ids: tuple[str, ...]
    reference_contexts: tuple[str, ...]


@dataclass(frozen=True)
class RetrievedContext:
    doc_id: str
    chunk_id: str
    score: float
    title: str
    text: str


@dataclass
class ItemResult:
    """What happened on one eval item and its per-item scores (``None``: not computable)."""

    id: str
    question: str
    reference: str
    reference_doc_ids: list[str]
    reference_contexts: list[str]
    answer: str = ""
    mode: str = ""
    refused: bool = False
    guardrails: list[dict[str, Any]] = field(default_factory=list)
    retrieved: list[RetrievedContext] = field(default_factory=list)
    scores: dict[str, float | None] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    latency_ms: float = 0.0

    @property
    def contexts(self) -> list[str]:
        return [c.text for c in self.retrieved]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["retrieved"] = [asdict(c) for c in self.retrieved]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ItemResult:
        data = dict(data)
        data["retrieved"] = [RetrievedContext(**c) for c in data.get("retrieved", [])]
        return cls(**data)


@dataclass(frozen=True)
class MetricCheck:
    """One metric's run-level value against its threshold."""

    name: str
    group: str
    label: str
    value: float | None
    threshold: float
    lower_is_better: bool
    passed: bool
    count: int  # items (or red-team cases) the value is averaged over

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class EvalRun:
    """A finished evaluation run (everything ``report.json`` holds)."""

    sandbox: str
    started_at: str
    finished_at: str
    duration_s: float
    k: int
    settings: dict[str, Any]
    checks: list[MetricCheck]
    items: list[ItemResult]
    skipped: dict[str, str] = field(default_factory=dict)  # metric group → why it did not run
    redteam: dict[str, Any] | None = None
    kind: str = "evaluation"
    version: int = 1

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def metrics(self) -> dict[str, float | None]:
        return {c.name: c.value for c in self.checks}

    @property
    def thresholds(self) -> dict[str, float]:
        return {c.name: c.threshold for c in self.checks}

    def summary(self) -> dict[str, Any]:
        """The ``aulac eval --json`` keys of CONTRACTS.md (without ``report``)."""
        return {"sandbox": self.sandbox, "metrics": self.metrics, "thresholds": self.thresholds, "passed": self.passed}

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "version": self.version,
            **self.summary(),
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_s": self.duration_s,
            "k": self.k,
            "settings": self.settings,
            "checks": [c.to_dict() for c in self.checks],
            "skipped": self.skipped,
            "redteam": self.redteam,
            "items": [i.to_dict() for i in self.items],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvalRun:
        return cls(
            sandbox=data["sandbox"],
            started_at=data.get("started_at", ""),
            finished_at=data.get("finished_at", ""),
            duration_s=float(data.get("duration_s", 0.0)),
            k=int(data.get("k", 0)),
            settings=dict(data.get("settings", {})),
            checks=[MetricCheck(**c) for c in data.get("checks", [])],
            items=[ItemResult.from_dict(i) for i in data.get("items", [])],
            skipped=dict(data.get("skipped", {})),
            redteam=data.get("redteam"),
            kind=data.get("kind", "evaluation"),
            version=int(data.get("version", 1)),
        )
