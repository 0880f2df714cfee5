"""The public surface: every name in ``__all__`` exists, and every public name is listed."""

from __future__ import annotations

import importlib
import inspect

import pytest


@pytest.mark.parametrize(
    "module", ["aulac_rag.generation", "aulac_rag.pipeline", "aulac_rag.audit", "aulac_rag.server"]
)
def test_all_matches_public_names(module: str) -> None:
    mod = importlib.import_module(module)
    public = {n for n, v in vars(mod).items() if not n.startswith("_") and not inspect.ismodule(v)} - {"annotations"}
    assert set(mod.__all__) == public
    assert sorted(mod.__all__, key=str.casefold) == sorted(set(mod.__all__), key=str.casefold)
