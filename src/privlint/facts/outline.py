"""A module's outline: its functions and classes with the names each mentions and stores, nothing else.

Why: the relevance pre-pass (``solve/relevance.py``) decides from names alone which functions
can take part in a flow to a sink, and in a code base that is not about telemetry most modules
hold none of them. An outline is made with the standard ``ast`` parser, which is implemented in
C and costs a small fraction of libcst's parse and lowering, so a module none of whose functions
is relevant is never parsed by libcst at all (issue 7: parsing alone was 0.8x bandit's time on
the standard-library sample, while a third of its lines hold code the solver looks at).

The outline made from source over-approximates the one made from the facts (``from_facts``),
never the other way round: every function and class the facts have is there under the same
qualified name (lambdas excepted, see ``Program``), with at least the same mentions, stores and
attributes (``tests/test_outline.py`` checks this on every fixture and on privlint's own code).
It follows ``facts/names.py``: what that module counts, this one counts the same way on ``ast``
nodes. Extra names only cost speed; a missing name could hide a flow.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from privlint.facts import ir
from privlint.facts.names import MUTATORS, PYTHON_CHILD, frozen, import_base, import_targets, scan


@dataclass(frozen=True, slots=True)
class FnOutline:
    qname: str
    name: str  # "<module>" for a module's top level, "<class>" for a class body, "<lambda>"
    module: str
    params: tuple[str, ...] = ()
    cls: str | None = None
    parent: str | None = None
    mentions: frozenset[str] = frozenset()
    stores: frozenset[str] = frozenset()
    attrs: frozenset[str] = frozenset()
    decorators: frozenset[str] = frozenset()  # names its decorators mention


@dataclass(frozen=True, slots=True)
class ClassOutline:
    qname: str
    module: str
    bases: frozenset[str]  # names its base expressions mention
    methods: tuple[tuple[str, str], ...]  # (name, qualified name) defined directly in its body
    parent: str | None = None


@dataclass
class ModuleOutline:
    path: str
    module: str
    is_package: bool
    imports: frozenset[str]  # every qualified name imported anywhere in it
    functions: dict[str, FnOutline] = field(default_factory=dict)  # with "<module>" and "<body>"s
    classes: dict[str, ClassOutline] = field(default_factory=dict)
    lines: int = 0
    pinned: bool = False  # must be parsed whatever relevance says (it has suppression comments)


# ====================================================================== from facts
def from_facts(mod: ir.ModuleFacts) -> ModuleOutline:
    """The outline the facts imply (what the solver used before outlines existed)."""
    out = ModuleOutline(mod.path, mod.module, mod.is_package, frozenset(import_targets(mod)),
                        lines=mod.lines, pinned=bool(mod.suppressions))
    for f in (mod.body, *mod.functions.values()):
        out.functions[f.qname] = FnOutline(
            f.qname, f.name, mod.module, tuple(p.name for p in f.params), f.cls, f.parent,
            f.mentions, f.stores, f.attrs, scan(f.decorators)[0] if f.decorators else frozenset())
    for q, c in mod.classes.items():
        out.classes[q] = ClassOutline(q, mod.module, scan(c.bases)[0], c.methods, c.parent)
        body = f"{q}.<body>"  # as Program makes it: a class body's names are not looked at
        out.functions[body] = FnOutline(body, "<class>", mod.module, (), q, c.parent)
    return out


# ====================================================================== from source
# a suppression comment anywhere (extract._suppressions reads them line by line; matching across
# a line break only pins a module that needs no pinning)
_SUPPRESSION = re.compile(f"{ir.SUPPRESS_COMMENT}|{ir.ALLOWLIST_COMMENT}".encode())


def from_source(source: bytes, path: str, module: str, is_package: bool) -> ModuleOutline | None:
    """The outline of ``source``, or None when ``ast`` cannot parse it (the full parse then
    reports why)."""
    try:
        tree = ast.parse(source, path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    b = _Builder(module, is_package, source)
    b.scope_of(tree.body, f"{module}.<module>", "<module>", (), None, None, module_level=True)
    text_lines = source.count(b"\n") + (0 if source.endswith(b"\n") else 1)  # as the facts count
    return ModuleOutline(path, module, is_package, frozenset(b.imports), b.functions, b.classes,
                         lines=text_lines, pinned=_pinned(source))


_HINTS = tuple(h.encode() for h in ir.SUPPRESSION_HINTS)


def _pinned(source: bytes) -> bool:
    """A suppression comment anywhere: the cheap word test first, the pattern only then."""
    return any(h in source for h in _HINTS) and _SUPPRESSION.search(source) is not None


class _Builder:
    def __init__(self, module: str, is_package: bool, source: bytes) -> None:
        self.module = module
        self.is_package = is_package
        self.lines = source.split(b"\n")
        self.functions: dict[str, FnOutline] = {}
        self.classes: dict[str, ClassOutline] = {}
        self.imports: set[str] = set()

    # ------------------------------------------------------------------ scopes
    def scope_of(self, roots: list, qname: str, name: str, params: tuple[str, ...], cls: str | None,
                 parent: str | None, module_level: bool = False, decorators: frozenset[str] = frozenset(),
                 extra: list | None = None) -> None:
        """One function's (or the module's) outline; nested scopes are their own entries."""
        names = _Names()
        stack: list = list(roots) + list(extra or ())
        func = None if module_level else qname
        prefix = self.module if module_level else qname  # what nested definitions are named under
        while stack:
            node = stack.pop()
            t = type(node)
            if t in _NOT_NODES:
                continue
            if t is ast.FunctionDef or t is ast.AsyncFunctionDef:
                names.mentions.add(node.name)
                stack.extend(node.decorator_list)
                self.function(node, prefix, None, func)
                continue
            if t is ast.ClassDef:
                names.mentions.add(node.name)
                stack.extend(node.decorator_list)
                stack.extend(node.bases)  # over-approximation: the facts keep bases apart
                self.klass(node, prefix, func)
                continue
            if t is ast.Lambda:
                self.lam(node, prefix, func)
                continue
            names.visit(node, self)
            _push_children(node, stack)
        mentions, stores, attrs = names.result(module_level)
        prev = self.functions.get(qname)
        if prev is not None:  # the same name defined twice: the facts keep the last, we keep both
            mentions, stores, attrs = mentions | prev.mentions, stores | prev.stores, attrs | prev.attrs
            decorators = decorators | prev.decorators
            params = prev.params + tuple(p for p in params if p not in prev.params)
        self.functions[qname] = FnOutline(qname, name, self.module, params, cls, parent,
                                          mentions, stores, attrs, decorators)

    def function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: str, cls: str | None,
                 parent: str | None) -> None:
        q = f"{scope}.{node.name}"
        params, defaults = _params(node.args)
        self.scope_of(node.body, q, node.name, params, cls, parent,
                      decorators=_mentions(node.decorator_list), extra=defaults)

    def lam(self, node: ast.Lambda, scope: str, parent: str | None) -> None:
        line = node.lineno
        raw = self.lines[line - 1][: node.col_offset] if line - 1 < len(self.lines) else b""
        col = len(raw.decode("utf-8", "replace")) + 1
        params, defaults = _params(node.args)
        self.scope_of([node.body], f"{scope}.<lambda:{line}:{col}>", "<lambda>", params, None, parent,
                      extra=defaults)

    def klass(self, node: ast.ClassDef, scope: str, parent: str | None) -> None:
        q = f"{scope}.{node.name}"
        methods = tuple((d.name, f"{q}.{d.name}") for d in node.body
                        if isinstance(d, ast.FunctionDef | ast.AsyncFunctionDef))
        self.classes[q] = ClassOutline(q, self.module, _mentions(node.bases), methods, parent)
        self.functions[f"{q}.<body>"] = FnOutline(f"{q}.<body>", "<class>", self.module, (), q, parent)
        # the body's own names are not looked at (as for Program's class bodies); what it
        # defines is, and its imports count for the module
        stack: list = list(node.body)
        while stack:
            n = stack.pop()
            t = type(n)
            if t in _NOT_NODES:
                continue
            if t is ast.FunctionDef or t is ast.AsyncFunctionDef:
                self.function(n, q, q, parent)
            elif t is ast.ClassDef:
                self.klass(n, q, parent)
            elif t is ast.Lambda:
                self.lam(n, q, parent)
            else:
                if t is ast.Import or t is ast.ImportFrom:
                    self.import_targets(n)
                _push_children(n, stack)

    # ------------------------------------------------------------------ imports
    def import_targets(self, node: ast.Import | ast.ImportFrom) -> list[tuple[str, str]]:
        """(local name, qualified target) pairs, as the facts' ``ImportBind``s."""
        binds: list[tuple[str, str]] = []
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    binds.append((a.asname, a.name))
                else:
                    head = a.name.split(".")[0]
                    binds.append((head, head))
                    if a.name != head:
                        binds.append(("", a.name))
        else:
            base = import_base(self.module, self.is_package, node.module or "", node.level)
            for a in node.names:
                if a.name == "*":
                    binds.append(("*", base))
                else:
                    binds.append((a.asname or a.name, f"{base}.{a.name}" if base else a.name))
        self.imports.update(t for _, t in binds)
        return binds

class _Names:
    """What ``facts.names.scan`` collects, from ``ast`` nodes."""

    __slots__ = ("mentions", "attrs", "stores", "plain", "declared")

    def __init__(self) -> None:
        self.mentions: set[str] = set()
        self.attrs: set[str] = set()
        self.stores: set[str] = set()
        self.plain: set[str] = set()
        self.declared: set[str] = set()

    def visit(self, node: ast.AST, b: _Builder | None) -> None:
        t = type(node)
        if t is ast.Name:
            self.mentions.add(node.id)  # type: ignore[attr-defined]
        elif t is ast.Attribute:
            self.mentions.add(node.attr)  # type: ignore[attr-defined]
            self.attrs.add(node.attr)  # type: ignore[attr-defined]
        elif t is ast.Constant:
            v = node.value  # type: ignore[attr-defined]
            if isinstance(v, bytes):  # the facts keep a bytes literal's text
                v = v.decode("latin-1")
            if isinstance(v, str):
                if len(v) <= 64 and v.isidentifier():
                    self.mentions.add(v)
                elif v == "-m" or v.endswith(".py"):
                    self.mentions.add(PYTHON_CHILD)
        elif t is ast.Assign:
            for tg in node.targets:  # type: ignore[attr-defined]
                self.target(tg)
        elif t is ast.AugAssign or t is ast.AnnAssign:
            self.target(node.target)  # type: ignore[attr-defined]
        elif t is ast.Delete:
            for tg in node.targets:  # type: ignore[attr-defined]
                self.target(tg)
        elif t is ast.NamedExpr:
            self.plain.add(node.target.id)  # type: ignore[attr-defined]
        elif t is ast.Call:
            f = node.func  # type: ignore[attr-defined]
            args = node.args  # type: ignore[attr-defined]
            if isinstance(f, ast.Attribute) and f.attr in MUTATORS:
                self.target(f.value, through=True)
            elif (isinstance(f, ast.Name) and f.id == "setattr" and len(args) > 1
                  and isinstance(args[1], ast.Constant) and isinstance(args[1].value, str)):
                self.stores.add(args[1].value)
        elif (t is ast.Import or t is ast.ImportFrom) and b is not None:
            for local, target in b.import_targets(node):  # type: ignore[arg-type]
                if local:
                    self.mentions.add(local)
                self.mentions.add(target.rsplit(".", 1)[-1])
        elif t is ast.Global or t is ast.Nonlocal:
            self.mentions.update(node.names)  # type: ignore[attr-defined]
            self.declared.update(node.names)  # type: ignore[attr-defined]

    def target(self, t: ast.AST, through: bool = False) -> None:
        while True:
            if isinstance(t, ast.Name):
                (self.stores if through else self.plain).add(t.id)
                return
            if isinstance(t, ast.Attribute):
                self.stores.add(t.attr)
                t = t.value
                through = False
            elif isinstance(t, ast.Subscript):
                t = t.value
                through = True
            elif isinstance(t, ast.Starred):
                t = t.value
            elif isinstance(t, ast.Tuple | ast.List):
                for e in t.elts:
                    self.target(e, through)
                return
            else:
                return

    def result(self, module_level: bool) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
        stores = self.stores | (self.plain if module_level else self.plain & self.declared)
        return frozen(self.mentions), frozen(stores), frozen(self.attrs)


def _params(a: ast.arguments) -> tuple[tuple[str, ...], list]:
    """Parameter names in order, and the expressions evaluated with them (defaults, annotations)."""
    names: list[str] = []
    extra: list = []
    for p in (*a.posonlyargs, *a.args):
        names.append(p.arg)
    if a.vararg is not None:
        names.append(a.vararg.arg)
    for p in a.kwonlyargs:
        names.append(p.arg)
    if a.kwarg is not None:
        names.append(a.kwarg.arg)
    extra.extend(d for d in (*a.defaults, *a.kw_defaults) if d is not None)
    for p in (*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg):
        if p is not None and p.annotation is not None:
            extra.append(p.annotation)
    return tuple(names), extra


def _mentions(exprs: list) -> frozenset[str]:
    """Names mentioned by expressions evaluated in the enclosing scope (decorators, bases)."""
    names = _Names()
    stack = list(exprs)
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Lambda) or type(n) in _NOT_NODES:
            continue
        names.visit(n, None)
        _push_children(n, stack)
    return frozen(names.mentions)


# Walking the tree: what ``ast.iter_child_nodes`` yields, without its generator frames and
# without the leaves no outline looks at (``Load``/``Store`` contexts, operators): a third of the
# nodes, and most of an outline's time after ``ast.parse`` (issue 7).
_LEAF_FIELDS = frozenset({"ctx", "op", "ops", "type_comment", "id", "attr", "name", "names", "arg",
                          "kind", "lineno", "col_offset", "end_lineno", "end_col_offset", "level",
                          "module", "asname", "conversion", "is_async"})
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}
# what else a list of children may hold: None (``{**d}``'s key, a missing keyword-only default),
# strings (a class pattern's keyword names)
_NOT_NODES = frozenset({type(None), str})


def _push_children(node: ast.AST, stack: list) -> None:
    t = type(node)
    fields = _CHILD_FIELDS.get(t)
    if fields is None:
        fields = _CHILD_FIELDS[t] = tuple(f for f in t._fields if f not in _LEAF_FIELDS)
    for f in fields:
        v = getattr(node, f, None)
        if type(v) is list:
            stack.extend(v)
        elif isinstance(v, ast.AST):
            stack.append(v)
