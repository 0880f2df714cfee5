"""The URL connector's guards: no internal addresses (each redirect hop too), bounded decoding."""

from __future__ import annotations

import gzip
import importlib.util
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator

import httpx
import pytest

from aulac_rag.connectors import UrlConnector
from aulac_rag.connectors.netguard import address_problem, decoded_chunks
from aulac_rag.documents import Document, SourceError
from aulac_rag.limits import SourceLimits

MiB = 1024 * 1024
PUBLIC = "93.184.215.14"
DNS = {"tin.vn": [PUBLIC], "intranet.vn": ["10.1.2.3"], "mixed.vn": [PUBLIC, "127.0.0.1"], "meta.vn": ["169.254.169.254"]}


def resolve(host: str) -> list[str]:
    if host not in DNS:
        raise OSError(f"unknown host {host}")
    return DNS[host]


def fetch(url: str, handler: Callable[[httpx.Request], httpx.Response], **options: object) -> Document | SourceError:
    connector = UrlConnector(transport=httpx.MockTransport(handler), resolve=resolve, **options)  # type: ignore[arg-type]
    items = list(connector.run(url))
    assert len(items) == 1
    return items[0]


class Streamed(httpx.SyncByteStream):
    """A body the client reads as it would from the network (``content=`` bytes are decoded at once)."""

    def __init__(self, data: bytes, chunk: int = 64 * 1024) -> None:
        self.data, self.chunk = data, chunk

    def __iter__(self) -> Iterator[bytes]:
        for start in range(0, len(self.data), self.chunk):
            yield self.data[start : start + self.chunk]


def page(text: str = "Xin chào") -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(200, text=text, headers={"Content-Type": "text/plain"})


class TestAddresses:
    @pytest.mark.parametrize(
        ("address", "problem"),
        [
            ("127.0.0.1", "a loopback address"),
            ("::1", "a loopback address"),
            ("10.0.0.8", "a private-network address"),
            ("192.168.1.1", "a private-network address"),
            ("169.254.169.254", "a cloud metadata address"),
            ("fd00:ec2::254", "a cloud metadata address"),
            ("169.254.1.1", "a link-local address"),
            ("fe80::1", "a link-local address"),
            ("224.0.0.1", "a multicast address"),
            ("0.0.0.0", "an unspecified address"),
            ("::ffff:10.0.0.1", "a private-network address"),
            ("100.64.0.1", "a non-public address"),
            (PUBLIC, None),
            ("2606:4700::1111", None),
        ],
    )
    def test_address_problem(self, address: str, problem: str | None) -> None:
        assert address_problem(address) == problem

    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.1:8080/admin",
            "http://169.254.169.254/latest/meta-data/",
            "http://[fd00:ec2::254]/latest/meta-data/",
            "http://[::1]/",
            "http://intranet.vn/wiki",
            "http://mixed.vn/",
            "http://meta.vn/",
        ],
    )
    def test_internal_targets_are_refused_before_any_request(self, url: str) -> None:
        requested: list[str] = []

        def handler(request: httpx.Request) -> httpx.Response:
            requested.append(str(request.url))
            return httpx.Response(200, text="secret")

        error = fetch(url, handler)
        assert isinstance(error, SourceError) and error.error.startswith("refused to fetch from ")
        assert "only reach public addresses" in error.error and "allow_hosts" in error.error
        assert requested == []

    def test_allow_hosts_lets_a_trusted_internal_host_through(self) -> None:
        document = fetch("http://intranet.vn/wiki", page("Nội bộ"), allow_hosts=["INTRANET.vn"])
        assert isinstance(document, Document) and document.text == "Nội bộ"

    def test_unknown_host(self) -> None:
        error = fetch("http://nowhere.vn/", page())
        assert isinstance(error, SourceError) and error.error.startswith("cannot resolve host nowhere.vn")


class TestRedirects:
    @staticmethod
    def redirecting(targets: dict[str, str], requested: list[str]) -> Callable[[httpx.Request], httpx.Response]:
        def handler(request: httpx.Request) -> httpx.Response:
            requested.append(str(request.url))
            if request.url.path in targets:
                return httpx.Response(302, headers={"Location": targets[request.url.path]})
            return httpx.Response(200, text="Trang đích", headers={"Content-Type": "text/plain"})

        return handler

    def test_redirect_to_the_metadata_service_is_refused(self) -> None:
        requested: list[str] = []
        handler = self.redirecting({"/a": "http://169.254.169.254/latest/meta-data/iam"}, requested)
        error = fetch("https://tin.vn/a", handler)
        assert isinstance(error, SourceError) and "cloud metadata address" in error.error
        assert requested == ["https://tin.vn/a"]

    def test_redirect_to_another_scheme_is_refused(self) -> None:
        error = fetch("https://tin.vn/a", self.redirecting({"/a": "file:///etc/passwd"}, []))
        assert isinstance(error, SourceError) and "only http:// and https://" in error.error

    def test_relative_redirects_within_the_cap_are_followed(self) -> None:
        requested: list[str] = []
        hops = {f"/{i}": f"/{i + 1}" for i in range(5)}
        document = fetch("https://tin.vn/0", self.redirecting(hops, requested))
        assert isinstance(document, Document) and document.metadata["final_url"] == "https://tin.vn/5"
        assert len(requested) == 6

    def test_one_redirect_too_many(self) -> None:
        requested: list[str] = []
        hops = {f"/{i}": f"/{i + 1}" for i in range(3)}
        error = fetch("https://tin.vn/0", self.redirecting(hops, requested), limits=SourceLimits(max_redirects=2))
        assert isinstance(error, SourceError) and error.error.startswith("more than 2 redirects fetching")
        assert len(requested) == 3


def zeros(size: int) -> Iterator[bytes]:
    block = b"\x00" * MiB
    for _ in range(size // MiB):
        yield block


def gzip_bomb(size: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return b"".join(packer.compress(block) for block in zeros(size)) + packer.flush()


def zstd_bomb(size: int) -> bytes:
    import zstandard

    packer = zstandard.ZstdCompressor(level=3).compressobj()
    return b"".join(packer.compress(block) for block in zeros(size)) + packer.flush()


HAS_ZSTD = importlib.util.find_spec("zstandard") is not None


class TestDecoding:
    @pytest.mark.parametrize(
        "encoding",
        ["gzip", pytest.param("zstd", marks=pytest.mark.skipif(not HAS_ZSTD, reason="no zstandard module"))],
    )
    def test_compression_bomb_stops_at_the_cap(self, encoding: str) -> None:
        body = gzip_bomb(64 * MiB) if encoding == "gzip" else zstd_bomb(64 * MiB)
        assert len(body) < MiB

        def handler(request: httpx.Request) -> httpx.Response:
            headers = {"Content-Type": "text/plain", "Content-Encoding": encoding}
            return httpx.Response(200, stream=Streamed(body), headers=headers)

        tracemalloc.start()
        started = time.perf_counter()
        try:
            error = fetch("https://tin.vn/bomb", handler, limits=SourceLimits(max_url_bytes=2 * MiB))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        seconds = time.perf_counter() - started
        assert isinstance(error, SourceError) and "is larger, over the 2.0 MB limit" in error.error
        assert peak < 16 * MiB, f"peak {peak / MiB:.0f} MiB"  # httpx's own decoder inflates it all at once
        assert seconds < 5

    @pytest.mark.parametrize("encoding", ["gzip", "deflate-zlib", "deflate-raw", "identity", "gzip, gzip"])
    def test_ordinary_compressed_pages_decode(self, encoding: str) -> None:
        text = "Chính phủ ban hành nghị định. " * 2000
        raw = text.encode()
        if encoding == "gzip":
            body = gzip.compress(raw)
        elif encoding == "gzip, gzip":
            body = gzip.compress(gzip.compress(raw))
        elif encoding == "deflate-zlib":
            body = zlib.compress(raw)
        elif encoding == "deflate-raw":
            packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
            body = packer.compress(raw) + packer.flush()
        else:
            body = raw
        header = encoding.split("-")[0]

        def handler(request: httpx.Request) -> httpx.Response:
            assert "gzip" in request.headers["accept-encoding"] and "br" not in request.headers["accept-encoding"]
            headers = {"Content-Type": "text/plain", "Content-Encoding": header}
            return httpx.Response(200, stream=Streamed(body), headers=headers)

        document = fetch("https://tin.vn/a.txt", handler)
        assert isinstance(document, Document) and document.text == text

    def test_unknown_encoding_is_refused(self) -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            headers = {"Content-Type": "text/plain", "Content-Encoding": "br"}
            return httpx.Response(200, stream=Streamed(b"xx"), headers=headers)

        error = fetch("https://tin.vn/a", handler)
        assert isinstance(error, SourceError) and "does not unpack (br)" in error.error

    def test_chunks_are_bounded(self) -> None:
        sizes = [len(chunk) for chunk in decoded_chunks([gzip_bomb(8 * MiB)], "gzip", chunk=4096)]
        assert sum(sizes) == 8 * MiB and max(sizes) <= 4096


class TestPinnedConnections:
    """Without an injected transport the connection resolves once, checks, and connects to what it checked."""

    @pytest.fixture(autouse=True)
    def _no_proxy(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.delenv(name, raising=False)

    @pytest.fixture()
    def server(self) -> Iterator[tuple[int, list[str]]]:
        import http.server
        import threading

        seen: list[str] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                seen.append(self.path)
                body = "Điều 1. Văn bản nội bộ".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        yield httpd.server_address[1], seen
        httpd.shutdown()
        httpd.server_close()

    def test_the_connection_goes_to_the_resolved_address(self, server: tuple[int, list[str]]) -> None:
        port, seen = server
        # "kho.noibo" exists only in this resolver: reaching the server proves the connection used its answer
        connector = UrlConnector(resolve=lambda host: ["127.0.0.1"], allow_hosts=["kho.noibo"])
        (item,) = connector.run(f"http://kho.noibo:{port}/quy-dinh.txt")
        assert isinstance(item, Document) and "Văn bản nội bộ" in item.text and seen == ["/quy-dinh.txt"]

    def test_a_dns_answer_that_turns_internal_after_the_check_reaches_nothing(self, server: tuple[int, list[str]]) -> None:
        port, seen = server
        answers = iter([[PUBLIC], ["127.0.0.1"], ["127.0.0.1"]])  # public for the check, loopback when connecting
        connector = UrlConnector(resolve=lambda host: next(answers))
        (item,) = connector.run(f"http://doi-ten.vn:{port}/")
        assert isinstance(item, SourceError) and "loopback" in item.error and seen == []

    def test_a_proxy_in_the_environment_is_still_used(self, server: tuple[int, list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
        # the proxy (here the test server itself, which answers any path) gets the request for the public name
        port, seen = server
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        (item,) = UrlConnector(resolve=resolve).run("http://tin.vn/bai-viet")
        assert isinstance(item, Document) and seen == ["http://tin.vn/bai-viet"]

    def test_urls_no_proxy_takes_stay_pinned(self, server: tuple[int, list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
        # a proxy only for https:// (and NO_PROXY for one host): an http:// URL goes direct, so it is pinned
        port, seen = server
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")
        monkeypatch.setenv("NO_PROXY", "doi-ten.vn")
        for url in (f"http://doi-ten.vn:{port}/", f"http://khac.vn:{port}/"):
            answers = iter([[PUBLIC], ["127.0.0.1"]])
            (item,) = UrlConnector(resolve=lambda host, answers=answers: next(answers)).run(url)
            assert isinstance(item, SourceError) and "loopback" in item.error
        assert seen == []

    def test_an_international_name_can_be_allowed(self, server: tuple[int, list[str]]) -> None:
        port, seen = server
        connector = UrlConnector(resolve=lambda host: ["127.0.0.1"], allow_hosts=["BệnhViện.vn."])
        (item,) = connector.run(f"http://bệnhviện.vn:{port}/noi-quy.txt")
        assert isinstance(item, Document) and seen == ["/noi-quy.txt"]
