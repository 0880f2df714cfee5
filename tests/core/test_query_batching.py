"""Concurrent single-question embeddings are computed in shared batches, with the same vectors."""

from __future__ import annotations

import threading
import time

import numpy as np

from aulac_rag.embeddings.base import QueryBatcher


def test_concurrent_questions_share_batches_and_get_their_own_vectors() -> None:
    calls: list[int] = []

    def embed(texts: list[str]) -> np.ndarray:
        calls.append(len(texts))
        time.sleep(0.02)  # a busy model: questions arriving meanwhile join the next batch
        return np.array([[float(len(t)), float(t.count("a"))] for t in texts], dtype=np.float32)

    batcher = QueryBatcher(embed)
    texts = [("a" * i) + "b" * (40 - i) for i in range(40)]
    out: list[np.ndarray | None] = [None] * len(texts)

    def ask(i: int) -> None:
        out[i] = batcher.embed(texts[i])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(calls) == len(texts) and len(calls) < len(texts) / 3  # batched, nothing lost or repeated
    for i, vector in enumerate(out):
        assert vector is not None and vector.tolist() == [40.0, float(i)]


def test_a_lone_question_waits_for_nothing_and_errors_reach_every_caller() -> None:
    batcher = QueryBatcher(lambda texts: np.ones((len(texts), 2), dtype=np.float32))
    assert batcher.embed("một câu").tolist() == [1.0, 1.0] and batcher.batches == 1

    def broken(texts: list[str]) -> np.ndarray:
        raise RuntimeError("model failed")

    failing = QueryBatcher(broken)
    try:
        failing.embed("x")
    except RuntimeError as exc:
        assert "model failed" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("the model's error was swallowed")
