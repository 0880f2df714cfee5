"""Metric specs and thresholds: defaults, overrides, direction, unknown names."""

from __future__ import annotations

import pytest

from aulac_rag.errors import ConfigError
from aulac_rag.evaluation.specs import effective_thresholds, metric_specs, spec


def test_every_metric_has_a_default_threshold_and_vietnamese_label() -> None:
    for name in metric_specs:
        s = spec(name)
        assert 0.0 <= s.default_threshold <= 1.0
        assert s.label


def test_sandbox_thresholds_override_defaults() -> None:
    out = effective_thresholds({"mrr": 0.9}, ["mrr", "hit_at_k"])
    assert out == {"mrr": 0.9, "hit_at_k": spec("hit_at_k").default_threshold}


def test_unknown_threshold_name_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="evaluation.thresholds: unknown metric"):
        effective_thresholds({"mmr": 0.9}, ["mrr"])


def test_direction() -> None:
    assert spec("mrr").passes(0.8, 0.8) and not spec("mrr").passes(0.79, 0.8)
    lower = spec("redteam_benign_blocked_rate")
    assert lower.lower_is_better and lower.passes(0.02, 0.03) and not lower.passes(0.05, 0.03)
    assert not spec("mrr").passes(None, 0.1)


def test_bundled_sandbox_thresholds_are_known_metrics() -> None:
    from aulac_rag.sandbox import BUNDLED, Sandbox

    for name in BUNDLED:
        configured = Sandbox(name).config.evaluation.thresholds
        assert configured, f"{name} has no evaluation.thresholds"
        effective_thresholds(configured, list(configured))
