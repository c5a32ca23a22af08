"""Which functions can take part in a flow to a sink: the pre-pass that lets the solver skip the rest.

Why: every finding privlint reports — an identifier reaching a payload, a send without consent,
a catalog field — ends at a telemetry call. Code that can neither make such a call, nor call
(by any chain) code that makes one, nor change state that such code reads, cannot change a
finding; abstract interpretation of it is wasted. A standard-library sample has thousands of
such functions; a telemetry-heavy project has few. The decision is made from names alone
(``Function.mentions`` / ``Function.stores``, computed with the facts), so it costs milliseconds.

The pass over-approximates, by short names, in three directions:

* **seeds** — functions that mention a sink's name: a library sink (``posthog.capture``,
  ``requests.post``, ``subprocess.run`` handing data to a child process) whose package some
  module of the project imports, or a sink the configuration names. A module-level sink also
  needs its module imported by the function's own module (a command runner, also ``-m``, a
  ``.py`` file or ``__file__`` in the function: only a Python module or file can be project
  code); a method sink (``Client.capture``, named as an attribute) needs the function's module
  within two import hops (either direction) of one that imports the client's package, since
  the client object is handed around.
* **callers** — a function mentioning the name of a relevant function (a call, a reference
  passed as a callback, a re-export) is relevant; for constructors and dunder methods the class
  name counts; the enclosing function of a relevant nested function or lambda is relevant, and
  so is a function decorated with a relevant decorator (its calls run the decorator's wrapper).
* **writers** — a function storing into a name (an attribute, a global, a mutated container)
  that a relevant function mentions is relevant: it may put an identifier where the sender
  later reads it.

What the solver reaches from relevant code — a callee, a specialised callee, the module body
that binds a global, a class body — is added while solving (``Program.ensure``), so the
callee direction needs no guess. Nothing is skipped silently: ``stats`` reports how many
functions were analysed and how many modules were skipped whole.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from privlint.facts.names import PYTHON_CHILD, project_prefix
from privlint.facts.outline import ClassOutline, FnOutline, ModuleOutline
from privlint.rules.model import RuleSet


@dataclass
class Relevance:
    functions: frozenset[str]  # functions to analyse from the start
    grow: Callable[[str], set[str]] = lambda q: set()  # callers and writers of a function found
    # to reach a sink (or store its arguments) once analysed; expanded lazily by the solver
    writers: set[str] = field(default_factory=set)  # relevant only as writers of what is read


def _related(target: str, key: str) -> bool:
    return key == target or key.startswith(target + ".") or target.startswith(key + ".")


_OWN = frozenset({"self", "cls"})  # what a method changes on them is an attribute store, by name
NEAR = 2  # import-graph hops from a module that imports an SDK to code that may hold its client


def _near_sdk(imports: dict[str, set[str]], present: dict[str, bool],
              project_modules: set[str]) -> dict[str, set[str]]:
    """Per sink key: the modules within ``NEAR`` hops (either direction) of one importing it.

    A client object (``Posthog()``, ``build_opener()``) is made where its package is imported
    and used there, in what that module imports (helpers it is passed to) or in what imports it
    (code it is handed to); its methods have common names (``open``, ``send``, ``get``), so a
    mention alone would make half of any code base a seed.
    """
    graph: dict[str, set[str]] = defaultdict(set)
    for m, targets in imports.items():
        for t in targets:
            head = project_prefix(t, imports, skip=m)
            if head is not None:
                graph[m].add(head)
                graph[head].add(m)
    out: dict[str, set[str]] = {}
    for key, is_method in present.items():
        if not is_method:
            continue
        frontier = {m for m, ts in imports.items() if any(_related(t, key) for t in ts)}
        seen = set(frontier)
        for _ in range(NEAR):
            frontier = {n for m in frontier for n in graph[m]} - seen
            seen |= frontier
        out[key] = seen
    return out


def sink_keys(rules: RuleSet) -> set[str]:
    return set(rules.sinks) | set(rules.runners)


def relevant(outlines: list[ModuleOutline],
             project_modules: set[str], rules: RuleSet, config_sinks: frozenset[str],
             alias=lambda s: s) -> Relevance:  # noqa: ANN001 - Callable[[str], str]
    """The functions that can take part in a flow to a sink (see the module docstring).

    Lazily: only the seeds' callers and writers are added now; those of any other function
    when the solver finds it reaching a sink (``Relevance.grow``), since a function that reaches
    none cannot make its callers' data reach one.
    """
    functions: dict[str, FnOutline] = {q: f for m in outlines for q, f in m.functions.items()}
    classes: dict[str, ClassOutline] = {q: c for m in outlines for q, c in m.classes.items()}
    imports: dict[str, set[str]] = {m.module: {alias(t) for t in m.imports} for m in outlines}
    external = {t for ts in imports.values() for t in ts if t.split(".")[0] not in project_modules}
    present: dict[str, bool] = {}  # sink key -> called as a method of an object (not a module)
    for key in sink_keys(rules):
        if any(_related(t, key) for t in external):
            owner = key.rsplit(".", 1)[0]
            present[key] = owner.rsplit(".", 1)[-1][:1].isupper()
    method_names: dict[str, list[str]] = defaultdict(list)
    module_names: dict[str, list[str]] = defaultdict(list)
    for k, is_method in present.items():
        (method_names if is_method else module_names)[k.rsplit(".", 1)[-1]].append(k)
    config_names = {q.rsplit(".", 1)[-1] for q in config_sinks}
    near = _near_sdk(imports, present, project_modules)

    def is_seed(q: str, f: FnOutline) -> bool:
        if q in config_sinks:
            return True
        m = f.mentions
        if m & config_names:
            return True
        for name in f.attrs & method_names.keys():
            if any(f.module in near[k] for k in method_names[name]):
                return True
        for name in m & module_names.keys():
            for k in module_names[name]:
                if k in rules.runners and not (PYTHON_CHILD in m or "__file__" in m):
                    continue  # a command hands data to project code only when it runs a module
                if any(_related(t, k) for t in imports[f.module]):
                    return True
        return False

    # name -> module -> functions, so a lookup visits only the modules that can matter (a name
    # like ``run`` is in thousands of functions of a large project: scanning them all at every
    # step made the pass quadratic, half of a 1M-line scan; issue 7)
    mentioners: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    storers: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    subclass_methods: dict[tuple[str, str], list[str]] = defaultdict(list)  # (base name, method)
    for klass in classes.values():
        bases = klass.bases
        for meth, mq in klass.methods:
            for b in bases:
                subclass_methods[(b, meth)].append(mq)
    for q, f in functions.items():
        for name in f.mentions:
            mentioners[name][f.module].append(q)
        if f.decorators:  # calls of a decorated function go through its decorator's wrapper
            for name in f.decorators:
                mentioners[name][f.module].append(q)
        for name in f.stores:
            storers[name][f.module].append(q)

    direct, bit, reach = _import_closure(imports)
    order = list(imports)  # bit i is module order[i]
    reached_by = {m: 0 for m in order}  # the modules whose code can see each module's
    for m in order:
        r, b = reach[m], bit[m]
        while r:
            low = r & -r
            reached_by[order[low.bit_length() - 1]] |= b
            r ^= low
    bits_of = {name: _bits(per, bit) for name, per in mentioners.items()}
    store_bits = {name: _bits(per, bit) for name, per in storers.items()}

    seeds = [q for q, f in functions.items() if is_seed(q, f)]
    out: set[str] = set(seeds)
    todo = list(seeds)
    seen: set[tuple[str, str, str]] = set()

    writers_only: set[str] = set()  # added as writers: their own reads do not pull more writers

    def add(q: str, as_writer: bool = False) -> None:
        if q not in out and q in functions:
            out.add(q)
            added.append(q)
            if as_writer:
                writers_only.add(q)

    def add_from(index: dict[str, dict[str, list[str]]], name: str, module: str, how: str) -> None:
        if (how, name, module) in seen:
            return
        seen.add((how, name, module))
        per = index.get(name)
        if not per:
            return
        # a caller must see the callee; a writer must be in the reader's module or one it
        # imports (where the classes of the objects it reads are defined)
        if how == "store":
            wanted = bit[module]
            for d in direct[module]:
                wanted |= bit[d]
            mods = store_bits[name] & wanted
        else:
            mods = bits_of[name] & (reached_by[module] | bit[module])
        for other in _members(mods, order):
            for g in per[other]:
                if g not in out:
                    add(g, how == "store")

    added: list[str] = []
    expanded: set[str] = set()

    def expand(q: str) -> None:
        if q in expanded:
            return
        expanded.add(q)
        f = functions[q]
        names = {f.name}
        if f.cls:
            # who makes or holds the object (and hands it on: the solver follows that), and
            # implicit calls — ``C(...)``, ``with c:``, ``str(c)`` name the class, not the dunder
            cls_name = f.cls.rsplit(".", 1)[-1]
            names.add(cls_name)
            if f.name.startswith("__") and f.name.endswith("__"):
                names.discard(f.name)
                for g in subclass_methods.get((cls_name, f.name), ()):  # super().__init__()
                    add(g)
        takes = [p for p in f.params if p not in _OWN]
        if q not in writers_only or takes:  # a writer's callers matter when they hand it data
            for name in names:  # callers, by name, in code that can see it
                add_from(mentioners, name, f.module, "call")
        if f.parent:
            add(f.parent)
        if q in writers_only:
            return
        for name in f.attrs - _OWN:  # writers of the attributes it reads, on objects it can see
            add_from(storers, name, f.module, "store")
        for name in f.mentions - f.attrs - _OWN:  # writers of the globals it reads
            add_from(storers, name, f.module, "store")

    # callees, by name, in modules the caller imports: the solver would reach them anyway
    # (Program.ensure), but knowing them now lets the worklist analyse them before their callers
    by_name: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for q, f in functions.items():  # plain functions and constructors: a method name is
        if f.cls is None and f.parent is None:  # ambiguous, and the solver finds the right one
            by_name[f.name][f.module].append(q)
        elif f.name == "__init__" and f.cls:
            by_name[f.cls.rsplit(".", 1)[-1]][f.module].append(q)
    defined_in = {name: _bits(per, bit) for name, per in by_name.items()}

    def close(start: list[str]) -> None:
        while todo:
            expand(todo.pop())
        down = list(start) + added
        while down:
            f = functions[down.pop()]
            sees = reach[f.module] | bit[f.module]
            for name in f.mentions:
                mods = defined_in.get(name, 0) & sees
                for other in _members(mods, order):
                    for g in by_name[name][other]:
                        if g not in out:
                            out.add(g)
                            added.append(g)
                            down.append(g)

    def grow(q: str) -> set[str]:
        """Once the solver has seen ``q`` reach a sink: its callers and writers."""
        if q in expanded or q not in functions:
            return set()
        added.clear()
        todo.append(q)
        close([])
        return set(added)

    close(list(out))
    return Relevance(frozenset(out), grow, writers_only)


def _bits(per_module: dict[str, list[str]], bit: dict[str, int]) -> int:
    out = 0
    for m in per_module:
        out |= bit[m]
    return out


def _members(bits: int, order: list[str]) -> list[str]:
    """The modules of a bit set, in module order."""
    out = []
    while bits:
        low = bits & -bits
        out.append(order[low.bit_length() - 1])
        bits ^= low
    return out


def _import_closure(imports: dict[str, set[str]]
                    ) -> tuple[dict[str, set[str]], dict[str, int], dict[str, int]]:
    """Per module, the project modules it imports directly, and directly or through others
    (a bit set over ``bit``, one bit per module).

    Code can call a function only where the defining module is imported (directly, or through a
    re-export). Code that is handed an object by such a module is reached while solving (the
    holder of a relevant class's object is relevant, and what it passes the object to is
    analysed with it). Callers and writers are looked for only in such modules: without this,
    common method names (``get``, ``close``, ``write``) would chain most of a large code base
    to any one sink.
    """
    direct: dict[str, set[str]] = {}
    for m, targets in imports.items():
        found = set()
        for t in targets:
            head = project_prefix(t, imports)
            if head is not None and head != m:
                found.add(head)
            # ``import pkg.mod`` also runs pkg/__init__.py, and ``from pkg import mod`` names mod
        direct[m] = found
    # bit sets in Python ints: a 3000-module project's closure costs a few ORs of 50 words per
    # import, not a set of thousands of names per module; repeated until cycles settle
    bit = {m: 1 << i for i, m in enumerate(imports)}
    reach = {m: 0 for m in imports}
    changed = True
    while changed:
        changed = False
        for m in imports:
            r = reach[m]
            for d in direct[m]:
                r |= bit[d] | reach[d]
            if r != reach[m]:
                reach[m] = r
                changed = True
    return direct, bit, reach
