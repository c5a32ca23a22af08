"""BIP-39 seed phrases in string literals.

Why this module exists: a mnemonic is the whole wallet or identity, and it looks like ordinary
lowercase words. The only reliable signal is that every word comes from the 2048-word BIP-39
list, which ordinary prose rarely manages twelve times in a row (function words such as "the",
"of" and "is" are not in the list). The checksum in the last word raises confidence but is not
required: about 1 in 16 random runs passes it and a mistyped real phrase fails it
(shared/spec/ic-identifiers.md §5). The wordlist comes from the ``mnemonic`` package (the
reference implementation) and is loaded once, on first use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from mnemonic import Mnemonic

__all__ = ["MIN_WORDS", "SeedPhraseMatch", "bip39_wordlist", "find_seed_phrases"]

#: The shortest BIP-39 mnemonic.
MIN_WORDS: Final = 12
_VALID_LENGTHS: Final = (24, 21, 18, 15, 12)
# BIP-39 English words have 3..8 letters: twelve of them need at least this many characters.
_MIN_CHARS: Final = MIN_WORDS * 3 + (MIN_WORDS - 1)
# Only the first windows of a very long run are checksum-tested (a literal holding the whole
# wordlist would otherwise cost thousands of SHA-256 runs for no extra information).
_MAX_CHECK_STARTS: Final = 64

# Words are separated by whitespace, commas, semicolons, quotes or brackets, so that
# "a b c", "a,b,c" and '["a", "b"]' spellings are all seen as runs of words.
_TOKEN_RE: Final = re.compile(r"[^\s,;\"'\[\]()]+")


@dataclass(frozen=True)
class SeedPhraseMatch:
    """A run of BIP-39 words: its length and whether some 12..24-word window checksums."""

    words: int
    checksum_valid: bool


@cache
def _english() -> Mnemonic:
    from mnemonic import Mnemonic

    return Mnemonic("english")


@cache
def bip39_wordlist() -> frozenset[str]:
    """The BIP-39 English wordlist (2048 words), loaded once on first use."""
    return frozenset(_english().wordlist)


def _checksum_valid(run: list[str]) -> bool:
    checker = _english()
    for size in _VALID_LENGTHS:
        for start in range(min(len(run) - size + 1, _MAX_CHECK_STARTS)):
            if checker.check(" ".join(run[start : start + size])):
                return True
    return False


def find_seed_phrases(text: str) -> list[SeedPhraseMatch]:
    """Every maximal run of ``MIN_WORDS`` or more BIP-39 words in ``text``."""
    if len(text) < _MIN_CHARS:
        return []
    words = bip39_wordlist()
    found: list[SeedPhraseMatch] = []
    run: list[str] = []
    for token in _TOKEN_RE.findall(text.lower()):
        if token in words:
            run.append(token)
            continue
        if len(run) >= MIN_WORDS:
            found.append(SeedPhraseMatch(len(run), _checksum_valid(run)))
        run = []
    if len(run) >= MIN_WORDS:
        found.append(SeedPhraseMatch(len(run), _checksum_valid(run)))
    return found
