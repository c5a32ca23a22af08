"""Re-solving only what a change can affect, against the ledger the last solve left (issue 7).

Why: a commit to a large project usually changes a module or two, while a solve analyses every
function that can take part in a flow (generated 1M-line project: a minute). The last solve's
records (``records.py``) say, per function, what it called, read and wrote; from them the
*cone* of a change is found — the changed modules' functions, their callers, the readers of
what they write, the functions nested in them, transitively — and only the cone's outputs are
taken from this solve. Everything else keeps its outputs from the ledger.

What runs:

* the cone's functions that a cold solve would start from (the pre-pass's pick, and what the
  last solve's unchanged reaching functions grow) are analysed;
* what they need is analysed as in any solve (callees through ``Program.ensure``), and so is
  every function that *wrote* what they read in the last solve (``Plan.read``): its writes
  must be there, although its outputs are not taken (it is not in the cone);
* the cone grows while solving when a cone function writes shared state others read
  (``Plan.wrote``), grows the solve (``Program.analyze``), or a function the last solve never
  analysed is analysed (``Plan.analysing``).

The scan falls back to a full solve when what other modules resolve by name may have changed
(a changed module defines other functions or classes), when a changed file cannot be parsed,
or when the files are not the same (``scan._ledger``). Tests compare every re-solve with a
cold scan of the same files (``tests/test_incremental.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from privlint.solve.records import Record

if TYPE_CHECKING:
    from privlint.solve.program import Program


@dataclass
class Ledger:
    """What a solve leaves for re-solving (cache entry ``ledger/<key>``; a re-solve writes only
    what differs from the full ledger it started from, ``ledger-delta/<key>``: reuse.py)."""

    records: dict[str, Record]
    optouts: dict[str, tuple] = field(default_factory=dict)  # function -> its OptOuts
    grown: frozenset[str] = frozenset()  # functions whose callers and writers joined the solve
    base: str = ""  # a delta: the full ledger's key; ``records`` replace its, ``removed`` go
    removed: frozenset[str] = frozenset()


class Plan:
    """One re-solve: the cone of the change, and the hooks ``Program`` calls while solving."""

    def __init__(self, ledger: Ledger, changed: set[str], functions: Iterable[str],
                 imports_changed: bool = True) -> None:
        """``changed``: the changed modules; ``functions``: their functions now (outlines);
        ``imports_changed``: some changed module imports other names than before."""
        self.ledger = ledger
        self.imports_changed = imports_changed
        self.old = ledger.records
        self.changed = changed
        self.functions = set(functions)
        self.cone: set[str] = set()
        self.wake: set[str] = set()  # what a cold solve would start from: analysed when in the cone
        self._program: Program | None = None
        self._spread: set[tuple] = set()  # written keys whose readers joined the cone
        self._fetched: set[tuple] = set()  # read keys whose writers are analysed
        self.callers: dict[str, set[str]] = defaultdict(set)
        self.readers: dict[tuple, set[str]] = defaultdict(set)
        self.writers: dict[tuple, set[str]] = defaultdict(set)
        self.children: dict[str, set[str]] = defaultdict(set)
        for q, r in self.old.items():
            for c in r.calls:
                self.callers[c].add(q)
            for k in r.reads:
                self.readers[k].add(q)
            for k in r.writes:
                self.writers[k].add(q)
            if r.parent is not None:
                self.children[r.parent].add(q)

    def start(self, program: Program, pick: set[str]) -> set[str]:
        """The cone before solving, and the functions to analyse first (``pick``: what the
        pre-pass picked on the current outlines)."""
        self._program = program
        first = sorted(q for q, r in self.old.items() if r.module in self.changed)
        first += sorted(self.functions)
        first += sorted(q for q in pick if q not in self.old)  # newly picked
        self._close(first)
        outside: set[str] = set()
        grow = program._grow
        if grow is not None and self.imports_changed:
            # what an unchanged reaching function grows, a cold solve grows too; with the same
            # imports and names everywhere the pre-pass relates the same functions as before,
            # so what it grows outside the cone was analysed last time (it has a record) and
            # inside the cone is analysed anyway (below); the imports decide which modules'
            # functions can be related by name (1M lines: 97k growths, 1.6 s)
            for g in sorted(self.ledger.grown - self.cone):
                outside |= grow(g)
        self._close(sorted(q for q in outside if q not in self.old))
        self.wake = set(pick) | outside
        return {q for q in self.cone if self._wanted(q)}

    def _wanted(self, q: str) -> bool:
        """A cone function to analyse: what a cold solve starts from, and whatever the last
        solve analysed (analysing a function the pre-pass would leave out changes no finding:
        it leaves out only what cannot take part in a flow)."""
        return q in self.wake or q in self.old

    def _close(self, start: Iterable[str]) -> list[str]:
        """Add these functions and everything the last solve says depends on them."""
        added: list[str] = []
        todo = [q for q in start if q not in self.cone]
        while todo:
            q = todo.pop()
            if q in self.cone:
                continue
            self.cone.add(q)
            added.append(q)
            todo.extend(self.callers.get(q, ()))
            todo.extend(self.children.get(q, ()))
            r = self.old.get(q)
            if r is not None:
                for k in r.writes:
                    todo.extend(self.readers.get(k, ()))
        return added

    def join(self, q: str) -> None:
        """``q`` turned out to be affected: it and what depends on it join the cone."""
        program = self._program
        for x in self._close([q]):
            if program is not None and self._wanted(x):
                program.ensure(x)

    # ------------------------------------------------------------------ hooks (Program)
    def analysing(self, q: str) -> None:
        if q not in self.old and q not in self.cone:  # no outputs to keep: new ones count
            self.join(q)

    def read(self, dep: tuple) -> None:
        """Called at every read while solving: each key's writers are ensured once."""
        program = self._program
        if program is None or dep in self._fetched:
            return
        self._fetched.add(dep)
        for w in sorted(self.writers.get(dep, ())):
            if w not in program.active:
                program.ensure(w)

    def wrote(self, q: str, deps: tuple) -> None:
        if q not in self.cone:
            return
        for k in deps:
            if k not in self._spread:
                self._spread.add(k)
                for r in sorted(self.readers.get(k, ())):
                    self.join(r)

    # ------------------------------------------------------------------ the result
    def merge(self, new: dict[str, Record]) -> dict[str, Record]:
        """The cone's records from this solve, the others' from the ledger."""
        return self._merged(self.old, new)

    def merge_optouts(self, new: dict[str, tuple]) -> dict[str, tuple]:
        return self._merged(self.ledger.optouts, new)

    def _merged(self, old: dict, new: dict) -> dict:
        """Per function: the cone's from ``new``, the others' from ``old``."""
        out = {q: v for q, v in old.items() if q not in self.cone}
        out.update((q, v) for q, v in new.items() if q in self.cone)
        return out

    def merge_grown(self, new: set[str]) -> frozenset[str]:
        return frozenset(self.ledger.grown - self.cone) | frozenset(new)
