"""Periodic and final trial reports, the law references they cite, policy versions, signed exports."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from aulac_rag.audit import AuditEntry, AuditLog
from aulac_rag.audit.checkpoint import KEY_ENV, Checkpoint, generate_key, verify_checkpoint
from aulac_rag.errors import AuditError, ConfigError
from aulac_rag.feedback import FeedbackStore
from aulac_rag.incidents import IncidentStore
from aulac_rag.pipeline import Caller
from aulac_rag.policy_versions import BASELINE, PolicyHistory, diff_summary
from aulac_rag.report import law
from aulac_rag.report.pdf import pdf_unavailable
from aulac_rag.report.trial_facts import ReportPeriod, report_period, usage_facts
from aulac_rag.report.trial_report import render_trial_report, report_format
from aulac_rag.sandbox import Sandbox, create_sandbox
from aulac_rag.service import SandboxService
from aulac_rag.trial import load_plan
from tests.helpers import SHARED_DATA, requires_shared, run_cli

LAW_FILE = SHARED_DATA / "laws" / "ai" / "luat_tri_tue_nhan_tao_2025.txt"
TODAY = date.today()
REGULATOR = Caller(key_id="rk1", role="regulator")


def _row(event: str = "answer", **fields: object) -> AuditEntry:
    base: dict = dict(sandbox="healthcare", key_id="u1", role="user", question="Thẻ BHYT cấp cho ai?", retrieved=[],
                      guardrails=[], answer="Trả lời [1].", refused=False, mode="extractive", backend="extractive",
                      model="", config_hash="c", latency_ms=12.0, event=event)  # fmt: skip
    base.update(fields)
    return AuditEntry(**base)


@pytest.fixture
def service(aulac_home: Path) -> Iterator[SandboxService]:
    """The bundled healthcare sandbox (plan running) with a little of everything in the period."""
    svc = SandboxService(aulac_home)
    svc.sandbox("healthcare")
    log = svc.audit_log
    log.append(_row())
    log.append(_row(key_id="u2"))
    log.append(_row(key_id="u2", refused=True, answer="Xin lỗi…",
                    guardrails=[{"rule": "diagnosis", "action": "block", "message": "Không chẩn đoán."}]))  # fmt: skip
    log.append(_row(key_id="anon-7", role="ui", refused=True, answer="Gọi 115.",
                    guardrails=[{"rule": "self_harm", "action": "escalate", "message": "Gọi 115 ngay."}]))  # fmt: skip
    log.append(_row(event="error", key_id="u1", answer=""))
    svc.change_trial("healthcare", "suspend", caller=REGULATOR, reason="Kiểm tra sự cố tự hại")
    svc.change_trial("healthcare", "resume", caller=REGULATOR, reason="Đã bổ sung quy trình")
    svc.decide_trial("healthcare", "extend", caller=REGULATOR, note="Gia hạn 3 tháng để đo thêm")
    store = IncidentStore.for_home(aulac_home)
    first = store.open("healthcare", "escalation", "high", "Câu hỏi tự hại", audit_ref="healthcare#4", deadline_hours=24)
    store.update(first.id, status="resolved", note="Đã gọi lại người dùng")
    store.open("healthcare", "feedback", "low", "Câu trả lời thiếu")
    feedback = FeedbackStore.for_home(aulac_home)
    feedback.add("healthcare", "Chuyển tuyến thế nào?", "…", "down", "Thiếu hướng dẫn chuyển tuyến đúng tuyến")
    feedback.add("healthcare", "Mức hưởng?", "…", "up")
    feedback.close()
    yield svc
    svc.close()


# --- the law's articles --------------------------------------------------------------------------------


def _articles(text: str) -> dict[int, tuple[str, list[str]]]:
    """article number → (title, its lines)."""
    found: dict[int, tuple[str, list[str]]] = {}
    current: int | None = None
    for line in text.splitlines():
        head = re.match(r"^Điều (\d+)\. (.+)$", line.strip())
        if head:
            current = int(head.group(1))
            found[current] = (head.group(2).strip(), [])
        elif line.startswith("Chương "):
            current = None
        elif current is not None:
            found[current][1].append(line.strip())
    return found


@requires_shared()
def test_every_cited_article_exists_in_the_law_with_its_title() -> None:
    articles = _articles(LAW_FILE.read_text(encoding="utf-8"))
    assert len(articles) == 35
    for ref in law.all_refs():
        assert ref.article in articles, ref.key
        title, lines = articles[ref.article]
        assert title == ref.title, f"Điều {ref.article}: {title!r} != {ref.title!r}"
        if ref.clause is None:
            continue
        starts = [i for i, line in enumerate(lines) if re.match(r"^\d+\. ", line)]
        clause = [i for i in starts if lines[i].startswith(f"{ref.clause}. ")]
        assert clause, f"{ref.key}: no clause {ref.clause}"
        end = next((i for i in starts if i > clause[0]), len(lines))
        if ref.point:
            assert any(line.startswith(f"{ref.point}) ") for line in lines[clause[0]:end]), f"{ref.key}: no point {ref.point}"


def test_citations_read_as_vietnamese_legal_references() -> None:
    assert law.ref(35, 1, "a").label() == "điểm a khoản 1 Điều 35"
    assert law.ref(21, 3).key == "21.3"
    line = law.cite("incidents")
    assert line.startswith("Căn cứ Luật Trí tuệ nhân tạo: ") and "Điều 12 (Trách nhiệm quản lý và xử lý sự cố" in line
    keys = {r.key for r in law.all_refs()}
    assert {"21", "11.1", "12.2", "9", "10.1", "13.1", "14.1(d)", "6.2", "35.1(a)"} <= keys
    with pytest.raises(KeyError, match="known"):
        law.cite("nothing")


# --- periods ---------------------------------------------------------------------------------------------


def test_default_periods_follow_the_plan() -> None:
    from aulac_rag.sandbox import bundled_dir

    plan = load_plan(bundled_dir() / "healthcare")
    today = date(2026, 12, 4)
    periodic = report_period(plan, "periodic", today=today)
    assert (periodic.since, periodic.until) == (today - timedelta(days=plan.reporting_cadence_days - 1), today)
    final = report_period(plan, "final", today=today)
    assert final.since == plan.start and final.until == today
    assert report_period(None, "periodic", today=today).since == today - timedelta(days=6)
    with pytest.raises(ConfigError, match="periodic or final"):
        report_period(plan, "weekly")
    with pytest.raises(ConfigError, match="before it starts"):
        report_period(plan, "periodic", since=today, until=today - timedelta(days=1))


def test_usage_counts_only_the_rows_in_the_period() -> None:
    def row(ts: str, **fields: object) -> dict:
        return {"ts": ts, "event": "answer", "key_id": "u", "role": "user", "refused": False, "guardrails": [],
                "latency_ms": 10.0, **fields}  # fmt: skip

    rows = [
        row("2026-11-30T23:59:59.999+00:00", key_id="before"),
        row("2026-12-01T00:00:00.000+00:00", key_id="a"),
        row("2026-12-02T08:00:00+07:00", key_id="b", refused=True,
            guardrails=[{"rule": "diagnosis", "action": "block"}]),  # 01:00 UTC  # fmt: skip
        row("2026-12-02T09:00:00+00:00", key_id="a", refused=True, guardrails=[{"rule": "self_harm", "action": "escalate"}]),
        row("2026-12-02T09:00:01+00:00", event="started"),
        row("2026-12-02T09:00:02+00:00", event="trial", key_id="rk"),
        row("2026-12-03T00:00:00+00:00", key_id="after"),
    ]
    usage = usage_facts(rows, ReportPeriod(kind="periodic", since=date(2026, 12, 1), until=date(2026, 12, 2)))
    assert usage["questions"] == 3 and usage["refused"] == 2 and usage["escalated"] == 1
    assert usage["refused_by_rule"] == {"diagnosis": 1} and usage["escalated_by_rule"] == {"self_harm": 1}
    assert usage["participants"] == 2 and usage["per_day"] == {"2026-12-01": 1, "2026-12-02": 2}


# --- the reports -----------------------------------------------------------------------------------------


def test_final_report_facts(service: SandboxService) -> None:
    facts = service.trial_report("healthcare", "final")
    usage = facts["usage"]
    assert (usage["questions"], usage["answered"], usage["refused"], usage["escalated"], usage["errors"]) == (5, 2, 2, 1, 1)
    assert usage["participants"] == 3 and usage["refused_by_rule"] == {"diagnosis": 1}
    assert [c["action"] for c in facts["state_changes"]] == ["suspend", "resume", "decide:extend"]
    assert facts["state_changes"][0]["by"] == "rk1 (regulator)" and "sự cố tự hại" in facts["state_changes"][0]["message"]
    assert facts["incidents"]["total"] == 2 and facts["incidents"]["by_severity"]["high"]["resolved"] == 1
    assert facts["feedback"]["down"] == 1 and facts["feedback"]["comments"][0]["comment"].startswith("Thiếu hướng dẫn")
    assert [d["decision"] for d in facts["decisions"]] == ["extend"]
    assert facts["evaluation"]["run"] is None and facts["evaluation"]["met"] is None
    assert {c["name"] for c in facts["evaluation"]["criteria"]} == {"hit_at_k", "non_llm_context_recall"}
    assert facts["records"]["audit"]["ok"] and facts["records"]["checkpoint"] is None
    assert "aulac audit keygen" in facts["records"]["checkpoint_note"]
    assert set(facts["records"]["current"]) == {"sandbox", "policy", "prompt", "trial"}


def test_a_period_before_today_counts_nothing_of_today(service: SandboxService) -> None:
    yesterday = TODAY - timedelta(days=1)
    facts = service.trial_report("healthcare", "periodic", since=yesterday - timedelta(days=6), until=yesterday)
    assert facts["usage"]["questions"] == 0 and facts["state_changes"] == [] and facts["decisions"] == []
    assert facts["incidents"]["total"] == 0 and facts["feedback"] == {"up": 0, "down": 0, "comments": []}
    assert facts["open_incidents_now"] == 1  # still open, whatever the period


def test_html_report_has_every_section_and_its_articles(service: SandboxService) -> None:
    page = render_trial_report(service.trial_report("healthcare", "final"), "html").decode("utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert "<script" not in page and "http://" not in page and "https://" not in page  # self-contained
    for title in ("Thông tin chung về thử nghiệm", "Diễn biến trạng thái", "Tình hình sử dụng trong kỳ",
                  "Sự cố và việc xử lý", "Phản hồi của người dùng", "tiêu chí kết thúc",
                  "Phiên bản chính sách", "Quyết định của cơ quan quản lý", "Kết luận và đề nghị"):  # fmt: skip
        assert title in page, title
    for cited in ("Điều 21 (Cơ chế thử nghiệm có kiểm soát đối với trí tuệ nhân tạo)", "khoản 1 Điều 11 (Trách nhiệm minh bạch)",
                  "Điều 12 (Trách nhiệm quản lý và xử lý sự cố trí tuệ nhân tạo)", "khoản 3 Điều 21",
                  "Điều 9 (Phân loại mức độ rủi ro", "khoản 2 Điều 6", "điểm a khoản 1 Điều 35"):  # fmt: skip
        assert cited in page, cited
    assert "gia hạn thử nghiệm" in page and "Thiếu hướng dẫn chuyển tuyến" in page and "Đã gọi lại người dùng" in page
    assert "Bạn đang trò chuyện với một hệ thống trí tuệ nhân tạo" in page  # the disclosure (Art. 11.1)
    periodic = render_trial_report(service.trial_report("healthcare", "periodic"), "html").decode("utf-8")
    assert "Báo cáo định kỳ" in periodic and "Kết luận và đề nghị" not in periodic


PDF = pytest.mark.skipif(pdf_unavailable() is not None, reason=f"no PDF here: {pdf_unavailable()}")


@PDF
def test_pdf_report_keeps_the_vietnamese_text(service: SandboxService) -> None:
    from pypdf import PdfReader

    data = render_trial_report(service.trial_report("healthcare", "final"), "pdf")
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for words in ("Báo cáo cuối kỳ thử nghiệm có kiểm soát", "Sự cố và việc xử lý", "Quyết định của cơ quan quản lý",
                  "Trách nhiệm minh bạch", "người dùng", "Điều 21"):  # fmt: skip
        assert words in text, words


def test_pdf_without_a_unicode_font_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from aulac_rag.report.pdf import FONT_ENV, find_fonts

    monkeypatch.setenv(FONT_ENV, str(tmp_path / "none.ttf"))
    with pytest.raises(ConfigError, match="no such font"):
        find_fonts()


def test_cli_writes_the_report_where_asked(service: SandboxService, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    out = tmp_path / "ky-1.html"
    code, stdout, _ = run_cli(["trial", "report", "healthcare", "--period", "periodic", "--out", str(out), "--json"],
                              capsys, monkeypatch)  # fmt: skip
    summary = json.loads(stdout)
    assert code == 0 and summary["files"] == {"html": str(out)} and out.read_text(encoding="utf-8").startswith("<!DOCTYPE")
    assert summary["questions"] == 5 and summary["incidents"] == 2 and summary["until"] == TODAY.isoformat()
    code, stdout, _ = run_cli(["trial", "report", "healthcare", "--period", "final", "--json"], capsys, monkeypatch)
    files = json.loads(stdout)["files"]
    expected = {"html", "json"} | (set() if pdf_unavailable() else {"pdf"})
    assert code == 0 and set(files) == expected and all(Path(p).is_file() for p in files.values())
    code, _, stderr = run_cli(["trial", "report", "healthcare", "--out", str(tmp_path / "x.txt")], capsys, monkeypatch)
    assert code != 0 and "unknown report format" in stderr
    with pytest.raises(ConfigError):
        report_format(Path("x"))


# --- policy and prompt versions ----------------------------------------------------------------------------


def test_versions_are_recorded_on_change_and_audited(aulac_home: Path) -> None:
    folder = create_sandbox("hc", "healthcare", home=aulac_home)
    box = Sandbox("hc", home=aulac_home)
    history, log = PolicyHistory.of(box), AuditLog.for_home(aulac_home)
    baseline = history.record(key_id="local", role="cli", audit=log)
    assert {v.kind for v in baseline} == {"sandbox", "policy", "prompt"}  # no trial.yaml: nothing to record
    assert all(v.summary == BASELINE and v.audit_seq == 0 for v in baseline) and log.rows("hc") == []
    assert history.record(audit=log) == []  # unchanged
    policy = folder / box.config.guardrails.policy_file
    policy.write_text(policy.read_text(encoding="utf-8") + "# ngưỡng mới\n", encoding="utf-8")
    [changed] = history.record(key_id="rk1", role="regulator", audit=log)
    assert changed.kind == "policy" and changed.by == "rk1 (regulator)" and changed.summary.startswith("+1 −0 dòng")
    [row] = log.rows("hc")
    assert row["event"] == "policy" and row["seq"] == changed.audit_seq and row["config_hash"] == changed.sha256
    assert row["guardrails"][0]["action"] == "policy" and log.verify().ok
    policy.unlink()
    [gone] = history.record(audit=log)
    assert gone.sha256 is None and gone.summary == "tệp bị xoá" and len(history.versions()) == 5
    box.close()


def test_the_service_records_on_load_and_the_cli_shows_history(
    aulac_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = create_sandbox("hc", "healthcare", home=aulac_home)
    code, out, _ = run_cli(["trial", "history", "hc", "--json"], capsys, monkeypatch)
    assert code == 0 and len(json.loads(out)) == 3
    (folder / "prompt.md").write_text("Bạn là trợ lý mới.\n", encoding="utf-8")
    service = SandboxService(aulac_home)
    service.sandbox("hc")
    assert [r["event"] for r in service.audit_log.rows("hc")] == ["policy"]
    versions = service.policy_history("hc")
    assert [v.kind for v in versions][-1] == "prompt" and versions[-1].audit_seq == 1
    service.close()


def test_diff_summary_is_short() -> None:
    assert diff_summary("a\nb\n", "a\nc\n") == "+1 −1 dòng: - b | + c"
    assert diff_summary(None, "x\ny") == "tệp được tạo (2 dòng)"
    assert diff_summary("a", "a ") == "+1 −1 dòng: - a | + a"


# --- signed exports ----------------------------------------------------------------------------------------


def test_signed_export_of_a_period(service: SandboxService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(AuditError, match="no signing key"):
        service.audit_export("healthcare")
    key = tmp_path / "keys" / "audit.pem"
    key.parent.mkdir()
    generate_key(key)
    monkeypatch.setenv(KEY_ENV, str(key))
    export = service.audit_export("healthcare", since=TODAY, until=TODAY)
    total = len(service.audit_log.rows("healthcare"))
    assert export.rows == total == export.checkpoint["size"]
    with zipfile.ZipFile(io.BytesIO(export.zip_bytes())) as bundle:
        assert set(bundle.namelist()) == {"rows.jsonl", "checkpoint.json", "manifest.json", "HUONG_DAN.txt"}
        checkpoint = Checkpoint.model_validate_json(bundle.read("checkpoint.json"))
        assert json.loads(bundle.read("manifest.json"))["rows"] == total
        assert "aulac audit verify --checkpoint" in bundle.read("HUONG_DAN.txt").decode("utf-8")
    assert verify_checkpoint(checkpoint, service.audit_log.rows("healthcare")) == []
    later = service.audit_export("healthcare", since=TODAY + timedelta(days=1), fmt="csv")
    assert later.rows == 0 and later.data.decode("utf-8").startswith("id,")
    facts = service.trial_report("healthcare", "periodic")  # the report signs the head too
    assert facts["records"]["checkpoint"]["size"] == total


# --- through the API (and the console's API client) -------------------------------------------------------


def test_api_reports_history_and_signed_export(
    service: SandboxService, aulac_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from aulac_rag.keys import KeyStore
    from aulac_rag.server import ServerSettings, create_app
    from aulac_rag.ui.client import ApiClient

    store = KeyStore.for_home(aulac_home)
    user = store.create("healthcare", "user", "t")[1]
    regulator = store.create("healthcare", "regulator", "t")[1]
    monkeypatch.delenv(KEY_ENV, raising=False)
    app = create_app(ServerSettings(rate_per_minute=0), catalog=service, keys=store)
    with TestClient(app, raise_server_exceptions=False) as http:
        auth = {"Authorization": f"Bearer {user}"}
        assert http.post("/v1/sandboxes/healthcare/trial-reports", json={}, headers=auth).status_code == 403
        client = ApiClient("http://testserver", http=http)
        access = client.access(regulator)
        made = client.make_trial_report("healthcare", "final", None, None, access)
        assert sorted(n.rsplit(".", 1)[1] for n in made) == (["html"] if pdf_unavailable() else ["html", "pdf"])
        assert set(client.trial_reports("healthcare", access)) == set(made)
        html = next(n for n in made if n.endswith(".html"))
        assert client.trial_report_file("healthcare", html, access).startswith(b"<!DOCTYPE html>")
        if not pdf_unavailable():
            pdf = next(n for n in made if n.endswith(".pdf"))
            assert client.trial_report_file("healthcare", pdf, access).startswith(b"%PDF")
        bad = http.post("/v1/sandboxes/healthcare/trial-reports", json={"period": "final", "since": "2026-12-05",
                        "until": "2026-12-01"}, headers={"Authorization": f"Bearer {regulator}"})  # fmt: skip
        assert bad.status_code == 422
        assert {v["file"] for v in client.policy_history("healthcare", access)} >= {"guardrails.yaml", "trial.yaml"}
        assert client.signing_configured("healthcare", access) is False
        refused = http.get("/v1/sandboxes/healthcare/audit/export", headers={"Authorization": f"Bearer {regulator}"})
        assert refused.status_code == 409 and "aulac audit keygen" in refused.text
        key = tmp_path / "keys" / "audit.pem"
        key.parent.mkdir()
        generate_key(key)
        monkeypatch.setenv(KEY_ENV, str(key))
        name, data = client.audit_export("healthcare", TODAY, TODAY, "csv", access)
        assert name == f"audit-healthcare-{TODAY}_{TODAY}.zip"
        with zipfile.ZipFile(io.BytesIO(data)) as bundle:
            assert "rows.csv" in bundle.namelist()


def test_the_latest_full_run_is_compared_with_the_exit_criteria(service: SandboxService, aulac_home: Path) -> None:
    from aulac_rag.evaluation.runs import runs_root, save_run
    from aulac_rag.evaluation.types import EvalRun, MetricCheck

    def run(folder: str, finished: str, hit: float, **settings: object) -> None:
        checks = [MetricCheck("hit_at_k", "retrieval", "hit@k", hit, 0.8, False, hit >= 0.8, 40),
                  MetricCheck("non_llm_context_recall", "context", "recall", 0.8, 0.7, False, True, 40),
                  MetricCheck("redteam_attack_block_rate", "redteam", "chặn tấn công", 0.97, 0.95, False, True, 70)]
        save_run(EvalRun("healthcare", finished, finished, 1.0, 10, dict(settings), checks, []),
                 runs_root(aulac_home, "healthcare") / folder)  # fmt: skip

    run("20261101T080000Z", "2026-11-01T08:00:00+00:00", 0.95)
    run("20261120T080000Z", "2026-11-20T08:00:00+00:00", 0.5, limit=5, eval_set_size=43)  # partial: never the headline
    facts = service.trial_report("healthcare", "final")
    evaluation = facts["evaluation"]
    assert evaluation["run"]["finished_at"].startswith("2026-11-01")
    by_name = {c["name"]: c for c in evaluation["criteria"]}
    assert by_name["hit_at_k"]["met"] is True and by_name["non_llm_context_recall"]["met"] is False  # plan asks 0.85
    assert evaluation["met"] is False
    page = render_trial_report(facts, "html").decode("utf-8")
    assert "redteam_attack_block_rate" in page and "chưa đạt tiêu chí kết thúc: non_llm_context_recall" in page
    earlier = service.trial_report("healthcare", "final", until=date(2026, 10, 31))
    assert earlier["evaluation"]["run"] is None  # no full run had finished by the period's end
