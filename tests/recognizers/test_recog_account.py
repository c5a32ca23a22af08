"""ICP account identifiers and ICRC-1 account texts: every vector of ic-identifiers.md §2."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest

from privlint.recognizers.account import (
    ACCOUNT_ID_CANDIDATE_RE,
    ICRC1_CANDIDATE_RE,
    AccountError,
    Icrc1Account,
    account_id_from_principal,
    account_id_from_text,
    icrc1_account_from_text,
    icrc1_account_to_text,
    is_account_id,
    principal_from_subaccount,
)
from privlint.recognizers.principal import principal_from_text

# (owner principal, account id with the default subaccount) — spec §2.1.
VALID_ACCOUNTS: list[tuple[str, str]] = [
    (
        "iooej-vlrze-c5tme-tn7qt-vqe7z-7bsj5-ebxlc-hlzgs-lueo3-3yast-pae",
        "bdc4ee05d42cd0669786899f256c8fd7217fa71177bd1fa7b9534f568680a938",
    ),
    (
        "g42pg-k3n7u-4sals-ufza4-34yrp-mmvkt-psecp-7do7x-snvq4-llwrj-2ae",
        "a7218db708c35689495871c3c6860504503ab2a545630809dd8609130331b0c2",
    ),
    (
        "rdmx6-jaaaa-aaaaa-aaadq-cai",
        "c8734e0cde2404bb36b86bff86ee6df4f69c16fbc9a37f3f1d4aad574fa8cb5c",
    ),
    (
        "bd3sg-teaaa-aaaaa-qaaba-cai",
        "3dd5d9a74d6bfd1e3d96f75eef3c2ae712b22d23600607c91747abc8a2d2d6a4",
    ),
]

INVALID_ACCOUNTS: list[tuple[str, str]] = [
    ("bdc4ee05d42cd0669786899f256c8fd7217fa71177bd1fa7b9534f568680a939", "checksum mismatch"),
    ("00000000d42cd0669786899f256c8fd7217fa71177bd1fa7b9534f568680a938", "checksum mismatch"),
    ("bdc4ee05d42cd0669786899f256c8fd7217fa71177bd1fa7b9534f568680a93", "wrong length"),
    ("bdc4ee05d42cd0669786899f256c8fd7217fa71177bd1fa7b9534f568680a9380", "wrong length"),
    ("bdc4ee05d4zzd0669786899f256c8fd7217fa71177bd1fa7b9534f568680a938", "not hex"),
    ("0" * 64, "checksum mismatch"),
    # sha256("x"): a generic digest is not an account id.
    (hashlib.sha256(b"x").hexdigest(), "checksum mismatch"),
    ("0xbdc4ee05d42cd0669786899f256c8fd7217fa71177bd1fa7b9534f568680a939", "checksum mismatch"),
]


@pytest.mark.parametrize(("owner", "account"), VALID_ACCOUNTS)
def test_valid_account_ids(owner: str, account: str) -> None:
    for text in (account, account.upper(), "0x" + account, "0X" + account, "0x" + account.upper()):
        assert is_account_id(text)
        assert account_id_from_text(text).hex() == account
        assert ACCOUNT_ID_CANDIDATE_RE.fullmatch(text)
    assert account_id_from_principal(principal_from_text(owner)) == account


def test_mixed_case_account_id() -> None:
    account = VALID_ACCOUNTS[1][1]
    mixed = "".join(c.upper() if i % 2 else c for i, c in enumerate(account))
    assert is_account_id(mixed)


def test_sha256_of_x_is_the_spec_value() -> None:
    assert hashlib.sha256(b"x").hexdigest() == (
        "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
    )


@pytest.mark.parametrize(("text", "reason"), INVALID_ACCOUNTS)
def test_invalid_account_ids(text: str, reason: str) -> None:
    assert not is_account_id(text)
    with pytest.raises(AccountError) as err:
        account_id_from_text(text)
    assert err.value.reason == reason


def test_account_id_with_subaccount() -> None:
    owner = principal_from_text(VALID_ACCOUNTS[0][0])
    with_sub = account_id_from_principal(owner, bytes(31) + b"\x01")
    assert is_account_id(with_sub)
    assert with_sub != VALID_ACCOUNTS[0][1]
    with pytest.raises(AccountError):
        account_id_from_principal(owner, b"\x01")


def test_principal_from_subaccount() -> None:
    canister = principal_from_text("bd3sg-teaaa-aaaaa-qaaba-cai")
    sub = bytes([len(canister)]) + canister + bytes(32 - 1 - len(canister))
    assert principal_from_subaccount(sub) == canister
    user = principal_from_text(VALID_ACCOUNTS[0][0])
    sub = bytes([len(user)]) + user + bytes(2)
    assert principal_from_subaccount(sub) == user
    assert principal_from_subaccount(bytes(32)) is None  # default subaccount
    assert principal_from_subaccount(b"\x1e" + bytes(31)) is None  # 30 > 29 bytes
    assert principal_from_subaccount(b"\x01\x02\x03" + bytes(29)) is None  # non-zero tail
    assert principal_from_subaccount(bytes(31)) is None  # not 32 bytes


P = "k2t6j-2nvnp-4zjm3-25dtz-6xhaa-c7boj-5gayf-oj3xs-i43lp-teztq-6ae"
SUB_1 = bytes(31) + b"\x01"
SUB_1_32 = bytes(range(1, 33))

# (text, subaccount) — spec §2.2 OK rows.
VALID_ICRC1: list[tuple[str, bytes | None]] = [
    (P, None),
    (f"{P}-6cc627i.1", SUB_1),
    (f"{P}-dfxgiyy.102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", SUB_1_32),
]

INVALID_ICRC1: list[tuple[str, str]] = [
    (f"{P}-q6bn32y.", "not canonical: default subaccount must be omitted"),
    (
        "k2t6j2nvnp4zjm3-25dtz6xhaac7boj5gayfoj3xs-i43lp-teztq-6ae",
        "invalid principal encoding: non-canonical grouping",
    ),
    (f"{P}-6cc627i.01", "leading zeros"),
    (f"{P}.1", "missing checksum"),
    (f"{P}-6cc627j.1", "checksum mismatch"),
    (f"{P}-6cc627i.1g", "invalid subaccount"),
    (f"{P}-6cc627i.{'1' * 65}", "invalid subaccount"),
    (f"{P}-6cc627i.0", "not canonical: default subaccount must be omitted"),
    ("hello-world-6cc627i.1", "invalid principal encoding: checksum mismatch"),
]


@pytest.mark.parametrize(("text", "subaccount"), VALID_ICRC1)
def test_valid_icrc1(text: str, subaccount: bytes | None) -> None:
    account = icrc1_account_from_text(text)
    assert account == Icrc1Account(principal_from_text(P), subaccount)
    assert icrc1_account_to_text(account.owner, account.subaccount) == text


def test_icrc1_zero_subaccount_is_default() -> None:
    assert icrc1_account_to_text(principal_from_text(P), bytes(32)) == P
    with pytest.raises(AccountError):
        icrc1_account_to_text(principal_from_text(P), b"\x01")


@pytest.mark.parametrize(("text", "reason"), INVALID_ICRC1)
def test_invalid_icrc1(text: str, reason: str) -> None:
    with pytest.raises(AccountError) as err:
        icrc1_account_from_text(text)
    assert err.value.reason == reason


def test_icrc1_candidate_regex() -> None:
    text = f"pay to {P}-6cc627i.1 now"
    m = ICRC1_CANDIDATE_RE.search(text)
    assert m is not None
    assert m.group() == f"{P}-6cc627i.1"
    assert m.group("owner") == P


def test_every_spec_vector_is_listed(spec_cells: Callable[[str, int], list[str]]) -> None:
    listed_accounts = {a for _, a in VALID_ACCOUNTS}
    assert set(spec_cells("### 2.1", 1)) >= listed_accounts  # the owner → account table
    assert {o for o, _ in VALID_ACCOUNTS} == {c for c in spec_cells("### 2.1", 0) if c.count("-") >= 4}
    spec_invalid = {c for c in spec_cells("### 2.1", 0) if len(c) >= 60 and "-" not in c}
    assert spec_invalid == {t for t, _ in INVALID_ACCOUNTS if not t.startswith("0x")}
    spec_icrc1 = {c.replace("P", P) for c in spec_cells("### 2.2", 0) if c != "P = " + P}
    listed_icrc1 = {t for t, _ in VALID_ICRC1} | {t for t, _ in INVALID_ICRC1}
    assert len(spec_icrc1) == 8
    assert spec_icrc1 <= listed_icrc1, spec_icrc1 - listed_icrc1
