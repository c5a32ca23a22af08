"""classify_literal: whole literals that are, or contain, identifiers."""

from __future__ import annotations

import hashlib
import time
import uuid

import pytest

from privlint.recognizers import LiteralMatch, _classify_cached, classify_literal
from privlint.recognizers.account import account_id_from_principal, icrc1_account_to_text
from privlint.recognizers.principal import principal_from_text

SELF_AUTH = "k2t6j-2nvnp-4zjm3-25dtz-6xhaa-c7boj-5gayf-oj3xs-i43lp-teztq-6ae"
CANISTER = LiteralMatch("canister-id", "canister id literal")
USER = LiteralMatch("principal-id", "self-authenticating principal literal")
ACCOUNT = LiteralMatch("account-id", "ICP account identifier literal")
ICRC1 = LiteralMatch("account-id", "ICRC-1 account text literal")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Principals and canister ids, alone or inside other text, any case.
        (SELF_AUTH, [USER]),
        (SELF_AUTH.upper(), [USER]),
        ("tdb26-jop6k-aogll-7ltgs-eruif-6kk7m-qpktf-gdiqx-mxtrf-vb5e6-eqe", [USER]),
        ("g4xu7-jiaaa-aaaan-aaaaq-cai", [CANISTER]),
        ("https://g4xu7-jiaaa-aaaan-aaaaq-cai.raw.icp0.io/api", [CANISTER]),
        ("dfx canister call mwrha-maaaa-aaaab-qabqq-cai greet", [CANISTER]),
        ("CANISTER_ID=bd3sg-teaaa-aaaaa-qaaba-cai", [CANISTER]),
        ('{"backend":{"ic":"uqqxf-5h777-77774-qaaaa-cai"}}', [CANISTER]),
        (
            "2chl6-4hpzw-vqaaa-aaaaa-c",
            [LiteralMatch("canister-id", "opaque (canister-style) principal literal")],
        ),
        ("2ibo7-dia", [LiteralMatch("principal-id", "principal literal")]),
        ("2IBO7-DIA", [LiteralMatch("principal-id", "principal literal")]),
        ("caller " + SELF_AUTH + " on g4xu7-jiaaa-aaaan-aaaaq-cai", [USER, CANISTER]),
        # Public constants produce nothing.
        ("aaaaa-aa", []),
        ("AAAAA-AA", []),
        ("2vxsx-fae", []),
        ("https://rdmx6-jaaaa-aaaaa-aaadq-cai.ic0.app", []),
        ("ryjl3-tyaaa-aaaaa-aaaba-cai", []),
        ("qoctq-giaaa-aaaaa-aaaea-cai", []),
        # Accounts.
        ("bdc4ee05d42cd0669786899f256c8fd7217fa71177bd1fa7b9534f568680a938", [ACCOUNT]),
        ("0xBDC4EE05D42CD0669786899F256C8FD7217FA71177BD1FA7B9534F568680A938", [ACCOUNT]),
        (f"{SELF_AUTH}-6cc627i.1", [ICRC1]),
        (f"to: {SELF_AUTH}-6cc627i.1.", [ICRC1]),
        # A malformed account text still writes the owner principal out.
        (f"{SELF_AUTH}-6cc627j.1", [USER]),
        (f"{SELF_AUTH}-q6bn32y.", [USER]),
        (f"{SELF_AUTH}-6cc627i.01", [USER]),
        (f"{SELF_AUTH}.1", [USER]),
        ("k2t6j2nvnp4zjm3-25dtz6xhaac7boj5gayfoj3xs-i43lp-teztq-6ae", []),
        # Other kinds.
        ("user alice@corp.io", [LiteralMatch("email", "e-mail address literal")]),
        (
            "alice@example.com",
            [LiteralMatch("email", "e-mail address literal (documentation domain)", True)],
        ),
        ("8.8.8.8", [LiteralMatch("ip-address", "public IPv4 address literal")]),
        ("2606:4700::1111", [LiteralMatch("ip-address", "public IPv6 address literal")]),
        (
            "alice@corp.io from 8.8.8.8",
            [
                LiteralMatch("ip-address", "public IPv4 address literal"),
                LiteralMatch("email", "e-mail address literal"),
            ],
        ),
        (
            "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
            [LiteralMatch("seed-phrase", "BIP-39 seed phrase literal (12 words, checksum valid)")],
        ),
        (
            "legal winner thank year wave sausage worth useful legal winner thank zoo",
            [LiteralMatch("seed-phrase", "BIP-39 seed phrase literal (12 words, checksum not valid)")],
        ),
        (
            "AKIAIOSFODNN7EXAMPLE",
            [LiteralMatch("secret", "AWS access key literal (detect-secrets AWSKeyDetector)", True)],
        ),
        (
            "AKIAZ3MTL6Q4VXK2R7PB",
            [LiteralMatch("secret", "AWS access key literal (detect-secrets AWSKeyDetector)")],
        ),
        (
            "Bearer q8Zr3LmX0vT7bN2kY5wJ9pC4hF6dS1gA",
            [
                LiteralMatch(
                    "secret",
                    "high-entropy string literal (detect-secrets Base64HighEntropyString)",
                )
            ],
        ),
        (
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
            "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            [LiteralMatch("secret", "JSON web token literal (detect-secrets JwtTokenDetector)")],
        ),
        (
            "-----BEGIN EC PRIVATE KEY-----\n"
            "MHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49\n"
            "-----END EC PRIVATE KEY-----\n",
            [LiteralMatch("secret", "PEM private key block literal (EC PRIVATE KEY)")],
        ),
        (
            "-----BEGIN RSA PRIVATE KEY-----",
            [LiteralMatch("secret", "PEM private key header literal, no key material (RSA PRIVATE KEY)")],
        ),
        (
            "https://deploy:s3cr3tpass@db.corp.io/x",
            [LiteralMatch("secret", "password in a URL literal (detect-secrets BasicAuthDetector)")],
        ),
    ],
)
def test_classify(text: str, expected: list[LiteralMatch]) -> None:
    assert classify_literal(text) == expected


NEGATIVES = [
    "hello-world",
    "abcde-fghij",
    "user_signed_in",
    "deploy",
    "%(asctime)s",
    "%s: %s",
    "utf-8",
    "",
    "a",
    "Content-Type",
    "application/json",
    "x-request-id",
    "pre-commit-hooks",
    "en-US",
    "127.0.0.1",
    "10.0.0.1",
    "192.168.1.1",
    "203.0.113.7",
    "http://localhost:8000/api",
    "0.0.0.0:8080",
    "version 1.2.3",
    str(uuid.UUID("0f8b6c1e-3c1d-4a8e-9d0b-6a2c3e4f5a6b")),
    hashlib.sha256(b"x").hexdigest(),
    hashlib.sha256(b"x").hexdigest().upper(),
    "0" * 64,
    "The quick brown fox jumps over the lazy dog and runs away into the forest before dawn.",
    "Failed to connect to the telemetry endpoint; the event will be retried after a short delay.",
    "{user}@{host}",
    "@property",
    "git+https://github.com/owner/repo.git@v1.2.3",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_negatives(text: str) -> None:
    assert classify_literal(text) == []


def test_random_uuid4_and_digests_are_not_identifiers() -> None:
    for _ in range(200):
        assert classify_literal(str(uuid.uuid4())) == []
        assert classify_literal(uuid.uuid4().hex + uuid.uuid4().hex) == []


@pytest.mark.parametrize(
    "text",
    [
        "2chl6-4hpzw-vqaaa-aaaaa-d",
        "rrkah-fqaab-aaaaa-aaaaq-cai",
        "ryjl3-tyaaa-aaaaa-aaaba-cia",
        "rdmx6-jaaaa-aaaaa-aaadq-ca",
        " aaaaa-aa",
        "bdc4ee05d42cd0669786899f256c8fd7217fa71177bd1fa7b9534f568680a939",
        "bdc4ee05d42cd0669786899f256c8fd7217fa71177bd1fa7b9534f568680a9380",
    ],
)
def test_invalid_identifiers_yield_nothing(text: str) -> None:
    assert classify_literal(text) == []


def test_subaccount_embedding_a_principal() -> None:
    canister = principal_from_text("bd3sg-teaaa-aaaaa-qaaba-cai")
    sub = bytes([len(canister)]) + canister + bytes(32 - 1 - len(canister))
    assert classify_literal(sub.hex()) == [
        LiteralMatch("canister-id", "canister id literal (embedded in a subaccount)")
    ]
    # A public canister embedded the same way names no one.
    ledger = principal_from_text("ryjl3-tyaaa-aaaaa-aaaba-cai")
    sub = bytes([len(ledger)]) + ledger + bytes(32 - 1 - len(ledger))
    assert classify_literal(sub.hex()) == []


def test_generated_accounts() -> None:
    owner = principal_from_text(SELF_AUTH)
    for i in range(1, 50):
        sub = i.to_bytes(32, "big")
        assert classify_literal(account_id_from_principal(owner, sub)) == [ACCOUNT]
        assert classify_literal(icrc1_account_to_text(owner, sub)) == [ICRC1]


def test_result_is_a_fresh_list() -> None:
    first = classify_literal("user alice@corp.io")
    first.clear()
    assert classify_literal("user alice@corp.io") == [LiteralMatch("email", "e-mail address literal")]


def test_long_literal_is_scanned_without_caching() -> None:
    text = "lorem ipsum " * 400 + " contact bob@corp.io"
    assert len(text) > 2048
    assert classify_literal(text) == [LiteralMatch("email", "e-mail address literal")]


def test_ordinary_literals_are_fast() -> None:
    """Loose bound (the measured figure is ~1-10 µs, see the package docstring)."""
    literals = ["deploy", "%s: %s", "utf-8", "user_signed_in", "Content-Type", "hello-world"]
    literals += [f"event_{i}_sent" for i in range(500)]
    for text in literals:  # warm up lazy imports
        classify_literal(text)
    _classify_cached.cache_clear()
    start = time.perf_counter()
    for text in literals:
        classify_literal(text)
    per_literal = (time.perf_counter() - start) / len(literals)
    assert per_literal < 200e-6


def test_icrc1_account_of_a_public_owner_is_reported() -> None:
    ledger = principal_from_text("ryjl3-tyaaa-aaaaa-aaaba-cai")
    text = icrc1_account_to_text(ledger, bytes(31) + b"\x07")
    assert classify_literal(text) == [ICRC1]
    assert classify_literal(icrc1_account_to_text(ledger)) == []  # default subaccount


@pytest.mark.parametrize(
    "text",
    [
        "-----BEGIN RSA PRIVATE KEY-----" + "\n" * 20000 + "x",  # was quadratic (2.9 s)
        "-----BEGIN RSA PRIVATE KEY-----" + "a:" * 20000,
        "a@" + "a." * 20000 + "-",
        "a." * 20000 + "@",
        "1:" * 20000,
        "abcde-" * 20000,
        ("abcde-" * 10 + "abcdefg.") * 2000,
        "aB3" * 30000,
        "abandon " * 20000,
        "x://" + "a" * 300 + "b@c.io " * 2000,
    ],
)
def test_pathological_literals_stay_fast(text: str) -> None:
    start = time.perf_counter()
    classify_literal(text)
    assert time.perf_counter() - start < 1.0
