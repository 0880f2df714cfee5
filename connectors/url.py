"""Web pages and documents at http(s) URLs: HTML, plain text, Markdown, PDF and DOCX."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aulac_rag.connectors.base import DEFAULT_MAX_FILE_BYTES, Connector, connectors
from aulac_rag.connectors.files import format_size
from aulac_rag.connectors.readers import Extracted, read_docx, read_html, read_markdown, read_pdf, read_plain

from aulac_rag.documents import Document, SourceError
from aulac_rag.errors import ConnectorError

if TYPE_CHECKING:
    import httpx

USER_AGENT = "aulac-rag (document connector)"

_TEXT_READERS: dict[str, Callable[[bytes, str | None], Extracted]] = {
    "text/html": read_html,
    "application/xhtml+xml": read_html,
    "text/plain": read_plain,
    "text/markdown": read_markdown,
    "text/x-markdown": read_markdown,
}
_BINARY_READERS: dict[str, Callable[[bytes], Extracted]] = {
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

    ``transport`` is an httpx transport to use instead of the network (tests).
    """

    name = "url"
    targets = "an http:// or https:// URL"

    def __init__(
        self,
        *,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        timeout_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if max_file_bytes <= 0:
            raise ValueError(f"max_file_bytes must be positive, got {max_file_bytes!r}")
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s!r}")
        self.max_file_bytes = max_file_bytes
        self.timeout_s = timeout_s
        self.transport = transport

    def accepts(self, target: str) -> bool:
        return target.lower().startswith(("http://", "https://"))

    def run(self, target: str) -> Iterator[Document | SourceError]:
        try:
            yield self.read(target)
        except ConnectorError as exc:
            yield SourceError(target, str(exc))

    def read(self, url: str) -> Document:
        """The document at ``url``; ConnectorError saying what went wrong otherwise."""
        data, content_type, charset, final_url = self._fetch(url)
        kind = _effective_type(content_type, final_url)
        if kind in _TEXT_READERS:
            extracted = _TEXT_READERS[kind](data, charset)
        elif kind in _BINARY_READERS:
            extracted = _BINARY_READERS[kind](data)
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

        try:
            with (
                httpx.Client(
                    follow_redirects=True,
                    timeout=self.timeout_s,
                    transport=self.transport,
                    headers={"User-Agent": USER_AGENT},
                ) as client,
                client.stream("GET", url) as response,
            ):
                _check_status(response, url)
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self.max_file_bytes:
                    raise ConnectorError(self._too_big(url, f"is {format_size(int(declared))}"))
                body = bytearray()
                for chunk in response.iter_bytes():
                    body.extend(chunk)
                    if len(body) > self.max_file_bytes:
                        raise ConnectorError(self._too_big(url, "is larger"))
                content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                return bytes(body), content_type, response.charset_encoding, str(response.url)
        except httpx.TimeoutException:
            raise ConnectorError(
                f"timed out after {self.timeout_s:g} s fetching {url}; check the address or try again later"
            ) from None
        except httpx.ConnectError as exc:
            raise ConnectorError(
                f"cannot connect to {urlsplit(url).netloc} ({exc}); check the address and the network"
            ) from None
        except httpx.TooManyRedirects:
            raise ConnectorError(
                f"too many redirects fetching {url}; open it in a browser to see where it goes"
            ) from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise ConnectorError(f"invalid URL {url!r} ({exc}); check how it is written") from None
        except httpx.HTTPError as exc:
            raise ConnectorError(f"network error fetching {url} ({exc.__class__.__name__}: {exc}); try again") from None

    def _too_big(self, url: str, size: str) -> str:
        return (
            f"the download at {url} {size}, over the {format_size(self.max_file_bytes)} limit; "
            "raise max_file_mb in the sandbox's sandbox.yaml, or download it and split it"
        )


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


connectors.register("url", "http", "https")(UrlConnector)
