"""The answer pipeline: input guard → retrieve → prompt → generate (stream) → output check → audit.

``pipeline.run(question)`` returns an :class:`~aulac_rag.pipeline.types.Answer`;
``pipeline.stream(question)`` returns an :class:`AnswerStream` whose iteration yields
the answer's text as it is generated (invented citations already filtered) and whose
``answer()`` gives the final Answer — the CLI, the SSE endpoints and the UI consume it.
Each stage's time is recorded in ``Answer.timings_ms``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from aulac_rag.audit import AuditLog
from aulac_rag.config import GenerationConfig
from aulac_rag.errors import AuditError, GenerationError
from aulac_rag.generation import (
    NOT_FOUND_ANSWER,
    CitationNumbering,
    CitationStreamFilter,
    ExtractiveGenerator,
    Generator,
    PromptBuilder,
    QuestionRewriter,
    Turn,
    load_generator,
    not_found_reply,
)
from aulac_rag.generation.attribution import CitationAttributor, verification_note
from aulac_rag.generation.base import Prompt
from aulac_rag.generation.followup import FollowupResolver
from aulac_rag.guardrails.types import Guard, PassThroughGuard
from aulac_rag.incidents import IncidentRecorder
from aulac_rag.limits import DEFAULT_LIMITS, check_request
from aulac_rag.pipeline.components import (
    AuditStep,
    GenerateStep,
    Generation,
    HistoryGuardStep,
    InputGuardStep,
    OutputCheckStep,
    RelevanceGate,
    Retriever,
    RetrieveStep,
    SentenceGate,
    only_scope_stops,
    passage_numbering,
)
from aulac_rag.pipeline.types import Answer, Caller, Citation, GuardrailNote, RetrievedRef
from aulac_rag.trial import Trial

#: The reply when an input rail blocks without a message of its own.
DEFAULT_REFUSAL = "Xin lỗi, tôi không thể trả lời câu hỏi này trong phạm vi của sandbox."
#: Shown when a follow-up that looked out of scope alone was in scope with the previous turn's context.
SCOPE_FOLLOWUP_NOTICE = "Câu hỏi nối tiếp được hiểu cùng ngữ cảnh câu hỏi trước và nằm trong phạm vi của sandbox."


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)


@dataclass
class StreamState:
    """What one request has gathered so far, handed from :meth:`AnswerPipeline.stream` to its AnswerStream."""

    question: str
    caller: Caller
    generator: Generator
    started: float = field(default_factory=time.perf_counter)
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[GuardrailNote] = field(default_factory=list)
    retrieved: tuple[RetrievedRef, ...] = ()
    standalone: str = ""
    prompt: Prompt | None = None
    generation: Generation | None = None
    answer: Answer | None = None  # set when no generation was needed (refusal, nothing found)
    audit_ref: int = 0  # seq of the ``started`` audit row, once generation is about to begin
    closed: bool = False  # ended without a full answer (aborted or failed)


class AnswerStream:
    """One answer in progress: iterate for text deltas, then ``answer()`` for the result.

    Pre-generation stages have already run (and a ``started`` audit row is written);
    iteration drives generation, and the output check and the closing audit row follow
    once the text is complete. Iterating again replays. A consumer that stops early
    (closing the iterator, or calling :meth:`close`) leaves an ``aborted`` audit row with
    the text released so far; a failure during generation leaves an ``error`` row.
    """

    def __init__(self, pipeline: AnswerPipeline, state: StreamState) -> None:
        self._pipeline = pipeline
        self._state = state
        self._deltas: list[str] = []
        self._answer: Answer | None = state.answer

    def __iter__(self) -> Iterator[str]:
        if self._answer is not None and not self._deltas:
            yield self._answer.answer
            return
        yield from list(self._deltas)
        if self._answer is not None or self._state.closed:
            return
        state = self._state
        assert state.generation is not None and state.prompt is not None
        contexts = state.prompt.contexts
        numbering = passage_numbering(contexts)
        filt = CitationStreamFilter(len(contexts), numbering)
        # a model's sentence without a valid [n] gets the context that supports it, before the rails judge it;
        # the contexts a sentence cites itself are kept only where they support it
        attributor = CitationAttributor([c.text for c in contexts]) if state.generator.mode == "llm" else None
        gate = SentenceGate(self._pipeline.guard, [c.text for c in contexts])
        raw: list[str] = []
        start = time.perf_counter()
        try:
            for chunk in state.generation.chunks:
                raw.append(chunk)
                released = gate.feed(filt.feed(attributor.feed(chunk) if attributor else chunk))
                if released:
                    self._deltas.append(released)
                    yield released
            rest = attributor.flush() if attributor else ""
            tail = gate.feed(filt.feed(rest) + filt.flush()) + gate.flush()
            if tail:
                self._deltas.append(tail)
                yield tail
            state.timings["generate"] = _ms(start)
            state.notes += state.generation.stream_notes()
            if attributor is not None and attributor.attributed:
                state.notes.append(
                    GuardrailNote(
                        rule="citation_attribution",
                        action="notice",
                        message=f"Mô hình không ghi nguồn cho {attributor.attributed} câu; nguồn được gắn theo đoạn tài liệu chứa nội dung đó.",
                    )
                )
            if attributor is not None and attributor.dropped:
                state.notes.append(
                    GuardrailNote(rule="citation_verification", action="notice", message=verification_note(attributor))
                )
            state.notes += [GuardrailNote(rule=r.id, action=r.action, message=r.message) for r in gate.rules]
            self._answer = self._pipeline._finish(state, "".join(gate.released), "".join(raw), numbering)
        except GeneratorExit:
            self._end("aborted", None)
            raise
        except Exception as exc:
            self._end("error", exc)
            raise
        # what the whole-answer rails add (the disclaimer) follows what was already released
        sent = "".join(self._deltas)
        if self._answer.answer.startswith(sent.rstrip()) and len(self._answer.answer) > len(sent.rstrip()):
            extra = self._answer.answer[len(sent.rstrip()) :]
            self._deltas.append(extra)
            yield extra

    def answer(self) -> Answer:
        """The final Answer (finishes generation first if needed)."""
        if self._answer is None:
            for _ in self:
                pass
        if self._answer is None:
            raise GenerationError("the answer was stopped before it was complete")
        return self._answer

    def close(self) -> None:
        """Stop a generation that is still running: the LLM stream is closed and an ``aborted`` row written."""
        if self._answer is None and not self._state.closed and self._state.generation is not None:
            self._end("aborted", None)

    def _end(self, event: str, error: BaseException | None) -> None:
        if self._state.closed or self._answer is not None:
            return
        self._state.closed = True
        chunks = self._state.generation.chunks if self._state.generation is not None else None
        if chunks is not None and hasattr(chunks, "close"):
            chunks.close()  # stops the LLM's HTTP stream
        self._pipeline._record_end(self._state, event, "".join(self._deltas), error)

    @property
    def mode(self) -> str:
        return self._state.generator.mode


class AnswerPipeline:
    """Answers questions about one sandbox with cited text; see the module docstring."""

    def __init__(
        self,
        retrieve: Retriever,
        generator: Generator | None = None,
        *,
        guard: Guard | None = None,
        prompt_builder: PromptBuilder | None = None,
        fallback: Generator | None = None,
        rewriter: QuestionRewriter | None = None,
        min_relevance: float = 0.0,
        min_lexical_relevance: float = 0.0,
        k: int | None = None,
        audit: AuditLog | None = None,
        sandbox: str = "",
        config_hash: str = "",
        trial: Trial | None = None,
        incidents: IncidentRecorder | None = None,
        not_found_hint: str = "",
    ) -> None:
        self.generator = generator or ExtractiveGenerator()
        self.not_found = not_found_reply(not_found_hint)
        self.trial = trial  # answers only while the sandbox's controlled trial runs (None: no check)
        self.incidents = incidents  # opens incidents from escalations, output refusals and failures
        self.guard = guard or PassThroughGuard()
        self.input_guard = InputGuardStep(self.guard)
        self.history_guard = HistoryGuardStep(self.guard)
        self.rewriter = rewriter or QuestionRewriter(None)
        self.retriever = RetrieveStep(retrieve, k)
        self.gate = RelevanceGate(min_relevance, min_lexical_relevance)
        self.prompt_builder = prompt_builder or PromptBuilder()
        self.generate = GenerateStep(self.generator, fallback)
        self.output_check = OutputCheckStep(self.guard, self.not_found)
        self.audit = AuditStep(audit, self.guard, sandbox=sandbox, config_hash=config_hash)
        self.sandbox = sandbox

    @classmethod
    def from_config(
        cls,
        config: GenerationConfig,
        retrieve: Retriever,
        *,
        system_prompt: str | None = None,
        guard: Guard | None = None,
        audit: AuditLog | None = None,
        sandbox: str = "",
        config_hash: str = "",
        k: int | None = None,
        trial: Trial | None = None,
        incidents: IncidentRecorder | None = None,
        followups: FollowupResolver | None = None,
    ) -> AnswerPipeline:
        """A pipeline as ``sandbox.yaml``'s ``generation:`` section describes it.

        ``followups`` decides follow-ups without an LLM (give it the sandbox's embedder for the topic vote).
        """
        generator = load_generator(config)
        fallback = None
        if config.fallback == "extractive" and generator.mode != "extractive":
            fallback = ExtractiveGenerator(max_sentences=config.extractive_sentences)
        builder_args: dict[str, Any] = {
            "temperature": config.temperature,
            "max_tokens": config.max_tokens,
            "max_history_turns": config.max_history_turns,
        }
        builder = PromptBuilder(system_prompt, **builder_args) if system_prompt else PromptBuilder(**builder_args)
        rewriter = QuestionRewriter(generator if config.rewrite_followups else None, followups=followups)
        return cls(
            retrieve,
            generator,
            guard=guard,
            prompt_builder=builder,
            fallback=fallback,
            rewriter=rewriter,
            min_relevance=config.min_relevance,
            min_lexical_relevance=config.min_lexical_relevance,
            k=k,
            audit=audit,
            sandbox=sandbox,
            config_hash=config_hash,
            trial=trial,
            incidents=incidents,
            not_found_hint=config.not_found_hint,
        )

    def run(
        self,
        question: str,
        history: Sequence[Turn] = (),
        *,
        k: int | None = None,
        filters: dict[str, Any] | None = None,
        caller: Caller | None = None,
    ) -> Answer:
        """Answer ``question`` (follow-up of ``history``) in one go."""
        return self.stream(question, history, k=k, filters=filters, caller=caller).answer()

    def stream(
        self,
        question: str,
        history: Sequence[Turn] = (),
        *,
        k: int | None = None,
        filters: dict[str, Any] | None = None,
        caller: Caller | None = None,
    ) -> AnswerStream:
        """Run the stages up to the first generated chunk; iterate the result for the rest.

        A GenerationError without fallback is raised here, before any text is sent.
        """
        state = StreamState(question=question, caller=caller or Caller(), generator=self.generator, standalone=question)
        try:
            self._prepare(state, history, k, filters)
        except AuditError:
            raise  # nothing more can be recorded; the request fails closed
        except Exception as exc:
            self._record_end(state, "error", "", exc)
            raise
        return AnswerStream(self, state)

    def _prepare(
        self, state: StreamState, history: Sequence[Turn], k: int | None, filters: dict[str, Any] | None
    ) -> None:
        """The stages before the first generated chunk; fills ``state`` (``state.answer`` when no LLM is needed)."""
        question, timings = state.question, state.timings
        check_request(question, history, k)
        if self.trial is not None:
            self.trial.check()  # suspended, ended or outside its period: TrialNotRunning (HTTP 423)

        t = time.perf_counter()
        verdict = self.input_guard.run(question)
        timings["input_guard"] = _ms(t)
        state.notes = [GuardrailNote(rule=r.id, action=r.action, message=r.message) for r in verdict.rules]
        # a follow-up ("còn khoản vay thì sao?") is judged in scope with its context: the scope vote waits for the rewrite
        scope_pending = verdict.stops and bool(history) and only_scope_stops(verdict)
        if verdict.stops and not scope_pending:
            state.answer = self._finish_fixed(state, verdict.message or DEFAULT_REFUSAL, refused=True)
            return
        safe_question = verdict.redacted if any(r.action == "redact" for r in verdict.rules) else question

        if history:
            t = time.perf_counter()
            safe = self.history_guard.run(history)
            history = safe.turns
            state.notes += list(safe.notes)
            timings["history_guard"] = _ms(t)

        t = time.perf_counter()
        rewrite = self.rewriter.run(safe_question, history)
        timings["rewrite"] = _ms(t)
        state.standalone = rewrite.question
        if scope_pending and (rewrite.question == safe_question or rewrite.method not in _CONTEXT_REWRITES):
            state.answer = self._finish_fixed(state, verdict.message or DEFAULT_REFUSAL, refused=True)
            return
        if rewrite.question != safe_question:
            # the rewritten question is new text (an LLM wrote it, or turns were joined): it passes the rails too
            checked = self.input_guard.run(rewrite.question)
            if scope_pending:
                if checked.stops:  # out of scope in context too: the first refusal stands
                    state.answer = self._finish_fixed(state, verdict.message or DEFAULT_REFUSAL, refused=True)
                    return
                state.notes = [n for n in state.notes if n.action not in ("block", "escalate")]
                state.notes.append(GuardrailNote(rule="scope_followup", action="notice", message=SCOPE_FOLLOWUP_NOTICE))
            state.notes += [GuardrailNote(rule=r.id, action=r.action, message=r.message) for r in checked.rules if r.action != "redact"]
            if checked.stops:
                state.answer = self._finish_fixed(state, checked.message or DEFAULT_REFUSAL, refused=True)
                return
            if checked.action == "redact":
                rewrite = dataclasses.replace(rewrite, question=checked.redacted)
                state.standalone = rewrite.question
        if rewrite.method == "concat_fallback":
            state.notes.append(
                GuardrailNote(
                    rule="rewrite_fallback",
                    action="notice",
                    message="Không viết lại được câu hỏi nối tiếp bằng LLM; đã ghép với câu hỏi trước.",
                )
            )

        t = time.perf_counter()
        result = self.retriever.run(rewrite.question, k=k, filters=filters)
        timings["retrieve"] = _ms(t)
        if "rerank" in result.timings_ms:  # the reranking stage's share of "retrieve"
            timings["rerank"] = result.timings_ms["rerank"]
        state.retrieved = tuple(RetrievedRef(doc_id=h.doc_id, chunk_id=h.chunk_id, score=h.score) for h in result.hits)
        hits = self.gate.run(rewrite.question, result)
        if not hits:
            state.notes.append(GuardrailNote(rule="no_context", action="notice", message=NOT_FOUND_ANSWER))
            state.answer = self._finish_fixed(state, self.not_found, refused=False)
            return

        t = time.perf_counter()
        state.prompt = self.prompt_builder.run(rewrite.question, hits, history, focus=safe_question)
        timings["prompt"] = _ms(t)

        # the request is on record before the LLM sees it; if it cannot be, nothing is generated
        _, state.audit_ref = self._audit(state, "", (), refused=False, event="started")

        t = time.perf_counter()
        generation = self.generate.run(state.prompt)
        timings["first_chunk"] = _ms(t)
        state.generation = generation
        state.generator = generation.generator
        state.notes += generation.notes

    def _finish_fixed(self, state: StreamState, text: str, *, refused: bool) -> Answer:
        """An answer that needed no generation (refusal, nothing relevant found)."""
        escalated = any(n.action == "escalate" for n in state.notes)
        return self._record(state, text, (), refused=refused, incident="escalation" if escalated else None)

    def _finish(self, state: StreamState, released: str, raw_text: str, numbering: CitationNumbering) -> Answer:
        assert state.prompt is not None
        t = time.perf_counter()
        checked = self.output_check.run(released, state.prompt.contexts, raw=raw_text, numbering=numbering)
        state.timings["output_check"] = _ms(t)
        notes = [n for n in checked.notes if not _has_rule(state.notes, n.rule)]
        state.notes += notes
        incident = "output_refused" if checked.refused else None
        return self._record(state, checked.text, checked.citations, refused=checked.refused, incident=incident)

    def _answer_of(self, state: StreamState, text: str, citations: tuple[Citation, ...], *, refused: bool) -> Answer:
        generator = state.generator
        return Answer(
            answer=text,
            citations=citations,
            guardrails=tuple(state.notes),
            mode=generator.mode,
            refused=refused,
            timings_ms=state.timings,
            backend=generator.name,
            model=generator.model,
            question=state.question,
            standalone_question=state.standalone,
            retrieved=state.retrieved,
            sandbox=self.sandbox,
            disclosure=self.trial.plan.disclosure if self.trial is not None and self.trial.plan else "",
        )

    def _audit(
        self, state: StreamState, text: str, citations: tuple[Citation, ...], *, refused: bool, event: str
    ) -> tuple[Answer, int]:
        """Write the ``event`` row for this state; the answer it records and the row's seq (0: no log)."""
        answer = self._answer_of(state, text, citations, refused=refused)
        latency = (time.perf_counter() - state.started) * 1000
        row = self.audit.run(answer, state.caller, latency_ms=latency, event=event, ref_seq=state.audit_ref)
        return answer, int(row["seq"]) if row else 0

    def _record(
        self,
        state: StreamState,
        text: str,
        citations: tuple[Citation, ...],
        *,
        refused: bool,
        incident: str | None = None,
    ) -> Answer:
        t = time.perf_counter()
        answer, seq = self._audit(state, text, citations, refused=refused, event="answer")
        if incident is not None:
            self._incident(incident, state, seq)
        state.timings["audit"] = _ms(t)
        state.timings["total"] = _ms(state.started)
        return answer.model_copy(update={"timings_ms": dict(state.timings)})

    def _record_end(self, state: StreamState, event: str, released: str, error: BaseException | None) -> None:
        """The row for a request that ended without an answer: ``aborted`` (client left) or ``error``."""
        if error is not None:
            name = type(error).__name__
            state.notes.append(GuardrailNote(rule="request_error", action="error", message=f"{name}: {error}"[:500]))
        if len(state.question) > DEFAULT_LIMITS.max_question_chars:  # an oversized question is kept in part
            state.question = state.question[: DEFAULT_LIMITS.max_question_chars] + " …[cắt bớt]"
        _, seq = self._audit(state, released, (), refused=False, event=event)
        kind = _FAILURE_INCIDENTS.get(type(error).__name__) if error is not None else None
        if kind is not None:
            self._incident(kind, state, seq)

    def _incident(self, kind: str, state: StreamState, audit_seq: int) -> None:
        if self.incidents is None:
            return
        rules = sorted({n.rule for n in state.notes if n.action in ("escalate", "block", "error")})
        question = self.guard.mask_pii(state.question)[:200]
        summary = f"{question}" + (f" — {', '.join(rules)}" if rules else "")
        self.incidents.run(kind, summary, audit_seq)


#: Failures that open an incident (by exception class name, so no import cycle): LLM and index troubles.
_FAILURE_INCIDENTS = {
    "GenerationError": "llm_error",
    "StoreError": "retrieval_error",
    "EmbeddingError": "retrieval_error",
    "RerankError": "retrieval_error",
}


#: Rewrites that carry the previous turn's context on purpose: the scope vote may be taken on them.
_CONTEXT_REWRITES = ("followup", "llm")


def _has_rule(notes: list[GuardrailNote], rule: str) -> bool:
    return any(n.rule == rule for n in notes)
