"""Keeping a previous scan's findings when the files that changed are ones no analysed code saw.

Why: most commits to a large project touch code that has nothing to do with telemetry. The
relevance pre-pass skips such modules whole (standard-library sample: 320 of 400), so the
previous scan never parsed them, and a change inside one cannot change a finding — provided the
change does not make it part of a flow. Re-solving the project for it cost a full solve (5 s on
the sample); checking that it cannot matter costs the outline phase (issue 7: "re-solves only
what a change can affect").

A changed module is *unaffected* when all of this holds (anything else re-solves):

* the same files as before (paths, module names), only contents differ;
* the previous solve never parsed it: no analysed function looked up a name in it, imported
  from it, ran it as a child process, nor needed its facts for a suppression;
* the pre-pass picks the same functions with its new outline as with its old one (the other
  modules' outlines as they are now);
* none of its functions can join later while solving: the pre-pass's growth from every
  function that grew the previous solve (``Program.grown``: found reaching a sink or storing
  its arguments), recomputed on the new outlines, adds none of them;
* it has no suppression comment and ``ast`` reads it (a syntax error is reported as usual).

Whole-scan results are kept before the request's filters (``--select``, named files,
``--diff-base``), so a pre-commit run naming other files reuses them too.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from privlint.cache import FactsCache, Pieces, get_result, put_result
from privlint.facts.outline import ModuleOutline
from privlint.solve.incremental import Ledger
from privlint.solve.relevance import Relevance

PrePass = Callable[[dict[str, ModuleOutline] | None], tuple[frozenset[str], Relevance]]


@dataclass
class Previous:
    """What a scan leaves for the next one (cache entry ``state/<key>``): small, read by every
    scan that misses the whole-result cache; the findings stay in the result entry it names."""

    files: dict[str, str]  # file identity (path, module, kind) -> content digest
    parsed: frozenset[str]  # modules whose facts the solver needed
    grown: frozenset[str]  # functions whose callers and writers joined while solving
    result_key: str  # the whole-scan result entry holding the findings (before filters)
    load_errors: list = field(default_factory=list)  # ScanErrors: ast read these, libcst not
    failed: frozenset[str] = frozenset()  # their modules
    ledger: str = ""  # the last solve's ledger (solve/incremental.py): ``load_ledger`` reads it


def file_identity(path: str, module: str, is_package: bool) -> str:
    return f"{os.path.abspath(path)}\0{module}\0{is_package}"  # however the scan named it


def unaffected(previous: Previous, files: dict[str, str], modules: dict[str, str],
               outlines: dict[str, ModuleOutline],
               old_outline: Callable[[str, str], ModuleOutline | None],
               pre_pass: PrePass) -> list[str] | None:
    """The changed modules when none of them can change a finding, else None.

    ``files``: identity -> digest now; ``modules``: identity -> module name; ``outlines``: every
    module's outline now; ``old_outline(identity, digest)``: a file's outline for the content it
    had (from the cache); ``pre_pass(replace)``: the pre-pass's functions and the pass itself
    on the current outlines, some replaced. The costly tests run last."""
    if files.keys() != previous.files.keys():
        return None
    idents = [k for k, d in files.items() if previous.files[k] != d]
    changed = sorted(modules[k] for k in idents)
    if any(m in previous.parsed or m in previous.failed or m not in outlines or outlines[m].pinned
           for m in changed):
        return None
    old = {}
    for ident in idents:
        o = old_outline(ident, previous.files[ident])
        if o is None:
            return None
        old[modules[ident]] = o
    if not old:
        return changed
    now, rel = pre_pass(None)
    # the same names as before (most edits to a body): the same pick, without a second pass
    if any(replace(outlines[m], lines=o.lines) != o for m, o in old.items()) \
            and now != pre_pass(old)[0]:
        return None
    theirs = {q for m in changed for q in outlines[m].functions}
    for q in sorted(previous.grown):
        if rel.grow(q) & theirs:
            return None
    return changed


# a re-solve writes the records that differ from the full ledger it started from, while they
# are few; a delta with more than this share of the records is written as a full ledger instead
DELTA_SHARE = 0.25
_DELTA = "delta:"


@dataclass
class Loaded:
    """A ledger with every record, and the full ledger it was read from (deltas refer to it)."""

    ledger: Ledger
    base: str  # the full ledger's key
    base_records: dict


# records per piece of a ledger entry (cache.Pieces): gen100k, 14k records in pieces of 1000
# was a 5.0 MB entry instead of 4.7, written with 3 MB of pickler memory instead of 15
LEDGER_PIECE = 1000


def load_ledger(cache: FactsCache, name: str) -> Loaded | None:
    """The ledger a state entry names: ``<key>`` a full one, ``delta:<key>`` a delta on one;
    None when an entry went (each folder keeps its newest few) or is not a ledger."""
    if name.startswith(_DELTA):
        delta = _get_ledger(cache, name[len(_DELTA):], "ledger-delta")
        if delta is None or not delta.base:
            return None
        base = _get_ledger(cache, delta.base, "ledger")
        if base is None:
            return None
        records = {q: r for q, r in base.records.items() if q not in delta.removed}
        records.update(delta.records)
        return Loaded(replace(delta, records=records, base="", removed=frozenset()), delta.base, base.records)
    full = _get_ledger(cache, name, "ledger")
    return Loaded(full, name, full.records) if full is not None else None


def _get_ledger(cache: FactsCache, key: str, folder: str) -> Ledger | None:
    got = get_result(cache, key, folder)
    if not isinstance(got, Pieces) or not got or not isinstance(got[0], Ledger) \
            or not all(isinstance(p, dict) for p in got[1:]):
        return None
    records: dict = {}
    for piece in got[1:]:
        records.update(piece)
    return replace(got[0], records=records)


def _put_ledger(cache: FactsCache, key: str, ledger: Ledger, folder: str) -> None:
    """A ledger as pieces (cache.Pieces): its fields, then its records ``LEDGER_PIECE`` at a time."""
    items = list(ledger.records.items())
    pieces = Pieces([replace(ledger, records={})])
    pieces += [dict(items[i:i + LEDGER_PIECE]) for i in range(0, len(items), LEDGER_PIECE)]
    put_result(cache, key, pieces, folder)


def store_ledger(cache: FactsCache, key: str, ledger: Ledger, start: Loaded | None) -> str:
    """Keep the ledger of this solve; the name for the state entry. A re-solve (``start``: the
    ledger it began with) writes what differs from the full one, while that is little: the
    1M-line project's full ledger is 65 MB, three seconds to write; a re-solve changes a few
    hundred records."""
    if start is not None:
        base = start.base_records
        changed = {q: r for q, r in ledger.records.items() if base.get(q) is not r}
        removed = frozenset(base.keys() - ledger.records.keys())
        if len(changed) + len(removed) <= DELTA_SHARE * max(len(ledger.records), 1):
            _put_ledger(cache, key, replace(ledger, records=changed, base=start.base, removed=removed),
                        "ledger-delta")
            return _DELTA + key
    _put_ledger(cache, key, ledger, "ledger")
    return key
