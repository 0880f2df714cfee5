"""``LocalClient`` enforces the API's roles itself, and the report rows read old and new report shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from aulac_rag.keys import KeyStore
from aulac_rag.ui.client import ClientError, LocalClient
from aulac_rag.ui.reports import metric_rows, redteam_rows


def test_roles_are_checked_like_the_api(demo_home: Path, keys: dict[str, str], tmp_path: Path) -> None:
    client = LocalClient(demo_home)
    try:
        note = tmp_path / "a.md"
        note.write_text("# A\n\nNội dung.\n", encoding="utf-8")
        regulator = client.access(keys["regulator"])
        user = client.access(keys["user"])
        other = client.access(keys["other_regulator"])
        assert client.access("") is None and client.access("sai") is None
        assert client.documents("healthcare", regulator)
        with pytest.raises(ClientError, match="ingest"):
            client.ingest_file("healthcare", note, regulator)
        with pytest.raises(ClientError, match="audit"):
            client.audit_rows("healthcare", user)
        with pytest.raises(ClientError, match="sandbox 'finance', not 'healthcare'"):
            client.audit_verify("healthcare", other)
        with pytest.raises(ClientError, match="ingest"):
            client.delete_document("healthcare", "cap-cuu.md", user)
        with pytest.raises(ClientError):
            client.documents("healthcare", None)
        KeyStore.for_home(demo_home).revoke(regulator.key_id)
        assert client.access(keys["regulator"]) is None
    finally:
        client.close()


def test_metric_rows_of_a_contracts_only_report() -> None:
    rows = metric_rows({"metrics": {"hit_at_k": 0.7, "mrr": None}, "thresholds": {"hit_at_k": 0.8, "mrr": 0.6}})
    assert [(r["Chỉ số"], r["Đạt"]) for r in rows] == [("hit_at_k", False), ("mrr", None)]


def test_redteam_rows_fall_back_to_the_section() -> None:
    data = {"redteam": {"metrics": {"redteam_attack_block_rate": 0.96}}}
    assert [r["Giá trị"] for r in redteam_rows(data)] == [0.96]
    assert redteam_rows({}) == []
