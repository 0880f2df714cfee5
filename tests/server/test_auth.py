"""API keys: 401 without a valid key, 403 for the wrong role or sandbox; keys stored hashed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from aulac_rag.errors import ConfigError
from aulac_rag.server import KeyStore
from tests.server.conftest import FakeCatalog, Keys, make_client

ASK = {"question": "Mức đóng bảo hiểm y tế hằng tháng là bao nhiêu?"}


class TestKeyStore:
    def test_secret_is_only_hashed(self, keys: Keys) -> None:
        with sqlite3.connect(keys.store.path) as conn:
            dump = "\n".join(conn.iterdump())
        secret = keys.hc_user.split("_", 2)[2]  # aulac_<id>_<secret>; the secret itself may hold "_"
        assert secret not in dump and keys.hc_user not in dump

    def test_authenticate_and_revoke(self, keys: Keys) -> None:
        record = keys.store.authenticate(keys.hc_user)
        assert record is not None and (record.sandbox, record.role) == ("hc", "user")
        assert keys.store.authenticate(keys.hc_user[:-2] + "xx") is None
        assert keys.store.authenticate("nonsense") is None
        keys.store.revoke(record.key_id)
        assert keys.store.authenticate(keys.hc_user) is None
        assert record.key_id not in [k.key_id for k in keys.store.list()]
        assert record.key_id in [k.key_id for k in keys.store.list(include_revoked=True)]

    @pytest.mark.parametrize(("sandbox", "role"), [("hc", "root"), ("Bad Name", "user"), ("", "user")])
    def test_invalid_create(self, keys: Keys, sandbox: str, role: str) -> None:
        with pytest.raises(ConfigError):
            keys.store.create(sandbox, role)

    def test_revoke_unknown(self, keys: Keys) -> None:
        with pytest.raises(ConfigError, match="no API key with id 'nope'"):
            keys.store.revoke("nope")

    def test_default_path(self, aulac_home: Path) -> None:
        assert KeyStore().path == aulac_home / "keys.sqlite"


class TestAuth:
    def test_missing_key(self, client: TestClient) -> None:
        r = client.post("/v1/sandboxes/hc/ask", json=ASK)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert "aulac keys create" in r.json()["error"]["message"]

    def test_invalid_key(self, client: TestClient) -> None:
        r = client.post("/v1/sandboxes/hc/ask", json=ASK, headers=Keys.auth("aulac_000000000000_" + "x" * 43))
        assert r.status_code == 401 and r.json()["error"]["type"] == "unauthorized"

    def test_x_api_key_header(self, client: TestClient, keys: Keys) -> None:
        assert client.post("/v1/sandboxes/hc/ask", json=ASK, headers={"X-API-Key": keys.hc_user}).status_code == 200

    def test_wrong_sandbox(self, client: TestClient, keys: Keys) -> None:
        r = client.post("/v1/sandboxes/hc/ask", json=ASK, headers=Keys.auth(keys.edu_user))
        assert r.status_code == 403 and "for sandbox 'edu', not 'hc'" in r.json()["error"]["message"]

    @pytest.mark.parametrize(
        ("who", "method", "path", "expected"),
        [
            ("hc_user", "post", "/v1/sandboxes/hc/ask", 200),
            ("hc_admin", "post", "/v1/sandboxes/hc/ask", 200),
            ("global_admin", "post", "/v1/sandboxes/edu/ask", 200),
            ("hc_regulator", "post", "/v1/sandboxes/hc/ask", 403),
            ("hc_user", "get", "/v1/sandboxes/hc/audit", 403),
            ("hc_regulator", "get", "/v1/sandboxes/hc/audit", 200),
            ("hc_admin", "get", "/v1/sandboxes/hc/audit/verify", 200),
            ("hc_regulator", "get", "/v1/sandboxes/edu/audit", 403),
            ("hc_user", "post", "/v1/sandboxes/hc/documents", 403),
            ("hc_regulator", "post", "/v1/sandboxes/hc/documents", 403),
            ("hc_admin", "post", "/v1/sandboxes/hc/documents", 200),
        ],
    )
    def test_roles(self, client: TestClient, keys: Keys, who: str, method: str, path: str, expected: int) -> None:
        headers = Keys.auth(getattr(keys, who))
        if path.endswith("/ask"):
            r = client.post(path, json=ASK, headers=headers)
        elif path.endswith("/documents"):
            r = client.post(path, files=[("files", ("a.md", "Nội dung", "text/markdown"))], headers=headers)
        else:
            r = getattr(client, method)(path, headers=headers)
        assert r.status_code == expected, r.text

    def test_list_shows_only_the_keys_sandboxes(self, client: TestClient, keys: Keys) -> None:
        assert [s["name"] for s in client.get("/v1/sandboxes", headers=Keys.auth(keys.edu_user)).json()] == ["edu"]
        assert [s["name"] for s in client.get("/v1/sandboxes", headers=Keys.auth(keys.global_admin)).json()] == [
            "hc",
            "edu",
        ]

    def test_open_mode(self, catalog: FakeCatalog, keys: Keys) -> None:
        with make_client(catalog, keys, open_mode=True) as c:
            assert c.post("/v1/sandboxes/hc/ask", json=ASK).status_code == 200
            assert c.get("/v1/sandboxes/hc/audit").status_code == 200
            assert c.post("/v1/sandboxes/hc/ask", json=ASK, headers=Keys.auth("aulac_bad")).status_code == 401
        assert catalog.audit_log.rows("hc")[0]["key_id"] == "open"

    def test_open_mode_from_env(self, catalog: FakeCatalog, keys: Keys, monkeypatch: pytest.MonkeyPatch) -> None:
        from aulac_rag.server import create_app

        monkeypatch.setenv("AULAC_API_OPEN", "1")
        with TestClient(create_app(catalog=catalog, keys=keys.store), client=("127.0.0.1", 1)) as c:
            assert c.get("/healthz").json()["open_mode"] is True
            assert c.post("/v1/sandboxes/hc/ask", json=ASK).status_code == 200
