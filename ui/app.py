"""aulac-rag's web app: chat, knowledge base and regulator console (Streamlit, in Vietnamese).

    aulac app                          # on AULAC_HOME (default ~/.aulac); installed with the [ui] extra
    AULAC_API_URL=http://127.0.0.1:8000 aulac app   # through the API server
    streamlit run ui/app.py            # the same from a checkout

AULAC_SANDBOX picks the sandbox shown first (default: healthcare). The app is the package
``aulac_rag.ui`` (this folder, installed under that name), so it runs the same from a checkout
and from a wheel.
"""

from __future__ import annotations

import streamlit as st

from aulac_rag.ui.common import sidebar

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
