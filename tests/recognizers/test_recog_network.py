"""IP address and e-mail address literals."""

from __future__ import annotations

import ipaddress

import pytest

from privlint.recognizers.network import (
    EmailMatch,
    IpMatch,
    find_emails,
    find_public_ips,
    is_documentation_domain,
    is_public_ip,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8.8.8.8", [IpMatch("8.8.8.8", 4)]),
        ("connect to 1.1.1.1:53 now", [IpMatch("1.1.1.1", 4)]),
        ("http://93.184.216.34/index.html", [IpMatch("93.184.216.34", 4)]),
        ("resolver 8.8.4.4.", [IpMatch("8.8.4.4", 4)]),
        ("2606:4700:4700::1111", [IpMatch("2606:4700:4700::1111", 6)]),
        ("http://[2a00:1450:4001:82b::200e]:443/", [IpMatch("2a00:1450:4001:82b::200e", 6)]),
        ("::ffff:8.8.8.8", [IpMatch("::ffff:808:808", 6)]),
    ],
)
def test_public_ips(text: str, expected: list[IpMatch]) -> None:
    assert find_public_ips(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "127.0.0.1",
        "10.0.0.1",
        "192.168.1.1",
        "172.16.5.4",
        "203.0.113.7",
        "192.0.2.1",
        "198.51.100.10",
        "0.0.0.0",
        "255.255.255.255",
        "169.254.169.254",
        "224.0.0.251",
        "239.255.255.250",
        "100.64.0.1",
        "240.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fd00::1",
        "ff02::fb",
        "2001:db8::1",
        "::ffff:10.0.0.1",
        "::ffff:127.0.0.1",
        "256.1.1.1",
        "1.2.3",
        "version 1.2.3.4.5",
        "v1.2.3.4",
        "01.02.03.04",
        "12:30:45",
        "00:1a:2b:3c:4d:5e",
        "a[1::2]",
        "std::vector",
        "deploy",
    ],
)
def test_not_user_ips(text: str) -> None:
    assert find_public_ips(text) == []


def test_is_public_ip_flags() -> None:
    assert is_public_ip(ipaddress.ip_address("8.8.8.8"))
    assert not is_public_ip(ipaddress.ip_address("203.0.113.7"))
    assert not is_public_ip(ipaddress.ip_address("2001:db8::5"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("alice@corp.io", [EmailMatch("alice@corp.io", False)]),
        ("user alice@corp.io", [EmailMatch("alice@corp.io", False)]),
        (
            "Alice Smith <alice.smith+tag@mail.corp.co.uk>",
            [EmailMatch("alice.smith+tag@mail.corp.co.uk", False)],
        ),
        ("mailto:bob_b@corp.io", [EmailMatch("bob_b@corp.io", False)]),
        ("contact: bob@corp.io.", [EmailMatch("bob@corp.io", False)]),
        ("a@b.co, c@d.org", [EmailMatch("a@b.co", False), EmailMatch("c@d.org", False)]),
        ("bob@example.com", [EmailMatch("bob@example.com", True)]),
        ("bob@mail.example.org", [EmailMatch("bob@mail.example.org", True)]),
        ("bob@example.net", [EmailMatch("bob@example.net", True)]),
        ("bob@host.test", [EmailMatch("bob@host.test", True)]),
        ("bob@x.invalid", [EmailMatch("bob@x.invalid", True)]),
        ("root@localhost", [EmailMatch("root@localhost", True)]),
        ("user@foo.example", [EmailMatch("user@foo.example", True)]),
    ],
)
def test_emails(text: str, expected: list[EmailMatch]) -> None:
    assert find_emails(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "%s@%s",
        "{user}@{host}",
        "@property",
        "user@host",
        "a@b",
        "name@123.456",
        ".alice@corp.io",
        "alice.@corp.io",
        "alice..bob@corp.io",
        "alice@-corp.io",
        "alice@corp.io-",
        "https://alice@corp.io/path",
        "https://user:s3cret@db.corp.io/x",
        "pkg @ file:///tmp/x",
        "a@@b.io",
        "deploy",
    ],
)
def test_not_emails(text: str) -> None:
    assert find_emails(text) == []


def test_documentation_domains() -> None:
    assert is_documentation_domain("EXAMPLE.COM")
    assert is_documentation_domain("sub.example.com.")
    assert not is_documentation_domain("example.co")
    assert not is_documentation_domain("notexample.com")


@pytest.mark.parametrize("text", ["52.216.0.0/15", "8.8.8.0/24", "2620:4f:8000::/48", "2002::/16", "fec0::1"])
def test_networks_and_site_local_are_not_addresses(text: str) -> None:
    assert find_public_ips(text) == []


def test_format_string_host_is_not_an_email() -> None:
    assert find_emails("From: %(user)s@localhost%(lf)s") == []
    assert find_emails("{0}@corp.io") == []


@pytest.mark.parametrize(
    "text",
    [
        "1.0.0.127.in-addr.arpa",
        "11.2.0.4.v3",
        "Release 13.0.0.0",
        "version 3.5.0.1",
        "Section 7.4.7.1 of the manual",
        'Specifier("== 1.2.3.0")',
    ],
)
def test_dotted_names_and_versions_are_not_addresses(text: str) -> None:
    assert find_public_ips(text) == []


def test_sentence_end_after_address() -> None:
    assert find_public_ips("Use 8.8.8.8.") == [IpMatch("8.8.8.8", 4)]
