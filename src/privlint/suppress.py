"""Inline suppressions: ``# privlint: ignore[PII101] reason`` and detect-secrets' allowlist pragma.

Why a separate post-processing step: the solver must see every flow, and what a team decided to
accept is policy applied afterwards, next to the code it concerns. A suppression is itself checked,
so stale or careless ones do not pile up (rules.md, block PII0xx):

* on any line of the simple statement where a finding lands, or on its own line just above it
  (stacked suppression comments count as one block);
* PII001 when it gives no reason (it still suppresses: the reason is what is missing);
* PII002 for a code privlint does not have, or for a blanket ``ignore`` with no code (neither
  suppresses anything);
* PII003 for a code that suppressed no finding.

``# pragma: allowlist secret`` (detect-secrets) suppresses findings of kind ``secret`` whose source
or landing statement carries it; it is never reported as unused, because detect-secrets owns it too.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

from privlint.facts import ir
from privlint.findings import Finding, assign_fingerprints, display_path
from privlint.rules.codes import BY_CODE

ALLOWLIST = "ALLOWLIST-SECRET"
_REASON_LEAD = re.compile(r"^[\s:;,.\-–—]+")


@dataclass
class _Comment:
    path: str  # as reported (display path)
    module: str
    sup: ir.Suppression
    span: tuple[int, int]  # first and last line of the statement it covers
    used: set[str]


def _key(path: str) -> str:
    return os.path.normcase(os.path.abspath(path))


def _span(sup: ir.Suppression, stmt_lines: dict[int, tuple[int, int]],
          stacked: set[int]) -> tuple[int, int]:
    line = sup.line
    if sup.own_line:
        line += 1
        while line in stacked:  # several suppression comments stacked above one statement
            line += 1
    return stmt_lines.get(line, (line, line))


def _comments(modules: Iterable[ir.ModuleFacts]) -> dict[str, list[_Comment]]:
    out: dict[str, list[_Comment]] = {}
    for m in modules:
        if not m.suppressions:
            continue
        stacked = {s.line for s in m.suppressions if s.own_line}
        path = display_path(m.path)
        out[_key(m.path)] = [_Comment(path, m.module, s, _span(s, m.statement_lines, stacked), set())
                             for s in m.suppressions]
    return out


def _covers(c: _Comment, line: int) -> bool:
    return c.span[0] <= line <= c.span[1]


def _suppressed(f: Finding, comments: dict[str, list[_Comment]]) -> bool:
    hit = False
    for c in comments.get(_key(f.path), ()):
        if _covers(c, f.line) and f.rule in c.sup.codes:
            c.used.add(f.rule)
            hit = True
    if "secret" in f.kinds:
        places = [(f.path, f.line)] + ([(f.trace[0].path, f.trace[0].line)] if f.trace else [])
        for path, line in places:
            for c in comments.get(_key(path), ()):
                if ALLOWLIST in c.sup.codes and _covers(c, line):
                    hit = True
    return hit


def _reason(text: str) -> str:
    return _REASON_LEAD.sub("", text).strip()


def _problem(c: _Comment, rule: str, message: str, detail: str) -> Finding:
    s = c.sup
    return Finding(
        rule=rule, category="suppression", severity=BY_CODE[rule].severity, kinds=[],
        path=c.path, line=s.line, column=1, end_line=s.line, end_column=1,
        sink="", field=None, message=message, func=c.module, source=detail,
    )


def _problems(comments: dict[str, list[_Comment]]) -> list[Finding]:
    out: list[Finding] = []
    for cs in comments.values():
        for c in cs:
            codes = c.sup.codes
            if codes == (ALLOWLIST,):
                continue
            text = f"ignore[{', '.join(codes)}]"
            if not codes:
                out.append(_problem(c, "PII002", "`# privlint: ignore` names no rule code and "
                                    "suppresses nothing; write ignore[CODE] reason", "ignore"))
                continue
            if not _reason(c.sup.reason):
                out.append(_problem(c, "PII001", f"suppression {text} gives no reason", text))
            for code in codes:
                if code not in BY_CODE:
                    out.append(_problem(c, "PII002", f"suppression names unknown rule code {code}",
                                        code))
                elif code not in c.used:
                    out.append(_problem(c, "PII003", f"suppression ignore[{code}] suppresses no "
                                        "finding; remove it", code))
    assign_fingerprints(out)
    return out


def apply_suppressions(findings: list[Finding],
                       modules: Iterable[ir.ModuleFacts]) -> tuple[list[Finding], int]:
    """Drop suppressed findings and add the suppression problems; return them and the count dropped.

    Call it on every finding before ``--select``/``--ignore`` or changed-files filtering, so a
    suppression whose finding is merely not reported this time is not called unused.
    """
    comments = _comments(modules)
    if not comments:
        return findings, 0
    kept = [f for f in findings if not _suppressed(f, comments)]
    dropped = len(findings) - len(kept)
    out = kept + _problems(comments)
    out.sort(key=Finding.sort_key)
    return out, dropped
