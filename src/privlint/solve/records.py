"""What a solve leaves per function, as plain data, and the program's findings assembled from it.

Why a record per function: the findings of a scan are a function of what each analysed function
found (its hits, its closed sends, the hits and sends it leaves to its callers) and of who calls
whom. Kept per function, the outputs of functions a change cannot reach can be taken from the
last scan and only the rest re-solved (``incremental.py``, issue 7); a cold solve assembles its
findings through the same code, so both paths report alike.

A record also keeps the function's edges — what it called, read and wrote in shared state —
from which the next scan finds what a change can affect.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from privlint.catalog import Entry, entry
from privlint.solve.summary import Hit, Unguarded
from privlint.solve.values import Flow, Origin, Step, Trace

if TYPE_CHECKING:
    from privlint.rules.model import RuleSet
    from privlint.solve.program import Program


class Record(NamedTuple):
    """One analysed function: where it is, its edges, and its outputs (last analysis). A named
    tuple: made for every analysed function at the end of every solve (1M lines: 141k), and
    pickled in the ledger — a frozen dataclass cost twice as much to build."""

    module: str
    name: str  # "<module>", "<class>", "<lambda>" or the def's name
    parent: str | None  # the function it is nested in (its closure)
    is_lambda: bool
    calls: tuple[str, ...]  # project functions whose summaries it used
    reads: tuple[tuple, ...]  # shared state it read (``Program.readers``'s keys)
    writes: tuple[tuple, ...]  # shared state it wrote
    hits: tuple[Hit, ...]  # findings of its analysis (specialised callees' included)
    catalog: tuple[Entry, ...]  # closed sends found there, as catalog entries
    # what counts only while no project code calls it (an entry point), kept only then (``entry``)
    open_hits: tuple[Hit, ...]  # its summary's hits: from a parameter (reported by name)
    unguarded: tuple[Unguarded, ...]  # sends reachable from its entry without consent
    open_sends: tuple[Entry, ...]  # sends still open at its entry (listed as dynamic)
    bound: bool  # the analysis bound cut its fixpoint short
    entry: bool = True  # the three above are kept (False: it was called; they were dropped)


def records_of(program: Program, uncalled_only: bool = False, consume: bool = False) -> dict[str, Record]:
    """A record for every function ``program`` analysed in this solve, with what counts at an
    entry point (``uncalled_only``: for functions this solve saw no call of; a full solve
    knows every call, a re-solve only its own: ``trimmed`` after merging). ``consume``: the
    solve is over (a scan's cold solve), so each function's summary, findings, sends and
    edges are dropped as its record takes them — the records are then made in the memory
    those free, not on top (gen1m: +66 MB at the scan's peak)."""
    # inverted with lists: each (callee, caller) and (key, reader) pair occurs once
    calls: dict[str, list[str]] = defaultdict(list)
    for callee, callers in program.callers.items():
        for c in callers:
            calls[c].append(callee)
    reads: dict[str, list[tuple]] = defaultdict(list)
    for key, readers in program.readers.items():
        for r in readers:
            reads[r].append(key)
    if consume:
        program.readers.clear()
    out: dict[str, Record] = {}
    none: tuple = ()

    def entries(sends: list) -> tuple[Entry, ...]:
        return tuple(entry(f, None, program.entry_parts) for f in sends) if sends else none

    for q, n in program.analyses.items():
        if not n:
            continue
        func, mod = program.functions[q]
        s = program.summaries.get(q)
        keep = s is not None and not (uncalled_only and program.callers.get(q))
        sent = program.catalog.get(q, none)
        out[q] = Record(
            mod.module, func.name, func.parent, func.is_lambda,
            tuple(calls.get(q, none)), tuple(reads.get(q, none)), tuple(program.writes.get(q, none)),
            tuple(program.findings.get(q, none)), sent,
            tuple(s.hits) if keep else none, tuple(s.unguarded) if keep else none,  # type: ignore[union-attr]
            entries(s.sends) if keep else none,  # type: ignore[union-attr]
            q in program.bound_hit, keep or s is None,
        )
        if consume:
            for table in (program.summaries, program.catalog, program.findings, program.writes, calls, reads):
                table.pop(q, None)
    return out


def trimmed(records: dict[str, Record], calls: set[str]) -> dict[str, Record]:
    """The records without the entry-point outputs of functions project code calls (most of a
    ledger's size: every wrapper's open sends and hits); a later scan that finds one no longer
    called analyses it again (``missing_entries``)."""
    out = dict(records)
    for q in calls:
        r = records.get(q)
        if r is not None and r.entry:
            out[q] = r._replace(open_hits=(), unguarded=(), open_sends=(), entry=False)
    return out


def missing_entries(records: dict[str, Record], calls: set[str]) -> list[str]:
    """Functions no project code calls now whose entry-point outputs were not kept."""
    return sorted(q for q, r in records.items() if not r.entry and q not in calls)


def called(records: dict[str, Record]) -> set[str]:
    """Functions some analysed project code calls."""
    return {c for r in records.values() for c in r.calls}


def assemble(records: dict[str, Record], rules: RuleSet, calls: set[str]
             ) -> tuple[list[Hit], list[Unguarded], list[Entry]]:
    """The program's hits, the sends reachable without consent from an entry point, and every
    send for the catalog — from the records alone (``calls``: ``called(records)``)."""
    order = sorted(records)
    hits = [h for q in order for h in records[q].hits]
    hits += entry_point_hits(records, order, calls, rules)
    unguarded = entry_point_sends(records, order, calls)
    sends = [f for q in order for f in records[q].catalog]
    for q in order:  # open sends nobody closes
        r = records[q]
        if q not in calls and r.name != "<class>":
            sends.extend(r.open_sends)
    bound = {q for q in order if records[q].bound}
    if bound:
        hits = [Hit(h.flow.then(None, "bound-hit"), h.sink, h.field, h.landing, True)
                if h.landing.func in bound else h for h in hits]
    return hits, unguarded, sends


def entry_point_sends(records: dict[str, Record], order: Iterable[str], calls: set[str]) -> list[Unguarded]:
    """Sends reachable without consent from a function no project code calls (an entry point).

    A function that project code calls is judged at its call sites instead, so a wrapper
    whose every caller is guarded is fine, and one leak of consent is reported once, at the
    outermost unguarded call.
    """
    out: list[Unguarded] = []
    for q in order:
        r = records[q]
        if q in calls or r.name == "<class>":
            continue
        seen = set()
        for u in r.unguarded:
            if u.landing not in seen:
                seen.add(u.landing)
                out.append(u)
    return out


def entry_point_hits(records: dict[str, Record], order: Iterable[str], calls: set[str],
                     rules: RuleSet) -> list[Hit]:
    """Parameters of functions no project code calls, named like identifiers, reaching a sink.

    Nothing tells privlint what such a parameter holds (a web framework or a CLI library calls
    the function), so its name decides; the finding says ``by-name``.
    """
    out: list[Hit] = []
    known = {(h.landing, h.field) for r in records.values() for h in r.hits}
    for q in order:
        r = records[q]
        if q in calls or r.name in ("<module>", "<class>") or r.is_lambda:
            continue
        for h in r.open_hits:
            o = h.flow.origin
            if o.param in (None, "self", "cls") or (h.landing, h.field) in known:
                continue
            names = [k for k in o.access if isinstance(k, str) and k != "*"]
            name = names[-1] if names else o.param
            kinds = rules.name_kinds(name)
            if not kinds:
                continue
            label = ".".join([o.param, *names]) if names else o.param
            says = "is named like " + " and ".join(sorted(kinds)).replace("-", " ")
            origin = Origin(kinds, label, says, o.path, o.line, o.column, q, "name")
            first = Step(o.path, o.line, o.column, "source",
                         f"{label}: a parameter of {r.name}(), which no project code calls, {says}")
            out.append(Hit(Flow(origin, Trace.of(first, *h.flow.trace.steps()[1:]), h.flow.notes), h.sink,
                           h.field, h.landing))
    return out
