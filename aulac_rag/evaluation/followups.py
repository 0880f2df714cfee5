"""Follow-up evaluation: is the second turn of a conversation found, asked three ways?

``sandboxes/<name>/followups.jsonl`` holds two-turn conversations::

    {"id", "history": [{"question", "answer"?}], "question", "gold_doc_ids": [...],
     "kind": "dependent" | "switch" | "shift", "split": "dev" | "heldout"}

Each second turn goes through the sandbox's own answer pipeline (guardrails included, audit
off) three ways: ``alone`` (no history), ``concat`` (history, the previous question
prepended: the old rule without an LLM) and ``followup`` (history, the follow-up resolver).
``hit_at_k``: a gold document among the first k documents retrieved for what was searched;
``answered_hit``: that, and the pipeline answered (not refused by a rail, not "not found").
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aulac_rag.errors import ConfigError, EvaluationError
from aulac_rag.evaluation import retrieval_metrics as rm
from aulac_rag.evaluation.runner import CapturingRetriever

Kind = Literal["dependent", "switch", "shift"]
Split = Literal["dev", "heldout"]
Mode = Literal["alone", "concat", "followup"]
MODES: tuple[Mode, ...] = ("alone", "concat", "followup")
FOLLOWUPS_FILE = "followups.jsonl"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FollowupTurn(_Model):
    question: str = Field(min_length=1)
    answer: str = ""


class FollowupItem(_Model):
    """One conversation: earlier turns (oldest first), the follow-up, and the documents that answer it."""

    id: str = Field(min_length=1)
    history: tuple[FollowupTurn, ...] = Field(min_length=1)
    question: str = Field(min_length=1)
    gold_doc_ids: tuple[str, ...] = Field(min_length=1)
    kind: Kind
    split: Split = "dev"


class ModeResult(_Model):
    """The follow-up asked one way: what was searched, and whether it was found and answered."""

    searched: str
    method: str
    hit: float
    rr: float  # reciprocal rank of the first gold document (0 when none in the first k)
    answered_hit: float
    refused: bool


class FollowupRow(_Model):
    id: str
    kind: Kind
    split: Split
    results: dict[Mode, ModeResult]


class FollowupScore(_Model):
    """Mean scores of one group (``kind`` / ``split`` ``all`` for every item) asked one way."""

    split: str
    kind: str
    mode: Mode
    n: int
    hit_at_k: float
    mrr: float
    answered_hit: float


class FollowupReport(_Model):
    sandbox: str
    k: int
    items: int
    scores: tuple[FollowupScore, ...]
    rows: tuple[FollowupRow, ...]

    def score(self, mode: Mode, split: str = "all", kind: str = "all") -> FollowupScore | None:
        return next((s for s in self.scores if (s.mode, s.split, s.kind) == (mode, split, kind)), None)

    def render_text(self) -> str:
        """One line per split and kind: hit@k (answered hit@k) alone / concat / followup."""
        lines = [f"Follow-ups of {self.sandbox!r} ({self.items} conversations), hit@{self.k} (answered):"]
        lines.append(f"{'split':8} {'kind':10} {'n':>3}  " + "  ".join(f"{m:>13}" for m in MODES))
        for split in ("heldout", "dev", "all"):
            for kind in ("dependent", "switch", "shift", "all"):
                cells = [self.score(m, split, kind) for m in MODES]
                if cells[0] is None:
                    continue
                row = "  ".join(f"{c.hit_at_k:>5.2f} ({c.answered_hit:.2f})" for c in cells if c is not None)
                lines.append(f"{split:8} {kind:10} {cells[0].n:>3}  {row}")
        return "\n".join(lines)


def load_followups(path: Path) -> list[FollowupItem]:
    """The conversations of ``path``; errors name the file and line."""
    if not path.is_file():
        raise EvaluationError(
            f"no follow-up set at {path}; write one line per conversation: "
            '{"id", "history": [{"question", "answer"}], "question", "gold_doc_ids": [...], "kind", "split"}'
        )
    items: list[FollowupItem] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = FollowupItem.model_validate(json.loads(line))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise EvaluationError(f"{path}:{number}: {str(exc).splitlines()[0]}") from None
        if item.id in seen:
            raise EvaluationError(f"{path}:{number}: duplicate id {item.id!r}")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise EvaluationError(f"{path}: the follow-up set is empty")
    return items


class FollowupEvaluator:
    """Runs a sandbox's follow-up set through its pipeline three ways (see the module docstring)."""

    def __init__(self, sandbox: Any, *, k: int | None = None, path: Path | None = None, log: Callable[[str], None] | None = None) -> None:
        if k is not None and k < 1:
            raise ConfigError(f"k must be >= 1, got {k!r}")
        self.sandbox = sandbox
        self.k = k or sandbox.config.evaluation.k
        self.path = path or sandbox.file_path(FOLLOWUPS_FILE)
        self.log = log or (lambda message: None)

    def run(self) -> FollowupReport:
        from aulac_rag.generation import QuestionRewriter
        from aulac_rag.pipeline import build_pipeline

        items = load_followups(self.path)
        capture = CapturingRetriever(self.sandbox.retrieve)
        pipeline = build_pipeline(self.sandbox, audit=False, retrieve=capture)
        rewriters = {"concat": QuestionRewriter(None, no_llm="concat"), "followup": pipeline.rewriter}
        if pipeline.rewriter.llm is not None:  # an LLM sandbox: measure the rule without it
            rewriters["followup"] = QuestionRewriter(None, followups=pipeline.rewriter.followups)
        rows: list[FollowupRow] = []
        for number, item in enumerate(items, start=1):
            history = [(t.question, t.answer) for t in item.history]
            results: dict[Mode, ModeResult] = {}
            for mode in MODES:
                pipeline.rewriter = rewriters.get(mode, rewriters["followup"])
                capture.last = None
                answer = pipeline.run(item.question, history if mode != "alone" else (), k=self.k)
                searched = answer.standalone_question or item.question
                retrieval = capture.last or self.sandbox.retrieve(searched, k=self.k)  # a rail stopped it: score anyway
                ranked = [h.doc_id for h in retrieval.hits]
                hit = rm.hit_at_k(ranked, item.gold_doc_ids, self.k)
                rr = rm.reciprocal_rank(ranked, item.gold_doc_ids, self.k)
                found = capture.last is not None and not answer.refused and not any(g.rule == "no_context" for g in answer.guardrails)
                method = "none" if mode == "alone" else ("concat" if mode == "concat" else _method(searched, item.question))
                results[mode] = ModeResult(searched=searched, method=method, hit=hit, rr=rr, answered_hit=hit if found else 0.0, refused=answer.refused)
            rows.append(FollowupRow(id=item.id, kind=item.kind, split=item.split, results=results))
            if number % 10 == 0 or number == len(items):
                self.log(f"follow-ups {number}/{len(items)}")
        return FollowupReport(sandbox=self.sandbox.name, k=self.k, items=len(rows), scores=_scores(rows), rows=tuple(rows))


def _method(searched: str, question: str) -> str:
    return "followup" if searched != question else "standalone"


def _scores(rows: list[FollowupRow]) -> tuple[FollowupScore, ...]:
    out: list[FollowupScore] = []
    for split in ("heldout", "dev", "all"):
        for kind in ("dependent", "switch", "shift", "all"):
            group = [r for r in rows if split in ("all", r.split) and kind in ("all", r.kind)]
            if not group:
                continue
            for mode in MODES:
                out.append(
                    FollowupScore(
                        split=split,
                        kind=kind,
                        mode=mode,
                        n=len(group),
                        hit_at_k=round(statistics.fmean(r.results[mode].hit for r in group), 4),
                        mrr=round(statistics.fmean(r.results[mode].rr for r in group), 4),
                        answered_hit=round(statistics.fmean(r.results[mode].answered_hit for r in group), 4),
                    )
                )
    return tuple(out)
