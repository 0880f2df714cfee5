from __future__ import annotations

from pathlib import Path

from aulac_rag.audit import AuditEntry, AuditLog


def entry(sandbox: str = "hc", i: int = 0, key_id: str = "k1") -> AuditEntry:
    return AuditEntry(
        sandbox=sandbox,
        key_id=key_id,
        role="user",
        question=f"Câu hỏi số {i}?",
        retrieved=[{"doc_id": "a.md", "chunk_id": "a.md#0", "score": 0.5 + i / 1000}],
        guardrails=[{"rule": "disclaimer", "action": "allow", "message": "Tham khảo."}],
        answer=f"Trả lời {i} [1].",
        refused=False,
        mode="extractive",
        backend="extractive",
        model="extractive",
        config_hash="f" * 64,
        latency_ms=12.3456 + i,
    )


def append_many(path: str | Path, sandbox: str, count: int, key_id: str = "k1") -> None:
    """Module-level so multiprocessing can run it."""
    log = AuditLog(path)
    for i in range(count):
        log.append(entry(sandbox, i, key_id))
