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
_MIN_DISTINCT: Final = 4
# BIP-39 words that code prints in long repetitive runs (boolean arrays, counting). ("four",
# "five" and "nine" are not in the list.)
_CODE_WORDS: Final = frozenset(
    ["true", "false", "zero", "one", "two", "three", "six", "seven", "eight", "ten"]
)
# BIP-39 English words have 3..8 letters: twelve of them need at least this many characters.
_MIN_CHARS: Final = MIN_WORDS * 3 + (MIN_WORDS - 1)
_MAX_STRAY: Final = 2

# Words are separated by whitespace, commas, semicolons, quotes or brackets, so that
# "a b c", "a,b,c" and '["a", "b"]' spellings are all seen as runs of words.
_TOKEN_RE: Final = re.compile(r"[^\s,;\"'\[\]()]+")


@dataclass(frozen=True)
class SeedPhraseMatch:
    """A run of BIP-39 words: its length and whether it checksums as a mnemonic."""

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
    """The run is a mnemonic with a valid checksum, allowing up to ``_MAX_STRAY`` stray list
    words at its ends ("wallet abandon … about"). Testing every window of a long run instead
    would make the flag meaningless: each window passes with probability 1/16 or more."""
    checker = _english()
    n = len(run)
    return any(
        checker.check(" ".join(run[start : start + size]))
        for size in _VALID_LENGTHS
        if 0 <= n - size <= _MAX_STRAY
        for start in range(n - size + 1)
    )


def _match(run: list[str]) -> SeedPhraseMatch | None:
    if len(set(run)) >= _MIN_DISTINCT:
        return SeedPhraseMatch(len(run), _checksum_valid(run))
    # Few distinct words: "true false true …" (a printed boolean array) or "zero one two …".
    # Kept only when the whole run is a mnemonic with a valid checksum, like the all-"abandon"
    # test vector, and not made of code words only (1 in 16 boolean arrays would checksum).
    distinct = set(run)
    if not distinct <= _CODE_WORDS and len(run) in _VALID_LENGTHS and _english().check(" ".join(run)):
        return SeedPhraseMatch(len(run), True)
    return None


def find_seed_phrases(text: str) -> list[SeedPhraseMatch]:
    """Every maximal run of ``MIN_WORDS`` or more BIP-39 words in ``text``.

    A run of fewer than four distinct words counts only if it is a whole mnemonic whose
    checksum passes: printed boolean arrays ("true false false true …") and counting words
    are BIP-39 words too, while a real mnemonic repeats almost no word.
    """
    if len(text) < _MIN_CHARS:
        return []
    words = bip39_wordlist()
    found: list[SeedPhraseMatch] = []
    run: list[str] = []
    for token in _TOKEN_RE.findall(text.lower()):
        if token in words:
            run.append(token)
            continue
        if len(run) >= MIN_WORDS and (match := _match(run)) is not None:
            found.append(match)
        run = []
    if len(run) >= MIN_WORDS and (match := _match(run)) is not None:
        found.append(match)
    return found
