"""Per-function summaries and the raw hits the solver produces.

Why summaries: a function is analysed once per change of what it depends on, with its parameters
bound to symbolic origins. What reaches its return value, which parameters reach a sink (the
function is then a *sink wrapper*), and what it writes into its arguments are recorded here in terms
of those origins, and applied at every call site by substitution — the Pysa design, without
re-analysing the callee per call.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from privlint.facts.names import NO_NAMES
from privlint.solve.values import EMPTY, Flow, Origin, Trace, Val, bounded, join


def by_fields(self: object) -> tuple:
    """``__reduce__`` of a frozen slotted dataclass: its class and fields in order (the
    dataclass default goes through ``fields()`` for every object: a third of writing a ledger)."""
    return (type(self), tuple(map(self.__getattribute__, type(self).__slots__)))  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class SinkSite:
    """A telemetry API call (or a configured project sink) inside the program."""

    name: str  # "posthog.capture"
    family: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    func: str  # enclosing function, module-qualified

    __reduce__ = by_fields


@dataclass(frozen=True, slots=True)
class Hit:
    """A flow reaching a sink's payload: a finding (source origin) or a wrapper fact (param)."""

    flow: Flow
    sink: SinkSite  # the telemetry API call itself
    field: str
    landing: SinkSite  # where the finding lands: the sink, or the outermost wrapper call
    bound_hit: bool = False

    __reduce__ = by_fields


@dataclass(frozen=True, slots=True)
class Unguarded:
    """A send reachable from the function's entry without a consent check on the path."""

    landing: SinkSite  # the call in this function: the telemetry call or a wrapper call
    sink: SinkSite  # the telemetry API call at the end of the path
    trace: Trace

    __reduce__ = by_fields


_NO_ENTRIES: Mapping = MappingProxyType({})  # shared by compacted summaries: read-only


@dataclass(slots=True)
class Summary:
    ret: Val = EMPTY
    hits: list[Hit] = field(default_factory=list)  # hits whose flow comes from a parameter
    param_effects: dict[str, Val] = field(default_factory=dict)  # params mutated in place
    # what the function stores from its parameters into shared state, one joined value per place
    # (a list would repeat a store once per path and per callee, and grow along call chains)
    attr_stores: dict[tuple[str, str], Val] = field(default_factory=dict)  # (class, attr) -> value
    global_stores: dict[tuple[str, str], Val] = field(default_factory=dict)  # (module, name) -> value
    child_stores: dict[str, Val] = field(default_factory=dict)  # child module -> handed data
    calls_sink: bool = False  # some path reaches a sink (for consent and the catalog)
    unguarded: list[Unguarded] = field(default_factory=list)
    sends: list = field(default_factory=list)  # catalog.SendFact: what each send carries

    def compact(self) -> Summary:
        """This summary as kept once its function's analysis is done, when nothing changes it
        any more: its empty lists and dicts replaced by shared read-only empties (a table of a
        14k-function project held 100k empty ones, ~10 MB), an empty summary by one shared."""
        if not (self.hits or self.param_effects or self.attr_stores or self.global_stores
                or self.child_stores or self.calls_sink or self.unguarded or self.sends) \
                and self.ret is EMPTY:
            return EMPTY_SUMMARY
        for name in ("hits", "unguarded", "sends"):
            if not getattr(self, name):
                setattr(self, name, ())
        for name in ("param_effects", "attr_stores", "global_stores", "child_stores"):
            if not getattr(self, name):
                setattr(self, name, _NO_ENTRIES)
        return self

    @staticmethod
    def store(table: dict, key: object, v: Val) -> None:
        old = table.get(key)
        table[key] = v if old is None else bounded(join(old, v))

    def signature(self) -> tuple:
        return (
            self.ret.signature(),
            frozenset((h.flow.origin, h.sink, h.field) for h in self.hits),
            tuple(sorted((k, v.signature()) for k, v in self.param_effects.items())),
            frozenset((k, v.signature()) for k, v in self.attr_stores.items()),
            frozenset((k, v.signature()) for k, v in self.global_stores.items()),
            frozenset((k, v.signature()) for k, v in self.child_stores.items()),
            frozenset((u.landing, u.sink) for u in self.unguarded),
            frozenset(f.signature() for f in self.sends),
            self.calls_sink,
        )


EMPTY_SUMMARY = Summary(EMPTY, (), _NO_ENTRIES, _NO_ENTRIES, _NO_ENTRIES, _NO_ENTRIES,  # type: ignore[arg-type]
                        False, (), ())  # type: ignore[arg-type]


def param_origin(func: str, name: str, path: str, line: int, column: int) -> Origin:
    # interned: each analysis of a function makes its parameters' origins again, and summaries
    # keep them (gen100k: 3k copies of "parameter ctx")
    return Origin(NO_NAMES, sys.intern(f"parameter {name}"), "", path, line, column, sys.intern(func), "api",
                  sys.intern(name), ())
