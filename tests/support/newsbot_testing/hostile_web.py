"""A hostile web server on 127.0.0.1 for tests and benchmarks, and a rebinding DNS resolver.

    async with HostileWeb() as web:
        url = web.url("/bomb/gzip-gzip")           # or web.add("/page", body, ...) -> URL

Endpoints (query parameters in brackets; every one is bounded in bytes and time, so a test
that forgets its limits still ends by itself):

- /bomb/gzip-gzip [size]     `Content-Encoding: gzip, gzip`: a few KB on the wire that inflate
                             to `size` zero bytes (default 4 GB, at most 64 GB).
- /bomb/deflate [size]       `Content-Encoding: deflate`, zlib-wrapped, ~1,000:1 (default 1 GB).
- /huge [size]               identity body streamed with no Content-Length (default 100 MB).
- /lying-length [declared]   declares Content-Length (default 1,000,000), sends 100 bytes and
                             closes the connection.
- /invalid-gzip              `Content-Encoding: gzip` over bytes that are not gzip.
- /unknown-encoding [name]   `Content-Encoding: name` (default br) over plain text.
- /tarpit [interval, duration]  headers at once, then one byte every `interval` s (default 1)
                             until `duration` s have passed (default 60, at most 300).
- /slow-headers [delay]      waits `delay` s (default 60, at most 300) before any header.
- /redirect-loop             302 to itself.
- /chain/N                   302 to /chain/N-1 ... /chain/0, an ordinary page.
- /redirect-internal [to]    302 to `to` (default http://169.254.169.254/latest/meta-data/).
- /feed/huge [items]         RSS 2.0 feed with `items` items (default 100,000, at most 10**6).
- /feed/malformed            RSS with an unclosed tag, a link `http://[::1`, a year-1 date with
                             an offset, an empty item, a 5,000-character title and a stray
                             invalid UTF-8 byte.
- anything added with add(path, body, content_type, status, headers), as static_site.py.

`hits` lists every path requested, in order; `host_headers` and
`accept_encodings` the Host and Accept-Encoding headers of each.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from aiohttp import web

from index.sources.address_guard import Resolver
from newsbot_testing.static_site import StaticSite, article_page

GB = 1 << 30
_ZEROS = bytes(1 << 20)


def zero_bomb(size: int, wbits: int) -> bytes:
    """One deflate stream (gzip when wbits=31, zlib when 15) of `size` zero bytes (whole MB),
    built without compressing them: after a full flush each MB of zeros compresses to the same
    bytes, so the stream is a head, one repeated block and a tail. Above 256 MB the checksum is
    left zero (computing it would take seconds): a decoder that reaches it has already
    inflated everything, which is the failure these bombs look for."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    head = compressor.compress(_ZEROS) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(_ZEROS) + compressor.flush(zlib.Z_FULL_FLUSH)
    megabytes = max(1, size >> 20)
    crc, adler = 0, 1
    if megabytes <= 256:
        for _ in range(megabytes):
            crc, adler = zlib.crc32(_ZEROS, crc), zlib.adler32(_ZEROS, adler)
    if wbits > 15:
        tail = crc.to_bytes(4, "little") + (megabytes << 20 & 0xFFFFFFFF).to_bytes(4, "little")
    else:
        tail = adler.to_bytes(4, "big")
    return head + block * (megabytes - 1) + b"\x03\x00" + tail


def huge_feed(items: int) -> bytes:
    entries = b"".join(
        b"<item><title>Item %d</title><link>http://example.org/%d</link></item>" % (i, i)
        for i in range(items)
    )
    return (
        b'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        b"<title>Huge</title><link>http://example.org/</link>" + entries + b"</channel></rss>"
    )


MALFORMED_FEED = (
    '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Broken</title>'
    "<item><title>Bad link</title><link>http://[::1</link></item>"
    "<item><title>Year one</title><link>http://example.org/1</link>"
    "<pubDate>0001-01-01T00:00:00+05:00</pubDate></item>"
    "<item></item>"
    f"<item><title>{'W' * 5000}</title><link>http://example.org/long</link></item>"
    "<item><title>Unclosed <b>tag</title><link>http://example.org/2</link>"
).encode() + b"<item><title>\xff byte</title></item></channel>"


@dataclass
class RebindingResolver:
    """A DNS server that answers `first` to the first lookup and `then` to every later one."""

    first: list[str]
    then: list[str]
    lookups: list[str] = field(default_factory=list)

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        return self.first if len(self.lookups) == 1 else self.then


def fixed_resolver(*addresses: str) -> Resolver:
    """A resolver that answers the same addresses for every name."""

    async def resolve(host: str, port: int) -> list[str]:
        return list(addresses)

    return resolve


class HostileWeb(StaticSite):
    """The server; `async with HostileWeb() as web` starts it on a free port and stops it,
    cancelling any handler still dripping."""

    def __init__(self) -> None:
        super().__init__()
        self.host_headers: list[str] = []
        self.accept_encodings: list[str] = []
        self._bombs: dict[tuple[int, int], bytes] = {}
        self._handlers: set[asyncio.Task] = set()

    def url(self, path: str) -> str:
        return self.base_url + path

    async def __aenter__(self) -> HostileWeb:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in self._handlers:
            task.cancel()
        await self.stop()

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        self.host_headers.append(request.headers.get("Host", ""))
        self.accept_encodings.append(request.headers.get("Accept-Encoding", ""))
        path = "/" + request.match_info["path"]
        handler = self._routes().get(path)
        if path.startswith("/chain/") and path[7:].isdigit():
            handler = _chain
        if handler is None or path in self.pages:
            return await super()._serve(request)
        self.hits.append(path)
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        try:
            return await handler(request)
        finally:
            self._handlers.discard(task)  # type: ignore[arg-type]

    def _routes(self) -> dict[str, Callable[[web.Request], Awaitable[web.StreamResponse]]]:
        return {
            "/bomb/gzip-gzip": self._gzip_gzip,
            "/bomb/deflate": self._deflate,
            "/huge": _huge,
            "/lying-length": _lying_length,
            "/invalid-gzip": _invalid_gzip,
            "/unknown-encoding": _unknown_encoding,
            "/tarpit": _tarpit,
            "/slow-headers": _slow_headers,
            "/redirect-loop": _redirect_loop,
            "/redirect-internal": _redirect_internal,
            "/feed/huge": _huge_feed,
            "/feed/malformed": _malformed_feed,
        }

    def _bomb(self, size: int, wbits: int) -> bytes:
        if (size, wbits) not in self._bombs:
            self._bombs[size, wbits] = zero_bomb(size, wbits)
        return self._bombs[size, wbits]

    async def _gzip_gzip(self, request: web.Request) -> web.StreamResponse:
        inner = self._bomb(_number(request, "size", 4 * GB, 64 * GB), 31)
        body = zlib.compress(inner, 9, wbits=31)
        return _encoded(body, "gzip, gzip")

    async def _deflate(self, request: web.Request) -> web.StreamResponse:
        body = self._bomb(_number(request, "size", GB, 16 * GB), 15)
        return _encoded(body, "deflate")


async def _chain(request: web.Request) -> web.StreamResponse:
    left = int(request.match_info["path"][6:])
    if left == 0:
        return web.Response(
            text=article_page("End of the chain", ["Arrived."] * 3), content_type="text/html"
        )
    raise web.HTTPFound(f"/chain/{left - 1}")


def _number(request: web.Request, name: str, default: float, highest: float) -> int:
    try:
        value = float(request.query.get(name, default))
    except ValueError:
        value = default
    return int(min(max(value, 0), highest))


def _seconds(request: web.Request, name: str, default: float, highest: float) -> float:
    try:
        value = float(request.query.get(name, default))
    except ValueError:
        value = default
    return min(max(value, 0.0), highest)


def _encoded(body: bytes, encoding: str) -> web.Response:
    # Set by hand (not aiohttp's compression): the header says exactly what the bytes are.
    return web.Response(
        body=body,
        headers={"Content-Encoding": encoding, "Content-Type": "text/html; charset=utf-8"},
    )


async def _streamed(
    request: web.Request, pieces: Iterable[bytes], content_type: str
) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": content_type})
    response.enable_chunked_encoding()
    await response.prepare(request)
    try:
        for piece in pieces:
            await response.write(piece)
    except (ConnectionError, asyncio.CancelledError):
        return response  # the client stopped reading: the point of most of these endpoints
    await response.write_eof()
    return response


async def _huge(request: web.Request) -> web.StreamResponse:
    size = _number(request, "size", 100 * (1 << 20), 8 * GB)
    piece = b"x" * (64 * 1024)
    return await _streamed(request, (piece for _ in range(size // len(piece))), "text/plain")


async def _lying_length(request: web.Request) -> web.StreamResponse:
    declared = _number(request, "declared", 1_000_000, 10**12)
    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    response.content_length = declared
    await response.prepare(request)
    await response.write(b"y" * min(100, declared))
    if request.transport is not None:
        request.transport.close()
    return response


async def _invalid_gzip(request: web.Request) -> web.StreamResponse:
    return _encoded(b"this is not gzip at all, just text", "gzip")


async def _unknown_encoding(request: web.Request) -> web.StreamResponse:
    return _encoded(b"plain text", request.query.get("name", "br")[:100])


async def _tarpit(request: web.Request) -> web.StreamResponse:
    interval = max(_seconds(request, "interval", 1.0, 60.0), 0.01)
    duration = _seconds(request, "duration", 60.0, 300.0)
    response = web.StreamResponse(headers={"Content-Type": "text/html"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    loop = asyncio.get_running_loop()
    end = loop.time() + duration
    try:
        while loop.time() < end:
            await response.write(b"<")
            await asyncio.sleep(interval)
    except ConnectionError:
        return response
    await response.write_eof()
    return response


async def _slow_headers(request: web.Request) -> web.StreamResponse:
    await asyncio.sleep(_seconds(request, "delay", 60.0, 300.0))
    return web.Response(text="finally")


async def _redirect_loop(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/redirect-loop")


async def _redirect_internal(request: web.Request) -> web.StreamResponse:
    target = request.query.get("to", "http://169.254.169.254/latest/meta-data/")
    raise web.HTTPFound(target)


async def _huge_feed(request: web.Request) -> web.StreamResponse:
    feed = huge_feed(_number(request, "items", 100_000, 1_000_000))
    piece = 64 * 1024
    return await _streamed(
        request,
        (feed[i : i + piece] for i in range(0, len(feed), piece)),
        "application/rss+xml",
    )


async def _malformed_feed(request: web.Request) -> web.StreamResponse:
    return web.Response(body=MALFORMED_FEED, content_type="application/rss+xml")
