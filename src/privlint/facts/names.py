"""The names a function mentions and the names it stores into: the input of the relevance pre-pass.

Why at fact time: the solver's pre-pass (``solve/relevance.py``) decides which functions can take
part in a flow to a sink from these two sets alone, before any abstract interpretation. Computing
them here runs in the parse workers and is cached with the facts, so a warm scan pays nothing.

``mentions``: every identifier used (names, attribute names, imported names and their targets'
last parts, identifier-like string constants, which ``getattr(obj, "name")`` may use).
``attrs``: the attribute names among the mentions (``x.open`` is a method, ``open`` the builtin).
``stores``: names whose value the function changes — assignment targets (names, attribute names
along the target chain, the containers of subscript targets), receivers of mutating method calls
(``self.props.update(...)``) and ``setattr`` names.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from privlint.facts import ir

MUTATORS = frozenset({
    "append", "extend", "insert", "update", "setdefault", "add", "__setitem__", "appendleft",
    "extendleft", "put", "put_nowait", "push", "set", "write", "writelines",
})
_SKIP = (str, int, float, bool, type(None))
PYTHON_CHILD = "-m"  # mentioned by code naming ``-m`` or a ``.py`` file: it may start project code


def _child_slots() -> dict[type, tuple[str, ...]]:
    out: dict[type, tuple[str, ...]] = {}
    for name in dir(ir):
        cls = getattr(ir, name)
        if isinstance(cls, type) and dataclasses.is_dataclass(cls):
            out[cls] = tuple(f.name for f in dataclasses.fields(cls)
                             if f.name not in ("pos", "qname", "kind", "op", "ops"))
    return out


_SLOTS = _child_slots()


def walk(root: object):  # noqa: ANN201 - Iterator[object]
    """Every IR node under ``root`` (a node or a tuple of them), in no particular order.

    Nested functions and lambdas are separate ``Function`` entries, so a body's walk stays in
    its own scope."""
    stack = [root]
    slots = _SLOTS
    while stack:
        node = stack.pop()
        if type(node) is tuple:
            stack.extend(node)  # type: ignore[arg-type]
            continue
        yield node
        for s in slots.get(type(node), ()):
            child = getattr(node, s)
            if child is not None and not isinstance(child, _SKIP):
                stack.append(child)


def _identifier(text: str) -> bool:
    return len(text) <= 64 and text.isidentifier()


def _target_names(t: object, out: set[str], plain: set[str], through: bool = False) -> None:
    """Every name along an assignment target chain: ``self.a.b[k] = v`` changes a and b, and
    ``CACHE[k] = v`` changes the object CACHE names wherever it lives. A bare name being rebound
    (or the root of an attribute chain, ``self``) goes to ``plain``: a local, unless the scope
    declares it."""
    while True:
        if isinstance(t, ir.Name):
            (out if through else plain).add(t.id)
            return
        if isinstance(t, ir.Attr):
            out.add(t.attr)  # the attribute changes; the object it hangs on is named by it
            t = t.value
            through = False
        elif isinstance(t, ir.Sub):
            t = t.value
            through = True
        elif isinstance(t, ir.Starred):
            t = t.value
        elif isinstance(t, ir.SeqE):
            for e in t.elts:
                _target_names(e, out, plain, through)
            return
        else:
            return


NO_NAMES: frozenset[str] = frozenset()  # the one empty name set
_FROZEN: dict[frozenset[str], frozenset[str]] = {NO_NAMES: NO_NAMES}
_FROZEN_UP_TO = 4  # bigger sets are rarer and costlier to hash


def frozen(names: Iterable[str]) -> frozenset[str]:
    """A shared frozen set of these names (the facts' and outlines' name sets, the solver's
    values): most are empty or one name, each new set costs 216 bytes at least, and a scan held
    ~17 copies of each (a module's pickle then holds each distinct set once, too)."""
    if not names:  # the usual case (a generator is never false: it goes the long way)
        return NO_NAMES
    s = frozenset(names)  # a frozenset given is returned as it is, not copied
    return _FROZEN.setdefault(s, s) if len(s) <= _FROZEN_UP_TO else s


def scan(body: tuple[ir.Stmt, ...], params: tuple[ir.Param, ...] = (),
         module_level: bool = False) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(mentions, stores) of one function body; nested defs and lambdas are their own functions.

    A plain name bound in a function is a local and changes nothing another function sees, so
    it is a store only at module level or when declared ``global``/``nonlocal``; attribute
    names and containers are always stores.
    """
    mentions: set[str] = set()
    attrs: set[str] = set()
    stores: set[str] = set()
    plain: set[str] = set()
    declared: set[str] = set()
    stack: list[object] = [body]
    for p in params:
        if p.default is not None:
            stack.append(p.default)
        if p.annotation is not None:
            stack.append(p.annotation)
    slots = _SLOTS
    while stack:
        node = stack.pop()
        t = type(node)
        if t is tuple:
            stack.extend(node)  # type: ignore[arg-type]
            continue
        if t is ir.Name:
            mentions.add(node.id)  # type: ignore[attr-defined]
            continue
        if t is ir.Attr:
            mentions.add(node.attr)  # type: ignore[attr-defined]
            attrs.add(node.attr)  # type: ignore[attr-defined]
        elif t is ir.Const:
            v = node.value  # type: ignore[attr-defined]
            if isinstance(v, str):
                if _identifier(v):
                    mentions.add(v)
                elif v == "-m" or v.endswith(".py"):  # a command that runs a Python module/file
                    mentions.add(PYTHON_CHILD)
            continue
        elif t is ir.Assign:
            for tg in node.targets:  # type: ignore[attr-defined]
                _target_names(tg, stores, plain)
        elif t is ir.AugAssign or t is ir.Delete:
            for tg in (node.targets if t is ir.Delete else (node.target,)):  # type: ignore[attr-defined]
                _target_names(tg, stores, plain)
        elif t is ir.Walrus:
            plain.add(node.target)  # type: ignore[attr-defined]
        elif t is ir.Call:
            f = node.func  # type: ignore[attr-defined]
            if isinstance(f, ir.Attr) and f.attr in MUTATORS:
                _target_names(f.value, stores, plain, through=True)
            elif isinstance(f, ir.Name) and f.id == "setattr" and len(node.args) > 1:  # type: ignore[attr-defined]
                name = node.args[1].value  # type: ignore[attr-defined]
                if isinstance(name, ir.Const) and isinstance(name.value, str):
                    stores.add(name.value)
        elif t is ir.Import:
            for b in node.binds:  # type: ignore[attr-defined]
                if b.local:  # binding an import or a def moves no data: not a store
                    mentions.add(b.local)
                mentions.add(b.target.rsplit(".", 1)[-1])
            continue
        elif t is ir.DefStmt:
            mentions.add(node.name)  # type: ignore[attr-defined]
        elif t is ir.Scope:
            mentions.update(node.names)  # type: ignore[attr-defined]
            declared.update(node.names)  # type: ignore[attr-defined]
            continue
        for s in slots.get(t, ()):
            child = getattr(node, s)
            if child is not None and not isinstance(child, _SKIP):
                stack.append(child)
    stores |= plain if module_level else plain & declared
    return frozen(mentions), frozen(stores), frozen(attrs)


def with_names(f: ir.Function) -> ir.Function:
    """The function with its ``mentions`` and ``stores`` filled in (decorators belong to the
    enclosing scope, which evaluates them)."""
    mentions, stores, attrs = scan(f.body, f.params, module_level=f.name == "<module>")
    return dataclasses.replace(f, mentions=mentions, stores=stores, attrs=attrs)


def import_targets(mod: ir.ModuleFacts) -> set[str]:
    """Every qualified name the module imports, at any depth (functions import too)."""
    found: set[str] = set()
    stack: list = list(mod.body.body)
    for f in mod.functions.values():
        stack.extend(ir.body_of(mod, f))
    for c in mod.classes.values():
        stack.extend(c.body)
    while stack:
        st = stack.pop()
        if isinstance(st, ir.Import):
            found.update(b.target for b in st.binds)
        elif isinstance(st, ir.If | ir.Try | ir.With | ir.Loop):
            for attr in ("body", "orelse", "finalbody"):
                stack.extend(getattr(st, attr, ()))
            if isinstance(st, ir.Try):
                for h in st.handlers:
                    stack.extend(h.body)
    return found


def import_base(module: str, is_package: bool, target: str, level: int) -> str:
    """The absolute module a ``from`` import names: ``from ..x import y`` in ``a.b.c`` is
    ``a.x`` (``level`` dots; a package's ``__init__`` counts as the package itself)."""
    if not level:
        return target
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
    base = ".".join(parts)
    if target:
        base = f"{base}.{target}" if base else target
    return base


def project_prefix(target: str, known, skip: str | None = None) -> str | None:  # noqa: ANN001
    """The longest dotted prefix of an imported name that is in ``known`` (a project module:
    ``import pkg.mod.f`` names ``pkg.mod``), other than ``skip``."""
    parts = target.split(".")
    for i in range(len(parts), 0, -1):
        head = ".".join(parts[:i])
        if head in known and head != skip:
            return head
    return None
