"""Running a sandbox's evaluation set: answer every item, score it, check the thresholds.

    run = EvaluationRunner(Sandbox("healthcare"), limit=5).run()
    run.passed, run.metrics

Each item goes through the sandbox's own answer pipeline (audit off); the chunks the
pipeline retrieved are the item's contexts. Scores: retrieval (hit@k, MRR, nDCG@k at
document level), ragas' NonLLM metrics, Vietnamese ROUGE-L and chrF, ragas' LLM-judge
metrics when the sandbox has an OpenAI-compatible LLM, and the red-team suite's numbers
when the sandbox has one.
"""

from __future__ import annotations

import asyncio
import hashlib
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from datetime import datetime, timezone
from typing import Any, TypeVar

from aulac_rag.errors import ConfigError, EvaluationError
from aulac_rag.evaluation import retrieval_metrics as rm
from aulac_rag.evaluation import specs
from aulac_rag.evaluation.dataset import load_eval_set
from aulac_rag.evaluation.ragas_metrics import JUDGE_METRICS, JudgeScorer, NonLLMScorer
from aulac_rag.evaluation.redteam import find_redteam_files, run_redteam
from aulac_rag.evaluation.text_metrics import chrf, rouge_l, strip_citations
from aulac_rag.evaluation.types import EvalItem, EvalRun, ItemResult, MetricCheck, RetrievedContext
from aulac_rag.retrieval.types import RetrievalResult

T = TypeVar("T")
Log = Callable[[str], None]

RETRIEVAL_METRICS = ("hit_at_k", "mrr", "ndcg_at_k")
TEXT_METRICS = ("rouge_l", "chrf")


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion, also when called from inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


class CapturingRetriever:
    """``Sandbox.retrieve`` that remembers its last result (the pipeline's contexts)."""

    def __init__(self, retrieve: Callable[..., RetrievalResult]) -> None:
        self.retrieve = retrieve
        self.last: RetrievalResult | None = None

    def __call__(self, query: str, k: int | None = None, filters: dict[str, Any] | None = None) -> RetrievalResult:
        self.last = self.retrieve(query, k=k, filters=filters)
        return self.last


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class EvaluationRunner:
    """Evaluates one sandbox. Cheap to build; :meth:`run` does the work.

    ``judge``: None runs the LLM-judge metrics when the sandbox has an OpenAI-compatible
    LLM, False never, True requires one. ``judge_models`` (llm, embeddings) replaces the
    sandbox's own models for the judge (tests, or judging with another model).
    """

    def __init__(
        self,
        sandbox: Any,
        *,
        k: int | None = None,
        limit: int | None = None,
        judge: bool | None = None,
        redteam: bool = True,
        log: Log | None = None,
        judge_models: tuple[Any, Any] | None = None,
    ) -> None:
        if k is not None and k < 1:
            raise ConfigError(f"k must be >= 1, got {k!r}")
        if limit is not None and limit < 1:
            raise ConfigError(f"limit must be >= 1, got {limit!r}")
        self.sandbox = sandbox
        self.config = sandbox.config.evaluation
        self.k = k or self.config.k
        self.limit = limit
        self.judge = judge
        self.redteam = redteam
        self.log: Log = log or (lambda message: None)
        self.judge_models = judge_models

    # --- steps ---------------------------------------------------------------
    def ensure_index(self) -> None:
        """Ingest a bundled sandbox's demo corpus when its index is empty."""
        from aulac_rag.sandbox import BUNDLED

        if self.sandbox.stats()["chunks"] > 0:
            return
        if self.sandbox.name in BUNDLED and (self.sandbox.folder / self.sandbox.config.corpus_dir).is_dir():
            self.log(f"sandbox {self.sandbox.name!r} has no documents yet: ingesting its demo corpus first")
            self.sandbox.ingest_demo(progress=False)
            return
        raise EvaluationError(
            f"sandbox {self.sandbox.name!r} has no documents; ingest them first: aulac ingest {self.sandbox.name} PATH"
        )

    def answer_items(self, items: list[EvalItem]) -> list[ItemResult]:
        """Ask every question through the sandbox's pipeline (audit off) and record contexts."""
        from aulac_rag.pipeline import build_pipeline

        capture = CapturingRetriever(self.sandbox.retrieve)
        pipeline = build_pipeline(self.sandbox, audit=False, retrieve=capture)
        results = []
        for number, item in enumerate(items, start=1):
            capture.last = None
            started = time.perf_counter()
            answer = pipeline.run(item.question, k=self.k)
            latency = (time.perf_counter() - started) * 1000
            retrieval = capture.last or self.sandbox.retrieve(
                item.question, k=self.k
            )  # guard stopped it: score retrieval anyway
            results.append(
                ItemResult(
                    id=item.id,
                    question=item.question,
                    reference=item.reference,
                    reference_doc_ids=list(item.reference_doc_ids),
                    reference_contexts=list(item.reference_contexts),
                    answer=answer.answer,
                    mode=answer.mode,
                    refused=answer.refused,
                    guardrails=[g.to_dict() for g in answer.guardrails],
                    retrieved=[
                        RetrievedContext(h.doc_id, h.chunk_id, round(h.score, 6), h.title, h.text)
                        for h in retrieval.hits
                    ],
                    latency_ms=round(latency, 1),
                )
            )
            if number % 10 == 0 or number == len(items):
                self.log(f"answered {number}/{len(items)}")
        return results

    def score_retrieval_and_text(self, results: list[ItemResult]) -> None:
        for result in results:
            ranked = [c.doc_id for c in result.retrieved]
            gold = result.reference_doc_ids
            answer = strip_citations(result.answer)
            result.scores.update(
                {
                    "hit_at_k": rm.hit_at_k(ranked, gold, self.k),
                    "mrr": rm.reciprocal_rank(ranked, gold, self.k),
                    "ndcg_at_k": rm.ndcg_at_k(ranked, gold, self.k),
                    "rouge_l": rouge_l(result.reference, answer),
                    "chrf": chrf(result.reference, answer),
                }
            )

    def score_ragas(self, results: list[ItemResult]) -> None:
        scorer = NonLLMScorer(self.config.context_similarity)

        async def score_all() -> None:
            for result in results:
                scores, errors = await scorer.score(result)
                result.scores.update(scores)
                result.errors.update(errors)

        run_async(score_all())

    def judge_enabled(self) -> tuple[bool, str]:
        from aulac_rag.evaluation.ragas_models import judge_available

        if self.judge is False:
            return False, "tắt bằng --no-judge"
        if self.judge_models is not None or judge_available(self.sandbox.config.generation):
            return True, ""
        if self.judge:
            raise ConfigError(
                "--judge needs an LLM: set generation.backend: openai-compatible and generation.base_url in sandbox.yaml"
            )
        return False, "sandbox không cấu hình LLM (generation.backend: openai-compatible + base_url)"

    def score_judge(self, results: list[ItemResult]) -> None:
        from aulac_rag.evaluation.ragas_models import judge_embeddings, judge_llm

        generation = self.sandbox.config.generation
        if self.judge_models is not None:
            llm, embeddings = self.judge_models
        else:
            llm, embeddings = judge_llm(generation), judge_embeddings(self.sandbox.embedder, generation)
        scorer = JudgeScorer(llm, embeddings)
        done = Counter[str]()

        async def one(result: ItemResult, gate: asyncio.Semaphore) -> None:
            async with gate:
                scores, errors = await scorer.score(result)
            result.scores.update(scores)
            result.errors.update(errors)
            done["items"] += 1
            if done["items"] % 10 == 0 or done["items"] == len(results):
                self.log(f"judged {done['items']}/{len(results)}")

        async def score_all() -> None:
            gate = asyncio.Semaphore(self.config.judge_concurrency)
            await asyncio.gather(*(one(r, gate) for r in results))

        run_async(score_all())

    # --- the run -------------------------------------------------------------
    def run(self) -> EvalRun:
        started_at, t0 = _now(), time.perf_counter()
        eval_path = self.sandbox.file_path(self.config.eval_file)
        items = load_eval_set(eval_path, self.limit)
        self.ensure_index()
        self.log(f"evaluating {len(items)} item(s) of {self.sandbox.name!r} at k={self.k}")
        results = self.answer_items(items)
        self.score_retrieval_and_text(results)
        self.score_ragas(results)
        names = [*RETRIEVAL_METRICS, *NonLLMScorer.names, *TEXT_METRICS]
        skipped: dict[str, str] = {}
        use_judge, why_not = self.judge_enabled()
        if use_judge:
            self.log("scoring with ragas LLM-judge metrics")
            self.score_judge(results)
            names += list(JUDGE_METRICS)
        else:
            skipped[specs.LLM_JUDGE] = why_not
        redteam = self.run_redteam(skipped)
        checks = self.checks(results, names, redteam)
        return EvalRun(
            sandbox=self.sandbox.name,
            started_at=started_at,
            finished_at=_now(),
            duration_s=round(time.perf_counter() - t0, 2),
            k=self.k,
            settings=self.settings(eval_path, results, use_judge),
            checks=checks,
            items=results,
            skipped=skipped,
            redteam=redteam,
        )

    def run_redteam(self, skipped: dict[str, str]) -> dict[str, Any] | None:
        if not self.redteam:
            skipped[specs.REDTEAM] = "tắt bằng --no-redteam"
            return None
        files = find_redteam_files(self.sandbox.folder)
        if not files:
            skipped[specs.REDTEAM] = "chưa có bộ kiểm thử tấn công (redteam.jsonl)"
            return None
        from aulac_rag.pipeline import load_sandbox_guard

        self.log("running the red-team suite " + ", ".join(str(f) for f in files))
        return run_redteam(load_sandbox_guard(self.sandbox), files)

    def checks(self, results: list[ItemResult], names: list[str], redteam: dict[str, Any] | None) -> list[MetricCheck]:
        values: dict[str, tuple[float | None, int]] = {}
        for name in names:
            found = [r.scores[name] for r in results if r.scores.get(name) is not None]
            values[name] = (statistics.fmean(v for v in found if v is not None) if found else None, len(found))
        if redteam is not None:
            for name, value in redteam["metrics"].items():
                if value is not None:
                    values[name] = (value, redteam["denominators"][name])
        thresholds = specs.effective_thresholds(self.config.thresholds, list(values))
        checks = []
        for name, (value, count) in values.items():
            spec = specs.spec(name)
            rounded = None if value is None else round(value, 4)
            checks.append(
                MetricCheck(
                    name=name,
                    group=spec.group,
                    label=spec.label,
                    value=rounded,
                    threshold=thresholds[name],
                    lower_is_better=spec.lower_is_better,
                    passed=spec.passes(rounded, thresholds[name]),
                    count=count,
                )
            )
        return checks

    def settings(self, eval_path: Any, results: list[ItemResult], judged: bool) -> dict[str, Any]:
        from aulac_rag import __version__
        from aulac_rag.evaluation.ragas_env import RAGAS_VERSION
        from aulac_rag.pipeline import config_hash

        config = self.sandbox.config
        generation, retrieval = config.generation, config.retrieval
        return {
            "domain": config.domain,
            "backend": generation.backend,
            "model": generation.model if generation.backend != "extractive" else "",
            "base_url": generation.base_url or "",
            "modes": dict(Counter(r.mode for r in results)),
            "refused": sum(r.refused for r in results),
            "embedder": retrieval.embedder.name,
            "embedder_model_id": getattr(self.sandbox.embedder, "model_id", ""),
            "fusion": retrieval.fusion,
            "reranker": retrieval.reranker.name if retrieval.reranker is not None else None,
            "sparse_tokenizer": retrieval.sparse_tokenizer,
            "config_hash": config_hash(config),
            "eval_file": str(eval_path),
            "eval_sha256": hashlib.sha256(eval_path.read_bytes()).hexdigest(),
            "items": len(results),
            "eval_set_size": len(load_eval_set(eval_path, None)),  # a run with a limit covers part of it
            "limit": self.limit,
            "judge": judged,
            "context_similarity": self.config.context_similarity,
            "aulac_rag": __version__,
            "ragas": RAGAS_VERSION,
        }
