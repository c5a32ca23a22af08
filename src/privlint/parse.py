"""Read and parse one file with libcst, turning every failure into a reported error.

Why a stage of its own: a file that cannot be read or parsed must never end a scan or be skipped
silently (cli.md exit code 2); everything past this point works on plain facts.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from privlint.discover import SourceFile
from privlint.facts import ir
from privlint.facts.extract import extract


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


def _parse_source(source: bytes, sf: SourceFile) -> ir.ModuleFacts | ParseError:
    if b"\x00" in source:
        return ParseError(sf.path, 0, 0, "not a text file (contains NUL bytes)")
    try:
        module = cst.parse_module(source)
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
