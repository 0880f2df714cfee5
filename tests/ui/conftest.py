"""Fixtures of the UI tests: the healthcare demo ingested once per session, copied into each test's AULAC_HOME."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from aulac_rag.keys import KeyStore

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "ui" / "app.py"
QUESTION = "Mức hưởng bảo hiểm y tế khi khám đúng tuyến là bao nhiêu?"


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An AULAC_HOME with the healthcare demo corpus ingested (about a minute on 2 CPUs, once)."""
    from aulac_rag import Sandbox

    home = tmp_path_factory.mktemp("ui-demo-home")
    sandbox = Sandbox("healthcare", home=home)
    try:
        summary = sandbox.ingest_demo(progress=False)
    finally:
        sandbox.close()
    assert summary.documents > 0 and not summary.errors, summary.to_dict()
    return home


@pytest.fixture
def demo_home(aulac_home: Path, demo_template: Path) -> Path:
    """This test's AULAC_HOME (set by the autouse fixture), holding a copy of the ingested demo."""
    shutil.copytree(demo_template, aulac_home, dirs_exist_ok=True)
    return aulac_home


@pytest.fixture
def keys(demo_home: Path) -> dict[str, str]:
    """Full key texts by role, as `aulac keys create` makes them."""
    store = KeyStore.for_home(demo_home)
    return {
        "admin": store.create("*", "admin", "ui-test")[1],
        "regulator": store.create("healthcare", "regulator", "ui-test")[1],
        "user": store.create("healthcare", "user", "ui-test")[1],
        "other_regulator": store.create("finance", "regulator", "ui-test")[1],
    }


@pytest.fixture
def app(demo_home: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201 - streamlit's AppTest
    from streamlit.testing.v1 import AppTest

    monkeypatch.delenv("AULAC_API_URL", raising=False)
    monkeypatch.delenv("AULAC_SANDBOX", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=120)
    return at.run()
