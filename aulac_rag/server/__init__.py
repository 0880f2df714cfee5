"""The HTTP API (FastAPI): sandboxes, cited answers (JSON/SSE), uploads, audit, OpenAI-compatible chat.

from aulac_rag.server import create_app
app = create_app()  # uvicorn aulac_rag.server:app --factory, or `aulac serve`
"""

from aulac_rag.keys import PERMISSIONS, ROLES, ApiKey, KeyStore
from aulac_rag.server.app import create_app
from aulac_rag.server.catalog import SandboxCatalog
from aulac_rag.server.settings import ServerSettings

__all__ = [
    "PERMISSIONS",
    "ROLES",
    "ApiKey",
    "KeyStore",
    "SandboxCatalog",
    "ServerSettings",
    "create_app",
]
