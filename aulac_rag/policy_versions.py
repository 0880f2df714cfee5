"""The version history of a sandbox's policy, prompt, settings and trial plan (Law on AI, Art. 14.1(c)).

Each time the content of ``sandbox.yaml``, the guardrail policy, the system prompt or ``trial.yaml``
differs from the last recorded version (by sha256), :meth:`PolicyHistory.record` keeps a new
version (hash, time, who when known, a short diff summary) in
``AULAC_HOME/state/<sandbox>/policy_versions.json`` and writes it to the audit trail as a ``policy``
event row (the file's hash in the row's ``config_hash``). The first versions seen in a home are its
baseline: kept in the history, not audited (nothing changed yet). The content of each version is
kept by hash beside it, so the next change can say what changed. The service records on opening a
sandbox, so the versions that answered questions are always in the history; a failure to record is
an error (fail closed).

    history = PolicyHistory.of(sandbox)
    history.record(by="local (cli)", audit=AuditLog.for_home(sandbox.home))
    history.versions()   # oldest first
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from aulac_rag.errors import AuditError, ConfigError
from aulac_rag.fileperm import make_private

VERSIONS_FILE = "policy_versions.json"
SNAPSHOT_DIR = "policy_snapshots"
Kind = Literal["sandbox", "policy", "prompt", "trial"]
#: The tracked files in Vietnamese, for screens and reports.
KIND_LABELS: dict[str, str] = {
    "sandbox": "cấu hình sandbox",
    "policy": "chính sách guardrails",
    "prompt": "lời nhắc hệ thống",
    "trial": "kế hoạch thử nghiệm",
}
BASELINE = "phiên bản đầu tiên được ghi nhận"
_DIFF_LINES = 3


class PolicyVersion(BaseModel):
    """One recorded version of one tracked file (``aulac trial history --json`` items)."""

    kind: Kind
    file: str  # path relative to the sandbox's folder
    sha256: str | None  # None: the file is absent
    time: str
    by: str  # who recorded it (key and role, or the process); the files are edited outside aulac
    summary: str
    audit_seq: int = 0  # the ``policy`` audit row (0: baseline, not audited)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def diff_summary(old: str | None, new: str | None) -> str:
    """``+2 −1 dòng: - action: block | + action: escalate`` (a few changed lines, shortened)."""
    if old is None and new is None:
        return "không có tệp"
    if old is None:
        return f"tệp được tạo ({len((new or '').splitlines())} dòng)"
    if new is None:
        return "tệp bị xoá"
    added, removed = 0, 0
    shown: list[str] = []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0):
        if line.startswith(("+++", "---", "@@")):
            continue
        if line.startswith("+"):
            added += 1
        elif line.startswith("-"):
            removed += 1
        else:
            continue
        if len(shown) < _DIFF_LINES and line[1:].strip():
            text = " ".join(line[1:].split())
            shown.append(f"{line[0]} {text[:70]}{'…' if len(text) > 70 else ''}")
    summary = f"+{added} −{removed} dòng"
    return summary + (": " + " | ".join(shown) if shown else " (chỉ khác khoảng trắng)")


class PolicyHistory:
    """The recorded versions of one sandbox's tracked files."""

    def __init__(self, sandbox: str, folder: Path, home: Path, files: dict[str, str]) -> None:
        """``files``: kind → path relative to ``folder`` (see :meth:`of`)."""
        unknown = set(files) - set(KIND_LABELS)
        if unknown:
            raise ConfigError(f"unknown tracked file kinds {sorted(unknown)}; use {', '.join(KIND_LABELS)}")
        self.sandbox = sandbox
        self.folder = Path(folder)
        self.files = dict(files)
        self.state_dir = Path(home) / "state" / sandbox
        self.path = self.state_dir / VERSIONS_FILE

    @classmethod
    def of(cls, sandbox: Any) -> PolicyHistory:
        """The history of a :class:`~aulac_rag.sandbox.Sandbox`: its sandbox.yaml, policy, prompt and trial plan."""
        from aulac_rag.trial import TRIAL_FILE

        config = sandbox.config
        files = {
            "sandbox": "sandbox.yaml",
            "policy": config.guardrails.policy_file,
            "prompt": config.generation.prompt_file,
            "trial": TRIAL_FILE,
        }
        return cls(sandbox.name, Path(sandbox.folder), Path(sandbox.home), files)

    def versions(self) -> list[PolicyVersion]:
        """Every recorded version, oldest first."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return [PolicyVersion.model_validate(item) for item in data]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, ValidationError) as exc:
            raise ConfigError(f"{self.path}: cannot read the policy version history ({exc})") from exc

    def current(self) -> dict[str, PolicyVersion]:
        """The latest recorded version of each kind."""
        latest: dict[str, PolicyVersion] = {}
        for version in self.versions():
            latest[version.kind] = version
        return latest

    def record(self, *, by: str = "", key_id: str = "system", role: str = "system", audit: Any = None) -> list[PolicyVersion]:
        """Record the files whose content changed since their last version; the new versions.

        ``audit`` (an :class:`~aulac_rag.audit.AuditLog`) gets one ``policy`` row per change (not for the
        baseline). An audit failure leaves the history unchanged and raises (the change is seen again)."""
        with self._locked():
            versions = self.versions()
            latest: dict[str, PolicyVersion] = {v.kind: v for v in versions}
            now = datetime.now(timezone.utc).isoformat(timespec="seconds")
            new: list[PolicyVersion] = []
            for kind, relative in self.files.items():
                data = self._read(self.folder / relative)
                digest = _sha256(data) if data is not None else None
                before = latest.get(kind)
                if before is None and digest is None:
                    continue  # never present: nothing to record
                if before is not None and before.sha256 == digest:
                    continue
                text = data.decode("utf-8", errors="replace") if data is not None else None
                if before is None:
                    summary = BASELINE
                else:
                    summary = diff_summary(self._snapshot(before.sha256), text)
                version = PolicyVersion(kind=kind, file=relative, sha256=digest, time=now,  # type: ignore[arg-type]
                                        by=by or f"{key_id} ({role})", summary=summary)  # fmt: skip
                if before is not None and audit is not None:
                    version.audit_seq = self._audit(audit, version, key_id, role)
                if data is not None and digest is not None:
                    self._keep(digest, data)
                new.append(version)
            if new:
                self._write([*versions, *new])
            return new

    # --- storage ---------------------------------------------------------------------------

    @staticmethod
    def _read(path: Path) -> bytes | None:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ConfigError(f"cannot read {path} to record its version: {exc}") from exc

    def _snapshot(self, digest: str | None) -> str | None:
        if digest is None:
            return None
        try:
            return (self.state_dir / SNAPSHOT_DIR / digest).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None

    def _keep(self, digest: str, data: bytes) -> None:
        folder = self.state_dir / SNAPSHOT_DIR
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / digest
        if not target.exists():
            temp = folder / f".{digest}-{os.getpid()}.tmp"
            temp.write_bytes(data)
            os.replace(temp, target)

    def _write(self, versions: list[PolicyVersion]) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_name(f".{VERSIONS_FILE}-{os.getpid()}.tmp")
        temp.write_text(json.dumps([v.model_dump() for v in versions], ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(temp, self.path)

    def _audit(self, audit: Any, version: PolicyVersion, key_id: str, role: str) -> int:
        from aulac_rag.audit import AuditEntry

        message = f"{version.file}: sha256 {(version.sha256 or 'không có tệp')[:16]} — {version.summary}"
        row = audit.append(
            AuditEntry(sandbox=self.sandbox, key_id=key_id, role=role, question="", retrieved=[],
                       guardrails=[{"rule": "policy", "action": version.kind, "message": message}], answer="",
                       refused=False, mode="", backend="", model="", config_hash=version.sha256 or "",
                       latency_ms=0.0, event="policy")
        )  # fmt: skip
        return int(row["seq"])

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One recorder at a time per sandbox and home (processes too, where ``fcntl`` exists)."""
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            lock_path = self.state_dir / ".policy_versions.lock"
            make_private(lock_path)
            handle = lock_path.open("a")
        except OSError as exc:
            raise AuditError(f"cannot record the policy versions of {self.sandbox!r} in {self.state_dir}: {exc}") from exc
        try:
            try:
                import fcntl
            except ImportError:  # pragma: no cover - Windows: one process per home
                yield
                return
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        finally:
            handle.close()
