"""Learned fusion: a linear ranker over dense, BM25 and lexical-coverage features of each candidate.

Linear fusion adds two min-max normalised scores with one fixed weight; it cannot tell a confident
BM25 hit from a weak one, nor see that a passage holds the question's words in order. The learned
ranker scores each candidate (the union of the dense and the BM25 lists) by a weighted sum of
:data:`FEATURES`, standardised; the weights are fitted by :func:`fit_ranker` (pairwise logistic loss)
(bench/learned_fusion.py measures it; not in the product: it did not beat linear fusion).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from aulac_rag.text.tokenize import syllables

FEATURES = (
    "dense_mm",  # dense score min-max normalised over the dense list (0 when absent)
    "sparse_mm",  # BM25 score min-max normalised over the BM25 list (0 when absent)
    "dense_gap",  # cosine minus the best cosine (absent: below the list's last)
    "sparse_rel",  # BM25 score over the best BM25 score (0 when absent)
    "rr_dense",  # 1 / (1 + rank) in the dense list (0 when absent)
    "rr_sparse",  # 1 / (1 + rank) in the BM25 list
    "cov_uni",  # share of the question's syllables (weighted by rarity among the candidates) in title + text
    "cov_bi",  # share of the question's syllable bigrams in title + text
    "cov_title",  # share of the question's syllables (weighted) in the title
    "lead_bi",  # share of the question's bigrams in the chunk's first 24 syllables (its heading: "Điều 18. Quy trình chấm thi")
    "min_mm",  # min(dense_mm, sparse_mm): both lists agree
    "span",  # longest run of consecutive question syllables found in order, over the question's length
    "log_len",  # log(1 + syllables of the chunk)
    "doc_chunks",  # log(1 + candidates from the same document)
)


def _minmax(values: dict[str, float]) -> dict[str, float]:
    if not values:
        return {}
    low, high = min(values.values()), max(values.values())
    return {k: (v - low) / (high - low) if high > low else 1.0 for k, v in values.items()}


def _longest_run(query: list[str], bigrams: set[tuple[str, str]], units: set[str]) -> int:
    best = run = 0
    for i, unit in enumerate(query):
        if unit not in units:
            run = 0
        elif run and (query[i - 1], unit) in bigrams:
            run += 1
        else:
            run = 1
        best = max(best, run)
    return best


_CONTENT = re.compile(r"\w", re.UNICODE)


def candidate_features(
    query: str,
    dense: Sequence[tuple[str, float]],
    sparse: Sequence[tuple[str, float]],
    candidates: Sequence[tuple[str, str, str]],
    ids: Sequence[str],
) -> np.ndarray:
    """One row of :data:`FEATURES` per candidate ``(title, text, doc_id)`` of ``ids`` (same order).

    ``query`` is normalised text; ``dense`` and ``sparse`` are the engine's (id, score) lists, best first.
    """
    d_mm, s_mm = _minmax(dict(dense)), _minmax(dict(sparse))
    d_raw, s_raw = dict(dense), dict(sparse)
    d_best = max(d_raw.values(), default=0.0)
    d_floor = min(d_raw.values(), default=0.0) - 0.01
    s_best = max(s_raw.values(), default=0.0) or 1.0
    d_rank = {k: r for r, (k, _) in enumerate(dense)}
    s_rank = {k: r for r, (k, _) in enumerate(sparse)}
    q_units = [u for u in syllables(query, normalized=True) if _CONTENT.search(u)]
    q_set = set(q_units)
    q_bigrams = set(zip(q_units, q_units[1:], strict=False))
    tokenized = []
    df: Counter[str] = Counter()
    for title, text, _ in candidates:
        t_units = syllables(title, normalized=True) if title else []
        units = t_units + syllables(text, normalized=True)
        unit_set = set(units)
        tokenized.append((t_units, units, unit_set))
        df.update(q_set & unit_set)
    n = len(candidates)
    weight = {u: math.log((n + 1) / (df[u] + 0.5)) for u in q_set}
    total_weight = sum(weight.values()) or 1.0
    per_doc = Counter(doc for _, _, doc in candidates)
    rows = np.zeros((len(ids), len(FEATURES)))
    for row, (pid, (t_units, units, unit_set), (_, _, doc)) in enumerate(zip(ids, tokenized, candidates, strict=True)):
        bigrams = set(zip(units, units[1:], strict=False))
        title_set = set(t_units)
        lead = units[:24]
        lead_bigrams = set(zip(lead, lead[1:], strict=False))
        rows[row] = (
            d_mm.get(pid, 0.0),
            s_mm.get(pid, 0.0),
            d_raw.get(pid, d_floor) - d_best,
            s_raw.get(pid, 0.0) / s_best,
            1.0 / (1 + d_rank[pid]) if pid in d_rank else 0.0,
            1.0 / (1 + s_rank[pid]) if pid in s_rank else 0.0,
            sum(weight[u] for u in q_set & unit_set) / total_weight,
            len(q_bigrams & bigrams) / len(q_bigrams) if q_bigrams else 0.0,
            sum(weight[u] for u in q_set & title_set) / total_weight,
            len(q_bigrams & lead_bigrams) / len(q_bigrams) if q_bigrams else 0.0,
            min(d_mm.get(pid, 0.0), s_mm.get(pid, 0.0)),
            _longest_run(q_units, bigrams, unit_set) / len(q_units) if q_units else 0.0,
            math.log1p(len(units)),
            math.log1p(per_doc[doc] - 1),
        )
    return rows


@dataclass(frozen=True)
class LinearRanker:
    """Scores = ((X − mean) / scale) · weights."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray

    def score(self, features: np.ndarray) -> np.ndarray:
        return np.asarray(((features - self.mean) / self.scale) @ self.weights)


def fit_ranker(
    features: np.ndarray, labels: np.ndarray, queries: np.ndarray, l2: float = 1.0, max_negatives: int = 30, seed: int = 0
) -> LinearRanker:
    """Pairwise logistic regression: for each question, each gold candidate against up to ``max_negatives`` of
    its best-scoring wrong candidates (by linear fusion), each question weighing the same."""
    from scipy.optimize import minimize

    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale == 0] = 1.0
    z = (features - mean) / scale
    linear = 0.4 * features[:, 0] + 0.6 * features[:, 1]
    diffs, weights = [], []
    for q in np.unique(queries):
        idx = np.flatnonzero(queries == q)
        pos = idx[labels[idx]]
        neg = idx[~labels[idx]]
        if not len(pos) or not len(neg):
            continue
        neg = neg[np.argsort(-linear[neg])][:max_negatives]
        pairs = z[pos][:, None, :] - z[neg][None, :, :]
        diffs.append(pairs.reshape(-1, z.shape[1]))
        weights.append(np.full(len(pos) * len(neg), 1.0 / (len(pos) * len(neg))))
    D = np.vstack(diffs)
    W = np.concatenate(weights)

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        m = D @ w
        p = 1 / (1 + np.exp(m))
        value = float(np.sum(W * np.logaddexp(0, -m)) + l2 * w @ w / 2)
        grad = -(D.T @ (W * p)) + l2 * w
        return value, grad

    result = minimize(loss, np.zeros(z.shape[1]), jac=True, method="L-BFGS-B")
    return LinearRanker(mean, scale, np.asarray(result.x))
