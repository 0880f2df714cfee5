"""A folder of hostile files ingested through the real path: one error per hostile file, the rest indexed.

Run with ``-s`` to see the measured numbers (files, errors, seconds, peak memory).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT
from tests.hostile.corpus import VALID, write_corpus

PEAK_CAP_MB = 600  # far below what the 300 MiB bomb, or inflating it twice, would take


def errors_by_file(errors: list[dict[str, str]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for item in errors:
        found.setdefault(Path(item["source"]).name, []).append(item["error"])
    return found


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    folder = tmp_path_factory.mktemp("hostile") / "upload"
    return folder, write_corpus(folder)


def test_hostile_folder_is_ingested_file_by_file(corpus: tuple[Path, dict[str, bytes]], tmp_path: Path) -> None:
    folder, hostile = corpus
    home = tmp_path / "probe-home"
    env = {**os.environ, "AULAC_HOME": str(home), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "tests.hostile.ingest_probe", str(folder)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    errors = errors_by_file(result["errors"])
    peak = result["rss_peak_mb"] - result["rss_before_mb"]
    print(
        f"\nhostile corpus: {len(hostile) + len(VALID)} files ({len(hostile)} hostile), {len(result['errors'])} errors, "
        f"{result['documents']} documents, {result['seconds']} s, peak RSS {result['rss_peak_mb']} MB "
        f"(+{peak:.0f} MB over {result['rss_before_mb']} MB with the embedder loaded)"
    )
    for name, messages in sorted(errors.items()):
        print(f"  {name}: {messages[0][:100]}")
    assert {name: len(messages) for name, messages in errors.items()} == dict.fromkeys(hostile, 1)
    assert result["documents"] == len(VALID)
    assert result["hits"]["đội mũ bảo hiểm"][0] == "luat-giao-thong.txt"
    assert result["hits"]["bảo hiểm y tế tuyến"][0] == "bao-hiem-y-te.txt"
    assert peak < PEAK_CAP_MB


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bomb.docx", "looks like a zip bomb"),
        ("truncated.pdf", "cannot read PDF"),
        ("encrypted.pdf", "encrypted PDF"),
        ("no-text.pdf", "no text layer"),
        ("nested.jsonl", "line 1: nested deeper than 64 levels"),
        ("cp1258.txt", "not UTF-8 text"),
        ("utf16-no-bom.txt", "binary data, not text"),
        ("latin1.txt", "not UTF-8 text"),
        ("nul-filled.txt", "binary data, not text"),
        ("one-line-20mb.txt", "over the 10.0 MB limit"),
        ("empty.txt", "empty file"),
        ("really-a-pdf.docx", "not a .docx (the content is a PDF)"),
        ("nested-divs.html", "HTML nested deeper than 1024 elements"),
    ],
)
def test_each_hostile_file_says_what_is_wrong(corpus: tuple[Path, dict[str, bytes]], name: str, expected: str) -> None:
    from aulac_rag.connectors import load_sources

    path = corpus[0] / name
    assert name in corpus[1]
    documents, errors = load_sources([str(path)], max_file_bytes=10 * 1024 * 1024)
    assert documents == [] and len(errors) == 1 and errors[0].source == str(path)
    assert expected in errors[0].error


def test_upload_of_the_hostile_set_through_the_api(corpus: tuple[Path, dict[str, bytes]], aulac_home: Path) -> None:
    from fastapi.testclient import TestClient

    from aulac_rag.server import KeyStore, ServerSettings, create_app
    from tests.helpers import make_user_sandbox

    folder, hostile = corpus
    make_user_sandbox(aulac_home, "hostile", max_file_mb=10)
    keys = KeyStore.for_home(aulac_home)
    admin = keys.create("hostile", "admin")[1]
    app = create_app(ServerSettings(rate_per_minute=0), keys=keys)  # the real catalog of AULAC_HOME
    files = [("files", (path.name, path.read_bytes())) for path in sorted(folder.iterdir())]
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            answer = client.post(
                "/v1/sandboxes/hostile/documents", files=files, headers={"Authorization": f"Bearer {admin}"}
            )
            assert answer.status_code == 200, answer.text
            body = answer.json()
            assert body["documents"] == len(VALID)
            assert sorted(error["source"] for error in body["errors"]) == sorted(hostile)
            assert client.get("/healthz").status_code == 200
    finally:
        close = getattr(app.state.catalog, "close", None)
        if close is not None:
            close()
