"""What the UI calls: the aulac-rag library in this process, or the API server when AULAC_API_URL is set.

Both clients have the same methods and return the library's own result types
(:class:`~aulac_rag.pipeline.Answer`, :class:`~aulac_rag.server.keys.ApiKey`), so the
pages never know which one they talk to::

    client = client_from_env()            # LocalClient, or ApiClient(AULAC_API_URL)
    access = client.access(key_text, "healthcare")
    stream = client.ask("healthcare", "Mức hưởng BHYT?", history=[], access=access)
    for text in stream: ...
    answer = stream.answer()

Nothing here decides anything: answering, guarding, ingesting, auditing and feedback
all happen in the library (or behind the API). ``ApiClient`` raises
:class:`UnsupportedByApi` for what the API does not offer yet.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx

from aulac_rag.errors import AulacError
from aulac_rag.generation import Turn
from aulac_rag.home import resolve_home
from aulac_rag.pipeline import Answer, AnswerPipeline, Caller, Citation, GuardrailNote, build_pipeline
from aulac_rag.server.keys import ALL_SANDBOXES, ApiKey, KeyStore

#: The role shown for a key that may read the audit log through the API (which does not say more).
API_AUDIT_ROLE = "regulator/admin"


class ClientError(AulacError):
    """The API answered with an error, or could not be reached; ``status`` is the HTTP status (0: no answer)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class UnsupportedByApi(ClientError):
    """The API server has no endpoint for this yet (use the UI without AULAC_API_URL on the server's host)."""


# --- small shared types -------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """One saved evaluation report: its folder name (a timestamp) and its report.json."""

    run: str
    path: str
    data: dict[str, Any]


class AnswerStreamLike(Protocol):
    """Iterate for the answer's text as it is generated; ``answer()`` gives the final Answer."""

    def __iter__(self) -> Iterator[str]: ...

    def answer(self) -> Answer: ...


class AulacClient(Protocol):
    """The interface of both clients (see the module docstring)."""

    kind: str  # "local" | "api"
    where: str  # AULAC_HOME folder or API URL, for display

    def sandboxes(self) -> list[dict[str, Any]]: ...
    def access(self, key_text: str | None, sandbox: str) -> ApiKey | None: ...
    def ask(self, sandbox: str, question: str, history: Sequence[Turn], access: ApiKey | None) -> AnswerStreamLike: ...
    def document_titles(self, sandbox: str) -> dict[str, str]: ...
    def add_feedback(
        self, sandbox: str, question: str, answer: str, rating: str, comment: str, access: ApiKey | None
    ) -> int: ...
    def documents(self, sandbox: str, access: ApiKey) -> list[dict[str, Any]]: ...
    def ingest_file(self, sandbox: str, path: Path, access: ApiKey) -> dict[str, Any]: ...
    def delete_document(self, sandbox: str, doc_id: str, access: ApiKey) -> bool: ...
    def audit_rows(self, sandbox: str, access: ApiKey, limit: int = 500) -> list[dict[str, Any]]: ...
    def audit_verify(self, sandbox: str, access: ApiKey) -> dict[str, Any]: ...
    def sandbox_settings(self, sandbox: str) -> dict[str, Any]: ...
    def reports(self, sandbox: str) -> list[Report]: ...
    def can_evaluate(self) -> bool: ...
    def run_evaluation(
        self, sandbox: str, access: ApiKey, *, limit: int | None = None, redteam: bool = True
    ) -> dict[str, Any]: ...


def client_from_env() -> AulacClient:
    """``ApiClient(AULAC_API_URL)`` when that variable is set, else ``LocalClient()`` on AULAC_HOME."""
    url = os.environ.get("AULAC_API_URL", "").strip()
    if url:
        return ApiClient(url)
    return LocalClient()


def answer_from_dict(data: dict[str, Any]) -> Answer:
    """An :class:`Answer` from its ``to_dict()`` / API JSON shape."""
    return Answer(
        answer=str(data.get("answer", "")),
        citations=tuple(Citation(**c) for c in data.get("citations", [])),
        guardrails=tuple(GuardrailNote(g["rule"], g["action"], g.get("message")) for g in data.get("guardrails", [])),
        mode=data.get("mode", "extractive"),
        refused=bool(data.get("refused", False)),
        timings_ms=dict(data.get("timings_ms") or {}),
        backend=str(data.get("backend", "")),
        model=str(data.get("model", "")),
        standalone_question=str(data.get("standalone_question") or ""),
    )


# --- the library in this process ----------------------------------------------------


class LocalClient:
    """The library on one AULAC_HOME; sandboxes and pipelines are opened once and shared by sessions.

    Each sandbox's index is used under one lock (retrieval, ingestion, deletion), since
    Streamlit serves every browser session from its own thread.
    """

    kind = "local"

    def __init__(self, home: str | Path | None = None) -> None:
        self.home = resolve_home(home)
        self.where = str(self.home)
        self._lock = threading.Lock()
        self._sandboxes: dict[str, Any] = {}
        self._pipelines: dict[str, AnswerPipeline] = {}
        self._index_locks: dict[str, threading.RLock] = {}

    def _sandbox(self, name: str) -> Any:
        from aulac_rag.sandbox import Sandbox

        with self._lock:
            if name not in self._sandboxes:
                self._sandboxes[name] = Sandbox(name, home=self.home)
                self._index_locks[name] = threading.RLock()
            return self._sandboxes[name]

    def _index_lock(self, name: str) -> threading.RLock:
        self._sandbox(name)
        return self._index_locks[name]

    def _pipeline(self, name: str) -> AnswerPipeline:
        sandbox = self._sandbox(name)
        lock = self._index_lock(name)

        def retrieve(query: str, k: int | None = None, filters: dict[str, Any] | None = None) -> Any:
            with lock:
                return sandbox.retrieve(query, k=k, filters=filters)

        with self._lock:
            if name not in self._pipelines:
                self._pipelines[name] = build_pipeline(sandbox, retrieve=retrieve)
            return self._pipelines[name]

    # chat
    def sandboxes(self) -> list[dict[str, Any]]:
        from aulac_rag.sandbox import list_sandboxes

        return list_sandboxes(home=self.home)

    def access(self, key_text: str | None, sandbox: str) -> ApiKey | None:
        if not key_text or not key_text.strip():
            return None
        return KeyStore.for_home(self.home).authenticate(key_text)

    def ask(self, sandbox: str, question: str, history: Sequence[Turn], access: ApiKey | None) -> AnswerStreamLike:
        caller = Caller(key_id=access.key_id, role=access.role) if access else Caller(key_id="ui", role="ui")
        return self._pipeline(sandbox).stream(question, list(history), caller=caller)

    def document_titles(self, sandbox: str) -> dict[str, str]:
        box = self._sandbox(sandbox)
        with self._index_lock(sandbox):
            return {r.doc_id: r.title for r in box.documents()}

    def add_feedback(
        self, sandbox: str, question: str, answer: str, rating: str, comment: str, access: ApiKey | None
    ) -> int:
        from aulac_rag.feedback import FeedbackStore

        masked = self._pipeline(sandbox).guard.mask_pii(question)
        store = FeedbackStore.for_home(self.home)
        try:
            return store.add(sandbox, masked, answer, rating, comment, access.key_id if access else "ui")
        finally:
            store.close()

    # knowledge base
    def documents(self, sandbox: str, access: ApiKey) -> list[dict[str, Any]]:
        _require(access, "audit", sandbox, ingest_ok=True)
        box = self._sandbox(sandbox)
        with self._index_lock(sandbox):
            records = box.documents()
            findings = box.manifest.findings()
        return [
            {"doc_id": r.doc_id, "title": r.title, "chunks": r.chunks, "updated_at": r.updated_at,
             "flags": sorted({f["rule"] for f in findings.get(r.doc_id, [])})}
            for r in records
        ]  # fmt: skip

    def ingest_file(self, sandbox: str, path: Path, access: ApiKey) -> dict[str, Any]:
        _require(access, "ingest", sandbox)
        box = self._sandbox(sandbox)
        with self._index_lock(sandbox):
            return box.ingest([str(path)], prune=False, progress=False).to_dict()

    def delete_document(self, sandbox: str, doc_id: str, access: ApiKey) -> bool:
        _require(access, "ingest", sandbox)
        box = self._sandbox(sandbox)
        with self._index_lock(sandbox):
            return box.delete_document(doc_id)

    # regulator console
    def audit_rows(self, sandbox: str, access: ApiKey, limit: int = 500) -> list[dict[str, Any]]:
        from aulac_rag.audit import AuditLog

        _require(access, "audit", sandbox)
        return AuditLog.for_home(self.home).rows(sandbox, limit=limit, newest_first=True)

    def audit_verify(self, sandbox: str, access: ApiKey) -> dict[str, Any]:
        from aulac_rag.audit import AuditLog

        _require(access, "audit", sandbox)
        return AuditLog.for_home(self.home).verify(sandbox).to_dict()

    def sandbox_settings(self, sandbox: str) -> dict[str, Any]:
        box = self._sandbox(sandbox)
        config = box.config

        def read(relative: str) -> str | None:
            path = box.folder / relative
            return path.read_text(encoding="utf-8") if path.is_file() else None

        return {
            "name": box.name,
            "domain": config.domain,
            "description": config.description,
            "folder": str(box.folder),
            "sandbox_yaml": read("sandbox.yaml"),
            "policy_file": config.guardrails.policy_file,
            "policy": read(config.guardrails.policy_file),
            "prompt_file": config.generation.prompt_file,
            "prompt": read(config.generation.prompt_file),
            "thresholds": _thresholds(dict(config.evaluation.thresholds)),
            "generation": {"backend": config.generation.backend, "model": config.generation.model},
            "embedder": config.retrieval.embedder.name,
        }

    def reports(self, sandbox: str) -> list[Report]:
        root = self.home / "reports" / sandbox
        if not root.is_dir():
            return []
        found = []
        for folder in sorted((p for p in root.iterdir() if (p / "report.json").is_file()), reverse=True):
            try:
                data = json.loads((folder / "report.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            found.append(Report(run=folder.name, path=str(folder), data=data if isinstance(data, dict) else {}))
        return found

    def can_evaluate(self) -> bool:
        return _evaluation_module() is not None

    def run_evaluation(
        self, sandbox: str, access: ApiKey, *, limit: int | None = None, redteam: bool = True
    ) -> dict[str, Any]:
        """``aulac eval SANDBOX``: run the evaluation set (and red-team suite), save report.json/.md/.html."""
        _require(access, "audit", sandbox)
        modules = _evaluation_module()
        if modules is None:
            raise UnsupportedByApi(
                "mô-đun đánh giá (aulac_rag.evaluation, aulac_rag.report) chưa có trong bản cài đặt này"
            )
        evaluation, report = modules
        box = self._sandbox(sandbox)
        with self._index_lock(sandbox):
            run = evaluation.EvaluationRunner(box, limit=limit, redteam=redteam).run()
        folder = evaluation.new_run_dir(box.home, box.name)
        paths = report.write_eval_report(run, folder)
        return {**run.summary(), "report": str(paths["html"]), "run_dir": str(folder)}

    def close(self) -> None:
        with self._lock:
            for box in self._sandboxes.values():
                box.close()
            self._sandboxes.clear()
            self._pipelines.clear()


def _require(access: ApiKey | None, action: str, sandbox: str, ingest_ok: bool = False) -> None:
    """The same rule as the API: the key's role and sandbox must allow the action."""
    if access is None:
        raise ClientError("cần khóa API hợp lệ", 401)
    if access.can(action, sandbox) or (ingest_ok and access.can("ingest", sandbox)):
        return
    raise ClientError(f"khóa có vai trò {access.role!r} cho sandbox {access.sandbox!r} không được phép ({action})", 403)


def _thresholds(configured: dict[str, float]) -> list[dict[str, Any]]:
    """Every metric's threshold: ``sandbox.yaml``'s, else the evaluation module's default."""
    try:
        from aulac_rag.evaluation import effective_thresholds, metric_specs
    except ImportError:
        return [{"name": k, "label": "", "threshold": v, "from_config": True} for k, v in configured.items()]
    names = list(metric_specs.names())
    return [
        {"name": n, "label": metric_specs.get(n).label, "threshold": v, "from_config": n in configured}
        for n, v in effective_thresholds(configured, names).items()
    ]


def _evaluation_module() -> tuple[Any, Any] | None:
    """``(aulac_rag.evaluation, aulac_rag.report)`` when both are installed."""
    try:
        from aulac_rag import evaluation, report
    except ImportError:
        return None
    if not hasattr(evaluation, "EvaluationRunner") or not hasattr(report, "write_eval_report"):
        return None
    return evaluation, report


# --- the API server ---------------------------------------------------------------------


class ApiAnswerStream:
    """An answer streamed from ``POST /v1/sandboxes/{name}/ask`` (SSE 'delta' events, then 'answer')."""

    def __init__(self, client: ApiClient, sandbox: str, body: dict[str, Any], key: str | None) -> None:
        self._client = client
        self._sandbox = sandbox
        self._body = body
        self._key = key
        self._answer: Answer | None = None
        self._deltas: list[str] = []

    def __iter__(self) -> Iterator[str]:
        if self._answer is not None:
            yield from self._deltas or [self._answer.answer]
            return
        path = f"/v1/sandboxes/{self._sandbox}/ask"
        try:
            with self._client.http.stream("POST", path, json=self._body, headers=self._client.headers(self._key)) as r:
                if r.status_code >= 400:
                    r.read()
                    raise _api_error(r)
                event = "message"
                for line in r.iter_lines():
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:"):
                        data = json.loads(line[5:].strip())
                        if event == "delta":
                            self._deltas.append(data.get("text", ""))
                            yield data.get("text", "")
                        elif event == "answer":
                            self._answer = answer_from_dict(data)
                        elif event == "error":
                            raise ClientError(_message(data), 502)
                    elif not line:
                        event = "message"
        except httpx.HTTPError as exc:
            raise ClientError(f"không kết nối được API {self._client.where}: {exc}") from exc
        if self._answer is None:
            raise ClientError("API kết thúc luồng mà không gửi câu trả lời", 502)

    def answer(self) -> Answer:
        if self._answer is None:
            for _ in self:
                pass
        assert self._answer is not None
        return self._answer


class ApiClient:
    """The aulac API server at ``base_url``; keys are sent as ``Authorization: Bearer``.

    ``http`` replaces the HTTP client (tests pass FastAPI's TestClient).
    """

    kind = "api"

    def __init__(self, base_url: str, *, http: httpx.Client | None = None, timeout_s: float = 120.0) -> None:
        self.where = base_url.rstrip("/")
        self.http = http or httpx.Client(base_url=self.where, timeout=timeout_s)

    def headers(self, key: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"} if key else {}

    def _call(self, method: str, path: str, key: str | None, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, path, headers=self.headers(key), **kwargs)
        except httpx.HTTPError as exc:
            raise ClientError(f"không kết nối được API {self.where}: {exc}") from exc
        if response.status_code >= 400:
            raise _api_error(response)
        return response

    # chat
    def sandboxes(self) -> list[dict[str, Any]]:
        key = os.environ.get("AULAC_API_KEY") or None
        try:
            return self._call("GET", "/v1/sandboxes", key).json()
        except ClientError as exc:
            if exc.status != 401:
                raise
            from aulac_rag.sandbox import BUNDLED

            return [{"name": n, "domain": n, "description": "", "documents": None, "chunks": None} for n in BUNDLED]

    def access(self, key_text: str | None, sandbox: str) -> ApiKey | None:
        """The key as the server sees it: valid or not, and whether it may read the audit log.

        The API does not say a key's role; a key that may read the audit log is shown as
        regulator/admin, and the server itself refuses uploads by a regulator (403).
        """
        if not key_text or not key_text.strip():
            return None
        key = key_text.strip()
        try:
            self._call("GET", "/v1/sandboxes", key)
        except ClientError as exc:
            if exc.status in (401, 403):
                return None
            raise
        try:
            self._call("GET", f"/v1/sandboxes/{sandbox}/audit", key, params={"limit": 1})
            role = API_AUDIT_ROLE
        except ClientError as exc:
            if exc.status != 403:
                raise
            role = "user"
        key_id = key.split("_")[1] if key.count("_") >= 2 else "api"
        return _ApiKeyText(key_id=key_id, sandbox=sandbox, role=role, label="API", secret=key)

    def ask(self, sandbox: str, question: str, history: Sequence[Turn], access: ApiKey | None) -> AnswerStreamLike:
        body = {"question": question, "history": [{"question": q, "answer": a} for q, a in history], "stream": True}
        return ApiAnswerStream(self, sandbox, body, _secret(access))

    def document_titles(self, sandbox: str) -> dict[str, str]:
        return {}

    def add_feedback(
        self, sandbox: str, question: str, answer: str, rating: str, comment: str, access: ApiKey | None
    ) -> int:
        raise UnsupportedByApi("API chưa có điểm cuối lưu phản hồi 👍/👎")

    # knowledge base
    def documents(self, sandbox: str, access: ApiKey) -> list[dict[str, Any]]:
        raise UnsupportedByApi("API chưa có điểm cuối liệt kê tài liệu")

    def ingest_file(self, sandbox: str, path: Path, access: ApiKey) -> dict[str, Any]:
        with path.open("rb") as handle:
            files = [("files", (path.name, handle, "application/octet-stream"))]
            return self._call("POST", f"/v1/sandboxes/{sandbox}/documents", _secret(access), files=files).json()

    def delete_document(self, sandbox: str, doc_id: str, access: ApiKey) -> bool:
        raise UnsupportedByApi("API chưa có điểm cuối xoá tài liệu")

    # regulator console
    def audit_rows(self, sandbox: str, access: ApiKey, limit: int = 500) -> list[dict[str, Any]]:
        data = self._call("GET", f"/v1/sandboxes/{sandbox}/audit", _secret(access), params={"limit": limit}).json()
        return list(data.get("rows", []))

    def audit_verify(self, sandbox: str, access: ApiKey) -> dict[str, Any]:
        return self._call("GET", f"/v1/sandboxes/{sandbox}/audit/verify", _secret(access)).json()

    def sandbox_settings(self, sandbox: str) -> dict[str, Any]:
        raise UnsupportedByApi("API chưa có điểm cuối đọc cấu hình sandbox")

    def reports(self, sandbox: str) -> list[Report]:
        raise UnsupportedByApi("API chưa có điểm cuối đọc báo cáo đánh giá")

    def can_evaluate(self) -> bool:
        return False

    def run_evaluation(
        self, sandbox: str, access: ApiKey, *, limit: int | None = None, redteam: bool = True
    ) -> dict[str, Any]:
        raise UnsupportedByApi("API chưa có điểm cuối chạy đánh giá")


@dataclass(frozen=True)
class _ApiKeyText(ApiKey):
    """An API key as seen through the API, keeping the text to send with each request."""

    secret: str = ""

    def can(self, action: str, sandbox: str | None = None) -> bool:
        if sandbox is not None and self.sandbox not in (ALL_SANDBOXES, sandbox):
            return False
        return action in ("ask", "list") or self.role == API_AUDIT_ROLE


def _secret(access: ApiKey | None) -> str | None:
    return getattr(access, "secret", None) or os.environ.get("AULAC_API_KEY") or None


def _message(data: Any) -> str:
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return str(data["error"].get("message", data))
    return str(data)


def _api_error(response: httpx.Response) -> ClientError:
    try:
        detail = _message(response.json())
    except ValueError:
        detail = response.text[:200]
    return ClientError(f"API trả lỗi {response.status_code}: {detail}", response.status_code)
