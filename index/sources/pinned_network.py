"""An httpx transport that connects only to the address it checked.

Checking a host's addresses and then letting the HTTP library resolve the name again leaves a
window for DNS rebinding: the name answers a public address to the check and 127.0.0.1 to the
connection. Here the name is resolved once per connection, every answer is checked, and the
socket is opened to one of exactly those addresses. The URL's host still goes in the Host
header and is the TLS server name, because httpcore takes both from the request's origin, not
from the address the network backend dials.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterable

import httpcore
import httpx

from index.sources.address_guard import AddressGuard, Resolver

_SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)


class PinnedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Resolves and checks the host of every new connection, then dials a checked address."""

    def __init__(
        self,
        guard: AddressGuard,
        resolver: Resolver,
        backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._guard = guard
        self._resolver = resolver
        self._backend = backend or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[_SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await self._guard.resolve(host, port, self._resolver)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} took too long") from None
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._backend.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        assert failure is not None  # resolve() never returns an empty list
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[_SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are never fetched")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (request and error mapping), over a pool of pinned connections.

    No proxies, from the environment or otherwise: a proxy would resolve the name itself.
    """

    def __init__(
        self,
        guard: AddressGuard,
        resolver: Resolver,
        ssl_context: ssl.SSLContext | None = None,
        limits: httpx.Limits = httpx.Limits(max_connections=100, max_keepalive_connections=20),
    ) -> None:
        super().__init__(trust_env=False, limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context or httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=PinnedNetworkBackend(guard, resolver),
        )
