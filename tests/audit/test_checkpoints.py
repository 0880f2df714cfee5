"""Signed checkpoints: an operator who can write audit.sqlite still cannot rewrite history unseen."""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

import pytest

from aulac_rag.audit import AuditLog
from aulac_rag.audit.chain import GENESIS, row_hash
from tests.audit.helpers import entry
from tests.helpers import run_cli

Run = tuple[pytest.CaptureFixture[str], pytest.MonkeyPatch]


@pytest.fixture
def signed(aulac_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two sandboxes with rows, a key outside AULAC_HOME, and a checkpoint file of both chains."""
    log = AuditLog()
    for i in range(4):
        log.append(entry("hc", i))
    log.append(entry("fi", 0))
    log.close()
    key = tmp_path / "keys" / "audit.pem"
    key.parent.mkdir()
    code, out, _ = run_cli(["audit", "keygen", "--out", str(key)], capsys, monkeypatch)
    assert code == 0 and json.loads(out)["key_id"]
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    monkeypatch.setenv("AULAC_AUDIT_KEY", str(key))
    checkpoint = tmp_path / "cp.json"
    code, _, _ = run_cli(["audit", "checkpoint", "--out", str(checkpoint)], capsys, monkeypatch)
    assert code == 0
    points = json.loads(checkpoint.read_text(encoding="utf-8"))
    assert [(p["sandbox"], p["size"]) for p in points] == [("fi", 1), ("hc", 4)]
    assert set(points[0]) >= {"sandbox", "size", "head", "time", "key_id", "signature"}
    return checkpoint


def _verify(checkpoint: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, dict]:
    code, out, _ = run_cli(["audit", "verify", "--checkpoint", str(checkpoint), "--json"], capsys, monkeypatch)
    return code, json.loads(out)


def _rehash(db: Path, sandbox: str) -> None:
    """What an operator with write access does: recompute every row hash and the head after an edit."""
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        prev = GENESIS
        for row in conn.execute("SELECT * FROM audit WHERE sandbox = ? ORDER BY seq", (sandbox,)).fetchall():
            data = dict(row)
            for name in ("retrieved", "guardrails"):
                data[name] = json.loads(data[name])
            data["refused"] = bool(data["refused"])
            data["prev_hash"] = prev
            new = row_hash(data)
            conn.execute("UPDATE audit SET prev_hash = ?, row_hash = ? WHERE id = ?", (prev, new, row["id"]))
            prev = new
        conn.execute("UPDATE audit_head SET row_hash = ? WHERE sandbox = ?", (prev, sandbox))


def test_untouched_log_extends_its_checkpoint_and_grows(signed: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    AuditLog().append(entry("hc", 9))  # the log may grow after a checkpoint
    code, report = _verify(signed, capsys, monkeypatch)
    assert code == 0 and report["ok"] and report["problems"] == [] and report["rows"] == 6


def test_rehashed_edit_passes_the_chain_but_not_the_checkpoint(
    signed: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = AuditLog().path
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE audit SET answer = 'Câu trả lời đã sửa' WHERE sandbox = 'hc' AND seq = 2")
    _rehash(db, "hc")
    code, _, _ = run_cli(["audit", "verify"], capsys, monkeypatch)
    assert code == 0  # the plain chain cannot see it: that is why checkpoints exist
    code, report = _verify(signed, capsys, monkeypatch)
    assert code == 1 and not report["ok"] and any("re-hashed" in p for p in report["problems"])


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("DELETE FROM audit WHERE sandbox = 'hc' AND seq = 4", "truncated"),
        ("DELETE FROM audit WHERE sandbox = 'hc' AND seq = 2", "deleted"),
        ("DELETE FROM audit WHERE sandbox = 'fi'; DELETE FROM audit_head WHERE sandbox = 'fi'", "chain is gone"),
    ],
)
def test_deletions_are_caught(
    signed: Path, sql: str, expected: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with sqlite3.connect(AuditLog().path) as conn:
        conn.executescript(sql)
    code, report = _verify(signed, capsys, monkeypatch)
    assert code == 1 and any(expected in p for p in report["problems"]), report["problems"]


def test_forged_checkpoint_is_rejected(signed: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    points = json.loads(signed.read_text(encoding="utf-8"))
    points[1]["size"] = 3
    signed.write_text(json.dumps(points), encoding="utf-8")
    code, report = _verify(signed, capsys, monkeypatch)
    assert code == 1 and any("signature does not verify" in p for p in report["problems"])


def test_no_key_is_a_one_line_error(aulac_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AULAC_AUDIT_KEY", raising=False)
    code, _, err = run_cli(["audit", "checkpoint", "--out", str(tmp_path / "x.json")], capsys, monkeypatch)
    assert code == 1 and len(err.strip().splitlines()) == 1 and "AULAC_AUDIT_KEY" in err


def test_keygen_refuses_to_overwrite_or_to_write_inside_the_home(
    aulac_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = tmp_path / "k.pem"
    assert run_cli(["audit", "keygen", "--out", str(key)], capsys, monkeypatch)[0] == 0
    code, _, err = run_cli(["audit", "keygen", "--out", str(key)], capsys, monkeypatch)
    assert code == 1 and "refusing to overwrite" in err
    code, _, err = run_cli(["audit", "keygen", "--out", str(aulac_home / "k.pem")], capsys, monkeypatch)
    assert code == 1 and "outside AULAC_HOME" in err


def test_audit_and_key_files_are_private(aulac_home: Path) -> None:
    from aulac_rag.keys import KeyStore

    log = AuditLog()
    log.append(entry("hc", 0))
    log.close()
    store = KeyStore.for_home(aulac_home)
    store.create("hc", "user")
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
