"""PEM private-key blocks."""

from __future__ import annotations

import pytest

from privlint.recognizers.pem import PemMatch, find_pem_private_keys

BODY = (
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n"
)


@pytest.mark.parametrize(
    "label",
    [
        "RSA PRIVATE KEY",
        "EC PRIVATE KEY",
        "PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
        "OPENSSH PRIVATE KEY",
        "DSA PRIVATE KEY",
        "PGP PRIVATE KEY BLOCK",
    ],
)
def test_pem_blocks(label: str) -> None:
    text = f"-----BEGIN {label}-----\n{BODY}-----END {label}-----\n"
    assert find_pem_private_keys(text) == [PemMatch(label, True)]


def test_pem_with_rfc1421_headers() -> None:
    text = (
        "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
        "DEK-Info: AES-128-CBC,3F17F5316E2BAC89\n\n" + BODY + "-----END RSA PRIVATE KEY-----"
    )
    assert find_pem_private_keys(text) == [PemMatch("RSA PRIVATE KEY", True)]


@pytest.mark.parametrize(
    "text",
    [
        "-----BEGIN RSA PRIVATE KEY-----",
        "-----BEGIN PRIVATE KEY-----\n{key}\n-----END PRIVATE KEY-----",
        "-----BEGIN EC PRIVATE KEY-----\n-----END EC PRIVATE KEY-----",
    ],
)
def test_header_without_key_material(text: str) -> None:
    [match] = find_pem_private_keys(text)
    assert not match.has_body


@pytest.mark.parametrize(
    "text",
    [
        "-----BEGIN CERTIFICATE-----\n" + BODY + "-----END CERTIFICATE-----",
        "-----BEGIN PUBLIC KEY-----\n" + BODY + "-----END PUBLIC KEY-----",
        "private key",
        "deploy",
    ],
)
def test_not_private_keys(text: str) -> None:
    assert find_pem_private_keys(text) == []
