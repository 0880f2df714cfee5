"""What every page shares: the client, the sidebar (sandbox and API key) and access checks."""

from __future__ import annotations

import os
import secrets
import threading
import time
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


#: Streamlit's own run indicator ("Running… Stop") and its ⋮ menu ("Rerun", "Settings", "Print") are in
#: English and meant for developers; the pages show their own Vietnamese spinners
PAGE_STYLE = (
    "<style>[data-testid='stStatusWidget'] { visibility: hidden; } "
    "[data-testid='stMainMenu'] { display: none; }</style>"
)
#: a click on a citation marker ``[n]`` (a link to ``#nguon_…``) opens that document's entry and scrolls to it
PAGE_SCRIPT = """<script>
if (!window.__aulacSources) {
  window.__aulacSources = true;
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[href^='#nguon_']");
    if (!link) return;
    const box = document.querySelector(".st-key-" + CSS.escape(link.getAttribute("href").slice(1)));
    if (!box) return;
    event.preventDefault();
    const details = box.querySelector("details");
    if (details && !details.open) details.querySelector("summary").click();
    box.scrollIntoView({behavior: "smooth", block: "center"});
  }, true);
}
</script>"""
#: the browser keeps only an opaque token in a session cookie (gone when the browser closes); the key itself
#: stays in this process's memory, so a reload keeps the key and the browser never stores it
KEY_COOKIE = "aulac_key_session"
INVALID_KEY = "Khóa API không hợp lệ hoặc đã bị thu hồi."
KEY_SESSION_IDLE_S = 8 * 3600


class KeySessions:
    """Tokens handed to browsers for the API key they typed, forgotten after ``idle_s`` without use."""

    def __init__(self, idle_s: float = KEY_SESSION_IDLE_S) -> None:
        self._idle_s = idle_s
        self._lock = threading.Lock()
        self._keys: dict[str, tuple[str, float]] = {}

    def remember(self, key_text: str) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._expire()
            self._keys[token] = (key_text, time.monotonic())
        return token

    def recall(self, token: str | None) -> str | None:
        if not token:
            return None
        with self._lock:
            self._expire()
            found = self._keys.get(token)
            if found is None:
                return None
            self._keys[token] = (found[0], time.monotonic())
            return found[0]

    def forget(self, token: str | None) -> None:
        with self._lock:
            self._keys.pop(token or "", None)

    def _expire(self) -> None:
        now = time.monotonic()
        for token in [t for t, (_, used) in self._keys.items() if now - used > self._idle_s]:
            del self._keys[token]


@st.cache_resource(show_spinner=False)
def key_sessions() -> KeySessions:
    """One token table per app process, shared by its browser sessions."""
    return KeySessions()


def _cookie_script(token: str | None) -> str:
    """Set (or, with no token, delete) the session cookie that holds the key's token."""
    value = f"{KEY_COOKIE}={token}; path=/; SameSite=Strict" if token else f"{KEY_COOKIE}=; path=/; Max-Age=0"
    return f'<script>document.cookie = "{value}" + (location.protocol === "https:" ? "; Secure" : "");</script>'


def _restore_key() -> None:
    """After a reload: the key this browser typed earlier in its session, back in the key box."""
    if "api_key" in st.session_state:
        return
    token = st.context.cookies.get(KEY_COOKIE)
    key_text = key_sessions().recall(token)
    if key_text:
        st.session_state["api_key"] = key_text
        st.session_state["_key_token"] = (token, key_text)


def _keep_key(key_text: str) -> None:
    """Remember a key that was accepted for this browser session (a new token when the key changed)."""
    held = st.session_state.get("_key_token")
    if held is not None and held[1] == key_text:
        return
    _drop_key()
    token = key_sessions().remember(key_text)
    st.session_state["_key_token"] = (token, key_text)
    st.html(_cookie_script(token), unsafe_allow_javascript=True)


def _drop_key() -> None:
    """Forget the remembered key (the box was emptied or the key was refused)."""
    held = st.session_state.pop("_key_token", None)
    if held is not None:
        key_sessions().forget(held[0])
        st.html(_cookie_script(None), unsafe_allow_javascript=True)


@st.cache_resource(show_spinner=False)
def _client(api_url: str, home: str) -> AulacClient:
    return client_from_env()


def get_client() -> AulacClient:
    """One client per process and setting (AULAC_API_URL, AULAC_HOME), shared by all sessions."""
    return _client(os.environ.get("AULAC_API_URL", ""), os.environ.get("AULAC_HOME", ""))


def sidebar() -> Context:
    """Draw the sidebar (sandbox, API key, connection) and remember the context for the page."""
    client = get_client()
    st.html(PAGE_STYLE)
    _restore_key()
    with st.sidebar:
        st.markdown("### :material/spa: Âu Lạc RAG")
        key_text = st.text_input(
            "Khóa API (không bắt buộc)",
            type="password",
            key="api_key",
            help="Khóa do quản trị viên cấp. Trang Kho tài liệu và Bảng điều khiển cần khóa của cơ quan quản lý "
            "hoặc quản trị viên.",
        )
        st.caption("Khóa được giữ cho đến khi bạn đóng trình duyệt hoặc xoá ô này.")
        access, key_error = None, None
        if key_text:
            try:
                access = client.access(key_text)
            except AulacError as exc:
                key_error = f"Không kiểm tra được khóa: {exc}"
            if access is None and key_error is None:
                key_error = INVALID_KEY
        if access is not None:
            _keep_key(key_text)
        elif not key_text or key_error == INVALID_KEY:  # not when the server could not be asked
            _drop_key()
        st.html(PAGE_SCRIPT, unsafe_allow_javascript=True)
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
