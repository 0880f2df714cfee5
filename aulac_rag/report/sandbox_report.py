"""The regulator's sandbox report: one document (Markdown + HTML + JSON) about one sandbox.

    facts = collect_facts(Sandbox("healthcare"))
    paths = write_sandbox_report(facts, folder)

It states what the sandbox is (domain, models, corpus with content hashes, config
hash), its risk controls (the guardrail policy as the risk-management plan of a
controlled trial), the latest evaluation against its thresholds, the red-team
results, the audit log's integrity and usage, and the date — in Vietnamese, so that
it can be handed on as is.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from aulac_rag.evaluation import specs
from aulac_rag.incidents import STATUS_LABELS
from aulac_rag.report import charts
from aulac_rag.report import sandbox_facts as sf
from aulac_rag.report.document import Bullets, Document, Figure, KeyValues, Para, Table, render_html, render_markdown
from aulac_rag.report.eval_report import fmt, modes_label, verdict
from aulac_rag.trial import DECISION_LABELS, STATE_LABELS

DOMAINS = {"healthcare": "Y tế", "education": "Giáo dục", "finance": "Tài chính – ngân hàng", "general": "Chung"}
ACTIONS = {
    "allow": "Cho phép (kèm ghi chú)",
    "redact": "Che / sửa",
    "block": "Chặn",
    "escalate": "Chuyển tiếp khẩn cấp",
}
STAGES = {"input": "Câu hỏi (đầu vào)", "output": "Câu trả lời (đầu ra)"}
KINDS = {
    "pii": "Thông tin cá nhân",
    "injection": "Tấn công prompt / jailbreak",
    "self_harm": "Tự gây hại",
    "escalation": "Tình huống khẩn cấp",
    "domain_harm": "Hành vi gây hại trong lĩnh vực",
    "harm": "Nội dung gây hại chung",
    "scope": "Ngoài phạm vi sandbox",
    "llm_judge": "LLM thẩm định (phạm vi, tấn công)",
    "forbidden_phrases": "Cách diễn đạt bị cấm",
    "citations": "Khẳng định không có trích dẫn",
    "mask_pii": "Che thông tin cá nhân trong câu trả lời",
    "disclaimer": "Lời khuyến cáo của lĩnh vực",
}
LABELS = {
    "benign": "Câu hỏi hợp lệ",
    "out_of_scope": "Ngoài phạm vi",
    "attack": "Tấn công",
    "escalation": "Khẩn cấp",
    "pii": "Có thông tin cá nhân",
}
NOT_YET = "chưa có"


def vn_date(moment: datetime) -> str:
    """``ngày 27 tháng 11 năm 2026, 14:05 (UTC+07:00)``."""
    offset = moment.strftime("%z") or "+0000"
    return f"ngày {moment.day:02d} tháng {moment.month:02d} năm {moment.year}, {moment:%H:%M} (UTC{offset[:3]}:{offset[3:]})"


def collect_facts(sandbox: Any, eval_run: str | Path | None = None, redteam: bool = True) -> dict[str, Any]:
    """Everything the report states, as JSON-able data."""
    from aulac_rag import __version__

    moment = datetime.now().astimezone()
    return {
        "kind": "sandbox_report",
        "version": 1,
        "sandbox": sandbox.name,
        "generated_at": moment.isoformat(timespec="seconds"),
        "date": vn_date(moment),
        "aulac_rag": __version__,
        "definition": sf.definition_facts(sandbox),
        "policy": sf.policy_facts(sandbox),
        "evaluation": sf.evaluation_facts(sandbox, eval_run),
        "redteam": sf.redteam_facts(sandbox) if redteam else None,
        "audit": sf.audit_facts(sandbox),
        "feedback": sf.feedback_facts(sandbox),
        "trial": sf.trial_facts(sandbox),
    }


def _definition(doc: Document, d: dict[str, Any]) -> None:
    g = d["generation"]
    if g["backend"] == "extractive":
        llm = "Không dùng LLM: chế độ trích xuất (câu trả lời trích nguyên văn câu trong tài liệu, kèm nguồn)"
    else:
        llm = f"{g['backend']} · mô hình {g['model']} · {g['base_url'] or 'địa chỉ mặc định'}"
        if g["fallback"] == "extractive":
            llm += " · khi LLM lỗi: chuyển sang trích xuất và thông báo cho người dùng"
    section = doc.section("1. Định nghĩa sandbox")
    section.add(
        KeyValues(
            [
                ("Tên", d["name"]),
                ("Lĩnh vực", DOMAINS.get(d["domain"], d["domain"])),
                ("Mô tả", d["description"]),
                ("Mô hình ngôn ngữ", llm),
                ("Mô hình nhúng (embedding)", f"{d['embedder']['name']} ({d['embedder']['model_id']})"),
                (
                    "Truy hồi",
                    f"lai (dense + BM25), hợp nhất {d['retrieval']['fusion']}, tách từ {d['retrieval']['sparse_tokenizer']}, "
                    f"k = {d['retrieval']['k']}, chỉ mục Qdrant ({d['index']['engine']})",
                ),
                ("Mã băm cấu hình (sha256)", d["config_hash"]),
                ("Mã băm prompt hệ thống (sha256)", d["prompt_sha256"] or NOT_YET),
            ]
        )
    )
    corpus = d["corpus"]
    section.add(Para(f"Kho tài liệu: {corpus['documents']} tài liệu, {corpus['chunks']} đoạn đã lập chỉ mục."))
    if corpus["list"]:
        section.add(
            Table(
                ["Mã tài liệu", "Tiêu đề", "Số đoạn", "Mã băm nội dung (sha256)"],
                [[x["doc_id"], x["title"], str(x["chunks"]), x["sha256"]] for x in corpus["list"]],
            )
        )
    else:
        section.add(Para("Sandbox chưa có tài liệu nào được nạp.", "bad"))


def _risk_controls(doc: Document, p: dict[str, Any]) -> None:
    section = doc.section("2. Biện pháp kiểm soát rủi ro")
    section.add(
        Para(
            "Luật Trí tuệ nhân tạo (2025) yêu cầu hệ thống trí tuệ nhân tạo được thử nghiệm có kiểm soát phải có "
            "kế hoạch quản lý rủi ro. Các quy tắc an toàn (guardrails) dưới đây là kế hoạch đó cho sandbox này: "
            "mỗi câu hỏi được kiểm tra bởi mọi quy tắc đầu vào trước khi truy hồi và sinh câu trả lời, mỗi câu trả lời "
            "được kiểm tra bởi các quy tắc đầu ra; khi nhiều quy tắc cùng kích hoạt, hành động mạnh nhất được áp dụng "
            "(chuyển tiếp khẩn cấp > chặn > che > cho phép). Mọi quyết định được ghi vào nhật ký kiểm toán."
        )
    )
    if not p["present"]:
        section.add(
            Para(
                f"Chưa có chính sách guardrails ({p['file']}): sandbox chỉ che thông tin cá nhân trong nhật ký.", "bad"
            )
        )
    else:
        if p.get("description"):
            section.add(Para(f"Phạm vi chính sách: {p['description']}"))
        rows = [
            [
                STAGES.get(r["stage"], r["stage"]),
                r["id"],
                KINDS.get(r["kind"], r["kind"]),
                ACTIONS.get(r["action"], r["action"]) + ("" if r["enabled"] else " (đang tắt)"),
                r["message"] or "—",
            ]
            for r in p["rules"]
        ]
        section.add(Table(["Giai đoạn", "Mã quy tắc", "Loại rủi ro", "Hành động", "Thông báo cho người dùng"], rows))
        section.add(Para(f"Tệp chính sách: {p['file']} (sha256 {p['sha256']})."))
    section.add(
        Bullets(
            [
                "Câu trả lời chỉ dựa trên tài liệu của sandbox, mỗi ý có trích dẫn [n]; trích dẫn không có thật bị xoá.",
                "Thông tin cá nhân trong câu hỏi được che trước khi lưu nhật ký.",
                "Nhật ký kiểm toán dạng chuỗi băm: sửa, chèn hoặc xoá một dòng đều bị phát hiện (mục 5).",
            ]
        )
    )


def _evaluation(doc: Document, e: dict[str, Any] | None, sandbox: str) -> None:
    section = doc.section("3. Kết quả đánh giá gần nhất")
    if e is None:
        section.add(Para(f"Chưa chạy đánh giá. Chạy: aulac eval {sandbox}", "bad"))
        return
    failed = [c["name"] for c in e["checks"] if not c["passed"]]
    if e["passed"]:
        section.add(Para(f"ĐẠT: cả {len(e['checks'])} chỉ số đạt ngưỡng.", "ok"))
    else:
        section.add(Para(f"KHÔNG ĐẠT: {len(failed)} chỉ số dưới ngưỡng ({', '.join(failed)}).", "bad"))
    section.add(
        KeyValues(
            [
                ("Thời điểm chạy", e["finished_at"]),
                ("Số câu hỏi", f"{e['items']} (k = {e['k']})"),
                ("Chế độ trả lời", modes_label(e["modes"])),
                ("LLM chấm điểm", "có" if e["judge"] else "không — " + e["skipped"].get(specs.LLM_JUDGE, "")),
                ("Thư mục kết quả", e["run"]),
            ]
        )
    )
    if not e["same_config"]:
        section.add(Para("Lưu ý: cấu hình sandbox đã thay đổi sau lần đánh giá này; cần chạy lại aulac eval.", "note"))
    rows = [(c["name"], c["value"], c["threshold"], c["passed"]) for c in e["checks"]]
    section.add(Figure(charts.metric_bars(rows), "Giá trị mỗi chỉ số (xanh: đạt, đỏ: không đạt); vạch đứt: ngưỡng"))
    section.add(
        Table(
            ["Chỉ số", "Ý nghĩa", "Giá trị", "Ngưỡng", "Kết quả"],
            [
                [
                    c["name"],
                    c["label"],
                    fmt(c["value"]),
                    ("≤ " if c["lower_is_better"] else "≥ ") + f"{c['threshold']:g}",
                    verdict(c["passed"]),
                ]
                for c in e["checks"]
            ],
            ["ok" if c["passed"] else "bad" for c in e["checks"]],
        )
    )


def _redteam(doc: Document, r: dict[str, Any] | None) -> None:
    section = doc.section("4. Kết quả kiểm thử tấn công (red-team)")
    if r is None:
        section.add(Para(f"Kiểm thử tấn công: {NOT_YET} bộ tình huống cho sandbox này.", "note"))
        return
    counts = r["counts"]
    section.add(
        Para(
            f"Chạy trên chính sách hiện tại với {r['cases']} tình huống ({', '.join(Path(f).name for f in r['files'])}): "
            f"{counts.get('attack', 0)} tấn công, {counts.get('escalation', 0)} tình huống khẩn cấp, "
            f"{counts.get('benign', 0)} câu hỏi hợp lệ, {counts.get('out_of_scope', 0)} câu ngoài phạm vi, "
            f"{counts.get('pii', 0)} câu có thông tin cá nhân."
        )
    )
    rows, tones = [], []
    for name, value in r["metrics"].items():
        spec = specs.spec(name)
        target = r.get("thresholds", {}).get(name, spec.default_threshold)
        ok = value is not None and spec.passes(value, target)
        sign = "≤" if spec.lower_is_better else "≥"
        rows.append(
            [
                spec.label,
                fmt(value),
                f"{sign} {target:g}",
                verdict(ok) if value is not None else NOT_YET,
            ]
        )
        tones.append("ok" if ok else "bad")
    rows.append(["Tỷ lệ chặn câu hỏi ngoài phạm vi", fmt(r.get("out_of_scope_rate")), "—", "—"])
    tones.append("")
    section.add(Table(["Chỉ số", "Giá trị", "Mục tiêu", "Kết quả"], rows, tones))
    if r["misses"]:
        section.add(
            Table(
                ["Mã", "Loại tình huống", "Hành động thực tế (sai)", "Nội dung"],
                [
                    [m["id"], LABELS.get(m["label"], m["label"]), ACTIONS.get(m["action"], m["action"]), m["text"]]
                    for m in r["misses"]
                ],
            )
        )


def _audit(doc: Document, a: dict[str, Any], feedback: dict[str, int]) -> None:
    section = doc.section("5. Nhật ký kiểm toán và mức sử dụng")
    if a.get("error"):
        section.add(Para(f"Không đọc được nhật ký kiểm toán: {a['error']}", "bad"))
    elif a["ok"]:
        section.add(Para(f"Toàn vẹn: chuỗi băm hợp lệ trên {a['rows']} dòng nhật ký của sandbox.", "ok"))
    else:
        section.add(Para(f"PHÁT HIỆN {len(a['problems'])} vấn đề trong chuỗi băm của nhật ký kiểm toán.", "bad"))
        section.add(Bullets(a["problems"][:50]))
    u = a.get("usage") or {}
    head = a.get("head") or {}
    section.add(
        KeyValues(
            [
                ("Số câu hỏi đã ghi nhận", str(u.get("questions", 0))),
                ("Đã trả lời", str(u.get("answered", 0))),
                ("Bị từ chối", f"{u.get('refused', 0)} (trong đó bị chặn: {u.get('blocked', 0)})"),
                ("Chuyển tiếp khẩn cấp", str(u.get("escalated", 0))),
                (
                    "Bị ngắt / lỗi / chưa kết thúc",
                    f"{u.get('aborted', 0)} / {u.get('errors', 0)} / {u.get('unfinished', 0)}",
                ),
                ("Chế độ trả lời", modes_label(u.get("modes", {}))),
                ("Khoảng thời gian", f"{u.get('first') or '—'} → {u.get('last') or '—'}"),
                ("Phản hồi của người dùng", f"👍 {feedback.get('up', 0)} · 👎 {feedback.get('down', 0)}"),
                ("Đầu chuỗi (seq, sha256)", f"{head.get('seq', 0)}, {head.get('row_hash', '—')}"),
                ("Tệp nhật ký", a["file"]),
            ]
        )
    )


_DECISION_VI = DECISION_LABELS


def _trial(doc: Document, t: dict[str, Any] | None, evaluation: dict[str, Any] | None) -> None:
    section = doc.section("6. Thử nghiệm có kiểm soát và sổ sự cố")
    if not t:
        section.add(Para("Không có thông tin thử nghiệm."))
        return
    status, plan = t["status"], t.get("plan")
    if plan is None:
        section.add(Para(status["message"], "bad"))
    else:
        section.add(
            KeyValues(
                [
                    ("Trạng thái", f"{STATE_LABELS.get(status['state'], status['state'])} — {status['message']}"),
                    ("Đơn vị vận hành", plan["organization"]),
                    ("Mục đích", plan["purpose"]),
                    ("Thời gian", f"{plan['start']} → {plan['end']}"),
                    ("Mức rủi ro", f"{plan['risk_level']} — {plan.get('risk_rationale', '')}"),
                    ("Số người tham gia tối đa", str(plan["participants_max"])),
                    ("Thông báo cho người dùng", plan["disclosure"]),
                ]
            )
        )
        if plan.get("risks"):
            rows = [[r["risk"], "; ".join(r["controls"])] for r in plan["risks"]]
            section.add(Table(["Rủi ro", "Biện pháp kiểm soát"], rows))
        if plan.get("exit_criteria"):
            section.add(Para("Tiêu chí kết thúc so với lần đánh giá gần nhất:"))
            rows, tones = [], []
            measured = {c["name"]: c.get("value") for c in (evaluation or {}).get("checks", [])}
            for name, target in plan["exit_criteria"].items():
                value = measured.get(name)
                met = None if value is None else float(value) >= float(target)
                rows.append([name, fmt(value), f"≥ {target:g}", "—" if met is None else ("đạt" if met else "chưa đạt")])
                tones.append("" if met is None else ("ok" if met else "bad"))
            section.add(Table(["Tiêu chí", "Giá trị đo", "Mục tiêu", "Kết quả"], rows, tones))
    if status.get("history"):
        rows = [[h["time"], STATE_LABELS.get(h["state"], h["state"]), h["by"], h["reason"]] for h in status["history"]]
        section.add(Table(["Thời gian", "Trạng thái", "Người thực hiện", "Lý do"], rows))
    counts = t.get("incident_counts") or {}
    if counts:
        rows = [[kind, str(c.get("open", 0)), str(c.get("acknowledged", 0)), str(c.get("resolved", 0))]
                for kind, c in sorted(counts.items())]  # fmt: skip
        section.add(Table(["Loại sự cố", "Mới", "Đã tiếp nhận", "Đã xử lý"], rows))
    else:
        section.add(Para("Chưa ghi nhận sự cố nào.", "ok"))
    decision = status.get("decision")
    if decision:
        section.add(
            Para(f"Quyết định của cơ quan quản lý ({decision['time'][:10]}, {decision['by']}): "
                 f"{_DECISION_VI.get(decision['decision'], decision['decision'])}. {decision.get('reason', '')}", "note")
        )  # fmt: skip
    elif plan is not None:
        section.add(Para("Quyết định của cơ quan quản lý: chưa ghi nhận (aulac trial decide).", "note"))
    versions = t.get("versions") or []
    if versions:
        section.add(Para("Lịch sử phiên bản chính sách, lời nhắc, cấu hình và kế hoạch thử nghiệm (aulac trial history):"))
        section.add(Table(["Thời gian", "Tệp", "sha256", "Ghi nhận bởi", "Thay đổi"],
                          [[v["time"], v["file"], (v["sha256"] or "—")[:16], v["by"], v["summary"]]
                           for v in reversed(versions)]))  # fmt: skip
    for item in t.get("open_incidents") or []:
        section.add(
            Para(
                f"#{item['id']} [{item['severity']}, {STATUS_LABELS.get(item['status'], item['status'])}, hạn "
                f"{item['deadline'][:16]}] {item['kind']}: {item['summary']} ({item['audit_ref']})",
                "bad" if item["severity"] in ("high", "critical") else "note",
            )
        )


def build_sandbox_document(facts: dict[str, Any]) -> Document:
    d = facts["definition"]
    doc = Document(
        title=f"Báo cáo sandbox «{facts['sandbox']}» — {DOMAINS.get(d['domain'], d['domain'])}",
        subtitle=f"Báo cáo thử nghiệm có kiểm soát, lập {facts['date']}.",
        footer=(
            f"Lập tự động bởi aulac-rag {facts['aulac_rag']} ({facts['generated_at']}). Có thể tái lập: "
            f"aulac eval {facts['sandbox']} rồi aulac report {facts['sandbox']}. Mã băm cấu hình {d['config_hash']}."
        ),
    )
    _definition(doc, d)
    _risk_controls(doc, facts["policy"])
    _evaluation(doc, facts["evaluation"], facts["sandbox"])
    _redteam(doc, facts["redteam"])
    _audit(doc, facts["audit"], facts["feedback"])
    _trial(doc, facts.get("trial"), facts.get("evaluation"))
    doc.section("7. Ngày lập báo cáo").add(Para(f"Báo cáo được lập {facts['date']}."))
    return doc


def write_sandbox_report(facts: dict[str, Any], folder: Path) -> dict[str, Path]:
    """Write ``sandbox-report.md``, ``.html`` and ``.json`` into ``folder``; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    doc = build_sandbox_document(facts)
    paths = {
        "md": folder / "sandbox-report.md",
        "html": folder / "sandbox-report.html",
        "json": folder / "sandbox-report.json",
    }
    paths["md"].write_text(render_markdown(doc, paths["html"].name), encoding="utf-8")
    paths["html"].write_text(render_html(doc), encoding="utf-8")
    paths["json"].write_text(json.dumps(facts, ensure_ascii=False, indent=1), encoding="utf-8")
    return paths
