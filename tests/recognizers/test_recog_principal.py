"""Principal parsing, classes and public constants: every vector of ic-identifiers.md §1."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from privlint.recognizers.principal import (
    PRINCIPAL_CANDIDATE_RE,
    PUBLIC_PRINCIPALS,
    PrincipalError,
    classify_principal,
    is_public_principal,
    principal_from_text,
    principal_kind,
    principal_to_text,
    public_principal_name,
)


def _u64_canister(index: int) -> str:
    return f"{index:016x}0101"


# (text, blob hex, class) — spec §1.5.
VALID: list[tuple[str, str, str]] = [
    ("aaaaa-aa", "", "management"),
    ("2vxsx-fae", "04", "anonymous"),
    ("em77e-bvlzu-aq", "abcd01", "opaque"),
    ("2ibo7-dia", "00", "unclassified"),
    ("w3gef-eqbai", "0102", "unclassified"),
    ("xtqug-aqaae-bagba-faydq-q", "000102030405060708", "unclassified"),
    ("2chl6-4hpzw-vqaaa-aaaaa-c", "efcdab000000000001", "opaque"),
    (
        "iineg-fibai-bqibi-ga4ea-searc-ijrif-iwc4m-bsibb-eirsi-jjge4-ucs",
        "0102030405060708091011121314151617181920212223242526272829",
        "unclassified",
    ),
    (
        "bnkmk-jqaaa-aaaaa-aaaaa-aaaaa-aaaaa-aaaaa-aaaaa-aaaaa-aaaaa-aaa",
        "00" * 29,
        "unclassified",
    ),
    ("rwlgt-iiaaa-aaaaa-aaaaa-cai", _u64_canister(0), "canister"),
    ("rrkah-fqaaa-aaaaa-aaaaq-cai", _u64_canister(1), "canister"),
    ("ryjl3-tyaaa-aaaaa-aaaba-cai", _u64_canister(2), "canister"),
    ("r7inp-6aaaa-aaaaa-aaabq-cai", _u64_canister(3), "canister"),
    ("rkp4c-7iaaa-aaaaa-aaaca-cai", _u64_canister(4), "canister"),
    ("rno2w-sqaaa-aaaaa-aaacq-cai", _u64_canister(5), "canister"),
    ("renrk-eyaaa-aaaaa-aaada-cai", _u64_canister(6), "canister"),
    ("rdmx6-jaaaa-aaaaa-aaadq-cai", _u64_canister(7), "canister"),
    ("qoctq-giaaa-aaaaa-aaaea-cai", _u64_canister(8), "canister"),
    ("g4xu7-jiaaa-aaaan-aaaaq-cai", "0000000001a000010101", "canister"),
    ("ghsi2-tqaaa-aaaan-aaaca-cai", None, "canister"),
    ("mwrha-maaaa-aaaab-qabqq-cai", "00000000003000610101", "canister"),
    ("bd3sg-teaaa-aaaaa-qaaba-cai", None, "canister"),
    ("uqqxf-5h777-77774-qaaaa-cai", None, "canister"),
    *(
        (text, None, "self-authenticating")
        for text in (
            "k2t6j-2nvnp-4zjm3-25dtz-6xhaa-c7boj-5gayf-oj3xs-i43lp-teztq-6ae",
            "evtzg-5hnpy-uoy4t-tn3fa-7c4ca-nweso-exmhj-nt3vs-htbce-pys7c-yqe",
            "iooej-vlrze-c5tme-tn7qt-vqe7z-7bsj5-ebxlc-hlzgs-lueo3-3yast-pae",
            "tdb26-jop6k-aogll-7ltgs-eruif-6kk7m-qpktf-gdiqx-mxtrf-vb5e6-eqe",
        )
    ),
]

# Case-insensitive parsing (spec, ic_principal): text, blob hex.
CASE_INSENSITIVE: list[tuple[str, str]] = [
    ("2IBO7-DIA", "00"),
    ("2Ibo7-diA", "00"),
    ("AAAAA-AA", ""),
]

# (text, reason) — spec §1.6.
INVALID: list[tuple[str, str]] = [
    ("", "too short"),
    ("aaaaa", "too short"),
    ("aaaaa-a", "too short"),
    ("aacd5-niaaa-aaaaa-aaaaa-aaaaa-aaaaa-aaaaa-aaaaa-aaaaa-aaaaa-aaaaa", "too long"),
    ("aaaaa-aaaaa-bbbbb-bbbbb-22222-22222-33333-33333-44444-44444-5555", "too long"),
    ("rdmx6-jaaaa-aaaaa-aaadq-ca", "invalid base32 length"),
    ("0chl6-4hpzw-vqaaa-aaaaa-c", "invalid alphabet"),
    ("ab1de-fghij", "invalid alphabet"),
    ("a2345-678", "invalid alphabet"),
    (" aaaaa-aa", "invalid alphabet"),
    ("aaaaa-aä", "invalid alphabet"),
    ("aaaaaaa", "non-canonical grouping"),
    ("aaa-aaaa", "non-canonical grouping"),
    ("-aaaaaaa", "non-canonical grouping"),
    ("aaaaaaa-", "non-canonical grouping"),
    ("2vxsx--fae", "non-canonical grouping"),
    ("2ibo7dia", "non-canonical grouping"),
    ("2ibo-7dia", "non-canonical grouping"),
    ("2ibo7--dia", "non-canonical grouping"),
    ("2chl6-4hpzw-vqaaa-aaaaa-d", "non-zero padding bits"),
    ("rrkah-fqaaa-aaaaa-aaaaq-caj", "non-zero padding bits"),
    ("w3gef-eqbaj", "non-zero padding bits"),
    ("w3gef-eqbak", "non-zero padding bits"),
    ("w3gef-eqbal", "non-zero padding bits"),
    ("2chl6-4hpzw-vqaaa-aaaaa-e", "checksum mismatch"),
    ("rrkah-fqaab-aaaaa-aaaaq-cai", "checksum mismatch"),
    ("ryjl3-tyaaa-aaaaa-aaaba-cia", "checksum mismatch"),
    ("2ibo7-dib", "checksum mismatch"),
    ("w3gef-eqbam", "checksum mismatch"),
    ("aaaaa-aaaaa-bbbbb-bbbbb-22222-22222-33333-33333-44444-44444-555", "checksum mismatch"),
    ("2vxsx-faf", "checksum mismatch"),
    ("hello-world", "checksum mismatch"),
    ("abcde-fghij", "checksum mismatch"),
    # Listed by the spec as "D1 invalid input length"; 8 characters is a legal length, so a
    # correct validator reports the CRC (spec §1.4 note).
    ("a2345-67", "checksum mismatch"),
]


@pytest.mark.parametrize(("text", "blob_hex", "cls"), VALID)
def test_valid_principal(text: str, blob_hex: str | None, cls: str) -> None:
    blob = principal_from_text(text)
    if blob_hex is not None:
        assert blob.hex() == blob_hex
    assert classify_principal(blob) == cls
    assert principal_to_text(blob) == text
    assert PRINCIPAL_CANDIDATE_RE.fullmatch(text)


@pytest.mark.parametrize(("text", "blob_hex"), CASE_INSENSITIVE)
def test_case_insensitive(text: str, blob_hex: str) -> None:
    assert principal_from_text(text).hex() == blob_hex
    with pytest.raises(PrincipalError) as err:
        principal_from_text(text, strict_lowercase=True)
    assert err.value.reason == "not lowercase"


def test_strict_lowercase_accepts_canonical_text() -> None:
    assert principal_from_text("2ibo7-dia", strict_lowercase=True) == b"\x00"


@pytest.mark.parametrize(("text", "reason"), INVALID)
def test_invalid_principal(text: str, reason: str) -> None:
    with pytest.raises(PrincipalError) as err:
        principal_from_text(text)
    assert err.value.reason == reason
    assert str(err.value) == reason


def test_spec_example_crc() -> None:
    # Interface spec tip: blob abcd01 has CRC 233ff206.
    text = principal_to_text(bytes.fromhex("abcd01"))
    assert text == "em77e-bvlzu-aq"


def test_canister_ids_are_27_chars_ending_cai() -> None:
    for index in (0, 1, 2**32, 2**63 + 5, 2**64 - 1):
        text = principal_to_text(index.to_bytes(8, "big") + b"\x01\x01")
        assert len(text) == 27
        assert text.endswith("-cai")
        assert classify_principal(principal_from_text(text)) == "canister"


def test_to_text_rejects_oversized_blob() -> None:
    with pytest.raises(PrincipalError):
        principal_to_text(bytes(30))


@pytest.mark.parametrize(
    ("blob", "cls"),
    [
        (b"\x7f", "reserved"),
        (b"\x01\x02\x7f", "reserved"),
        (bytes(27) + b"\x03", "unclassified"),  # derived needs 29 bytes
        (bytes(28) + b"\x03", "derived"),
        (bytes(28) + b"\x02", "self-authenticating"),
        (bytes(9) + b"\x01", "opaque"),
        (b"\x04\x04", "unclassified"),
    ],
)
def test_classes(blob: bytes, cls: str) -> None:
    assert classify_principal(blob) == cls


PUBLIC_TEXTS = {
    "aaaaa-aa": "management canister",
    "2vxsx-fae": "anonymous principal",
    "rwlgt-iiaaa-aaaaa-aaaaa-cai": "NNS registry canister",
    "rrkah-fqaaa-aaaaa-aaaaq-cai": "NNS governance canister",
    "ryjl3-tyaaa-aaaaa-aaaba-cai": "ICP ledger canister",
    "r7inp-6aaaa-aaaaa-aaabq-cai": "NNS root canister",
    "rkp4c-7iaaa-aaaaa-aaaca-cai": "cycles minting canister",
    "rno2w-sqaaa-aaaaa-aaacq-cai": "NNS lifeline canister",
    "renrk-eyaaa-aaaaa-aaada-cai": "genesis token canister",
    "rdmx6-jaaaa-aaaaa-aaadq-cai": "Internet Identity canister",
    "qoctq-giaaa-aaaaa-aaaea-cai": "NNS dapp canister",
}


def test_public_constants() -> None:
    assert dict(PUBLIC_PRINCIPALS) == PUBLIC_TEXTS
    for text, name in PUBLIC_TEXTS.items():
        blob = principal_from_text(text.upper())
        assert is_public_principal(blob)
        assert public_principal_name(blob) == name
        assert principal_kind(blob) is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("g4xu7-jiaaa-aaaan-aaaaq-cai", "canister-id"),
        ("2chl6-4hpzw-vqaaa-aaaaa-c", "canister-id"),
        ("k2t6j-2nvnp-4zjm3-25dtz-6xhaa-c7boj-5gayf-oj3xs-i43lp-teztq-6ae", "principal-id"),
        ("tdb26-jop6k-aogll-7ltgs-eruif-6kk7m-qpktf-gdiqx-mxtrf-vb5e6-eqe", "principal-id"),
        ("2ibo7-dia", "principal-id"),
    ],
)
def test_principal_kind(text: str, kind: str) -> None:
    blob = principal_from_text(text)
    assert not is_public_principal(blob)
    assert principal_kind(blob) == kind


def test_derived_and_reserved_kinds() -> None:
    assert principal_kind(bytes(28) + b"\x03") == "principal-id"
    assert principal_kind(b"\x05\x7f") == "principal-id"


def test_candidate_regex_shape() -> None:
    text = "see hello-world and rdmx6-jaaaa-aaaaa-aaadq-cai; not x-rdmx6-jaaaa-aaaaa-aaadq-cai"
    found = [m.group() for m in PRINCIPAL_CANDIDATE_RE.finditer(text)]
    assert found == ["hello-world", "rdmx6-jaaaa-aaaaa-aaadq-cai"]


def test_every_spec_vector_is_listed(spec_cells: Callable[[str, int], list[str]]) -> None:
    listed_valid = {t for t, _, _ in VALID} | {t for t, _ in CASE_INSENSITIVE}
    listed_invalid = {t for t, _ in INVALID}
    spec_valid = set(spec_cells("### 1.5", 0))
    # "`AAAAA-AA` with `strict_lowercase=True`" is covered by test_case_insensitive.
    spec_invalid = {c for c in spec_cells("### 1.6", 0) if "=" not in c} - {"AAAAA-AA"}
    assert len(spec_valid) >= 28 and len(spec_invalid) >= 30
    assert spec_valid <= listed_valid, spec_valid - listed_valid
    assert spec_invalid <= listed_invalid, spec_invalid - listed_invalid
