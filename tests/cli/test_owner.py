"""One owner per embedded index: while `aulac serve` holds AULAC_HOME, `aulac ingest`, `ask`, `retrieve`
and `eval` go through it (owner token in AULAC_HOME/run/owner.json, 0600), and what is ingested is
answerable by the server at once; `--workers N` on the embedded engine is refused with the reason."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from aulac_rag.owner import find_owner, owner_path
from tests.helpers import make_user_sandbox

CLI = "from aulac_rag.cli.main import main; main()"


def _aulac(home: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AULAC_HOME": str(home), "AULAC_MIN_FREE_MB": "1"}
    return subprocess.run([sys.executable, "-c", CLI, *args], env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    home = tmp_path / "home"
    make_user_sandbox(home, "tiny")
    first = tmp_path / "first.md"
    first.write_text("# Thẻ bảo hiểm y tế\n\nThẻ bảo hiểm y tế được cấp cho người tham gia bảo hiểm.", encoding="utf-8")
    assert _aulac(home, "ingest", "tiny", str(first)).returncode == 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "AULAC_HOME": str(home), "AULAC_MIN_FREE_MB": "1"}
    server = subprocess.Popen(
        [sys.executable, "-c", CLI, "serve", "--port", str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and find_owner(home) is None:
        assert server.poll() is None, server.stderr.read() if server.stderr else ""
        time.sleep(0.2)
    assert find_owner(home) is not None, "the server did not claim the home"
    try:
        yield home, url
    finally:
        server.terminate()
        server.wait(30)


def test_cli_goes_through_the_running_server(served: tuple[Path, str], tmp_path: Path) -> None:
    home, url = served
    record = owner_path(home)
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    owner = json.loads(record.read_text(encoding="utf-8"))
    assert owner["url"] == url

    more = tmp_path / "more"
    more.mkdir()
    (more / "vien-phi.md").write_text(
        "# Viện phí\n\nNgười bệnh thanh toán viện phí tại quầy thu ngân của bệnh viện trước khi xuất viện.",
        encoding="utf-8",
    )
    ingested = _aulac(home, "ingest", "tiny", str(more), "--json")
    done = time.monotonic()
    assert ingested.returncode == 0, ingested.stderr
    assert json.loads(ingested.stdout)["documents"] == 1

    # the server answers about the new document at once (no restart), to a client of its own
    answer = httpx.post(
        f"{url}/v1/sandboxes/tiny/ask",
        json={"question": "Người bệnh thanh toán viện phí ở đâu?"},
        headers={"Authorization": f"Bearer {owner['token']}"},
        timeout=60,
    ).json()
    assert time.monotonic() - done < 60
    assert answer["citations"] and answer["citations"][0]["doc_id"] == "vien-phi.md"

    asked = _aulac(home, "ask", "tiny", "Thanh toán viện phí ở đâu?", "--json")
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["citations"][0]["doc_id"] == "vien-phi.md"

    hits = _aulac(home, "retrieve", "tiny", "viện phí", "--json")
    assert hits.returncode == 0 and json.loads(hits.stdout)["hits"][0]["doc_id"] == "vien-phi.md"

    evaluation = home / "sandboxes" / "tiny" / "eval.jsonl"
    evaluation.write_text(json.dumps({
        "id": "t-1", "question": "Người bệnh thanh toán viện phí ở đâu?",
        "reference": "Tại quầy thu ngân của bệnh viện.", "reference_doc_ids": ["vien-phi.md"],
        "reference_contexts": ["Người bệnh thanh toán viện phí tại quầy thu ngân của bệnh viện trước khi xuất viện."],
    }, ensure_ascii=False) + "\n", encoding="utf-8")  # fmt: skip
    out = tmp_path / "eval-run"
    evaluated = _aulac(home, "eval", "tiny", "--no-redteam", "--no-judge", "--out", str(out), "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    summary = json.loads(evaluated.stdout)
    assert summary["metrics"]["hit_at_k"] == 1.0 and (out / "report.json").is_file()

    # the owner token is needed: a stranger cannot make the server read local paths
    stranger = httpx.post(f"{url}/v1/sandboxes/tiny/ingest", json={"paths": ["/etc"]}, timeout=10)
    assert stranger.status_code == 401


def test_two_owners_and_workers_on_the_embedded_engine_are_refused(served: tuple[Path, str]) -> None:
    home, _ = served
    second = _aulac(home, "serve", "--port", "1")
    assert second.returncode == 1 and "already serves" in second.stderr
    assert len(second.stderr.strip().splitlines()) == 1


def test_workers_need_a_qdrant_server(tmp_path: Path) -> None:
    home = tmp_path / "home"
    make_user_sandbox(home, "tiny")
    refused = _aulac(home, "serve", "--workers", "2", "--port", "1")
    assert refused.returncode == 1 and "index.engine: qdrant" in refused.stderr


def test_a_dead_owner_is_ignored(tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = owner_path(home)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"url": "http://127.0.0.1:9", "pid": 999_999_999, "token": "x", "started": ""}))
    assert find_owner(home) is None


def test_the_chat_app_owns_the_home_and_the_cli_ingests_through_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aulac_rag.keys import KeyStore
    from aulac_rag.ui.client import LocalClient, client_from_env

    home = tmp_path / "home"
    make_user_sandbox(home, "tiny")
    first = tmp_path / "first.md"
    first.write_text("# Thẻ\n\nThẻ bảo hiểm y tế được cấp cho người tham gia bảo hiểm.", encoding="utf-8")
    assert _aulac(home, "ingest", "tiny", str(first)).returncode == 0
    monkeypatch.setenv("AULAC_HOME", str(home))
    monkeypatch.delenv("AULAC_API_URL", raising=False)
    client = client_from_env()  # what the app does at start: no owner yet, so it becomes one
    try:
        assert isinstance(client, LocalClient) and owner_path(home).exists()
        admin = client.access(KeyStore.for_home(home).create("tiny", "admin")[1])
        assert admin is not None and len(client.documents("tiny", admin)) == 1  # the index is open in the app
        more = tmp_path / "gio.md"
        more.write_text("# Giờ làm việc\n\nPhòng khám mở cửa từ 7 giờ sáng đến 17 giờ chiều.", encoding="utf-8")
        done = _aulac(home, "ingest", "tiny", str(more), "--json")
        assert done.returncode == 0, done.stderr
        finished = time.monotonic()
        answer = client.ask("tiny", "Phòng khám mở cửa lúc mấy giờ?", [], None).answer()
        assert time.monotonic() - finished < 2.0  # answerable in the open app at once
        assert answer.citations and answer.citations[0].doc_id == "gio.md"
    finally:
        client.close()


def test_a_record_of_a_live_process_that_does_not_answer_is_stale(tmp_path: Path) -> None:
    from aulac_rag.owner import claim_home, release_home

    home = tmp_path / "home"
    path = owner_path(home)
    path.parent.mkdir(parents=True)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    path.write_text(json.dumps({"url": f"http://127.0.0.1:{port}", "pid": os.getppid(), "token": "x", "started": ""}))
    assert find_owner(home) is None
    owner = claim_home(home, "http://127.0.0.1:1")  # a crashed app's record (its pid reused) does not block
    assert json.loads(path.read_text())["pid"] == os.getpid()
    release_home(home, owner)
    assert not path.exists()
