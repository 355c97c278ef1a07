"""HTTP GET with the limits an untrusted URL needs: a total deadline, a read timeout, a cap on
decoded bytes, a redirect cap, and no connection to an address that is not globally routable
unless settings allow its network.

Every redirect hop goes through the same checks, since a public URL can redirect to an internal
one, and every connection is opened to the very address that was checked (index/pinned_network).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from urllib.parse import urljoin

import httpx

from config import FetchSettings
from index.errors import FetchError
from index.sources.address_guard import (
    AddressGuard,
    Resolver,
    short_url,
    system_resolver,
    url_target,
)
from index.sources.content_decoding import ACCEPT_ENCODING, BodyDecoder, DecodingError
from index.sources.pinned_network import PinnedTransport

log = logging.getLogger(__name__)

_REDIRECTS = (301, 302, 303, 307, 308)


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
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:  # a charset Python does not know: read it as UTF-8
            return self.body.decode("utf-8", errors="replace")


class Fetcher:
    """One shared httpx.AsyncClient; use as `async with Fetcher(settings) as fetcher`.

    `resolver` answers (host, port) with addresses (default: the system's getaddrinfo); tests
    pass their own to play a rebinding DNS server.
    """

    def __init__(self, settings: FetchSettings, resolver: Resolver | None = None) -> None:
        self.settings = settings
        self._guard = AddressGuard.allowing(settings.allow_private_networks)
        self._resolver = resolver or system_resolver
        self._client = httpx.AsyncClient(
            follow_redirects=False,
            timeout=httpx.Timeout(settings.timeout_seconds),
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            transport=PinnedTransport(self._guard, self._resolver),
            trust_env=False,
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
        """GET a URL, following redirects by hand, all of it within fetch.deadline_seconds.

        Raises FetchError with a one-line reason for anything refused or failed.
        """
        try:
            async with asyncio.timeout(self.settings.deadline_seconds):
                return await self._follow(url, etag, last_modified)
        except TimeoutError:
            raise FetchError(
                f"{short_url(url)} did not finish within {self.settings.deadline_seconds:g} s"
            ) from None

    async def _follow(
        self, url: str, etag: str | None, last_modified: str | None
    ) -> FetchedResource:
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        for _ in range(self.settings.max_redirects + 1):
            url_target(current)
            try:
                response = await self._fetch_limited(current, headers)
            except httpx.TimeoutException:
                raise FetchError(
                    f"{short_url(current)} did not answer within {self.settings.timeout_seconds:g} s"
                ) from None
            except (httpx.HTTPError, httpx.InvalidURL, ValueError) as error:
                raise FetchError(
                    f"{short_url(current)} could not be fetched ({type(error).__name__})"
                ) from None
            if response.status in _REDIRECTS and "location" in response.headers:
                current = redirect_target(current, response.headers["location"])
                continue
            if response.status >= 400:
                raise FetchError(f"{short_url(current)} answered HTTP {response.status}")
            return response
        raise FetchError(
            f"{short_url(url)} redirected more than {self.settings.max_redirects} times"
        )

    async def _fetch_limited(self, url: str, headers: dict[str, str]) -> FetchedResource:
        limit = self.settings.max_bytes
        too_large = f"{short_url(url)} is larger than {limit:,} bytes"
        async with self._client.stream("GET", url, headers=headers) as response:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise FetchError(too_large)
            try:
                decoder = BodyDecoder(response.headers.get("content-encoding", ""))
                chunks, raw_size, size = [], 0, 0
                # Raw bytes are counted too: empty gzip members cost the wire, not the output.
                async for raw in response.aiter_raw():
                    raw_size += len(raw)
                    if raw_size > limit:
                        raise FetchError(too_large)
                    for piece in decoder.decode(raw):
                        size += len(piece)
                        if size > limit:
                            raise FetchError(too_large)
                        chunks.append(piece)
            except DecodingError as error:
                raise FetchError(f"{short_url(url)} sent {error}") from None
            return FetchedResource(
                url=str(response.url),
                status=response.status_code,
                content_type=response.headers.get("content-type", ""),
                body=b"".join(chunks),
                headers={k.lower(): v for k, v in response.headers.items()},
            )

    async def check_allowed(self, url: str) -> None:
        """Refuse non-HTTP URLs and hosts with any internal address (fetches check this too)."""
        await self._guard.check_url(url, self._resolver)


def redirect_target(current: str, location: str) -> str:
    """The URL a redirect's Location header points to; FetchError when it is not a URL."""
    try:
        target = urljoin(current, location.strip())
        url_target(target)
    except ValueError:
        raise FetchError(
            f"{short_url(current)} redirected to {short_url(location, 80)!r}, which is not a URL"
        ) from None
    return target
