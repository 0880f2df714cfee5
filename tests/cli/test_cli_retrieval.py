"""End to end through the installed ``aulac`` command on a fresh AULAC_HOME (CONTRACTS.md shapes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import write_jsonl


def aulac(*args: str, home: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AULAC_HOME": str(home)}
    cmd = [sys.executable, "-m", "aulac_rag.cli", *args]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_sandbox_ingest_retrieve_contracts(tmp_path: Path) -> None:
    home = tmp_path / "fresh-home"
    listed = json.loads(aulac("sandbox", "list", "--json", home=home).stdout)
    assert [row["name"] for row in listed][:3] == ["healthcare", "education", "finance"]
    assert set(listed[0]) >= {"name", "domain", "description", "documents", "chunks"} and listed[0]["documents"] == 0

    aulac("sandbox", "create", "kho", "--from", "general", "--description", "Kho thử", home=home)
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "vay.md").write_text("# Vay tiêu dùng\n\nLãi suất cho vay tiêu dùng do ngân hàng và khách hàng thỏa thuận.", encoding="utf-8")
    (docs / "sub" / "the.txt").write_text("Khi mất thẻ ngân hàng, hãy gọi tổng đài để khóa thẻ ngay.", encoding="utf-8")
    (docs / "hong.pdf").write_bytes(b"%PDF-1.4 broken")
    (docs / "rong.txt").write_text("", encoding="utf-8")
    records = write_jsonl(tmp_path / "recs.jsonl", [{"id": "r1", "title": "Bảo hiểm tiền gửi", "text": "Hạn mức chi trả bảo hiểm tiền gửi là 125 triệu đồng."}])

    out = json.loads(aulac("ingest", "kho", str(docs), str(records), "--json", home=home).stdout)
    assert set(out) >= {"documents", "chunks", "skipped", "errors", "seconds"}
    assert out["documents"] == 3 and out["chunks"] >= 3
    failed = {Path(e["source"]).name for e in out["errors"]}
    assert failed == {"hong.pdf", "rong.txt"}
    again = json.loads(aulac("ingest", "kho", str(docs), str(records), "--json", home=home).stdout)
    assert (again["documents"], again["skipped"]) == (0, 3)

    hits = json.loads(aulac("retrieve", "kho", "han muc bao hiem tien gui", "--k", "2", "--json", home=home).stdout)
    assert hits["query"] == "han muc bao hiem tien gui" and "timings_ms" in hits
    assert hits["hits"][0]["doc_id"] == "r1"
    assert set(hits["hits"][0]) >= {"doc_id", "chunk_id", "score", "title", "text"}

    queries = write_jsonl(tmp_path / "q.jsonl", [{"id": "a", "question": "mất thẻ thì làm gì"}, {"id": "b", "question": "lãi suất vay tiêu dùng"}])
    lines = [json.loads(line) for line in aulac("retrieve", "kho", "--queries", str(queries), "--json", home=home).stdout.splitlines()]
    assert [(line["id"], line["hits"][0]["doc_id"]) for line in lines] == [("a", "sub/the.txt"), ("b", "vay.md")]

    listed = {row["name"]: row for row in json.loads(aulac("sandbox", "list", "--json", home=home).stdout)}
    assert (listed["kho"]["documents"], listed["healthcare"]["documents"]) == (3, 0)


def test_demo_ingest_and_errors_are_one_line(tmp_path: Path) -> None:
    home = tmp_path / "demo-home"
    out = json.loads(aulac("ingest", "healthcare", "--demo", "--json", home=home).stdout)
    assert out["documents"] >= 15 and out["errors"] == []
    top = json.loads(aulac("retrieve", "healthcare", "quyền từ chối điều trị của người bệnh", "--json", home=home).stdout)["hits"][0]
    assert "tu-choi" in top["doc_id"] or "quyen" in top["doc_id"]

    bad = aulac("retrieve", "khong-co", "x", "--json", home=home, check=False)
    assert bad.returncode != 0 and bad.stdout == ""
    assert len(bad.stderr.strip().splitlines()) == 1 and "khong-co" in bad.stderr
    usage = aulac("retrieve", "healthcare", home=home, check=False)
    assert usage.returncode != 0 and "QUERY" in usage.stderr
