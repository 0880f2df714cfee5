"""What the UI calls: the aulac-rag library in this process, or the API server when AULAC_API_URL is set.

Both clients have the same methods and return the library's own result types
(:class:`~aulac_rag.pipeline.Answer`, :class:`~aulac_rag.keys.ApiKey`), so the
pages never know which one they talk to::

    client = client_from_env()            # LocalClient, or ApiClient(AULAC_API_URL)
    access = client.access(key_text)
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
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import httpx

from aulac_rag.errors import AulacError
from aulac_rag.generation import Turn
from aulac_rag.ingest.pipeline import IngestSummary
from aulac_rag.keys import AccessDenied, ApiKey, KeyStore, check_access
from aulac_rag.owner import find_owner
from aulac_rag.pipeline import Answer, Caller
from aulac_rag.service import SandboxService

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

    def sandboxes(self, access: ApiKey | None = None) -> list[dict[str, Any]]: ...
    def access(self, key_text: str | None) -> ApiKey | None: ...
    def ask(
        self, sandbox: str, question: str, history: Sequence[Turn], access: ApiKey | None, participant: str = "ui"
    ) -> AnswerStreamLike: ...
    def document_titles(self, sandbox: str) -> dict[str, str]: ...
    def examples(self, sandbox: str) -> list[str]: ...
    def trial(self, sandbox: str) -> dict[str, Any]: ...
    def change_trial(self, sandbox: str, action: str, reason: str, access: ApiKey | None) -> dict[str, Any]: ...
    def incidents(self, sandbox: str, status: str, access: ApiKey | None) -> list[dict[str, Any]]: ...
    def update_incident(
        self, sandbox: str, incident_id: int, status: str | None, note: str, access: ApiKey | None
    ) -> dict[str, Any]: ...
    def add_feedback(
        self, sandbox: str, question: str, answer: str, rating: str, comment: str, access: ApiKey | None
    ) -> int: ...
    def documents(self, sandbox: str, access: ApiKey | None) -> list[dict[str, Any]]: ...
    def ingest_file(self, sandbox: str, path: Path, access: ApiKey | None) -> IngestSummary: ...
    def delete_document(self, sandbox: str, doc_id: str, access: ApiKey | None) -> bool: ...
    def audit_rows(self, sandbox: str, access: ApiKey | None, limit: int = 500) -> list[dict[str, Any]]: ...
    def audit_verify(self, sandbox: str, access: ApiKey | None) -> dict[str, Any]: ...
    def sandbox_settings(self, sandbox: str, access: ApiKey | None = None) -> dict[str, Any]: ...
    def reports(self, sandbox: str, access: ApiKey | None = None) -> list[Report]: ...
    def feedback_entries(self, sandbox: str, access: ApiKey | None) -> list[dict[str, Any]]: ...
    def report_file(self, sandbox: str, run: str, file: str, access: ApiKey | None) -> bytes | None: ...
    def can_evaluate(self) -> bool: ...
    def run_evaluation(
        self, sandbox: str, access: ApiKey | None, *, limit: int | None = None, redteam: bool = True
    ) -> dict[str, Any]: ...
    def make_trial_report(
        self, sandbox: str, period: str, since: date | None, until: date | None, access: ApiKey | None
    ) -> list[str]: ...
    def trial_reports(self, sandbox: str, access: ApiKey | None) -> list[str]: ...
    def trial_report_file(self, sandbox: str, name: str, access: ApiKey | None) -> bytes: ...
    def policy_history(self, sandbox: str, access: ApiKey | None) -> list[dict[str, Any]]: ...
    def signing_configured(self, sandbox: str, access: ApiKey | None) -> bool: ...
    def audit_export(
        self, sandbox: str, since: date | None, until: date | None, fmt: str, access: ApiKey | None
    ) -> tuple[str, bytes]: ...


def client_from_env() -> AulacClient:
    """``ApiClient(AULAC_API_URL)`` when that variable is set; else the owner of AULAC_HOME when one runs
    (``aulac serve``); else the library in this process, which then owns the home itself: it serves a
    loopback API so that ``aulac ingest`` in another terminal reaches the same open indexes."""
    url = os.environ.get("AULAC_API_URL", "").strip()
    if url:
        return ApiClient(url)
    owner = find_owner()
    if owner is not None:
        return ApiClient(owner.url, service_key=owner.token)
    client = LocalClient()
    client.serve_as_owner()
    return client


# --- the library in this process ----------------------------------------------------


class LocalClient:
    """The library in this process, over the one :class:`~aulac_rag.service.SandboxService` of AULAC_HOME
    (shared by every browser session, and by the local API server the app starts as the home's owner)."""

    kind = "local"

    def __init__(self, home: str | Path | None = None, service: SandboxService | None = None) -> None:
        self.service = service if service is not None else SandboxService(home)
        self.home = self.service.home
        self.where = str(self.home)

    # chat
    def sandboxes(self, access: ApiKey | None = None) -> list[dict[str, Any]]:
        """All sandboxes for the anonymous chat; with a key, those it may use (as the API lists them)."""
        return [s for s in self.service.sandboxes() if access is None or access.can("list", s["name"])]

    def access(self, key_text: str | None) -> ApiKey | None:
        if not key_text or not key_text.strip():
            return None
        return KeyStore.for_home(self.home).authenticate(key_text)

    def ask(
        self, sandbox: str, question: str, history: Sequence[Turn], access: ApiKey | None, participant: str = "ui"
    ) -> AnswerStreamLike:
        """``participant``: the anonymous chat session's id, audited as its key id (role ``ui``)."""
        caller = Caller(key_id=access.key_id, role=access.role) if access else Caller(key_id=participant, role="ui")
        return self.service.ask(sandbox, question, list(history), caller=caller)

    def document_titles(self, sandbox: str) -> dict[str, str]:
        return {d["doc_id"]: d["title"] for d in self.service.documents(sandbox)}

    def examples(self, sandbox: str) -> list[str]:
        """A few example questions of the sandbox (from its evaluation set), for the empty chat."""
        return self.service.examples(sandbox)

    def trial(self, sandbox: str) -> dict[str, Any]:
        return self.service.trial(sandbox).model_dump(mode="json")

    def change_trial(self, sandbox: str, action: str, reason: str, access: ApiKey | None) -> dict[str, Any]:
        _require(access, "audit", sandbox)
        assert access is not None
        caller = Caller(key_id=access.key_id, role=access.role)
        return self.service.change_trial(sandbox, action, caller=caller, reason=reason).model_dump(mode="json")

    def incidents(self, sandbox: str, status: str, access: ApiKey | None) -> list[dict[str, Any]]:
        _require(access, "audit", sandbox)
        return [i.model_dump() for i in self.service.incidents(sandbox, status)]

    def update_incident(
        self, sandbox: str, incident_id: int, status: str | None, note: str, access: ApiKey | None
    ) -> dict[str, Any]:
        _require(access, "audit", sandbox)
        assert access is not None
        caller = Caller(key_id=access.key_id, role=access.role)
        return self.service.update_incident(sandbox, incident_id, caller=caller, status=status, note=note).model_dump()

    def add_feedback(
        self, sandbox: str, question: str, answer: str, rating: str, comment: str, access: ApiKey | None
    ) -> int:
        caller = Caller(key_id=access.key_id, role=access.role) if access else Caller(key_id="ui", role="ui")
        return self.service.add_feedback(sandbox, question, answer, rating, comment, caller=caller)

    # knowledge base
    def documents(self, sandbox: str, access: ApiKey | None) -> list[dict[str, Any]]:
        _require(access, "audit", sandbox, ingest_ok=True)
        return self.service.documents(sandbox)

    def ingest_file(self, sandbox: str, path: Path, access: ApiKey | None) -> IngestSummary:
        _require(access, "ingest", sandbox)
        assert access is not None
        return self.service.ingest(sandbox, [str(path)], caller=Caller(key_id=access.key_id, role=access.role))

    def delete_document(self, sandbox: str, doc_id: str, access: ApiKey | None) -> bool:
        _require(access, "ingest", sandbox)
        assert access is not None
        return self.service.delete_document(sandbox, doc_id, caller=Caller(key_id=access.key_id, role=access.role))

    # regulator console
    def audit_rows(self, sandbox: str, access: ApiKey | None, limit: int = 500) -> list[dict[str, Any]]:

        _require(access, "audit", sandbox)
        return self.service.audit_log.rows(sandbox, limit=limit, newest_first=True)

    def audit_verify(self, sandbox: str, access: ApiKey | None) -> dict[str, Any]:

        _require(access, "audit", sandbox)
        return self.service.audit_log.verify(sandbox).to_dict()

    def sandbox_settings(self, sandbox: str, access: ApiKey | None = None) -> dict[str, Any]:
        return self.service.settings(sandbox)

    def reports(self, sandbox: str, access: ApiKey | None = None) -> list[Report]:
        root = self.home / "reports" / sandbox
        return [Report(run=r["run"], path=str(root / r["run"]), data=r["data"]) for r in self.service.reports(sandbox)]

    def report_file(self, sandbox: str, run: str, file: str, access: ApiKey | None) -> bytes | None:
        _require(access, "audit", sandbox)
        return self.service.report_file(sandbox, run, file)

    def feedback_entries(self, sandbox: str, access: ApiKey | None) -> list[dict[str, Any]]:
        _require(access, "audit", sandbox)
        return self.service.feedback(sandbox)

    def can_evaluate(self) -> bool:
        return True

    def run_evaluation(
        self, sandbox: str, access: ApiKey | None, *, limit: int | None = None, redteam: bool = True
    ) -> dict[str, Any]:
        """``aulac eval SANDBOX``: run the evaluation set (and red-team suite), save report.json/.md/.html."""
        _require(access, "audit", sandbox)
        _, summary = self.service.evaluate(sandbox, limit=limit, redteam=redteam)
        return {**summary, "report": summary["html"]}

    # the trial's reports, policy versions and signed exports
    def make_trial_report(
        self, sandbox: str, period: str, since: date | None, until: date | None, access: ApiKey | None
    ) -> list[str]:
        """Write the periodic or final trial report (HTML and PDF) beside the others; their file names."""
        _require(access, "audit", sandbox)
        assert access is not None
        caller = Caller(key_id=access.key_id, role=access.role)
        paths = self.service.write_trial_reports(sandbox, period, since=since, until=until, caller=caller)
        return [p.name for p in paths.values() if p.suffix in (".html", ".pdf")]

    def trial_reports(self, sandbox: str, access: ApiKey | None) -> list[str]:
        _require(access, "audit", sandbox)
        return [p.name for p in self.service.trial_reports(sandbox)]

    def trial_report_file(self, sandbox: str, name: str, access: ApiKey | None) -> bytes:
        _require(access, "audit", sandbox)
        found = {p.name: p for p in self.service.trial_reports(sandbox)}
        if name not in found:
            raise ClientError(f"không có báo cáo {name!r} của sandbox {sandbox}", 404)
        return found[name].read_bytes()

    def policy_history(self, sandbox: str, access: ApiKey | None) -> list[dict[str, Any]]:
        _require(access, "audit", sandbox)
        assert access is not None
        caller = Caller(key_id=access.key_id, role=access.role)
        return [v.model_dump() for v in self.service.policy_history(sandbox, caller=caller)]

    def signing_configured(self, sandbox: str, access: ApiKey | None) -> bool:
        from aulac_rag.audit.signed_export import signing_configured

        return signing_configured()

    def audit_export(
        self, sandbox: str, since: date | None, until: date | None, fmt: str, access: ApiKey | None
    ) -> tuple[str, bytes]:
        """A ZIP of the period's audit rows and a signed checkpoint: (file name, bytes)."""
        _require(access, "audit", sandbox)
        export = self.service.audit_export(sandbox, since=since, until=until, fmt=fmt)
        return export.file_name, export.zip_bytes()

    def serve_as_owner(self, timeout_s: float = 15.0) -> str | None:
        """Start the API on a free loopback port in a daemon thread, as the owner of this home.

        Its URL, or None when ``AULAC_NO_OWNER`` is set. The API shares this client's service, so a
        document ingested through it is answerable in the app at once.
        """
        if os.environ.get("AULAC_NO_OWNER"):
            return None
        import socket
        import threading
        import time

        import uvicorn

        from aulac_rag.server import ServerSettings, create_app

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        app = create_app(ServerSettings(owner_url=url), catalog=self.service)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        threading.Thread(target=server.run, name="aulac-owner-api", daemon=True).start()
        deadline = time.monotonic() + timeout_s
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        self._owner_server = server
        return url if server.started else None

    def close(self) -> None:
        server = getattr(self, "_owner_server", None)
        if server is not None:
            server.should_exit = True
        self.service.close()


def _require(access: ApiKey | None, action: str, sandbox: str, ingest_ok: bool = False) -> None:
    """The API's rule (:func:`aulac_rag.keys.check_access`), as the app's ClientError."""
    if ingest_ok and access is not None and access.can("ingest", sandbox):
        return
    try:
        check_access(access, action, sandbox)
    except AccessDenied as exc:
        raise ClientError(str(exc), exc.status) from None


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
                            self._answer = Answer.from_dict(data)
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

    def __init__(
        self,
        base_url: str,
        *,
        http: httpx.Client | None = None,
        timeout_s: float = 120.0,
        service_key: str | None = None,
    ) -> None:
        self.where = base_url.rstrip("/")
        self.http = http or httpx.Client(base_url=self.where, timeout=timeout_s)
        # sent when the person has typed no key: $AULAC_API_KEY, or the owner token of this home
        self.service_key = service_key or os.environ.get("AULAC_API_KEY") or None

    def headers(self, key: str | None) -> dict[str, str]:
        key = key or self.service_key
        return {"Authorization": f"Bearer {key}"} if key else {}

    def _call(self, method: str, path: str, key: str | None, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, path, headers=self.headers(key), **kwargs)
        except httpx.HTTPError as exc:
            raise ClientError(f"không kết nối được API {self.where}: {exc}") from exc
        if response.status_code >= 400:
            raise _api_error(response)
        return response

    def _secret(self, access: ApiKey | None) -> str | None:
        return getattr(access, "secret", None) or self.service_key

    # chat
    def sandboxes(self, access: ApiKey | None = None) -> list[dict[str, Any]]:
        """The sandboxes the server shows this key (or the app's service key); no key on a keyed server: an error."""
        try:
            return self._call("GET", "/v1/sandboxes", self._secret(access)).json()
        except ClientError as exc:
            if exc.status != 401:
                raise
            raise ClientError("Máy chủ API cần khóa API: hãy nhập khóa ở thanh bên.", status=401) from None

    def access(self, key_text: str | None) -> ApiKey | None:
        """The key as the server sees it (``GET /v1/me``): its id, sandbox and role; None when invalid."""
        if not key_text or not key_text.strip():
            return None
        key = key_text.strip()
        try:
            me = self._call("GET", "/v1/me", key).json()
        except ClientError as exc:
            if exc.status in (401, 403):
                return None
            raise
        return _ApiKeyText(key_id=me["key_id"], sandbox=me["sandbox"], role=me["role"], label="API", secret=key)

    def ask(
        self, sandbox: str, question: str, history: Sequence[Turn], access: ApiKey | None, participant: str = "ui"
    ) -> AnswerStreamLike:
        body: dict[str, Any] = {
            "question": question,
            "history": [{"question": q, "answer": a} for q, a in history],
            "stream": True,
        }
        if access is None and participant.startswith("anon-"):
            body["participant"] = participant  # a person behind the app's service key, kept apart in the audit
        return ApiAnswerStream(self, sandbox, body, self._secret(access))

    def document_titles(self, sandbox: str) -> dict[str, str]:
        return {}

    def examples(self, sandbox: str) -> list[str]:
        """The server's example questions; none from a server without the endpoint."""
        try:
            data = self._call("GET", f"/v1/sandboxes/{sandbox}/examples", None).json()
        except ClientError as exc:
            if exc.status == 404:
                return []
            raise
        return [str(q) for q in data.get("examples", [])]

    def trial(self, sandbox: str) -> dict[str, Any]:
        return self._call("GET", f"/v1/sandboxes/{sandbox}/trial", None).json()

    def change_trial(self, sandbox: str, action: str, reason: str, access: ApiKey | None) -> dict[str, Any]:
        path = f"/v1/sandboxes/{sandbox}/trial/{action}"
        return self._call("POST", path, self._secret(access), json={"reason": reason}).json()

    def incidents(self, sandbox: str, status: str, access: ApiKey | None) -> list[dict[str, Any]]:
        path = f"/v1/sandboxes/{sandbox}/incidents"
        return self._call("GET", path, self._secret(access), params={"status": status}).json()

    def update_incident(
        self, sandbox: str, incident_id: int, status: str | None, note: str, access: ApiKey | None
    ) -> dict[str, Any]:
        path = f"/v1/sandboxes/{sandbox}/incidents/{incident_id}"
        return self._call("PATCH", path, self._secret(access), json={"status": status, "note": note}).json()

    def add_feedback(
        self, sandbox: str, question: str, answer: str, rating: str, comment: str, access: ApiKey | None
    ) -> int:
        body = {"question": question, "answer": answer, "rating": rating, "comment": comment}
        return int(self._call("POST", f"/v1/sandboxes/{sandbox}/feedback", self._secret(access), json=body).json()["id"])

    # knowledge base
    def documents(self, sandbox: str, access: ApiKey | None) -> list[dict[str, Any]]:
        return self._call("GET", f"/v1/sandboxes/{sandbox}/documents", self._secret(access)).json()

    def ingest_file(self, sandbox: str, path: Path, access: ApiKey | None) -> IngestSummary:
        with path.open("rb") as handle:
            files = [("files", (path.name, handle, "application/octet-stream"))]
            data = self._call("POST", f"/v1/sandboxes/{sandbox}/documents", self._secret(access), files=files).json()
        return IngestSummary.model_validate({k: v for k, v in data.items() if k in IngestSummary.model_fields})

    def delete_document(self, sandbox: str, doc_id: str, access: ApiKey | None) -> bool:
        path = f"/v1/sandboxes/{sandbox}/documents/{doc_id}"
        return bool(self._call("DELETE", path, self._secret(access)).json()["deleted"])

    # regulator console
    def audit_rows(self, sandbox: str, access: ApiKey | None, limit: int = 500) -> list[dict[str, Any]]:
        data = self._call("GET", f"/v1/sandboxes/{sandbox}/audit", self._secret(access), params={"limit": limit}).json()
        return list(data.get("rows", []))

    def audit_verify(self, sandbox: str, access: ApiKey | None) -> dict[str, Any]:
        return self._call("GET", f"/v1/sandboxes/{sandbox}/audit/verify", self._secret(access)).json()

    def sandbox_settings(self, sandbox: str, access: ApiKey | None = None) -> dict[str, Any]:
        return self._call("GET", f"/v1/sandboxes/{sandbox}/settings", self._secret(access)).json()

    def reports(self, sandbox: str, access: ApiKey | None = None) -> list[Report]:
        found = self._call("GET", f"/v1/sandboxes/{sandbox}/reports", self._secret(access)).json()
        return [Report(run=r["run"], path=f"{self.where}/v1/sandboxes/{sandbox}/reports", data=r["data"]) for r in found]

    def feedback_entries(self, sandbox: str, access: ApiKey | None) -> list[dict[str, Any]]:
        return list(self._call("GET", f"/v1/sandboxes/{sandbox}/feedback", self._secret(access)).json())

    def report_file(self, sandbox: str, run: str, file: str, access: ApiKey | None) -> bytes | None:
        try:
            return self._call("GET", f"/v1/sandboxes/{sandbox}/reports/{run}/{file}", self._secret(access)).content
        except ClientError as exc:
            if exc.status == 404:
                return None
            raise

    def can_evaluate(self) -> bool:
        return True

    def run_evaluation(
        self, sandbox: str, access: ApiKey | None, *, limit: int | None = None, redteam: bool = True
    ) -> dict[str, Any]:
        path = f"/v1/sandboxes/{sandbox}/eval"
        data = self._call("POST", path, self._secret(access), json={"limit": limit, "redteam": redteam}).json()
        return {**data["summary"], "report": data["summary"]["html"]}

    # the trial's reports, policy versions and signed exports (aulac_rag.server.api_trial)
    def make_trial_report(
        self, sandbox: str, period: str, since: date | None, until: date | None, access: ApiKey | None
    ) -> list[str]:
        body = {"period": period, "since": since and since.isoformat(), "until": until and until.isoformat()}
        path = f"/v1/sandboxes/{sandbox}/trial-reports"
        return list(self._call("POST", path, self._secret(access), json=body).json()["files"])

    def trial_reports(self, sandbox: str, access: ApiKey | None) -> list[str]:
        return list(self._call("GET", f"/v1/sandboxes/{sandbox}/trial-reports", self._secret(access)).json())

    def trial_report_file(self, sandbox: str, name: str, access: ApiKey | None) -> bytes:
        return self._call("GET", f"/v1/sandboxes/{sandbox}/trial-reports/{name}", self._secret(access)).content

    def policy_history(self, sandbox: str, access: ApiKey | None) -> list[dict[str, Any]]:
        return list(self._call("GET", f"/v1/sandboxes/{sandbox}/policy-history", self._secret(access)).json())

    def signing_configured(self, sandbox: str, access: ApiKey | None) -> bool:
        """Whether the *server* has a signing key (``AULAC_AUDIT_KEY`` where it runs)."""
        path = f"/v1/sandboxes/{sandbox}/audit/signing"
        return bool(self._call("GET", path, self._secret(access)).json()["configured"])

    def audit_export(
        self, sandbox: str, since: date | None, until: date | None, fmt: str, access: ApiKey | None
    ) -> tuple[str, bytes]:
        params = {"format": fmt, **({"since": since.isoformat()} if since else {}),
                  **({"until": until.isoformat()} if until else {})}  # fmt: skip
        response = self._call("GET", f"/v1/sandboxes/{sandbox}/audit/export", self._secret(access), params=params)
        found = re.search(r'filename="([^"]+)"', response.headers.get("content-disposition", ""))
        return (found.group(1) if found else f"audit-{sandbox}.zip"), response.content


@dataclass(frozen=True)
class _ApiKeyText(ApiKey):
    """An API key as the server described it (``/v1/me``), keeping the text to send with each request."""

    secret: str = ""


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
