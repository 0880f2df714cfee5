"""End to end with the real Sandbox: ingest, ``aulac ask --json``, the API over SandboxService, the audit log."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from aulac_rag.audit import AuditLog
from aulac_rag.sandbox import Sandbox
from aulac_rag.server import KeyStore, ServerSettings, create_app
from tests.audit.test_audit_cli import run_cli
from tests.helpers import make_user_sandbox

DOCS = {
    "bhyt-muc-dong.md": "# Mức đóng bảo hiểm y tế\nNgười lao động có hợp đồng đóng bảo hiểm y tế hằng tháng bằng 4,5% tiền lương. "
    "Người lao động đóng một phần ba, người sử dụng lao động đóng hai phần ba.",
    "khang-sinh.md": "# Dùng kháng sinh đúng cách\nThuốc kháng sinh là thuốc kê đơn, chỉ được bán khi có đơn của bác sĩ.",
}


@pytest.fixture
def sandbox_home(aulac_home: Path, tmp_path: Path) -> Path:
    folder = make_user_sandbox(aulac_home, "tiny", retrieval={"chunking": {"max_tokens": 80}})
    (folder / "prompt.md").write_text("Bạn là trợ lý y tế. Trích dẫn [n].", encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    box = Sandbox("tiny")
    try:
        summary = box.ingest([str(corpus)])
    finally:
        box.close()
    assert summary.to_dict()["documents"] == 2
    return aulac_home


def test_cli_ask_json(sandbox_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run_cli(
        ["ask", "tiny", "Mức đóng bảo hiểm y tế hằng tháng là bao nhiêu?", "--json"], capsys, monkeypatch
    )
    assert code == 0, err
    answer = json.loads(out)
    assert {"answer", "citations", "guardrails", "mode", "refused"} <= set(answer)
    assert answer["mode"] == "extractive" and answer["refused"] is False
    assert "4,5% tiền lương" in answer["answer"] and answer["citations"][0]["doc_id"] == "bhyt-muc-dong.md"
    assert {int(n) for n in re.findall(r"\[(\d+)\]", answer["answer"])} == {c["n"] for c in answer["citations"]}

    code, out, _ = run_cli(["ask", "tiny", "Cách nấu phở bò ngon?", "--json"], capsys, monkeypatch)
    assert json.loads(out)["answer"] == "Không tìm thấy thông tin này trong các tài liệu hiện có."

    code, out, _ = run_cli(["ask", "tiny", "Thuốc kháng sinh có cần đơn không?", "--stream"], capsys, monkeypatch)
    assert code == 0 and "khang-sinh.md" in out and "Chế độ: trích xuất" in out

    log = AuditLog()
    ends = [r for r in log.rows("tiny") if r["event"] != "started"]
    assert [r["event"] for r in ends] == ["answer"] * 3 and log.verify().ok
    assert log.rows("tiny")[0]["role"] == "cli"


def test_api_over_local_catalog(sandbox_home: Path, tmp_path: Path) -> None:
    store = KeyStore()
    admin = store.create("tiny", "admin")[1]
    headers = {"Authorization": f"Bearer {admin}"}
    with TestClient(create_app(ServerSettings(rate_per_minute=0), keys=store), raise_server_exceptions=False) as client:
        names = [s["name"] for s in client.get("/v1/sandboxes", headers=headers).json()]
        assert "tiny" in names
        upload = [
            (
                "files",
                ("chuyen-tuyen.md", "# Chuyển tuyến\nNgười bệnh được chuyển tuyến kèm giấy chuyển tuyến.".encode()),
            )
        ]
        r = client.post("/v1/sandboxes/tiny/documents", files=upload, headers=headers)
        assert r.status_code == 200 and r.json()["documents"] == 1 and r.json()["errors"] == []
        r = client.post("/v1/sandboxes/tiny/ask", json={"question": "Khi chuyển tuyến cần giấy gì?"}, headers=headers)
        assert r.status_code == 200
        assert r.json()["citations"][0]["doc_id"] == "chuyen-tuyen.md"
        assert client.get("/v1/sandboxes/tiny/audit/verify", headers=headers).json()["ok"] is True
