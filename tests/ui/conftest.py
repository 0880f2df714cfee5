"""Fixtures of the UI tests: the healthcare demo ingested once per session, copied into each test's AULAC_HOME."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
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
def api_app(demo_home: Path):  # noqa: ANN201
    """The API app on this test's home, over the same service layer the local client uses."""
    from aulac_rag.server.app import create_app
    from aulac_rag.server.settings import ServerSettings
    from aulac_rag.service import SandboxService

    catalog = SandboxService(demo_home)
    yield create_app(ServerSettings(rate_per_minute=0), catalog=catalog, keys=KeyStore.for_home(demo_home))
    catalog.close()


@pytest.fixture
def served_api(api_app) -> Iterator[str]:  # noqa: ANN001
    """The API app served by uvicorn on a free loopback port (a real HTTP server, as `aulac serve` runs it)."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(api_app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(params=["local", "api"])
def client_mode(request: pytest.FixtureRequest, demo_home: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every page test runs twice: on the library in this process, and through a served API
    (``AULAC_API_URL``, with the app's own service key for people who typed no key, as deployed)."""
    monkeypatch.delenv("AULAC_SANDBOX", raising=False)
    if request.param == "api":
        url = request.getfixturevalue("served_api")
        service_key = KeyStore.for_home(demo_home).create("*", "user", "chat-app service key")[1]
        monkeypatch.setenv("AULAC_API_URL", url)
        monkeypatch.setenv("AULAC_API_KEY", service_key)
    else:
        monkeypatch.delenv("AULAC_API_URL", raising=False)
        monkeypatch.delenv("AULAC_API_KEY", raising=False)
    return str(request.param)


@pytest.fixture
def app(client_mode: str):  # noqa: ANN201 - streamlit's AppTest
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=120)
    return at.run()
