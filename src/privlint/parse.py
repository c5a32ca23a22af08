"""Read and parse one file with libcst, turning every failure into a reported error.

Why a stage of its own: a file that cannot be read or parsed must never end a scan or be skipped
silently (cli.md exit code 2); everything past this point works on plain facts.
"""

from __future__ import annotations

import io
import itertools
import os
import re
import tokenize
from dataclasses import dataclass
from typing import TYPE_CHECKING

from privlint.discover import SourceFile
from privlint.facts import ir

if TYPE_CHECKING:
    import libcst as cst


@dataclass(frozen=True)
class ParseError:
    path: str
    line: int
    column: int
    message: str


def parse_file(sf: SourceFile) -> ir.ModuleFacts | ParseError:
    source = read_source(sf)
    if isinstance(source, ParseError):
        return source
    return parse_source(source, sf)


def read_source(sf: SourceFile) -> bytes | ParseError:
    try:
        with open(sf.path, "rb") as fh:
            return fh.read()
    except IsADirectoryError:
        return ParseError(sf.path, 0, 0, "is a directory, not a file")
    except OSError as exc:
        return ParseError(sf.path, 0, 0, f"cannot read: {exc.strerror or exc}")


def parse_source(source: bytes, sf: SourceFile) -> ir.ModuleFacts | ParseError:
    """Facts of ``source`` or why there are none; never raises for any input."""
    try:
        return _parse_source(source, sf)
    except Exception as exc:  # noqa: BLE001 - a bug on one file is that file's error, not the scan's
        return ParseError(sf.path, 0, 0, f"internal error: {type(exc).__name__}: {exc}")


MAX_NESTING = 200  # CPython's tokenizer refuses deeper bracket nesting ("too many nested parentheses")


_STRINGS_AND_COMMENTS = re.compile(
    rb"#[^\r\n]*|'''(?:[^\\]|\\.)*?'''|\"\"\"(?:[^\\]|\\.)*?\"\"\""
    rb"|'(?:[^'\\\r\n]|\\.)*'|\"(?:[^\"\\\r\n]|\\.)*\"", re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"()[]{}")
_DELTA = {ord(c): 1 if c in "([{" else -1 for c in "()[]{}"}


def too_deep(source: bytes) -> tuple[int, int] | None:
    """Where brackets nest deeper than CPython allows, or None.

    Python refuses such code, and libcst can crash the process on it, so it is reported as the
    syntax error Python would give, before libcst sees it. Cheap checks run first: a byte count,
    then the nesting of the brackets left once strings and comments are cut out by a regular
    expression (C-speed; ``tokenize`` over every file cost ~15% of a scan). Only code that may
    be too deep, or whose brackets do not balance, gets the exact check (``tokenize``).
    """
    if source.count(b"(") + source.count(b"[") + source.count(b"{") <= MAX_NESTING:
        return None
    if os.environ.get("PRIVLINT_TEST_NO_PRESCREEN") == "1":  # fault injection: lets tests crash libcst
        return None
    brackets = _STRINGS_AND_COMMENTS.sub(b"", source).translate(None, _NOT_BRACKETS)
    if len(brackets) <= MAX_NESTING:
        return None
    depths = list(itertools.accumulate(map(_DELTA.__getitem__, brackets)))
    if max(depths) <= MAX_NESTING and min(depths) >= 0:
        return None
    depth = 0
    try:
        for tok in tokenize.tokenize(io.BytesIO(source).readline):
            if tok.type == tokenize.OP:
                if tok.string in "([{":
                    depth += 1
                    if depth > MAX_NESTING:
                        return tok.start[0], tok.start[1] + 1
                elif tok.string in ")]}":
                    depth = max(0, depth - 1)
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError):
        return None  # the parser will report what is wrong
    return None


def _parse_source(source: bytes, sf: SourceFile) -> ir.ModuleFacts | ParseError:
    import libcst as cst  # here, not at the top: a scan answered from the cache never parses

    from privlint.facts.extract import extract

    if b"\x00" in source:
        return ParseError(sf.path, 0, 0, "not a text file (contains NUL bytes)")
    deep = too_deep(source)
    if deep is not None:
        return ParseError(sf.path, deep[0], deep[1], "syntax error: too many nested parentheses "
                          f"(Python refuses more than {MAX_NESTING})")
    try:
        module = parse_unvalidated(source)
    except cst.ParserSyntaxError as exc:
        msg = str(exc.message if hasattr(exc, "message") else exc).splitlines()[0]
        return ParseError(sf.path, exc.raw_line, exc.raw_column + 1, f"syntax error: {msg}")
    except (UnicodeDecodeError, LookupError, SyntaxError) as exc:
        return ParseError(sf.path, 0, 0, f"cannot decode: {exc}")
    except RecursionError:
        return ParseError(sf.path, 0, 0, "too deeply nested to parse")
    try:
        return extract(module, source, sf.path, sf.module, sf.is_package)
    except RecursionError:
        return ParseError(sf.path, 0, 0, "too deeply nested to analyse")


def parse_unvalidated(source: bytes) -> cst.Module:
    """``libcst.parse_module`` without each node's validation.

    Why: libcst builds every node of a parsed tree through its dataclass constructor, whose
    ``__post_init__`` validates the node (whitespace, parentheses, names) — checks meant for
    trees written by hand, which the parser's own output passes by construction. They were 10-12 %
    of parsing (gen100k: 2.65 s -> 2.34 s for 150 files; issue 7), and parsing is the workers' largest
    cost. The check is switched off only while this call parses (one process, one thread: the
    workers and the in-process fallback) and restored after, also when the parse fails;
    ``tests/test_parse.py`` checks the trees are equal to validated ones.
    """
    import libcst as cst
    from libcst._nodes.base import CSTNode

    validate = CSTNode.__dict__.get("__post_init__")
    if validate is None:  # another libcst layout: parse as it is
        return cst.parse_module(source)
    CSTNode.__post_init__ = _no_validation  # type: ignore[method-assign]
    try:
        return cst.parse_module(source)
    finally:
        CSTNode.__post_init__ = validate  # type: ignore[method-assign]


def _no_validation(self: object) -> None:
    return None
