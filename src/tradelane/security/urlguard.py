"""Outbound URL guard: refuse destinations that would turn a webhook into server-side request forgery.

Two checks, both needed:

* :func:`check_url` at registration (and again before each request): only ``http``/``https``, no credentials
  in the URL, no loopback / private / link-local / CGNAT / multicast / reserved / metadata destinations, no
  ``localhost`` or internal-only names, no single-label names, and no odd IP spellings. Numeric hosts are
  normalised the way ``inet_aton`` reads them (``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``127.1``)
  before checking, and any non-canonical spelling is refused even when it denotes a public address, because
  other parsers may read it differently. IPv6 forms that embed IPv4 (mapped, compatible, SIIT, 6to4, NAT64,
  Teredo) are checked on the embedded address.
* :func:`resolve_and_check` at connect time: the host name is resolved and *every* address must pass, which
  defeats DNS rebinding (a name that resolved to a public address at registration and to 127.0.0.1 now).
  :class:`GuardedTransport` runs it inside the connection pool and connects to the checked address itself, so
  nothing resolves the name a second time; TLS still verifies the certificate against the host name.

An allow-list (host names, ``*.suffix`` wildcards, IP addresses or CIDRs) explicitly permits on-premise
partners. A host allow-listed *by name* may resolve to any address except the cloud metadata endpoints in
:data:`ALWAYS_REFUSED_ADDRESSES`, which nothing can allow.

Clients must not follow redirects (``follow_redirects=False``; :func:`guarded_client` sets it): a 3xx is a
failed attempt. Should a redirect be followed anyway, each hop still goes through the transport's checks.
Proxies are not supported: through a proxy the connect-time check would see the proxy, not the target.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpcore2
import httpx2

from tradelane.core.errors import ConfigError, TradelaneError, TransientError

if TYPE_CHECKING:
    import ssl

__all__ = [
    "ALWAYS_REFUSED_ADDRESSES",
    "AllowList",
    "GuardedBackend",
    "GuardedTransport",
    "IPAddress",
    "ParsedTarget",
    "ResolutionFailed",
    "Resolver",
    "UnsafeURL",
    "check_url",
    "guarded_client",
    "resolve_and_check",
    "system_resolver",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
#: ``async (host, port) -> addresses``; the default is :func:`system_resolver`
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

#: longest URL we accept for an endpoint (browsers and proxies start failing around 2-8 KB)
MAX_URL_LENGTH = 2048
#: longest host name DNS can carry
MAX_HOST_LENGTH = 253
#: longest DNS label
MAX_LABEL_LENGTH = 63
#: an allow-list CIDR shorter than this (IPv4) would open most of the address space: refused as a mistake
MIN_ALLOW_PREFIX_V4 = 8
#: same for IPv6
MIN_ALLOW_PREFIX_V6 = 32
#: DNS resolution at connect time gives up after this many seconds when no connect timeout is given
DEFAULT_RESOLVE_TIMEOUT = 10.0
#: timeouts of :func:`guarded_client` (seconds): connect includes DNS; the total per phase
DEFAULT_CLIENT_TIMEOUT = httpx2.Timeout(30.0, connect=10.0)
#: connection pool limits of the guarded transport (httpx's own defaults, spelled out)
DEFAULT_LIMITS = httpx2.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)

_DEFAULT_PORTS = {"http": 80, "https": 443}

#: cloud metadata and platform endpoints: refused even when an allow-list would permit them
ALWAYS_REFUSED_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, Oracle instance metadata
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.169.253",  # AWS VPC DNS
        "100.100.100.200",  # Alibaba Cloud metadata
        "168.63.129.16",  # Azure WireServer (a public-looking platform address)
        "fd00:ec2::254",  # AWS IMDS over IPv6
    )
)
#: names of metadata services: refused even when allow-listed
_METADATA_HOSTS = frozenset(
    {"metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal"}
)
#: suffixes that only ever name things inside a private network
_INTERNAL_SUFFIXES = ("localhost", "local", "internal", "localdomain", "home.arpa", "lan", "intranet", "corp")

_IPV4_REFUSED: tuple[tuple[ipaddress.IPv4Network, str], ...] = tuple(
    (ipaddress.IPv4Network(net), why)
    for net, why in (
        ("0.0.0.0/8", "'this network' address (0.0.0.0/8)"),
        ("10.0.0.0/8", "private address (10.0.0.0/8)"),
        ("100.64.0.0/10", "carrier-grade NAT address (100.64.0.0/10)"),
        ("127.0.0.0/8", "loopback address"),
        ("169.254.0.0/16", "link-local address (169.254.0.0/16)"),
        ("172.16.0.0/12", "private address (172.16.0.0/12)"),
        ("192.0.0.0/24", "IETF protocol assignment (192.0.0.0/24)"),
        ("192.0.2.0/24", "documentation address"),
        ("192.88.99.0/24", "6to4 relay anycast address"),
        ("192.168.0.0/16", "private address (192.168.0.0/16)"),
        ("198.18.0.0/15", "benchmarking address (198.18.0.0/15)"),
        ("198.51.100.0/24", "documentation address"),
        ("203.0.113.0/24", "documentation address"),
        ("224.0.0.0/4", "multicast address"),
        ("255.255.255.255/32", "broadcast address"),
        ("240.0.0.0/4", "reserved address (240.0.0.0/4)"),
    )
)
_IPV6_REFUSED: tuple[tuple[ipaddress.IPv6Network, str], ...] = tuple(
    (ipaddress.IPv6Network(net), why)
    for net, why in (
        ("::/128", "unspecified address"),
        ("::1/128", "IPv6 loopback address"),
        ("::/96", "IPv4-compatible IPv6 address (deprecated)"),
        ("::ffff:0:0/96", "IPv4-mapped IPv6 address"),
        ("::ffff:0:0:0/96", "IPv4-translated IPv6 address"),
        ("64:ff9b:1::/48", "local-use NAT64 address"),
        ("100::/64", "discard-only address"),
        ("2001::/32", "Teredo tunnel address"),
        ("2001:db8::/32", "documentation address"),
        ("fc00::/7", "unique local address (fc00::/7)"),
        ("fe80::/10", "link-local address (fe80::/10)"),
        ("fec0::/10", "site-local address (deprecated)"),
        ("ff00::/8", "multicast address"),
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_SIIT = ipaddress.IPv6Network("::ffff:0:0:0/96")
_HOST_CHARS = re.compile(r"[a-z0-9._-]+")
_PORT = re.compile(r"[0-9]{1,5}")
_DECIMAL = re.compile(r"[0-9]+")
_HEX = re.compile(r"0x[0-9a-f]*")
_CANONICAL_IPV4 = re.compile(r"(?:0|[1-9][0-9]{0,2})(?:\.(?:0|[1-9][0-9]{0,2})){3}")


class UnsafeURL(TradelaneError):
    """An outbound destination was refused; ``reason`` says why (safe to show to the endpoint's owner)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"unsafe outbound URL: {reason}")
        #: human-readable reason
        self.reason = reason


class ResolutionFailed(TransientError):
    """The destination's host name did not resolve at connect time (retry later)."""


@dataclass(frozen=True)
class ParsedTarget:
    """A destination that passed :func:`check_url`."""

    #: ``http`` or ``https``
    scheme: str
    #: ASCII host (IDNA-encoded, lower-case, no brackets, no trailing dot)
    host: str
    #: explicit or default port
    port: int
    #: the address when the host is an IP literal
    ip: IPAddress | None
    #: whether the allow-list, rather than the default rules, permitted the host
    allow_listed: bool


@dataclass(frozen=True)
class AllowList:
    """Destinations an operator explicitly permits (on-premise partners)."""

    #: exact host names
    hosts: frozenset[str] = frozenset()
    #: ``*.example.com`` entries, stored as ``.example.com``
    suffixes: tuple[str, ...] = ()
    #: addresses and CIDRs
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        """Build from config entries: ``host.example``, ``*.example.com``, ``10.1.2.3``, ``10.1.0.0/16``.

        :raises ConfigError: an entry is neither a host name nor an address/CIDR, or the CIDR is too broad
        """
        hosts: set[str] = set()
        suffixes: list[str] = []
        networks: list[IPNetwork] = []
        for raw in entries:
            entry = raw.strip().lower() if isinstance(raw, str) else ""
            try:
                network = ipaddress.ip_network(entry.strip("[]"), strict=False)
            except ValueError:
                network = None
            if network is not None:
                minimum = MIN_ALLOW_PREFIX_V4 if network.version == 4 else MIN_ALLOW_PREFIX_V6
                if network.prefixlen < minimum:
                    raise ConfigError(f"allow-list entry {raw!r} is too broad", key="allow_list")
                networks.append(network)
                continue
            wildcard = entry.startswith("*.")
            name = entry[2:] if wildcard else entry
            name = name.removesuffix(".")
            if not name or not _HOST_CHARS.fullmatch(name) or ".." in name or name.startswith("."):
                raise ConfigError(f"allow-list entry {raw!r} is not a host name or CIDR", key="allow_list")
            if wildcard:
                suffixes.append("." + name)
            else:
                hosts.add(name)
        return cls(frozenset(hosts), tuple(suffixes), tuple(networks))

    def permits_host(self, host: str) -> bool:
        return host in self.hosts or any(host.endswith(suffix) for suffix in self.suffixes)

    def permits_ip(self, ip: IPAddress) -> bool:
        return any(ip.version == net.version and ip in net for net in self.networks)


def check_url(url: str, allow_list: Iterable[str] | AllowList = ()) -> ParsedTarget:
    """Check an outbound URL without touching the network.

    :param url: the endpoint URL as configured
    :param allow_list: explicitly permitted hosts/CIDRs (strings or a parsed :class:`AllowList`)
    :raises UnsafeURL: the URL is malformed or its destination is refused
    :raises ConfigError: the allow-list itself is malformed
    """
    allowed = _as_allow_list(allow_list)
    if not isinstance(url, str):
        raise UnsafeURL("URL is not text")
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeURL(f"URL longer than {MAX_URL_LENGTH} characters")
    if any(ord(c) <= 0x20 or 0x7F <= ord(c) <= 0x9F for c in url) or "\\" in url:
        raise UnsafeURL("URL contains whitespace, control characters or a backslash")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise UnsafeURL(f"URL cannot be parsed ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise UnsafeURL(f"scheme {scheme or '(none)'!r} is not allowed; use http or https")
    netloc = parts.netloc
    if not netloc:
        raise UnsafeURL("URL has no host")
    if "@" in netloc:
        raise UnsafeURL("credentials in the URL are not allowed; use the endpoint's auth settings")
    raw_host, port = _split_netloc(netloc, _DEFAULT_PORTS[scheme])
    host, ip, allow_listed = _check_host(raw_host, allowed)
    return ParsedTarget(scheme=scheme, host=host, port=port, ip=ip, allow_listed=allow_listed)


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with ``getaddrinfo`` on the running event loop's executor."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def resolve_and_check(
    host: str,
    port: int,
    resolver: Resolver | None = None,
    allow_list: Iterable[str] | AllowList = (),
    dns_timeout: float | None = None,
) -> list[IPAddress]:
    """Resolve ``host`` and check every address it resolves to; call it right before connecting.

    :param host: the host to connect to (a name or an IP literal, brackets optional)
    :param port: the port to connect to
    :param resolver: ``async (host, port) -> addresses``; defaults to :func:`system_resolver`
    :param allow_list: explicitly permitted hosts/CIDRs
    :param dns_timeout: seconds to wait for the resolver (default :data:`DEFAULT_RESOLVE_TIMEOUT`)
    :returns: the checked addresses, in resolver order, without duplicates
    :raises UnsafeURL: the host, or any address it resolves to, is refused
    :raises ResolutionFailed: the name did not resolve (a transient failure)
    """
    allowed = _as_allow_list(allow_list)
    if not isinstance(host, str):
        raise UnsafeURL("host is not text")
    name = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if ":" in name:
        ip6 = _parse_ipv6(name)
        _check_ip(ip6, allowed)
        return [ip6]
    checked_host, ip, host_allowed = _check_host(name, allowed)
    if ip is not None:
        return [ip]
    resolve = resolver or system_resolver
    try:
        async with asyncio.timeout(dns_timeout if dns_timeout is not None else DEFAULT_RESOLVE_TIMEOUT):
            raw_addresses = await resolve(checked_host, port)
    except TimeoutError:
        raise ResolutionFailed(f"resolving {checked_host!r} timed out") from None
    except OSError as exc:  # socket.gaierror and friends
        raise ResolutionFailed(f"cannot resolve {checked_host!r}: {exc}") from exc
    addresses: list[IPAddress] = []
    for raw in raw_addresses:
        try:
            address = ipaddress.ip_address(str(raw).partition("%")[0])
        except ValueError:
            raise UnsafeURL(f"{checked_host} resolved to something that is not an address") from None
        if address in addresses:
            continue
        if host_allowed:
            if address in ALWAYS_REFUSED_ADDRESSES:
                raise UnsafeURL(f"{checked_host} resolves to {address}: cloud metadata endpoint")
        else:
            try:
                _check_ip(address, allowed)
            except UnsafeURL as exc:
                raise UnsafeURL(f"{checked_host} resolves to {address}: {exc.reason}") from None
        addresses.append(address)
    if not addresses:
        raise ResolutionFailed(f"{checked_host!r} resolved to no address")
    return addresses


class GuardedBackend(httpcore2.AsyncNetworkBackend):
    """An httpcore network backend that resolves, checks and then connects to a checked address."""

    def __init__(
        self,
        allow_list: Iterable[str] | AllowList = (),
        resolver: Resolver | None = None,
        inner: httpcore2.AsyncNetworkBackend | None = None,
    ) -> None:
        self._allow_list = _as_allow_list(allow_list)
        self._resolver = resolver
        self._inner = inner if inner is not None else httpcore2.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's backend interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        try:
            addresses = await resolve_and_check(host, port, self._resolver, self._allow_list, timeout)
        except ResolutionFailed as exc:
            # surfaces as httpx2.ConnectError, which the worker classifies as a DNS/connect failure
            raise httpcore2.ConnectError(str(exc)) from exc
        last_error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore2.ConnectError, httpcore2.ConnectTimeout) as exc:
                last_error = exc
        raise last_error or httpcore2.ConnectError(f"no address to connect to for {host!r}")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's backend interface
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        raise UnsafeURL("unix sockets are not an allowed outbound destination")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx2.AsyncHTTPTransport):
    """``httpx2.AsyncHTTPTransport`` that refuses unsafe destinations, by URL and again at connect time.

    Use with ``follow_redirects=False`` (see :func:`guarded_client`). Proxies and unix sockets are not
    supported. :class:`UnsafeURL` propagates out of ``client.send()`` unchanged.
    """

    def __init__(
        self,
        *,
        allow_list: Iterable[str] | AllowList = (),
        resolver: Resolver | None = None,
        network_backend: httpcore2.AsyncNetworkBackend | None = None,
        verify: ssl.SSLContext | str | bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx2.Limits = DEFAULT_LIMITS,
        retries: int = 0,
    ) -> None:
        super().__init__(verify=verify, trust_env=False, http1=http1, http2=http2, limits=limits)
        self._allow_list = _as_allow_list(allow_list)
        # same pool as the parent builds, but with the guarded backend doing every TCP connect
        self._pool = httpcore2.AsyncConnectionPool(
            ssl_context=httpx2.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=http1,
            http2=http2,
            retries=retries,
            network_backend=GuardedBackend(self._allow_list, resolver, network_backend),
        )

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        check_url(str(request.url), self._allow_list)
        return await super().handle_async_request(request)


def guarded_client(
    *,
    allow_list: Iterable[str] | AllowList = (),
    resolver: Resolver | None = None,
    timeout: httpx2.Timeout = DEFAULT_CLIENT_TIMEOUT,
    limits: httpx2.Limits = DEFAULT_LIMITS,
    network_backend: httpcore2.AsyncNetworkBackend | None = None,
) -> httpx2.AsyncClient:
    """An ``httpx2.AsyncClient`` for outbound deliveries: guarded transport, no redirects, no env proxies."""
    transport = GuardedTransport(
        allow_list=allow_list, resolver=resolver, network_backend=network_backend, limits=limits
    )
    return httpx2.AsyncClient(transport=transport, follow_redirects=False, trust_env=False, timeout=timeout)


# --- host and address rules ----------------------------------------------------------------------------


def _as_allow_list(allow_list: Iterable[str] | AllowList) -> AllowList:
    if isinstance(allow_list, AllowList):
        return allow_list
    if isinstance(allow_list, str):  # a lone string would otherwise be read character by character
        return AllowList.parse([allow_list])
    return AllowList.parse(allow_list)


def _split_netloc(netloc: str, default_port: int) -> tuple[str, int]:
    if netloc.startswith("["):
        end = netloc.find("]")
        if end < 0:
            raise UnsafeURL("unterminated IPv6 literal")
        host, rest = netloc[: end + 1], netloc[end + 1 :]
        if rest and not rest.startswith(":"):
            raise UnsafeURL("unexpected text after IPv6 literal")
        port_text = rest[1:]
    else:
        host, _, port_text = netloc.partition(":")
        if ":" in port_text:
            raise UnsafeURL("malformed host or port (IPv6 literals must be in brackets)")
    if not port_text:
        return host, default_port
    if not _PORT.fullmatch(port_text) or not 1 <= int(port_text) <= 65535:
        raise UnsafeURL(f"invalid port {port_text!r}")
    return host, int(port_text)


def _check_host(raw_host: str, allowed: AllowList) -> tuple[str, IPAddress | None, bool]:
    """Normalise a URL host and apply the rules; returns ``(host, ip, allow_listed)``."""
    if raw_host.startswith("["):
        if not raw_host.endswith("]"):
            raise UnsafeURL("malformed IPv6 literal")
        ip6 = _parse_ipv6(raw_host[1:-1])
        return str(ip6), ip6, _check_ip(ip6, allowed)
    host = _idna(raw_host).lower()
    if host.endswith("."):
        host = host[:-1]
    if not host:
        raise UnsafeURL("URL has no host")
    if len(host) > MAX_HOST_LENGTH or not _HOST_CHARS.fullmatch(host):
        raise UnsafeURL("host contains characters not allowed in a host name")
    labels = host.split(".")
    if any(not label or len(label) > MAX_LABEL_LENGTH for label in labels):
        raise UnsafeURL("host has an empty or over-long label")

    last = labels[-1]
    if _DECIMAL.fullmatch(last) or _HEX.fullmatch(last):
        # a host ending in a number is an IPv4 address (WHATWG), however it is spelled
        ip4 = _parse_legacy_ipv4(labels)
        allow_listed = _check_ip(ip4, allowed)
        if not _CANONICAL_IPV4.fullmatch(host):
            raise UnsafeURL(f"non-canonical IPv4 spelling {host!r} (means {ip4}); write the dotted quad")
        return host, ip4, allow_listed

    if host in _METADATA_HOSTS:
        raise UnsafeURL(f"{host!r} is a cloud metadata host")
    if allowed.permits_host(host):
        return host, None, True
    if any(host == suffix or host.endswith("." + suffix) for suffix in _INTERNAL_SUFFIXES):
        raise UnsafeURL(f"{host!r} names a local or internal-only host")
    if len(labels) == 1:
        raise UnsafeURL(f"single-label host {host!r} would resolve through local search domains")
    return host, None, False


def _idna(host: str) -> str:
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        raise UnsafeURL("host is not a valid internationalised domain name") from None


def _parse_ipv6(text: str) -> ipaddress.IPv6Address:
    if "%" in text:
        raise UnsafeURL("IPv6 zone identifiers are not allowed")
    try:
        return ipaddress.IPv6Address(text)
    except ValueError:
        raise UnsafeURL("malformed IPv6 literal") from None


def _parse_legacy_ipv4(labels: list[str]) -> ipaddress.IPv4Address:
    """Read 1-4 dotted parts in decimal, octal (leading 0) or hex (0x), as ``inet_aton`` does."""
    if len(labels) > 4:
        raise UnsafeURL("host ends in a number but is not an IPv4 address")
    numbers: list[int] = []
    for label in labels:
        if label.startswith("0x"):
            digits, base = label[2:], 16
        elif len(label) > 1 and label.startswith("0"):
            digits, base = label[1:], 8
        else:
            digits, base = label, 10
        if digits == "" and base == 16:
            value = 0  # "0x" alone is zero for inet_aton
        else:
            try:
                value = int(digits, base) if digits.isascii() and digits.isalnum() else -1
            except ValueError:
                value = -1
        if value < 0:
            raise UnsafeURL(f"malformed number {label!r} in numeric host")
        numbers.append(value)
    *head, tail = numbers
    if any(n > 255 for n in head) or tail >= 256 ** (5 - len(numbers)):
        raise UnsafeURL("numeric host out of range for IPv4")
    value = tail
    for index, part in enumerate(head):
        value += part << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _check_ip(ip: IPAddress, allowed: AllowList) -> bool:
    """Raise if ``ip`` is refused; return whether the allow-list (not the rules) let it through."""
    if ip in ALWAYS_REFUSED_ADDRESSES:
        raise UnsafeURL(f"{ip} is a cloud metadata endpoint")
    if allowed.permits_ip(ip):
        return True
    reason = _ip_refusal(ip)
    if reason is not None:
        raise UnsafeURL(f"{ip} refused: {reason}")
    return False


def _ip_refusal(ip: IPAddress) -> str | None:
    if isinstance(ip, ipaddress.IPv4Address):
        for net4, why in _IPV4_REFUSED:
            if ip in net4:
                return why
        return None if ip.is_global else "non-global address"
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        kind, v4 = embedded
        inner = "cloud metadata endpoint" if v4 in ALWAYS_REFUSED_ADDRESSES else _ip_refusal(v4)
        if inner is not None:
            return f"{kind} embedding {v4} ({inner})"
    for net6, why in _IPV6_REFUSED:
        if ip in net6:
            return why
    return None if ip.is_global else "non-global address"


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    if ip.ipv4_mapped is not None:
        return "IPv4-mapped address", ip.ipv4_mapped
    if ip.sixtofour is not None:
        return "6to4 address", ip.sixtofour
    if ip.teredo is not None:
        return "Teredo address", ip.teredo[1]
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _NAT64:
        return "NAT64 address", low32
    if ip in _SIIT:
        return "IPv4-translated address", low32
    if int(ip) >> 32 == 0 and int(ip) > 1:
        return "IPv4-compatible address", low32
    return None


class GuardedResolver:
    """An ``aiohttp`` resolver that checks every address a name resolves to, right before connecting.

    ``aiohttp`` does not consult the resolver for IP literals, so callers must also :func:`check_url` each
    request URL (``HttpSender`` does); together they give the same guarantees as :class:`GuardedTransport`.
    """

    def __init__(self, allow_list: Iterable[str] | AllowList = (), resolver: Resolver | None = None) -> None:
        self._allow_list = _as_allow_list(allow_list)
        self._resolver = resolver

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[dict[str, Any]]:
        addresses = await resolve_and_check(host, port, self._resolver, self._allow_list)
        return [
            {
                "hostname": host,
                "host": str(ip),
                "port": port,
                "family": socket.AF_INET6 if ip.version == 6 else socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
            for ip in addresses
        ]

    async def close(self) -> None:
        return None
