"""The JSON report (shared/spec/report-json.md): stable keys, sorted findings, no line in ids."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from privlint import __version__
from privlint.findings import Finding
from privlint.scan import ScanResult


def finding_dict(f: Finding) -> dict:
    return {
        "rule": f.rule, "category": f.category, "severity": f.severity, "kinds": f.kinds,
        "path": f.path, "line": f.line, "column": f.column, "end_line": f.end_line,
        "end_column": f.end_column, "sink": f.sink, "field": f.field, "message": f.message,
        "notes": f.notes,
        "trace": [{"path": s.path, "line": s.line, "column": s.column, "step": s.step,
                   "note": s.note} for s in f.trace],
        "fingerprint": f.fingerprint,
    }


def as_dict(result: ScanResult) -> dict:
    return {
        "tool": {"name": "privlint", "version": __version__},
        "findings": [finding_dict(f) for f in result.findings],
        "errors": [{"path": e.path, "line": e.line, "column": e.column, "message": e.message}
                   for e in result.errors],
        "stats": result.stats,
    }


def render(result: ScanResult, color: bool = False) -> str:
    return "".join(chunks(result, color))


def chunks(result: ScanResult, color: bool = False) -> Iterator[str]:
    """The report in pieces, to be written one after another: indented at the top, one finding
    (or error) per line — readable, diffable, and written by the C encoder (``json.dumps`` with
    ``indent`` runs the pure-Python encoder, which took half of a warm scan with 4000 findings;
    issue 7). In pieces because a 1M-line project's 40k findings made as one document, then
    one string, then its UTF-8 bytes, held ~0.2 GB at the top of the scan's peak."""
    doc = as_dict(ScanResult([], result.errors, result.stats, result.catalog))

    def one(v: object) -> str:
        return json.dumps(v, ensure_ascii=False)

    def items(xs: Iterable) -> Iterator[str]:
        sep = "["
        for x in xs:
            yield f"{sep}\n    {one(x)}"
            sep = ","
        yield "[],\n" if sep == "[" else "\n  ],\n"

    yield f'{{\n  "tool": {one(doc["tool"])},\n  "findings": '
    yield from items(finding_dict(f) for f in result.findings)
    yield '  "errors": '
    yield from items(doc["errors"])
    yield f'  "stats": {one(doc["stats"])}\n}}\n'

