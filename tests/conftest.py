"""Shared fixtures: every test gets its own AULAC_HOME and no telemetry."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(autouse=True)
def aulac_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "aulac-home"
    monkeypatch.setenv("AULAC_HOME", str(home))
    monkeypatch.setenv("RAGAS_DO_NOT_TRACK", "true")
    return home
