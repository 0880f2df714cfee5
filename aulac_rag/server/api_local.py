"""Who am I, retrieval, documents, and the owner's local work (``/v1/me``, ``/v1/sandboxes/{name}/…``).

``ingest`` (paths on this machine) and ``eval`` take the owner token only: they read and
write the server's own disk, so they serve the CLI of the same OS user (see
:mod:`aulac_rag.owner`), never a remote key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from aulac_rag.keys import ApiKey
from aulac_rag.limits import DEFAULT_LIMITS
from aulac_rag.owner import OWNER_KEY_ID
from aulac_rag.retrieval.types import hits_json
from aulac_rag.server.auth import authorize
from aulac_rag.server.deps import CatalogDep, KeyDep
from aulac_rag.service import SandboxService

router = APIRouter(prefix="/v1", tags=["local"])

class RetrieveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str | None = Field(None, min_length=1, max_length=DEFAULT_LIMITS.max_question_chars)
    queries: list[str] | None = Field(None, max_length=10_000)
    k: int = Field(10, ge=1, le=200)


class IngestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    paths: list[str] = Field(default_factory=list, max_length=10_000)
    prune: bool = False
    demo: bool = False


class EvalRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    k: int | None = Field(None, ge=1, le=200)
    limit: int | None = Field(None, ge=1)
    judge: bool | None = None
    redteam: bool = True
    out: str | None = None


def _owner_only(key: ApiKey) -> None:
    if key.key_id != OWNER_KEY_ID:
        raise HTTPException(403, "only the local owner token may read paths on the server's disk")


@router.get("/me", summary="The caller's key: id, sandbox and role, and what it may do")
def me(key: KeyDep, cat: CatalogDep) -> dict[str, Any]:
    names = [s["name"] for s in cat.sandboxes()]
    actions = ("ask", "ingest", "audit", "list")
    return {
        "key_id": key.key_id,
        "sandbox": key.sandbox,
        "role": key.role,
        "sandboxes": [n for n in names if key.can("list", n)],
        "can": {a: key.can(a) for a in actions},
    }


@router.post("/sandboxes/{name}/retrieve", summary="Hybrid retrieval (the `aulac retrieve --json` shape)")
def retrieve(name: str, body: RetrieveRequest, key: KeyDep, cat: CatalogDep) -> dict[str, Any]:
    authorize(key, "ask", name)
    if (body.query is None) == (body.queries is None):
        raise HTTPException(422, "give either query or queries")
    if body.queries is not None:
        results = cat.retrieve_batch(name, body.queries, k=body.k)
        return {"results": [{"hits": hits_json(r)} for r in results]}
    result = cat.retrieve(name, body.query or "", k=body.k)
    return {"query": result.query, "hits": hits_json(result), "timings_ms": result.timings_ms}


@router.get("/sandboxes/{name}/documents", summary="Indexed documents (admin, regulator)")
def documents(name: str, key: KeyDep, cat: CatalogDep) -> list[dict[str, Any]]:
    if not key.can("ingest", name):
        authorize(key, "audit", name)
    return cat.documents(name)


@router.delete("/sandboxes/{name}/documents/{doc_id:path}", summary="Remove a document and its chunks (admin)")
def delete_document(name: str, doc_id: str, key: KeyDep, cat: CatalogDep) -> dict[str, Any]:
    caller = authorize(key, "ingest", name)
    return {"doc_id": doc_id, "deleted": cat.delete_document(name, doc_id, caller=caller)}


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=DEFAULT_LIMITS.max_question_chars)
    answer: str = Field("", max_length=DEFAULT_LIMITS.max_history_chars)
    rating: Literal["up", "down"]
    comment: str = Field("", max_length=2000)


@router.get("/sandboxes/{name}/feedback", summary="👍/👎 with comments, questions and answers, newest first (regulator, admin)")
def list_feedback(name: str, key: KeyDep, cat: CatalogDep, limit: int = 200) -> list[dict[str, Any]]:
    authorize(key, "audit", name)
    return cat.feedback(name, max(1, min(limit, 1000)))


@router.post("/sandboxes/{name}/feedback", summary="👍/👎 on an answer; 👎 with a comment opens an incident")
def feedback(name: str, body: FeedbackIn, key: KeyDep, cat: CatalogDep) -> dict[str, Any]:
    caller = authorize(key, "ask", name)
    return {"id": cat.add_feedback(name, body.question, body.answer, body.rating, body.comment, caller=caller)}


class TrialChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=2000)


@router.get("/sandboxes/{name}/trial", summary="The controlled trial: state, period, disclosure (any key)")
def trial(name: str, key: KeyDep, cat: CatalogDep) -> dict[str, Any]:
    authorize(key, "list", name)
    return cat.trial(name).model_dump(mode="json")


@router.get("/sandboxes/{name}/examples", summary="Example questions for the chat, from the evaluation set (any key)")
def examples(name: str, key: KeyDep, cat: CatalogDep) -> dict[str, Any]:
    authorize(key, "list", name)
    return {"examples": cat.examples(name)}


@router.post("/sandboxes/{name}/trial/{action}", summary="Suspend or resume the trial at once (regulator, admin)")
def change_trial(name: str, action: str, body: TrialChange, key: KeyDep, cat: CatalogDep) -> dict[str, Any]:
    caller = authorize(key, "audit", name)
    if action not in ("suspend", "resume"):
        raise HTTPException(404, f"no trial action {action!r}; use suspend or resume")
    return cat.change_trial(name, action, caller=caller, reason=body.reason).model_dump(mode="json")


@router.get("/sandboxes/{name}/incidents", summary="The incident register (regulator, admin)")
def incidents(name: str, key: KeyDep, cat: CatalogDep, status: str = "open") -> list[dict[str, Any]]:
    authorize(key, "audit", name)
    return [i.model_dump() for i in cat.incidents(name, status)]


class IncidentChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["open", "acknowledged", "resolved"] | None = None
    note: str = Field("", max_length=2000)


@router.patch("/sandboxes/{name}/incidents/{incident_id}", summary="Acknowledge, resolve or annotate (regulator, admin)")
def update_incident(name: str, incident_id: int, body: IncidentChange, key: KeyDep, cat: CatalogDep) -> dict[str, Any]:
    caller = authorize(key, "audit", name)
    return cat.update_incident(name, incident_id, caller=caller, status=body.status, note=body.note).model_dump()


@router.post("/sandboxes/{name}/ingest", summary="Ingest paths on the server's disk (local owner token only)")
async def ingest_local(name: str, body: IngestRequest, key: KeyDep, cat: CatalogDep) -> dict[str, Any]:
    _owner_only(key)
    caller = authorize(key, "ingest", name)
    summary = await run_in_threadpool(
        lambda: cat.ingest(name, body.paths, prune=body.prune, demo=body.demo, caller=caller)
    )
    return summary.to_dict()


@router.get("/sandboxes/{name}/settings", summary="The sandbox's policy, prompt, plan and thresholds (regulator, admin)")
def settings(name: str, key: KeyDep, cat: CatalogDep) -> dict[str, Any]:
    authorize(key, "audit", name)
    return cat.settings(name)


@router.get("/sandboxes/{name}/reports", summary="Saved evaluation runs, newest first (regulator, admin)")
def reports(name: str, key: KeyDep, cat: CatalogDep) -> list[dict[str, Any]]:
    authorize(key, "audit", name)
    return cat.reports(name)


@router.get(
    "/sandboxes/{name}/reports/{run}/{file}", summary="A file of a saved evaluation run: report.html|md|json (regulator, admin)"
)
def report_file(name: str, run: str, file: str, key: KeyDep, cat: CatalogDep) -> Response:
    authorize(key, "audit", name)
    data = cat.report_file(name, run, file)
    if data is None:
        raise HTTPException(404, f"no {file} in the evaluation run {run!r} of sandbox {name!r}")
    return Response(data, media_type=SandboxService.REPORT_FILES[file])


@router.post("/sandboxes/{name}/eval", summary="Run the evaluation set and write its reports (regulator, admin)")
async def evaluate(name: str, body: EvalRequest, key: KeyDep, cat: CatalogDep) -> dict[str, Any]:
    authorize(key, "audit", name)
    if body.out is not None:
        _owner_only(key)  # a folder on the server's disk: the local CLI only
    options = {"k": body.k, "limit": body.limit, "judge": body.judge, "redteam": body.redteam}
    out = Path(body.out) if body.out else None
    run, summary = await run_in_threadpool(lambda: cat.evaluate(name, out=out, **options))
    checks = [
        {"name": c.name, "value": c.value, "threshold": c.threshold, "passed": c.passed,
         "lower_is_better": c.lower_is_better}
        for c in run.checks
    ]  # fmt: skip
    return {"summary": summary, "checks": checks}
