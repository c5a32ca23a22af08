"""Parsing without libcst's per-node validation (``parse.parse_unvalidated``) changes nothing."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from privlint.parse import parse_unvalidated

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "fixtures").rglob("*.py")) + sorted((ROOT / "src" / "privlint").rglob("*.py"))


def test_trees_equal_validated_ones() -> None:
    assert len(FILES) > 50
    for path in FILES:
        source = path.read_bytes()
        try:
            validated = cst.parse_module(source)
        except cst.ParserSyntaxError:
            continue  # the fixtures of unparsable files
        assert parse_unvalidated(source).deep_equals(validated), path


def test_validation_restored_after_a_parse_and_after_a_failure() -> None:
    parse_unvalidated(b"x = 1\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")  # validation is back on for trees built by hand
    with pytest.raises(cst.ParserSyntaxError):
        parse_unvalidated(b"def (:\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")


def test_unvalidated_parse_still_refuses_bad_syntax() -> None:
    with pytest.raises(cst.ParserSyntaxError):
        parse_unvalidated(b"x = = 1\n")
