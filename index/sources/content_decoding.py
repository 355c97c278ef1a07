"""Bounded streaming decoding of HTTP Content-Encoding, any nesting.

A compressed body is a promise of bytes the sender does not pay for: `gzip, gzip` turns 2 KB on
the wire into gigabytes. Every layer here inflates at most PIECE bytes per step and hands them on
at once, so the caller can count decoded bytes and stop at its cap while memory stays at about
the cap; nothing is inflated ahead of being counted.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

# Decoded bytes produced per step of one layer.
PIECE = 64 * 1024
# More layers than any real server sends; each costs a zlib window, so their number is bounded.
MAX_LAYERS = 4

ACCEPT_ENCODING = "gzip, deflate"
_GZIP_MAGIC = b"\x1f\x8b"


class DecodingError(ValueError):
    """The body cannot be decoded: an unknown encoding or a corrupt stream (one-line message)."""


class _ZlibLayer:
    """One gzip or deflate layer. gzip may hold several members (RFC 1952 allows it); deflate
    may be zlib-wrapped (as the RFC says) or raw (as some servers send it)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._gzip = name != "deflate"
        self._started = False
        self._trailing = b""  # bytes after a finished gzip member
        self._done = False  # a finished deflate stream, or trailing bytes that are not gzip
        self._inflater = self._new_inflater()

    def _new_inflater(self, wbits: int | None = None) -> zlib._Decompress:
        if wbits is None:
            wbits = 16 + zlib.MAX_WBITS if self._gzip else zlib.MAX_WBITS
        return zlib.decompressobj(wbits)

    def decode(self, data: bytes) -> Iterator[bytes]:
        """The decoded bytes of the next piece of this layer's input, PIECE bytes at a time."""
        while data and not self._done:
            if self._inflater.eof:
                data = self._after_member(data)
                continue
            yield from self._inflate(data)
            data = self._inflater.unused_data if self._inflater.eof else b""

    def _after_member(self, data: bytes) -> bytes:
        pending = self._trailing + data
        if len(pending) < len(_GZIP_MAGIC):
            self._trailing = pending
            return b""
        self._trailing = b""
        if self._gzip and pending.startswith(_GZIP_MAGIC):
            self._inflater = self._new_inflater()
            return pending
        self._done = True  # padding or junk after the stream, ignored as browsers do
        return b""

    def _inflate(self, data: bytes) -> Iterator[bytes]:
        while True:
            try:
                out = self._inflater.decompress(data, PIECE)
            except zlib.error:
                if self._gzip or self._started:
                    raise DecodingError(f"an invalid {self.name} body") from None
                # Not zlib-wrapped: try raw deflate on the same bytes, once.
                self._started = True
                self._inflater = self._new_inflater(-zlib.MAX_WBITS)
                continue
            self._started = True
            data = self._inflater.unconsumed_tail
            if out:
                yield out
            # A full piece may leave output pending inside zlib even with no input left.
            if not data and len(out) < PIECE:
                return


class BodyDecoder:
    """Decodes a body sent with the given Content-Encoding header, layer by layer."""

    def __init__(self, content_encoding: str) -> None:
        names = [name.strip().lower() for name in content_encoding.split(",")]
        names = [name for name in names if name and name != "identity"]
        for name in names:
            if name not in ("gzip", "x-gzip", "deflate"):
                raise DecodingError(f"the unsupported content encoding {name[:40]!r}")
        if len(names) > MAX_LAYERS:
            raise DecodingError(f"{len(names)} content encodings (at most {MAX_LAYERS})")
        # The header lists encodings in the order they were applied; undo them last first.
        self._layers = [_ZlibLayer(name) for name in reversed(names)]

    def decode(self, raw: bytes) -> Iterator[bytes]:
        """The decoded bytes of the next raw chunk, in pieces of at most PIECE bytes."""
        return self._through(0, raw)

    def _through(self, depth: int, data: bytes) -> Iterator[bytes]:
        if depth == len(self._layers):
            if data:
                yield data
            return
        for piece in self._layers[depth].decode(data):
            yield from self._through(depth + 1, piece)
