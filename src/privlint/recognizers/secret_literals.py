"""Credentials in string literals, using detect-secrets' detectors as a library.

Why this module exists: detect-secrets already knows the shapes of AWS keys, JWTs, GitHub,
GitLab, Slack and Stripe tokens, private-key headers and high-entropy strings, and it is what
projects run in pre-commit, so privlint agrees with it instead of keeping its own regexes.
It is used the way shared/notes/libraries.md §1 recommends:

* plugin objects are called directly (``analyze_string``); the process-global settings,
  ``scan_line`` and its noisy "eager" entropy mode are not used;
* verification is never enabled: ``verify()`` (HTTP requests to AWS, Slack, Stripe…) is only
  reached through a settings filter this module never installs, and it never calls it;
* the entropy limit is applied here, on the bare value, because ``analyze_string`` of the
  entropy plugins only looks at quoted strings and never applies the limit itself;
* the heuristic false-positive filters (``is_sequential_string``, ``is_potential_uuid``,
  ``is_templated_secret``, ``is_not_alphanumeric_string``) are applied to every hit.

Entropy alone is noisy on arbitrary literals, so an entropy hit is reported only for a token of
at least 20 characters that mixes upper case, lower case and digits (random base64/base62
material) and is not word-like (CamelCase names, URL paths, alphabets), and never for data:
URI payloads or SSH public keys. (The 4.5-bit limit cannot be passed below 23 characters,
log2(22) < 4.5, so the 20-character minimum is in practice 23.) In a scan of 888k literals of
an installed Python tree these filters removed the CamelCase and URL-path hits that made up
most entropy findings. Single-case hex - SHA-256 digests, commit ids, and also raw private
keys - cannot be told apart by value; such literals are left to name-based rules
(``privkey = "…"``) or to ``include_weak_entropy``. Regex detectors always count. Cheap
substring triggers run first, and detect-secrets itself (about 0.2 s to import) is imported
only when a literal gets past them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from detect_secrets.plugins.base import BasePlugin
    from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin

__all__ = ["ENTROPY_MIN_LENGTH", "REGEX_DETECTORS", "SecretHit", "find_secrets"]

#: Entropy hits are reported only for tokens at least this long.
ENTROPY_MIN_LENGTH: Final = 20

#: detect-secrets regex detectors used, each with substrings one of which every match contains.
#: Slack's are matched against the lower-cased text, as its regexes are case-insensitive.
#: tests/recognizers pin the plugins' regexes and check a sample of every one of them, so an
#: upgrade of detect-secrets that changes a regex is noticed.
REGEX_DETECTORS: Final[dict[str, tuple[str, ...]]] = {
    "AWSKeyDetector": ("A3T", "ABIA", "ACCA", "AKIA", "ASIA", "aws"),
    "PrivateKeyDetector": ("PRIVATE KEY", "PuTTY-User-Key-File-2"),
    "JwtTokenDetector": ("eyJ",),
    "GitHubTokenDetector": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    "GitLabTokenDetector": (
        "glpat-",
        "gldt-",
        "glft-",
        "glsoat-",
        "glrt-",
        "glcbt-",
        "glimt-",
        "glptt-",
        "glagent-",
        "gloas-",
        "GR1348941",
    ),
    "SlackDetector": ("xox", "hooks.slack.com"),
    "StripeDetector": ("k_live_",),
    "OpenAIDetector": ("T3BlbkFJ",),
    "PypiTokenDetector": ("pypi-AgE",),
    "SendGridDetector": ("SG.",),
    "BasicAuthDetector": ("://",),
}
_CASE_INSENSITIVE: Final = frozenset({"SlackDetector"})
# Shortest text any of the detectors can match ("xox" tokens are the shortest).
_REGEX_MIN_LENGTH: Final = 8


# One alternation of the case-sensitive needles: a single regex search (about 0.3 µs on a short
# literal) rejects ordinary text; the per-detector loop below runs only when something hits.
_ANY_NEEDLE: Final = re.compile(
    "|".join(
        re.escape(needle)
        for name, needles in REGEX_DETECTORS.items()
        if name not in _CASE_INSENSITIVE
        for needle in needles
    )
)


def _triggered(text: str) -> list[str]:
    lower = text.lower()
    if not _ANY_NEEDLE.search(text) and not any(
        needle in lower for name in _CASE_INSENSITIVE for needle in REGEX_DETECTORS[name]
    ):
        return []
    names: list[str] = []
    for name, needles in REGEX_DETECTORS.items():
        haystack = text
        if name in _CASE_INSENSITIVE:
            haystack = lower
        if any(needle in haystack for needle in needles):
            names.append(name)
    if "BasicAuthDetector" in names and "@" not in text:
        names.remove("BasicAuthDetector")
    return names


# Runs of detect-secrets' Base64 charset (letters, digits, + / \ - _ =), long enough to report.
_B64_TOKEN_RE: Final = re.compile(rf"[A-Za-z0-9+/\\\-_=]{{{ENTROPY_MIN_LENGTH},}}")
_HEX: Final = frozenset("0123456789abcdefABCDEF")
_ENTROPY_SAMPLE: Final = 4096
_MIXED_RE: Final = (re.compile("[A-Z]"), re.compile("[a-z]"), re.compile("[0-9]"))


@dataclass(frozen=True)
class SecretHit:
    """One detect-secrets hit: plugin class name, its secret type, entropy if entropy-based.

    ``is_documentation`` marks AWS's documented example credentials (``…EXAMPLE…``) and
    placeholder passwords in URLs (``https://user:pass@host``), which detect-secrets itself
    still reports.
    """

    detector: str
    secret_type: str
    entropy: float | None = None
    is_documentation: bool = False


@cache
def _regex_plugins() -> dict[str, BasePlugin]:
    from detect_secrets.plugins import (
        aws,
        basic_auth,
        github_token,
        gitlab_token,
        jwt,
        openai,
        private_key,
        pypi_token,
        sendgrid,
        slack,
        stripe,
    )

    plugins: list[BasePlugin] = [
        aws.AWSKeyDetector(),
        private_key.PrivateKeyDetector(),
        jwt.JwtTokenDetector(),
        github_token.GitHubTokenDetector(),
        gitlab_token.GitLabTokenDetector(),
        slack.SlackDetector(),
        stripe.StripeDetector(),
        openai.OpenAIDetector(),
        pypi_token.PypiTokenDetector(),
        sendgrid.SendGridDetector(),
        basic_auth.BasicAuthDetector(),
    ]
    return {type(p).__name__: p for p in plugins}


@cache
def _entropy_plugins() -> tuple[HighEntropyStringsPlugin, HighEntropyStringsPlugin]:
    from detect_secrets.plugins.high_entropy_strings import (
        Base64HighEntropyString,
        HexHighEntropyString,
    )

    # The limits are detect-secrets' defaults (and the CLI's): 4.5 and 3.0 bits per character.
    return Base64HighEntropyString(limit=4.5), HexHighEntropyString(limit=3.0)


def _filtered(value: str) -> bool:
    """detect-secrets' heuristic false-positive filters; True drops the value."""
    from detect_secrets.filters import heuristic

    return (
        heuristic.is_sequential_string(value)
        or heuristic.is_potential_uuid(value)
        or heuristic.is_templated_secret(value)
        or heuristic.is_not_alphanumeric_string(value)
    )


def _is_mixed(token: str) -> bool:
    return all(rx.search(token) for rx in _MIXED_RE)


# Word-like runs: "Redshift", "publication". Random base64 rarely has many of them.
_WORDY_RE: Final = re.compile(r"[A-Z]?[a-z]{4,}")
# A path after a host name: "github.com/owner/Repo2/..." leaves the token "com/owner/...".
_URL_PATH_RE: Final = re.compile(r"[a-z]{2,6}/")
# Base64 blobs of SSH *public* keys (ssh-rsa, ssh-ed25519, ecdsa-sha2-*): not secrets.
_PUBLIC_KEY_PREFIXES: Final = ("AAAAB3NzaC1yc2E", "AAAAC3NzaC1lZDI1NTE5", "AAAAE2VjZHNhLXNoYTIt")


def _looks_like_text(token: str) -> bool:
    """Mixed-case, high-entropy tokens that are still not random: CamelCase names and URL paths
    (half of the token in word-like runs) or alphabets ("ABC…xyz0123…", half of the adjacent
    pairs consecutive). Of random base64 tokens that pass the entropy limit this drops 0.2%
    at 32 characters, 0.1% at 40 and 0.005% at 64 (20,000 samples each)."""
    n = len(token)
    if sum(len(w) for w in _WORDY_RE.findall(token)) * 2 >= n:
        return True
    consecutive = sum(1 for a, b in zip(token, token[1:], strict=False) if ord(b) - ord(a) == 1)
    return consecutive * 2 >= n - 1


def _entropy_hits(text: str, include_weak: bool) -> list[SecretHit]:
    hits: list[SecretHit] = []
    for match in _B64_TOKEN_RE.finditer(text):
        token = match.group()
        start = match.start()
        if text.endswith(";base64,", 0, start):
            continue  # data: URI payload (an image, a font), not a credential
        if start and text[start - 1] == "." and _URL_PATH_RE.match(token):
            continue
        if token.startswith(_PUBLIC_KEY_PREFIXES):
            continue
        if (not include_weak and not _is_mixed(token)) or _looks_like_text(token):
            continue
        b64, hexp = _entropy_plugins()
        plugin = hexp if _HEX.issuperset(token) else b64
        # An embedded blob can be megabytes; its first few kilobytes measure it well enough.
        entropy = plugin.calculate_shannon_entropy(token[:_ENTROPY_SAMPLE])
        if entropy <= plugin.entropy_limit or _filtered(token):
            continue
        hits.append(
            SecretHit(
                type(plugin).__name__,
                plugin.secret_type,
                round(entropy, 3),
                "EXAMPLE" in token,
            )
        )
    return hits


_AWS_KEY_ID_LENGTH: Final = 20
_ALNUM_UPPER: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
# Passwords that only stand for one in documentation ("https://user:pass@host").
_PLACEHOLDER_PASSWORDS: Final = frozenset(
    {"pass", "password", "passwd", "pwd", "secret", "changeme", "xxx", "xxxx", "***", "****"}
)


def _embedded_aws_key_id(text: str, value: str) -> bool:
    """detect-secrets' AWS key-id regex has no word boundaries, so it fires inside longer
    upper-case runs (a DNA sequence, a hash). True if every occurrence of ``value`` is such."""
    if len(value) != _AWS_KEY_ID_LENGTH:
        return False
    start = text.find(value)
    while start != -1:
        end = start + len(value)
        if (start == 0 or text[start - 1] not in _ALNUM_UPPER) and (
            end == len(text) or text[end] not in _ALNUM_UPPER
        ):
            return False
        start = text.find(value, start + 1)
    return True


def _is_documentation(detector: str, value: str) -> bool:
    if detector == "BasicAuthDetector":
        return value.lower() in _PLACEHOLDER_PASSWORDS
    return "EXAMPLE" in value


def find_secrets(text: str, *, include_weak_entropy: bool = False) -> list[SecretHit]:
    """detect-secrets hits for a literal's value; never touches the network.

    With ``include_weak_entropy`` entropy hits are also returned for tokens that do not mix
    character classes (single-case hex digests and the like), for callers that already know,
    e.g. from a variable name, that the value is meant to be secret.
    """
    hits: list[SecretHit] = []
    names = _triggered(text) if len(text) >= _REGEX_MIN_LENGTH else []
    if names:
        plugins = _regex_plugins()
        for name in names:
            plugin = plugins[name]
            for value in plugin.analyze_string(text):
                if _filtered(value):
                    continue
                if name == "AWSKeyDetector" and _embedded_aws_key_id(text, value):
                    continue
                hits.append(SecretHit(name, plugin.secret_type, None, _is_documentation(name, value)))
                break
    if len(text) >= ENTROPY_MIN_LENGTH:
        hits.extend(_entropy_hits(text, include_weak_entropy))
    return hits
