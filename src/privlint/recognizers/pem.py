"""PEM-armoured private keys in string literals.

Why this module exists: a PEM block (``-----BEGIN RSA PRIVATE KEY-----``, ``EC``, ``OPENSSH``,
``ENCRYPTED``, PKCS#8 ``PRIVATE KEY``, ``PGP PRIVATE KEY BLOCK``) is the most common way a key
is written down, e.g. ic-py ``Identity.to_pem()`` or a dfx ``identity.pem``. detect-secrets'
``PrivateKeyDetector`` only matches a fixed list of header spellings and cannot tell a real
key from the bare header that PEM-parsing code compares against, so this module reports the
label and whether a base64 body follows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = ["PemMatch", "find_pem_private_keys"]

_PEM_RE: Final = re.compile(
    r"-----BEGIN (?P<label>(?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----"
    # Optional RFC 1421 headers ("Proc-Type: 4,ENCRYPTED"), then at least 16 characters of
    # base64 body (a placeholder such as "{key}" or the END line does not count). Possessive
    # quantifiers: a long run of blank lines must not be re-split (quadratic backtracking).
    r"(?P<body>(?:\s*+[\w-]+:[^\n]*\n)*+\s*+[A-Za-z0-9+/=]{4}[A-Za-z0-9+/=\s]{12,})?"
)


@dataclass(frozen=True)
class PemMatch:
    """A PEM private-key header; ``has_body`` when key material follows it in the literal."""

    label: str
    has_body: bool


def find_pem_private_keys(text: str) -> list[PemMatch]:
    """PEM private-key blocks (or bare headers) found in ``text``."""
    if "-----BEGIN " not in text:
        return []
    return [PemMatch(m.group("label"), m.group("body") is not None) for m in _PEM_RE.finditer(text)]
