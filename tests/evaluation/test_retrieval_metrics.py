"""hit@k, MRR and nDCG@k on hand-computed cases (document level)."""

from __future__ import annotations

import math

import pytest

from aulac_rag.evaluation.retrieval_metrics import dedupe_docs, hit_at_k, ndcg_at_k, reciprocal_rank


def test_chunks_of_one_document_count_once_at_their_best_rank() -> None:
    assert dedupe_docs(["a", "a", "b", "a", "c"]) == ["a", "b", "c"]


def test_hit_at_k() -> None:
    ranked = ["x", "x", "y", "gold"]  # gold is the 3rd distinct document
    assert hit_at_k(ranked, ["gold"], 3) == 1.0
    assert hit_at_k(ranked, ["gold"], 2) == 0.0
    assert hit_at_k([], ["gold"], 5) == 0.0


def test_reciprocal_rank() -> None:
    assert reciprocal_rank(["gold", "x"], ["gold"]) == 1.0
    assert reciprocal_rank(["x", "x", "gold"], ["gold"]) == 0.5  # 2nd distinct document
    assert reciprocal_rank(["x", "y", "z", "gold"], ["gold"], k=3) == 0.0
    assert reciprocal_rank(["x", "b", "a"], ["a", "b"]) == 0.5  # the first relevant one counts


def test_ndcg_single_relevant_document() -> None:
    assert ndcg_at_k(["gold", "x"], ["gold"], 5) == 1.0
    assert ndcg_at_k(["x", "gold"], ["gold"], 5) == pytest.approx(1 / math.log2(3))  # 0.6309
    assert ndcg_at_k(["x", "y"], ["gold"], 5) == 0.0


def test_ndcg_two_relevant_documents() -> None:
    # ranks 1 and 3 relevant: DCG = 1 + 1/log2(4) = 1.5; ideal = 1 + 1/log2(3) = 1.6309
    assert ndcg_at_k(["a", "x", "b"], ["a", "b"], 5) == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    # the ideal DCG is capped at k: one slot, one relevant found first -> 1.0
    assert ndcg_at_k(["a", "b"], ["a", "b"], 1) == 1.0
    assert ndcg_at_k(["a"], [], 5) == 0.0
