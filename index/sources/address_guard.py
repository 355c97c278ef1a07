"""Which addresses a fetch may connect to: only globally routable unicast ones, unless settings
allow a network (fetch.allow_private_networks).

Python's `is_global` alone is not enough, and differs between Python versions: 3.11 calls
multicast, 192.0.0.0/24, unallocated IPv6 (outside 2000::/3), the 3fff::/20 documentation
range, 6to4 (2002::/16) and NAT64 (64:ff9b::/96) global. The last two, like IPv4-mapped
addresses, carry an IPv4 address that may be internal, so they are judged by that address;
those whose embedded address cannot be trusted (Teredo, local-use NAT64) are refused outright.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from index.errors import FetchError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Resolves (host, port) to the addresses a connection may use, as text.
Resolver = Callable[[str, int], Awaitable[list[str]]]

_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")
# Not globally reachable (IANA special-purpose registries) yet called global by some Pythons.
_NOT_GLOBAL = (
    ipaddress.ip_network("192.0.0.0/24"),
    ipaddress.ip_network("3fff::/20"),
    ipaddress.ip_network("2001:db8::/32"),
    # Refused whatever they carry: a Teredo client address is obfuscated and reachable through
    # a relay; local-use NAT64 translates into networks only the operator knows.
    ipaddress.ip_network("2001::/32"),
    ipaddress.ip_network("64:ff9b:1::/48"),
)


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the operating system gives for host (loop.getaddrinfo, TCP only)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, 6to4 or NAT64 (64:ff9b::/96) address carries."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _SIX_TO_FOUR:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: Address) -> bool:
    """True when address is globally routable unicast, judged by any IPv4 address it embeds."""
    inner = embedded_ipv4(address)
    if inner is not None:
        return is_public(inner)
    if isinstance(address, ipaddress.IPv6Address) and address not in _GLOBAL_UNICAST_V6:
        return False
    if any(address in network for network in _NOT_GLOBAL):
        return False
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class AddressGuard:
    """Refuses internal addresses unless they lie in one of the allowed networks."""

    allowed: tuple[Network, ...] = ()

    @classmethod
    def allowing(cls, networks: Iterable[str]) -> AddressGuard:
        return cls(tuple(ipaddress.ip_network(n, strict=False) for n in networks))

    def permits(self, address: Address) -> bool:
        if is_public(address):
            return True
        candidates = [address]
        inner = embedded_ipv4(address)
        if inner is not None:
            candidates.append(inner)
        return any(a in network for a in candidates for network in self.allowed)

    def check(self, host: str, address: Address) -> None:
        """Raise FetchError (one line naming host and address) unless address is permitted."""
        if not self.permits(address):
            raise FetchError(
                f"{short_url(host)} resolves to the internal address {address}, which is not"
                " allowed (settings: fetch.allow_private_networks)"
            )

    async def check_url(self, url: str, resolver: Resolver) -> list[Address]:
        """The checked addresses of an http(s) URL's host; FetchError for anything refused."""
        host, port = url_target(url)
        return await self.resolve(host, port, resolver)

    async def resolve(self, host: str, port: int, resolver: Resolver) -> list[Address]:
        """Every address of host, each checked; refuses the host if ANY of them is internal.

        An IP literal is taken as it is, without asking the resolver.
        """
        literal = _parse_address(host.strip("[]"))
        if literal is not None:
            self.check(host, literal)
            return [literal]
        try:
            answers = await resolver(host, port)
        except (OSError, UnicodeError, ValueError):
            raise FetchError(f"{short_url(host)} could not be resolved") from None
        addresses = [_parse_address(answer) for answer in answers]
        if not addresses or None in addresses:
            raise FetchError(f"{short_url(host)} could not be resolved")
        checked = [a for a in addresses if a is not None]
        for address in checked:
            self.check(host, address)
        return checked


def _parse_address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def url_target(url: str) -> tuple[str, int]:
    """The host and port an http(s) URL names; FetchError for anything else."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise FetchError(f"{short_url(url)!r} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise FetchError(f"{short_url(url)!r} is not an http(s) URL")
    return host, port or (443 if parts.scheme == "https" else 80)


def short_url(url: str, limit: int = 200) -> str:
    """A URL for a one-line message: control characters dropped, long ones cut."""
    text = "".join(c for c in url if c.isprintable())
    return text if len(text) <= limit else text[: limit - 1] + "…"
