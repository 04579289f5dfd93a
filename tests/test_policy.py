"""fetch/policy.py: what the address policy refuses and allows (RELIABILITY A1, A2, A5, A6).

Names resolve through a stub; nothing here opens a connection.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from snapverify.errors import AddressRefused, FetchError
from snapverify.fetch.policy import AddressPolicy, system_resolver


def stub(names: dict[str, list[str]]) -> Any:
    async def resolve(host: str, port: int) -> list[str]:
        if host not in names:
            raise socket.gaierror(socket.EAI_NONAME, f"stub: unknown host {host}")
        return list(names[host])

    return resolve


def resolve(policy: AddressPolicy, host: str, port: int = 80) -> list[str]:
    result: list[str] = asyncio.run(policy.resolve(host, port))
    return result


REFUSED = [
    ("10.0.0.1", "private"),
    ("172.16.5.4", "private"),
    ("192.168.1.1", "private"),
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("0.0.0.0", "unspecified"),
    ("169.254.169.254", "link-local"),
    ("100.64.0.1", "CGNAT"),
    ("100.127.255.254", "CGNAT"),
    ("224.0.0.251", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("192.0.2.10", "private"),  # documentation range
    ("::1", "loopback"),
    ("::", "unspecified"),
    ("fe80::1", "link-local"),
    ("fc00::1", "private"),
    ("fd12:3456::1", "private"),
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:10.0.0.1", "private"),
    ("::ffff:100.64.0.1", "CGNAT"),
    ("64:ff9b::7f00:1", "loopback"),  # NAT64 of 127.0.0.1
    ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
    ("64:ff9b:1::1", "NAT64"),
    ("2002:7f00:1::1", "loopback"),  # 6to4 of 127.0.0.1
    ("2002:a9fe:a9fe::1", "link-local"),  # 6to4 of 169.254.169.254
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "private"),  # Teredo, client 127.0.0.1
]


@pytest.mark.parametrize(("address", "kind"), REFUSED, ids=[a for a, _ in REFUSED])
def test_refused_addresses(address: str, kind: str) -> None:
    policy = AddressPolicy(resolver=stub({"evil.test": [address]}))
    assert not policy.is_allowed("evil.test", address)
    with pytest.raises(AddressRefused) as caught:
        resolve(policy, "evil.test")
    message = str(caught.value)
    assert "evil.test" in message and address in message and kind in message


@pytest.mark.parametrize(
    "address",
    ["93.184.216.34", "8.8.8.8", "2606:4700::6810:85e5", "::ffff:8.8.8.8", "2002:808:808::1"],
)
def test_public_addresses_are_allowed(address: str) -> None:
    policy = AddressPolicy(resolver=stub({"example.test": [address]}))
    assert policy.is_allowed("example.test", address)
    assert resolve(policy, "example.test") == [address]


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("012.0.0.1", "10.0.0.1"),
        ("167772161", "10.0.0.1"),
        ("[::ffff:7f00:1]", "::ffff:7f00:1"),
    ],
)
def test_numeric_spellings_are_resolved_then_decided(host: str, address: str) -> None:
    never = stub({})  # a literal must not reach the resolver
    with pytest.raises(AddressRefused, match=address.replace(".", r"\.")):
        resolve(AddressPolicy(resolver=never), host)
    if address.endswith("127.0.0.1") or address.endswith("7f00:1"):
        assert resolve(AddressPolicy(allow_private=True, resolver=never), host)


def test_only_allowed_addresses_are_returned() -> None:
    policy = AddressPolicy(resolver=stub({"mixed.test": ["10.0.0.1", "93.184.216.34", "::1"]}))
    assert resolve(policy, "mixed.test") == ["93.184.216.34"]


def test_allow_private_allows_loopback_only() -> None:
    names = {"local.test": ["127.0.0.1", "::1"], "internal.test": ["10.0.0.1"]}
    strict = AddressPolicy(resolver=stub(names))
    relaxed = AddressPolicy(allow_private=True, resolver=stub(names))
    with pytest.raises(AddressRefused):
        resolve(strict, "local.test")
    assert resolve(relaxed, "local.test") == ["127.0.0.1", "::1"]
    # The proof the tests rely on: a private address stays refused with the allowance on.
    with pytest.raises(AddressRefused, match="10.0.0.1"):
        resolve(relaxed, "internal.test")
    assert not relaxed.is_allowed("internal.test", "169.254.169.254")


def test_archive_hosts_are_allowed_with_allow_private() -> None:
    names = {"pywb.test": ["10.1.2.3"], "other.test": ["10.1.2.3"]}
    policy = AddressPolicy(
        allow_private=True, allowed_hosts=["http://PYWB.test:8080/coll"], resolver=stub(names)
    )
    assert resolve(policy, "pywb.test", 8080) == ["10.1.2.3"]
    assert policy.is_allowed("pywb.test.", "10.1.2.3")
    assert AddressPolicy(allow_private=True, allowed_hosts=["pywb.test:8080"]).is_allowed(
        "pywb.test", "10.1.2.3"
    )
    with pytest.raises(AddressRefused):
        resolve(policy, "other.test")
    without = AddressPolicy(allowed_hosts=["pywb.test"], resolver=stub(names))
    with pytest.raises(AddressRefused):
        resolve(without, "pywb.test")


def test_allow_networks_adds_ranges() -> None:
    policy = AddressPolicy(allow_networks=["10.0.0.0/8", "fd00::/8"])
    assert policy.is_allowed("x.test", "10.0.0.1")
    assert policy.is_allowed("x.test", "fd00::5")
    assert not policy.is_allowed("x.test", "192.168.0.1")
    assert not policy.is_allowed("x.test", "127.0.0.1")


def test_resolver_failure_is_a_dns_fetch_error() -> None:
    with pytest.raises(FetchError) as caught:
        resolve(AddressPolicy(resolver=stub({})), "nowhere.test")
    assert caught.value.reason == "dns" and caught.value.outcome == "unreachable"
    with pytest.raises(FetchError, match="no address"):
        resolve(AddressPolicy(resolver=stub({"empty.test": []})), "empty.test")


def test_not_an_address_is_refused() -> None:
    assert not AddressPolicy(allow_private=True).is_allowed("x", "not-an-ip")


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/file",
        "data:text/html,<script>alert(1)</script>",
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "mailto:someone@example.com",
        "gopher://example.com/",
        "//example.com/no-scheme",
        "example.com/no-scheme",
    ],
)
def test_non_http_schemes_are_refused(url: str) -> None:
    with pytest.raises(AddressRefused, match="not HTTP"):
        AddressPolicy().check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1\\@example.com/",  # backslash: parsers split it differently
        "http://example.com\\.evil.test/",
        "http://a\u3002com/",  # ideographic full stop: a dot to httpx, not to urllib
        "http://ex ample.com/",
        "http://exa\tmple.com/",
        "http://example.com\n.evil.test/",
        "http:///no-host",
        "http://%31%32%37.0.0.1/",
        "http://[fe80::1%25eth0]/",
        "http://example.com:99999/",
        "http://[v1.x]/",
    ],
)
def test_suspicious_urls_are_refused(url: str) -> None:
    with pytest.raises(AddressRefused):
        AddressPolicy(allow_private=True).check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/",
        "HTTPS://Example.COM:443/path?q=1#frag",
        "http://user:pw@example.com:8080/",
        "http://[2606:4700::1]/",
        "http://b\u00fccher.de/",
        "http://2130706433/",  # a numeric spelling passes here; resolve decides it
    ],
)
def test_plain_urls_pass_the_text_check(url: str) -> None:
    AddressPolicy().check_url(url)


def test_system_resolver_on_literals() -> None:
    # Literals only: the test suite never asks a real DNS server.
    assert asyncio.run(system_resolver("127.0.0.1", 80)) == ["127.0.0.1"]
    assert asyncio.run(system_resolver("::1", 443)) == ["::1"]


def test_a_name_is_resolved_once_per_policy_and_a_failure_is_asked_again() -> None:
    calls: list[str] = []
    answers = iter([OSError("temporary failure"), ["93.184.216.34"]])

    async def resolver(host: str, _port: int) -> list[str]:
        calls.append(host)
        answer = next(answers)
        if isinstance(answer, OSError):
            raise answer
        return answer

    policy = AddressPolicy(resolver=resolver)

    async def run() -> list[list[str]]:
        with pytest.raises(FetchError):
            await policy.resolve("site.test", 443)
        return [await policy.resolve("site.test", 443) for _ in range(3)]

    assert asyncio.run(run()) == [["93.184.216.34"]] * 3
    assert calls == ["site.test", "site.test"]
