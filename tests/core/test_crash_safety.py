"""SIGKILL in the middle of ingestion, then rerun: nothing lost, nothing duplicated."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from aulac_rag.sandbox import Sandbox
from tests.helpers import make_user_sandbox, write_jsonl

TOPICS = ["bảo hiểm y tế", "chuyển tuyến", "kháng sinh", "quyền người bệnh", "viện phí", "tiêm chủng"]


def _corpus(path: Path, version: int, n: int = 24) -> Path:
    records = []
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        sentence = f"Đoạn {{j}} phiên bản {version} của tài liệu {i} nói về {topic} và quyền lợi của người dân. "
        paragraphs = [(sentence.format(j=j) * 3).strip() for j in range(4)]
        records.append({"id": f"doc-{i:02d}", "title": f"Tài liệu {i} về {topic}", "text": "\n\n".join(paragraphs)})
    return write_jsonl(path, records)


INGEST = """
import sys
from aulac_rag.sandbox import Sandbox
box = Sandbox("crash")
box.ingest([sys.argv[1]])
box.close()
"""


def _count(home: Path, where: str) -> int:
    """Manifest rows matching ``where``, read from outside the ingesting process."""
    db = home / "state" / "crash" / "manifest.sqlite"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return conn.execute(f"SELECT COUNT(*) FROM documents WHERE {where}").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _kill_mid_ingest(home: Path, corpus: Path, after_committed: int) -> None:
    """Start ingestion in a child process and SIGKILL it while a document is pending."""
    env = {**os.environ, "AULAC_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-c", INGEST, str(corpus)], env=env)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if _count(home, "doc_hash IS NOT NULL") >= after_committed and _count(home, "pending_hash IS NOT NULL") > 0:
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.005)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "ingestion finished before it could be killed mid-document"


def _assert_consistent(box: Sandbox, version: int, n: int = 24) -> None:
    records = box.documents()
    assert len(records) == n and not box.manifest.pending()
    payloads = box.index.scroll_payloads(["doc_id", "chunk_id", "doc_hash", "text"])
    assert len(payloads) == sum(r.chunks for r in records) == box.index.count()
    chunk_ids = Counter(p["chunk_id"] for p in payloads)
    assert max(chunk_ids.values()) == 1, "duplicated chunks"
    hashes = {r.doc_id: r.doc_hash for r in records}
    assert all(p["doc_hash"] == hashes[p["doc_id"]] for p in payloads), "points from a stale version"
    other = f"phiên bản {3 - version} "
    assert all(f"phiên bản {version} " in p["text"] and other not in p["text"] for p in payloads)


def test_sigkill_during_ingestion_then_rerun(aulac_home: Path, tmp_path: Path) -> None:
    make_user_sandbox(aulac_home, "crash", retrieval={"chunking": {"max_tokens": 40}})
    v1 = _corpus(tmp_path / "v1.jsonl", 1)

    _kill_mid_ingest(aulac_home, v1, after_committed=5)
    box = Sandbox("crash")
    summary = box.ingest([str(v1)])
    assert summary.errors == [] and summary.skipped >= 5
    _assert_consistent(box, 1)
    box.close()

    # A changed corpus, killed while replacing documents: old versions stay answerable until replaced.
    v2 = _corpus(tmp_path / "v2.jsonl", 2)
    _kill_mid_ingest(aulac_home, v2, after_committed=24)
    box = Sandbox("crash")
    assert box.index.count() >= sum(r.chunks for r in box.documents()) > 0
    assert box.retrieve("tiêm chủng", k=3).hits
    summary = box.ingest([str(v2)])
    assert summary.errors == []
    _assert_consistent(box, 2)
    assert box.ingest([str(v2)]).skipped == 24
    box.close()
