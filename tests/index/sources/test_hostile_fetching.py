"""The fetcher against hostile servers (newsbot_testing/hostile_web.py): bombs, rebinding DNS,
tarpits, redirects, and addresses that are not globally routable."""

from __future__ import annotations

import gzip
import ipaddress
import shutil
import ssl
import subprocess
import time
import zlib
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from config import SettingsError
from index import FetchError
from index.sources.address_guard import AddressGuard
from index.sources.content_decoding import PIECE, BodyDecoder, DecodingError
from index.sources.fetching import FetchedResource, Fetcher, redirect_target
from index.sources.pinned_network import PinnedTransport
from newsbot_testing.hostile_web import HostileWeb, RebindingResolver, fixed_resolver

ALLOW_LOOPBACK = {"fetch.allow_private_networks": ["127.0.0.1/32"]}
TEXT = b"The parliament passed the budget on Tuesday night. " * 200


@pytest.fixture
async def hostile():
    async with HostileWeb() as server:
        yield server


@pytest.fixture
def fetch_settings(make_settings):
    return make_settings(**ALLOW_LOOPBACK).fetch


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"{field} missing from /proc/self/status")


def _reset_peak_rss() -> None:
    """Make VmHWM start again from the current RSS (Linux clear_refs, value 5)."""
    Path("/proc/self/clear_refs").write_text("5")


# Decompression -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/bomb/gzip-gzip?size=2e9", "/bomb/deflate?size=1e9"])
async def test_compression_bomb_stops_at_the_cap_with_little_memory(hostile, fetch_settings, path):
    async with Fetcher(fetch_settings) as fetcher:
        _reset_peak_rss()
        before = _status_kb("VmRSS")
        with pytest.raises(FetchError, match=r"is larger than 5,000,000 bytes"):
            await fetcher.get(hostile.url(path))
        growth_mb = (_status_kb("VmHWM") - before) / 1024
    assert growth_mb < 100, f"peak memory grew by {growth_mb:.0f} MB"


async def test_nested_encodings_are_undone_last_first(hostile, fetch_settings):
    body = gzip.compress(zlib.compress(TEXT))  # deflate applied first, then gzip
    url = hostile.add("/nested", body, headers={"Content-Encoding": "Deflate , GZIP, identity"})
    async with Fetcher(fetch_settings) as fetcher:
        assert (await fetcher.get(url)).body == TEXT
    assert hostile.accept_encodings == ["gzip, deflate"]


async def test_multi_member_gzip_is_decoded_whole(hostile, fetch_settings):
    body = gzip.compress(TEXT[:1000]) + gzip.compress(TEXT[1000:]) + b"\0\0\0"  # with padding
    url = hostile.add("/members", body, headers={"Content-Encoding": "x-gzip"})
    async with Fetcher(fetch_settings) as fetcher:
        assert (await fetcher.get(url)).body == TEXT


async def test_raw_deflate_is_decoded_like_zlib_deflate(hostile, fetch_settings):
    raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = raw.compress(TEXT) + raw.flush()
    url = hostile.add("/raw", body, headers={"Content-Encoding": "deflate"})
    async with Fetcher(fetch_settings) as fetcher:
        assert (await fetcher.get(url)).body == TEXT


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress", "x-junk, gzip"])
async def test_unknown_content_encoding_is_refused(hostile, fetch_settings, encoding):
    async with Fetcher(fetch_settings) as fetcher:
        with pytest.raises(FetchError, match="unsupported content encoding"):
            await fetcher.get(hostile.url(f"/unknown-encoding?name={encoding}"))


def test_more_encoding_layers_than_any_server_sends_are_refused():
    with pytest.raises(DecodingError, match="5 content encodings"):
        BodyDecoder("gzip, gzip, gzip, gzip, gzip")


async def test_invalid_gzip_or_deflate_is_a_fetch_error_not_zlib_error(hostile, fetch_settings):
    deflate = hostile.add(
        "/bad-deflate", b"\x78\x9c" + b"\xff" * 50, headers={"Content-Encoding": "deflate"}
    )
    async with Fetcher(fetch_settings) as fetcher:
        with pytest.raises(FetchError, match="invalid gzip body"):
            await fetcher.get(hostile.url("/invalid-gzip"))
        with pytest.raises(FetchError, match="invalid deflate body"):
            await fetcher.get(deflate)


async def test_endless_body_and_lying_length_end_cleanly(hostile, fetch_settings):
    async with Fetcher(fetch_settings) as fetcher:
        with pytest.raises(FetchError, match="is larger than 5,000,000 bytes"):
            await fetcher.get(hostile.url("/huge"))
        with pytest.raises(FetchError, match="could not be fetched"):
            await fetcher.get(hostile.url("/lying-length"))


@given(
    body=st.binary(max_size=2000),
    encoding=st.lists(st.sampled_from(["gzip", "deflate", "identity", "x-gzip"]), max_size=4),
)
def test_decoding_any_bytes_gives_small_pieces_or_a_decoding_error(body, encoding):
    try:
        decoder = BodyDecoder(", ".join(encoding))
        assert all(len(piece) <= max(PIECE, len(body)) for piece in decoder.decode(body))
    except DecodingError as error:
        assert "\n" not in str(error)


@given(
    text=st.binary(max_size=5000),
    layers=st.lists(st.sampled_from(["gzip", "deflate"]), max_size=4),
)
def test_decoding_undoes_any_stack_of_encodings(text, layers):
    body = text
    for layer in layers:
        body = gzip.compress(body) if layer == "gzip" else zlib.compress(body)
    decoder = BodyDecoder(", ".join(layers))
    pieces = [decoder.decode(body[i : i + 7]) for i in range(0, len(body), 7)]
    assert b"".join(b"".join(p) for p in pieces) == text


# Rebinding and pinning -----------------------------------------------------------------------


async def test_rebinding_dns_cannot_reach_loopback(hostile, make_settings):
    secret = hostile.add("/secret", "internal only")
    port = secret.split(":")[2].split("/")[0]
    resolver = RebindingResolver(first=["127.0.0.2"], then=["127.0.0.1"])
    settings = make_settings(**{"fetch.allow_private_networks": ["127.0.0.2/32"]}).fetch
    async with Fetcher(settings, resolver=resolver) as fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.check_allowed(f"http://rebind.test:{port}/secret")  # the first answer
            await fetcher.get(f"http://rebind.test:{port}/secret")
    assert hostile.hits == []
    assert "\n" not in str(caught.value)


async def test_the_connection_goes_to_the_checked_address_not_a_new_lookup(hostile, make_settings):
    port = hostile.add("/secret", "internal only").split(":")[2].split("/")[0]
    resolver = RebindingResolver(first=["127.0.0.2"], then=["127.0.0.1"])
    settings = make_settings(**{"fetch.allow_private_networks": ["127.0.0.2/32"]}).fetch
    async with Fetcher(settings, resolver=resolver) as fetcher:
        # 127.0.0.2 passed the check and is dialled; nothing listens there.
        with pytest.raises(FetchError, match="could not be fetched"):
            await fetcher.get(f"http://rebind.test:{port}/secret")
    assert resolver.lookups == ["rebind.test"]
    assert hostile.hits == []


async def test_a_host_with_any_internal_address_is_refused(hostile, make_settings):
    port = hostile.add("/secret", "internal only").split(":")[2].split("/")[0]
    settings = make_settings(**{"fetch.allow_private_networks": ["127.0.0.2/32"]}).fetch
    resolver = fixed_resolver("127.0.0.2", "127.0.0.1")
    async with Fetcher(settings, resolver=resolver) as fetcher:
        with pytest.raises(FetchError, match="internal address 127.0.0.1, which is not allowed"):
            await fetcher.get(f"http://mixed.test:{port}/secret")
    assert hostile.hits == []


async def test_environment_proxies_cannot_bypass_the_pinned_connection(
    hostile, fetch_settings, monkeypatch
):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # discard port: nothing listens there
    url = hostile.add("/page", "direct")
    async with Fetcher(fetch_settings) as fetcher:
        assert (await fetcher.get(url)).body == b"direct"


async def test_the_pinned_connection_keeps_the_url_host(hostile, fetch_settings):
    url = hostile.add("/page", "hello")
    port = url.split(":")[2].split("/")[0]
    async with Fetcher(fetch_settings, resolver=fixed_resolver("127.0.0.1")) as fetcher:
        assert (await fetcher.get(f"http://news.test:{port}/page")).body == b"hello"
    assert hostile.host_headers == [f"news.test:{port}"]


async def test_every_redirect_hop_is_resolved_and_checked(hostile, fetch_settings):
    async def resolve(host: str, port: int) -> list[str]:
        return {"start.test": ["127.0.0.1"], "inside.test": ["10.1.2.3"]}[host]

    url = hostile.url("/redirect-internal?to=http://inside.test/admin").replace(
        "127.0.0.1", "start.test"
    )
    async with Fetcher(fetch_settings, resolver=resolve) as fetcher:
        with pytest.raises(FetchError, match="inside.test resolves to the internal address 10"):
            await fetcher.get(url)
    assert hostile.hits == ["/redirect-internal"]


async def test_loopback_by_ip_or_by_name_is_refused_unless_allowed(hostile, make_settings):
    url = hostile.add("/page", "hello")
    port = url.split(":")[2].split("/")[0]
    async with Fetcher(make_settings().fetch) as fetcher:
        with pytest.raises(FetchError, match="resolves to the internal address 127.0.0.1"):
            await fetcher.get(url)
        with pytest.raises(FetchError, match="localhost resolves to the internal address"):
            await fetcher.get(f"http://localhost:{port}/page")
    async with Fetcher(make_settings().fetch, resolver=fixed_resolver("127.0.0.1")) as fetcher:
        with pytest.raises(FetchError, match="news.test resolves to the internal address 127"):
            await fetcher.get(f"http://news.test:{port}/page")
    assert hostile.hits == []
    async with Fetcher(make_settings(**ALLOW_LOOPBACK).fetch) as fetcher:
        assert (await fetcher.get(url)).body == b"hello"


async def test_a_redirect_to_something_that_is_not_a_url_is_a_fetch_error(hostile, fetch_settings):
    url = hostile.add("/bad-location", "", status=302, headers={"Location": "http://[::1"})
    async with Fetcher(fetch_settings) as fetcher:
        with pytest.raises(FetchError, match="bad-location could not be fetched"):
            await fetcher.get(url)  # httpx itself refuses to read such a Location


@given(location=st.text(max_size=60))
def test_any_redirect_location_gives_a_url_or_a_fetch_error(location):
    try:
        target = redirect_target("http://example.org/a/b", location)
    except FetchError as error:
        assert str(error).isprintable()
    else:
        assert target.startswith(("http://", "https://"))


@given(content_type=st.text(max_size=60), body=st.binary(max_size=200))
def test_any_declared_charset_gives_text(content_type, body):
    resource = FetchedResource("http://example.org/", 200, content_type, body)
    assert isinstance(resource.text(), str)


# Time ----------------------------------------------------------------------------------------


async def test_tarpit_is_cut_at_the_fetch_deadline(hostile, make_settings):
    settings = make_settings(
        **ALLOW_LOOPBACK, **{"fetch.timeout_seconds": 1.0, "fetch.deadline_seconds": 2.0}
    ).fetch
    started = time.monotonic()
    async with Fetcher(settings) as fetcher:
        with pytest.raises(FetchError, match=r"tarpit\?interval=0.5 did not finish within 2 s"):
            await fetcher.get(hostile.url("/tarpit?interval=0.5"))
    assert time.monotonic() - started < 3.0


def test_deadline_shorter_than_the_read_timeout_is_refused(make_settings):
    with pytest.raises(SettingsError, match="fetch.deadline_seconds must be at least"):
        make_settings(**{"fetch.timeout_seconds": 20, "fetch.deadline_seconds": 10})


async def test_slow_headers_time_out(hostile, make_settings):
    settings = make_settings(
        **ALLOW_LOOPBACK, **{"fetch.timeout_seconds": 0.5, "fetch.deadline_seconds": 5.0}
    ).fetch
    async with Fetcher(settings) as fetcher:
        with pytest.raises(FetchError, match="did not answer within 0.5 s"):
            await fetcher.get(hostile.url("/slow-headers?delay=3"))


async def test_redirect_chains_longer_than_the_cap_are_refused(hostile, fetch_settings):
    async with Fetcher(fetch_settings) as fetcher:
        assert b"End of the chain" in (await fetcher.get(hostile.url("/chain/5"))).body
        with pytest.raises(FetchError, match="redirected more than 5 times"):
            await fetcher.get(hostile.url("/chain/6"))


# Address classes -----------------------------------------------------------------------------

# From the IANA IPv4 and IPv6 special-purpose address registries: not globally reachable. The
# few globally reachable exceptions inside 192.0.0.0/24 and 2001::/23 serve no web pages and
# are refused with their blocks.
IANA_NOT_GLOBAL = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8 10.0.0.0/8 100.64.0.0/10 127.0.0.0/8 169.254.0.0/16 172.16.0.0/12 "
        "192.0.0.0/24 192.0.2.0/24 192.168.0.0/16 198.18.0.0/15 198.51.100.0/24 "
        "203.0.113.0/24 224.0.0.0/4 240.0.0.0/4 "
        "2001::/23 2001:db8::/32 3fff::/20 64:ff9b:1::/48"
    ).split()
]


def reference_is_public(address) -> bool:
    """The reference rule: IPv6 outside 2000::/3 is not unicast on the internet; addresses
    embedding IPv4 (mapped, 6to4, NAT64) are what they carry; Teredo is refused."""
    if address.version == 6:
        packed = address.packed
        if packed[:12] == bytes(10) + b"\xff\xff" or packed[:12] == bytes.fromhex(
            "0064ff9b0000000000000000"
        ):
            return reference_is_public(ipaddress.IPv4Address(packed[12:]))
        if packed[:2] == b"\x20\x02":
            return reference_is_public(ipaddress.IPv4Address(packed[2:6]))
        if packed[:4] == b"\x20\x01\x00\x00" or packed[0] >> 5 != 0b001:
            return False
    return not any(address in network for network in IANA_NOT_GLOBAL)


def _embedding(v4: ipaddress.IPv4Address) -> st.SearchStrategy:
    as_int = int(v4)
    return st.sampled_from(
        [
            v4,
            ipaddress.IPv6Address((0xFFFF << 32) | as_int),
            ipaddress.IPv6Address((0x2002 << 112) | (as_int << 80)),
            ipaddress.IPv6Address((0x64FF9B << 96) | as_int),
        ]
    )


ANY_ADDRESS = st.one_of(st.ip_addresses(), st.ip_addresses(v=4).flatmap(_embedding))


@given(address=ANY_ADDRESS)
def test_guard_agrees_with_the_reference_rule_on_any_address(address):
    assert AddressGuard().permits(address) == reference_is_public(address)


@pytest.mark.parametrize(
    "address",
    [
        "100.64.0.1",  # shared address space, where cloud metadata services live
        "2002:7f00:1::1",  # 6to4 carrying 127.0.0.1
        "2002:a9fe:a9fe::",  # 6to4 carrying 169.254.169.254
        "64:ff9b::a00:1",  # NAT64 carrying 10.0.0.1
        "64:ff9b:1::1",
        "2001::1",  # Teredo
        "::ffff:127.0.0.1",
        "239.1.2.3",
        "ff02::1",
        "192.0.0.170",
        "::7f00:1",  # IPv4-compatible 127.0.0.1
    ],
)
async def test_addresses_that_are_not_globally_routable_are_refused(make_settings, address):
    async with Fetcher(make_settings().fetch) as fetcher:
        with pytest.raises(FetchError, match="internal address"):
            await fetcher.get(f"http://[{address}]/" if ":" in address else f"http://{address}/")


def test_allowed_networks_cover_addresses_that_embed_them():
    guard = AddressGuard.allowing(["127.0.0.1/32"])
    assert guard.permits(ipaddress.ip_address("::ffff:127.0.0.1"))
    assert not guard.permits(ipaddress.ip_address("::ffff:127.0.0.2"))


@given(url=st.one_of(st.text(max_size=80), st.from_regex(r"\Ahttps?://[^/]{0,30}(/.{0,20})?\Z")))
async def test_the_guard_raises_nothing_but_fetch_error_on_any_url(url):
    try:
        await AddressGuard().check_url(url, fixed_resolver("10.0.0.1"))
    except FetchError as error:
        assert str(error).isprintable()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
async def test_tls_names_the_url_host_while_dialing_the_pinned_address(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        + ["-nodes", "-days", "1", "-subj", "/CN=news.test", "-keyout", str(key)]
        + ["-out", str(cert), "-addext", "subjectAltName=DNS:news.test"],
        check=True,
        capture_output=True,
        timeout=30,
    )
    server_names: list[str | None] = []
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    server_context.sni_callback = lambda sock, name, context: server_names.append(name)
    app = web.Application()
    app.router.add_get("/", lambda request: web.Response(text="over tls"))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    transport = PinnedTransport(
        AddressGuard.allowing(["127.0.0.1/32"]),
        fixed_resolver("127.0.0.1"),
        ssl_context=ssl.create_default_context(cafile=str(cert)),
    )
    try:
        async with httpx.AsyncClient(transport=transport) as client:
            response = await client.get(f"https://news.test:{port}/")
    finally:
        await runner.cleanup()
    assert response.text == "over tls"
    assert server_names == ["news.test"]
