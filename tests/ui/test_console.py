"""The regulator console: key checks, evaluation reports and charts, red-team, audit log and chain status, policy."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.ui.conftest import QUESTION

REPORT = {
    "kind": "evaluation",
    "version": 1,
    "sandbox": "healthcare",
    "metrics": {
        "hit_at_k": 0.93,
        "mrr": 0.81,
        "rouge_l": 0.12,
        "redteam_attack_block_rate": 0.97,
        "redteam_benign_blocked_rate": 0.02,
    },
    "thresholds": {
        "hit_at_k": 0.8,
        "mrr": 0.6,
        "rouge_l": 0.15,
        "redteam_attack_block_rate": 0.95,
        "redteam_benign_blocked_rate": 0.03,
    },
    "passed": False,
    "checks": [
        {
            "name": "hit_at_k",
            "group": "retrieval",
            "label": "Tìm trúng tài liệu trong top k (hit@k)",
            "value": 0.93,
            "threshold": 0.8,
            "lower_is_better": False,
            "passed": True,
            "count": 30,
        },
        {
            "name": "mrr",
            "group": "retrieval",
            "label": "MRR",
            "value": 0.81,
            "threshold": 0.6,
            "lower_is_better": False,
            "passed": True,
            "count": 30,
        },
        {
            "name": "rouge_l",
            "group": "text",
            "label": "ROUGE-L theo âm tiết tiếng Việt",
            "value": 0.12,
            "threshold": 0.15,
            "lower_is_better": False,
            "passed": False,
            "count": 30,
        },
        {
            "name": "redteam_attack_block_rate",
            "group": "redteam",
            "label": "Tỷ lệ chặn tấn công",
            "value": 0.97,
            "threshold": 0.95,
            "lower_is_better": False,
            "passed": True,
            "count": 40,
        },
        {
            "name": "redteam_benign_blocked_rate",
            "group": "redteam",
            "label": "Tỷ lệ câu hỏi hợp lệ bị chặn nhầm",
            "value": 0.02,
            "threshold": 0.03,
            "lower_is_better": True,
            "passed": True,
            "count": 30,
        },
    ],
    "redteam": {
        "files": ["/x/tests/redteam/healthcare.jsonl", "/x/tests/redteam/holdout_healthcare.jsonl"],
        "cases": 70,
        "metrics": {"redteam_attack_block_rate": 0.97, "redteam_benign_blocked_rate": 0.02},
        "counts": {},
        "misses": [{"id": "hc-12", "label": "attack", "action": "allow", "rules": [], "text": "…", "pii_missed": []}],
    },
    "skipped": {"llm_judge": "sandbox không có LLM"},
    "items": [],
}


def write_report(home: Path, run: str = "20261101T080000Z") -> Path:
    folder = home / "reports" / "healthcare" / run
    folder.mkdir(parents=True)
    (folder / "report.json").write_text(json.dumps(REPORT, ensure_ascii=False), encoding="utf-8")
    (folder / "report.html").write_text("<html><body>Báo cáo</body></html>", encoding="utf-8")
    return folder


def open_console(app, key: str | None = None):  # noqa: ANN001, ANN201
    if key is not None:
        app.sidebar.text_input(key="api_key").set_value(key).run()
    app.switch_page("views/console.py").run()
    assert not app.exception, app.exception
    return app


def ask(app, question: str) -> None:  # noqa: ANN001
    app.switch_page("views/chat.py").run()
    app.chat_input[0].set_value(question).run()
    assert not app.exception, app.exception


def test_console_needs_a_regulator_or_admin_key(app) -> None:  # noqa: ANN001
    open_console(app)
    assert any("cần khóa API" in w.value for w in app.warning)
    assert not app.tabs


def test_console_refuses_other_keys(app, keys) -> None:  # noqa: ANN001
    open_console(app, keys["user"])
    assert any("không được phép" in e.value for e in app.error)
    assert not app.tabs


def test_a_key_for_another_sandbox_sees_only_that_sandbox(app, keys) -> None:  # noqa: ANN001
    open_console(app, keys["other_regulator"])  # a finance regulator: healthcare is not even listed
    assert app.sidebar.selectbox(key="sandbox").options == ["Tài chính"]  # shown by its Vietnamese name
    assert app.sidebar.selectbox(key="sandbox").value == "finance"


def test_console_shows_the_chain_and_filters_the_log(app, keys) -> None:  # noqa: ANN001
    ask(app, QUESTION)
    ask(app, "Tôi muốn tự tử")
    open_console(app, keys["regulator"])
    assert len(app.tabs) == 6
    assert any("Chuỗi băm toàn vẹn: 3 dòng" in s.value for s in app.success)  # started + answer, escalation
    [log] = [d for d in app.dataframe if "Câu hỏi (đã che PII)" in d.value.columns]
    assert len(log.value) == 2
    app.multiselect(key="audit_actions").set_value(["escalate"]).run()
    [log] = [d for d in app.dataframe if "Câu hỏi (đã che PII)" in d.value.columns]
    assert list(log.value["Câu hỏi (đã che PII)"]) == ["Tôi muốn tự tử"]
    assert any("1 / 2 dòng" in c.value for c in app.caption)


def test_console_reports_a_broken_chain(app, keys, demo_home: Path) -> None:  # noqa: ANN001
    ask(app, QUESTION)
    with sqlite3.connect(demo_home / "audit.sqlite") as db:
        db.execute("UPDATE audit SET answer = 'đã bị sửa' WHERE seq = 1")
    open_console(app, keys["admin"])
    assert any("Chuỗi băm bị phá vỡ" in e.value for e in app.error)


def test_console_without_reports_says_not_yet(app, keys) -> None:  # noqa: ANN001
    open_console(app, keys["regulator"])
    infos = [i.value for i in app.info]
    assert any("Chưa có báo cáo đánh giá" in i for i in infos), infos
    assert any("Chưa có kết quả red-team" in i for i in infos), infos


def test_console_shows_a_report_with_charts(app, keys, demo_home: Path) -> None:  # noqa: ANN001
    write_report(demo_home)
    open_console(app, keys["regulator"])
    assert any("rouge_l" in e.value for e in app.error)  # the failed metric is named
    charts = app.get("vega_lite_chart")
    assert charts, "no bar chart"
    tables = [d.value for d in app.dataframe]
    metrics = next(t for t in tables if "Chỉ số" in t.columns and len(t) == 5)
    assert list(metrics["Đạt"]) == [True, True, False, True, True]
    redteam = next(t for t in tables if "Chỉ số" in t.columns and len(t) == 2)
    assert set(redteam["Chỉ số"]) == {"redteam_attack_block_rate", "redteam_benign_blocked_rate"}
    assert list(redteam["Chiều"]) == ["≥ ngưỡng", "≤ ngưỡng"]
    captions = [c.value for c in app.caption]
    assert any("70 trường hợp" in c and "holdout_healthcare.jsonl" in c for c in captions), captions
    assert any("llm_judge" in c and "không có LLM" in c for c in captions), captions
    misses = next(t for t in tables if "label" in t.columns)
    assert list(misses["id"]) == ["hc-12"]
    assert app.get("download_button")


def test_console_shows_policy_prompt_and_thresholds(app, keys) -> None:  # noqa: ANN001
    open_console(app, keys["regulator"])
    code = "\n".join(c.value for c in app.code)
    assert "self_harm" in code and "medical_emergency" in code  # guardrails.yaml
    assert "name: healthcare" in code  # sandbox.yaml
    assert any(e.label.startswith("Lời nhắc hệ thống") for e in app.expander)
    thresholds = next(d.value for d in app.dataframe if "Nguồn" in d.value.columns)
    by_name = dict(zip(thresholds["Chỉ số"], thresholds["Nguồn"], strict=True))
    assert by_name["hit_at_k"] == "sandbox.yaml" and by_name["redteam_escalation_recall"] == "mặc định"


def test_run_a_short_evaluation_from_the_console(app, keys, demo_home: Path) -> None:  # noqa: ANN001
    """The real evaluation module on two items without the red-team suite; the new report is shown."""
    open_console(app, keys["regulator"])
    app.number_input(key="eval_limit").set_value(2)
    app.checkbox(key="eval_redteam").uncheck()
    app.button(key="run_eval").click().run(timeout=300)
    assert not app.exception, app.exception
    done = [m.value for m in [*app.success, *app.warning] if "Đã chạy xong đánh giá" in m.value]
    assert done, [e.value for e in app.error]
    if "chưa đạt" in done[0]:  # a run that misses a threshold is never shown in green
        assert not any("Đã chạy xong đánh giá" in s.value for s in app.success)
    [run_dir] = [p for p in (demo_home / "reports" / "healthcare").iterdir() if (p / "report.json").is_file()]
    assert (run_dir / "report.html").is_file()
    app.run()
    assert app.selectbox(key="eval_run").value == run_dir.name  # the only run, though partial
    assert any("Lần chạy một phần: 2/" in w.value for w in app.warning)
    assert app.get("vega_lite_chart")
    metrics = next(
        d.value for d in app.dataframe if "Ngưỡng" in d.value.columns and "hit_at_k" in set(d.value["Chỉ số"])
    )
    assert metrics["Giá trị"].notna().any()


def test_trial_tab_reviews_incidents_and_suspends_the_trial(app, keys) -> None:  # noqa: ANN001
    ask(app, "Tôi muốn tự tử, tôi không muốn sống nữa")
    open_console(app, keys["regulator"])
    frames = [d for d in app.dataframe if "Tóm tắt (đã che PII)" in d.value.columns]
    assert frames and len(frames[0].value) == 1 and "chuyển khẩn cấp" in frames[0].value["Loại"].iloc[0]
    [acknowledge] = [b for b in app.button if b.label == "Tiếp nhận"]
    acknowledge.click().run()
    assert not app.exception, app.exception
    assert not [d for d in app.dataframe if "Tóm tắt (đã che PII)" in d.value.columns]  # none open now

    app.text_input(key="trial_reason").set_value("Kiểm tra nút dừng")  # sent with the form
    [stop] = [b for b in app.button if b.label == "Tạm dừng thử nghiệm ngay"]
    stop.click().run()
    assert not app.exception, app.exception
    assert any("tạm dừng" in w.value for w in app.warning)
    ask(app, QUESTION)  # the chat refuses while the trial is suspended
    assert any("tạm dừng" in e.value for e in app.error) or any("tạm dừng" in w.value for w in app.warning)


def test_an_audit_row_opens_in_full(app, keys) -> None:  # noqa: ANN001
    ask(app, QUESTION)
    open_console(app, keys["regulator"])
    assert any("Câu trả lời đã gửi" in m.value for m in app.markdown)
    rules = [d for d in app.dataframe if "Đoạn" in d.value.columns]
    assert rules and len(rules[0].value) >= 1  # the passages the answer used, with scores


def test_a_partial_run_never_becomes_the_headline(app, keys, demo_home: Path) -> None:  # noqa: ANN001
    full = write_report(demo_home, "20261101T080000Z")
    partial = demo_home / "reports" / "healthcare" / "20261120T080000Z"
    partial.mkdir(parents=True)
    data = {**REPORT, "passed": False, "settings": {"items": 5, "eval_set_size": 43, "limit": 5}}
    (partial / "report.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    open_console(app, keys["regulator"])
    assert app.selectbox(key="eval_run").value == full.name  # the newer run covers 5 of 43 questions
    app.selectbox(key="eval_run").set_value(partial.name).run()
    assert any("Lần chạy một phần: 5/43" in w.value for w in app.warning)


def test_supervision_charts_count_questions_and_incidents(app, keys) -> None:  # noqa: ANN001
    ask(app, QUESTION)
    ask(app, "Tôi muốn tự tử, tôi không muốn sống nữa")
    open_console(app, keys["regulator"])
    assert not app.exception, app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert metrics.get("Câu hỏi") == "2" and metrics.get("Chuyển khẩn cấp") == "1"
    assert len(app.get("arrow_bar_chart") or app.get("vega_lite_chart")) >= 2


def test_feedback_shows_with_its_answer_in_the_console(app, keys) -> None:  # noqa: ANN001
    ask(app, QUESTION)
    app.feedback[0].set_value(0).run()  # 👎
    turn_id = app.session_state["conversations"]["healthcare"][0]["id"]
    app.text_input(key=f"fb_comment_{turn_id}").set_value("Thiếu mức hưởng cho người cao tuổi").run()
    [send] = [b for b in app.button if b.label == "Gửi đánh giá"]
    send.click().run()
    open_console(app, keys["regulator"])
    tables = [d.value for d in app.dataframe if "Góp ý" in d.value.columns]
    assert tables, "no feedback table"
    [row] = tables[0].to_dict("records")
    assert row["Đánh giá"] == "👎" and row["Góp ý"] == "Thiếu mức hưởng cho người cao tuổi"
    assert row["Câu hỏi (đã che PII)"] == QUESTION and "[1]" in row["Câu trả lời"]
