"""BIP-39 seed-phrase recognition (ic-identifiers.md §5)."""

from __future__ import annotations

from privlint.recognizers.seed import SeedPhraseMatch, bip39_wordlist, find_seed_phrases

VALID_12 = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
VALID_24 = " ".join(["abandon"] * 23 + ["art"])
# Trezor test vector (python-mnemonic vectors.json), 12 words.
TREZOR_12 = "legal winner thank year wave sausage worth useful legal winner thank yellow"


def test_wordlist_is_bip39_english() -> None:
    words = bip39_wordlist()
    assert len(words) == 2048
    assert {"abandon", "about", "zoo"} <= words
    assert bip39_wordlist() is words  # loaded once


def test_valid_12_word_phrase() -> None:
    assert find_seed_phrases(VALID_12) == [SeedPhraseMatch(12, True)]
    assert find_seed_phrases(TREZOR_12) == [SeedPhraseMatch(12, True)]


def test_valid_24_word_phrase() -> None:
    assert find_seed_phrases(VALID_24) == [SeedPhraseMatch(24, True)]


def test_checksum_not_required() -> None:
    # Twelve list words whose checksum fails are still a seed phrase (a mistyped one).
    mistyped = TREZOR_12.replace("yellow", "zoo")
    assert find_seed_phrases(mistyped) == [SeedPhraseMatch(12, False)]


def test_low_diversity_runs_need_the_checksum() -> None:
    # Printed boolean arrays and counting words are BIP-39 words too (found in numpy/scipy
    # docstrings); with fewer than four distinct words only a valid whole mnemonic counts.
    bools = "[[ True, False, False,  True], [ True,  True, False, False], [False, True, True, True]]"
    assert find_seed_phrases(bools) == []
    assert find_seed_phrases("zero zero zero zero zero one one one one one two two two two two") == []
    assert find_seed_phrases(" ".join(["abandon"] * 12)) == []
    assert find_seed_phrases(" ".join(["zoo"] * 12)) == []
    assert find_seed_phrases(VALID_12) == [SeedPhraseMatch(12, True)]


def test_eleven_word_run_rejected() -> None:
    eleven = " ".join(VALID_12.split()[:11])
    assert find_seed_phrases(eleven) == []
    # A run of eleven, a non-list word, then more list words: still no run of twelve.
    assert find_seed_phrases(eleven + " bitcoin abandon about") == []


def test_phrase_inside_other_text_and_separators() -> None:
    assert find_seed_phrases(f"mnemonic: {VALID_12}\n") == [SeedPhraseMatch(12, True)]
    assert find_seed_phrases(VALID_12.replace(" ", ",")) == [SeedPhraseMatch(12, True)]
    as_json = "[" + ", ".join(f'"{w}"' for w in VALID_12.split()) + "]"
    assert find_seed_phrases(as_json) == [SeedPhraseMatch(12, True)]
    assert find_seed_phrases(VALID_12.upper()) == [SeedPhraseMatch(12, True)]
    assert find_seed_phrases(VALID_12.replace(" ", "\n")) == [SeedPhraseMatch(12, True)]


def test_stray_list_words_around_a_phrase() -> None:
    # "seed" and "today" are list words too: the run grows; the phrase inside still checksums.
    assert find_seed_phrases("seed " + TREZOR_12) == [SeedPhraseMatch(13, True)]
    assert find_seed_phrases("my seed " + TREZOR_12 + " today") == [SeedPhraseMatch(14, True)]
    # Beyond two stray words the run is not taken for one phrase, so no checksum claim.
    assert find_seed_phrases("bright cabin seed " + TREZOR_12) == [SeedPhraseMatch(15, False)]


PROSE = [
    "The quick brown fox jumps over the lazy dog and runs away into the forest before dawn.",
    "Failed to connect to the telemetry endpoint; the event will be retried after a short delay.",
    "This program is free software: you can redistribute it and/or modify it under the terms of "
    "the GNU General Public License as published by the Free Software Foundation.",
    "Please make sure you have the correct access rights and the repository exists.",
    "Permission is hereby granted, free of charge, to any person obtaining a copy of this "
    "software and associated documentation files, to deal in the Software without restriction.",
]


def test_ordinary_prose_not_flagged() -> None:
    for text in PROSE:
        assert find_seed_phrases(text) == [], text


def test_short_text_is_cheap_reject() -> None:
    assert find_seed_phrases("abandon about") == []
    assert find_seed_phrases("") == []
