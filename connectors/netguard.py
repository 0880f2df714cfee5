"""What the URL connector may reach, and how much a response may unpack to.

* :func:`check_address` refuses loopback, private, link-local, multicast, reserved,
  unspecified and cloud-metadata addresses (server-side request forgery).
* :func:`decoded_chunks` undoes ``Content-Encoding`` (gzip, deflate, zstd) in bounded steps:
  no single call inflates more than one chunk, so a 300 KB gzip bomb cannot allocate 300 MB.
"""

from __future__ import annotations

import ipaddress
import socket
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO, cast

from aulac_rag.errors import ConnectorError

Resolver = Callable[[str], list[str]]
"""``resolve(host)``: the IP addresses ``host`` resolves to (tests inject a dict lookup)."""

CHUNK = 64 * 1024
_ZSTD_WINDOW = 8 * 1024 * 1024  # RFC 9659: HTTP zstd content coding uses at most an 8 MB window

_METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "169.254.170.2")
)
_KINDS = (
    ("is_loopback", "a loopback address"),
    ("is_link_local", "a link-local address"),
    ("is_multicast", "a multicast address"),
    ("is_unspecified", "an unspecified address"),
    ("is_private", "a private-network address"),
    ("is_reserved", "a reserved address"),
)


def resolve_host(host: str) -> list[str]:
    """The addresses the system resolver gives for ``host``, in its order of preference (IPv6 scope ids dropped)."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))


def ascii_host(host: str) -> str:
    """``host`` lower-cased, without a final dot, international names in their ASCII (IDNA) form, as
    connections see them ("bệnhviện.vn" → "xn--bnhvin-…")."""
    host = host.lower().rstrip(".")
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def address_problem(address: str) -> str | None:
    """Why ``address`` must not be fetched (``a loopback address`` …), or None for a public one."""
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in _METADATA:
        return "a cloud metadata address"
    for attribute, label in _KINDS:
        if getattr(ip, attribute):
            return label
    return None if ip.is_global else "a non-public address"


def check_address(host: str, resolve: Resolver, *, allowed: bool = False) -> list[str]:
    """The addresses of ``host`` (an IP or a name); ConnectorError unless every one is public (``allowed``: a
    trusted internal host, resolved but not checked)."""
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        try:
            addresses = resolve(host)
        except (OSError, UnicodeError) as exc:
            raise ConnectorError(f"cannot resolve host {host} ({exc}); check the address and the network") from None
    if not addresses:
        raise ConnectorError(f"cannot resolve host {host} (no address); check the address")
    if allowed:
        return addresses
    for address in addresses:
        problem = address_problem(address)
        if problem is not None:
            shown = host if address == host else f"{host} ({address})"
            raise ConnectorError(
                f"refused to fetch from {shown}: it is {problem}, and URL sources may only reach public "
                "addresses; download the document yourself and ingest the file, or, for a trusted internal "
                "server, list its host under url_allow_hosts in sandbox.yaml"
            )
    return addresses



def accepted_encodings() -> str:
    """The ``Accept-Encoding`` we can undo in bounded steps (zstd when zstandard is installed)."""
    try:
        import zstandard  # noqa: F401
    except ImportError:
        return "gzip, deflate"
    return "gzip, deflate, zstd"


def decoded_chunks(raw: Iterable[bytes], content_encoding: str, chunk: int = CHUNK) -> Iterator[bytes]:
    """The body's bytes with every ``Content-Encoding`` undone, at most ``chunk`` bytes at a time."""
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    stream: Iterable[bytes] = raw
    for coding in reversed(codings):  # the last coding applied is undone first
        stream = _decoder(coding)(stream, chunk)
    return iter(stream)


def _decoder(coding: str) -> Callable[[Iterable[bytes], int], Iterator[bytes]]:
    decoders: dict[str, Callable[[Iterable[bytes], int], Iterator[bytes]]] = {
        "identity": _identity,
        "gzip": _gzip,
        "x-gzip": _gzip,
        "deflate": _deflate,
        "zstd": _zstd,
    }
    if coding not in decoders:
        raise ConnectorError(
            f"the server sent the body in an encoding aulac-rag does not unpack ({coding}); "
            "download the document yourself and ingest the file"
        )
    return decoders[coding]


def _identity(raw: Iterable[bytes], chunk: int) -> Iterator[bytes]:
    for data in raw:
        for start in range(0, len(data), chunk):
            yield data[start : start + chunk]


def _gzip(raw: Iterable[bytes], chunk: int) -> Iterator[bytes]:
    return _inflate(raw, chunk, zlib.MAX_WBITS | 16)


def _deflate(raw: Iterable[bytes], chunk: int) -> Iterator[bytes]:
    """HTTP "deflate" is zlib-wrapped by the spec, raw deflate by some servers; both are read."""
    stream = iter(raw)
    first = next((data for data in stream if data), b"")
    wrapped = len(first) >= 2 and first[0] & 0x0F == 8 and int.from_bytes(first[:2], "big") % 31 == 0
    return _inflate(_prepend(first, stream), chunk, zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def _inflate(raw: Iterable[bytes], chunk: int, wbits: int) -> Iterator[bytes]:
    inflater = zlib.decompressobj(wbits)
    try:
        for data in raw:
            while data and not inflater.eof:
                out = inflater.decompress(data, chunk)  # at most `chunk` bytes per call
                data = inflater.unconsumed_tail
                if out:
                    yield out
            if inflater.eof:
                return
        tail = inflater.flush()
    except zlib.error as exc:
        raise ConnectorError(f"the server sent broken compressed data ({exc}); try again later") from None
    if tail:
        yield tail


def _zstd(raw: Iterable[bytes], chunk: int) -> Iterator[bytes]:
    try:
        import zstandard
    except ImportError:
        raise ConnectorError(
            "the server sent zstd-compressed data and the zstandard package is missing; pip install zstandard"
        ) from None
    decompressor = zstandard.ZstdDecompressor(max_window_size=_ZSTD_WINDOW)
    reader = decompressor.stream_reader(cast(BinaryIO, _IterReader(raw)), read_across_frames=True)
    try:
        while out := reader.read(chunk):
            yield out
    except zstandard.ZstdError as exc:
        raise ConnectorError(f"the server sent broken zstd data ({exc}); try again later") from None


class _IterReader:
    """A file-like ``read(n)`` over an iterator of byte strings (what zstandard reads from)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            data = next(self._chunks, None)
            if data is None:
                break
            self._buffer += data
        if size < 0:
            size = len(self._buffer)
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out
