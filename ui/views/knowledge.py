"""Knowledge base: upload documents into the sandbox (admin), list them with chunk counts, delete one."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import streamlit as st

from aulac_rag.errors import AulacError
from aulac_rag.ui.client import UnsupportedByApi
from aulac_rag.ui.common import Context, context, require, sandbox_label

FILE_TYPES = ["pdf", "docx", "txt", "md"]
#: the readers' errors (in English, for the CLI's logs) as the page says them
ERRORS_VI = (
    ("empty file", "tệp rỗng, không có văn bản để lập chỉ mục"),
    ("encrypted PDF", "PDF có mật khẩu; hãy gỡ mật khẩu rồi tải lên lại"),
    ("unsupported file type", "loại tệp không được hỗ trợ (chỉ nhận PDF, DOCX, TXT, MD)"),
    ("file too large", "tệp quá lớn"),
)


def error_vi(detail: str) -> str:
    """A reader's error in Vietnamese; an unknown one keeps its technical detail after a Vietnamese lead."""
    for english, vietnamese in ERRORS_VI:
        if english.lower() in detail.lower():
            return vietnamese
    return f"tệp hỏng hoặc không đọc được (chi tiết kỹ thuật: {detail})"


def uploader_css(limit_mb: float) -> str:
    """Streamlit's uploader speaks English ("Drag and drop", "per file", "Browse files"): say it in Vietnamese."""
    limit = f"{limit_mb:g} MB"
    return f"""<style>
[data-testid="stFileUploaderDropzoneInstructions"] span {{ display: none; }}
[data-testid="stFileUploaderDropzoneInstructions"] > div::after {{
  content: "Kéo thả tệp vào đây · tối đa {limit} mỗi tệp · PDF, DOCX, TXT, MD"; font-size: 0.875rem; }}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {{ display: none; }}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]::after {{ content: "Chọn tệp"; }}
</style>"""


ctx = context()
st.title(":material/library_books: Kho tài liệu")
st.caption(
    f"Tài liệu của lĩnh vực **{sandbox_label(ctx.sandbox, ctx.sandbox_info.get('domain'))}**: tải lên, xem số đoạn đã lập chỉ mục, xoá."
)


def _flash() -> None:
    for kind, text in st.session_state.pop("kb_flash", []):
        getattr(st, kind)(text)


def _delete(ctx: Context, doc_id: str) -> None:
    try:
        removed = ctx.client.delete_document(ctx.sandbox, doc_id, ctx.access)
    except AulacError as exc:
        st.session_state["kb_flash"] = [("error", f"Không xoá được {doc_id}: {exc}")]
        return
    message = ("success", f"Đã xoá tài liệu **{doc_id}**.") if removed else ("warning", f"Không còn tài liệu {doc_id}.")
    st.session_state["kb_flash"] = [message]


def _upload(ctx: Context, files: list) -> None:
    """Ingest each file on its own, so that one failing file shows its error and the others go on."""
    bar = st.progress(0.0, text="Đang chuẩn bị…")
    results = []
    with tempfile.TemporaryDirectory(prefix="aulac-ui-") as tmp:
        for i, upload in enumerate(files):
            name = Path(upload.name).name or f"tai-lieu-{i + 1}"
            bar.progress(i / len(files), text=f"Đang nạp {name} ({i + 1}/{len(files)})…")
            folder = Path(tmp) / str(i)
            folder.mkdir()
            path = folder / name
            path.write_bytes(upload.getvalue())
            try:
                summary = ctx.client.ingest_file(ctx.sandbox, path, ctx.access)
            except AulacError as exc:
                results.append(("error", f"**{name}**: không nạp được — {error_vi(str(exc))}"))
                continue
            if summary.errors:
                detail = "; ".join(error_vi(e.error) for e in summary.errors)
                results.append(("error", f"**{name}**: không nạp được — {detail}"))
            elif summary.skipped and not summary.documents:
                results.append(("info", f"**{name}**: không thay đổi (đã có trong kho)."))
            else:
                results.append(("success", f"**{name}**: {summary.chunks} đoạn đã được lập chỉ mục."))
            for finding in summary.flagged:
                results.append(
                    (
                        "warning",
                        f"**{name}**: tài liệu chứa câu lệnh nhắm vào trợ lý ({finding.rule}): “{finding.excerpt}”",
                    )
                )
    bar.progress(1.0, text=f"Xong: {len(files)} tệp.")
    st.session_state["kb_flash"] = results
    st.session_state["kb_uploads"] = st.session_state.get("kb_uploads", 0) + 1  # a fresh, empty uploader


if require(ctx, ("audit", "ingest"), "Kho tài liệu"):
    _flash()
    can_ingest = ctx.can("ingest")

    st.subheader("Tải tài liệu lên")
    if not can_ingest:
        st.info("Chỉ khóa **quản trị (admin)** mới được tải lên hoặc xoá tài liệu.", icon=":material/lock:")
    else:
        try:
            limit_mb = float(ctx.client.sandbox_settings(ctx.sandbox, ctx.access).get("max_file_mb") or 50)
        except AulacError:
            limit_mb = 50.0
        st.html(uploader_css(limit_mb))
        files = st.file_uploader(
            f"Chọn tệp PDF, DOCX, TXT hoặc MD (tối đa {limit_mb:g} MB mỗi tệp)",
            type=FILE_TYPES,
            accept_multiple_files=True,
            key=f"kb_files_{st.session_state.get('kb_uploads', 0)}",
            max_upload_size=max(1, int(limit_mb)),
        )
        if st.button("Nạp vào kho", type="primary", icon=":material/upload:", disabled=not files, key="kb_ingest"):
            _upload(ctx, files)
            st.rerun()  # the sidebar's counts and the list below are drawn again with the new documents

    st.subheader("Tài liệu trong kho")
    documents: list[dict[str, Any]] | None
    try:
        documents = ctx.client.documents(ctx.sandbox, ctx.access)
    except UnsupportedByApi as exc:
        st.info(f"Chưa có: {exc}.", icon=":material/construction:")
        documents = None
    except AulacError as exc:
        st.error(f"Không đọc được danh sách tài liệu: {exc}")
        documents = None
    if documents is not None:
        if not documents:
            st.info(
                "Kho chưa có tài liệu nào. Hãy tải tài liệu lên ở trên.",
                icon=":material/inbox:",
            )
        else:
            total = sum(d["chunks"] for d in documents)
            c1, c2 = st.columns(2)
            c1.metric("Tài liệu", len(documents))
            c2.metric("Đoạn (chunk)", total)
            st.dataframe(
                [
                    {
                        "Mã tài liệu": d["doc_id"],
                        "Tiêu đề": d["title"],
                        "Số đoạn": d["chunks"],
                        "Cảnh báo": ", ".join(d.get("flags") or []) or "—",
                        "Cập nhật": datetime.fromtimestamp(d["updated_at"]).strftime("%Y-%m-%d %H:%M"),
                    }
                    for d in documents
                ],
                hide_index=True,
                width="stretch",
            )
            if can_ingest:
                with st.form("kb_delete"):
                    doc_id = st.selectbox("Xoá tài liệu", [d["doc_id"] for d in documents], key="kb_delete_id")
                    confirm = st.checkbox("Tôi xác nhận xoá tài liệu này và mọi đoạn của nó", key="kb_delete_ok")
                    if st.form_submit_button("Xoá", icon=":material/delete:"):
                        if confirm:
                            _delete(ctx, doc_id)
                            st.rerun()
                        else:
                            st.warning("Hãy đánh dấu ô xác nhận trước khi xoá.")
