"""Guardrail fixtures: engines built from the bundled policies, without the embedder (fast)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aulac_rag.guardrails import GuardEngine, RailContext

ROOT = Path(__file__).resolve().parents[2]
SANDBOXES = ROOT / "sandboxes"
REDTEAM = ROOT / "tests" / "redteam"
DOMAINS = ("healthcare", "education", "finance")


def rules_engine(name: str) -> GuardEngine:
    """The bundled sandbox's guard with rule rails only (scope falls back to keywords)."""
    return GuardEngine.from_file(SANDBOXES / name / "guardrails.yaml", RailContext(domain=name, description=name))


@pytest.fixture(scope="session")
def engines() -> dict[str, GuardEngine]:
    return {name: rules_engine(name) for name in (*DOMAINS, "general")}
