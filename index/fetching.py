"""HTTP GET with the limits an untrusted URL needs: timeout, size cap, redirect cap, and no
requests to private, loopback or link-local addresses unless settings allow that network.

Every redirect hop is checked again, since a public URL can redirect to an internal one.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx

from config import FetchSettings
from index.errors import FetchError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchedResource:
    url: str  # after redirects
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def text(self) -> str:
        charset = "utf-8"
        for part in self.content_type.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip('"')
        return self.body.decode(charset, errors="replace")


class Fetcher:
    """One shared httpx.AsyncClient; use as `async with Fetcher(settings) as fetcher`."""

    def __init__(self, settings: FetchSettings, transport: httpx.AsyncBaseTransport | None = None):
        self.settings = settings
        self._allowed = [
            ipaddress.ip_network(n, strict=False) for n in settings.allow_private_networks
        ]
        self._client = httpx.AsyncClient(
            follow_redirects=False,
            timeout=httpx.Timeout(settings.timeout_seconds),
            headers={"User-Agent": settings.user_agent},
            transport=transport,
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchedResource:
        """GET a URL, following redirects by hand; raises FetchError with a readable reason."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        for _ in range(self.settings.max_redirects + 1):
            await self.check_allowed(current)
            try:
                response = await self._fetch_limited(current, headers)
            except httpx.TimeoutException:
                raise FetchError(
                    f"{current} did not answer within {self.settings.timeout_seconds:g} s"
                ) from None
            except httpx.HTTPError as error:
                raise FetchError(
                    f"{current} could not be fetched ({type(error).__name__})"
                ) from None
            if response.status in (301, 302, 303, 307, 308) and "location" in response.headers:
                current = urljoin(current, response.headers["location"])
                continue
            if response.status >= 400:
                raise FetchError(f"{current} answered HTTP {response.status}")
            return response
        raise FetchError(f"{url} redirected more than {self.settings.max_redirects} times")

    async def _fetch_limited(self, url: str, headers: dict[str, str]) -> FetchedResource:
        async with self._client.stream("GET", url, headers=headers) as response:
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self.settings.max_bytes:
                raise FetchError(f"{url} is larger than {self.settings.max_bytes:,} bytes")
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.settings.max_bytes:
                    raise FetchError(f"{url} is larger than {self.settings.max_bytes:,} bytes")
                chunks.append(chunk)
            return FetchedResource(
                url=str(response.url),
                status=response.status_code,
                content_type=response.headers.get("content-type", ""),
                body=b"".join(chunks),
                headers={k.lower(): v for k, v in response.headers.items()},
            )

    async def check_allowed(self, url: str) -> None:
        """Refuse non-HTTP schemes and hosts that resolve to internal addresses."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(f"{url!r} is not an http(s) URL")
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                parts.hostname,
                parts.port or (443 if parts.scheme == "https" else 80),
                type=socket.SOCK_STREAM,
            )
        except (socket.gaierror, UnicodeError):
            raise FetchError(f"{parts.hostname} could not be resolved") from None
        for info in infos:
            address = ipaddress.ip_address(info[4][0])
            if _is_internal(address) and not any(address in net for net in self._allowed):
                raise FetchError(
                    f"{parts.hostname} resolves to the internal address {address}, which is not"
                    " allowed (settings: fetch.allow_private_networks)"
                )


def _is_internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )
