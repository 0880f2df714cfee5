"""The console's trial reports (trial tab), policy version history (settings tab) and signed audit exports."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from aulac_rag.audit.checkpoint import KEY_ENV, generate_key
from aulac_rag.report.pdf import pdf_unavailable
from tests.ui.conftest import QUESTION
from tests.ui.test_console import ask, open_console


def test_trial_tab_makes_and_lists_reports(app, keys, demo_home: Path) -> None:  # noqa: ANN001
    open_console(app, keys["regulator"])
    app.radio(key="report_period").set_value("final")
    [make] = [b for b in app.button if b.label == "Lập báo cáo"]
    make.click().run(timeout=180)
    assert not app.exception, app.exception
    assert any("Đã lập báo cáo: Cuối kỳ" in s.value for s in app.success), [e.value for e in app.error]
    made = sorted(p.suffix for p in (demo_home / "reports" / "healthcare" / "trial").iterdir())
    with_pdf = pdf_unavailable() is None
    assert made == ([".html", ".json", ".pdf"] if with_pdf else [".html", ".json"])
    picker = app.selectbox(key="report_pick")
    assert len(picker.options) == 1 + with_pdf and all(o.startswith("Cuối kỳ") for o in picker.options)
    assert any(b.label.startswith("Tải báo cáo") for b in app.get("download_button"))


def test_settings_tab_shows_the_version_history(app, keys) -> None:  # noqa: ANN001
    open_console(app, keys["regulator"])
    [history] = [d.value for d in app.dataframe if "sha256" in d.value.columns]
    assert {"guardrails.yaml", "prompt.md", "sandbox.yaml", "trial.yaml"} == set(history["Tệp"])
    assert set(history["Thay đổi"]) == {"phiên bản đầu tiên được ghi nhận"}


def test_audit_export_needs_a_key_then_signs(app, keys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.delenv(KEY_ENV, raising=False)
    ask(app, QUESTION)
    open_console(app, keys["regulator"])
    assert any("aulac audit keygen" in w.value for w in app.warning)
    key = tmp_path / "keys" / "audit.pem"
    key.parent.mkdir()
    generate_key(key)
    monkeypatch.setenv(KEY_ENV, str(key))
    app.run()
    app.button(key="export_make").click().run()
    assert not app.exception, app.exception
    [download] = [b for b in app.get("download_button") if b.label.startswith("Tải audit-healthcare")]
    assert download.proto.label.endswith(".zip")
    data = app.session_state["audit_export_healthcare"][1]
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        assert "checkpoint.json" in bundle.namelist() and "rows.jsonl" in bundle.namelist()
