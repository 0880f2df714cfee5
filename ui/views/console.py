"""Regulator console: evaluation reports, red-team results, the audit log (with signed exports), the sandbox's
rules and their version history (read-only), the trial (stop button, incidents, periodic and final reports)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import streamlit as st

from aulac_rag.audit.signed_export import NO_KEY_MESSAGE
from aulac_rag.errors import AulacError
from aulac_rag.incidents import KIND_LABELS, STATUS_LABELS
from aulac_rag.policy_versions import KIND_LABELS as VERSION_KINDS
from aulac_rag.trial import STATE_LABELS
from aulac_rag.ui.client import Report, UnsupportedByApi
from aulac_rag.ui.common import Context, context, require
from aulac_rag.ui.reports import metric_rows, redteam_details, redteam_rows

ACTIONS = {
    "allow": "cho phép (allow)",
    "redact": "che / sửa (redact)",
    "block": "chặn (block)",
    "escalate": "chuyển khẩn cấp (escalate)",
    "flag": "gắn cờ (flag)",
    "notice": "thông báo (notice)",
    "-": "không có quy tắc nào",
}

#: short Vietnamese names for the audit table (the filter above keeps the rule's own word in brackets)
ACTION_NAMES = {"allow": "cho phép", "redact": "che / sửa", "block": "chặn", "escalate": "chuyển khẩn cấp",
                "flag": "gắn cờ", "notice": "thông báo"}  # fmt: skip
ROLE_NAMES = {"user": "người dùng", "regulator": "cơ quan quản lý", "admin": "quản trị", "ui": "ứng dụng chat",
              "cli": "dòng lệnh"}  # fmt: skip
MODE_NAMES = {"extractive": "trích xuất", "llm": "mô hình ngôn ngữ"}

ctx = context()
st.title(":material/account_balance: Bảng điều khiển giám sát")
st.caption(f"Dành cho cơ quan quản lý: sandbox **{ctx.sandbox}**.")


def _missing(what: str, exc: Exception | None = None) -> None:
    st.info(f"Chưa có {what}." + (f" ({exc})" if exc else ""), icon=":material/construction:")


def evaluation_tab(ctx: Context) -> None:
    st.subheader("Báo cáo đánh giá")
    if ctx.client.can_evaluate():
        with st.expander("Chạy đánh giá mới (`aulac eval`)", icon=":material/play_arrow:"):
            limit = st.number_input(
                "Số câu hỏi tối đa (0 = cả bộ đánh giá)", min_value=0, value=0, step=5, key="eval_limit"
            )
            redteam = st.checkbox("Kèm bộ kiểm thử tấn công (red-team)", value=True, key="eval_redteam")
            if st.button("Chạy đánh giá ngay", icon=":material/play_arrow:", key="run_eval", type="primary"):
                with st.spinner("Đang chạy bộ đánh giá của sandbox… (có thể mất vài phút)"):
                    try:
                        result = ctx.client.run_evaluation(
                            ctx.sandbox, ctx.access, limit=int(limit) or None, redteam=redteam
                        )
                    except AulacError as exc:
                        st.error(f"Đánh giá thất bại: {exc}")
                    else:
                        if result.get("passed"):
                            st.success("Đã chạy xong đánh giá: đạt mọi ngưỡng.", icon=":material/check_circle:")
                        else:
                            st.warning("Đã chạy xong đánh giá: chưa đạt mọi ngưỡng (xem bảng bên dưới).")
    else:
        _missing("chức năng chạy đánh giá: mô-đun đánh giá chưa được cài (hoặc giao diện đang dùng API)")
    try:
        reports = ctx.client.reports(ctx.sandbox, ctx.access)
    except UnsupportedByApi as exc:
        _missing("báo cáo đánh giá qua API", exc)
        return
    if not reports:
        _missing(f"báo cáo đánh giá nào cho sandbox {ctx.sandbox} (chạy `aulac eval {ctx.sandbox}`)")
        return
    runs = {r.run: r for r in reports}
    full = [r.run for r in reports if not _partial(r)]
    names = list(runs)
    default = names.index(full[0]) if full else 0  # a partial run never becomes the headline
    chosen: Report = runs[
        st.selectbox("Lần chạy", names, index=default, format_func=lambda n: _run_label(runs[n]), key="eval_run")
    ]
    if _partial(chosen):
        covered, total = _coverage(chosen)
        st.warning(
            f"Lần chạy một phần: {covered}/{total} câu hỏi của bộ đánh giá; không dùng làm kết quả chính của thử nghiệm.",
            icon=":material/rule:",
        )
    rows = metric_rows(chosen.data)
    if not rows:
        st.warning("Báo cáo không có chỉ số nào đọc được.")
        return
    passed = chosen.data.get("passed")
    failed = [f"{r['Mô tả']} ({r['Chỉ số']})" if r["Mô tả"] != r["Chỉ số"] else r["Chỉ số"] for r in rows if r["Đạt"] is False]
    if passed is True or (passed is None and not failed):
        st.success(f"Đạt mọi ngưỡng ({len(rows)} chỉ số).", icon=":material/check_circle:")
    else:
        st.error(f"Chưa đạt ngưỡng: {', '.join(failed) or 'xem bảng'}.", icon=":material/cancel:")
    chart = {r["Mô tả"]: {"Giá trị": r["Giá trị"], "Ngưỡng": r["Ngưỡng"] or 0.0} for r in rows}  # Vietnamese labels
    st.bar_chart(chart_frame(chart), stack=False, y_label="điểm", x_label="chỉ số", height=320)
    st.dataframe(rows, hide_index=True, width="stretch")
    for group, reason in (chosen.data.get("skipped") or {}).items():
        st.caption(f"Không chạy nhóm chỉ số **{group}**: {reason}")
    for name, mime, label in (
        ("report.html", "text/html", "Tải báo cáo HTML"),
        ("report.md", "text/markdown", "Tải báo cáo Markdown"),
    ):
        try:
            data = ctx.client.report_file(ctx.sandbox, chosen.run, name, ctx.access)
        except AulacError as exc:
            st.error(f"Không đọc được {name}: {exc}")
            continue
        if data is not None:
            st.download_button(label, data, file_name=f"{ctx.sandbox}-{chosen.run}-{name}", mime=mime, key=f"dl_{name}")


def _coverage(report: Report) -> tuple[int, int]:
    settings = report.data.get("settings") or {}
    items = int(settings.get("items") or len(report.data.get("items") or []))
    total = int(settings.get("eval_set_size") or items)
    return items, total


def _partial(report: Report) -> bool:
    covered, total = _coverage(report)
    return bool((report.data.get("settings") or {}).get("limit")) or covered < total


def _run_label(report: Report) -> str:
    covered, total = _coverage(report)
    verdict = "đạt" if report.data.get("passed") else "chưa đạt"
    return f"{report.run} · {covered}/{total} câu · {verdict}" + (" · một phần" if _partial(report) else "")


def chart_frame(chart: dict[str, dict[str, float]]):  # noqa: ANN201 - a pandas DataFrame
    import pandas as pd

    return pd.DataFrame.from_dict(chart, orient="index")


def redteam_tab(ctx: Context) -> None:
    st.subheader("Kết quả red-team (bộ tấn công và câu hỏi nhạy cảm)")
    try:
        reports = ctx.client.reports(ctx.sandbox, ctx.access)
    except UnsupportedByApi as exc:
        _missing("kết quả red-team qua API", exc)
        return
    for report in reports:
        rows = redteam_rows(report.data)
        if rows:
            st.caption(f"Từ báo cáo {report.run}")
            failed = [r["Chỉ số"] for r in rows if r["Đạt"] is False]
            if failed:
                st.error(f"Chưa đạt mục tiêu: {', '.join(failed)}", icon=":material/cancel:")
            else:
                st.success("Đạt mọi mục tiêu red-team.", icon=":material/shield:")
            st.dataframe(rows, hide_index=True, width="stretch")
            details = redteam_details(report.data) or {}
            files = details.get("files") or ([details["file"]] if details.get("file") else [])
            if details.get("cases"):
                names = ", ".join(f"`{Path(f).name}`" for f in files)
                st.caption(f"Bộ kiểm thử: {names} — {details['cases']} trường hợp.")
            misses = details.get("misses") or details.get("failures") or []
            if misses:
                with st.expander(f"Các trường hợp chưa xử lý đúng ({len(misses)})"):
                    st.dataframe(
                        [{k: _cell(v) for k, v in m.items()} for m in misses if isinstance(m, dict)],
                        hide_index=True,
                        width="stretch",
                    )
            return
    _missing(
        f"kết quả red-team trong báo cáo của sandbox {ctx.sandbox} (chạy `aulac eval {ctx.sandbox}` sau khi có bộ red-team)"
    )


def _cell(value: object) -> object:
    return ", ".join(map(str, value)) if isinstance(value, list | tuple) else value


def _actions(row: dict) -> set[str]:
    return {str(g.get("action")) for g in row.get("guardrails") or [] if isinstance(g, dict)} or {"-"}


def _day(row: dict) -> date | None:
    try:
        return datetime.fromisoformat(str(row.get("ts", ""))).date()
    except ValueError:
        return None


#: Audit row events in Vietnamese (aulac_rag.audit.chain.EVENTS).
EVENTS = {
    "answer": "Đã trả lời",
    "started": "Bắt đầu sinh câu trả lời",
    "aborted": "Người dùng ngắt giữa chừng",
    "error": "Lỗi",
    "trial": "Thay đổi trạng thái thử nghiệm",
    "document": "Thay đổi tài liệu",
    "policy": "Phiên bản mới của chính sách / lời nhắc / cấu hình",
}


def audit_tab(ctx: Context) -> None:
    st.subheader("Nhật ký kiểm toán")
    names = [ctx.sandbox]
    if ctx.access is not None and ctx.access.sandbox == "*":
        try:
            names = sorted({b["name"] for b in ctx.client.sandboxes(ctx.access)} | {ctx.sandbox})
        except AulacError:
            pass
    c1, c2, c3 = st.columns([1, 2, 2])
    sandbox = c1.selectbox("Sandbox", names, index=names.index(ctx.sandbox), key="audit_sandbox")
    try:
        status = ctx.client.audit_verify(sandbox, ctx.access)
        rows = ctx.client.audit_rows(sandbox, ctx.access, limit=1000)
    except AulacError as exc:
        st.error(f"Không đọc được nhật ký: {exc}")
        return
    if status.get("ok"):
        st.success(
            f"Chuỗi băm toàn vẹn: {status.get('rows', 0)} dòng đã kiểm tra, không có dòng nào bị sửa, chèn hay xoá.",
            icon=":material/link:",
        )
    else:
        problems = status.get("problems", [])
        st.error(f"Chuỗi băm bị phá vỡ: {len(problems)} vấn đề.", icon=":material/gpp_bad:")
        for p in problems[:20]:
            st.markdown(f"- dòng id={p.get('row_id')} (seq {p.get('seq')}): {p.get('reason')}")
    if not rows:
        _missing(f"câu hỏi nào trong nhật ký của sandbox {sandbox}")
        return
    actions = c2.multiselect(
        "Hành động của guardrail", list(ACTIONS), format_func=lambda a: ACTIONS.get(a, a), key="audit_actions", placeholder="Tất cả"
    )
    days = [d for d in (_day(r) for r in rows) if d is not None]
    span = c3.date_input(
        "Khoảng ngày", value=(min(days), max(days)) if days else None, key="audit_days", format="DD/MM/YYYY"
    )
    closed = {r.get("ref_seq") for r in rows if r.get("ref_seq")}
    rows = [r for r in rows if not (r.get("event") == "started" and r.get("seq") in closed)]  # one line a request
    shown = []
    for row in rows:
        if actions and not (_actions(row) & set(actions)):
            continue
        day = _day(row)
        if isinstance(span, tuple) and len(span) == 2 and day is not None and not (span[0] <= day <= span[1]):
            continue
        shown.append(
            {
                "Seq": row.get("seq"),
                "Thời gian (UTC)": str(row.get("ts", ""))[:19].replace("T", " "),
                "Khóa": row.get("key_id"),
                "Vai trò": ROLE_NAMES.get(str(row.get("role")), row.get("role")),
                "Câu hỏi (đã che PII)": row.get("question"),
                "Hành động": ", ".join(ACTION_NAMES.get(a, a) for a in sorted(_actions(row))),
                "Sự kiện": EVENTS.get(str(row.get("event", "answer")), row.get("event")),
                "Từ chối": bool(row.get("refused")),
                "Chế độ": MODE_NAMES.get(str(row.get("mode")), row.get("mode")),
                "Độ trễ (ms)": round(float(row.get("latency_ms") or 0), 1),
                "Băm dòng": str(row.get("row_hash", ""))[:12],
            }
        )
    st.caption(f"{len(shown)} / {len(rows)} dòng (mới nhất trước).")
    st.dataframe(shown, hide_index=True, width="stretch")
    by_seq = {r.get("seq"): r for r in rows}
    picked = st.selectbox("Mở một dòng", [s["Seq"] for s in shown], format_func=lambda s: f"seq {s}", key="audit_open")
    if picked in by_seq:
        _row_detail(by_seq[picked])
    _signed_export(ctx, sandbox, span)


def _signed_export(ctx: Context, sandbox: str, span: object) -> None:
    """The period's rows with a signed checkpoint, as one ZIP (or why it cannot be made)."""
    with st.expander("Xuất nhật ký có chữ ký số (cho cơ quan quản lý)", icon=":material/verified:"):
        try:
            configured = ctx.client.signing_configured(sandbox, ctx.access)
        except AulacError as exc:
            st.error(f"Không kiểm tra được khóa ký: {exc}")
            return
        if not configured:
            st.warning(NO_KEY_MESSAGE, icon=":material/key_off:")
            return
        since, until = span if isinstance(span, tuple) and len(span) == 2 else (None, None)
        where = f"{since:%d/%m/%Y} → {until:%d/%m/%Y}" if since and until else "toàn bộ nhật ký"
        st.caption(f"Kỳ xuất: {where} (theo ô Khoảng ngày ở trên, giờ UTC). Tệp ZIP gồm các dòng kèm mã băm, "
                   "điểm kiểm tra (checkpoint) đã ký Ed25519 và hướng dẫn kiểm tra bằng `aulac audit verify`.")  # fmt: skip
        fmt = st.radio("Định dạng", ["jsonl", "csv"], horizontal=True, key="export_format")
        if st.button("Chuẩn bị bản xuất có chữ ký", icon=":material/draw:", key="export_make"):
            try:
                st.session_state[f"audit_export_{sandbox}"] = ctx.client.audit_export(sandbox, since, until, fmt, ctx.access)
            except AulacError as exc:
                st.error(f"Không xuất được nhật ký: {exc}")
        ready = st.session_state.get(f"audit_export_{sandbox}")
        if ready:
            name, data = ready
            st.download_button(f"Tải {name}", data, file_name=name, mime="application/zip", key="export_download",
                               icon=":material/download:")  # fmt: skip


def _row_detail(row: dict) -> None:
    """Everything one audit row says: question, answer as delivered, passages, rules, model and config."""
    with st.container(border=True):
        st.markdown(f"**Câu hỏi (đã che PII):** {row.get('question') or '—'}")
        st.markdown(f"**Câu trả lời đã gửi:** {row.get('answer') or '—'}")
        st.markdown(
            f"**Sự kiện:** {EVENTS.get(str(row.get('event', 'answer')), row.get('event'))} · **Mô hình:** "
            f"{row.get('backend')}:{row.get('model')} · **Mã băm cấu hình:** `{str(row.get('config_hash', ''))[:16]}`"
        )
        rules = row.get("guardrails") or []
        if rules:
            st.markdown("**Quy tắc đã kích hoạt:**")
            st.dataframe(
                [{"Quy tắc": g.get("rule"), "Hành động": g.get("action"), "Thông điệp": g.get("message")} for g in rules],
                hide_index=True, width="stretch",
            )  # fmt: skip
        passages = row.get("retrieved") or []
        if passages:
            st.markdown("**Đoạn tài liệu đã dùng:**")
            st.dataframe(
                [{"Tài liệu": p.get("doc_id"), "Đoạn": p.get("chunk_id"), "Điểm": p.get("score")} for p in passages],
                hide_index=True, width="stretch",
            )  # fmt: skip


INCIDENT_KINDS = KIND_LABELS


def trial_tab(ctx: Context) -> None:
    """The trial's state and its stop button (Art. 21), and the incident review queue (Art. 12)."""
    st.subheader("Thử nghiệm có kiểm soát")
    try:
        trial = ctx.client.trial(ctx.sandbox)
    except AulacError as exc:
        st.error(f"Không đọc được trạng thái thử nghiệm: {exc}")
        return
    c1, c2, c3 = st.columns(3)
    c1.metric("Trạng thái", STATE_LABELS.get(trial["state"], trial["state"]))
    c2.metric("Mức rủi ro", trial.get("risk_level") or "—")
    c3.metric("Người tham gia tối đa", trial.get("participants_max") or "—")
    (st.success if trial.get("answering") else st.warning)(trial.get("message", ""))
    if trial.get("organization"):
        st.markdown(
            f"**Đơn vị:** {trial['organization']} · **Thời gian:** {trial.get('start')} → {trial.get('end')}  \n"
            f"**Mục đích:** {trial.get('purpose')}"
        )
    if trial["state"] in ("running", "approved"):
        with st.form("trial_suspend"):
            reason = st.text_input("Lý do tạm dừng (bắt buộc)", key="trial_reason")
            if st.form_submit_button("Tạm dừng thử nghiệm ngay", icon=":material/pause_circle:", type="primary"):
                _trial_change(ctx, "suspend", reason)
    elif trial["state"] == "suspended" and st.button("Cho phép chạy lại", icon=":material/play_circle:", key="trial_resume"):
        _trial_change(ctx, "resume", "")
    if trial.get("history"):
        st.caption("Lịch sử thay đổi trạng thái")
        st.dataframe(
            [{"Thời gian": h["time"], "Trạng thái": STATE_LABELS.get(h["state"], h["state"]), "Người thực hiện": h["by"],
              "Lý do": h["reason"]} for h in trial["history"]],
            hide_index=True, width="stretch",
        )  # fmt: skip
    _trial_reports(ctx)

    st.subheader("Sự cố cần xem xét")
    status = st.segmented_control(
        "Trạng thái sự cố", ["open", "acknowledged", "resolved", "all"], default="open",
        format_func=lambda s: STATUS_LABELS.get(s, "tất cả"), key="incident_status",
    )  # fmt: skip
    try:
        found = ctx.client.incidents(ctx.sandbox, status or "open", ctx.access)
    except AulacError as exc:
        st.error(f"Không đọc được sổ sự cố: {exc}")
        return
    if not found:
        st.caption("Không có sự cố nào ở trạng thái này.")
        return
    st.dataframe(
        [{"Mã": i["id"], "Thời gian (UTC)": i["time"][:19].replace("T", " "), "Loại": INCIDENT_KINDS.get(i["kind"], i["kind"]),
          "Mức độ": i["severity"], "Trạng thái": STATUS_LABELS.get(i["status"], i["status"]),
          "Hạn xử lý": i["deadline"][:16].replace("T", " "), "Dòng nhật ký": i["audit_ref"], "Tóm tắt (đã che PII)": i["summary"]}
         for i in found],
        hide_index=True, width="stretch",
    )  # fmt: skip
    chosen = st.selectbox("Xem và xử lý sự cố", [i["id"] for i in found], format_func=lambda n: f"#{n}", key="incident_pick")
    incident = next(i for i in found if i["id"] == chosen)
    if incident.get("notes"):
        st.text(incident["notes"])
    note = st.text_input("Ghi chú", key="incident_note")
    b1, b2 = st.columns(2)
    for column, new_status, label in ((b1, "acknowledged", "Tiếp nhận"), (b2, "resolved", "Đánh dấu đã xử lý")):
        if column.button(label, key=f"incident_{new_status}", disabled=incident["status"] == new_status):
            try:
                ctx.client.update_incident(ctx.sandbox, chosen, new_status, note, ctx.access)
            except AulacError as exc:
                st.error(f"Không cập nhật được sự cố: {exc}")
                return
            st.rerun()


REPORT_KINDS = {"periodic": "Định kỳ", "final": "Cuối kỳ"}


def _report_label(name: str) -> str:
    """``periodic-2026-11-28_2026-12-04-20261204T104000Z.pdf`` → ``Định kỳ 28/11/2026 → 04/12/2026 · PDF · lập …``."""
    try:
        kind, rest = name.split("-", 1)
        span, stamp = rest.rsplit("-", 1)
        first, last = (date.fromisoformat(d) for d in span.split("_"))
        made = datetime.strptime(stamp.split(".")[0], "%Y%m%dT%H%M%SZ")
    except ValueError:
        return name
    fmt = name.rsplit(".", 1)[-1].upper()
    return f"{REPORT_KINDS.get(kind, kind)} {first:%d/%m/%Y} → {last:%d/%m/%Y} · {fmt} · lập {made:%d/%m/%Y %H:%M} UTC"


def _trial_reports(ctx: Context) -> None:
    """Periodic and final reports for the regulator: make one, list them, download."""
    st.subheader("Báo cáo định kỳ và cuối kỳ")
    st.caption("Báo cáo tiếng Việt (HTML và PDF) gửi cơ quan quản lý: kế hoạch, diễn biến, sử dụng, sự cố, phản hồi, "
               "đánh giá so với tiêu chí kết thúc, phiên bản chính sách, quyết định; mỗi mục viện dẫn điều luật tương ứng "
               "của Luật Trí tuệ nhân tạo. Dòng lệnh: `aulac trial report SANDBOX --period periodic|final`.")  # fmt: skip
    with st.form("trial_report"):
        c1, c2, c3 = st.columns(3)
        period = c1.radio("Loại báo cáo", list(REPORT_KINDS), format_func=lambda k: REPORT_KINDS[k], key="report_period")
        since = c2.date_input("Từ ngày (để trống: theo kế hoạch)", value=None, key="report_since", format="DD/MM/YYYY")
        until = c3.date_input("Đến ngày (để trống: hôm nay)", value=None, key="report_until", format="DD/MM/YYYY")
        if st.form_submit_button("Lập báo cáo", icon=":material/description:"):
            try:
                made = ctx.client.make_trial_report(ctx.sandbox, period or "periodic", since, until, ctx.access)  # type: ignore[arg-type]
            except AulacError as exc:
                st.error(f"Không lập được báo cáo: {exc}")
            else:
                st.success("Đã lập báo cáo: " + "; ".join(_report_label(n) for n in made), icon=":material/task:")
    try:
        names = ctx.client.trial_reports(ctx.sandbox, ctx.access)
    except UnsupportedByApi as exc:
        _missing("danh sách báo cáo thử nghiệm qua API", exc)
        return
    except AulacError as exc:
        st.error(f"Không đọc được danh sách báo cáo: {exc}")
        return
    if not names:
        st.caption("Chưa có báo cáo thử nghiệm nào.")
        return
    chosen = st.selectbox("Báo cáo đã lập", names, format_func=_report_label, key="report_pick")
    try:
        data = ctx.client.trial_report_file(ctx.sandbox, chosen, ctx.access)
    except AulacError as exc:
        st.error(f"Không đọc được báo cáo: {exc}")
        return
    pdf = chosen.endswith(".pdf")
    st.download_button("Tải báo cáo " + ("PDF" if pdf else "HTML"), data, file_name=f"{ctx.sandbox}-{chosen}",
                       mime="application/pdf" if pdf else "text/html", key="report_download",
                       icon=":material/download:")  # fmt: skip


def supervision_tab(ctx: Context) -> None:
    """Live supervision: per day, questions, refusals, escalations, errors and latency; incidents."""
    import pandas as pd

    st.subheader("Giám sát theo ngày")
    try:
        rows = ctx.client.audit_rows(ctx.sandbox, ctx.access, limit=10000)
        incidents = ctx.client.incidents(ctx.sandbox, "all", ctx.access)
    except AulacError as exc:
        st.error(f"Không đọc được số liệu giám sát: {exc}")
        return
    requests = [r for r in rows if r.get("event", "answer") in ("answer", "aborted", "error")]
    if not requests:
        _missing(f"câu hỏi nào trong nhật ký của sandbox {ctx.sandbox}")
    else:
        frame = pd.DataFrame(
            {
                "Ngày": [str(r.get("ts", ""))[:10] for r in requests],
                "Câu hỏi": 1,
                "Bị từ chối": [int(bool(r.get("refused"))) for r in requests],
                "Chuyển khẩn cấp": [int("escalate" in _actions(r)) for r in requests],
                "Lỗi / bị ngắt": [int(r.get("event") in ("error", "aborted")) for r in requests],
                "Độ trễ (ms)": [float(r.get("latency_ms") or 0) for r in requests],
            }
        )
        daily = frame.groupby("Ngày").sum(numeric_only=True).drop(columns=["Độ trễ (ms)"])
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("Câu hỏi", int(daily["Câu hỏi"].sum()))
        c2.metric("Bị từ chối", int(daily["Bị từ chối"].sum()))
        c3.metric("Chuyển khẩn cấp", int(daily["Chuyển khẩn cấp"].sum()))
        c4.metric("Lỗi / bị ngắt", int(daily["Lỗi / bị ngắt"].sum()))
        st.bar_chart(daily, stack=False, y_label="số lượt", x_label="ngày", height=280)
        latency = frame.groupby("Ngày")["Độ trễ (ms)"].quantile(0.95).rename("Độ trễ p95 (ms)")
        st.line_chart(latency, y_label="ms", x_label="ngày", height=220)
        rules: dict[str, int] = {}
        for r in requests:
            for g in r.get("guardrails") or []:
                if g.get("action") in ("block", "escalate"):
                    rules[str(g.get("rule"))] = rules.get(str(g.get("rule")), 0) + 1
        if rules:
            st.caption("Quy tắc chặn hoặc chuyển khẩn cấp, theo số lượt")
            st.bar_chart(pd.Series(rules, name="lượt"), y_label="lượt", x_label="quy tắc", height=220)
    st.subheader("Sự cố theo mức độ và trạng thái")
    if not incidents:
        st.caption("Chưa có sự cố nào.")
        return
    table = pd.crosstab(
        pd.Series([i["severity"] for i in incidents], name="Mức độ"),
        pd.Series([STATUS_LABELS.get(i["status"], i["status"]) for i in incidents], name="Trạng thái"),
    )
    st.bar_chart(table, y_label="sự cố", x_label="mức độ", height=220)
    _feedback(ctx)


def _feedback(ctx: Context) -> None:
    """What people said about the answers: each 👍/👎 with its comment, question and answer (PII masked)."""
    st.subheader("Phản hồi của người dùng")
    try:
        entries = ctx.client.feedback_entries(ctx.sandbox, ctx.access)
    except AulacError as exc:
        st.error(f"Không đọc được phản hồi: {exc}")
        return
    if not entries:
        st.caption("Chưa có phản hồi nào.")
        return
    down = sum(1 for e in entries if e["rating"] == "down")
    st.caption(f"{len(entries)} phản hồi gần nhất: {len(entries) - down} 👍, {down} 👎.")
    st.dataframe(
        [
            {
                "Thời gian (UTC)": datetime.fromtimestamp(float(e["time"]), tz=timezone.utc).strftime("%Y-%m-%d %H:%M"),
                "Đánh giá": "👍" if e["rating"] == "up" else "👎",
                "Góp ý": e.get("comment") or "",
                "Câu hỏi (đã che PII)": e.get("question", ""),
                "Câu trả lời": e.get("answer", ""),
            }
            for e in entries
        ],
        hide_index=True,
        width="stretch",
    )


def _trial_change(ctx: Context, action: str, reason: str) -> None:
    try:
        ctx.client.change_trial(ctx.sandbox, action, reason, ctx.access)
    except AulacError as exc:
        st.error(f"Không thay đổi được trạng thái: {exc}")
        return
    st.rerun()


def settings_tab(ctx: Context) -> None:
    st.subheader("Chính sách, lời nhắc hệ thống và ngưỡng (chỉ đọc)")
    try:
        settings = ctx.client.sandbox_settings(ctx.sandbox, ctx.access)
    except UnsupportedByApi as exc:
        _missing("cấu hình sandbox qua API", exc)
        return
    except AulacError as exc:
        st.error(f"Không đọc được cấu hình: {exc}")
        return
    c1, c2, c3 = st.columns(3)
    c1.metric("Lĩnh vực", settings["domain"])
    c2.metric("Sinh câu trả lời", f"{settings['generation']['backend']}")
    c3.metric("Mô hình nhúng", settings["embedder"])
    st.markdown(f"**Mô tả:** {settings['description']}")
    st.markdown("**Ngưỡng đánh giá**")
    if settings["thresholds"]:
        st.dataframe(
            [
                {
                    "Chỉ số": t["name"],
                    "Mô tả": t["label"],
                    "Ngưỡng": t["threshold"],
                    "Nguồn": "sandbox.yaml" if t["from_config"] else "mặc định",
                }
                for t in settings["thresholds"]
            ],
            hide_index=True,
            width="stretch",
        )
    else:
        _missing("ngưỡng đánh giá trong sandbox.yaml (evaluation.thresholds)")
    with st.expander(f"Chính sách guardrail — {settings['policy_file']}", expanded=True):
        if settings["policy"]:
            st.code(settings["policy"], language="yaml")
        else:
            _missing("tệp chính sách guardrail")
    with st.expander(f"Lời nhắc hệ thống — {settings['prompt_file']}"):
        if settings["prompt"]:
            st.code(settings["prompt"], language="markdown")
        else:
            _missing("lời nhắc hệ thống riêng (dùng lời nhắc mặc định)")
    with st.expander("sandbox.yaml"):
        st.code(settings["sandbox_yaml"] or "", language="yaml")
    _policy_history(ctx)


def _policy_history(ctx: Context) -> None:
    st.markdown("**Lịch sử phiên bản** (chính sách, lời nhắc hệ thống, sandbox.yaml, kế hoạch thử nghiệm; mới nhất trước)")
    try:
        versions = ctx.client.policy_history(ctx.sandbox, ctx.access)
    except UnsupportedByApi as exc:
        _missing("lịch sử phiên bản qua API", exc)
        return
    except AulacError as exc:
        st.error(f"Không đọc được lịch sử phiên bản: {exc}")
        return
    st.dataframe(
        [{"Thời gian (UTC)": v["time"][:19].replace("T", " "), "Tệp": v["file"],
          "Nội dung": VERSION_KINDS.get(v["kind"], v["kind"]), "sha256": (v["sha256"] or "không có tệp")[:16],
          "Ghi nhận bởi": v["by"], "Thay đổi": v["summary"],
          "Dòng nhật ký": f"seq {v['audit_seq']}" if v["audit_seq"] else "—"} for v in reversed(versions)],
        hide_index=True, width="stretch",
    )  # fmt: skip


if require(ctx, ("audit",), "Bảng điều khiển giám sát"):
    tabs = st.tabs(
        [
            ":material/bar_chart: Đánh giá",
            ":material/shield: Red-team",
            ":material/receipt_long: Nhật ký kiểm toán",
            ":material/policy: Chính sách & cấu hình",
            ":material/gavel: Thử nghiệm & sự cố",
            ":material/monitoring: Giám sát",
        ]
    )
    with tabs[0]:
        evaluation_tab(ctx)
    with tabs[1]:
        redteam_tab(ctx)
    with tabs[2]:
        audit_tab(ctx)
    with tabs[3]:
        settings_tab(ctx)
    with tabs[4]:
        trial_tab(ctx)
    with tabs[5]:
        supervision_tab(ctx)
