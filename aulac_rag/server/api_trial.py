"""The trial's reports, policy version history and signed audit exports (regulator, admin).

- ``POST /v1/sandboxes/{name}/trial-reports`` ``{"period", "since"?, "until"?}`` writes the periodic or
  final report (HTML, PDF, JSON) on the server; ``GET …/trial-reports`` lists them, ``GET
  …/trial-reports/{file}`` sends one.
- ``GET /v1/sandboxes/{name}/policy-history``: versions of the policy, prompt, settings and plan.
- ``GET /v1/sandboxes/{name}/audit/export?since&until&format``: a ZIP of the period's rows with a
  checkpoint signed by the server's ``AULAC_AUDIT_KEY`` (409 with the way to create one, without it);
  ``GET …/audit/signing`` says whether a key is configured.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from aulac_rag.errors import ConfigError
from aulac_rag.server.auth import authorize
from aulac_rag.server.deps import CatalogDep, KeyDep
from aulac_rag.service import TrialCheck

router = APIRouter(prefix="/v1/sandboxes", tags=["trial"])
_MEDIA = {".html": "text/html; charset=utf-8", ".pdf": "application/pdf"}


class TrialReportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: Literal["periodic", "final"] = "periodic"
    since: date | None = None
    until: date | None = None


@router.post("/{name}/trial-reports", summary="Write the periodic or final trial report (regulator, admin)")
async def make_trial_report(name: str, body: TrialReportRequest, key: KeyDep, cat: CatalogDep) -> dict[str, Any]:
    caller = authorize(key, "audit", name)
    try:
        paths = await run_in_threadpool(
            lambda: cat.write_trial_reports(name, body.period, since=body.since, until=body.until, caller=caller)
        )
    except ConfigError as exc:
        raise HTTPException(422, str(exc)) from None
    return {"files": [p.name for p in paths.values() if p.suffix in _MEDIA]}


class TrialCheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int | None = Field(None, ge=1, description="Questions to run (a partial check opens no incident).")


@router.post("/{name}/trial/check", summary="The scheduled check: evaluation vs exit criteria, drift, incidents (regulator, admin)")
async def check_trial(name: str, body: TrialCheckRequest, key: KeyDep, cat: CatalogDep) -> TrialCheck:
    caller = authorize(key, "audit", name)
    return await run_in_threadpool(lambda: cat.trial_check(name, caller=caller, limit=body.limit))


@router.get("/{name}/trial-reports", summary="The trial reports written so far, newest first (regulator, admin)")
def list_trial_reports(name: str, key: KeyDep, cat: CatalogDep) -> list[str]:
    authorize(key, "audit", name)
    return [p.name for p in cat.trial_reports(name)]


@router.get("/{name}/trial-reports/{file}", summary="One trial report, HTML or PDF (regulator, admin)")
def read_trial_report(name: str, file: str, key: KeyDep, cat: CatalogDep) -> Response:
    authorize(key, "audit", name)
    found = {p.name: p for p in cat.trial_reports(name)}
    if file not in found:
        raise HTTPException(404, f"no trial report {file!r} for sandbox {name!r}")
    path = found[file]
    return Response(path.read_bytes(), media_type=_MEDIA.get(path.suffix, "application/octet-stream"))


@router.get("/{name}/policy-history", summary="Versions of the policy, prompt, settings and trial plan (regulator, admin)")
def policy_history(name: str, key: KeyDep, cat: CatalogDep) -> list[dict[str, Any]]:
    caller = authorize(key, "audit", name)
    return [v.model_dump() for v in cat.policy_history(name, caller=caller)]


@router.get("/{name}/audit/signing", summary="Whether the server can sign audit exports (regulator, admin)")
def signing(name: str, key: KeyDep) -> dict[str, bool]:
    from aulac_rag.audit.signed_export import signing_configured

    authorize(key, "audit", name)
    return {"configured": signing_configured()}


@router.get("/{name}/audit/export", summary="A period's audit rows with a signed checkpoint, as a ZIP (regulator, admin)")
def export_audit(
    name: str, key: KeyDep, cat: CatalogDep, since: date | None = None, until: date | None = None,
    format: Literal["jsonl", "csv"] = "jsonl",
) -> Response:  # fmt: skip
    from aulac_rag.audit.signed_export import NO_KEY_MESSAGE, signing_configured

    authorize(key, "audit", name)
    if not signing_configured():
        raise HTTPException(409, NO_KEY_MESSAGE)
    export = cat.audit_export(name, since=since, until=until, fmt=format)
    headers = {"Content-Disposition": f'attachment; filename="{export.file_name}"'}
    return Response(export.zip_bytes(), media_type="application/zip", headers=headers)
