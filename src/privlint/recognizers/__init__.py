"""Exact value recognisers: what identifier, if any, a string literal holds.

Why this package exists: privlint classifies a literal by its value (report note ``by-value``)
only when the value is unmistakable. Every candidate found by a shape regex is confirmed by an
exact validator - the CRC32 of a principal or an account id, the BIP-39 wordlist, the
:mod:`ipaddress` ranges, detect-secrets' detectors - so that words like ``hello-world`` never
become findings. One module per format:

* :mod:`.principal` - principals and canister ids (CRC32, class tag, public constants)
* :mod:`.account` - ICP account identifiers and ICRC-1 account texts
* :mod:`.seed` - BIP-39 seed phrases
* :mod:`.network` - public IP addresses and e-mail addresses
* :mod:`.pem` - PEM private-key blocks
* :mod:`.secret_literals` - detect-secrets detectors used as a library

:func:`classify_literal` scans a whole literal: it may *be* an identifier or *contain* one (a
URL holding a canister id, ``"user alice@corp.io"``).

Speed (2-core development machine, CPython 3.11.7; uncached work, best of 5 x 4,000 calls):
ordinary literals such as "deploy", "%s: %s", "utf-8" cost about 1.1-1.3 µs, "user_signed_in",
"Content-Type", "application/json" 2-3 µs, "hello-world" (a principal-shaped word whose CRC
fails) 6 µs, a 60-80 character sentence 6-9 µs, a URL 11 µs. Literals that hold something cost
more: a canister id 8 µs, a self-authenticating principal 13 µs, "8.8.8.8" 14 µs, an AWS key
id 14 µs, a seed phrase 17 µs, a high-entropy key 30 µs. A repeated literal is an lru_cache
hit (about 0.2 µs). Over the 888k string constants of an installed Python tree (stdlib plus
site-packages, 85% of them at most 30 characters) the average was 10.6 µs per literal,
2.1 µs for those of at most 30 characters; long docstrings dominate the rest. detect-secrets
(about 0.2 s to import) and the BIP-39 wordlist are loaded only when a literal first needs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from privlint.recognizers.account import (
    ACCOUNT_ID_CANDIDATE_RE,
    ICRC1_CANDIDATE_RE,
    AccountError,
    account_id_from_text,
    icrc1_account_from_text,
    principal_from_subaccount,
)
from privlint.recognizers.network import find_emails, find_public_ips
from privlint.recognizers.pem import find_pem_private_keys
from privlint.recognizers.principal import (
    PRINCIPAL_CANDIDATE_RE,
    PrincipalError,
    classify_principal,
    principal_from_text,
    principal_kind,
)
from privlint.recognizers.secret_literals import find_secrets
from privlint.recognizers.seed import find_seed_phrases

__all__ = ["LiteralMatch", "classify_literal"]

# The shortest literal that can hold anything reportable: an e-mail address "a@b.co".
_MIN_LENGTH: Final = 6
# Literals up to this length are cached; longer ones (file contents, docstrings) are rare and
# would pin memory.
_CACHE_MAX_LENGTH: Final = 2048


@dataclass(frozen=True)
class LiteralMatch:
    """One identifier found in a literal.

    ``kind`` is a spec/kinds.md kind (``principal-id``, ``canister-id``, ``account-id``,
    ``seed-phrase``, ``ip-address``, ``email``, ``secret``); ``detail`` a short human phrase.
    ``documentation`` is True for values reserved for documentation that still have the exact
    shape (``alice@example.com``, AWS's ``AKIAIOSFODNN7EXAMPLE``, ``https://user:pass@host``);
    the caller decides.
    """

    kind: str
    detail: str
    documentation: bool = False


_PRINCIPAL_DETAIL: Final = {
    "canister": "canister id literal",
    "opaque": "opaque (canister-style) principal literal",
    "self-authenticating": "self-authenticating principal literal",
    "derived": "derived principal literal",
    "reserved": "reserved principal literal",
    "unclassified": "principal literal",
}

_SECRET_DETAIL: Final = {
    "AWSKeyDetector": "AWS access key",
    "PrivateKeyDetector": "private key",
    "JwtTokenDetector": "JSON web token",
    "GitHubTokenDetector": "GitHub token",
    "GitLabTokenDetector": "GitLab token",
    "SlackDetector": "Slack token",
    "StripeDetector": "Stripe key",
    "OpenAIDetector": "OpenAI API key",
    "PypiTokenDetector": "PyPI token",
    "SendGridDetector": "SendGrid API key",
    "BasicAuthDetector": "password in a URL",
    "Base64HighEntropyString": "high-entropy string",
    "HexHighEntropyString": "high-entropy hex string",
}


def _principal_match(blob: bytes, where: str = "") -> LiteralMatch | None:
    kind = principal_kind(blob)
    if kind is None:
        return None  # management, anonymous, NNS system canisters: public constants
    return LiteralMatch(kind, _PRINCIPAL_DETAIL[classify_principal(blob)] + where)


def _ic_matches(text: str, out: list[LiteralMatch]) -> None:
    if "." in text:
        for m in ICRC1_CANDIDATE_RE.finditer(text):
            try:
                icrc1_account_from_text(m.group())
            except AccountError:
                # Not a valid account text, but the owner principal is still written out.
                try:
                    blob = principal_from_text(m.group("owner"))
                except PrincipalError:
                    continue
                hit = _principal_match(blob)
                if hit is not None:
                    out.append(hit)
                continue
            # Reported even for a public owner: the subaccount (always present in this form)
            # is what identifies, e.g. a user's cycles-minting top-up account.
            out.append(LiteralMatch("account-id", "ICRC-1 account text literal"))
    for m in PRINCIPAL_CANDIDATE_RE.finditer(text):
        try:
            blob = principal_from_text(m.group())
        except PrincipalError:
            continue
        hit = _principal_match(blob)
        if hit is not None:
            out.append(hit)


def _account_id_matches(text: str, out: list[LiteralMatch]) -> None:
    for m in ACCOUNT_ID_CANDIDATE_RE.finditer(text):
        try:
            account_id_from_text(m.group())
        except AccountError:
            # Not an account id; maybe a dfx subaccount derived from a principal (§2.1).
            blob = principal_from_subaccount(bytes.fromhex(m.group()[-64:]))
            if blob is not None and classify_principal(blob) in (
                "canister",
                "self-authenticating",
                "derived",
            ):
                hit = _principal_match(blob, " (embedded in a subaccount)")
                if hit is not None:
                    out.append(hit)
            continue
        out.append(LiteralMatch("account-id", "ICP account identifier literal"))


def _secret_matches(text: str, out: list[LiteralMatch]) -> None:
    pem = find_pem_private_keys(text)
    for block in pem:
        what = "block literal" if block.has_body else "header literal, no key material"
        out.append(LiteralMatch("secret", f"PEM private key {what} ({block.label})"))
    hits = find_secrets(text)
    specific = [h for h in hits if h.entropy is None]
    # The most specific evidence wins: a JWT or a PEM body is also high-entropy text.
    chosen = specific if (specific or pem) else hits
    for hit in chosen:
        if pem and hit.detector == "PrivateKeyDetector":
            continue
        detail = f"{_SECRET_DETAIL.get(hit.detector, hit.secret_type)} literal"
        out.append(LiteralMatch("secret", f"{detail} (detect-secrets {hit.detector})", hit.is_documentation))


def _classify(text: str) -> tuple[LiteralMatch, ...]:
    out: list[LiteralMatch] = []
    n = len(text)
    if n >= 9 and "-" in text:
        _ic_matches(text, out)
    if n >= 64:
        _account_id_matches(text, out)
    out.extend(
        LiteralMatch(
            "seed-phrase",
            f"BIP-39 seed phrase literal ({s.words} words, "
            f"checksum {'valid' if s.checksum_valid else 'not valid'})",
        )
        for s in find_seed_phrases(text)
    )
    if n >= 7 and ("." in text or ":" in text):
        out.extend(
            LiteralMatch("ip-address", f"public IPv{ip.version} address literal")
            for ip in find_public_ips(text)
        )
    for email in find_emails(text):
        detail = "e-mail address literal"
        if email.is_documentation:
            detail += " (documentation domain)"
        out.append(LiteralMatch("email", detail, email.is_documentation))
    _secret_matches(text, out)
    return tuple(dict.fromkeys(out))


_classify_cached = lru_cache(maxsize=65536)(_classify)


def classify_literal(text: str) -> list[LiteralMatch]:
    """Every identifier the string ``text`` is or contains, each confirmed by exact validation.

    Public constants (the management canister, the anonymous principal, the NNS system
    canisters) and non-identifying addresses (loopback, private, documentation IPs) yield
    nothing. The result is a new list, in order of kind checks, without duplicates.
    """
    if len(text) < _MIN_LENGTH:
        return []
    if len(text) > _CACHE_MAX_LENGTH:
        return list(_classify(text))
    return list(_classify_cached(text))
