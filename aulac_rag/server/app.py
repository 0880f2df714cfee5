"""The FastAPI application: ``create_app()``; ``aulac serve`` runs it with uvicorn."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from aulac_rag import __version__
from aulac_rag.home import resolve_home
from aulac_rag.keys import KeyStore
from aulac_rag.owner import claim_home, release_home
from aulac_rag.server import api_local, api_openai, api_sandboxes, api_trial
from aulac_rag.server.auth import Authenticator
from aulac_rag.server.catalog import SandboxCatalog
from aulac_rag.server.errors import install_error_handlers
from aulac_rag.server.gate import GateMiddleware
from aulac_rag.server.limits import BodySizeLimitMiddleware, ConcurrencyLimitMiddleware
from aulac_rag.server.ratelimit import SharedTokenBucketLimiter, TokenBucketLimiter
from aulac_rag.server.settings import ServerSettings

DESCRIPTION = """Vietnamese sandbox RAG over HTTP.

Send your API key as `Authorization: Bearer <key>` (create one with `aulac keys create --sandbox NAME --role ROLE`).
Roles: **admin** ingests and does everything, **regulator** reads the audit log, **user** asks.
`/v1/chat/completions` is OpenAI-compatible: use the sandbox name as `model`.
"""


def create_app(
    settings: ServerSettings | None = None,
    *,
    catalog: SandboxCatalog | None = None,
    keys: KeyStore | None = None,
) -> FastAPI:
    """The API app; defaults: settings from the environment, sandboxes and keys of AULAC_HOME."""
    settings = settings or ServerSettings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owner = claim_home(app.state.catalog.home, settings.owner_url) if settings.owner_url else None
        app.state.authenticator.owner = owner
        try:
            yield
        finally:
            if owner is not None:
                release_home(app.state.catalog.home, owner)

    app = FastAPI(title="aulac-rag API", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    if catalog is None:
        from aulac_rag.service import SandboxService

        catalog = SandboxService()
    app.state.catalog = catalog
    app.state.keys = keys if keys is not None else KeyStore()
    if settings.shared_limits:  # several worker processes: the buckets live in SQLite under AULAC_HOME
        path = str(resolve_home() / "run" / "ratelimit.sqlite")
        limiter: Any = SharedTokenBucketLimiter(path, settings.rate_per_minute, settings.burst)
        anon: Any = SharedTokenBucketLimiter(path, settings.anon_rate_per_minute, settings.anon_burst)
    else:
        limiter = TokenBucketLimiter(settings.rate_per_minute, settings.burst)
        anon = TokenBucketLimiter(settings.anon_rate_per_minute, settings.anon_burst)
    app.state.authenticator = Authenticator(settings, app.state.keys, limiter, anon)
    install_error_handlers(app)
    # the last added runs first: the gate (request id, key) before the size limit reads the body
    app.add_middleware(
        BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes, upload_bytes=settings.max_upload_bytes
    )
    app.add_middleware(
        ConcurrencyLimitMiddleware, max_inflight=settings.max_inflight, max_waiting=settings.max_waiting
    )
    app.add_middleware(GateMiddleware, authenticator=app.state.authenticator)

    @app.get("/healthz", tags=["health"], summary="Liveness")
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "open_mode": settings.open_mode}

    app.include_router(api_sandboxes.router)
    app.include_router(api_local.router)
    app.include_router(api_trial.router)
    app.include_router(api_openai.router)
    return app
