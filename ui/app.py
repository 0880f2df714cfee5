"""aulac-rag's web app: chat, knowledge base and regulator console (Streamlit, in Vietnamese).

    streamlit run ui/app.py            # on AULAC_HOME (default ~/.aulac)
    AULAC_API_URL=http://127.0.0.1:8000 streamlit run ui/app.py   # through the API server

AULAC_SANDBOX picks the sandbox shown first (default: healthcare).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run ui/app.py` puts only ui/ on the path
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from ui.common import sidebar  # noqa: E402

st.set_page_config(page_title="Âu Lạc RAG", page_icon=":material/spa:", layout="wide")

PAGES = [
    st.Page("views/chat.py", title="Hỏi đáp", icon=":material/chat:", url_path="hoi-dap", default=True),
    st.Page("views/knowledge.py", title="Kho tài liệu", icon=":material/library_books:", url_path="kho-tai-lieu"),
    st.Page(
        "views/console.py", title="Bảng điều khiển giám sát", icon=":material/account_balance:", url_path="giam-sat"
    ),
]

page = st.navigation(PAGES)
sidebar()
page.run()
