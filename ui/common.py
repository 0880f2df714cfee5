"""What every page shares: the client, the sidebar (sandbox and API key) and access checks."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import streamlit as st

from aulac_rag.errors import AulacError
from aulac_rag.keys import ApiKey
from aulac_rag.ui.client import API_AUDIT_ROLE, AulacClient, client_from_env

ROLE_LABELS = {
    "admin": "quản trị (admin)",
    "regulator": "cơ quan quản lý (regulator)",
    "user": "người dùng (user)",
    API_AUDIT_ROLE: "cơ quan quản lý hoặc quản trị",
}
DEFAULT_SANDBOX = "healthcare"
#: the bundled domains' names as people read them (a sandbox of another domain shows its own name)
DOMAIN_LABELS = {"healthcare": "Y tế", "finance": "Tài chính", "education": "Giáo dục", "general": "Chung"}


def sandbox_label(name: str, domain: str | None = None) -> str:
    """``Y tế`` for the bundled healthcare sandbox, ``Y tế · phong-kham`` for a user's one of that domain."""
    label = DOMAIN_LABELS.get(domain or name)
    if label is None:
        return name
    return label if name in DOMAIN_LABELS else f"{label} · {name}"


@dataclass(frozen=True)
class Context:
    """The client, the chosen sandbox and the caller's key (None: no or invalid key)."""

    client: AulacClient
    sandbox: str
    sandbox_info: dict[str, Any]
    access: ApiKey | None
    key_error: str | None = None

    def can(self, action: str) -> bool:
        return self.access is not None and self.access.can(action, self.sandbox)


#: Streamlit's own run indicator says "Running… Stop" in English; the pages show their own Vietnamese spinners
HIDE_RUN_INDICATOR = "<style>[data-testid='stStatusWidget'] { visibility: hidden; }</style>"


@st.cache_resource(show_spinner=False)
def _client(api_url: str, home: str) -> AulacClient:
    return client_from_env()


def get_client() -> AulacClient:
    """One client per process and setting (AULAC_API_URL, AULAC_HOME), shared by all sessions."""
    return _client(os.environ.get("AULAC_API_URL", ""), os.environ.get("AULAC_HOME", ""))


def sidebar() -> Context:
    """Draw the sidebar (sandbox, API key, connection) and remember the context for the page."""
    client = get_client()
    st.html(HIDE_RUN_INDICATOR)
    with st.sidebar:
        st.markdown("### :material/spa: Âu Lạc RAG")
        key_text = st.text_input(
            "Khóa API (không bắt buộc)",
            type="password",
            key="api_key",
            help="Khóa do quản trị viên cấp. Trang Kho tài liệu và Bảng điều khiển cần khóa của cơ quan quản lý "
            "hoặc quản trị viên.",
        )
        st.caption("Khóa chỉ được giữ trong phiên này: sau khi tải lại trang, hãy nhập lại.")
        access, key_error = None, None
        if key_text:
            try:
                access = client.access(key_text)
            except AulacError as exc:
                key_error = f"Không kiểm tra được khóa: {exc}"
            if access is None and key_error is None:
                key_error = "Khóa API không hợp lệ hoặc đã bị thu hồi."
        try:
            boxes = client.sandboxes(access)
        except AulacError as exc:
            st.error(f"Không đọc được danh sách lĩnh vực: {exc}")
            boxes = []
        names = [b["name"] for b in boxes] or [DEFAULT_SANDBOX]
        wanted = os.environ.get("AULAC_SANDBOX") or DEFAULT_SANDBOX
        if st.session_state.get("sandbox") not in names:
            st.session_state["sandbox"] = wanted if wanted in names else names[0]
        domains = {b["name"]: b.get("domain") for b in boxes}
        sandbox = st.selectbox(
            "Lĩnh vực / Bộ tài liệu",
            names,
            key="sandbox",
            format_func=lambda n: sandbox_label(n, domains.get(n)),
            help="Mỗi lĩnh vực có bộ tài liệu, quy tắc an toàn và nhật ký riêng.",
        )
        info = next((b for b in boxes if b["name"] == sandbox), {"name": sandbox})
        if info.get("description"):
            st.caption(info["description"])
        if info.get("documents") is not None:
            st.caption(f":material/description: {info.get('documents', 0)} tài liệu · {info.get('chunks', 0)} đoạn")
        if access is not None:
            scope = "mọi lĩnh vực" if access.sandbox == "*" else f"lĩnh vực {sandbox_label(access.sandbox)}"
            st.success(f"Vai trò: {ROLE_LABELS.get(access.role, access.role)} · {scope}", icon=":material/key:")
        elif key_error:
            st.error(key_error, icon=":material/error:")

        if access is not None and access.role == "admin":  # the server's folder or URL: for its administrators only
            where = "thư viện cục bộ" if client.kind == "local" else "máy chủ API"
            st.caption(f"Kết nối: {where} — `{client.where}`")
    context = Context(client, sandbox, info, access, key_error)
    st.session_state["_ui_context"] = context
    return context


def context() -> Context:
    """The context the sidebar drew for this run."""
    found = st.session_state.get("_ui_context")
    return found if isinstance(found, Context) else sidebar()


def require(ctx: Context, actions: tuple[str, ...], what: str) -> bool:
    """Show why the page is closed unless the key allows one of ``actions``; True when it does."""
    if any(ctx.can(a) for a in actions):
        return True
    if ctx.access is None:
        st.warning(
            f"{what} cần khóa API có vai trò **cơ quan quản lý (regulator)** hoặc **quản trị (admin)**. "
            "Nhập khóa do quản trị viên hệ thống cấp ở thanh bên trái.",
        )
    else:
        st.error(
            f"Khóa hiện tại ({ROLE_LABELS.get(ctx.access.role, ctx.access.role)}, lĩnh vực "
            f"{sandbox_label(ctx.access.sandbox) if ctx.access.sandbox != '*' else 'mọi lĩnh vực'}) "
            f"không được phép truy cập {what.lower()} của lĩnh vực **{sandbox_label(ctx.sandbox)}**."
        )
    return False
