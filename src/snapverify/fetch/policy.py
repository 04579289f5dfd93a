"""The address policy: which URLs and addresses snapverify may connect to.

A URL is checked twice. ``AddressPolicy.check_url`` refuses what is wrong with the text
(a scheme other than HTTP, backslashes, hosts two parsers read differently);
``AddressPolicy.resolve`` resolves the host and keeps only the addresses the policy allows.
``PolicyBackend`` runs ``resolve`` when a connection is opened and connects to an address it
returned, so the address checked is the address used (no DNS rebinding), at every redirect hop.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import socket
import urllib.parse
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeAlias

import anyio
import httpcore
import httpx

from snapverify.errors import AddressRefused, FetchError

__all__ = ["AddressPolicy", "PolicyBackend", "Resolver", "system_resolver"]

logger = logging.getLogger(__name__)

Resolver: TypeAlias = Callable[[str, int], Awaitable[list[str]]]
"""Resolves ``(host, port)`` to IP address strings."""

_IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address

_SCHEMES = frozenset({"http", "https"})
# Python's ipaddress calls these global (or does not unwrap them), so they are named here.
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
# Only characters an IPv4 number can be spelled with; inet_aton itself accepts trailing junk.
_NUMERIC_V4 = re.compile(r"[0-9a-fA-FxX.]+")


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve a host with the system resolver (``getaddrinfo``), off the event loop.

    Args:
        host: a host name or address literal.
        port: the port the connection will use.

    Returns:
        The IP addresses, duplicates removed, in the resolver's order.

    Raises:
        OSError: resolution failed (``socket.gaierror``).
    """
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def _embedded(address: _IPAddress) -> list[_IPAddress]:
    """The addresses a packet to ``address`` would reach, as far as the policy judges them."""
    if isinstance(address, ipaddress.IPv4Address):
        return [address]
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address in _NAT64:
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        # A Teredo address is judged by itself and by both IPv4 ends of the tunnel.
        return [address, *address.teredo]
    return [address]


def _address_kind(address: _IPAddress) -> str | None:
    """Why a (non-wrapping) address is refused, or None when it is a public address."""
    checks: tuple[tuple[bool, str], ...] = (
        (address.is_loopback, "loopback"),
        (address.is_unspecified, "unspecified"),
        (address.is_link_local, "link-local"),
        (address.is_multicast, "multicast"),
        (address in _CGNAT, "shared address space (CGNAT)"),
        (address in _NAT64_LOCAL, "local-use NAT64"),
        (isinstance(address, ipaddress.IPv6Address) and address.is_site_local, "site-local"),
        (address.is_reserved, "reserved"),
        (address.is_private, "private"),
        (not address.is_global, "not globally routable"),
    )
    for refused, kind in checks:
        if refused:
            return kind
    return None


def _normal_host(host: str) -> str:
    """``HOST``, ``host:port``, ``[::1]`` or a base URL, as the bare lower-case host."""
    host = host.strip().lower()
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        pass
    try:
        name = urllib.parse.urlsplit(host if "://" in host else "//" + host).hostname
    except ValueError:
        return host
    return (name or host).rstrip(".")


def _literal(host: str) -> str | None:
    """The address a host names by itself (``127.1``, ``0x7f000001``, ``[::1]``), if any."""
    bare = host.strip("[]")
    try:
        return str(ipaddress.ip_address(bare))
    except ValueError:
        pass
    if _NUMERIC_V4.fullmatch(bare) and any(c.isdigit() for c in bare):
        try:
            return socket.inet_ntoa(socket.inet_aton(bare))
        except OSError:
            return None
    return None


class AddressPolicy:
    """Decides which URLs may be fetched and which addresses may be connected to.

    Refused: private, loopback, link-local, CGNAT (100.64/10), ULA, site-local, multicast,
    reserved and unspecified addresses, and IPv4 embedded in IPv6 (``::ffff:a.b.c.d``,
    NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``, Teredo) judged by the embedded IPv4.

    Args:
        allow_private: allow loopback (127/8, ::1) and any address of ``allowed_hosts``.
            Other private addresses stay refused.
        allowed_hosts: hosts (or base URLs) whose addresses ``allow_private`` allows:
            the ``--archive`` hosts.
        allow_networks: CIDR ranges allowed whatever they are.
        resolver: resolves host names; ``system_resolver`` by default.

    A policy serves one run: it remembers what each name resolved to, so a name is
    looked up once however many requests and connections go to it (what is connected
    to is still the address that was checked).
    """

    def __init__(
        self,
        *,
        allow_private: bool = False,
        allowed_hosts: Iterable[str] = (),
        allow_networks: Iterable[str] = (),
        resolver: Resolver | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.allowed_hosts = frozenset(_normal_host(h) for h in allowed_hosts)
        self.allow_networks = tuple(ipaddress.ip_network(n, strict=False) for n in allow_networks)
        self._resolver: Resolver = resolver or system_resolver
        self._resolved: dict[tuple[str, int], list[str]] = {}

    def check_url(self, url: str) -> None:
        """Refuse a URL whose text alone makes it unsafe to fetch.

        Args:
            url: an absolute URL.

        Raises:
            AddressRefused: the scheme is not HTTP(S), the URL holds a backslash or a control
                character, the host is empty, or ``urllib.parse`` and ``httpx`` read its
                user, host or port differently.
        """
        scheme = url.split(":", 1)[0].strip().lower() if ":" in url else ""
        if scheme not in _SCHEMES:
            raise AddressRefused(f"not HTTP: {url!r} (scheme {scheme or 'missing'!r})", url=url)
        if "\\" in url:
            raise AddressRefused(f"backslash in URL refused: {url!r}", url=url)
        if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
            raise AddressRefused(f"whitespace or control character in URL: {url!r}", url=url)
        try:
            split = urllib.parse.urlsplit(url)
            parsed = httpx.URL(url)
            split_port = split.port
            parsed_host = parsed.host  # decodes IDNA: "xn--orhcp" (from "①②⑦") raises
        except (ValueError, httpx.InvalidURL) as exc:  # idna's errors are ValueErrors
            raise AddressRefused(f"unparseable URL {url!r}: {exc}", url=url) from exc
        host = split.hostname or ""
        if not host or not parsed_host:
            raise AddressRefused(f"URL without a host: {url!r}", url=url)
        if "%" in host:
            raise AddressRefused(f"percent sign in host refused: {url!r}", url=url)
        default = 443 if split.scheme.lower() == "https" else 80
        ours = (split.username or "", split.password or "", host, split_port or default)
        theirs = (parsed.username, parsed.password, parsed_host, parsed.port or default)
        if ours != theirs:
            raise AddressRefused(
                f"URL parsers disagree on {url!r}: host {host!r} vs {parsed_host!r}", url=url
            )

    def is_allowed(self, host: str, address: str) -> bool:
        """Whether ``host`` may be reached at ``address``.

        Args:
            host: the host name the address was resolved from.
            address: an IPv4 or IPv6 address string.

        Returns:
            True when the policy allows the connection.
        """
        return self._refusal(host, address) is None

    def _refusal(self, host: str, address: str) -> str | None:
        try:
            ip = ipaddress.ip_address(address.strip("[]"))
        except ValueError:
            return "not an IP address"
        targets = _embedded(ip)
        if any(
            t in n for n in self.allow_networks for t in (ip, *targets) if t.version == n.version
        ):
            return None
        kinds = [kind for kind in map(_address_kind, targets) if kind is not None]
        if not kinds:
            return None
        if self.allow_private:
            if all(t.is_loopback for t in targets):
                return None
            if _normal_host(host) in self.allowed_hosts:
                return None
        return kinds[0]

    async def resolve(self, host: str, port: int) -> list[str]:
        """Resolve a host and keep the addresses the policy allows.

        Numeric spellings (``2130706433``, ``0x7f000001``, ``127.1``) are turned into the
        address they name first, then decided like any other address.

        Args:
            host: the host to connect to (name or literal).
            port: the port to connect to.

        Returns:
            The allowed addresses, in the resolver's order (never empty).

        Raises:
            AddressRefused: no address of the host is allowed (names host and address).
            FetchError: the host could not be resolved (reason ``dns``).
        """
        literal = _literal(host)
        if literal is not None:
            addresses = [literal]
        else:
            addresses = self._resolved.get((host, port), [])
            if not addresses:
                try:
                    addresses = await self._resolver(host, port)
                except (OSError, UnicodeError) as exc:  # UnicodeError: a name IDNA refuses
                    raise FetchError(
                        f"cannot resolve {host}: {exc}", outcome="unreachable", reason="dns"
                    ) from exc
                if not addresses:
                    raise FetchError(f"{host} has no address", outcome="unreachable", reason="dns")
                self._resolved[host, port] = list(addresses)  # failures are asked again
        allowed: list[str] = []
        refused: list[tuple[str, str]] = []
        for address in addresses:
            kind = self._refusal(host, address)
            if kind is None:
                allowed.append(address)
            else:
                refused.append((address, kind))
        if not allowed:
            address, kind = refused[0]
            raise AddressRefused(
                f"{host} resolves to {address} ({kind}): refused by the address policy"
            )
        if refused:
            logger.debug("%s: skipping refused addresses %s", host, refused)
        return allowed


class PolicyBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that connects only to addresses the policy allows.

    TLS still uses the host name (httpcore passes it to ``start_tls``), so certificates and
    SNI are checked against the name while the socket goes to the checked address.

    Args:
        policy: the address policy.
        inner: the backend that opens sockets (httpcore's anyio backend by default).
    """

    def __init__(
        self, policy: AddressPolicy, inner: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        self.policy = policy
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            with anyio.fail_after(timeout):
                addresses = await self.policy.resolve(host, port)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        error: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                logger.debug("connecting to %s (%s) port %d failed: %s", host, address, port, exc)
                error = exc
        assert error is not None  # resolve never returns an empty list
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused(f"unix sockets are not used: {path!r}")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)
