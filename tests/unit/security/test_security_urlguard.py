"""Outbound URL guard: a corpus of refused and accepted URLs, DNS rebinding, allow-lists, the transport, fuzz."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence

import httpcore2
import httpx2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradelane.core.errors import ConfigError, TradelaneError
from tradelane.security.urlguard import (
    AllowList,
    GuardedTransport,
    ResolutionFailed,
    UnsafeURL,
    check_url,
    guarded_client,
    resolve_and_check,
)

BAD_URLS = [
    # schemes
    "ftp://example.com/file",
    "file:///etc/passwd",
    "gopher://example.com:70/_",
    "javascript:alert(1)",
    "data:text/plain,hi",
    "//example.com/no-scheme",
    "example.com/no-scheme",
    "http:example.com",
    "http:///path-only",
    # credentials
    "https://user:pass@example.com/",
    "https://user@example.com/",
    "http://example.com@127.0.0.1/",
    "http://127.0.0.1#@example.com@10.0.0.1/",
    # loopback and its spellings
    "http://127.0.0.1/",
    "http://127.255.255.254:8080/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0x7F.0x0.0x0.0x1/",
    "http://0177.0.0.1/",
    "http://0177.0000.0000.0001/",
    "http://127.1/",
    "http://127.0.1/",
    "http://0x7f.1/",
    "http://0177.1/",
    "http://127.0.0.1./",
    "http://１２７.０.０.１/",
    "http://127。0。0。1/",
    "http://[::1]/",
    "http://[0:0:0:0:0:0:0:1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[::127.0.0.1]/",
    "http://[2002:7f00:1::]/",
    "http://[64:ff9b::127.0.0.1]/",
    "http://[::ffff:0:127.0.0.1]/",
    # private / CGNAT / this-network
    "http://10.0.0.1/",
    "http://10.1/",
    "http://167772161/",
    "http://172.16.0.1/",
    "http://172.31.255.255/",
    "http://192.168.1.1/",
    "http://0xc0a80101/",
    "http://100.64.0.1/",
    "http://100.127.255.254/",
    "http://0.0.0.0/",
    "http://0/",
    "http://0.1.2.3/",
    "http://[::]/",
    # link-local and metadata
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.1.1/",
    "http://2852039166/",
    "http://[fe80::1]/",
    "http://[fe80::1%25eth0]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[fd00:ec2::254]/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://metadata/",
    "http://instance-data/",
    "http://100.100.100.200/",
    "http://168.63.129.16/",
    # ULA, multicast, reserved, broadcast, documentation
    "http://[fc00::1]/",
    "http://[fd12:3456::1]/",
    "http://[ff02::1]/",
    "http://224.0.0.1/",
    "http://239.255.255.250/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://192.0.2.10/",
    "http://198.18.0.1/",
    "http://[2001:db8::1]/",
    "http://[64:ff9b::a00:1]/",
    "http://[2002:c0a8:101::]/",
    # names
    "http://localhost/",
    "http://LOCALHOST:8069/",
    "http://localhost./",
    "http://api.localhost/",
    "http://printer.local/",
    "http://db.internal/",
    "http://intranet/",
    # odd spellings of public addresses and malformed hosts
    "http://134744072/",
    "http://8.8.8.010/",
    "http://1.2.3.4.5/",
    "http://256.1.1.1/",
    "http://1.2.3.0x100/",
    "http://09.1.1.1/",
    "http://foo.123/",
    "http://[::1/",
    "http://[v1.fe]/",
    "http://::1/",
    "http://exa mple.com/",
    "http://example.com\\@127.0.0.1/",
    "http://exam%70le.com/",
    "http://example..com/",
    "http://example.com:0/",
    "http://example.com:65536/",
    "http://example.com:80a/",
    "http://example.com:+80/",
    "http://example.com\n.evil/",
    "http://" + "a" * 64 + ".com/",
    "https://example.com/" + "a" * 3000,
    "",
]

GOOD_URLS = [
    ("https://example.com/hooks", "example.com", 443),
    ("http://example.com:8080/x?y=1", "example.com", 8080),
    ("https://api.partner-tms.eu/v1/events", "api.partner-tms.eu", 443),
    ("HTTPS://Example.COM/", "example.com", 443),
    ("https://example.com./trailing-dot", "example.com", 443),
    ("https://8.8.8.8/", "8.8.8.8", 443),
    ("http://93.184.216.34:81/", "93.184.216.34", 81),
    ("https://[2606:4700:4700::1111]/", "2606:4700:4700::1111", 443),
    ("https://[2001:4860:4860::8888]:8443/", "2001:4860:4860::8888", 8443),
    ("https://bücher.example/", "xn--bcher-kva.example", 443),
    ("https://example.com:/empty-port", "example.com", 443),
    ("https://wms.example.co.uk/path#frag", "wms.example.co.uk", 443),
    ("https://172.32.0.1/", "172.32.0.1", 443),
    ("https://100.128.0.1/", "100.128.0.1", 443),
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsafeURL) as info:
        check_url(url)
    assert info.value.reason


@pytest.mark.parametrize(("url", "host", "port"), GOOD_URLS)
def test_good_urls_pass(url: str, host: str, port: int) -> None:
    target = check_url(url)
    assert (target.host, target.port) == (host, port)
    assert target.scheme in ("http", "https")
    assert not target.allow_listed


def test_corpus_is_big_enough() -> None:
    assert len(BAD_URLS) >= 40 and len(GOOD_URLS) >= 10


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("http://2130706433/", "loopback"),
        ("http://0x7f000001/", "loopback"),
        ("http://0177.0.0.1/", "loopback"),
        ("http://10.1/", "private"),
        ("http://[::ffff:127.0.0.1]/", "IPv4-mapped"),
        ("http://[2002:7f00:1::]/", "6to4"),
        ("http://[64:ff9b::a00:1]/", "NAT64"),
        ("http://169.254.169.254/", "metadata"),
        ("http://100.64.0.1/", "carrier-grade NAT"),
        ("http://134744072/", "non-canonical"),
        ("https://u:p@example.com/", "credentials"),
        ("ftp://example.com/", "scheme"),
    ],
)
def test_reasons_say_what_was_wrong(url: str, needle: str) -> None:
    with pytest.raises(UnsafeURL, match=needle):
        check_url(url)


def test_parsed_target_carries_the_ip_for_literals() -> None:
    assert check_url("https://8.8.8.8/").ip == ipaddress.ip_address("8.8.8.8")
    assert check_url("https://example.com/").ip is None


# --- allow-list -------------------------------------------------------------------------------------------


def test_allow_list_permits_on_premise_partners() -> None:
    allow = ["10.20.0.0/16", "wms.partner.lan", "*.corp.example", "192.168.7.7", "fd00:1234::/32"]
    assert check_url("http://10.20.3.4:8080/", allow).allow_listed
    assert check_url("http://wms.partner.lan/", allow).allow_listed
    assert check_url("http://edi.corp.example/", allow).allow_listed
    assert check_url("http://192.168.7.7/", allow).allow_listed
    assert check_url("http://[fd00:1234::5]/", allow).allow_listed
    # outside the allowed ranges: still refused
    for url in ("http://10.21.0.1/", "http://127.0.0.1/", "http://other.lan/", "http://192.168.7.8/"):
        with pytest.raises(UnsafeURL):
            check_url(url, allow)


def test_allow_list_never_permits_metadata_or_odd_spellings() -> None:
    with pytest.raises(UnsafeURL, match="metadata"):
        check_url("http://169.254.169.254/", ["169.254.0.0/16"])
    with pytest.raises(UnsafeURL, match="metadata"):
        check_url("http://metadata.google.internal/", ["metadata.google.internal"])
    with pytest.raises(UnsafeURL, match="non-canonical"):
        check_url("http://167772161/", ["10.0.0.0/8"])
    with pytest.raises(UnsafeURL, match="credentials"):
        check_url("http://u:p@10.0.0.1/", ["10.0.0.0/8"])


@pytest.mark.parametrize("entry", ["0.0.0.0/0", "::/0", "10.0.0.0/7", "not a host!", "", "*.", "a..b"])
def test_bad_allow_list_entries_are_config_errors(entry: str) -> None:
    with pytest.raises(ConfigError):
        AllowList.parse([entry])


# --- connect-time checks and DNS rebinding ----------------------------------------------------------------


class FakeResolver:
    """Answers from a script, one answer per call (the last one repeats); records queries."""

    def __init__(self, *answers: Sequence[str] | Exception) -> None:
        self.answers = list(answers)
        self.queries: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        self.queries.append((host, port))
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


async def test_resolve_and_check_accepts_public_addresses() -> None:
    resolver = FakeResolver(["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "93.184.216.34"])
    addresses = await resolve_and_check("example.com", 443, resolver)
    assert [str(a) for a in addresses] == ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]
    assert resolver.queries == [("example.com", 443)]


async def test_rebinding_public_then_private_is_refused() -> None:
    resolver = FakeResolver(["93.184.216.34"], ["127.0.0.1"])
    assert check_url("https://rebind.example/").host == "rebind.example"
    first = await resolve_and_check("rebind.example", 443, resolver)
    assert [str(a) for a in first] == ["93.184.216.34"]
    with pytest.raises(UnsafeURL, match="resolves to 127.0.0.1"):
        await resolve_and_check("rebind.example", 443, resolver)


async def test_every_resolved_address_must_pass() -> None:
    resolver = FakeResolver(["93.184.216.34", "10.0.0.5"])
    with pytest.raises(UnsafeURL, match="10.0.0.5"):
        await resolve_and_check("mixed.example", 443, resolver)
    mapped = FakeResolver(["::ffff:169.254.169.254"])
    with pytest.raises(UnsafeURL):
        await resolve_and_check("mapped.example", 443, mapped)
    scoped = FakeResolver(["fe80::1%eth0"])
    with pytest.raises(UnsafeURL, match="link-local"):
        await resolve_and_check("scoped.example", 443, scoped)


async def test_resolve_checks_the_name_before_resolving() -> None:
    resolver = FakeResolver(["93.184.216.34"])
    for host in ("localhost", "metadata.google.internal", "0x7f000001", "[::1]", "::1"):
        with pytest.raises(UnsafeURL):
            await resolve_and_check(host, 80, resolver)
    assert resolver.queries == []
    assert [str(a) for a in await resolve_and_check("8.8.8.8", 80, resolver)] == ["8.8.8.8"]
    assert [str(a) for a in await resolve_and_check("2606:4700::1111", 80, resolver)] == ["2606:4700::1111"]
    assert resolver.queries == []


async def test_allow_listed_names_may_resolve_privately_but_never_to_metadata() -> None:
    allow = ["wms.partner.lan"]
    ok = await resolve_and_check("wms.partner.lan", 443, FakeResolver(["10.9.8.7"]), allow)
    assert [str(a) for a in ok] == ["10.9.8.7"]
    with pytest.raises(UnsafeURL, match="metadata"):
        await resolve_and_check("wms.partner.lan", 443, FakeResolver(["169.254.169.254"]), allow)
    cidr = await resolve_and_check("tms.example.com", 443, FakeResolver(["10.20.1.1"]), ["10.20.0.0/16"])
    assert [str(a) for a in cidr] == ["10.20.1.1"]


async def test_dns_failures_are_transient_not_unsafe() -> None:
    with pytest.raises(ResolutionFailed) as info:
        await resolve_and_check(
            "nx.example", 443, FakeResolver(socket.gaierror(-2, "Name or service not known"))
        )
    assert info.value.retryable
    with pytest.raises(ResolutionFailed):
        await resolve_and_check("empty.example", 443, FakeResolver([]))


async def test_resolver_returning_garbage_is_refused() -> None:
    with pytest.raises(UnsafeURL):
        await resolve_and_check("odd.example", 443, FakeResolver(["not-an-ip"]))


# --- the transport ----------------------------------------------------------------------------------------

RESPONSE = [b"HTTP/1.1 200 OK\r\n", b"Content-Type: text/plain\r\n", b"Content-Length: 2\r\n", b"\r\n", b"ok"]


class RecordingBackend(httpcore2.AsyncMockBackend):
    """httpcore's mock backend that also records which address was connected to."""

    def __init__(self) -> None:
        super().__init__(RESPONSE)
        self.connected: list[str] = []

    async def connect_tcp(
        self, host: str, port: int, *args: object, **kwargs: object
    ) -> httpcore2.AsyncNetworkStream:
        self.connected.append(f"{host}:{port}")
        return await super().connect_tcp(host, port)


async def test_transport_connects_to_the_checked_address() -> None:
    backend = RecordingBackend()
    resolver = FakeResolver(["93.184.216.34"])
    async with guarded_client(resolver=resolver, network_backend=backend) as client:
        response = await client.post("http://partner.example/hook", content=b"{}")
    assert response.status_code == 200 and response.text == "ok"
    assert backend.connected == ["93.184.216.34:80"]
    assert resolver.queries == [("partner.example", 80)]


async def test_transport_refuses_rebinding_at_connect_time() -> None:
    backend = RecordingBackend()
    resolver = FakeResolver(["93.184.216.34"], ["169.254.169.254"])
    async with guarded_client(resolver=resolver, network_backend=backend) as first:
        assert (await first.get("http://rebind.example/")).status_code == 200
    async with guarded_client(resolver=resolver, network_backend=backend) as second:
        with pytest.raises(UnsafeURL, match="metadata"):
            await second.get("http://rebind.example/")
    assert backend.connected == ["93.184.216.34:80"]


async def test_transport_refuses_unsafe_urls_before_any_lookup() -> None:
    backend = RecordingBackend()
    resolver = FakeResolver(["93.184.216.34"])
    async with guarded_client(resolver=resolver, network_backend=backend) as client:
        for url in ("http://127.0.0.1/", "http://localhost:8069/", "http://[::1]/", "http://0x7f000001/"):
            with pytest.raises(UnsafeURL):
                await client.get(url)
    assert resolver.queries == [] and backend.connected == []


async def test_dns_failure_surfaces_as_httpx_connect_error() -> None:
    resolver = FakeResolver(socket.gaierror(-2, "Name or service not known"))
    async with guarded_client(resolver=resolver, network_backend=RecordingBackend()) as client:
        with pytest.raises(httpx2.ConnectError):
            await client.get("https://nx.example/")


async def test_guarded_client_does_not_follow_redirects() -> None:
    redirect = [
        b"HTTP/1.1 302 Found\r\n",
        b"Location: http://127.0.0.1/\r\n",
        b"Content-Length: 0\r\n",
        b"\r\n",
    ]
    backend = httpcore2.AsyncMockBackend(redirect)
    async with guarded_client(resolver=FakeResolver(["93.184.216.34"]), network_backend=backend) as client:
        response = await client.get("http://partner.example/")
    assert response.status_code == 302
    assert not client.follow_redirects


async def test_followed_redirect_to_private_address_is_still_refused() -> None:
    redirect = [
        b"HTTP/1.1 302 Found\r\n",
        b"Location: http://10.0.0.1/\r\n",
        b"Content-Length: 0\r\n",
        b"\r\n",
    ]
    transport = GuardedTransport(
        resolver=FakeResolver(["93.184.216.34"]), network_backend=httpcore2.AsyncMockBackend(redirect)
    )
    async with httpx2.AsyncClient(transport=transport, follow_redirects=True) as client:
        with pytest.raises(UnsafeURL, match="10.0.0.1"):
            await client.get("http://partner.example/")


# --- fuzz ---------------------------------------------------------------------------------------------------

_url_pieces = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda scheme, userinfo, host, port, path: f"{scheme}://{userinfo}{host}{port}{path}",
        st.sampled_from(["http", "https", "HTTP", "ftp", ""]),
        st.sampled_from(["", "u@", "u:p@", "@"]),
        st.one_of(
            st.text(alphabet="0123456789abcdefx.:[]%-", max_size=30),
            st.ip_addresses().map(lambda ip: f"[{ip}]" if ip.version == 6 else str(ip)),
            st.ip_addresses(v=4).map(lambda ip: str(int(ip))),
            st.ip_addresses(v=4).map(lambda ip: hex(int(ip))),
            st.text(max_size=20),
        ),
        st.one_of(
            st.just(""),
            st.integers(-5, 70000).map(lambda p: f":{p}"),
            st.text(max_size=6).map(lambda t: ":" + t),
        ),
        st.text(max_size=20).map(lambda t: "/" + t),
    ),
)


@settings(max_examples=1000, deadline=None)
@given(url=_url_pieces)
def test_fuzzed_urls_give_a_target_or_unsafe_url(url: str) -> None:
    try:
        target = check_url(url)
    except UnsafeURL:
        return
    assert target.scheme in ("http", "https")
    assert 1 <= target.port <= 65535
    if target.ip is not None:
        assert target.ip.is_global and not target.ip.is_private


@settings(max_examples=300, deadline=None)
@given(
    host=st.one_of(st.text(max_size=40), st.ip_addresses().map(str)),
    answer=st.lists(st.ip_addresses().map(str)),
)
async def test_fuzzed_resolution_gives_addresses_or_declared_errors(host: str, answer: list[str]) -> None:
    try:
        addresses = await resolve_and_check(host, 443, FakeResolver(answer))
    except (UnsafeURL, ResolutionFailed):
        return
    assert addresses
    assert all(a.is_global for a in addresses)


def test_errors_are_in_the_tree() -> None:
    assert issubclass(UnsafeURL, TradelaneError)
    assert issubclass(ResolutionFailed, TradelaneError)
