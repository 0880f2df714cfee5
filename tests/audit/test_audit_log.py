"""The hash-chained audit log: round trip, tampering of every kind, concurrent writers."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import threading
from pathlib import Path

import pytest

from aulac_rag.audit import GENESIS, AuditLog, row_hash, verify_jsonl, write_rows
from tests.audit.helpers import append_many, entry


@pytest.fixture
def log(tmp_path: Path) -> AuditLog:
    log = AuditLog(tmp_path / "audit.sqlite")
    for i in range(5):
        log.append(entry("hc", i))
    for i in range(3):
        log.append(entry("edu", i))
    return log


def _sql(log: AuditLog, statement: str, *params: object) -> None:
    with sqlite3.connect(log.path) as conn:
        conn.execute(statement, params)


def _problems(log: AuditLog, sandbox: str | None = None) -> list[str]:
    return [str(p) for p in log.verify(sandbox).problems]


class TestChain:
    def test_default_path_is_under_aulac_home(self, aulac_home: Path) -> None:
        assert AuditLog().path == aulac_home / "audit.sqlite"

    def test_rows_round_trip_and_chain(self, log: AuditLog) -> None:
        rows = log.rows("hc")
        assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5]
        assert rows[0]["prev_hash"] == GENESIS and rows[1]["prev_hash"] == rows[0]["row_hash"]
        assert all(row_hash(r) == r["row_hash"] for r in rows)
        assert rows[2]["retrieved"] == [{"doc_id": "a.md", "chunk_id": "a.md#0", "score": 0.502}]
        assert rows[2]["latency_ms"] == 14.346 and rows[2]["refused"] is False
        report = log.verify()
        assert report.ok and report.rows == 8 and report.heads["hc"]["seq"] == 5

    def test_wal_mode(self, log: AuditLog) -> None:
        with sqlite3.connect(log.path) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    def test_empty_log_verifies(self, tmp_path: Path) -> None:
        assert AuditLog(tmp_path / "none.sqlite").verify().ok


class TestTampering:
    def test_edited_row(self, log: AuditLog) -> None:
        _sql(log, "UPDATE audit SET answer = 'Sửa lại' WHERE sandbox = 'hc' AND seq = 3")
        problems = _problems(log)
        assert len(problems) == 1 and "seq 3" in problems[0] and "row edited" in problems[0]

    def test_edited_flag_value(self, log: AuditLog) -> None:
        _sql(log, "UPDATE audit SET refused = 2 WHERE sandbox = 'hc' AND seq = 2")
        assert "row edited" in _problems(log, "hc")[0]

    def test_edited_row_with_recomputed_hash(self, log: AuditLog) -> None:
        row = log.rows("hc")[2]
        row["answer"] = "Sửa lại"
        _sql(log, "UPDATE audit SET answer = ?, row_hash = ? WHERE id = ?", row["answer"], row_hash(row), row["id"])
        problems = _problems(log)
        assert "seq 4" in problems[0] and "prev_hash does not match" in problems[0]

    def test_deleted_row(self, log: AuditLog) -> None:
        _sql(log, "DELETE FROM audit WHERE sandbox = 'hc' AND seq = 2")
        problems = _problems(log)
        assert any("seq jumps from 1 to 3: 1 row(s) deleted" in p for p in problems)

    def test_deleted_newest_row(self, log: AuditLog) -> None:
        _sql(log, "DELETE FROM audit WHERE sandbox = 'hc' AND seq = 5")
        problems = _problems(log)
        assert problems == [
            "sandbox hc: chain ends at seq 4 but its head record says seq 5: newest row(s) deleted or altered"
        ]

    def test_deleted_head_record(self, log: AuditLog) -> None:
        _sql(log, "DELETE FROM audit_head WHERE sandbox = 'edu'")
        assert "head record missing" in _problems(log)[0]

    def test_inserted_row(self, log: AuditLog) -> None:
        row = log.rows("hc")[1]
        row.update(seq=3, answer="Chèn vào", prev_hash=row["row_hash"])
        row["row_hash"] = row_hash(row)
        _sql(log, "UPDATE audit SET seq = seq + 1 WHERE sandbox = 'hc' AND seq >= 3")
        cols = [c for c in row if c != "id"]
        values = [
            json.dumps(row[c], ensure_ascii=False, separators=(",", ":"), sort_keys=True)
            if c in ("retrieved", "guardrails")
            else row[c]
            for c in cols
        ]
        _sql(log, f"INSERT INTO audit ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})", *values)
        problems = _problems(log, "hc")
        assert any("seq 4" in p and "prev_hash does not match" in p for p in problems)

    def test_other_sandbox_unaffected(self, log: AuditLog) -> None:
        _sql(log, "UPDATE audit SET answer = 'x' WHERE sandbox = 'hc' AND seq = 1")
        assert log.verify("edu").ok and not log.verify("hc").ok


class TestExport:
    @pytest.mark.parametrize("fmt", ["jsonl", "csv"])
    def test_export_formats(self, log: AuditLog, tmp_path: Path, fmt: str) -> None:
        out = tmp_path / f"audit.{fmt}"
        with out.open("w", encoding="utf-8", newline="") as handle:
            assert write_rows(log.rows(), handle, fmt) == 8
        text = out.read_text(encoding="utf-8")
        assert "Câu hỏi số 4?" in text and log.rows()[0]["row_hash"] in text

    def test_exported_jsonl_verifies_and_detects_edits(self, log: AuditLog, tmp_path: Path) -> None:
        out = tmp_path / "audit.jsonl"
        with out.open("w", encoding="utf-8") as handle:
            write_rows(log.rows(), handle, "jsonl")
        assert verify_jsonl(out).ok
        out.write_text(out.read_text(encoding="utf-8").replace("Trả lời 2 [1].", "Trả lời khác."), encoding="utf-8")
        report = verify_jsonl(out)
        assert not report.ok and report.problems[0].seq == 3


class TestConcurrency:
    def test_threads(self, tmp_path: Path) -> None:
        path = tmp_path / "audit.sqlite"
        threads = [threading.Thread(target=append_many, args=(path, "hc", 20, f"k{t}")) for t in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        log = AuditLog(path)
        report = log.verify()
        assert report.ok and report.rows == 160
        assert [r["seq"] for r in log.rows("hc")] == list(range(1, 161))

    def test_processes(self, tmp_path: Path) -> None:  # racing from an empty file, schema included
        path = tmp_path / "audit.sqlite"
        ctx = multiprocessing.get_context("spawn")
        procs = [ctx.Process(target=append_many, args=(str(path), "hc", 15, f"p{i}")) for i in range(3)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
            assert p.exitcode == 0
        report = AuditLog(path).verify()
        assert report.ok and report.rows == 45


def test_unwritable_log_raises_audit_error(tmp_path: Path) -> None:
    from aulac_rag.errors import AuditError

    (tmp_path / "dir.sqlite").mkdir()
    log = AuditLog(tmp_path / "dir.sqlite")
    with pytest.raises(AuditError, match="cannot open the audit log"):
        log.append(entry())
    log.close()
