"""What the API needs from the application: :class:`aulac_rag.service.SandboxService` provides it;
tests pass a smaller catalog of their own to ``create_app``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from aulac_rag.audit import AuditLog
from aulac_rag.pipeline import AnswerPipeline, Caller

if TYPE_CHECKING:
    from aulac_rag.service import TrialCheck


class SandboxCatalog(Protocol):
    """The part of the service the API routes call."""

    audit_log: AuditLog

    def sandboxes(self) -> list[dict[str, Any]]:
        """``[{"name", "domain", "description", "documents", "chunks"}]``."""
        ...

    def pipeline(self, name: str) -> AnswerPipeline:
        """The sandbox's answer pipeline (SandboxNotFound when there is none)."""
        ...

    def ingest(
        self, name: str, paths: Sequence[str] = (), *, prune: bool = False, demo: bool = False, caller: Any = None
    ) -> Any:
        """Ingest files, folders or URLs; an IngestSummary (or anything with ``to_dict()``)."""
        ...

    home: Path

    def retrieve(self, name: str, query: str, k: int | None = None, filters: dict[str, Any] | None = None) -> Any: ...

    def retrieve_batch(self, name: str, queries: list[str], k: int | None = None) -> list[Any]: ...

    def documents(self, name: str) -> list[dict[str, Any]]: ...

    def delete_document(self, name: str, doc_id: str, *, caller: Any = None) -> bool: ...

    def add_feedback(self, name: str, question: str, answer: str, rating: str, comment: str = "", *,
                     caller: Any) -> int: ...  # fmt: skip

    def evaluate(self, name: str, **options: Any) -> tuple[Any, dict[str, Any]]: ...

    def trial(self, name: str) -> Any: ...

    def settings(self, name: str) -> dict[str, Any]: ...

    def examples(self, name: str, n: int = 3) -> list[str]: ...

    def reports(self, name: str) -> list[dict[str, Any]]: ...
    def feedback(self, name: str, limit: int = 200) -> list[dict[str, Any]]: ...
    def trial_check(self, name: str, *, caller: Caller, limit: int | None = None) -> TrialCheck: ...
    def report_file(self, name: str, run: str, file: str) -> bytes | None: ...

    def change_trial(self, name: str, action: str, *, caller: Any, reason: str = "") -> Any: ...

    def incidents(self, name: str, status: str = "open") -> list[Any]: ...

    def update_incident(self, name: str, incident_id: int, *, caller: Any, status: str | None = None,
                        note: str = "") -> Any: ...  # fmt: skip

    def write_trial_reports(self, name: str, period: str = "periodic", *, since: Any = None, until: Any = None,
                            caller: Any = None) -> dict[str, Path]: ...  # fmt: skip

    def trial_reports(self, name: str) -> list[Path]: ...

    def policy_history(self, name: str, *, caller: Any = None) -> list[Any]: ...

    def audit_export(self, name: str, *, since: Any = None, until: Any = None, fmt: str = "jsonl") -> Any: ...
