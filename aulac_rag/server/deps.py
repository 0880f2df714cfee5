"""FastAPI dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from aulac_rag.keys import ApiKey
from aulac_rag.server.catalog import SandboxCatalog


async def current_key(request: Request) -> ApiKey:
    """The authenticated caller (401/429 raised by the app's Authenticator).

    ``async`` on purpose: the check is one indexed SQLite read (~0.2 ms), cheaper inline
    than a hop to the thread pool.
    """
    return request.app.state.authenticator(request)


async def catalog(request: Request) -> SandboxCatalog:
    return request.app.state.catalog


KeyDep = Annotated[ApiKey, Depends(current_key)]
CatalogDep = Annotated[SandboxCatalog, Depends(catalog)]
