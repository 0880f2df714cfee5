"""Where the server finds sandboxes: their list, answer pipelines, ingestion and audit log.

:class:`LocalCatalog` serves the sandboxes of one AULAC_HOME through
:class:`aulac_rag.sandbox.Sandbox`; tests pass their own catalog to ``create_app``.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Protocol

from aulac_rag.audit import AuditLog
from aulac_rag.home import resolve_home
from aulac_rag.pipeline import AnswerPipeline, Retriever, build_pipeline
from aulac_rag.retrieval.types import RetrievalResult
from aulac_rag.server.rwlock import ReadWriteLock


class SandboxCatalog(Protocol):
    """What the API needs to serve sandboxes."""

    audit_log: AuditLog

    def list(self) -> list[dict[str, Any]]:
        """``[{"name", "domain", "description", "documents", "chunks"}]``."""
        ...

    def pipeline(self, name: str) -> AnswerPipeline:
        """The sandbox's answer pipeline (SandboxNotFound when there is none)."""
        ...

    def ingest(self, name: str, folder: Path) -> dict[str, Any]:
        """Ingest every file under ``folder``; the ingest summary as a dict."""
        ...


class LocalCatalog:
    """Sandboxes of one AULAC_HOME, opened once and cached.

    Retrievals of a sandbox run concurrently (checked: identical hits from 8 threads);
    an ingestion waits for them and holds the sandbox alone (readers–writer lock).
    """

    def __init__(self, home: str | Path | None = None) -> None:
        self.home = resolve_home(home)
        self.audit_log = AuditLog.for_home(self.home)
        self._sandboxes: dict[str, Any] = {}
        self._pipelines: dict[str, AnswerPipeline] = {}
        self._lock = threading.Lock()
        self._index_locks: dict[str, ReadWriteLock] = {}

    def _sandbox(self, name: str) -> Any:
        with self._lock:
            if name not in self._sandboxes:
                from aulac_rag.sandbox import Sandbox

                self._sandboxes[name] = Sandbox(name, home=self.home)
            return self._sandboxes[name]

    def list(self) -> list[dict[str, Any]]:
        from aulac_rag.sandbox import list_sandboxes

        out = []
        for item in list_sandboxes(home=self.home):
            out.append(item.to_dict() if hasattr(item, "to_dict") else dict(item))
        return out

    def _index_lock(self, name: str) -> ReadWriteLock:
        with self._lock:
            return self._index_locks.setdefault(name, ReadWriteLock())

    def pipeline(self, name: str) -> AnswerPipeline:
        sandbox = self._sandbox(name)
        lock = self._index_lock(name)
        with self._lock:
            if name not in self._pipelines:
                self._pipelines[name] = build_pipeline(
                    sandbox, audit=self.audit_log, retrieve=_locked(sandbox.retrieve, lock)
                )
            return self._pipelines[name]

    def ingest(self, name: str, folder: Path) -> dict[str, Any]:
        sandbox = self._sandbox(name)
        with self._index_lock(name).write():
            return sandbox.ingest([str(folder)], prune=False).to_dict()

    def close(self) -> None:
        with self._lock:
            for sandbox in self._sandboxes.values():
                sandbox.close()
            self._sandboxes.clear()
            self._pipelines.clear()


def _locked(retrieve: Retriever, lock: ReadWriteLock) -> Retriever:
    def locked_retrieve(query: str, k: int | None = None, filters: dict[str, Any] | None = None) -> RetrievalResult:
        with lock.read():
            return retrieve(query, k=k, filters=filters)

    return locked_retrieve
