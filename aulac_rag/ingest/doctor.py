"""``aulac doctor``: compare a sandbox's ingestion manifest with its index, and repair what can be repaired.

Problems found: documents left pending by an interrupted run; committed documents whose
current chunks are missing or incomplete in the index; points of other versions; points
whose document has no manifest row; duplicate chunks. Repairs: recovery (roll forward or
back, see :func:`~aulac_rag.ingest.pipeline.recover_pending`), deleting stray points, and dropping the manifest row of
a document whose chunks are gone, so that the next ingestion indexes it again.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from pydantic import BaseModel, Field

from aulac_rag.index.base import VectorIndex
from aulac_rag.ingest.manifest import IngestManifest


class DoctorReport(BaseModel):
    """The ``aulac doctor --json`` shape (CONTRACTS.md)."""

    sandbox: str
    ok: bool
    problems: list[str] = Field(default_factory=list)
    repaired: list[str] = Field(default_factory=list)


def _problems(index: VectorIndex, manifest: IngestManifest) -> tuple[list[str], list[tuple[str, str]]]:
    """(descriptions, actions) where an action is (kind, doc_id)."""
    problems: list[str] = []
    actions: list[tuple[str, str]] = []
    pending: set[str] = set()
    for record in manifest.pending():
        what = "a deletion" if record.deleting else "an ingestion"
        problems.append(f"{record.doc_id}: left pending by an interrupted run ({what})")
        actions.append(("recover", record.doc_id))
        pending.add(record.doc_id)
    records = {r.doc_id: r for r in manifest.all() if r.doc_hash is not None and r.doc_id not in pending}
    payloads = index.scroll_payloads(["doc_id", "doc_hash", "chunk_id"]) if index.exists() else []
    by_doc: dict[str, list[dict]] = defaultdict(list)
    for p in payloads:
        by_doc[str(p.get("doc_id"))].append(p)
    for doc_id, record in records.items():
        points = by_doc.get(doc_id, [])
        current = [p for p in points if p.get("doc_hash") == record.doc_hash]
        stale = len(points) - len(current)
        if len(current) < record.chunks:
            problems.append(f"{doc_id}: {len(current)} of its {record.chunks} chunks are in the index")
            actions.append(("forget", doc_id))
        if stale:
            problems.append(f"{doc_id}: {stale} points of another version")
            actions.append(("prune_versions", doc_id))
        dupes = [c for c, n in Counter(p.get("chunk_id") for p in current).items() if n > 1]
        if dupes:
            problems.append(f"{doc_id}: duplicate chunks {', '.join(map(str, dupes[:5]))}")
            actions.append(("forget", doc_id))
    for doc_id in sorted(set(by_doc) - set(records) - pending):
        problems.append(f"{doc_id}: {len(by_doc[doc_id])} points without a manifest row")
        actions.append(("drop_points", doc_id))
    return problems, actions


def diagnose(name: str, index: VectorIndex, manifest: IngestManifest, repair: bool = False) -> DoctorReport:
    """Check (and with ``repair`` fix) one sandbox; ``ok`` is true when no problem remains."""
    from aulac_rag.ingest.pipeline import recover_pending

    problems, actions = _problems(index, manifest)
    if not repair or not problems:
        return DoctorReport(sandbox=name, ok=not problems, problems=problems)
    repaired: list[str] = []
    if any(kind == "recover" for kind, _ in actions):
        recovered = recover_pending(index, manifest)
        repaired.append(f"finished or rolled back {recovered} pending document(s)")
    for kind, doc_id in actions:
        if kind == "prune_versions":
            record = manifest.get(doc_id)
            if record is not None and record.doc_hash:
                index.delete_where(doc_id, keep_doc_hash=record.doc_hash)
                repaired.append(f"{doc_id}: deleted points of other versions")
        elif kind == "forget":
            index.delete_where(doc_id)
            manifest.remove(doc_id)
            repaired.append(f"{doc_id}: removed its incomplete chunks and manifest row; ingest its source again")
        elif kind == "drop_points":
            index.delete_where(doc_id)
            repaired.append(f"{doc_id}: deleted points that no manifest row describes")
    index.flush()
    remaining, _ = _problems(index, manifest)
    return DoctorReport(sandbox=name, ok=not remaining, problems=remaining, repaired=repaired)
