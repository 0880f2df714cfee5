"""Importing ragas safely: telemetry off before the first import, deprecation noise silenced.

ragas 0.4.3 posts usage events unless ``RAGAS_DO_NOT_TRACK=true`` is set before its
tracking check runs (the check is cached), so every aulac module that touches ragas
imports it through :func:`ragas_module`. The metric classes used here are the ones
ragas keeps in ``ragas.metrics`` for ``SingleTurnSample`` scoring; that module warns
that they move to ``ragas.metrics.collections``, which lacks the NonLLM metrics.
"""

from __future__ import annotations

import importlib
import os
import warnings
from types import ModuleType
from typing import Any

from aulac_rag.errors import EvaluationError

RAGAS_VERSION = "0.4.3"


def _quiet_env() -> None:
    os.environ["RAGAS_DO_NOT_TRACK"] = "true"  # never post usage data, whatever the caller's env says


def ragas_module(name: str = "ragas") -> ModuleType:
    """``importlib.import_module(name)`` with telemetry off; EvaluationError if ragas is missing."""
    _quiet_env()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return importlib.import_module(name)
    except ImportError as exc:
        raise EvaluationError(
            f"ragas is not installed or broken ({exc}); install ragas=={RAGAS_VERSION} "
            "langchain-community==0.4.1 langchain-openai==1.7.4 rapidfuzz sacrebleu rouge-score"
        ) from exc


def ragas_metric_class(name: str) -> Any:
    """A metric class from ``ragas.metrics`` by name (e.g. ``"Faithfulness"``), without its deprecation warning."""
    module = ragas_module("ragas.metrics")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return getattr(module, name)


def single_turn_sample(**fields: Any) -> Any:
    """A ragas ``SingleTurnSample``."""
    return ragas_module("ragas.dataset_schema").SingleTurnSample(**fields)
