"""The answer pipeline's components, one job and one ``run()`` each.

InputGuardStep → (QuestionRewriter) → RetrieveStep → RelevanceGate → PromptBuilder →
GenerateStep → OutputCheckStep → AuditStep. Each takes its settings in ``__init__``
(validated, cheap) and its inputs in ``run()``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from aulac_rag.audit import AuditEntry, AuditLog
from aulac_rag.errors import ConfigError, GenerationError
from aulac_rag.generation import (
    NOT_FOUND_ANSWER,
    CitationNumbering,
    Context,
    Generator,
    Prompt,
    Turn,
    check_citations,
    is_not_found,
    renumber_citations,
)
from aulac_rag.generation.lexical import best_sentence, relevance, split_sentences
from aulac_rag.guardrails.rails.answer_rails import sentence_end
from aulac_rag.guardrails.types import Guard, OutputVerdict, RuleDecision, Verdict
from aulac_rag.pipeline.types import Answer, Caller, Citation, GuardrailNote
from aulac_rag.retrieval.types import Hit, RetrievalResult

_QUOTE_CHARS = 300


class Retriever(Protocol):
    """``Sandbox.retrieve``'s shape: any callable with it can feed the pipeline."""

    def __call__(self, query: str, k: int | None = None, filters: dict[str, Any] | None = None) -> RetrievalResult: ...


class InputGuardStep:
    """Runs the input rails on the question."""

    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    def run(self, question: str) -> Verdict:
        return self.guard.check_input(question)


@dataclass(frozen=True)
class SafeHistory:
    """History turns after the input rails: PII masked, turns the rails stop dropped, and why."""

    turns: tuple[Turn, ...]
    notes: tuple[GuardrailNote, ...] = ()


def only_scope_stops(verdict: Verdict) -> bool:
    """True when every rule that stops ``verdict`` is an out-of-scope *block* (the scope rail, or the
    semantic rail's out-of-scope vote): those alone may be judged again on the rewritten follow-up."""
    stops = [r for r in verdict.rules if r.action in ("block", "escalate")]
    return bool(stops) and all(r.action == "block" and _is_scope_rule(r) for r in stops)


def _is_scope_rule(rule: RuleDecision) -> bool:
    return rule.details.get("kind") == "scope" or (
        rule.details.get("kind") == "semantic" and rule.details.get("category") == "out_of_scope"
    )


class HistoryGuardStep:
    """Every earlier turn goes through the input rails before it reaches the rewriter or the LLM.

    Client-sent history is untrusted: a user turn or a forged assistant turn that the rails
    stop (an injection, a harmful request) is dropped, and identifiers in the kept turns
    are masked. The current question is checked separately by :class:`InputGuardStep`.
    """

    def __init__(self, guard: Guard) -> None:
        self.guard = guard

    def run(self, history: Sequence[Turn]) -> SafeHistory:
        kept: list[Turn] = []
        dropped: list[str] = []
        for question, answer in history:
            # an answer is judged line by line: the rails' classifier knows questions and short texts, and a
            # quoted answer with its note and disclaimer read as one text looked like an injection to it.
            # The rule rails also read the whole answer, so a phrase split over two lines is still caught.
            checked = [self._check([question]), self._check(answer.split("\n"))]
            whole = self.guard.check_input(" ".join(answer.split())) if "\n" in answer.strip() else None
            # an out-of-scope vote is no reason to drop a turn ("4,5% tiền lương" alone looks off-topic)
            stops = [v for verdicts, _ in checked for v in verdicts if v.stops and not only_scope_stops(v)]
            fired = [r.id for v in stops for r in v.rules if r.action in ("block", "escalate")]
            if whole is not None and whole.stops and not only_scope_stops(whole):
                fired += [r.id for r in whole.rules if r.action in ("block", "escalate") and r.details.get("kind") != "semantic"]
            if fired:
                dropped += fired
                continue
            kept.append((checked[0][1], checked[1][1]))
        notes: tuple[GuardrailNote, ...] = ()
        if dropped:
            rules = ", ".join(sorted(set(dropped)))
            notes = (GuardrailNote(rule="history_filtered", action="notice", message=f"Đã bỏ {len(history) - len(kept)} lượt hội thoại trước không qua được kiểm duyệt ({rules})."),)
        return SafeHistory(tuple(kept), notes)

    def _check(self, lines: Sequence[str]) -> tuple[list[Verdict], str]:
        """The verdicts of the non-empty ``lines`` and the lines joined again with identifiers masked."""
        verdicts: list[Verdict] = []
        out = []
        for line in lines:
            if not line.strip():
                out.append(line)
                continue
            verdict = self.guard.check_input(line)
            verdicts.append(verdict)
            out.append(verdict.redacted)
        return verdicts, "\n".join(out)


class SentenceGate:
    """Releases streamed text one sentence at a time, each only after the streamable output rails passed it.

    Sentences end where the output rails' own splitter ends them (:func:`sentence_end`).
    """

    def __init__(self, guard: Guard, contexts: Sequence[str]) -> None:
        self.guard = guard
        self.contexts = list(contexts)
        self._buffer = ""
        self.released: list[str] = []
        self.rules: list[RuleDecision] = []

    def feed(self, text: str) -> str:
        self._buffer += text
        out = []
        while (end := sentence_end(self._buffer)) is not None:
            sentence, self._buffer = self._buffer[:end], self._buffer[end:]
            out.append(self._check(sentence))
        return "".join(out)

    def flush(self) -> str:
        sentence, self._buffer = self._buffer, ""
        return self._check(sentence) if sentence else ""

    def _check(self, sentence: str) -> str:
        if not sentence.strip():
            self.released.append(sentence)
            return sentence
        verdict: OutputVerdict = self.guard.check_stream(sentence, self.contexts)
        self.rules += [r for r in verdict.rules if r.id not in {x.id for x in self.rules}]
        text = verdict.text
        if sentence[-1:].isspace() and not text[-1:].isspace():
            text += sentence[len(sentence.rstrip()) :]
        self.released.append(text)
        return text


class RetrieveStep:
    """Retrieves chunks for the (standalone) question; ``k`` None means the sandbox's default."""

    def __init__(self, retrieve: Retriever, k: int | None = None) -> None:
        if not callable(retrieve):
            raise ConfigError(f"retrieve must be callable, got {retrieve!r}")
        if k is not None and k < 1:
            raise ConfigError(f"k must be >= 1, got {k!r}")
        self.retrieve = retrieve
        self.k = k

    def run(self, query: str, k: int | None = None, filters: dict[str, Any] | None = None) -> RetrievalResult:
        return self.retrieve(query, k=k if k is not None else self.k, filters=filters)


class RelevanceGate:
    """Keeps the hits only when something relevant was found, else returns none.

    Two tests: the best retrieval score must reach ``min_relevance`` (a fusion-specific
    scale; 0 disables it), and the best hit must contain at least ``min_lexical`` of the
    question's syllable pairs (:func:`~aulac_rag.generation.lexical.relevance`), which
    works whatever the fusion.
    """

    def __init__(self, min_relevance: float = 0.0, min_lexical: float = 0.0) -> None:
        if not 0 <= min_lexical <= 1:
            raise ConfigError(f"min_lexical_relevance must be in [0, 1], got {min_lexical!r}")
        self.min_relevance = float(min_relevance)
        self.min_lexical = float(min_lexical)

    def run(self, question: str, result: RetrievalResult) -> list[Hit]:
        if not result.hits or result.hits[0].score < self.min_relevance:
            return []
        if self.min_lexical > 0:
            best = max(relevance(question, f"{h.title}\n{h.text}") for h in result.hits)
            if best < self.min_lexical:
                return []
        return list(result.hits)


@dataclass
class Generation:
    """A running generation: its text chunks, and which backend produced them (after any fallback)."""

    chunks: Iterator[str]
    generator: Generator
    notes: list[GuardrailNote] = field(default_factory=list)
    source: Iterator[str] | None = None  # the backend's own stream: its ``notes`` are read once it is done

    def stream_notes(self) -> list[GuardrailNote]:
        """Notes the backend recorded while streaming (e.g. structured output it could not read)."""
        notes = getattr(self.source, "notes", None) or []
        return [GuardrailNote(rule=n.rule, action="notice", message=n.message) for n in notes]


FALLBACK_MESSAGE = (
    "Không kết nối được mô hình ngôn ngữ; câu trả lời dưới đây được trích nguyên văn từ tài liệu (chế độ trích xuất)."
)


class GenerateStep:
    """Streams the answer from ``generator``; on failure before the first chunk uses ``fallback``.

    Without a fallback the :class:`GenerationError` propagates. With one, the switch is
    announced as a ``llm_fallback`` note: never silent.
    """

    def __init__(self, generator: Generator, fallback: Generator | None = None) -> None:
        self.generator = generator
        self.fallback = fallback if fallback is not None and fallback is not generator else None

    def run(self, prompt: Prompt) -> Generation:
        stream = iter(self.generator.stream(prompt))
        try:
            first = next(stream, None)
        except GenerationError as exc:
            if self.fallback is None:
                raise
            note = GuardrailNote(rule="llm_fallback", action="notice", message=f"{FALLBACK_MESSAGE} ({exc})")
            return Generation(iter(self.fallback.stream(prompt)), self.fallback, [note])
        chunks = stream if first is None else _prepend(first, stream)
        return Generation(chunks, self.generator, source=stream)


def _prepend(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


@dataclass(frozen=True)
class OutputCheck:
    """The final answer text, its citations, the notes raised, and whether a rail refused it."""

    text: str
    citations: tuple[Citation, ...]
    notes: tuple[GuardrailNote, ...]
    refused: bool = False


class OutputCheckStep:
    """Validates citations (invented ``[n]`` removed and flagged), runs the output rails, builds quotes."""

    def __init__(self, guard: Guard, not_found: str = NOT_FOUND_ANSWER) -> None:
        self.guard = guard
        self.not_found = not_found  # the whole not-found reply, with the sandbox's next step

    def run(
        self, text: str, contexts: Sequence[Context], raw: str | None = None, numbering: CitationNumbering | None = None
    ) -> OutputCheck:
        """Check ``text``; ``raw`` is the model's unfiltered text when ``text`` was already streamed through the rails.

        ``numbering`` is how the stream renumbered ``text``'s citations (None: ``text`` still cites
        contexts by their own numbers). The answer's citations end up numbered 1, 2, 3… in order
        of appearance, one per distinct passage, each :class:`Citation` with a distinct title.
        """
        notes: list[GuardrailNote] = []
        if numbering is None:
            numbering = passage_numbering(contexts)
            text = numbering.renumber(check_citations(text, len(contexts)).text)
        checked = check_citations(text.strip(), len(contexts))
        invalid = check_citations(raw, len(contexts)).invalid if raw is not None else checked.invalid
        if invalid:
            numbers = ", ".join(f"[{n}]" for n in invalid)
            notes.append(
                GuardrailNote(
                    rule="invalid_citation", action="flag", message=f"Đã xoá trích dẫn không có trong tài liệu được cung cấp: {numbers}"
                )
            )
        verdict: OutputVerdict = self.guard.check_output(checked.text, [c.text for c in contexts])
        notes += [GuardrailNote(rule=r.id, action=r.action, message=r.message) for r in verdict.rules]
        refused = any(r.action in ("block", "escalate") for r in verdict.rules)
        final = check_citations(verdict.text, len(contexts)) if verdict.text != checked.text else checked
        answer = final.text
        if is_not_found(answer) and not final.cited:
            answer = self.not_found
            notes.append(GuardrailNote(rule="no_context", action="notice", message=NOT_FOUND_ANSWER))
        by_n = {c.n: c for c in contexts}
        if final.cited:  # a rail may have removed a cited sentence: close the gap it left
            answer, order = renumber_citations(answer)
            sources = [by_n[numbering.context(k)] for k in order]
        else:
            sources = []
        titles = distinct_titles(sources)
        citations = tuple(_citation(c, answer, k, t) for k, (c, t) in enumerate(zip(sources, titles, strict=True), 1))
        return OutputCheck(text=answer, citations=citations, notes=tuple(notes), refused=refused)


def passage_numbering(contexts: Sequence[Context]) -> CitationNumbering:
    """Citation numbers for ``contexts``: one per distinct passage (chunk), in order of first citation."""
    by_n = {c.n: c for c in contexts}
    return CitationNumbering(lambda n: by_n[n].chunk_id or n if n in by_n else n)


def distinct_titles(contexts: Sequence[Context]) -> list[str]:
    """Titles for citing ``contexts`` that tell them apart.

    The chunk's heading (an article "Điều 5. …", a section) when it is unique; when several
    share one, the document's title is added where they come from different documents, and
    the passage's place in its document ("đoạn 3") where they come from the same one.
    """
    titles = [c.title or c.doc_title or c.doc_id for c in contexts]
    docs_by_title: dict[str, set[str]] = {}
    for title, context in zip(titles, contexts, strict=True):
        docs_by_title.setdefault(title, set()).add(context.doc_id)
    titles = [
        _with_document(t, c) if len(docs_by_title[t]) > 1 else t for t, c in zip(titles, contexts, strict=True)
    ]
    counts = Counter(titles)
    return [f"{t} — đoạn {c.position + 1}" if counts[t] > 1 else t for t, c in zip(titles, contexts, strict=True)]


def _with_document(title: str, context: Context) -> str:
    document = context.doc_title or context.doc_id
    return title if document == title or document in title else f"{title} — {document}"


def _citation(context: Context, answer: str, shown: int, title: str) -> Citation:
    """Cite ``context`` as ``[shown]``: its sentence that best matches the answer sentences citing it."""
    marker = f"[{shown}]"
    claims = " ".join(s for s in split_sentences(answer) if marker in s) or answer
    quote, _ = best_sentence(claims, context.text)
    quote = quote or context.text.strip()
    if len(quote) > _QUOTE_CHARS:
        quote = quote[: _QUOTE_CHARS - 1].rstrip() + "…"
    return Citation(n=shown, doc_id=context.doc_id, chunk_id=context.chunk_id, title=title, quote=quote)


class AuditStep:
    """Writes one audit row per answered or refused question (question PII-masked by the guard)."""

    def __init__(self, log: AuditLog | None, guard: Guard, *, sandbox: str, config_hash: str) -> None:
        self.log = log
        self.guard = guard
        self.sandbox = sandbox
        self.config_hash = config_hash

    def run(
        self, answer: Answer, caller: Caller, latency_ms: float, *, event: str = "answer", ref_seq: int = 0
    ) -> dict[str, Any] | None:
        """Append the row (``event`` and the ``started`` row it closes, see aulac_rag.audit.chain)."""
        if self.log is None:
            return None
        entry = AuditEntry(
            sandbox=self.sandbox,
            key_id=caller.key_id,
            role=caller.role,
            question=self.guard.mask_pii(answer.question),
            retrieved=[r.to_dict() for r in answer.retrieved],
            guardrails=[g.to_dict() for g in answer.guardrails],
            answer=self.guard.mask_pii(answer.answer),
            refused=answer.refused,
            mode=answer.mode,
            backend=answer.backend,
            model=answer.model,
            config_hash=self.config_hash,
            latency_ms=latency_ms,
            event=event,
            ref_seq=ref_seq,
        )
        return self.log.append(entry)
