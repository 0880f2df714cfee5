"""``aulac audit verify|export`` through the real entry point."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from aulac_rag.audit import AuditLog
from tests.audit.helpers import entry
from tests.helpers import run_cli


@pytest.fixture
def filled(aulac_home: Path) -> AuditLog:
    log = AuditLog()
    for i in range(3):
        log.append(entry("hc", i))
    return log


def test_verify_ok(filled: AuditLog, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run_cli(["audit", "verify"], capsys, monkeypatch)
    assert code == 0 and out.startswith("ok: 3 rows, chains intact (hc: seq 3 head ")
    code, out, _ = run_cli(["audit", "verify", "--sandbox", "hc", "--json"], capsys, monkeypatch)
    assert code == 0 and json.loads(out)["ok"] is True


def test_verify_tampered_exits_1_naming_the_row(
    filled: AuditLog, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with sqlite3.connect(filled.path) as conn:
        conn.execute("UPDATE audit SET question = 'khác' WHERE seq = 2")
    code, out, err = run_cli(["audit", "verify"], capsys, monkeypatch)
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [
        "error: audit log tampered: row id=2 (sandbox hc, seq 2): row_hash does not match its content: row edited"
    ]


def test_export_and_verify_file(
    filled: AuditLog, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out_file = tmp_path / "x.jsonl"
    code, _, err = run_cli(["audit", "export", "--format", "jsonl", "--out", str(out_file)], capsys, monkeypatch)
    assert code == 0 and "wrote 3 rows" in err
    assert [json.loads(line)["seq"] for line in out_file.read_text(encoding="utf-8").splitlines()] == [1, 2, 3]
    code, out, _ = run_cli(["audit", "verify", "--file", str(out_file)], capsys, monkeypatch)
    assert code == 0 and out.startswith("ok: 3 rows")
    code, out, _ = run_cli(["audit", "export", "--format", "csv"], capsys, monkeypatch)
    assert code == 0 and out.splitlines()[0].startswith("id,seq,ts,sandbox,key_id,role,question")
    code, _, err = run_cli(["audit", "export", "--format", "xml"], capsys, monkeypatch)
    assert code == 1 and "unknown export format 'xml'" in err
