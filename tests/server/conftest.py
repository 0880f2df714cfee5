from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aulac_rag.audit import AuditLog
from aulac_rag.documents import SourceError
from aulac_rag.errors import SandboxNotFound
from aulac_rag.generation.base import Generator
from aulac_rag.ingest.pipeline import IngestSummary
from aulac_rag.pipeline import AnswerPipeline
from aulac_rag.server import KeyStore, ServerSettings, create_app
from tests.generation.conftest import fake_llm  # noqa: F401 - re-exported fixture
from tests.pipeline.conftest import TinyRetriever

SANDBOXES = [
    {"name": "hc", "domain": "healthcare", "description": "Y tế", "documents": 2, "chunks": 2},
    {"name": "edu", "domain": "education", "description": "Giáo dục", "documents": 1, "chunks": 1},
]


class FakeCatalog:
    """Two sandboxes over a tiny retriever; records ingested files."""

    def __init__(self, audit_log: AuditLog, generator: Generator | None = None) -> None:
        self.audit_log = audit_log
        self.home = audit_log.path.parent
        self.generator = generator
        self.ingested: list[dict[str, bytes]] = []
        self.fail_with: Exception | None = None

    def sandboxes(self) -> list[dict[str, Any]]:
        return [dict(s) for s in SANDBOXES]

    def pipeline(self, name: str) -> AnswerPipeline:
        if self.fail_with is not None:
            raise self.fail_with
        if name not in {s["name"] for s in SANDBOXES}:
            raise SandboxNotFound(f"no sandbox named {name!r}")
        return AnswerPipeline(TinyRetriever(), self.generator, audit=self.audit_log, sandbox=name, config_hash="h" * 64)

    def ingest(self, name: str, paths: list[str] = (), *, prune: bool = False, demo: bool = False, caller: Any = None) -> IngestSummary:
        folder = Path(paths[0])
        files = {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
        self.ingested.append(files)
        errors = [SourceError(str(folder / n), "empty file") for n, data in files.items() if not data]
        return IngestSummary(documents=len(files) - len(errors), chunks=3, errors=errors, seconds=0.1)


class Keys:
    def __init__(self, store: KeyStore) -> None:
        self.store = store
        self.hc_user = store.create("hc", "user")[1]
        self.hc_admin = store.create("hc", "admin")[1]
        self.hc_regulator = store.create("hc", "regulator")[1]
        self.edu_user = store.create("edu", "user")[1]
        self.global_admin = store.create("*", "admin")[1]

    @staticmethod
    def auth(key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def catalog(aulac_home: Path) -> FakeCatalog:
    return FakeCatalog(AuditLog.for_home(aulac_home))


@pytest.fixture
def keys(aulac_home: Path) -> Keys:
    return Keys(KeyStore.for_home(aulac_home))


def make_client(catalog: FakeCatalog, keys: Keys, **settings: Any) -> TestClient:
    options: dict[str, Any] = {"rate_per_minute": 0}
    options.update(settings)
    app = create_app(ServerSettings(**options), catalog=catalog, keys=keys.store)
    return TestClient(app, raise_server_exceptions=False, client=("127.0.0.1", 50000))


@pytest.fixture
def client(catalog: FakeCatalog, keys: Keys) -> Iterator[TestClient]:
    with make_client(catalog, keys) as c:
        yield c
