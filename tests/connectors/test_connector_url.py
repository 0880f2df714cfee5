"""URLs fetched from a real HTTP server on 127.0.0.1 (allowed explicitly: loopback is refused by default)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import httpx

from aulac_rag.connectors import UrlConnector
from aulac_rag.documents import Document, SourceError

HTML = "<html><head><title>Trang tin</title></head><body><nav>Menu</nav><p>Xin chào Việt Nam.</p><p>Đoạn hai.</p></body></html>"


def fetch(url: str, **options: object) -> Document | SourceError:
    options.setdefault("allow_hosts", ("127.0.0.1",))
    items = list(UrlConnector(**options).run(url))  # type: ignore[arg-type]
    assert len(items) == 1
    return items[0]


def test_html_page(http_server: Any) -> None:
    http_server.serve("/tin.html", HTML.encode(), headers={"Content-Type": "text/html; charset=utf-8"})
    url = http_server.url("/tin.html")
    document = fetch(url)
    assert isinstance(document, Document)
    assert document.doc_id == url and document.source == url
    assert document.title == "Trang tin"
    assert document.text == "Xin chào Việt Nam.\n\nĐoạn hai."
    assert document.metadata == {"content_type": "text/html"}


def test_plain_text_with_declared_charset(http_server: Any) -> None:
    text = "Vi\u00ea\u0323t Nam"
    http_server.serve("/a", text.encode("cp1258"), headers={"Content-Type": "text/plain; charset=windows-1258"})
    document = fetch(http_server.url("/a"))
    assert isinstance(document, Document) and document.text == text and document.title == text  # a short first line is the title


def test_pdf_by_content_type_after_redirect(http_server: Any, make_pdf: Callable[..., bytes]) -> None:
    http_server.serve("/old", status=302, headers={"Location": "/files/report"})
    http_server.serve("/files/report", make_pdf(["Quarterly results"]), headers={"Content-Type": "application/pdf"})
    url = http_server.url("/old")
    document = fetch(url)
    assert isinstance(document, Document)
    assert document.doc_id == url
    assert document.text == "Quarterly results"
    assert document.metadata["final_url"] == http_server.url("/files/report")


def test_generic_content_type_uses_the_extension(http_server: Any, make_pdf: Callable[..., bytes]) -> None:
    http_server.serve(
        "/x/doc.pdf", make_pdf(["From octet stream"]), headers={"Content-Type": "application/octet-stream"}
    )
    document = fetch(http_server.url("/x/doc.pdf"))
    assert isinstance(document, Document) and document.text == "From octet stream"


def test_404(http_server: Any) -> None:
    url = http_server.url("/missing")
    error = fetch(url)
    assert isinstance(error, SourceError)
    assert error.source == url
    assert error.error.startswith("HTTP 404 Not Found from") and "check the address" in error.error


def test_unsupported_content_type(http_server: Any) -> None:
    http_server.serve("/img", b"\x89PNG", headers={"Content-Type": "image/png"})
    error = fetch(http_server.url("/img"))
    assert isinstance(error, SourceError) and "unsupported content type image/png" in error.error


def test_download_over_the_limit(http_server: Any) -> None:
    http_server.serve("/big", b"a" * 5000, headers={"Content-Type": "text/plain"})
    error = fetch(http_server.url("/big"), max_file_bytes=1024)
    assert isinstance(error, SourceError)
    assert "over the 1.0 KB limit" in error.error and "max_file_mb" in error.error


def test_timeout(http_server: Any) -> None:
    http_server.serve("/slow", b"late", headers={"Content-Type": "text/plain"}, delay_s=1.0)
    error = fetch(http_server.url("/slow"), timeout_s=0.2)
    assert isinstance(error, SourceError) and error.error.startswith("timed out after 0.2 s")


def test_connection_refused() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago, nothing listens on it
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    error = fetch(f"http://127.0.0.1:{port}/")
    assert isinstance(error, SourceError) and error.error.startswith(f"cannot connect to 127.0.0.1:{port}")


def test_mock_transport_seam() -> None:
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, text="# Tiêu đề\nthân bài", headers={"Content-Type": "text/markdown"})
    )
    document = fetch("https://example.vn/a.md", transport=transport, resolve=lambda host: ["93.184.215.14"])
    assert isinstance(document, Document) and document.title == "Tiêu đề"


def test_accepts_http_urls_only() -> None:
    connector = UrlConnector()
    assert connector.accepts("https://a.vn") and connector.accepts("HTTP://a.vn")
    assert not connector.accepts("ftp://a.vn") and not connector.accepts("docs/a.txt")


def test_a_sandbox_allows_its_intranet_hosts_in_sandbox_yaml(http_server: Any, tmp_path: Any) -> None:
    from aulac_rag.sandbox import Sandbox
    from tests.helpers import make_user_sandbox

    url = http_server.serve("/quy-che.txt", "Quy chế nội bộ về giờ làm việc.".encode(),
                            headers={"Content-Type": "text/plain; charset=utf-8"})  # fmt: skip
    make_user_sandbox(tmp_path, "closed")
    make_user_sandbox(tmp_path, "intranet", url_allow_hosts=["127.0.0.1"])
    for name, documents in (("closed", 0), ("intranet", 1)):
        box = Sandbox(name, tmp_path)
        try:
            summary = box.ingest([url])
        finally:
            box.close()
        assert summary.documents == documents, summary.errors
        if not documents:
            assert "public addresses" in summary.errors[0].error
