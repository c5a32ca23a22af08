"""IP address and e-mail address literals.

Why this module exists: a public IP address or a real e-mail address in a telemetry payload
identifies a user or a machine, but most addresses written into source code identify no one:
``127.0.0.1``, ``0.0.0.0``, RFC 1918 networks, link-local and multicast groups, and the
documentation ranges (RFC 5737 ``192.0.2.0/24``, ``198.51.100.0/24``, ``203.0.113.0/24``;
RFC 3849 ``2001:db8::/32``). The standard :mod:`ipaddress` module decides which is which, so
only globally routable unicast addresses are reported.

E-mail addresses are matched with a deliberately strict regex (dot-atom local part, dotted
domain with an alphabetic TLD). Addresses at the reserved documentation / special-use domains
(RFC 2606, RFC 6761: ``example.com``, ``example.org``, ``example.net``, ``*.example``, ``*.test``,
``*.invalid``, ``localhost``) still have the shape of an e-mail address; they are returned with
``is_documentation=True`` so the caller decides.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Final

__all__ = [
    "DOCUMENTATION_NETWORKS",
    "EmailMatch",
    "IpMatch",
    "find_emails",
    "find_public_ips",
    "is_documentation_domain",
    "is_public_ip",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Networks reserved for documentation (RFC 5737, RFC 3849).
DOCUMENTATION_NETWORKS: Final = (
    ipaddress.ip_network("192.0.2.0/24"),
    ipaddress.ip_network("198.51.100.0/24"),
    ipaddress.ip_network("203.0.113.0/24"),
    ipaddress.ip_network("2001:db8::/32"),
)

# A dotted quad not embedded in a longer dotted name or number ("v1.2.3.4", "1.2.3.4.5",
# "11.2.0.4.v3", "1.0.0.127.in-addr.arpa"), and not a network in CIDR notation
# ("52.216.0.0/15" is a range, not somebody's address).
_IPV4_RE: Final = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\w|\.\w|/\d)")
# Dotted numbers that a preceding word marks as a version or a section number.
_NOT_AN_ADDRESS_BEFORE_RE: Final = re.compile(
    r"(?:version|release|section|ver\.|sec\.|rev\.|==|>=|<=|~=|!=)\s*[\"']?$", re.IGNORECASE
)
# A maximal run of hex digits, colons and dots (possessive: no backtracking into shorter runs);
# runs with fewer than two colons are skipped and ipaddress decides the rest.
_IPV6_RE: Final = re.compile(r"(?<![\w:.])[0-9A-Fa-f:.]{3,}+(?!\w|/\d)")


@dataclass(frozen=True)
class IpMatch:
    """A public IP address found in a literal."""

    address: str
    version: int


def is_public_ip(address: IPAddress) -> bool:
    """True for a globally routable unicast address outside the documentation ranges."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if (
        not address.is_global
        or address.is_multicast
        or address.is_reserved
        or address.is_loopback
        or address.is_link_local
        or address.is_unspecified
        or address.is_private
        or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local)
    ):
        return False
    return not any(address in net for net in DOCUMENTATION_NETWORKS)


def _parse(candidate: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(candidate)
    except ValueError:
        return None


def find_public_ips(text: str) -> list[IpMatch]:
    """Public IPv4 / IPv6 addresses written in ``text`` (in order of appearance)."""
    found: list[tuple[int, IpMatch]] = []
    v6_spans: list[tuple[int, int]] = []
    if text.count(":") >= 2:
        for match in _IPV6_RE.finditer(text):
            candidate = match.group().rstrip(".")
            if candidate.count(":") < 2:
                continue
            addr = _parse(candidate)
            if not isinstance(addr, ipaddress.IPv6Address):
                continue
            v6_spans.append(match.span())
            if is_public_ip(addr):
                found.append((match.start(), IpMatch(str(addr), 6)))
    if "." in text:
        for match in _IPV4_RE.finditer(text):
            start = match.start()
            if any(lo <= start < hi for lo, hi in v6_spans):
                continue  # the dotted tail of an IPv6 address such as ::ffff:8.8.8.8
            if _NOT_AN_ADDRESS_BEFORE_RE.search(text[max(0, start - 12) : start]):
                continue
            addr = _parse(match.group())
            if addr is not None and is_public_ip(addr):
                found.append((start, IpMatch(str(addr), 4)))
    return [ip for _, ip in sorted(found, key=lambda item: item[0])]


# Local part: dot-atom (RFC 5322 atext without the rarely used symbols), no leading, trailing
# or doubled dot. Domain: labels of letters, digits and inner hyphens, an alphabetic TLD; or
# the bare special-use name "localhost".
_EMAIL_RE: Final = re.compile(
    r"(?<![\w.%+\-@)}])"
    r"(?P<local>[A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*)"
    r"@"
    r"(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}|localhost)"
    r"(?![\w\-@]|\.[A-Za-z0-9])"
)
# "scheme://user@host" is URL userinfo, not an e-mail address.
_URL_USERINFO_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^/\s@]*$")

_DOC_DOMAINS: Final = frozenset({"example.com", "example.org", "example.net", "localhost"})
_DOC_TLDS: Final = frozenset({"example", "test", "invalid", "localhost"})


@dataclass(frozen=True)
class EmailMatch:
    """An e-mail address found in a literal; ``is_documentation`` for reserved domains."""

    address: str
    is_documentation: bool


def is_documentation_domain(domain: str) -> bool:
    """True for the RFC 2606 / RFC 6761 names that never belong to a real mailbox."""
    d = domain.lower().rstrip(".")
    if d in _DOC_DOMAINS or d.rpartition(".")[2] in _DOC_TLDS:
        return True
    return any(d.endswith("." + base) for base in ("example.com", "example.org", "example.net"))


def find_emails(text: str) -> list[EmailMatch]:
    """E-mail addresses written in ``text`` (in order of appearance)."""
    if "@" not in text:
        return []
    found: list[EmailMatch] = []
    for match in _EMAIL_RE.finditer(text):
        start = match.start()
        if _URL_USERINFO_RE.search(text[max(0, start - 256) : start]):
            continue
        found.append(EmailMatch(match.group(), is_documentation_domain(match.group("domain"))))
    return found
