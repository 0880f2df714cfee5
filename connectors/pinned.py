"""URL connections pinned to checked addresses: closes the DNS-rebinding gap of a check-then-connect.

The URL connector checks each hop's host before the request (:func:`~aulac_rag.connectors.netguard.check_address`);
a plain transport would resolve the name again when it connects, and a name whose DNS answer changes in
between could still reach an internal address. :func:`pinned_transport` resolves when it connects, checks
every address, and connects to one of those; TLS still verifies the certificate against the name.
"""

from __future__ import annotations

from collections.abc import Iterable

import httpcore
import httpx

from aulac_rag.connectors.netguard import Resolver, ascii_host, check_address
from aulac_rag.errors import ConnectorError


def pinned_transport(resolve: Resolver, allow_hosts: frozenset[str]) -> httpx.HTTPTransport:
    """An httpx transport whose connections go only to addresses that passed the check (``allow_hosts``:
    trusted internal hosts, resolved by ``resolve`` but not checked)."""
    transport = httpx.HTTPTransport()
    if not isinstance(getattr(transport, "_pool", None), httpcore.ConnectionPool):  # fail closed if httpx changes
        raise ConnectorError(f"cannot pin URL connections with httpx {httpx.__version__}; install httpx 0.27 or 0.28")
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(), network_backend=_PinnedBackend(resolve, allow_hosts)
    )
    return transport


class _PinnedBackend(httpcore.SyncBackend):
    def __init__(self, resolve: Resolver, allow_hosts: frozenset[str]) -> None:
        self.resolve, self.allow_hosts = resolve, allow_hosts

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        name = ascii_host(host)
        addresses = check_address(name, self.resolve, allowed=name in self.allow_hosts)
        for address in addresses[:-1]:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout):  # the next address
                continue
        return super().connect_tcp(addresses[-1], port, timeout, local_address, socket_options)
