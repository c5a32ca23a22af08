"""The facts of one module: a small, plain, picklable intermediate representation.

Why an IR instead of walking libcst trees in the solver: libcst nodes are heavy (pickling a tree is
slower than re-parsing it), carry whitespace the analysis never needs, and have no positions
without costly metadata. The extractor (``facts.extract``) lowers each module once into these
frozen dataclasses, with positions attached only where a finding or a trace step can point. The
result can be cached on disk or produced in a worker process, and the solver never sees libcst.

Every expression and statement the solver does not model precisely is kept as ``Opaque`` with its
sub-expressions, so taint still flows through syntax privlint does not understand.
"""

from __future__ import annotations

import io
import pickle
import sys
import zlib
from dataclasses import dataclass, field, replace

# (line, column, end_line, end_column); 1-based lines, 1-based columns in code points, end exclusive.
Pos = tuple[int, int, int, int]
NOPOS: Pos = (0, 0, 0, 0)


# ----------------------------------------------------------------------------------------------
# Expressions


@dataclass(frozen=True, slots=True)
class Name:
    id: str
    pos: Pos


@dataclass(frozen=True, slots=True)
class Attr:
    value: Expr
    attr: str
    pos: Pos


@dataclass(frozen=True, slots=True)
class Sub:
    """``value[index]``; ``index`` is None for a slice (slicing keeps every kind)."""

    value: Expr
    index: Expr | None
    pos: Pos
    lower: int = 0  # a slice's constant lower bound (``argv[1:]`` leaves out ``argv[0]``)


@dataclass(frozen=True, slots=True)
class Const:
    """A literal. Strings are kept whole (recognisers need them); bytes are decoded latin-1."""

    value: str | int | float | bool | None
    pos: Pos


@dataclass(frozen=True, slots=True)
class Arg:
    value: Expr
    name: str | None = None  # keyword name
    star: str = ""  # "", "*" or "**"


@dataclass(frozen=True, slots=True)
class Call:
    func: Expr
    args: tuple[Arg, ...]
    pos: Pos


@dataclass(frozen=True, slots=True)
class DictE:
    """A dict display; an item whose key is None is a ``**mapping`` unpacking."""

    items: tuple[tuple[Expr | None, Expr], ...]
    pos: Pos


@dataclass(frozen=True, slots=True)
class SeqE:
    kind: str  # "list", "tuple", "set"
    elts: tuple[Expr, ...]
    pos: Pos


@dataclass(frozen=True, slots=True)
class Starred:
    value: Expr
    pos: Pos


@dataclass(frozen=True, slots=True)
class BinOp:
    op: str  # "+", "%", "*", "//", ...
    left: Expr
    right: Expr
    pos: Pos


@dataclass(frozen=True, slots=True)
class BoolOp:
    op: str  # "and" / "or": the value is one of the operands
    values: tuple[Expr, ...]
    pos: Pos


@dataclass(frozen=True, slots=True)
class Compare:
    """A comparison or membership test: the result is a bool, whatever the operands carry."""

    left: Expr
    ops: tuple[str, ...]
    comparators: tuple[Expr, ...]
    pos: Pos


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # "not", "-", "+", "~"
    operand: Expr
    pos: Pos


@dataclass(frozen=True, slots=True)
class FStr:
    """An f-string: literal text parts as ``Const``, the rest formatted expressions."""

    parts: tuple[Expr, ...]
    pos: Pos


@dataclass(frozen=True, slots=True)
class IfExp:
    test: Expr
    body: Expr
    orelse: Expr
    pos: Pos


@dataclass(frozen=True, slots=True)
class Lambda:
    func: str  # qualified name of the lowered function (in ModuleFacts.functions)
    pos: Pos


@dataclass(frozen=True, slots=True)
class CompFor:
    target: Expr
    iter: Expr
    ifs: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Comp:
    kind: str  # "list", "set", "dict", "gen"
    elt: Expr
    key: Expr | None  # dict comprehensions only
    gens: tuple[CompFor, ...]
    pos: Pos


@dataclass(frozen=True, slots=True)
class Await:
    value: Expr
    pos: Pos


@dataclass(frozen=True, slots=True)
class Yield:
    value: Expr | None
    is_from: bool
    pos: Pos


@dataclass(frozen=True, slots=True)
class Walrus:
    target: str
    value: Expr
    pos: Pos


@dataclass(frozen=True, slots=True)
class Opaque:
    """Syntax the solver does not model: its value may carry whatever its parts carry."""

    parts: tuple[Expr, ...]
    pos: Pos


Expr = (
    Name | Attr | Sub | Const | Call | DictE | SeqE | Starred | BinOp | BoolOp | Compare | Unary
    | FStr | IfExp | Lambda | Comp | Await | Yield | Walrus | Opaque
)


def dotted(e: Expr) -> str | None:
    """``a.b.c`` for a chain of names and attributes, else None."""
    if isinstance(e, Name):
        return e.id
    if isinstance(e, Attr):
        base = dotted(e.value)
        return f"{base}.{e.attr}" if base else None
    return None


# ----------------------------------------------------------------------------------------------
# Statements


@dataclass(frozen=True, slots=True)
class Assign:
    targets: tuple[Expr, ...]  # Name / Attr / Sub / SeqE / Starred
    value: Expr
    pos: Pos
    annotation: Expr | None = None


@dataclass(frozen=True, slots=True)
class AugAssign:
    target: Expr
    op: str
    value: Expr
    pos: Pos


@dataclass(frozen=True, slots=True)
class ExprStmt:
    value: Expr
    pos: Pos


@dataclass(frozen=True, slots=True)
class Return:
    value: Expr | None
    pos: Pos


@dataclass(frozen=True, slots=True)
class Raise:
    exc: Expr | None
    pos: Pos


@dataclass(frozen=True, slots=True)
class If:
    test: Expr
    body: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...]
    pos: Pos


@dataclass(frozen=True, slots=True)
class Loop:
    """``for target in iter`` (test None) or ``while test`` (target and iter None)."""

    target: Expr | None
    iter: Expr | None
    test: Expr | None
    body: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...]
    pos: Pos


@dataclass(frozen=True, slots=True)
class WithItem:
    ctx: Expr
    target: Expr | None


@dataclass(frozen=True, slots=True)
class With:
    items: tuple[WithItem, ...]
    body: tuple[Stmt, ...]
    pos: Pos


@dataclass(frozen=True, slots=True)
class Handler:
    types: Expr | None
    name: str | None
    body: tuple[Stmt, ...]
    pos: Pos


@dataclass(frozen=True, slots=True)
class Try:
    body: tuple[Stmt, ...]
    handlers: tuple[Handler, ...]
    orelse: tuple[Stmt, ...]
    finalbody: tuple[Stmt, ...]
    pos: Pos


@dataclass(frozen=True, slots=True)
class Match:
    subject: Expr
    cases: tuple[tuple[tuple[str, ...], tuple[Stmt, ...]], ...]  # (names bound by the pattern, body)
    pos: Pos


@dataclass(frozen=True, slots=True)
class Scope:
    """``global`` / ``nonlocal`` declarations."""

    kind: str
    names: tuple[str, ...]
    pos: Pos


@dataclass(frozen=True, slots=True)
class Delete:
    targets: tuple[Expr, ...]
    pos: Pos


@dataclass(frozen=True, slots=True)
class ImportBind:
    """``local`` is bound to the qualified name ``target`` (a module or a name in a module)."""

    local: str
    target: str


@dataclass(frozen=True, slots=True)
class Import:
    binds: tuple[ImportBind, ...]
    pos: Pos


@dataclass(frozen=True, slots=True)
class DefStmt:
    """A ``def``/``class`` statement binding ``name`` to the lowered function or class ``qname``."""

    name: str
    qname: str
    is_class: bool
    decorators: tuple[Expr, ...]
    pos: Pos


Stmt = (
    Assign | AugAssign | ExprStmt | Return | Raise | If | Loop | With | Try | Match | Scope | Delete
    | Import | DefStmt
)


# ----------------------------------------------------------------------------------------------
# Definitions


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    kind: str  # "pos" (positional-or-keyword / positional-only), "kw", "*", "**"
    default: Expr | None
    annotation: Expr | None


@dataclass(frozen=True, slots=True)
class Function:
    qname: str  # module-qualified: "pkg.mod.Class.method", "pkg.mod.f.<locals>.g", "pkg.mod.<module>"
    name: str
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]
    pos: Pos
    cls: str | None = None  # qualified name of the class a method is defined in
    parent: str | None = None  # qualified name of the enclosing function (closures)
    decorators: tuple[Expr, ...] = ()
    is_async: bool = False
    is_lambda: bool = False
    returns: Expr | None = None  # return annotation
    mentions: frozenset[str] = frozenset()  # identifiers it uses (facts/names.py)
    stores: frozenset[str] = frozenset()  # names whose value it changes (facts/names.py)
    attrs: frozenset[str] = frozenset()  # attribute names among the mentions (facts/names.py)


@dataclass(frozen=True, slots=True)
class Class:
    qname: str
    name: str
    bases: tuple[Expr, ...]
    body: tuple[Stmt, ...]  # class-level statements (attributes; methods appear as DefStmt)
    methods: tuple[tuple[str, str], ...]  # (method name, function qname)
    decorators: tuple[Expr, ...]
    pos: Pos
    parent: str | None = None


SUPPRESSION_HINTS = ("privlint", "allowlist", "whitelist")  # a line without one has no suppression
# the comments that suppress (``# privlint: ignore[CODES] reason``, detect-secrets' pragma)
SUPPRESS_COMMENT = r"#\s*privlint:\s*ignore(?:\[(?P<codes>[^\]]*)\])?(?P<reason>[^#]*)"
ALLOWLIST_COMMENT = r"#\s*pragma:\s*(?:allowlist|whitelist)\s+(?:nextline\s+)?secret"


@dataclass(frozen=True, slots=True)
class Suppression:
    """A ``# privlint: ignore[CODES] reason`` comment (or a detect-secrets allowlist pragma)."""

    line: int
    codes: tuple[str, ...]
    reason: str
    own_line: bool  # the comment stands alone: it applies to the next statement


@dataclass(frozen=True, slots=True)
class ModuleFacts:
    path: str  # as given to the scanner, "/"-separated
    module: str  # dotted module name from the import roots
    is_package: bool  # an __init__.py
    body: Function  # the module's top level, as a function named "<module>"
    functions: dict[str, Function] = field(default_factory=dict)
    classes: dict[str, Class] = field(default_factory=dict)
    suppressions: tuple[Suppression, ...] = ()
    statement_lines: dict[int, tuple[int, int]] = field(default_factory=dict)  # line -> stmt span
    lines: int = 0
    packed: dict[str, bytes] = field(default_factory=dict)  # function -> its body (``pack_bodies``)


class _Packed(tuple):
    """The body of a function whose statements are kept pickled (``pack_bodies``, and the
    solver's ``solve/bodies.py``): reading it directly is a bug (it would look empty), so every
    way of reading it raises; ``body_of`` (or ``Program.body_of``) gives the statements."""

    __slots__ = ()

    def _refuse(self, *args: object) -> None:
        raise RuntimeError("a packed function body was read directly, not through body_of")

    __iter__ = __len__ = __getitem__ = __bool__ = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> str:
        return "PACKED"  # the one sentinel, by name


PACKED = _Packed(("<packed>",))


def pack_body(body: tuple[Stmt, ...]) -> bytes:
    # compressed at the fastest level: 40 % less (gen100k: 9.4 MB -> 5.3 MB) for ~20 us a body
    return zlib.compress(pickle.dumps(body, protocol=pickle.HIGHEST_PROTOCOL), 1)


def unpack_body(data: bytes) -> tuple[Stmt, ...]:
    """Statements ``pack_body`` packed. They may come from a cache entry (facts are cached with
    their bodies packed), so only this module's classes may be named: a planted entry naming
    other code is refused, never called (``cache._IRUnpickler`` does the same for the rest)."""
    return _BodyUnpickler(io.BytesIO(zlib.decompress(data))).load()


class _BodyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> object:
        # one lookup: a solve decodes ~17k bodies naming ~9 classes each (gen100k)
        found = _BODY_CLASSES.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(f"unexpected class {module}.{name} in a packed body")
        return found


def pack_bodies(m: ModuleFacts) -> ModuleFacts:
    """The facts with each function's statements pickled (lambdas aside: they are small).

    Why here, in the worker that made the facts: the solver keeps few bodies decoded at a time
    (``solve/bodies.py``), and pickling them in the solving process cost it a tenth of a cold
    solve; made here, on another core, they also make the facts quicker to load there."""
    packed = dict(m.packed)
    functions = {}
    for q, f in m.functions.items():
        if f.is_lambda or f.body is PACKED:
            functions[q] = f
            continue
        packed[q] = pack_body(f.body)
        functions[q] = replace(f, body=PACKED)
    return replace(m, functions=functions, packed=packed)


def body_of(m: ModuleFacts, f: Function) -> tuple[Stmt, ...]:
    """A function's statements, whether ``pack_bodies`` packed them or not."""
    return unpack_body(m.packed[f.qname]) if f.body is PACKED else f.body


def _pickle_by_constructor() -> None:
    """Pickle every IR node as ``Class(*fields)``.

    Why: a frozen, slotted dataclass is otherwise unpickled through ``dataclasses``'
    ``__setstate__``, which looks up the class's fields again for every node; loading a 1M-line
    project's cached facts spent most of its time there (issue 7). Calling the constructor with
    the field values in order builds the same node.
    """
    import dataclasses

    for obj in list(globals().values()):
        if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == __name__:
            names = tuple(f.name for f in dataclasses.fields(obj) if f.init)

            def reduce(self, _names=names):  # noqa: ANN001, ANN202
                return type(self), tuple([getattr(self, n) for n in _names])

            obj.__reduce__ = reduce  # type: ignore[method-assign]


def _fast_init() -> None:
    """Give each IR node an ``__init__`` that stores its fields through their slots.

    Why: a frozen dataclass's generated ``__init__`` stores every field with
    ``object.__setattr__(self, name, value)`` (a global lookup, an attribute lookup and a generic
    call per field), which makes building a node twice as slow as a plain slotted class. Workers
    build millions of nodes, and the solver rebuilds them when it decodes a packed body or a
    cached module (issue 7). Each slot's own descriptor stores the same value without going
    through the class's refusing ``__setattr__``, so the nodes stay frozen: assigning a field
    later still raises ``FrozenInstanceError``. Classes with factory defaults keep the generated
    ``__init__`` (only ``ModuleFacts``, one per module).

    String fields (identifiers, attribute names, string literals) are interned: every decoded
    body and every loaded module otherwise brings its own copy of each name, and the solver's
    values keep them as field keys and parameter names (gen100k: 124k strings live at the end of
    a solve, 34k distinct). Interned in the worker, a module's pickle also holds each once.
    """
    import dataclasses

    for obj in list(globals().values()):
        if not (isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == __name__):
            continue
        fields = dataclasses.fields(obj)
        if any(f.default_factory is not dataclasses.MISSING or not f.init for f in fields):
            continue
        env: dict[str, object] = {}
        params, stores = [], []
        env["_intern"] = sys.intern
        for i, f in enumerate(fields):
            env[f"_set{i}"] = obj.__dict__[f.name].__set__
            if f.default is dataclasses.MISSING:
                params.append(f.name)
            else:
                env[f"_default{i}"] = f.default
                params.append(f"{f.name}=_default{i}")
            if f.type == "str":  # names: one shared string per identifier (see the docstring)
                stores.append(f"    _set{i}(self, _intern({f.name}))")
            elif "str" in str(f.type).split(" | "):
                n = f.name
                stores.append(f"    _set{i}(self, _intern({n}) if {n}.__class__ is str else {n})")
            else:
                stores.append(f"    _set{i}(self, {f.name})")
        code = f"def __init__(self, {', '.join(params)}):\n" + "\n".join(stores) + "\n"
        exec(code, env)  # noqa: S102 - our own field names, as dataclasses itself does
        init = env["__init__"]
        init.__qualname__ = f"{obj.__qualname__}.__init__"  # type: ignore[attr-defined]
        obj.__init__ = init  # type: ignore[misc]


_pickle_by_constructor()
_fast_init()
# what a packed body may name: this module's classes and a few containers (``unpack_body``)
_BODY_CLASSES: dict[tuple[str, str], type] = {
    **{(__name__, n): c for n, c in list(globals().items())
       if isinstance(c, type) and c.__module__ == __name__},
    **{("builtins", c.__name__): c for c in (frozenset, set, tuple, list, dict)},
}
