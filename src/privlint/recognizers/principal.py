"""Internet Computer principals: exact parsing, class tags and public constants.

Why this module exists: a string shaped like a principal (``hello-world``, ``abcde-fghij``) is
usually an ordinary word, while a real principal must be caught whatever its case. Only the
CRC32 inside the textual encoding separates the two, so privlint decodes every candidate exactly
as the IC interface specification prescribes (shared/spec/ic-identifiers.md §1.4) instead of
trusting the shape. The class tag in the last byte then says whether the value names a canister
or a user, and a short list of well-known system principals is exempt because it identifies no
one (spec/kinds.md, "Internet Computer principals by class").
"""

from __future__ import annotations

import base64
import re
import zlib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

__all__ = [
    "PRINCIPAL_CANDIDATE_PATTERN",
    "PRINCIPAL_CANDIDATE_RE",
    "PUBLIC_PRINCIPALS",
    "PrincipalError",
    "classify_principal",
    "is_public_principal",
    "principal_from_text",
    "principal_kind",
    "principal_to_text",
    "public_principal_name",
]

_MAX_BLOB = 29
_BASE32_ALPHABET: Final = frozenset("abcdefghijklmnopqrstuvwxyz234567")
_TO_INT_DIGITS: Final = str.maketrans("abcdefghijklmnopqrstuvwxyz234567", "0123456789abcdefghijklmnopqrstuv")

#: Scanner regex of ic-identifiers.md §1.4 (shape only; confirm with :func:`principal_from_text`).
PRINCIPAL_CANDIDATE_PATTERN: Final = (
    r"(?<![A-Za-z0-9-])[a-z2-7]{5}(?:-[a-z2-7]{5}){0,9}-[a-z2-7]{1,5}(?![A-Za-z0-9-])"
)


class PrincipalError(ValueError):
    """A text is not a valid principal; ``reason`` is one of the spec's §1.4 reasons."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _group(raw: str) -> str:
    return "-".join(raw[i : i + 5] for i in range(0, len(raw), 5))


def principal_from_text(text: str, *, strict_lowercase: bool = False) -> bytes:
    """Decode the textual form of a principal into its 0..29-byte blob.

    Case-insensitive as the interface spec requires (``ic_principal`` behaviour). With
    ``strict_lowercase`` the agent-js / ic-py behaviour is imitated and upper-case letters are
    rejected with the reason ``"not lowercase"``. The order of the checks fixes which reason is
    reported when a text has several defects (spec §1.4).
    """
    if not text:
        raise PrincipalError("too short")
    if not text.isascii():
        raise PrincipalError("invalid alphabet")
    low = text.lower()
    if strict_lowercase and low != text:
        raise PrincipalError("not lowercase")
    raw = low.replace("-", "")
    n = len(raw)
    if n > 53:
        raise PrincipalError("too long")
    if n < 7:
        raise PrincipalError("too short")
    if n % 8 in (1, 3, 6):
        raise PrincipalError("invalid base32 length")
    if not _BASE32_ALPHABET.issuperset(raw):
        raise PrincipalError("invalid alphabet")
    if _group(raw) != low:
        raise PrincipalError("non-canonical grouping")
    # Base32 decode via int(): translate RFC 4648 letters to Python's base-32 digits. This is
    # several times faster than base64.b32decode and yields the padding bits directly.
    value = int(raw.translate(_TO_INT_DIGITS), 32)
    pad_bits = (5 * n) % 8
    data = (value >> pad_bits).to_bytes(5 * n // 8, "big")
    crc, blob = data[:4], data[4:]
    if (zlib.crc32(blob) & 0xFFFFFFFF).to_bytes(4, "big") != crc:
        raise PrincipalError("checksum mismatch")
    if value & ((1 << pad_bits) - 1):
        raise PrincipalError("non-zero padding bits")
    return blob


def principal_to_text(blob: bytes) -> str:
    """Encode a blob as canonical principal text (lowercase, grouped by five)."""
    if len(blob) > _MAX_BLOB:
        raise PrincipalError("too long")
    data = (zlib.crc32(blob) & 0xFFFFFFFF).to_bytes(4, "big") + blob
    return _group(base64.b32encode(data).decode("ascii").rstrip("=").lower())


def classify_principal(blob: bytes) -> str:
    """Class of a principal blob by its tag byte (interface spec §id-classes).

    Returns one of ``management``, ``anonymous``, ``self-authenticating``, ``derived``,
    ``reserved``, ``canister`` (``u64_be ‖ 01 ‖ 01``), ``opaque`` (other ``…01``) or
    ``unclassified``.
    """
    if not blob:
        return "management"
    if blob == b"\x04":
        return "anonymous"
    last = blob[-1]
    if len(blob) == 29 and last == 0x02:
        return "self-authenticating"
    if len(blob) == 29 and last == 0x03:
        return "derived"
    if last == 0x7F:
        return "reserved"
    if len(blob) == 10 and blob[8] == 0x01 and last == 0x01:
        return "canister"
    if last == 0x01:
        return "opaque"
    return "unclassified"


def _nns(index: int) -> bytes:
    return index.to_bytes(8, "big") + b"\x01\x01"


# Public constants: they identify no user or project (spec/kinds.md). Keyed by blob so that any
# spelling (upper case, say) of the same principal is recognised.
_PUBLIC: Final[dict[bytes, str]] = {
    b"": "management canister",
    b"\x04": "anonymous principal",
    _nns(0): "NNS registry canister",
    _nns(1): "NNS governance canister",
    _nns(2): "ICP ledger canister",
    _nns(3): "NNS root canister",
    _nns(4): "cycles minting canister",
    _nns(5): "NNS lifeline canister",
    _nns(6): "genesis token canister",
    _nns(7): "Internet Identity canister",
    _nns(8): "NNS dapp canister",
}

#: Canonical text of each public constant principal → what it is.
PUBLIC_PRINCIPALS: Final[Mapping[str, str]] = MappingProxyType(
    {principal_to_text(blob): name for blob, name in _PUBLIC.items()}
)


def public_principal_name(blob: bytes) -> str | None:
    """Name of a public constant principal, or ``None`` if the blob is not one."""
    return _PUBLIC.get(bytes(blob))


def is_public_principal(blob: bytes) -> bool:
    """True for the management canister, the anonymous principal and the NNS system canisters."""
    return bytes(blob) in _PUBLIC


def principal_kind(blob: bytes) -> str | None:
    """Identifier kind (spec/kinds.md) of a principal blob; ``None`` for public constants.

    Canister ids and other opaque ids are ``canister-id``; self-authenticating, derived,
    reserved and unclassified principals are ``principal-id``.
    """
    if is_public_principal(blob):
        return None
    cls = classify_principal(blob)
    if cls in ("canister", "opaque"):
        return "canister-id"
    return "principal-id"


PRINCIPAL_CANDIDATE_RE: Final = re.compile(PRINCIPAL_CANDIDATE_PATTERN, re.IGNORECASE)
