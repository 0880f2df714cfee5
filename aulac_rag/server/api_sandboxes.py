"""``/v1/sandboxes``: list, ask (JSON or SSE), upload documents, read the audit log."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, StreamingResponse

from aulac_rag.audit import write_rows
from aulac_rag.documents import SourceError
from aulac_rag.errors import AulacError, LimitError
from aulac_rag.ingest.pipeline import IngestSummary
from aulac_rag.limits import DEFAULT_LIMITS
from aulac_rag.pipeline import Answer, Caller
from aulac_rag.server.auth import authorize
from aulac_rag.server.deps import CatalogDep, KeyDep
from aulac_rag.server.errors import public_error, request_id_of
from aulac_rag.server.schemas import AskRequest, UploadSummary
from aulac_rag.server.sse import SSE_HEADERS, sse_event

router = APIRouter(prefix="/v1/sandboxes", tags=["sandboxes"])

_SAFE_NAME = re.compile(r"[^\w.\- ]+", re.UNICODE)


@router.get("", summary="Sandboxes this key can use")
def list_sandboxes(key: KeyDep, cat: CatalogDep) -> list[dict[str, Any]]:
    authorize(key, "list")
    return [s for s in cat.sandboxes() if key.can("list", s["name"])]


@router.post(
    "/{name}/ask",
    response_model=Answer,
    summary="Answer a question with citations (JSON, or SSE when stream=true)",
    responses={200: {"content": {"text/event-stream": {}}}},
)
def ask(name: str, body: AskRequest, key: KeyDep, cat: CatalogDep, request: Request) -> Any:
    caller = authorize(key, "ask", name)
    if body.participant:  # one person behind the chat app's service key: both are kept in the audit trail
        caller = Caller(key_id=f"{body.participant}@{caller.key_id}", role=caller.role)
    pipeline = cat.pipeline(name)
    history = [(t.question, t.answer) for t in body.history]
    stream = pipeline.stream(body.question, history, k=body.k, filters=body.filters, caller=caller)
    if not body.stream:
        return stream.answer()
    request_id = request_id_of(request)

    def events() -> Iterator[str]:
        try:
            for delta in stream:
                yield sse_event({"text": delta}, "delta")
            yield sse_event(stream.answer().to_dict(), "answer")
        except AulacError as exc:
            yield sse_event(public_error(exc, request_id)[1], "error")
        finally:
            stream.close()  # a client that left mid-answer: the LLM stops and the audit says "aborted"

    return StreamingResponse(events(), media_type="text/event-stream", headers=SSE_HEADERS)


@router.post("/{name}/documents", response_model=UploadSummary, summary="Upload files and ingest them (admin)")
async def upload_documents(
    name: str,
    files: Annotated[list[UploadFile], File(description="Documents (PDF, DOCX, HTML, TXT, MD, JSONL …)")],
    key: KeyDep,
    cat: CatalogDep,
) -> UploadSummary:
    caller = authorize(key, "ingest", name)
    if len(files) > DEFAULT_LIMITS.max_upload_files:
        raise LimitError(
            f"Quá nhiều tệp trong một lần tải lên ({len(files)}; tối đa {DEFAULT_LIMITS.max_upload_files}). "
            f"(over {DEFAULT_LIMITS.max_upload_files} files in one upload)"
        )
    folder = Path(tempfile.mkdtemp(prefix="aulac-upload-"))
    refused: list[SourceError] = []
    saved: list[str] = []
    try:
        for upload in files:
            original = upload.filename or ""
            safe = _SAFE_NAME.sub("_", Path(original).name).strip(" .")
            if not safe:
                refused.append(SourceError(original, "file name is empty or invalid"))
                continue
            target = folder / safe
            stem, suffix, i = target.stem, target.suffix, 1
            while target.exists():
                target = folder / f"{stem}-{i}{suffix}"
                i += 1
            target.write_bytes(await upload.read())
            saved.append(target.name)
        summary = IngestSummary()
        if saved:
            summary = await run_in_threadpool(lambda: cat.ingest(name, [str(folder)], caller=caller))
        prefix = str(folder) + "/"
        errors = [SourceError(e.source.replace(prefix, ""), e.error) for e in summary.errors] + refused
        return UploadSummary(**{**dict(summary), "errors": errors, "files": saved})
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@router.get("/{name}/audit", summary="The sandbox's audit log, newest first (regulator, admin)")
def read_audit(
    name: str,
    key: KeyDep,
    cat: CatalogDep,
    limit: Annotated[int, Query(ge=1, le=10000)] = 100,
    format: Literal["json", "jsonl", "csv"] = "json",
) -> Any:
    authorize(key, "audit", name)
    rows = cat.audit_log.rows(name, limit=limit, newest_first=True)
    if format == "json":
        return {"sandbox": name, "rows": rows}
    import io

    buffer = io.StringIO()
    write_rows(list(reversed(rows)), buffer, format)
    media = "application/x-ndjson" if format == "jsonl" else "text/csv"
    return PlainTextResponse(buffer.getvalue(), media_type=media)


@router.get("/{name}/audit/verify", summary="Check the sandbox's audit hash chain (regulator, admin)")
def verify_audit(name: str, key: KeyDep, cat: CatalogDep) -> dict[str, Any]:
    authorize(key, "audit", name)
    return cat.audit_log.verify(name).to_dict()
