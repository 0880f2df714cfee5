"""The rule engine: runs a sandbox's input and output rails and implements :class:`Guard`.

Every enabled input rule is evaluated on each question and the strongest action
wins (escalate > block > redact > allow); the reply is the message of the first rule
with that action, in policy order. Rails that need a model (the scope rail's
embedder, the LLM judge) run last and are skipped once a rule rail has already
stopped the question, which keeps blocked questions fast. The redacted text always
has every detected identifier masked: it is what the audit log stores.

Rails fail closed: an exception in any rail (a missing model, a broken classifier)
raises :class:`GuardrailError` and the answer is refused; only rails marked
``fail_open`` (the LLM judge, which only adds recall) are skipped with a warning.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from aulac_rag.errors import GuardrailError
from aulac_rag.guardrails.pii import PiiDetector, PiiSpan
from aulac_rag.guardrails.policy import DocumentPolicy, PolicyModel, build_rails, load_policy
from aulac_rag.guardrails.rails.base import GuardInput, InputRail, OutputRail, RailContext
from aulac_rag.guardrails.rails.pii_rail import PiiRail
from aulac_rag.guardrails.types import ACTION_STRENGTH, OutputVerdict, RuleDecision, Verdict, strongest

log = logging.getLogger(__name__)


class GuardEngine:
    """A sandbox's guardrails (see the module docstring)."""

    def __init__(
        self, inputs: list[InputRail[Any]], outputs: list[OutputRail[Any]], source: str = "", documents: DocumentPolicy | None = None
    ) -> None:
        self.inputs = sorted(inputs, key=lambda r: r.cost == "model")  # stable: rule rails first, policy order kept
        self.outputs = list(outputs)
        self.source = source
        self.documents = documents or DocumentPolicy()
        pii = next((r for r in inputs if isinstance(r, PiiRail)), None)
        self.detector = pii.detector if pii is not None else PiiDetector()
        self._order = {id(r): i for i, r in enumerate(inputs)}
        self._vetoable = {r.spec.id for r in inputs if r.spec.kind in ("domain_harm", "harm", "scope") and r.spec.action == "block"}

    @classmethod
    def from_policy(cls, policy: PolicyModel, context: RailContext | None = None, source: str = "guardrails.yaml") -> GuardEngine:
        inputs, outputs = build_rails(policy, context, source)
        return cls(inputs, outputs, source, policy.documents)

    @classmethod
    def from_file(cls, path: str | Path, context: RailContext | None = None) -> GuardEngine:
        return cls.from_policy(load_policy(Path(path)), context, str(path))

    # --- input -----------------------------------------------------------------
    def check_input(self, text: str) -> Verdict:
        """Run every input rule on ``text``."""
        item = GuardInput(text, self.detector)
        fired: list[tuple[int, RuleDecision]] = []
        for rail in self.inputs:
            if rail.cost == "model" and fired:
                stop = ACTION_STRENGTH["escalate"] if rail.always_run else ACTION_STRENGTH["block"]
                if max(ACTION_STRENGTH[d.action] for _, d in fired) >= stop:
                    continue
            decision = self._run(rail, item)
            if decision is not None:
                fired.append((self._order[id(rail)], decision))
        fired = self._veto(item, fired)
        rules = tuple(d for _, d in sorted(fired, key=lambda x: x[0]))
        action = strongest([d.action for d in rules])
        message = next((d.message for d in rules if d.action == action), None) if action != "allow" else None
        redacted = item.redacted if item.pii else text
        return Verdict(action=action, rules=rules, redacted=redacted, message=message)

    def _veto(self, item: GuardInput, fired: list[tuple[int, RuleDecision]]) -> list[tuple[int, RuleDecision]]:
        """Drop domain-harm and scope *block* rules when the classifier is confident the text is allowed.

        Rules match words; "chạy trường bị phạt thế nào" shares them with a request to do it.
        Escalations, injection and PII rules are never overruled.
        """
        if item.veto_at is None or item.allow_score < item.veto_at:
            return fired
        vetoed = [d for _, d in fired if d.action == "block" and d.id in self._vetoable]
        if not vetoed:
            return fired
        kept = [(i, d) for i, d in fired if d not in vetoed]
        note = RuleDecision(
            id="semantic.veto", action="allow", details={"vetoed": [d.id for d in vetoed], "allow_score": round(item.allow_score, 4)}
        )
        return [*kept, (len(self._order), note)]

    def _run(self, rail: InputRail[Any], item: GuardInput) -> RuleDecision | None:
        started = time.perf_counter()
        try:
            decision = rail.check(item)
        except Exception as exc:  # noqa: BLE001 - fail closed: a rail that fails stops the answer
            if rail.fail_open:
                log.warning("rail %s skipped: %s", rail.spec.id, exc)
                return None
            if isinstance(exc, GuardrailError):
                raise
            raise GuardrailError(f"rail {rail.spec.id!r} failed: {exc}") from exc
        if decision is not None:
            elapsed = round((time.perf_counter() - started) * 1000, 3)
            decision.details.setdefault("ms", elapsed)
            decision.details.setdefault("kind", rail.spec.kind)  # the pipeline re-judges scope on a follow-up
        return decision

    # --- output ----------------------------------------------------------------
    def check_output(self, answer: str, contexts: list[str]) -> OutputVerdict:
        """Apply the output rails in policy order."""
        return self._apply(self.outputs, answer, contexts)

    def check_stream(self, sentence: str, contexts: list[str]) -> OutputVerdict:
        """Apply the rails that judge one sentence alone: what a stream may release now."""
        return self._apply([r for r in self.outputs if r.streamable], sentence, contexts)

    def _apply(self, rails: list[OutputRail[Any]], answer: str, contexts: list[str]) -> OutputVerdict:
        text = answer
        fired: list[RuleDecision] = []
        for rail in rails:
            text, decision = rail.apply(text, contexts)
            if decision is not None:
                fired.append(decision)
        return OutputVerdict(text=text, rules=tuple(fired))

    # --- PII -------------------------------------------------------------------
    def mask_pii(self, text: str) -> str:
        """``text`` with identifiers masked ([CCCD], [SĐT], …) — the audit log's hook."""
        return self.detector.mask(text)

    def pii_spans(self, text: str) -> list[PiiSpan]:
        return self.detector.find(text)
