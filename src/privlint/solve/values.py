"""The abstract values the solver computes: what a Python value may carry, and where it came from.

A ``Val`` over-approximates one runtime value:

* ``flows``  — taint that applies to every part of the value (a host name string; an opaque object);
* ``rest``   — taint of the parts whose key is not known (items appended to a list, ``**`` of an
  unknown mapping); reading a known key does not see it;
* ``fields`` — per constant key or attribute name, the value stored there (``{"host": h}``,
  ``info.node``, tuple positions), so ``{"user": u, "cmd": c}["cmd"]`` is clean;
* ``refs``   — what the value may *be*, symbolically: a module, a function, a class, an instance of
  a known type (``inst:posthog.Posthog``) — the basis of call resolution;
* ``strs``   — known constant text (for telemetry URLs, environment keys, command lines);
* ``names``  — the variable and constant names it was read through (``TELEMETRY_URL``);
* ``ids``    — allocation identities (a parameter, a literal's site), so a mutation through one
  alias is seen through the others.

A ``Flow`` is one origin plus the trace that brought it here. Per origin a value keeps one flow,
the one with the shortest trace, so loops reach a fixpoint and findings show the shortest path.
"""

from __future__ import annotations

import functools
import sys
from typing import NamedTuple

from privlint.facts.names import NO_NAMES, frozen

MAX_TRACE = 60
MAX_STRS = 24
MAX_DEPTH = 6  # field nesting kept; deeper stores are folded into ``rest``
MAX_NODES = 40  # fields a value kept in a shared table may have in all (``bounded``)

Key = str | int


class Step(NamedTuple):
    """One hop of a trace (a tuple: compared and hashed in C, created at every hop)."""

    path: str
    line: int
    column: int
    step: str  # source, assign, call, param, return, attribute, global, container, transform, sink
    note: str


def _step(cls: type, path: str, line: int, column: int, step: str, note: str) -> Step:
    """``Step(...)`` with its note interned: notes are made by formatting (``f"passed to
    {name}()"``) at every hop, so each trace held its own copies (gen100k: 3.8 MB)."""
    return tuple.__new__(cls, (path, line, column, step, sys.intern(note)))  # type: ignore[arg-type]


Step.__new__ = _step  # type: ignore[method-assign,assignment]  # a NamedTuple's own cannot be overridden


class Origin(NamedTuple):
    """Where a flow starts: a source, or (``param`` set) a parameter of the function summarised.

    A named tuple, not a dataclass: origins are dict keys in every join, and a tuple is hashed
    and built in C (the dataclass ``__hash__`` was a fifth of the solve's time, issue 7)."""

    kinds: frozenset[str]
    label: str  # what the source is: "socket.gethostname()", "os.environ['USER']"
    says: str  # "returns the machine's host name"
    path: str
    line: int
    column: int
    func: str  # module-qualified function it was born in (for fingerprints)
    by: str = "api"  # "api" (a known API), "value" (a literal's shape), "name" (a name only)
    param: str | None = None
    access: tuple[Key, ...] = ()

    @property
    def is_param(self) -> bool:
        return self.param is not None


class Trace:
    """The steps of a flow, as a rope: appending and joining are O(1), which matters because a
    flow's trace is extended at every hop and every call site substitution. Materialised (in
    order, long ones shortened in the middle) only for a finding.

    A node is ``left`` then ``right`` then ``step`` (each optional), so appending a step is one
    node, not a leaf and a join (issue 7: trace nodes were a tenth of the solve's time)."""

    __slots__ = ("left", "right", "step", "n", "last")

    def __init__(self, left: Trace | None = None, right: Trace | None = None,
                 step: Step | None = None) -> None:
        self.left, self.right, self.step = left, right, step
        n, last = 0, None
        if left is not None:
            n, last = left.n, left.last
        if right is not None and right.n:
            n += right.n
            last = right.last
        if step is not None:
            n += 1
            last = step
        self.n, self.last = n, last

    @staticmethod
    def of(*steps: Step) -> Trace:
        t = EMPTY_TRACE
        for s in steps:
            t = t.then(s)
        return t

    def then(self, step: Step) -> Trace:
        last = self.last
        if last is step or last == step:
            return self
        return Trace(self if self.n else None, None, step)

    def __add__(self, other: Trace) -> Trace:
        if not other.n:
            return self
        if not self.n:
            return other
        if type(other) is not Trace:  # a FlatTrace from a ledger: a node must hold ropes
            other = other.rope()  # type: ignore[attr-defined]
        return Trace(self, other)

    def __len__(self) -> int:
        return self.n

    def __iter__(self):  # noqa: ANN204 - Iterator[Step]
        stack: list = [self]
        while stack:
            t = stack.pop()
            if type(t) is not Trace:
                yield t  # a Step
                continue
            if t.step is not None:
                stack.append(t.step)
            if t.right is not None:
                stack.append(t.right)
            if t.left is not None:
                stack.append(t.left)

    def __reduce__(self) -> tuple:
        """Pickled flat, as its steps in order (the ledger of a solve, solve/incremental.py): a
        rope is as deep as its trace is long, too deep for pickle's recursion, and rebuilding
        one node per step cost more than the rest of the ledger."""
        return (FlatTrace, (tuple(self),))

    def steps(self) -> list[Step]:
        """In order; a very long trace keeps its first and last steps (bound-hit)."""
        out = list(self)
        if len(out) > MAX_TRACE:
            half = MAX_TRACE // 2
            out = out[:half] + out[-half:]
        return out


EMPTY_TRACE = Trace()


class FlatTrace(tuple):
    """A trace read back from a ledger: its steps in order. What a finding needs of a trace
    (length, steps, iteration) without a node per step; extending one makes a rope again."""

    __slots__ = ()

    @property
    def n(self) -> int:
        return len(self)

    @property
    def last(self) -> Step | None:
        return self[-1] if self else None

    steps = Trace.steps  # in order, shortened alike

    def rope(self) -> Trace:
        t = EMPTY_TRACE
        for s in self:
            t = Trace(t if t.n else None, None, s)
        return t

    def then(self, step: Step) -> Trace:
        return self.rope().then(step)

    def __add__(self, other: object) -> Trace:  # type: ignore[override]
        return self.rope() + other  # type: ignore[operator]


class Flow(NamedTuple):
    """One origin with the trace that brought it here (a tuple: built at every hop)."""

    origin: Origin
    trace: Trace
    notes: frozenset[str] = frozenset()

    def then(self, step: Step | None, note: str = "") -> Flow:
        trace = self.trace.then(step) if step is not None else self.trace
        # shared (``frozen``): every flow past a ``base64`` call made its own {"encoded"}
        notes = frozen(self.notes | {note}) if note and note not in self.notes else self.notes
        if trace is self.trace and notes is self.notes:
            return self
        return new_flow((self.origin, trace, notes))


# ``Flow(...)`` runs a generated Python ``__new__``; this builds the same tuple in C (a flow is
# made at every hop of every trace)
new_flow = functools.partial(tuple.__new__, Flow)


Flows = dict[Origin, Flow]
_EMPTY_FLOWS: Flows = {}
_EMPTY_FIELDS: dict = {}  # shared: a value's dicts are never mutated


def _union(a: frozenset[str], b: frozenset[str]) -> frozenset[str]:
    """``a | b`` without a new object when one side already holds the other (the usual case)."""
    if not b or a is b:
        return a
    if not a:
        return b
    if len(b) <= len(a) and b <= a:
        return a
    if len(a) < len(b) and a <= b:
        return b
    return a | b


def join_flows(a: Flows, b: Flows) -> Flows:
    """Per origin the flow with the shorter trace. ``a`` itself when ``b`` adds nothing (the
    usual case once a fixpoint is near): no copy, and callers' ``is`` shortcuts keep working."""
    if not a or a is b:
        return b
    if not b:
        return a
    out = None
    for o, f in b.items():
        g = a.get(o)  # b's keys are distinct: ``a`` still holds what ``out`` would
        if g is not f and (g is None or len(f.trace) < len(g.trace)):
            if out is None:
                out = dict(a)
            out[o] = f
    return a if out is None else out


class Val:
    """An immutable abstract value. Build new ones; never mutate the dicts of an existing one."""

    __slots__ = ("flows", "rest", "fields", "refs", "strs", "names", "ids", "_tainted", "_sig")

    def __init__(
        self,
        flows: Flows | None = None,
        rest: Flows | None = None,
        fields: dict[Key, Val] | None = None,
        refs: frozenset[str] = frozenset(),
        strs: frozenset[str] = frozenset(),
        names: frozenset[str] = frozenset(),
        ids: frozenset[str] = frozenset(),
    ) -> None:
        self.flows = flows or _EMPTY_FLOWS
        self.rest = rest or _EMPTY_FLOWS
        self.fields = fields or _EMPTY_FIELDS
        # shared sets: each ``frozenset()``, ``{q}`` or union is a new object of 216 bytes at
        # least, while a scan holds few distinct ones (gen100k: 410k sets, 24k distinct; a
        # third of the solver's memory)
        # (the truth tests spare the call for empty sets: a solve builds a million values)
        self.refs = frozen(refs) if refs else NO_NAMES
        self.strs = frozen(strs) if strs else NO_NAMES
        self.names = frozen(names) if names else NO_NAMES
        self.ids = frozen(ids) if ids else NO_NAMES
        self._tainted: bool | None = None
        self._sig: tuple | None = None

    def __reduce__(self) -> tuple:
        """Pickled as its parts, without the memoised signature and taint (rebuilt on use)."""
        return (Val, (self.flows, self.rest, self.fields, self.refs, self.strs, self.names, self.ids))

    def __repr__(self) -> str:
        parts = []
        if self.flows:
            parts.append("flows=" + ",".join(sorted(o.label for o in self.flows)))
        if self.rest:
            parts.append("rest=" + ",".join(sorted(o.label for o in self.rest)))
        if self.fields:
            parts.append("fields={" + ", ".join(f"{k!r}: {v!r}" for k, v in self.fields.items()) + "}")
        if self.refs:
            parts.append("refs=" + ",".join(sorted(self.refs)))
        if self.strs:
            parts.append("strs=" + ",".join(sorted(self.strs)))
        return "Val(" + " ".join(parts) + ")"

    # ------------------------------------------------------------------ queries
    @property
    def tainted(self) -> bool:
        t = self._tainted
        if t is None:
            t = self._tainted = bool(self.flows or self.rest
                                     or any(v.tainted for v in self.fields.values()))
        return t

    def all_flows(self) -> Flows:
        """Every flow anywhere in the value (what sending the whole value sends)."""
        out = join_flows(self.flows, self.rest)
        for v in self.fields.values():
            out = join_flows(out, v.all_flows())
        return out

    def leaves(self, prefix: tuple[Key, ...] = (), depth: int = 0) -> list[tuple[tuple[Key, ...], Flows]]:
        """(field path, flows) pairs: where in the value each flow sits."""
        out: list[tuple[tuple[Key, ...], Flows]] = []
        here = join_flows(self.flows, self.rest)
        if here:
            out.append((prefix, here))
        if depth < MAX_DEPTH:
            for k, v in self.fields.items():
                out.extend(v.leaves((*prefix, k), depth + 1))
        return out

    def signature(self) -> tuple:
        """Structure without traces: what a fixpoint compares (memoised: values are immutable,
        and the shared tables compare the same big values at every write)."""
        sig = self._sig
        if sig is None:
            sig = self._sig = (
                frozenset(self.flows) if self.flows else NO_NAMES,
                frozenset(self.rest) if self.rest else NO_NAMES,
                tuple(sorted((sys.intern(repr(k)), v.signature()) for k, v in self.fields.items()))
                if self.fields else (),
                self.refs, self.strs,
            )
        return sig

    # ------------------------------------------------------------------ building
    def replace(self, **kw: object) -> Val:
        # this value's sets are shared already: only the new ones given are interned
        keeps_taint = "flows" not in kw and "rest" not in kw and "fields" not in kw
        v = _shared_val(self.flows, self.rest, self.fields, self.refs, self.strs, self.names, self.ids,
                        self._tainted if keeps_taint else None)
        for k, x in kw.items():
            if type(x) is frozenset:
                x = frozen(x) if x else NO_NAMES
            elif not x and k in ("flows", "rest", "fields"):
                x = _EMPTY_FIELDS if k == "fields" else _EMPTY_FLOWS
            setattr(v, k, x)
        return v

    def map_flows(self, fn) -> Val:  # noqa: ANN001 - Callable[[Flow], Flow | None]
        """Apply ``fn`` to every flow at every depth (a step appended, a kind removed)."""

        def m(flows: Flows) -> Flows:
            out: Flows = {}
            for f in flows.values():
                g = fn(f)
                if g is not None:
                    o = g.origin
                    h = out.get(o)
                    if h is None or g.trace.n < h.trace.n:
                        out[o] = g
            return out

        if not self.tainted:
            return self
        return Val(m(self.flows), m(self.rest), {k: v.map_flows(fn) for k, v in self.fields.items()},
                   self.refs, self.strs, self.names, self.ids)

    def map_kept(self, fn) -> Val:  # noqa: ANN001 - Callable[[Flow], Flow]
        """``map_flows`` for an ``fn`` that keeps each flow's origin (a step, a note, a longer
        trace): no flow can meet another, so each table is one comprehension, and the name
        sets, already shared, are not interned again."""
        if not self.tainted:
            return self
        return _shared_val(
            {o: fn(f) for o, f in self.flows.items()} if self.flows else _EMPTY_FLOWS,
            {o: fn(f) for o, f in self.rest.items()} if self.rest else _EMPTY_FLOWS,
            {k: x.map_kept(fn) for k, x in self.fields.items()} if self.fields else _EMPTY_FIELDS,
            self.refs, self.strs, self.names, self.ids, True)

    def step(self, step: Step | None, note: str = "") -> Val:
        if not self.tainted or (step is None and not note):
            return self
        return self.map_kept(lambda f: f.then(step, note))

    def flat(self) -> Val:
        """The value as an opaque whole (``str(d)``): every flow, no structure.

        A parameter's flow is marked ``*``: reading a field of the result no longer means reading
        that field of the parameter (``json.dumps(p)["x"]`` is not ``p["x"]``).
        """
        flows = self.all_flows()
        if any(o.param is not None and o.access[-1:] != (WHOLE,) for o in flows):
            flows = {g.origin: g for g in (_opaque(f) for f in flows.values())}
        return Val(flows, refs=frozenset(), strs=self.strs, names=self.names)


EMPTY = Val()
_new_val = object.__new__


def _shared_val(flows: Flows, rest: Flows, fields: dict, refs: frozenset[str], strs: frozenset[str],
                names: frozenset[str], ids: frozenset[str], tainted: bool | None) -> Val:
    """A value built without ``__init__``, for parts that are shared already (non-empty tables,
    or the shared empties; name sets from ``frozen``): ``Val(...)`` would intern every set
    again, and a solve builds millions of values."""
    v = _new_val(Val)
    v.flows, v.rest, v.fields = flows, rest, fields
    v.refs, v.strs, v.names, v.ids = refs, strs, names, ids
    v._tainted = tainted
    v._sig = None
    return v


def join(a: Val, b: Val) -> Val:
    if a is b or b is EMPTY:
        return a
    if a is EMPTY:
        return b
    fields: dict[Key, Val]
    if not a.fields:
        fields = b.fields
    elif not b.fields:
        fields = a.fields
    else:
        fields = dict(a.fields)
        for k, v in b.fields.items():
            fields[k] = join(fields[k], v) if k in fields else v
    strs = _union(a.strs, b.strs)
    if len(strs) > MAX_STRS:
        strs = frozenset(sorted(strs)[:MAX_STRS])
    elif strs is not a.strs and strs is not b.strs:
        strs = frozen(strs)
    return _shared_val(join_flows(a.flows, b.flows), join_flows(a.rest, b.rest), fields,
                       _shared_union(a.refs, b.refs), strs, _shared_union(a.names, b.names),
                       _shared_union(a.ids, b.ids), None)


def _shared_union(a: frozenset[str], b: frozenset[str]) -> frozenset[str]:
    u = _union(a, b)
    return u if u is a or u is b else frozen(u)


def size(v: Val, limit: int = MAX_NODES) -> int:
    """Nodes in a value's field tree, counting stops a little past ``limit``."""
    n = 1
    stack = list(v.fields.values())
    while stack and n <= limit:
        x = stack.pop()
        n += 1
        stack.extend(x.fields.values())
    return n


def fold(v: Val, depth: int) -> Val:
    """Fields below ``depth`` merged into their parent's ``rest``: the same flows, less shape."""
    if not v.fields:
        return v
    if depth <= 0:
        rest = v.rest
        for x in v.fields.values():
            rest = join_flows(rest, x.all_flows())
        return Val(v.flows, rest, None, v.refs, v.strs, v.names, v.ids)
    return Val(v.flows, v.rest, {k: fold(x, depth - 1) for k, x in v.fields.items()},
               v.refs, v.strs, v.names, v.ids)


def bounded(v: Val) -> Val:
    """The widening for values that outlive one analysis (attributes, globals, results).

    Objects that hold each other (``a.delegate = b`` both ways, trees, parents) would otherwise
    nest their attributes in each other at every pass: the value doubles per analysis and the
    fixpoint never settles. Flows are all kept; only where in the structure they sit is
    forgotten below the depth that fits ``MAX_NODES``, the way Pysa bounds its access paths.
    """
    if not v.fields:
        return v
    if size(v) <= MAX_NODES:
        return v if _depth(v) <= MAX_DEPTH else fold(v, MAX_DEPTH)
    for depth in (3, 2, 1, 0):
        out = fold(v, depth)
        if size(out) <= MAX_NODES:
            return out
    return out


def _depth(v: Val) -> int:
    if not v.fields:
        return 0
    return 1 + max(_depth(x) for x in v.fields.values())


def join_all(vals) -> Val:  # noqa: ANN001 - Iterable[Val]
    out = EMPTY
    for v in vals:
        out = join(out, v)
    return out


WHOLE = "*"  # access-path end: the parameter's whole value, flattened


def _opaque(f: Flow) -> Flow:
    o = f.origin
    if o.param is None or o.access[-1:] == (WHOLE,):
        return f
    o2 = Origin(o.kinds, o.label, o.says, o.path, o.line, o.column, o.func, o.by, o.param,
                (*o.access, WHOLE))
    return Flow(o2, f.trace, f.notes)


WIDE_ACCESS = 2  # access path length kept by a widened analysis (``set_access_limit``)
_access_limit = MAX_DEPTH


def set_access_limit(n: int) -> None:
    """How long a parameter's access path may grow in the analysis that runs now.

    Why a widening: a recursive pair (``deepcopy`` → ``_reconstruct`` → ``deepcopy``) appends
    its field reads to the paths of its own parameters at every round, so its summary changes
    on every analysis until the analysis bound stops it (the standard library's ``copy`` took a
    quarter of a scan, issue 7). A function analysed again and again is solved with short paths
    instead: a deeper read is the prefix's flow, which over-approximates (no flow lost)."""
    global _access_limit
    _access_limit = n


def extend_access(flows: Flows, key: Key) -> Flows:
    """Reading a field of a parameter-derived value refines the parameter's access path."""
    if not flows:
        return flows
    out: Flows = {}
    limit = _access_limit
    for o, f in flows.items():
        if o.param is not None and len(o.access) < limit and o.access[-1:] != (WHOLE,):
            o2 = Origin(o.kinds, o.label, o.says, o.path, o.line, o.column, o.func, o.by, o.param,
                        (*o.access, key))
            out[o2] = Flow(o2, f.trace, f.notes)
        else:
            out[o] = f
    return out


def read_field(v: Val, key: Key) -> Val:
    """``v[key]`` or ``v.key``: the stored field, plus taint that covers every part."""
    sub = v.fields.get(key)
    base = extend_access(v.flows, key)
    if sub is None:
        flows = join_flows(base, extend_access(v.rest, key))
        return Val(flows) if flows else EMPTY
    if not base:
        return sub
    return sub.replace(flows=join_flows(sub.flows, base))


def read_any(v: Val) -> Val:
    """``v[k]`` with an unknown key, or an element while iterating: any part."""
    out = Val(join_flows(v.flows, v.rest))
    for sub in v.fields.values():
        out = join(out, sub)
    return out.replace(refs=out.refs, ids=frozenset())


def with_field(v: Val, key: Key, value: Val, depth: int = 0) -> Val:
    """A copy of ``v`` whose field ``key`` is replaced (a strong update on a known container)."""
    fields = dict(v.fields)
    fields[key] = value
    return v.replace(fields=fields)


def add_rest(v: Val, value: Val) -> Val:
    """Store ``value`` at an unknown position of ``v`` (``lst.append(x)``, ``d[k] = x``)."""
    return v.replace(rest=join_flows(v.rest, value.all_flows()))


def strip_kinds(v: Val, kinds: frozenset[str] | None) -> Val:
    """A sanitizer's effect: remove ``kinds`` (None: all) from every flow."""
    if kinds is None:
        return Val(strs=frozenset(), names=v.names)

    def fn(f: Flow) -> Flow | None:
        if f.origin.param is not None:
            return f  # a parameter's kinds are unknown here; the caller applies the removal
        left = f.origin.kinds - kinds
        if not left:
            return None
        if left == f.origin.kinds:
            return f
        o = f.origin
        o2 = Origin(frozen(left), o.label, o.says, o.path, o.line, o.column, o.func, o.by)
        return Flow(o2, f.trace, f.notes)

    return v.map_flows(fn)
