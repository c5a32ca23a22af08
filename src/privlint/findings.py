"""From solver hits to findings: one per source and sink call, with rule, message and fingerprint.

Why a separate stage: the solver reports every flow it saw; what a user reads — which rule, which
severity, the shortest trace, a fingerprint that survives unrelated edits — is policy, kept here
(report-json.md, "One finding per source and sink call").
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass, field

from privlint.rules.codes import BY_CODE, SEVERITY_ORDER, lower, rule_for_kinds
from privlint.solve.optout import OptOut
from privlint.solve.summary import Hit, Unguarded


@dataclass(frozen=True)
class TraceStep:
    path: str
    line: int
    column: int
    step: str
    note: str


@dataclass
class Finding:
    rule: str
    category: str
    severity: str
    kinds: list[str]
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    sink: str
    field: str | None
    message: str
    notes: list[str] = field(default_factory=list)
    trace: list[TraceStep] = field(default_factory=list)
    fingerprint: str = ""
    func: str = ""  # module-qualified enclosing function (fingerprint input)
    source: str = ""  # the source's label (fingerprint input)

    def sort_key(self) -> tuple:
        return (self.path, self.line, self.column, self.rule, self.field or "", self.fingerprint)


def display_path(path: str, cwd: str | None = None) -> str:
    """Relative to the current directory when under it, else absolute; "/" separators."""
    here = os.getcwd()
    return _display(path, cwd or here, here)


@functools.lru_cache(maxsize=8192)
def _display(path: str, cwd: str, here: str) -> str:
    """Memoised: every trace step of every finding names a path, and a scan names few
    (gen100k: 69k calls for 336 files, a fifth of the work after the solve; issue 7)."""
    ap = os.path.normpath(os.path.join(here, path))  # os.path.abspath, with the cwd given
    try:
        rel = os.path.relpath(ap, cwd)
    except ValueError:
        rel = ap
    if rel.startswith(".."):
        rel = ap
    return rel.replace(os.sep, "/")


def consent_findings(unguarded: list[Unguarded], optouts: list[OptOut],
                     cwd: str | None = None) -> list[Finding]:
    """PII501 for sends reachable without an opt-in check; PII502 for checks that default to yes."""
    out: list[Finding] = []
    for u in unguarded:
        rule = BY_CODE["PII501"]
        via = f" (through {u.landing.name}())" if u.landing.family == "wrapper" else ""
        land = u.landing
        out.append(Finding(
            rule=rule.code, category=rule.category, severity=rule.severity, kinds=[],
            path=display_path(land.path, cwd), line=land.line, column=land.column,
            end_line=land.end_line, end_column=land.end_column, sink=u.sink.name, field=None,
            message=f"{u.sink.name} can send an event without the user's opt-in: no consent check "
                    f"on this path{via}",
            trace=[TraceStep(display_path(s.path, cwd), s.line, s.column, s.step, s.note)
                   for s in u.trace.steps()],
            func=land.func, source="consent"))
    for o in optouts:
        rule = BY_CODE["PII502"]
        out.append(Finding(
            rule=rule.code, category=rule.category, severity=rule.severity, kinds=[],
            path=display_path(o.path, cwd), line=o.line, column=o.column, end_line=o.end_line,
            end_column=o.end_column, sink="", field=None,
            message=f"{o.detail}: telemetry is opt-out, not opt-in", func=o.func, source=o.what))
    return out


def from_hits(hits: list[Hit], cwd: str | None = None,
              extra: list[Finding] | None = None) -> list[Finding]:
    best: dict[tuple, Hit] = {}
    for h in hits:  # one finding per source and call: the shortest way there
        o = h.flow.origin
        land = h.landing
        key = (o, (land.path, land.line, land.column))
        cur = best.get(key)
        if cur is None or (len(h.flow.trace), h.field, land.name) < (
                len(cur.flow.trace), cur.field, cur.landing.name):
            best[key] = h
    # A whole value and one of its modelled parts (sys.argv and sys.argv[0]) are one source:
    # when both reach the same call, the whole wins.
    wholes = {(o.path, o.line, o.column, o.label, land) for o, land in best}
    kept = [h for (o, land), h in sorted(best.items(), key=lambda kv: _hit_order(kv[1]))
            if not any((o.path, o.line, o.column, o.label[: i], land) in wholes
                       for i, ch in enumerate(o.label) if ch in "[." and i)]
    out = [_finding(h, cwd) for h in kept] + list(extra or ())
    assign_fingerprints(out)
    out.sort(key=Finding.sort_key)
    return out


def _hit_order(h: Hit) -> tuple:
    o = h.flow.origin
    return (h.landing.path, h.landing.line, h.landing.column, o.path, o.line, o.column, o.label)


def _finding(h: Hit, cwd: str | None) -> Finding:
    o = h.flow.origin
    rule = rule_for_kinds(o.kinds)
    notes = set(h.flow.notes)
    if o.by == "name":
        notes.add("by-name")
    elif o.by == "value":
        notes.add("by-value")
    if h.bound_hit:
        notes.add("bound-hit")
    severity = rule.severity
    if "by-name" in notes:
        severity = lower(severity)
    kinds = sorted(o.kinds)
    kind_text = " and ".join(kinds)
    how = " (hashed)" if "hashed" in notes else " (encoded)" if "encoded" in notes else ""
    via = ""
    if h.landing.family == "wrapper":
        via = f" through {h.landing.name}()"
    message = f"{kind_text}{how} from {o.label} reaches {h.sink.name} {h.field}{via}"
    land = h.landing
    trace = [TraceStep(display_path(s.path, cwd), s.line, s.column, s.step, s.note)
             for s in h.flow.trace.steps()]
    return Finding(
        rule=rule.code, category="leak", severity=severity, kinds=kinds,
        path=display_path(land.path, cwd), line=land.line, column=land.column,
        end_line=land.end_line, end_column=land.end_column, sink=h.sink.name, field=h.field,
        message=message, notes=sorted(notes), trace=trace, func=land.func, source=o.label,
    )


def assign_fingerprints(findings: list[Finding]) -> None:
    """Stable across unrelated edits: never line numbers; an index only among equals."""
    findings.sort(key=lambda f: (f.path, f.line, f.column, f.rule, f.field or ""))
    seen: dict[str, int] = {}
    for f in findings:
        base = "\x1f".join((f.rule, f.func, f.sink, f.source, f.field or ""))
        digest = hashlib.sha256(base.encode()).hexdigest()[:20]
        n = seen.get(digest, 0)
        seen[digest] = n + 1
        f.fingerprint = digest if n == 0 else f"{digest}-{n}"


def fails(findings: list[Finding], fail_on: str) -> bool:
    floor = SEVERITY_ORDER[fail_on]
    return any(SEVERITY_ORDER[f.severity] >= floor for f in findings)


def known_code(code: str) -> bool:
    return code in BY_CODE
