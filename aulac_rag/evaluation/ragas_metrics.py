"""ragas metrics on one evaluated item, through ragas' own ``single_turn_ascore(SingleTurnSample)``.

Two scorers, one job each:

- :class:`NonLLMScorer` — NonLLMContextPrecisionWithReference, NonLLMContextRecall and
  NonLLMStringSimilarity; needs no model and always runs.
- :class:`JudgeScorer` — Faithfulness, ResponseRelevancy, LLMContextPrecisionWithReference
  and LLMContextRecall, built only with an explicit LLM and embeddings
  (:mod:`aulac_rag.evaluation.ragas_models`), so ragas never reaches OpenAI.

ragas compares a retrieved *chunk* (hundreds of characters) with a reference
*sentence*; its default Levenshtein similarity is then low even when the chunk
contains the sentence word for word. The context metrics therefore use
:class:`PartialStringSimilarity` (ragas' metric, best-aligned substring) unless
``evaluation.context_similarity`` is ``levenshtein``.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aulac_rag.evaluation.ragas_env import ragas_metric_class, ragas_module, single_turn_sample
from aulac_rag.evaluation.text_metrics import strip_citations
from aulac_rag.evaluation.types import ItemResult

Scores = dict[str, float | None]
Errors = dict[str, str]

NON_LLM_METRICS = ("non_llm_context_precision_with_reference", "non_llm_context_recall", "non_llm_string_similarity")
JUDGE_METRICS = ("faithfulness", "response_relevancy", "llm_context_precision_with_reference", "llm_context_recall")


def _clean(value: Any) -> float | None:
    """ragas returns NaN when it cannot score; that is "no value", not a number."""
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _error(exc: BaseException) -> str:
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text[:300]


def partial_similarity_metric() -> Any:
    """A ragas ``SingleTurnMetric``: rapidfuzz partial-ratio similarity of reference and response.

    Built lazily so ragas is imported only when an evaluation runs.
    """
    base = ragas_module("ragas.metrics.base")
    single_turn_metric, metric_type = base.SingleTurnMetric, base.MetricType

    @dataclass
    class PartialStringSimilarity(single_turn_metric):  # type: ignore[misc, valid-type]
        """1 − normalized distance of the shorter text to its best-aligned span in the longer one."""

        name: str = "partial_string_similarity"
        _required_columns: dict = field(default_factory=lambda: {metric_type.SINGLE_TURN: {"reference", "response"}})

        def init(self, run_config: Any) -> None:
            pass

        async def _single_turn_ascore(self, sample: Any, callbacks: Any) -> float:
            from rapidfuzz import fuzz

            a = unicodedata.normalize("NFC", sample.reference or "").lower()
            b = unicodedata.normalize("NFC", sample.response or "").lower()
            if not a.strip() or not b.strip():
                return 0.0
            return float(fuzz.partial_ratio(a, b)) / 100.0

        async def _ascore(self, row: dict, callbacks: Any) -> float:
            return await self._single_turn_ascore(single_turn_sample(**row), callbacks)

    return PartialStringSimilarity()


class NonLLMScorer:
    """ragas' model-free metrics for one item."""

    names = NON_LLM_METRICS

    def __init__(self, context_similarity: str = "partial") -> None:
        if context_similarity not in ("partial", "levenshtein"):
            raise ValueError(f"context_similarity must be 'partial' or 'levenshtein', got {context_similarity!r}")
        self.context_similarity = context_similarity
        self._metrics: dict[str, Any] | None = None

    @property
    def metrics(self) -> dict[str, Any]:
        if self._metrics is None:
            similarity = ragas_metric_class("NonLLMStringSimilarity")
            distance = partial_similarity_metric() if self.context_similarity == "partial" else similarity()
            self._metrics = {
                "non_llm_context_precision_with_reference": ragas_metric_class("NonLLMContextPrecisionWithReference")(
                    distance_measure=distance
                ),
                "non_llm_context_recall": ragas_metric_class("NonLLMContextRecall")(_distance_measure=distance),
                "non_llm_string_similarity": similarity(),
            }
        return self._metrics

    async def score(self, item: ItemResult) -> tuple[Scores, Errors]:
        scores: Scores = {}
        errors: Errors = {}
        answer = strip_citations(item.answer).strip()
        contexts = [c for c in item.contexts if c.strip()]
        for name, metric in self.metrics.items():
            try:
                if name == "non_llm_string_similarity":
                    sample = single_turn_sample(reference=item.reference, response=answer)
                elif not item.reference_contexts:
                    errors[name] = "the eval item has no reference_contexts"
                    scores[name] = None
                    continue
                elif not contexts:
                    scores[name] = 0.0  # nothing retrieved: nothing relevant found
                    continue
                else:
                    sample = single_turn_sample(
                        retrieved_contexts=contexts, reference_contexts=list(item.reference_contexts)
                    )
                scores[name] = _clean(await metric.single_turn_ascore(sample))
            except Exception as exc:  # one metric failing must not lose the item
                scores[name], errors[name] = None, _error(exc)
        return scores, errors


class JudgeScorer:
    """ragas' LLM-judge metrics for one item, with the LLM and embeddings passed explicitly."""

    names = JUDGE_METRICS

    def __init__(self, llm: Any, embeddings: Any, *, strictness: int = 3) -> None:
        if llm is None or embeddings is None:
            raise ValueError("JudgeScorer needs an LLM and embeddings (ragas would otherwise call OpenAI)")
        self.llm = llm
        self.embeddings = embeddings
        self.strictness = strictness
        self._metrics: dict[str, Any] | None = None

    @property
    def metrics(self) -> dict[str, Any]:
        if self._metrics is None:
            llm = self.llm
            self._metrics = {
                "faithfulness": ragas_metric_class("Faithfulness")(llm=llm),
                "response_relevancy": ragas_metric_class("ResponseRelevancy")(
                    llm=llm, embeddings=self.embeddings, strictness=self.strictness
                ),
                "llm_context_precision_with_reference": ragas_metric_class("LLMContextPrecisionWithReference")(llm=llm),
                "llm_context_recall": ragas_metric_class("LLMContextRecall")(llm=llm),
            }
            for metric in self._metrics.values():  # the guarantee, checked: no metric may be left without a model
                if getattr(metric, "llm", None) is None:
                    raise ValueError(f"ragas metric {metric.name} has no LLM")
        return self._metrics

    async def score(self, item: ItemResult, on_call: Callable[[str], None] | None = None) -> tuple[Scores, Errors]:
        scores: Scores = {}
        errors: Errors = {}
        sample = single_turn_sample(
            user_input=item.question,
            response=strip_citations(item.answer).strip(),
            retrieved_contexts=[c for c in item.contexts if c.strip()],
            reference=item.reference,
        )
        for name, metric in self.metrics.items():
            if on_call is not None:
                on_call(name)
            if name != "response_relevancy" and not sample.retrieved_contexts:
                scores[name] = 0.0 if name != "faithfulness" else None
                if name == "faithfulness":
                    errors[name] = "no retrieved contexts to check the answer against"
                continue
            try:
                scores[name] = _clean(await metric.single_turn_ascore(sample))
            except Exception as exc:  # a malformed judge reply fails this metric on this item only
                scores[name], errors[name] = None, _error(exc)
        return scores, errors
