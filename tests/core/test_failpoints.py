"""SIGKILL at every named step boundary of ingestion, deletion, pruning and recovery; a rerun loses nothing.

Each case runs the operation in a child process with ``AULAC_FAILPOINT`` set (the process kills
itself there, as a power cut would), then runs the *next* ingestion of an unrelated file, then
checks the invariants: nothing pending, every committed document has exactly its current chunks
in the index, no other points, and the changed document can still be brought to its new version.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from aulac_rag.failpoints import FAILPOINTS
from aulac_rag.sandbox import Sandbox
from tests.helpers import make_user_sandbox, write_jsonl

CHILD = """
import sys
from aulac_rag.sandbox import Sandbox
box = Sandbox("fp")
op, arg = sys.argv[1], sys.argv[2]
if op == "ingest":
    box.ingest([arg])
elif op == "prune":
    box.ingest([arg], prune=True)
elif op == "delete":
    box.delete_document(arg)
box.close()
"""


def _docs(version: int, ids: tuple[str, ...] = ("doc-0", "doc-1", "doc-2")) -> list[dict]:
    out = []
    for n, doc_id in enumerate(ids):
        v = version if doc_id == "doc-0" else 1  # only doc-0 changes between versions
        paragraphs = [f"Đoạn {j} phiên bản {v} của tài liệu {n} về bảo hiểm y tế và quyền lợi người bệnh. " * 6 for j in range(5)]
        out.append({"id": doc_id, "title": f"Tài liệu {n}", "text": "\n\n".join(paragraphs)})
    return out


def _child(home: Path, op: str, arg: str, failpoint: str | None = None) -> int:
    env = {**os.environ, "AULAC_HOME": str(home)}
    env.pop("AULAC_FAILPOINT", None)
    if failpoint:
        env["AULAC_FAILPOINT"] = failpoint
    return subprocess.run([sys.executable, "-c", CHILD, op, arg], env=env, timeout=300).returncode


def _invariants(home: Path) -> dict[str, int]:
    """Check the invariants; return doc_id → version of doc text found in the index."""
    box = Sandbox("fp", home)
    try:
        assert box.manifest.pending() == []
        records = {r.doc_id: r for r in box.manifest.all()}
        payloads = box.index.scroll_payloads(["doc_id", "doc_hash", "chunk_id", "text"])
        per_doc = Counter(p["doc_id"] for p in payloads)
        assert set(per_doc) == set(records), "points without a manifest row, or rows without points"
        for doc_id, record in records.items():
            current = [p for p in payloads if p["doc_id"] == doc_id and p["doc_hash"] == record.doc_hash]
            assert len(current) == record.chunks == per_doc[doc_id], doc_id
            assert len({p["chunk_id"] for p in current}) == len(current), f"duplicates in {doc_id}"
        versions = {}
        for doc_id in records:
            text = " ".join(p["text"] for p in payloads if p["doc_id"] == doc_id)
            versions[doc_id] = 2 if "phiên bản 2" in text else 1
            assert not ("phiên bản 2" in text and "phiên bản 1" in text and doc_id == "doc-0"), "two versions mixed"
        return versions
    finally:
        box.close()


@pytest.fixture()
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    make_user_sandbox(home, "fp", retrieval={"chunking": {"max_tokens": 60}})
    write_jsonl(tmp_path / "v1.jsonl", _docs(1))
    write_jsonl(tmp_path / "v2.jsonl", _docs(2))
    write_jsonl(tmp_path / "other.jsonl", [{"id": "other", "title": "Khác", "text": "Một tài liệu khác về viện phí."}])
    write_jsonl(tmp_path / "pruned.jsonl", _docs(1, ("doc-0", "doc-2")))
    assert _child(home, "ingest", str(tmp_path / "v1.jsonl")) == 0
    return home


INGEST_POINTS = [p for p in FAILPOINTS if p.startswith("ingest.")]


def test_every_failpoint_is_covered() -> None:
    covered = {*INGEST_POINTS, "delete.after_mark", "delete.after_points", "recover.after_index"}
    assert covered == set(FAILPOINTS)


@pytest.mark.parametrize("point", INGEST_POINTS)
def test_killed_while_reindexing_a_changed_document(home: Path, point: str) -> None:
    tmp = home.parent
    assert _child(home, "ingest", str(tmp / "v2.jsonl"), point) == -9  # killed at the failpoint
    assert _child(home, "ingest", str(tmp / "other.jsonl")) == 0  # the next, unrelated ingestion recovers
    versions = _invariants(home)
    assert versions["doc-1"] == versions["doc-2"] == 1 and "other" in versions
    # never "skipped forever": ingesting v2 again ends on v2
    assert _child(home, "ingest", str(tmp / "v2.jsonl")) == 0
    assert _invariants(home)["doc-0"] == 2


@pytest.mark.parametrize("point", ["delete.after_mark", "delete.after_points"])
def test_killed_while_deleting(home: Path, point: str) -> None:
    assert _child(home, "delete", "doc-1", point) == -9
    assert _child(home, "ingest", str(home.parent / "other.jsonl")) == 0
    versions = _invariants(home)
    assert "doc-1" not in versions and {"doc-0", "doc-2"} <= set(versions)


@pytest.mark.parametrize("point", ["delete.after_mark", "delete.after_points"])
def test_killed_while_pruning(home: Path, point: str) -> None:
    assert _child(home, "prune", str(home.parent / "pruned.jsonl"), point) == -9
    assert _child(home, "ingest", str(home.parent / "other.jsonl")) == 0
    assert "doc-1" not in _invariants(home)


def test_killed_during_recovery_itself(home: Path) -> None:
    tmp = home.parent
    assert _child(home, "ingest", str(tmp / "v2.jsonl"), "ingest.after_delete_old") == -9
    assert _child(home, "ingest", str(tmp / "other.jsonl"), "recover.after_index") == -9
    assert _child(home, "ingest", str(tmp / "other.jsonl")) == 0
    assert _invariants(home)["doc-0"] == 2  # the complete new version was rolled forward, not deleted


def _doctor(home: Path, *args: str) -> tuple[int, dict]:
    import json

    env = {**os.environ, "AULAC_HOME": str(home)}
    env.pop("AULAC_FAILPOINT", None)
    run = subprocess.run([sys.executable, "-m", "aulac_rag.cli", "doctor", "fp", "--json", *args], env=env,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    return run.returncode, json.loads(run.stdout)


def test_doctor_reports_and_repairs(home: Path) -> None:
    code, report = _doctor(home)
    assert code == 0 and report == {"sandbox": "fp", "ok": True, "problems": [], "repaired": []}
    assert _child(home, "ingest", str(home.parent / "v2.jsonl"), "ingest.after_delete_old") == -9
    box = Sandbox("fp", home)
    try:  # damage beyond a crash: points of a document that has no manifest row, a document losing its chunks
        box.manifest.remove("doc-2")
        box.index.delete_where("doc-1")
        box.index.flush()
    finally:
        box.close()
    code, report = _doctor(home)
    assert code == 1 and not report["ok"] and report["repaired"] == []
    text = " ".join(report["problems"])
    assert "doc-0: left pending" in text and "doc-2:" in text and "without a manifest row" in text and "doc-1: 0 of its" in text
    code, report = _doctor(home, "--repair")
    assert code == 0 and report["ok"] and len(report["repaired"]) == 3, report
    versions = _invariants(home)
    assert versions == {"doc-0": 2}  # rolled forward; doc-1 and doc-2 must be ingested again, and say so
    assert _child(home, "ingest", str(home.parent / "v2.jsonl")) == 0
    assert _invariants(home) == {"doc-0": 2, "doc-1": 1, "doc-2": 1}


def test_ingest_into_a_locked_index_fails_at_once_and_leaves_nothing_pending(home: Path) -> None:
    holder = Sandbox("fp", home)
    try:
        holder.index.count()  # this process holds the embedded index open
        env = {**os.environ, "AULAC_HOME": str(home)}
        env.pop("AULAC_FAILPOINT", None)
        run = subprocess.run([sys.executable, "-m", "aulac_rag.cli", "ingest", "fp", str(home.parent / "v2.jsonl")],
                             env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
        assert run.returncode != 0
        assert len(run.stderr.strip().splitlines()) == 1 and "another aulac process" in run.stderr
        assert holder.manifest.pending() == []
    finally:
        holder.close()


def _cli(home: Path, *args: str, failpoint: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AULAC_HOME": str(home), "AULAC_MIN_FREE_MB": os.environ.get("AULAC_MIN_FREE_MB", "256")}
    env.pop("AULAC_FAILPOINT", None)
    if failpoint:
        env["AULAC_FAILPOINT"] = failpoint
    code = "from aulac_rag.cli.main import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("point", ["ingest.after_begin", "ingest.after_upsert", "ingest.after_all_upserts"])
def test_full_disk_while_reindexing_stops_with_one_line_and_loses_nothing(home: Path, point: str) -> None:
    tmp = home.parent
    failed = _cli(home, "ingest", "fp", str(tmp / "v2.jsonl"), failpoint=f"{point}=enospc")
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert len(failed.stderr.strip().splitlines()) == 1 and "free disk space" in failed.stderr
    assert _child(home, "ingest", str(tmp / "other.jsonl")) == 0  # space is back: the next ingest recovers
    versions = _invariants(home)
    assert versions["doc-1"] == versions["doc-2"] == 1 and "other" in versions
    assert _child(home, "ingest", str(tmp / "v2.jsonl")) == 0
    assert _invariants(home)["doc-0"] == 2


def _mount_tmpfs(where: Path, size: str) -> bool:
    """A size-limited file system (tmpfs) when this machine lets us mount one (root in CI)."""
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    return done.returncode == 0


def test_real_full_disk_is_refused_before_anything_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a real, small file system: a nearly full disk stops ingestion with one line, and the cache,
    manifest and index left by the earlier ingest still work once space is back."""
    disk = tmp_path / "disk"
    monkeypatch.setenv("AULAC_MIN_FREE_MB", "16")  # a 64 MB disk
    if not _mount_tmpfs(disk, "64m"):
        pytest.skip("cannot mount a tmpfs here (needs root); the simulated ENOSPC tests above still run")
    try:
        home = disk / "home"
        make_user_sandbox(home, "fp", retrieval={"chunking": {"max_tokens": 60}})
        write_jsonl(tmp_path / "v1.jsonl", _docs(1))
        write_jsonl(tmp_path / "v2.jsonl", _docs(2))
        assert _cli(home, "ingest", "fp", str(tmp_path / "v1.jsonl")).returncode == 0
        filler = disk / "filler"
        with filler.open("wb") as out:  # fill the disk but a few MB
            while True:
                try:
                    out.write(b"\0" * (1 << 20))
                    out.flush()
                except OSError:
                    break
        free_mb = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize / (1 << 20)
        failed = _cli(home, "ingest", "fp", str(tmp_path / "v2.jsonl"))
        assert failed.returncode == 1 and "Traceback" not in failed.stderr, failed.stderr
        assert "MB free" in failed.stderr and len(failed.stderr.strip().splitlines()) == 1
        filler.unlink()
        assert _cli(home, "ingest", "fp", str(tmp_path / "v2.jsonl"), "--json").returncode == 0
        print(f"\nfull disk: {free_mb:.1f} MB free at the refused ingest; rerun after freeing space ok")
        assert _invariants(home)["doc-0"] == 2
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_a_broken_embedding_cache_is_rebuilt(tmp_path: Path) -> None:
    from aulac_rag.config import EmbedderConfig
    from aulac_rag.embeddings import create_embedder
    from aulac_rag.embeddings.cache import CachedPassageEmbedder

    path = tmp_path / "cache" / "embeddings.sqlite"
    path.parent.mkdir()
    path.write_bytes(b"SQLite format 3\0" + b"\xff" * 100)  # what a full disk can leave behind
    path.with_name(path.name + "-shm").write_bytes(b"abc")
    cache = CachedPassageEmbedder(create_embedder(EmbedderConfig()), path)
    try:
        assert cache.embed_passages(["Bảo hiểm y tế"]).shape[0] == 1
    finally:
        cache.close()
