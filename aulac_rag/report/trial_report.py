"""The periodic and final reports of a controlled trial, for the regulator (Law on AI, Art. 21).

    period = report_period(plan, "final")
    facts = collect_trial_facts(sandbox, period)
    write_trial_report(facts, Path("final.pdf"))   # .html, .pdf, .md or .json by the suffix

One :class:`~aulac_rag.report.document.Document` in Vietnamese, built from the facts alone: the
plan, the state history from the audit trail, usage in the period, incidents, feedback, the latest
full evaluation against the exit criteria, policy and prompt versions with the audit chain's
(signed) head, the regulator's decisions and, in a final report, a conclusion with a place for the
decision. Each section cites the articles of the law it answers to (:mod:`aulac_rag.report.law`).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from aulac_rag.errors import ConfigError
from aulac_rag.incidents import KIND_LABELS, SEVERITY_LABELS, STATUS_LABELS
from aulac_rag.policy_versions import KIND_LABELS as FILE_LABELS
from aulac_rag.report import law
from aulac_rag.report.document import Bullets, Document, KeyValues, Para, Section, Table, render_html, render_markdown
from aulac_rag.trial import DECISION_LABELS, STATE_LABELS

PERIOD_LABELS = {"periodic": "Báo cáo định kỳ", "final": "Báo cáo cuối kỳ"}
RISK_LABELS = {"high": "cao", "medium": "trung bình", "low": "thấp"}
DOMAINS = {"healthcare": "y tế", "education": "giáo dục", "finance": "tài chính – ngân hàng", "general": "chung"}
ACTION_LABELS = {"suspend": "tạm dừng", "resume": "cho chạy lại", "approve": "phê duyệt", "start": "bắt đầu",
                 "end": "kết thúc"}  # fmt: skip
FORMATS = ("html", "pdf", "md", "json")


def _d(value: str | date | None) -> str:
    """``2026-03-01`` → ``01/03/2026``; times keep hour and minute (UTC)."""
    if not value:
        return "—"
    text = str(value)
    try:
        if len(text) <= 10:
            return date.fromisoformat(text).strftime("%d/%m/%Y")
        return datetime.fromisoformat(text).strftime("%d/%m/%Y %H:%M")
    except ValueError:
        return text


def _num(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _section(doc: Document, title: str, cites: str) -> Section:
    section = doc.section(title)
    section.add(Para(law.cite(cites), "law"))
    return section


def _plan(doc: Document, f: dict[str, Any]) -> None:
    section = _section(doc, "1. Thông tin chung về thử nghiệm", "plan")
    plan, status = f["plan"], f["status"]
    if plan is None:
        section.add(Para(f"Sandbox «{f['sandbox']}» chưa có kế hoạch thử nghiệm (trial.yaml): {status['message']}", "bad"))
        return
    contacts = "; ".join(f"{c['name']} ({c['role']}{', ' + c['email'] if c.get('email') else ''})" for c in plan["contacts"])
    section.add(
        KeyValues(
            [
                ("Đơn vị vận hành", plan["organization"]),
                ("Đầu mối liên hệ", contacts or "—"),
                ("Mục đích", plan["purpose"]),
                ("Phạm vi câu hỏi", plan.get("scope") or "—"),
                ("Người tham gia", plan.get("users") or "—"),
                ("Kênh", ", ".join(plan.get("channels") or []) or "—"),
                ("Lĩnh vực", DOMAINS.get(f["domain"], f["domain"])),
                ("Mức rủi ro", f"{RISK_LABELS.get(plan['risk_level'], plan['risk_level'])} — {plan.get('risk_rationale') or 'chưa nêu lý do'}"),
                ("Thời gian thử nghiệm", f"{_d(plan['start'])} → {_d(plan['end'])}"),
                ("Số người tham gia tối đa", str(plan["participants_max"])),
                ("Trạng thái hiện tại", f"{STATE_LABELS.get(status['state'], status['state'])} — {status['message']}"),
                ("Chu kỳ báo cáo", f"{plan['reporting_cadence_days']} ngày"),
            ]
        )
    )
    if plan.get("risks"):
        section.add(Table(["Rủi ro", "Biện pháp kiểm soát"], [[r["risk"], "; ".join(r["controls"])] for r in plan["risks"]]))


def _states(doc: Document, f: dict[str, Any]) -> None:
    section = _section(doc, "2. Diễn biến trạng thái thử nghiệm", "states")
    changes = f["state_changes"]
    if not changes:
        section.add(Para("Không có thay đổi trạng thái nào trong kỳ (theo nhật ký kiểm toán)."))
        return
    rows = []
    for c in changes:
        action = c["action"]
        label = ("quyết định: " + DECISION_LABELS.get(action[7:], action[7:])) if action.startswith("decide:") else ACTION_LABELS.get(action, action)
        rows.append([_d(c["time"]), label, c["by"], c["message"], f"#{c['seq']}"])
    section.add(Table(["Thời gian (UTC)", "Thay đổi", "Người thực hiện", "Nội dung / lý do", "Dòng nhật ký"], rows))
    suspensions = sum(c["action"] == "suspend" for c in changes)
    if suspensions:
        section.add(Para(f"Trong kỳ, thử nghiệm bị tạm dừng {suspensions} lần.", "note"))


def _usage(doc: Document, f: dict[str, Any]) -> None:
    section = _section(doc, "3. Tình hình sử dụng trong kỳ", "usage")
    u, plan = f["usage"], f["plan"]
    if plan is not None:
        section.add(Para(f"Thông báo cho người dùng (hiển thị trước mọi cuộc trò chuyện): «{plan['disclosure']}»"))
    cap = f" / tối đa {plan['participants_max']}" if plan is not None else ""
    roles = ", ".join(f"{role}: {n}" for role, n in u["participants_by_role"].items()) or "—"
    section.add(
        KeyValues(
            [
                ("Số câu hỏi", str(u["questions"])),
                ("Đã trả lời", str(u["answered"])),
                ("Bị từ chối", str(u["refused"])),
                ("Chuyển tiếp khẩn cấp", str(u["escalated"])),
                ("Lỗi / người dùng ngắt", f"{u['errors']} / {u['aborted']}"),
                ("Người tham gia (khóa hoặc phiên khác nhau)", f"{u['participants']}{cap} ({roles})"),
                ("Độ trễ trả lời p50 / p95", f"{_num(u['latency_ms_p50'], 0)} / {_num(u['latency_ms_p95'], 0)} ms"),
            ]
        )
    )
    if u["per_day"]:
        section.add(Table(["Ngày", "Số câu hỏi"], [[_d(day), str(n)] for day, n in u["per_day"].items()]))
    controls = Section("3.1. Biện pháp kiểm soát đã kích hoạt", level=3)
    controls.add(Para(law.cite("controls"), "law"))
    rows = [["từ chối (chặn)", rule, str(n)] for rule, n in u["refused_by_rule"].items()]
    rows += [["chuyển tiếp khẩn cấp", rule, str(n)] for rule, n in u["escalated_by_rule"].items()]
    if rows:
        controls.add(Table(["Hành động", "Quy tắc", "Số lượt"], rows))
    else:
        controls.add(Para("Không có câu hỏi nào bị chặn hoặc chuyển tiếp trong kỳ."))
    section.add(controls)


def _incidents(doc: Document, f: dict[str, Any]) -> None:
    section = _section(doc, "4. Sự cố và việc xử lý", "incidents")
    i = f["incidents"]
    if not i["total"]:
        section.add(Para("Không ghi nhận sự cố nào trong kỳ.", "ok"))
    else:
        rows = [[SEVERITY_LABELS.get(sev, sev), str(c.get("open", 0)), str(c.get("acknowledged", 0)),
                 str(c.get("resolved", 0))] for sev, c in sorted(i["by_severity"].items())]  # fmt: skip
        section.add(Table(["Mức độ", "Mới", "Đã tiếp nhận", "Đã xử lý"], rows))
        if i["overdue"]:
            section.add(Para(f"Quá hạn xử lý: {', '.join('#' + str(n) for n in i['overdue'])}.", "bad"))
        rows, tones = [], []
        for item in i["items"]:
            handling = item.get("notes") or "chưa có ghi chú xử lý"
            rows.append([f"#{item['id']}", _d(item["time"]), KIND_LABELS.get(item["kind"], item["kind"]),
                         SEVERITY_LABELS.get(item["severity"], item["severity"]),
                         STATUS_LABELS.get(item["status"], item["status"]), _d(item.get("deadline")),
                         item["summary"], handling, item.get("audit_ref") or "—"])  # fmt: skip
            tones.append("bad" if item["status"] != "resolved" and item["severity"] in ("high", "critical") else "")
        section.add(Table(["Mã", "Thời gian", "Loại", "Mức độ", "Trạng thái", "Hạn", "Tóm tắt (đã che PII)",
                           "Xử lý", "Nhật ký"], rows, tones))  # fmt: skip
    section.add(Para(f"Sự cố chưa xử lý xong tại thời điểm lập báo cáo (mọi kỳ): {f['open_incidents_now']}."))


def _feedback(doc: Document, f: dict[str, Any]) -> None:
    section = _section(doc, "5. Phản hồi của người dùng", "feedback")
    fb = f["feedback"]
    section.add(Para(f"Trong kỳ: {fb['up']} phản hồi tích cực (👍), {fb['down']} phản hồi tiêu cực (👎)."))
    if fb["comments"]:
        section.add(Table(["Thời gian", "Câu hỏi (đã che PII)", "Góp ý 👎"],
                          [[_d(c["time"]), c["question"], c["comment"]] for c in fb["comments"]]))  # fmt: skip
    else:
        section.add(Para("Không có phản hồi 👎 kèm góp ý trong kỳ."))


def _evaluation(doc: Document, f: dict[str, Any]) -> None:
    section = _section(doc, "6. Kết quả đánh giá so với tiêu chí kết thúc", "evaluation")
    e = f["evaluation"]
    run = e["run"]
    if run is None:
        section.add(Para(f"Chưa có lần đánh giá đầy đủ nào (aulac eval {f['sandbox']}) trước cuối kỳ.", "bad"))
    else:
        section.add(Para(f"Lần đánh giá đầy đủ gần nhất: {_d(run['finished_at'])}, {run['items']} câu hỏi "
                         f"({'đạt' if run['passed'] else 'chưa đạt'} mọi ngưỡng của sandbox)."))  # fmt: skip
    if not e["criteria"]:
        section.add(Para("Kế hoạch chưa nêu tiêu chí kết thúc (exit_criteria).", "note"))
    else:
        _criteria(section, e["criteria"])
    if run is not None and run["checks"]:
        checks = Section("6.1. Mọi chỉ số của lần đánh giá (kể cả kiểm thử tấn công nếu có)", level=3)
        checks.add(Table(["Chỉ số", "Ý nghĩa", "Giá trị", "Ngưỡng", "Kết quả"],
                         [[c["name"], c.get("label", ""), _num(c.get("value")),
                           ("≤ " if c.get("lower_is_better") else "≥ ") + f"{c['threshold']:g}",
                           "đạt" if c.get("passed") else "chưa đạt"] for c in run["checks"]],
                         ["ok" if c.get("passed") else "bad" for c in run["checks"]]))  # fmt: skip
        section.add(checks)


def _criteria(section: Section, criteria: list[dict[str, Any]]) -> None:
    rows, tones = [], []
    for c in criteria:
        sign = "≤" if c["lower_is_better"] else "≥"
        verdict = "chưa đo" if c["met"] is None else ("đạt" if c["met"] else "chưa đạt")
        rows.append([c["name"], _num(c["value"]), f"{sign} {c['threshold']:g}", verdict])
        tones.append("" if c["met"] is None else ("ok" if c["met"] else "bad"))
    section.add(Table(["Tiêu chí", "Giá trị đo", "Mục tiêu", "Kết quả"], rows, tones))


def _records(doc: Document, f: dict[str, Any]) -> None:
    section = _section(doc, "7. Phiên bản chính sách, lời nhắc và nhật ký kiểm toán", "records")
    r = f["records"]
    current = r["current"]
    if current:
        section.add(Table(["Tệp", "Nội dung", "sha256 (đang dùng)", "Ghi nhận lúc"],
                          [[v["file"], FILE_LABELS.get(k, k), (v["sha256"] or "không có tệp")[:16], _d(v["time"])]
                           for k, v in sorted(current.items())]))  # fmt: skip
    if r["versions"]:
        section.add(Para("Các phiên bản được ghi nhận trong kỳ:"))
        section.add(Table(["Thời gian", "Tệp", "sha256", "Ghi nhận bởi", "Thay đổi", "Nhật ký"],
                          [[_d(v["time"]), v["file"], (v["sha256"] or "—")[:16], v["by"], v["summary"],
                            f"#{v['audit_seq']}" if v["audit_seq"] else "—"] for v in r["versions"]]))  # fmt: skip
    else:
        section.add(Para("Không có thay đổi chính sách, lời nhắc hay cấu hình nào trong kỳ."))
    audit = r["audit"]
    if audit["ok"]:
        section.add(Para(f"Chuỗi băm của nhật ký kiểm toán toàn vẹn: {audit['rows']} dòng; đầu chuỗi seq "
                         f"{audit['head']['seq']}, sha256 {audit['head']['row_hash']}.", "ok"))  # fmt: skip
    else:
        section.add(Para(f"Chuỗi băm của nhật ký kiểm toán có {len(audit['problems'])} vấn đề.", "bad"))
        section.add(Bullets(audit["problems"]))
    cp = r["checkpoint"]
    if cp:
        section.add(KeyValues([("Điểm kiểm tra đã ký (Ed25519)", f"{cp['size']} dòng, đầu chuỗi {cp['head']}"),
                               ("Mã khóa / khóa công khai", f"{cp['key_id']} / {cp['public_key']}"),
                               ("Chữ ký", cp["signature"])]))  # fmt: skip
    else:
        section.add(Para(f"Không có điểm kiểm tra đã ký: {r['checkpoint_note']}.", "note"))


def _decisions(doc: Document, f: dict[str, Any]) -> None:
    section = _section(doc, "8. Quyết định của cơ quan quản lý", "decisions")
    if not f["decisions"]:
        section.add(Para("Chưa ghi nhận quyết định nào (aulac trial decide)."))
        return
    section.add(Table(["Thời gian", "Quyết định", "Người quyết định", "Nội dung"],
                      [[_d(d["time"]), DECISION_LABELS.get(d["decision"], d["decision"]), d["by"], d["reason"] or "—"]
                       for d in f["decisions"]]))  # fmt: skip


def conclusion(f: dict[str, Any]) -> list[str]:
    """The facts a final report's conclusion rests on, one sentence each."""
    e, i, u = f["evaluation"], f["incidents"], f["usage"]
    out = []
    if e["met"] is True:
        out.append("Kết quả đánh giá đạt mọi tiêu chí kết thúc của kế hoạch.")
    elif e["met"] is False:
        failed = [c["name"] for c in e["criteria"] if c["met"] is False]
        out.append(f"Kết quả đánh giá chưa đạt tiêu chí kết thúc: {', '.join(failed)}.")
    else:
        out.append("Chưa đủ số liệu đánh giá để so với tiêu chí kết thúc.")
    serious = sum(c.get("open", 0) + c.get("acknowledged", 0) + c.get("resolved", 0)
                  for sev, c in i["by_severity"].items() if sev in ("high", "critical"))  # fmt: skip
    out.append(f"Trong thời gian thử nghiệm: {u['questions']} câu hỏi, {u['refused']} bị từ chối, {u['escalated']} "
               f"chuyển tiếp khẩn cấp, {i['total']} sự cố ({serious} mức cao trở lên), "
               f"{f['open_incidents_now']} sự cố chưa xử lý xong.")  # fmt: skip
    suspensions = sum(c["action"] == "suspend" for c in f["state_changes"])
    out.append(f"Số lần tạm dừng: {suspensions}. Nhật ký kiểm toán "
               f"{'toàn vẹn' if f['records']['audit']['ok'] else 'CÓ VẤN ĐỀ'}.")  # fmt: skip
    return out


def _conclusion(doc: Document, f: dict[str, Any]) -> None:
    section = _section(doc, "9. Kết luận và đề nghị", "conclusion")
    section.add(Bullets(conclusion(f)))
    ok = f["evaluation"]["met"] is True and f["open_incidents_now"] == 0 and f["records"]["audit"]["ok"]
    if ok:
        section.add(Para("Đề nghị của đơn vị vận hành: xem xét công nhận kết quả thử nghiệm (điểm a khoản 2 Điều 21).", "ok"))
    else:
        section.add(Para("Chưa đủ điều kiện đề nghị công nhận kết quả: cần khắc phục các điểm nêu trên, hoặc "
                         "xem xét gia hạn / điều chỉnh nghĩa vụ.", "bad"))  # fmt: skip
    section.add(Para("Quyết định của cơ quan nhà nước có thẩm quyền (ghi rõ: công nhận kết quả / gia hạn / điều chỉnh "
                     "nghĩa vụ / chấm dứt; ghi nhận vào hệ thống bằng aulac trial decide):"))  # fmt: skip
    section.add(KeyValues([("Quyết định", "…………………………………………"), ("Số, ngày văn bản", "…………………………………………"),
                           ("Người ký (họ tên, chức vụ)", "…………………………………………")]))  # fmt: skip


def build_trial_document(f: dict[str, Any]) -> Document:
    period = f["period"]
    plan = f["plan"]
    who = plan["organization"] if plan else f"Sandbox {f['sandbox']} (chưa có kế hoạch thử nghiệm)"
    doc = Document(
        title=f"{PERIOD_LABELS[period['kind']]} thử nghiệm có kiểm soát — sandbox «{f['sandbox']}»",
        subtitle=(f"{who}. Kỳ báo cáo: {_d(period['since'])} → {_d(period['until'])} (UTC). Lập lúc "
                  f"{_d(f['generated_at'][:16])} UTC. Theo {law.LAW_NAME}."),  # fmt: skip
        footer=(f"Lập tự động bởi aulac-rag {f['aulac_rag']} (aulac trial report {f['sandbox']} --period "
                f"{period['kind']}). Mã băm cấu hình {f['config_hash']}. Số liệu lấy từ nhật ký kiểm toán, sổ sự cố, "
                "phản hồi và lần đánh giá đầy đủ gần nhất; tên điều luật là tham chiếu ngắn, xem toàn văn Luật."),
    )  # fmt: skip
    for part in (_plan, _states, _usage, _incidents, _feedback, _evaluation, _records, _decisions):
        part(doc, f)
    if period["kind"] == "final":
        _conclusion(doc, f)
    refs = doc.section("Phụ lục. Các điều luật được viện dẫn")
    refs.add(Table(["Điều khoản", "Tên điều"], [[r.label(), r.title] for r in law.all_refs()]))
    return doc


def trial_reports_dir(home: Path, sandbox: str) -> Path:
    """Where ``aulac trial report`` and the console keep the trial's reports."""
    return Path(home) / "reports" / sandbox / "trial"


def list_trial_reports(home: Path, sandbox: str) -> list[Path]:
    """Saved trial reports (HTML, PDF), newest first."""
    folder = trial_reports_dir(home, sandbox)
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.is_file() and p.suffix in (".html", ".pdf")]
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.name), reverse=True)


def report_format(path: Path) -> str:
    fmt = path.suffix.lower().lstrip(".")
    if fmt == "htm":
        fmt = "html"
    if fmt not in FORMATS:
        raise ConfigError(f"{path}: unknown report format {path.suffix or '(none)'!r}; use .html, .pdf, .md or .json")
    return fmt


def render_trial_report(facts: dict[str, Any], fmt: str) -> bytes:
    """The report as ``html``, ``pdf``, ``md`` or ``json`` bytes."""
    if fmt == "json":
        return json.dumps(facts, ensure_ascii=False, indent=1).encode("utf-8")
    doc = build_trial_document(facts)
    if fmt == "html":
        return render_html(doc).encode("utf-8")
    if fmt == "md":
        return render_markdown(doc).encode("utf-8")
    if fmt == "pdf":
        from aulac_rag.report.pdf import render_pdf

        return render_pdf(doc)
    raise ConfigError(f"unknown report format {fmt!r}; use one of: {', '.join(FORMATS)}")


def write_trial_report(facts: dict[str, Any], out: Path) -> Path:
    """Write the report to ``out`` in the format its suffix names (.html, .pdf, .md, .json)."""
    data = render_trial_report(facts, report_format(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out
