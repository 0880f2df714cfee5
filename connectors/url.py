"""Web pages and documents at http(s) URLs: HTML, plain text, Markdown, PDF and DOCX."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aulac_rag.connectors.base import Connector, source_limits
from aulac_rag.connectors.files import format_size
from aulac_rag.connectors.netguard import (
    Resolver,
    accepted_encodings,
    ascii_host,
    check_address,
    decoded_chunks,
    resolve_host,
)
from aulac_rag.connectors.readers import Extracted, read_docx, read_html, read_markdown, read_pdf, read_plain
from aulac_rag.documents import Document, SourceError
from aulac_rag.errors import ConnectorError
from aulac_rag.extras import import_error_message
from aulac_rag.limits import SourceLimits

if TYPE_CHECKING:
    import httpx

USER_AGENT = "aulac-rag (document connector)"

_TEXT_READERS: dict[str, Callable[..., Extracted]] = {
    "text/html": read_html,
    "application/xhtml+xml": read_html,
    "text/plain": read_plain,
    "text/markdown": read_markdown,
    "text/x-markdown": read_markdown,
}
_BINARY_READERS: dict[str, Callable[..., Extracted]] = {
    "application/pdf": read_pdf,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": read_docx,
}
_BY_EXTENSION = {
    ".html": "text/html",
    ".htm": "text/html",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
_GENERIC_TYPES = ("", "application/octet-stream", "binary/octet-stream", "application/download")


class UrlConnector(Connector):
    """Fetches one URL (redirects followed, size-limited) into one document whose id is the URL.

    Every hop (the URL, then each redirect, at most ``limits.max_redirects``) must resolve to
    public addresses only, unless its host is in ``allow_hosts``; the body may unpack to at most
    ``min(limits.max_file_bytes, limits.max_url_bytes)``. ``transport`` is an httpx transport to
    use instead of the network and ``resolve`` a host-to-addresses lookup (tests).
    """

    name = "url"
    targets = "an http:// or https:// URL"

    def __init__(
        self,
        *,
        max_file_bytes: int | None = None,
        limits: SourceLimits | None = None,
        timeout_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        allow_hosts: Sequence[str] = (),
        resolve: Resolver | None = None,
    ) -> None:
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s!r}")
        self.limits = source_limits(max_file_bytes, limits)
        self.max_file_bytes = min(self.limits.max_file_bytes, self.limits.max_url_bytes)
        self.timeout_s = timeout_s
        self.transport = transport
        hosts = (*allow_hosts, *self.limits.url_allow_hosts)
        self.allow_hosts = frozenset(ascii_host(host) for host in hosts)
        self.resolve = resolve or resolve_host

    def accepts(self, target: str) -> bool:
        return target.lower().startswith(("http://", "https://"))

    def run(self, target: str) -> Iterator[Document | SourceError]:
        try:
            yield self.read(target)
        except ConnectorError as exc:
            yield SourceError(target, str(exc))
        except ImportError as exc:  # an HTML/PDF/DOCX page without the [docs] extra
            yield SourceError(target, import_error_message("reading this page", exc))

    def read(self, url: str) -> Document:
        """The document at ``url``; ConnectorError saying what went wrong otherwise."""
        data, content_type, charset, final_url = self._fetch(url)
        kind = _effective_type(content_type, final_url)
        if kind in _TEXT_READERS:
            extracted = _TEXT_READERS[kind](data, charset, limits=self.limits)
        elif kind in _BINARY_READERS:
            extracted = _BINARY_READERS[kind](data, limits=self.limits)
        else:
            raise ConnectorError(
                f"unsupported content type {content_type or '(none)'} at {url} "
                "(supported: HTML, plain text, Markdown, PDF, DOCX); download it and ingest the file"
            )
        if not extracted.text.strip():
            raise ConnectorError(f"the page at {url} has no text to index")
        metadata: dict[str, object] = {"content_type": kind, **extracted.metadata}
        if final_url != url:
            metadata["final_url"] = final_url
        return Document(url, extracted.text, extracted.title or _url_title(final_url), url, metadata)

    def _fetch(self, url: str) -> tuple[bytes, str, str | None, str]:
        """(body, content type, declared charset, URL after redirects)."""
        import httpx

        from aulac_rag.connectors.pinned import pinned_transport

        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": accepted_encodings()}
        transport = self.transport or pinned_transport(self.resolve, self.allow_hosts)
        try:
            with httpx.Client(
                follow_redirects=False, timeout=self.timeout_s, transport=transport, mounts=_proxy_mounts(), headers=headers
            ) as client:
                current = url
                for _ in range(self.limits.max_redirects + 1):
                    self._check_target(current)
                    with client.stream("GET", current) as response:
                        if not response.has_redirect_location:
                            return self._body(response, url)
                        current = str(response.url.join(response.headers["location"]))
                raise ConnectorError(
                    f"more than {self.limits.max_redirects} redirects fetching {url}; "
                    "open it in a browser to see where it goes and ingest the final address"
                )
        except httpx.TimeoutException:
            raise ConnectorError(
                f"timed out after {self.timeout_s:g} s fetching {url}; check the address or try again later"
            ) from None
        except httpx.ConnectError as exc:
            raise ConnectorError(
                f"cannot connect to {urlsplit(url).netloc} ({exc}); check the address and the network"
            ) from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise ConnectorError(f"invalid URL {url!r} ({exc}); check how it is written") from None
        except httpx.HTTPError as exc:
            raise ConnectorError(f"network error fetching {url} ({exc.__class__.__name__}: {exc}); try again") from None

    def _check_target(self, url: str) -> None:
        """Refuse a hop to a non-http(s) scheme or a non-public address (SSRF).

        The connection itself checks again and connects only to an address it checked
        (connectors/pinned.py), so a DNS answer that changes after this check reaches nothing internal.
        """
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https"):
            raise ConnectorError(f"refused a redirect to {url}: only http:// and https:// addresses are fetched")
        host = ascii_host(parts.hostname or "")
        if not host:
            raise ConnectorError(f"invalid URL {url!r} (no host); check how it is written")
        if host not in self.allow_hosts:
            check_address(host, self.resolve)

    def _body(self, response: httpx.Response, url: str) -> tuple[bytes, str, str | None, str]:
        """The decoded body, stopped as soon as it passes the size cap."""
        _check_status(response, url)
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_file_bytes:
            raise ConnectorError(self._too_big(url, f"is {format_size(int(declared))}"))
        body = bytearray()
        if response.is_stream_consumed:  # a transport that returns responses already read (httpx.MockTransport)
            chunks = decoded_chunks([response.content], "identity")
        else:  # undecoded bytes: httpx's own decoders inflate a whole network chunk in one call
            chunks = decoded_chunks(response.iter_raw(), response.headers.get("content-encoding", ""))
        for chunk in chunks:
            body.extend(chunk)
            if len(body) > self.max_file_bytes:
                raise ConnectorError(self._too_big(url, "is larger"))
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        return bytes(body), content_type, response.charset_encoding, str(response.url)

    def _too_big(self, url: str, size: str) -> str:
        return (
            f"the download at {url} {size}, over the {format_size(self.max_file_bytes)} limit; "
            "raise max_file_mb in the sandbox's sandbox.yaml, or download it and split it"
        )


def _proxy_mounts() -> dict[str, httpx.BaseTransport | None]:
    """The proxies set in the environment (HTTP(S)_PROXY, ALL_PROXY, NO_PROXY), as httpx would mount them
    for a client without its own transport; URLs no proxy takes use the pinned transport. A proxy
    resolves names itself, so through one only the check before each request applies."""
    import httpx

    try:
        from httpx._utils import get_environment_proxies
    except ImportError:  # an httpx without it: direct, pinned connections, unless a proxy was asked for
        from urllib.request import getproxies

        if any(scheme in getproxies() for scheme in ("http", "https", "all")):
            raise ConnectorError(
                f"cannot read the proxy settings of the environment with httpx {httpx.__version__}; "
                "install httpx 0.27 or 0.28, or unset HTTP(S)_PROXY to connect directly"
            ) from None
        return {}
    return {pattern: None if proxy is None else httpx.HTTPTransport(proxy=proxy) for pattern, proxy in get_environment_proxies().items()}


def _check_status(response: httpx.Response, url: str) -> None:
    code = response.status_code
    if code < 400:
        return
    reason = f"HTTP {code} {response.reason_phrase}".strip()
    if code == 404 or code == 410:
        advice = "the page does not exist; check the address"
    elif code in (401, 403):
        advice = "the server refuses access; download the document yourself and ingest the file"
    elif code == 429 or code >= 500:
        advice = "the server is busy or failing; try again later"
    else:
        advice = "check the address"
    raise ConnectorError(f"{reason} from {url}: {advice}")


def _effective_type(content_type: str, url: str) -> str:
    """The server's content type, or one guessed from the URL's extension when it sent a generic one."""
    if content_type in _GENERIC_TYPES:
        return _BY_EXTENSION.get(PurePosixPath(urlsplit(url).path).suffix.lower(), content_type)
    return content_type


def _url_title(url: str) -> str:
    """A fallback title: the last path segment without extension, else the host."""
    parts = urlsplit(url)
    return PurePosixPath(parts.path).stem or parts.netloc


