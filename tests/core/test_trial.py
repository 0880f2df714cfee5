"""The controlled trial: a plan per sandbox, states, the stop button on every path, incidents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from aulac_rag.errors import ConfigError
from aulac_rag.keys import KeyStore
from aulac_rag.sandbox import bundled_dir, create_sandbox
from aulac_rag.server import ServerSettings, create_app
from aulac_rag.service import SandboxService
from aulac_rag.trial import TrialNotRunning, load_plan
from tests.helpers import run_cli

QUESTION = "Thẻ bảo hiểm y tế được cấp cho ai?"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    folder = create_sandbox("hc", "healthcare", home=home)  # the healthcare policy and guard model, no plan
    assert not (folder / "trial.yaml").exists()
    (folder / "trial.yaml").write_text(
        (bundled_dir() / "healthcare" / "trial.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "the.md").write_text("# Thẻ BHYT\n\nThẻ bảo hiểm y tế được cấp cho người tham gia bảo hiểm y tế.", "utf-8")
    monkeypatch.setenv("AULAC_HOME", str(home))
    service = SandboxService(home)
    try:
        service.ingest("hc", [str(docs)])
    finally:
        service.close()
    return home


@pytest.mark.parametrize("name", ["healthcare", "education", "finance"])
def test_bundled_plans_are_valid_and_running_now(name: str) -> None:
    from datetime import date

    plan = load_plan(bundled_dir() / name)
    assert plan is not None and plan.state == "running" and plan.start <= date.today() <= plan.end
    assert "trí tuệ nhân tạo" in plan.disclosure and plan.risks and plan.exit_criteria


def test_show_has_the_contract_keys(home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run_cli(["trial", "show", "hc", "--json"], capsys, monkeypatch)
    shown = json.loads(out)
    assert code == 0 and shown["state"] == "running" and shown["answering"] is True
    assert {"sandbox", "state", "start", "end", "organization", "purpose", "participants_max", "risk_level"} <= set(shown)


def test_suspend_stops_every_path_and_resume_restores_it(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, _ = run_cli(["trial", "suspend", "hc", "--reason", "Câu trả lời sai về thuốc"], capsys, monkeypatch)
    assert code == 0
    code, out, err = run_cli(["ask", "hc", QUESTION, "--json"], capsys, monkeypatch)
    assert code == 1 and out == "" and "tạm dừng" in err and len(err.strip().splitlines()) == 1

    service = SandboxService(home)
    keys = KeyStore.for_home(home)
    user = keys.create("hc", "user")[1]
    regulator = keys.create("hc", "regulator")[1]
    try:
        with pytest.raises(TrialNotRunning):  # the chat app's path
            service.pipeline("hc").run(QUESTION)
        app = create_app(ServerSettings(rate_per_minute=0), catalog=service, keys=keys)
        with TestClient(app, raise_server_exceptions=False) as http:
            refused = http.post("/v1/sandboxes/hc/ask", json={"question": QUESTION}, headers={"Authorization": f"Bearer {user}"})
            assert refused.status_code == 423 and "tạm dừng" in refused.json()["error"]["message"]
            # a user cannot press the stop button; a regulator can, from the API
            assert http.post("/v1/sandboxes/hc/trial/resume", json={}, headers={"Authorization": f"Bearer {user}"}).status_code == 403
            resumed = http.post("/v1/sandboxes/hc/trial/resume", json={"reason": "đã sửa"}, headers={"Authorization": f"Bearer {regulator}"})
            assert resumed.status_code == 200 and resumed.json()["state"] == "running"
            answered = http.post("/v1/sandboxes/hc/ask", json={"question": QUESTION}, headers={"Authorization": f"Bearer {user}"})
            assert answered.status_code == 200 and "trí tuệ nhân tạo" in answered.json()["disclosure"]
            suspended = http.post("/v1/sandboxes/hc/trial/suspend", json={"reason": "sự cố"}, headers={"Authorization": f"Bearer {regulator}"})
            assert suspended.json()["state"] == "suspended"
            assert http.post("/v1/sandboxes/hc/ask", json={"question": QUESTION}, headers={"Authorization": f"Bearer {user}"}).status_code == 423
    finally:
        service.close()
    rows = [r for r in service.audit_log.rows("hc") if r["event"] == "trial"]
    assert [r["guardrails"][0]["action"] for r in rows] == ["suspend", "resume", "suspend"]
    assert service.audit_log.verify("hc").ok


def test_outside_the_period_and_without_a_plan(home: Path, tmp_path: Path) -> None:
    folder = home / "sandboxes" / "hc"
    plan = yaml.safe_load((folder / "trial.yaml").read_text(encoding="utf-8"))
    plan["end"] = "2026-03-31"
    (folder / "trial.yaml").write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    service = SandboxService(home)
    try:
        assert service.trial("hc").answering is False
        with pytest.raises(TrialNotRunning, match="hết hạn"):
            service.pipeline("hc").run(QUESTION)
    finally:
        service.close()
    (folder / "trial.yaml").unlink()
    service = SandboxService(home)
    try:
        status = service.trial("hc")
        assert status.state == "development" and status.answering and "phát triển" in status.message
        assert service.pipeline("hc").run(QUESTION).citations
    finally:
        service.close()


def test_an_invalid_plan_names_the_field(tmp_path: Path) -> None:
    (tmp_path / "trial.yaml").write_text("organization: X\npurpose: Y\nrisk_level: extreme\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="risk_level"):
        load_plan(tmp_path)


def test_an_escalated_question_is_an_incident(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run_cli(["ask", "hc", "Tôi muốn tự tử, tôi không muốn sống nữa", "--json"], capsys, monkeypatch)
    assert code == 0 and any(g["action"] == "escalate" for g in json.loads(out)["guardrails"]), out
    code, out, _ = run_cli(["incidents", "hc", "--json"], capsys, monkeypatch)
    [incident] = json.loads(out)
    assert incident["kind"] == "escalation" and incident["severity"] == "high" and incident["status"] == "open"
    assert {"id", "time", "kind", "severity", "status", "audit_ref", "summary"} <= set(incident)
    seq = int(incident["audit_ref"].split("#")[1])
    service = SandboxService(home)
    row = next(r for r in service.audit_log.rows("hc") if r["seq"] == seq)
    assert any(g["action"] == "escalate" for g in row["guardrails"])


def test_uploads_deletions_and_negative_feedback_are_on_record(home: Path) -> None:
    from aulac_rag.pipeline import Caller

    service = SandboxService(home)
    admin = Caller(key_id="k-admin", role="admin")
    try:
        extra = home.parent / "extra.md"
        extra.write_text("# Giờ khám\n\nPhòng khám mở cửa từ 7 giờ sáng.", encoding="utf-8")
        service.ingest("hc", [str(extra)], caller=admin)
        assert service.delete_document("hc", "extra.md", caller=admin)
        service.add_feedback("hc", QUESTION, "…", "down", "Sai, gọi tôi 0912345678", caller=Caller(key_id="k-user", role="user"))
        service.add_feedback("hc", QUESTION, "…", "up", "", caller=Caller(key_id="k-user", role="user"))
    finally:
        service.close()
    documents = [r for r in service.audit_log.rows("hc") if r["event"] == "document"]
    assert [(r["key_id"], r["guardrails"][0]["action"]) for r in documents][-2:] == [("k-admin", "ingest"), ("k-admin", "delete")]
    [incident] = [i for i in service.incidents("hc", "all") if i.kind == "feedback"]
    assert "0912345678" not in incident.summary and "Sai" in incident.summary  # masked
    assert service.audit_log.verify("hc").ok


def test_the_participant_cap_holds_for_user_keys(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = home / "sandboxes" / "hc"
    plan = yaml.safe_load((folder / "trial.yaml").read_text(encoding="utf-8"))
    plan["participants_max"] = 2
    (folder / "trial.yaml").write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    codes = [run_cli(["keys", "create", "--sandbox", "hc", "--role", "user"], capsys, monkeypatch)[0] for _ in range(3)]
    assert codes == [0, 0, 1]
    assert run_cli(["keys", "create", "--sandbox", "hc", "--role", "regulator"], capsys, monkeypatch)[0] == 0


def test_incidents_over_the_api(home: Path) -> None:
    service = SandboxService(home)
    keys = KeyStore.for_home(home)
    user, regulator = keys.create("hc", "user")[1], keys.create("hc", "regulator")[1]
    try:
        app = create_app(ServerSettings(rate_per_minute=0), catalog=service, keys=keys)
        with TestClient(app, raise_server_exceptions=False) as http:
            auth = {"Authorization": f"Bearer {user}"}
            http.post("/v1/sandboxes/hc/ask", json={"question": "Tôi muốn tự tử, không muốn sống nữa"}, headers=auth)
            assert http.get("/v1/sandboxes/hc/incidents", headers=auth).status_code == 403
            reg = {"Authorization": f"Bearer {regulator}"}
            [incident] = http.get("/v1/sandboxes/hc/incidents", headers=reg).json()
            done = http.patch(f"/v1/sandboxes/hc/incidents/{incident['id']}", json={"status": "resolved", "note": "đã gọi lại"}, headers=reg)
            assert done.status_code == 200 and done.json()["status"] == "resolved" and "đã gọi lại" in done.json()["notes"]
            assert http.get("/v1/sandboxes/hc/incidents", headers=reg).json() == []
            assert len(http.get("/v1/sandboxes/hc/incidents?status=all", headers=reg).json()) == 1
    finally:
        service.close()


def test_the_regulators_decision_is_recorded_and_reported(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run_cli(["trial", "decide", "hc", "--decision", "adjust", "--by", "Cục X", "--note", "QĐ 12", "--json"], capsys, monkeypatch)
    assert code == 0, err
    status = json.loads(out)
    assert status["decision"]["decision"] == "adjust" and status["state"] == "running"
    assert run_cli(["trial", "decide", "hc", "--decision", "maybe", "--by", "x"], capsys, monkeypatch)[0] == 1
    code, out, _ = run_cli(["report", "hc", "--json"], capsys, monkeypatch)
    md = Path(json.loads(out)["report"]).read_text(encoding="utf-8")
    assert "điều chỉnh nghĩa vụ" in md and "QĐ 12" in md and "Tiêu chí kết thúc" in md
    service = SandboxService(home)
    assert any(r["event"] == "trial" and r["guardrails"][0]["action"] == "decide:adjust" for r in service.audit_log.rows("hc"))
    code, out, _ = run_cli(["trial", "decide", "hc", "--decision", "end", "--by", "Cục X", "--json"], capsys, monkeypatch)
    assert json.loads(out)["state"] == "ended"
    code, _, err = run_cli(["ask", "hc", QUESTION], capsys, monkeypatch)
    assert code == 1 and "kết thúc" in err


def test_scheduled_check_compares_with_exit_criteria_records_drift_and_opens_incidents(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from aulac_rag.audit import AuditLog

    folder = home / "sandboxes" / "hc"
    questions = [
        {"id": "q1", "question": QUESTION, "reference": "Người tham gia bảo hiểm y tế.", "reference_doc_ids": ["the.md"],
         "reference_contexts": ["Thẻ bảo hiểm y tế được cấp cho người tham gia bảo hiểm y tế."]},
        {"id": "q2", "question": "Học phí đại học năm nay là bao nhiêu?", "reference": "Không có trong tài liệu.",
         "reference_doc_ids": ["hoc-phi.md"], "reference_contexts": ["Học phí đại học công lập là 15 triệu đồng."]},
    ]  # fmt: skip
    (folder / "eval.jsonl").write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in questions), "utf-8")
    plan = yaml.safe_load((folder / "trial.yaml").read_text(encoding="utf-8"))
    plan["exit_criteria"] = {"hit_at_k": 0.9}  # one question of two has its document in the index: 0.5
    (folder / "trial.yaml").write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")

    code, out, _ = run_cli(["trial", "check", "hc", "--limit", "1", "--json"], capsys, monkeypatch)
    partial = json.loads(out)
    assert partial["partial"] is True and partial["items"] == 1 and partial["incidents"] == []

    code, out, _ = run_cli(["trial", "check", "hc", "--json"], capsys, monkeypatch)
    first = json.loads(out)
    assert code == 3 and first["met"] is False and first["partial"] is False and first["items"] == 2
    assert first["criteria"] == [{"name": "hit_at_k", "value": 0.5, "threshold": 0.9, "met": False}]
    assert len(first["incidents"]) == 1 and first["drift"]["hit_at_k"]["previous"] is None  # no full run before

    code, out, _ = run_cli(["incidents", "hc", "--status", "all", "--json"], capsys, monkeypatch)
    [incident] = [i for i in json.loads(out) if i["kind"] == "evaluation_breach"]
    assert "hit_at_k" in incident["summary"] and incident["severity"] == "medium"

    code, out, _ = run_cli(["trial", "check", "hc", "--json"], capsys, monkeypatch)
    second = json.loads(out)
    assert second["drift"]["hit_at_k"] == {"previous": 0.5, "current": 0.5}  # the previous full run, not the partial one
    checks = [r for r in AuditLog.for_home(home).rows("hc") if r.get("event") == "trial" and "kiểm tra định kỳ" in str(r)]
    assert len(checks) == 3
