"""detect-secrets used as a library: regex detectors, entropy, filters, no network."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest

from privlint.recognizers.secret_literals import (
    REGEX_DETECTORS,
    SecretHit,
    _regex_plugins,
    find_secrets,
)

# A random-looking base62 filler, cut to the lengths the detectors require.
_R = "Zx9Qm2Lr7Tk4Wv8Ns3Hp6Jc1Yb5Fd0Ga2Ue7Qw3Rt5Yu7Io9Pa1Sd3Fg5Hj7Kl9Zx1Cv3Bn5Mq"


def _r(n: int) -> str:
    return (_R * (n // len(_R) + 1))[:n]


# At least one sample for every regex of every detector (index in the plugin's denylist).
SAMPLES: dict[str, list[str]] = {
    "AWSKeyDetector": [
        "AKIAZ3MTL6Q4VXK2R7PB",
        'aws_secret_access_key = "' + _r(40) + '"',
        "ASIAZ3MTL6Q4VXK2R7PB",
        "A3TXZ3MTL6Q4VXK2R7PB",
    ],
    "PrivateKeyDetector": [
        "BEGIN DSA PRIVATE KEY",
        "BEGIN EC PRIVATE KEY",
        "BEGIN OPENSSH PRIVATE KEY",
        "BEGIN PGP PRIVATE KEY BLOCK",
        "BEGIN PRIVATE KEY",
        "BEGIN RSA PRIVATE KEY",
        "BEGIN SSH2 ENCRYPTED PRIVATE KEY",
        "PuTTY-User-Key-File-2: ssh-rsa",
    ],
    "JwtTokenDetector": [
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
        "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ],
    "GitHubTokenDetector": [f"{p}_{_r(36)}" for p in ("ghp", "gho", "ghu", "ghs", "ghr")],
    "GitLabTokenDetector": [
        *(f"{p}-{_r(20)}" for p in ("glpat", "gldt", "glft", "glsoat", "glrt")),
        "GR1348941" + _r(20),
        "glcbt-a1_" + _r(20),
        "glimt-" + _r(25),
        "glptt-" + _r(40),
        "glagent-" + _r(50),
        "gloas-" + _r(64),
    ],
    "SlackDetector": [
        "xoxb-123456789012-1234567890123-" + _r(24).lower(),
        "XOXP-123456789012-abc",
        "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    ],
    "StripeDetector": ["sk_live_" + _r(24), "rk_live_" + _r(24)],
    "OpenAIDetector": ["sk-" + _r(20) + "T3BlbkFJ" + _r(20)],
    "PypiTokenDetector": ["pypi-AgEIcHlwaS5vcmc" + _r(70), "pypi-AgENdGVzdC5weXBpLm9yZw" + _r(70)],
    "SendGridDetector": ["SG." + _r(22) + "." + _r(43)],
    "BasicAuthDetector": ["https://deploy:s3cr3tpass@db.corp.io/x"],
}

# The detect-secrets 1.5.0 denylists these samples and the triggers were written against.
# If detect-secrets changes a regex this fails: re-check REGEX_DETECTORS and SAMPLES.
PINNED_DENYLISTS = {
    "AWSKeyDetector": (2, "2442535eca474c3c"),
    "PrivateKeyDetector": (8, "1611ba7642b426aa"),
    "JwtTokenDetector": (1, "39549fd323b58b0c"),
    "GitHubTokenDetector": (1, "5deb367285752710"),
    "GitLabTokenDetector": (7, "088caa7db6e3f406"),
    "SlackDetector": (2, "9da34c83c226f019"),
    "StripeDetector": (1, "1e68da2ed7875695"),
    "OpenAIDetector": (1, "a2802213e73b496d"),
    "PypiTokenDetector": (2, "9a232d75b6e3890c"),
    "SendGridDetector": (1, "11d94bdefe786474"),
    "BasicAuthDetector": (1, "de1d18ad6f147cc3"),
}


def test_detectors_match_pinned_detect_secrets() -> None:
    plugins = _regex_plugins()
    assert set(plugins) == set(REGEX_DETECTORS) == set(PINNED_DENYLISTS) == set(SAMPLES)
    for name, plugin in plugins.items():
        patterns = [rx.pattern for rx in plugin.denylist]
        digest = hashlib.sha256("\n".join(patterns).encode()).hexdigest()[:16]
        assert (len(patterns), digest) == PINNED_DENYLISTS[name], name


@pytest.mark.parametrize(("detector", "sample"), [(d, s) for d, samples in SAMPLES.items() for s in samples])
def test_every_detector_regex_is_reached(detector: str, sample: str) -> None:
    plugin = _regex_plugins()[detector]
    assert list(plugin.analyze_string(sample)), "sample does not match the plugin itself"
    assert detector in {h.detector for h in find_secrets(sample)}


def test_every_denylist_regex_has_a_sample() -> None:
    plugins = _regex_plugins()
    for name, samples in SAMPLES.items():
        for rx in plugins[name].denylist:
            assert any(rx.search(s) for s in samples), (name, rx.pattern)


def test_aws_documentation_key_is_reported_and_marked() -> None:
    # detect-secrets reports AWS's documented example key like any other; so do we, marked.
    assert find_secrets("AKIAIOSFODNN7EXAMPLE") == [SecretHit("AWSKeyDetector", "AWS Access Key", None, True)]
    assert find_secrets("AKIAZ3MTL6Q4VXK2R7PB") == [
        SecretHit("AWSKeyDetector", "AWS Access Key", None, False)
    ]


def test_entropy_hits() -> None:
    [hit] = find_secrets("q8Zr3LmX0vT7bN2kY5wJ9pC4hF6dS1gA")
    assert hit.detector == "Base64HighEntropyString"
    assert hit.entropy is not None and hit.entropy > 4.5
    [hit] = find_secrets("token: q8Zr3LmX0vT7bN2kY5wJ9pC4hF6dS1gA (rotate monthly)")
    assert hit.detector == "Base64HighEntropyString"


@pytest.mark.parametrize(
    "text",
    [
        "deploy",
        "user_signed_in",
        "%(asctime)s %(levelname)s %(message)s",
        "TestHTTPServerRequestHandler2",
        "/usr/lib/python3.11/site-packages/Foo2Bar",
        "123e4567-e89b-12d3-a456-426614174000",
        "123E4567-E89B-12D3-A456-426614174000",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEF",
        "${DATABASE_PASSWORD_FOR_PRODUCTION_9}",
        "q8Zr3LmX0vT7bN2kY5w",  # 19 characters: below the entropy minimum
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk",
        "https://github.com/owner/repo/blob/main/README.md",
        # Single-case hex: digests, commit ids (left to name-based rules).
        "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881",
        "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "k2t6j-2nvnp-4zjm3-25dtz-6xhaa-c7boj-5gayf-oj3xs-i43lp-teztq-6ae",
    ],
)
def test_no_secret(text: str) -> None:
    assert find_secrets(text) == []


def test_weak_entropy_on_request() -> None:
    digest = "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
    [hit] = find_secrets(digest, include_weak_entropy=True)
    assert hit.detector == "HexHighEntropyString"
    assert find_secrets("123e4567-e89b-12d3-a456-426614174000", include_weak_entropy=True) == []


def test_never_verifies(monkeypatch: pytest.MonkeyPatch) -> None:
    """No detector's verify() (HTTP) is ever reached, and no socket is opened."""
    import socket

    from detect_secrets.plugins.base import BasePlugin

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", boom)
    monkeypatch.setattr(socket, "create_connection", boom)
    for plugin in _regex_plugins().values():
        monkeypatch.setattr(type(plugin), "verify", boom)
    monkeypatch.setattr(BasePlugin, "verify", boom)
    for samples in SAMPLES.values():
        for sample in samples:
            assert find_secrets(sample)


def test_detect_secrets_loaded_lazily() -> None:
    """Ordinary literals never import detect-secrets (~0.2 s) or the BIP-39 wordlist."""
    code = (
        "import sys\n"
        "from privlint.recognizers import classify_literal\n"
        "for s in ['deploy', '%s: %s', 'utf-8', 'user_signed_in', 'hello-world',\n"
        "          'https://example.org/x', 'rrkah-fqaaa-aaaaa-aaaaq-cai', '8.8.8.8']:\n"
        "    classify_literal(s)\n"
        "assert 'detect_secrets' not in sys.modules\n"
        "assert 'mnemonic' not in sys.modules\n"
        "classify_literal('AKIAZ3MTL6Q4VXK2R7PB')\n"
        "assert 'detect_secrets' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    "text",
    [
        # Found in a scan of an installed Python tree (stdlib + site-packages).
        "GCACGGCGTCACACTTTGCTATGCCATAGCATATTTATCCATAAGATTAGCGGATCCTACCTGACGC",  # DNA: "ACCA…"
        "AmazonRedshiftQueryEditorV2TagOnlyUserIdPermissions",
        "NFCISO15693ReadMultipleBlocksConfiguration",
        "https://www.researchgate.net/publication/200034365_An_Improved_Algorithm_for_Matching",
        "http://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeFlowLogs.html",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_",
        "abcdfeghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_",
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDV5+voluw2zmzqpqCAqtsyoP01TQ8Ydx1eS1yD6wUsHcPqMIqp user@host",
    ],
)
def test_known_false_positive_families(text: str) -> None:
    assert find_secrets(text) == []


def test_aws_key_id_needs_boundaries() -> None:
    assert find_secrets("id=AKIAZ3MTL6Q4VXK2R7PB;") != []
    assert find_secrets("XAKIAZ3MTL6Q4VXK2R7PB") == []
    assert find_secrets("AKIAZ3MTL6Q4VXK2R7PB7") == []
    # One bounded occurrence is enough.
    assert find_secrets("XAKIAZ3MTL6Q4VXK2R7PB AKIAZ3MTL6Q4VXK2R7PB") != []


def test_placeholder_password_in_url_is_documentation() -> None:
    [hit] = find_secrets("e.g. https://user:pass@host:5432/db")
    assert hit == SecretHit("BasicAuthDetector", "Basic Auth Credentials", None, True)
    [hit] = find_secrets("postgres://app:Tr0ub4dor@db.corp.io/app")
    assert not hit.is_documentation
