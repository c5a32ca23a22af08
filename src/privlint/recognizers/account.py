"""ICP ledger account identifiers and ICRC-1 account texts.

Why this module exists: an account identifier is 64 hex characters, exactly like a SHA-256
digest, a transaction hash or a raw private key. Only its leading CRC32 tells it apart, so a
literal is an ``account-id`` if and only if the checksum holds (shared/spec/ic-identifiers.md
§2.1). ICRC-1 account texts embed a principal plus a checksummed subaccount (§2.2); they have
to be parsed before plain principals, because the plain-principal scanner deliberately skips
an owner that is followed by ``-``.
"""

from __future__ import annotations

import base64
import hashlib
import re
import zlib
from dataclasses import dataclass
from typing import Final

from privlint.recognizers.principal import (
    PRINCIPAL_CANDIDATE_PATTERN,
    PrincipalError,
    principal_from_text,
    principal_to_text,
)

__all__ = [
    "ACCOUNT_ID_CANDIDATE_RE",
    "ICRC1_CANDIDATE_RE",
    "AccountError",
    "Icrc1Account",
    "account_id_from_principal",
    "account_id_from_text",
    "icrc1_account_from_text",
    "icrc1_account_to_text",
    "is_account_id",
    "principal_from_subaccount",
]

_HEX: Final = frozenset("0123456789abcdefABCDEF")
_ZERO_SUBACCOUNT: Final = bytes(32)

#: Scanner regex of §2.1 (``0X`` is accepted as well as ``0x``).
ACCOUNT_ID_CANDIDATE_RE: Final = re.compile(r"(?<![0-9A-Fa-f])(?:0[xX])?[0-9A-Fa-f]{64}(?![0-9A-Fa-f])")

# Scanner regex of §2.2: the plain principal regex without its lookahead, then ``-check.hex``.
# The hex part may be empty so that a non-canonical text (``P-q6bn32y.``) still reaches the
# validator, which then at least recovers the owner principal.
_OWNER_PATTERN: Final = PRINCIPAL_CANDIDATE_PATTERN.removesuffix("(?![A-Za-z0-9-])")
ICRC1_CANDIDATE_RE: Final = re.compile(
    rf"(?P<owner>{_OWNER_PATTERN})-(?P<check>[a-z2-7]{{7}})\.(?P<sub>[0-9a-f]{{0,64}})"
    r"(?![0-9A-Za-z])",
    re.IGNORECASE,
)


class AccountError(ValueError):
    """A text is not a valid account identifier / ICRC-1 account; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _crc(data: bytes) -> bytes:
    return (zlib.crc32(data) & 0xFFFFFFFF).to_bytes(4, "big")


def account_id_from_text(text: str) -> bytes:
    """Decode a legacy ICP account identifier (64 hex, optional ``0x``) to its 32 bytes.

    Reasons: ``"wrong length"``, ``"not hex"``, ``"checksum mismatch"``.
    """
    s = text[2:] if text[:2] in ("0x", "0X") else text
    if len(s) != 64:
        raise AccountError("wrong length")
    if not _HEX.issuperset(s):
        raise AccountError("not hex")
    raw = bytes.fromhex(s)
    if _crc(raw[4:]) != raw[:4]:
        raise AccountError("checksum mismatch")
    return raw


def is_account_id(text: str) -> bool:
    """True iff ``text`` is a valid ICP account identifier (upper, lower or mixed case hex)."""
    try:
        account_id_from_text(text)
    except AccountError:
        return False
    return True


def account_id_from_principal(owner: bytes, subaccount: bytes | None = None) -> str:
    """Account identifier (lowercase hex) of ``owner`` with a 32-byte subaccount (default 0s)."""
    sub = _ZERO_SUBACCOUNT if subaccount is None else subaccount
    if len(sub) != 32:
        raise AccountError("subaccount must be 32 bytes")
    digest = hashlib.sha224(b"\x0aaccount-id" + owner + sub).digest()
    return (_crc(digest) + digest).hex()


def principal_from_subaccount(subaccount: bytes) -> bytes | None:
    """The principal a subaccount embeds as ``[len, principal bytes…, zero padding]``, if any.

    dfx derives such subaccounts with ``Subaccount::from(&Principal)``. Any 32-byte value whose
    first byte is 1..29 and whose tail is zero has this shape, so callers should also require a
    meaningful class (see :func:`privlint.recognizers.principal.classify_principal`).
    """
    if len(subaccount) != 32:
        return None
    n = subaccount[0]
    if not 1 <= n <= 29 or any(subaccount[1 + n :]):
        return None
    return bytes(subaccount[1 : 1 + n])


@dataclass(frozen=True)
class Icrc1Account:
    """An ICRC-1 account: an owner principal blob and an optional non-default subaccount."""

    owner: bytes
    subaccount: bytes | None = None


def _icrc1_checksum(owner: bytes, subaccount: bytes) -> str:
    return base64.b32encode(_crc(owner + subaccount)).decode("ascii").rstrip("=").lower()


def icrc1_account_to_text(owner: bytes, subaccount: bytes | None = None) -> str:
    """ICRC-1 textual encoding (TextualEncoding.md) of an account."""
    if subaccount is None or subaccount == _ZERO_SUBACCOUNT:
        return principal_to_text(owner)
    if len(subaccount) != 32:
        raise AccountError("subaccount must be 32 bytes")
    compressed = subaccount.hex().lstrip("0")
    return f"{principal_to_text(owner)}-{_icrc1_checksum(owner, subaccount)}.{compressed}"


def icrc1_account_from_text(text: str) -> Icrc1Account:
    """Parse an ICRC-1 account text, validating it exactly as in §2.2.

    Reasons: ``"invalid principal encoding: <principal reason>"``, ``"missing checksum"``,
    ``"invalid subaccount"``, ``"not canonical: default subaccount must be omitted"``,
    ``"leading zeros"``, ``"checksum mismatch"``.
    """
    left, dot, hex_part = text.rpartition(".")
    if not dot:
        try:
            return Icrc1Account(principal_from_text(text))
        except PrincipalError as exc:
            raise AccountError(f"invalid principal encoding: {exc.reason}") from None
    owner_text, dash, checksum = left.rpartition("-")
    if not dash or len(checksum) != 7:
        raise AccountError("missing checksum")
    try:
        owner = principal_from_text(owner_text)
    except PrincipalError as exc:
        raise AccountError(f"invalid principal encoding: {exc.reason}") from None
    if len(hex_part) > 64 or not _HEX.issuperset(hex_part):
        raise AccountError("invalid subaccount")
    if not hex_part.strip("0"):
        raise AccountError("not canonical: default subaccount must be omitted")
    if hex_part[0] == "0":
        raise AccountError("leading zeros")
    subaccount = bytes.fromhex(hex_part.rjust(64, "0"))
    if checksum.lower() != _icrc1_checksum(owner, subaccount):
        raise AccountError("checksum mismatch")
    return Icrc1Account(owner, subaccount)
