from __future__ import annotations

import json

import pytest

from aulac_rag.server import KeyStore
from tests.audit.test_audit_cli import run_cli


def test_create_list_revoke(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run_cli(["keys", "create", "--sandbox", "healthcare", "--role", "regulator"], capsys, monkeypatch)
    key = out.strip()
    assert code == 0 and key.startswith("aulac_") and "not shown again" in err
    record = KeyStore().authenticate(key)
    assert record is not None and record.role == "regulator"

    code, out, _ = run_cli(["keys", "list", "--json"], capsys, monkeypatch)
    listed = json.loads(out)
    assert code == 0 and listed[0]["key_id"] == record.key_id and "key" not in listed[0] and key not in out

    code, out, _ = run_cli(["keys", "revoke", record.key_id], capsys, monkeypatch)
    assert code == 0 and out.startswith(f"revoked {record.key_id}")
    assert KeyStore().authenticate(key) is None

    code, _, err = run_cli(["keys", "create", "--sandbox", "healthcare", "--role", "god"], capsys, monkeypatch)
    assert code == 1 and err.strip() == "error: unknown role 'god'; use one of: admin, regulator, user"
