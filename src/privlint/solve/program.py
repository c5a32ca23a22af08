"""The whole-program solver: name resolution, shared state, and the fixpoint over functions.

Every function (module bodies and class bodies included) is analysed by ``Interp`` with its
parameters symbolic. Results that other functions depend on — summaries, module globals, class
attributes — live here; when one changes, exactly the functions that read it are analysed again
(a worklist), so the work done is proportional to what a change can affect. Each function is
analysed a bounded number of times; where the bound cuts a fixpoint short, its findings say so.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from privlint.catalog import Entry, entry
from privlint.facts import ir
from privlint.facts.names import project_prefix, walk
from privlint.facts.outline import FnOutline, ModuleOutline, from_facts
from privlint.recognizers import classify_literal
from privlint.rules.model import RuleSet, SourceModel
from privlint.solve import calls
from privlint.solve.bodies import Bodies
from privlint.solve.interp import Env, Interp, _is_classmethod, _is_static
from privlint.solve.records import Record, assemble, called, missing_entries, records_of, trimmed
from privlint.solve.relevance import Relevance, relevant
from privlint.solve.summary import Hit, Summary
from privlint.solve.values import (
    EMPTY,
    MAX_DEPTH,
    WIDE_ACCESS,
    Flow,
    Origin,
    Step,
    Val,
    bounded,
    join,
    read_field,
    set_access_limit,
)

if TYPE_CHECKING:
    from privlint.solve.incremental import Plan

MAX_ANALYSES = 12
MAX_RESOLVE_DEPTH = 8
PREFETCH_IMPORT_LEVELS = 2  # import levels parsed with the relevant modules' first batch
WIDEN_AFTER = 3  # analyses of one function before its access paths are widened (values.py)
MAX_SPEC_DEPTH = 2  # a specialised run specialises again only for a parameter its callee calls
RESIDENT_BODIES = 2000  # function bodies kept decoded (bodies.py)
_CALLABLE = frozenset({"fn", "bound", "cls", "obj", "ext", "inst"})


@dataclass
class ProjectConfig:
    """What the project's configuration adds to the models (config.md)."""

    sinks: frozenset[str] = frozenset()
    sanitizers: frozenset[str] = frozenset()
    consent_checks: frozenset[str] = frozenset()
    sources: dict[str, str] = field(default_factory=dict)


class _Lazy(dict):
    """A table of the program's modules, functions or classes that parses a module the first
    time something of it is looked up (``Program.load_for``): the solver asks by name, and only
    what it reaches is ever parsed. Iterating sees what has been loaded."""

    __slots__ = ("load",)

    def __missing__(self, key: str):  # noqa: ANN204
        if self.load(key) and dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or (self.load(key) and dict.__contains__(self, key))

    def get(self, key: object, default: object = None):  # noqa: ANN201
        return dict.__getitem__(self, key) if key in self else default


class Program:
    def __init__(self, modules: list[ir.ModuleFacts], rules: RuleSet,
                 config: ProjectConfig | None = None, everything: bool = False,
                 outlines: list[ModuleOutline] | None = None,
                 load: Callable[[list[str]], list[ir.ModuleFacts | None]] | None = None,
                 prefetch: Callable[[list[str]], None] | None = None) -> None:
        """``modules``: facts already parsed. ``outlines`` (optional): every module of the
        project, parsed or not; ``load`` parses the named ones (None for a module that cannot
        be parsed); ``prefetch`` (optional) is told, once, which modules the solver will want
        and in what order, so they can be parsed in the background. Without outlines every
        module is given as facts."""
        self.rules = rules
        self.everything = everything  # analyse every function (no relevance pre-pass)
        self.active: set[str] = set()
        self._relevance = None  # the pre-pass's result, computed once
        self.grown: set[str] = set()  # functions whose callers and writers joined while solving
        self._queue: deque[str] | None = None
        self._queued: set[str] = set()
        self._grow = None  # relevance: callers and writers of a function found to reach a sink
        self._writers: set[str] = set()
        self.config = config or ProjectConfig()
        self.outlines: dict[str, ModuleOutline] = {o.module: o for o in outlines or ()}
        for m in modules:
            if m.module not in self.outlines:
                self.outlines[m.module] = from_facts(m)
        self._names: dict[frozenset[str], frozenset[str]] = {}  # one object per distinct name set
        for o in self.outlines.values():
            for fo in o.functions.values():
                self._share_names(fo, ("mentions", "stores", "attrs", "decorators"))
        self._load = load
        self._prefetch = prefetch
        self._fn_outlines: dict[str, FnOutline] | None = None
        self._parents: set[str] = set()  # functions that define nested functions or lambdas
        self.unloaded: set[str] = set(self.outlines) - {m.module for m in modules}
        self.modules: dict[str, ir.ModuleFacts] = _Lazy()
        self.functions: dict[str, tuple[ir.Function, ir.ModuleFacts]] = _Lazy()
        self.classes: dict[str, tuple[ir.Class, ir.ModuleFacts]] = _Lazy()
        for table in (self.modules, self.functions, self.classes):
            table.load = self.load_for  # type: ignore[attr-defined]
        self.bodies = Bodies(self.functions, RESIDENT_BODIES)
        for m in modules:
            self._register(m)
        self.summaries: dict[str, Summary] = {}
        self.findings: dict[str, list[Hit]] = {}
        self.catalog: dict[str, tuple[Entry, ...]] = {}  # function -> closed sends found there
        self.entry_parts: dict[tuple, tuple] = {}  # equal catalog-entry parts shared (catalog.entry)
        self.globals: dict[tuple[str, str], Val] = {}  # what a read sees: body and writes joined
        self.global_body: dict[tuple[str, str], Val] = {}  # bound by the module's top level
        self._body_keys: dict[str, set[tuple[str, str]]] = {}  # module -> its keys in global_body
        self.global_writes: dict[tuple[str, str], Val] = {}  # written by functions, other modules
        self._body_pending: dict[tuple[str, str], Val] | None = None
        self.attrs: dict[tuple[str, str], Val] = {}
        self.class_attrs: dict[str, set[str]] = defaultdict(set)
        self.closures: dict[str, Env] = {}
        self.guards: dict[str, dict[tuple[int, int], tuple[ir.Expr, str]]] = {}
        self.child_inputs: dict[tuple[str], Val] = {}
        self.file_writes: dict[str, tuple[str, int]] = {}  # path text -> where it was written
        self.final_envs: dict[str, Env] = {}  # of functions with nested functions (closures)
        self.callers: dict[str, set[str]] = defaultdict(set)
        self.readers: dict[tuple, set[str]] = defaultdict(set)
        self.writes: dict[str, set[tuple]] = defaultdict(set)  # function -> shared state it wrote
        self.plan: Plan | None = None  # a re-solve of what a change can affect (incremental.py)
        self.lean = False  # drop the fixpoint's tables once records are made (a scan's solve)
        self.records: dict[str, Record] = {}  # every analysed function's outputs (records.py)
        self.analyses: dict[str, int] = defaultdict(int)
        self.bound_hit: set[str] = set()
        self._dirty: set[str] = set()
        self._current: str | None = None
        self._mro_cache: dict[str, list[str]] = {}
        self._spec_cache: dict[tuple, Summary] = {}
        self._spec_stack: set[tuple] = set()
        self._called: dict[str, frozenset[str]] = {}
        self._short_names: frozenset[str] | None = None
        self._param_attrs: dict[str, dict[str, frozenset[str]]] = {}
        self.param_refs: dict[str, dict[str, frozenset[str]]] = {}  # what each parameter holds unspecialised
        self.known_types = {t.type for t in rules.types.values()} | set(rules.keyed_objects)
        self.namespaces = {".".join(m.split(".")[:i]) for m in self.outlines
                           for i in range(1, m.count(".") + 1)} - set(self.outlines)

    # ================================================================== modules, parsed lazily
    def _register(self, m: ir.ModuleFacts) -> None:
        # a copy of its own: packing a body replaces the function in ``m.functions`` (bodies.py),
        # and the caller may hand the same facts to another solve
        # (and without the statement spans only suppression comments read: gen1m, ~60 MB)
        self.bodies.adopt(m.packed)
        m = dataclasses.replace(m, functions=dict(m.functions), packed={},
                                statement_lines=m.statement_lines if m.suppressions else {})
        dict.__setitem__(self.modules, m.module, m)
        self.unloaded.discard(m.module)
        dict.__setitem__(self.functions, m.body.qname, (m.body, m))
        for q, f in m.functions.items():
            dict.__setitem__(self.functions, q, (f, m))
            if f.parent is not None:
                self._parents.add(f.parent)
        for q, c in m.classes.items():
            dict.__setitem__(self.classes, q, (c, m))
            body = ir.Function(f"{q}.<body>", "<class>", (), c.body, c.pos, cls=q, parent=c.parent)
            dict.__setitem__(self.functions, body.qname, (body, m))
            if c.parent is not None:
                self._parents.add(c.parent)
        for f in (m.body, *m.functions.values()):
            self._share_names(f, ("mentions", "stores", "attrs"))
            self.bodies.add(f)
        if self.active:  # parsed while solving: its lambdas go with what they are written in
            for q, f in m.functions.items():
                if f.is_lambda and (f.parent or m.body.qname) in self.active:
                    self.ensure(q)

    def _share_names(self, node: object, slots: tuple[str, ...]) -> None:
        """Put one object for each distinct set of names in these slots of a function or its
        outline. Why: ``ast`` and libcst each made every function's name sets, and each module
        is decoded on its own, so equal sets were separate objects (gen100k: 93k frozensets,
        24k distinct, 28 MB of copies, most of them the strings inside). An equal set in place
        of another changes nothing but memory, so the frozen node is updated in place."""
        pool = self._names
        for slot in slots:
            got = getattr(node, slot)
            if got:
                object.__setattr__(node, slot, pool.setdefault(got, got))

    def load_modules(self, names: list[str]) -> None:
        """Parse these project modules now (in one batch: the loader may use worker processes)."""
        todo = sorted(n for n in set(names) if n in self.unloaded)
        if not todo or self._load is None:
            return
        for name, facts in zip(todo, self._load(todo), strict=True):
            self.unloaded.discard(name)
            if facts is not None:  # else the loader has reported why it cannot be parsed
                self._register(facts)

    def load_for(self, key: object) -> bool:
        """The solver looked up ``key`` (a module or a qualified name) and it is not loaded:
        parse the module it belongs to, if that is a project module not parsed yet."""
        if not self.unloaded or not isinstance(key, str):
            return False
        head = project_prefix(key, self.unloaded)
        if head is None:
            return False
        self.load_modules([head])
        return True

    def _project_imports(self, module: str) -> set[str]:
        """The project modules ``module`` imports (the longest project prefix of each target)."""
        found = {project_prefix(t, self.outlines) for t in self.outlines[module].imports}
        return found - {None}  # type: ignore[return-value]

    def module_paths(self) -> dict[str, str]:
        """Every project module's path, parsed or not."""
        return {name: o.path for name, o in self.outlines.items()}

    def function_count(self) -> int:
        """Functions of the project, counting those of modules never parsed from their outline."""
        return len(self.functions) + sum(len(self.outlines[m].functions) for m in self.unloaded)

    # ================================================================== fixpoint
    def solve(self) -> list[Hit]:
        """The fixpoint, then the findings; with a ``plan``, only what a change can affect is
        analysed and the other functions' outputs come from the last solve's records."""
        self.active = self.relevant_functions()
        if self.plan is not None:
            self.active = self.plan.start(self, self.active)
        order = self.solve_order()
        self._queue = deque(order)
        self._queued = set(order)
        tried: set[str] = set()
        while True:
            self._fixpoint()
            # modules with suppression comments are parsed whatever the solver needed (PII0xx)
            self.load_modules([m for m, o in self.outlines.items() if o.pinned])
            if self.plan is None:  # who calls whom is known: entry outputs only where no one does
                records = records_of(self, uncalled_only=True, consume=self.lean)
            else:
                records = self.plan.merge(records_of(self))
            calls = called(records)
            # a re-solve that left a function with no caller whose entry outputs were not kept
            # analyses it too (records.trimmed)
            missing = [q for q in missing_entries(records, calls) if q not in tried] if self.plan else []
            if not missing:
                break
            tried.update(missing)
            for q in missing:
                self.plan.join(q)  # type: ignore[union-attr]
                self.ensure(q)
        if self.lean:  # the records have it all: assembling findings needs the memory more
            self._drop_working_state()
        self.records = trimmed(records, calls)
        hits, self.unguarded_sends, self.sends = assemble(records, self.rules, calls)
        return hits

    def _fixpoint(self) -> None:
        """Analyse what is queued until nothing changes (each function a bounded number of times)."""
        queue, queued = self._queue, self._queued
        assert queue is not None
        while queue:
            q = queue.popleft()
            queued.discard(q)
            if q not in self.functions:  # a lambda the outline counted elsewhere (see relevant_functions)
                continue
            if self.analyses[q] >= MAX_ANALYSES:
                self.bound_hit.add(q)
                continue
            self.analyses[q] += 1
            for dep in sorted(self.analyze(q)):  # sorted: the same order in every run
                if dep not in queued:
                    queued.add(dep)
                    queue.append(dep)

    def relevant_functions(self) -> set[str]:
        """What the pre-pass says can take part in a flow to a sink, with the module and class
        bodies that define it (``solve/relevance.py``); ``everything`` turns the pass off.

        Decided on outlines alone: nothing is parsed here (``solve_order`` prefetches)."""
        if self.everything:
            self.load_modules(list(self.unloaded))
            return set(self.functions)
        if self._relevance is None:
            self._relevance = self.fresh_relevance()
        rel = self._relevance
        self._grow = rel.grow
        self._writers = rel.writers
        out = _picked(rel, self._outline_of)
        # a lambda is named by its position, which ``ast`` and libcst may count differently:
        # it is relevant with the function (or module) it is written in (``_register`` does
        # this for modules parsed from now on)
        for q, (func, mod) in list(self.functions.items()):
            if func.is_lambda and (func.parent or mod.body.qname) in out:
                out.add(q)
        return out

    def fresh_relevance(self, replace: dict[str, ModuleOutline] | None = None) -> Relevance:
        """The pre-pass on the current outlines, or with ``replace``'s instead of some (its
        ``grow`` is stateful: one per use)."""
        outlines = {**self.outlines, **replace} if replace else self.outlines
        return relevant(list(outlines.values()), set(self.outlines) | self.namespaces,
                        self.rules, self.config.sinks, self.alias)

    def pre_pass(self, replace: dict[str, ModuleOutline] | None = None) -> tuple[frozenset[str], Relevance]:
        """What ``relevant_functions`` would start from (lambdas aside: ast and libcst name them
        differently), on the current outlines or with ``replace``'s; and the pass itself, for its
        ``grow`` (reuse.py compares scans with it)."""
        replace = replace or {}
        rel = self.fresh_relevance(replace)
        replaced = {q: fo for o in replace.values() for q, fo in o.functions.items()}

        def outline_of(q: str) -> FnOutline | None:
            fo = replaced.get(q) or self._outline_of(q)
            return None if fo is None or (fo.module in replace and q not in replaced) else fo

        return frozenset(q for q in _picked(rel, outline_of) if "<lambda" not in q), rel

    def _outline_of(self, qname: str) -> FnOutline | None:
        """The outline of a function of any module, parsed or not."""
        if self._fn_outlines is None:
            self._fn_outlines = {q: fo for o in self.outlines.values() for q, fo in o.functions.items()}
        return self._fn_outlines.get(qname)

    def solve_order(self) -> list[str]:
        """Active functions module by module, what a module imports first; in a module its top
        level, its class bodies, then functions callees first (by the names they mention), so a
        function usually finds its callees' summaries on its first analysis. Read from outlines,
        so the order is known before anything is parsed.

        The modules are prefetched in this order, then the project modules they import, which
        the solver mostly needs too (names they resolve, callees): worker processes parse them
        while this process solves the first ones (stdlib sample: two import levels saved ~0.4 s
        over one; a third added nothing)."""
        by_module: dict[str, list[FnOutline]] = defaultdict(list)
        for q in self.active:
            fo = self._outline_of(q)
            if fo is not None:
                by_module[fo.module].append(fo)
        modules = self.module_order(set(by_module))
        if self._prefetch is not None:
            needed = set(modules)
            wanted = list(modules)
            for _ in range(PREFETCH_IMPORT_LEVELS):
                more = sorted({t for m in wanted for t in self._project_imports(m)} - needed)
                needed.update(more)
                wanted += more
            wanted += sorted(m for m, o in self.outlines.items() if o.pinned and m not in needed)
            self._prefetch([m for m in wanted if m in self.unloaded])
        order: list[str] = []
        for m in modules:
            group = sorted(by_module[m], key=lambda fo: fo.qname)
            order += [fo.qname for fo in group if fo.name == "<module>"]
            order += [fo.qname for fo in group if fo.name == "<class>"]
            order += callees_first([fo for fo in group if fo.name not in ("<module>", "<class>")])
        known = set(order)
        # lambdas of modules parsed before (their outline names may differ)
        order += sorted(q for q in self.active if q not in known)
        return order

    def ensure(self, qname: str) -> None:
        """Solving reached a function the pre-pass left out: analyse it from now on.

        A function of a module not parsed yet is queued from its outline, and its module is
        parsed when the function's turn comes (``_fixpoint``), not now: a function that reaches
        a sink grows the solve by its callers all over the project (``_grow``), and parsing
        their modules at once held nearly every body decoded at the same time (gen100k: 85 %),
        which left ``bodies.py`` nothing to pack."""
        if qname in self.active:
            return
        fo = self._outline_of(qname)
        if fo is not None and fo.module in self.unloaded:
            module, cls, parent = fo.module, fo.cls, fo.parent
        elif qname in self.functions:
            func, mod = self.functions[qname]
            module, cls, parent = mod.module, func.cls, func.parent
        else:
            return
        self.active.add(qname)
        self.ensure(f"{module}.<module>")  # what defines it first: fewer re-analyses
        if cls:
            self.ensure(f"{cls}.<body>")
        if self.plan is not None and parent is not None and parent in self.plan.old:
            self.ensure(parent)  # its closure: analysed in the last solve, so here too
        if self._queue is not None and qname not in self._queued:
            self._queued.add(qname)
            self._queue.append(qname)

    def release(self) -> None:
        """Drop what only solving needed, once the findings are assembled and the opt-out
        checks (``find_opt_outs``) have read the program: what a scan does after solving —
        findings, catalog, report, cache entries, ledger — then reuses that memory instead of
        adding to it (gen1m: it added ~0.5 GB to the solve's peak). The records, the tables
        of functions and modules, and what ``stats`` reads stay; nothing can be solved again."""
        self._drop_working_state()
        for table in (self.callers, self.guards, self._mro_cache):
            table.clear()
        self.bodies.release()
        self._relevance = self._grow = None

    def _drop_working_state(self) -> None:
        """What only the fixpoint reads, once the records are made (``lean``): summaries,
        shared state and the edges (the records keep them)."""
        for table in (self.summaries, self.findings, self.catalog, self.globals, self.global_body,
                      self.global_writes, self.attrs, self.closures, self.final_envs, self.param_refs,
                      self._param_attrs, self.readers, self.writes, self.child_inputs, self._spec_cache,
                      self._called, self._body_keys, self.entry_parts):
            table.clear()

    def body_of(self, func: ir.Function) -> tuple[ir.Stmt, ...]:
        """A function's statements: read them here, never as ``func.body`` (it may be packed)."""
        return self.bodies.of(func)

    def skipped(self) -> tuple[int, int]:
        """(functions never analysed, modules none of whose code was analysed) for ``stats``;
        after a re-solve, of the last solve's analyses and this one's together."""
        mods = {r.module for r in self.records.values()}
        return self.function_count() - len(self.records), len(self.outlines) - len(mods)

    def module_order(self, modules: set[str]) -> list[str]:
        """These modules with what they import first, so summaries mostly exist before they are
        used (fewer re-analyses); cycles are broken in name order. From outlines: parses nothing."""
        deps = {name: {project_prefix(t, modules, skip=name) for t in self.outlines[name].imports} - {None}
                for name in modules}
        out: list[str] = []
        state: dict[str, int] = {}
        for root in sorted(modules):
            todo = [(root, iter(sorted(deps[root])))]  # type: ignore[type-var]
            if state.get(root):
                continue
            state[root] = 1
            while todo:
                node, it = todo[-1]
                nxt = next(it, None)
                if nxt is None:
                    todo.pop()
                    state[node] = 2
                    out.append(node)
                elif not state.get(nxt):
                    state[nxt] = 1
                    todo.append((nxt, iter(sorted(deps[nxt]))))  # type: ignore[type-var]
        return out

    def analyze(self, qname: str) -> set[str]:
        func, mod = self.functions[qname]
        if self.plan is not None:
            self.plan.analysing(qname)
        self._dirty = set()
        self._current = qname
        self._spec_cache = {}
        it = Interp(self, mod, func)
        if func.name == "<module>":
            self._body_pending = {}
        widened = self.analyses[qname] > WIDEN_AFTER
        if widened:
            set_access_limit(WIDE_ACCESS)
        try:
            summary = it.run()
        finally:
            if widened:
                set_access_limit(MAX_DEPTH)
        if func.name == "<module>":
            self._commit_module_body(mod.module)
        if qname in self._parents:  # only a nested function reads it (``load_free``)
            old_env = self.final_envs.get(qname)
            if old_env is None or _env_signature(old_env) != _env_signature(it.final_env):
                self.final_envs[qname] = it.final_env
                self._changed(("final", qname))
        self.param_refs[qname] = {p: v.refs for p, v in it.params.items()}
        self.findings[qname] = it.findings or ()  # most find nothing: no empty list each
        # as catalog entries now: a send's values and traces are much larger, and only its
        # event, fields and classes are read again (records.py)
        self.catalog[qname] = tuple(entry(f, None, self.entry_parts) for f in it.catalog)
        old = self.summaries.get(qname)
        self.summaries[qname] = summary = summary.compact()
        if self._grow is not None and _reaches(summary, qname in self._writers) \
                and (self.plan is None or qname in self.plan.cone):
            self.grown.add(qname)
            for g in sorted(self._grow(qname)):
                if self.plan is not None:  # what a changed function grows is affected by it
                    self.plan.join(g)
                self.ensure(g)
        deps = set(self._dirty)
        if old is None or old.signature() != summary.signature():
            deps |= self.callers.get(qname, set())
        self._current = None
        return deps

    def summary_of(self, qname: str, caller: str) -> Summary:
        self.callers[qname].add(self._current or caller)
        self.ensure(qname)
        return self.summaries.get(qname) or Summary()

    def summary_for_call(self, qname: str, binding: dict[str, Val], it: Interp,
                         free: dict[str, frozenset[str]] | None = None) -> Summary:
        """The callee's summary — specialised when the call passes it something it calls.

        A helper that calls a parameter (``def send(client, e): client.capture(e)``, a callback)
        cannot know what it calls from its own code; analysing it again with the caller's
        objects bound to those parameters lets the models and summaries resolve. Bounded in
        depth; findings of the specialised run count for the caller's analysis.
        """
        spec = {p: frozenset(r for r in v.refs if r.split(":", 1)[0] in _CALLABLE)
                for p, v in binding.items() if v.refs}
        spec = {p: r for p, r in spec.items() if r}
        if spec:
            # first level: also a parameter handed on to another call (``def middle(client, e):
            # inner(client, e)``); deeper: only one the callee calls — nesting multiplied the
            # work (issue 7), and this bounds it to a hand-off followed by the call
            called = self.called_params(qname, handed=not it.depth)
            spec = {p: self._new_refs(qname, p, r) for p, r in spec.items() if p in called}
            spec = {p: r for p, r in spec.items() if r}
        if (not spec and not free) or it.depth >= MAX_SPEC_DEPTH:
            return self.summary_of(qname, it.func.qname)
        key = (qname, frozenset((p, r) for p, r in spec.items()),
               frozenset((p, r) for p, r in (free or {}).items()))
        cached = self._spec_cache.get(key)
        if cached is not None:
            return cached
        if key in self._spec_stack:
            return self.summary_of(qname, it.func.qname)
        self._spec_stack.add(key)
        self.callers[qname].add(self._current or it.func.qname)
        self.ensure(qname)
        func, mod = self.functions[qname]
        sub = Interp(self, mod, func, depth=it.depth + 1)
        summary = sub.run(extra_refs=spec, free_refs=free)
        self._spec_stack.discard(key)
        self._spec_cache[key] = summary
        it.findings.extend(sub.findings)
        return summary

    def _new_refs(self, qname: str, param: str, refs: frozenset[str]) -> frozenset[str]:
        """The refs of a binding that can change what the callee's own analysis found.

        Its unspecialised analysis already knows what each parameter holds by default (``self``
        is an object of its class, annotations, defaults), and specialising only adds refs, so a
        ref it already has changes nothing; nor does a subclass object that overrides none of
        the attributes the callee uses on that parameter. Most ``self.helper(...)`` calls in
        ordinary code are of this kind; skipping them is what keeps specialisation bounded.
        """
        base = self.param_refs.get(qname, {}).get(param)
        if base is None:
            base = self._default_refs(qname, param)
        out = refs - base
        if not out or param not in self.called_params(qname):
            return out  # only handed on: what the next callee uses of it is not known here
        bases = {r.partition(":")[2] for r in base if r[:4] in ("obj:", "cls:")}
        used = self.param_attrs(qname).get(param, frozenset())
        if not bases:
            return frozenset(r for r in out if not self._inert_ref(r, used))
        return frozenset(r for r in out if not self._same_behaviour(r, bases, used)
                         and not self._inert_ref(r, used))

    def _inert_ref(self, ref: str, used: frozenset[str]) -> bool:
        """A project function, class or object whose every part the callee can use is inert.

        Specialising lets the callee see what it calls through a parameter; when everything it
        can reach that way has an inert summary (no sink, no source in its result, no stores,
        no effects, calls none of its own parameters) the specialised run can only repeat the
        plain one. Each summary consulted makes the caller depend on it, so a later change
        re-runs the caller and it is specialised then.
        """
        kind, _, name = ref.partition(":")
        if kind in ("fn", "bound"):
            targets = [name]
        elif kind in ("obj", "cls"):
            if name not in self.classes:
                return False
            targets = []
            for attr in used | {"__init__", "__new__", "__call__"}:
                meth = self.find_method(name, attr)
                if meth is not None:
                    targets.append(meth)
                elif attr in used:
                    for c in self.mro(name):
                        v = self.attrs.get((c, attr))
                        self._reads(("attr", c, attr))
                        if v is not None and (v.tainted or any(r[0] != "#" for r in v.refs)):
                            return False
        else:
            return False
        for t in targets:
            if t not in self.functions:
                return False
            if self._current:
                self.callers[t].add(self._current)
            if not self._inert(t, name if kind in ("obj", "cls") else None):
                return False
        return True

    def _inert(self, qname: str, as_class: str | None) -> bool:
        s = self.summaries.get(qname)
        if s is None:  # not analysed yet: its first summary re-runs the caller, which decides then
            self.ensure(qname)  # (the pre-pass may not have named it: only the solver sees the call)
            return True
        if s.hits or s.calls_sink or s.sends or s.unguarded or s.param_effects:
            return False
        if s.attr_stores or s.global_stores or s.child_stores:
            return False
        if any(o.param is None for o in s.ret.all_flows()) or _has_refs(s.ret):
            return False
        func, _ = self.functions[qname]
        called = self.called_params(qname)
        recv = func.params[0].name if func.cls and func.params else None
        if called - {recv}:
            return False
        if as_class is not None and recv in called and func.cls and as_class != func.cls:
            return self._same_behaviour(f"obj:{as_class}", {func.cls},
                                        self.param_attrs(qname).get(recv, frozenset()))
        return True

    def _default_refs(self, qname: str, param: str) -> frozenset[str]:
        """What an unanalysed method's first parameter holds by default (as ``Interp.run``)."""
        func, _ = self.functions[qname]
        if func.cls and func.params and func.params[0].name == param and func.name != "<class>" \
                and not _is_static(func):
            return frozenset({f"{'cls' if _is_classmethod(func) else 'obj'}:{func.cls}"})
        return frozenset()

    def _same_behaviour(self, ref: str, bases: set[str], used: frozenset[str]) -> bool:
        """An object (class) of a subclass of ``bases`` that redefines none of ``used``."""
        kind, _, cls = ref.partition(":")
        if kind not in ("obj", "cls"):
            return False
        chain = self.mro(cls)
        for c in chain:
            if c in bases:
                return True
            self._reads(("attrs-of", c))
            klass = self.classes[c][0]
            if used & ({m for m, _ in klass.methods} | self.class_attrs.get(c, set())):
                return False
        return False

    def param_attrs(self, qname: str) -> dict[str, frozenset[str]]:
        """Attributes the function reads on each parameter (``p.name``), cached."""
        got = self._param_attrs.get(qname)
        if got is None:
            func, _ = self.functions[qname]
            got = _param_attr_names(self.body_of(func), {p.name for p in func.params})
            self._param_attrs[qname] = got
        return got

    def called_params(self, qname: str, handed: bool = False) -> frozenset[str]:
        """Parameters the function calls, or calls methods on; with ``handed``, also those it
        passes to a call (cached syntactic scan)."""
        key = f"{qname}\0handed" if handed else qname
        got = self._called.get(key)
        if got is None:
            func, _ = self.functions[qname]
            names = {p.name for p in func.params}
            project = self._project_names() if handed else None
            got = frozenset(_called_names(self.body_of(func), project) & names)
            self._called[key] = got
        return got

    def _project_names(self) -> frozenset[str]:
        """Short names of the project's functions and classes (a call that may be project code)."""
        if self._short_names is None:
            self._short_names = frozenset(q.rsplit(".", 1)[-1] for o in self.outlines.values()
                                          for q in (*o.functions, *o.classes))  # parsed or not
        return self._short_names

    # ================================================================== shared state
    def _reads(self, dep: tuple) -> None:
        """The function being analysed read shared state ``dep``: it runs again when that
        changes; in a re-solve, what wrote it in the last solve is analysed too."""
        cur = self._current
        if cur:
            self.readers[dep].add(cur)
            if self.plan is not None:
                self.plan.read(dep)

    def _wrote(self, *deps: tuple) -> None:
        """The function being analysed wrote shared state (its record keeps this: the next
        scan finds the readers a change to it can affect)."""
        cur = self._current
        if cur:
            self.writes[cur].update(deps)
            if self.plan is not None:
                self.plan.wrote(cur, deps)

    def _changed(self, dep: tuple) -> None:
        """The function being analysed changed shared state ``dep``: its readers run again."""
        self._wrote(dep)
        self._dirty |= self.readers.get(dep, set())

    def write_global(self, module: str, name: str, v: Val, it: Interp) -> None:
        """A module global. What the module's own top level binds is replaced at each analysis
        of it (a def or an assignment there is the truth, not a history); what functions write
        with ``global`` or from other modules accumulates."""
        self._wrote((module, name), ("star", module))
        if v.tainted and any(o.param for o in v.all_flows()):
            Summary.store(it.summary.global_stores, (module, name), v)
            v = _without_params(v)
        key = (module, name)
        if it.is_module and it.mod.module == module and self._body_pending is not None:
            old = self._body_pending.get(key)
            self._body_pending[key] = v if old is None else join(old, v)
            if key not in self.globals:  # visible at once to later statements resolving names
                self.globals[key] = v
                self._dirty |= self.readers.get(key, set())  # who read it while it was unbound
            return
        if key not in self.globals:
            self._dirty |= self.readers.get(("star", module), set())
        old = self.global_writes.get(key)
        self.global_writes[key] = v if old is None else join(old, v)
        self._set_global(key)

    def _set_global(self, key: tuple[str, str]) -> None:
        parts = [x for x in (self.global_body.get(key), self.global_writes.get(key)) if x is not None]
        new = parts[0] if len(parts) == 1 else join(parts[0], parts[1])
        new = bounded(new.replace(ids=frozenset()))
        old = self.globals.get(key)
        if old is None or old.signature() != new.signature():
            self.globals[key] = new
            self._dirty |= self.readers.get(key, set())

    def _commit_module_body(self, module: str) -> None:
        pending = self._body_pending or {}
        self._body_pending = None
        keys = self._body_keys.get(module, set()) | set(pending)
        self._body_keys[module] = set(pending)
        for key in keys:
            if key in pending:
                self.global_body[key] = pending[key]
            else:
                self.global_body.pop(key, None)
            if key not in pending and key not in self.global_writes:
                if self.globals.pop(key, None) is not None:
                    self._dirty |= self.readers.get(key, set())
                continue
            self._set_global(key)

    def write_attr(self, cls: str, attr: str, v: Val, it: Interp) -> None:
        self._wrote(("attr", cls, attr), ("attrs-of", cls))
        params = {o.param for o in v.all_flows() if o.param is not None} if v.tainted else None
        if params:
            # a store made only from the receiver's own attributes (``self.x = self.y``) stays
            # out of the summary: attributes are tracked per class, and the class's table
            # carries the value to every reader. Kept, such stores piled up along chains of
            # ``self`` calls and every call applied them all again (issue 7: the standard-
            # library sample with one telemetry call, minutes -> 18 s)
            if params != {it.receiver}:
                Summary.store(it.summary.attr_stores, (cls, attr), v)
            v = _without_params(v)
        if attr not in self.class_attrs[cls]:
            self.class_attrs[cls].add(attr)
            self._dirty |= self.readers.get(("attrs-of", cls), set())
        self._write(("attr", cls, attr), self.attrs, v, key=(cls, attr))

    def _write(self, dep: tuple, table: dict, v: Val, key: tuple | None = None) -> None:
        k = key or dep
        old = table.get(k)
        v = v.replace(ids=frozenset())
        new = bounded(v if old is None else join(old, v))
        if old is None or old.signature() != new.signature():
            table[k] = new
            self._dirty |= self.readers.get(dep, set())

    def read_global(self, module: str, name: str) -> Val | None:
        self._reads((module, name))
        body = f"{module}.<module>"
        if body not in self.active:
            self.ensure(body)
        return self.globals.get((module, name))

    def read_attr(self, cls: str, attr: str, it: Interp, pos: ir.Pos) -> Val:
        out = EMPTY
        for c in self.mro(cls):
            self._reads(("attr", c, attr))
            if f"{c}.<body>" not in self.active:
                self.ensure(f"{c}.<body>")
            v = self.attrs.get((c, attr))
            if v is not None:
                out = join(out, v)
        if out.tainted:
            name = cls.rsplit(".", 1)[-1]
            out = out.step(Step(it.path, pos[0], pos[1], "attribute", f"read from {name}.{attr}"))
        return out

    def object_fields(self, base: Val, it: Interp, pos: ir.Pos) -> Val:
        """``obj.__dict__`` / ``vars(obj)`` / ``asdict(obj)``: every attribute as a dict field."""
        fields = dict(base.fields)
        for ref in base.refs:
            kind, _, cls = ref.partition(":")
            if kind != "obj":
                continue
            for c in self.mro(cls):
                for attr in self.class_attrs.get(c, ()):
                    if attr not in fields:
                        v = self.read_attr(cls, attr, it, pos)
                        if v.tainted:
                            fields[attr] = v
                self._reads(("attrs-of", c))
        if len(fields) > len(base.fields):
            return bounded(Val(base.flows, base.rest, fields))
        return Val(base.flows, base.rest, fields)

    def write_child(self, module: str, v: Val, it: Interp) -> None:
        """What a parent process hands to a project module it runs (like a global it reads)."""
        self._wrote(("child", module))
        if v.tainted and any(o.param for o in v.all_flows()):
            Summary.store(it.summary.child_stores, module, v)
            v = _without_params(v)
        self._write(("child", module), self.child_inputs, v, key=(module,))

    def child_input(self, module: str, it: Interp, pos: ir.Pos) -> Val:
        self._reads(("child", module))
        v = self.child_inputs.get((module,))
        if v is None or not v.tainted:
            return EMPTY
        return v.step(Step(it.path, pos[0], pos[1], "param", "the parent process passed it in"))

    def stored_id(self, base: Val, key: object, cur: Val, it: Interp, pos: ir.Pos) -> Val:
        """A key such as ``id`` or ``anonymous_id`` read from a file under the user's home or
        config directory: an id that outlives the process, not arbitrary text."""
        if not isinstance(key, str) or key.lower() not in self.rules.stored_id_keys:
            return cur
        model = SourceModel(frozenset({"persistent-id"}),
                            "is an id kept in a file in the user's home or config directory")
        return it.source_val(model, f'[{key!r}] of that file', pos)

    def note_file_write(self, path: str, where: tuple[str, int]) -> None:
        """A file written (its path text): a read-back says where. Shared state like a global:
        a reader analysed before the writer runs again, and a re-solve of a reader analyses
        the writers the last solve saw (incremental.py)."""
        self._wrote(("file", path))
        old = self.file_writes.get(path)
        if old is None or where < old:  # the first in the code, whatever the order of analysis
            self.file_writes[path] = where
            self._dirty |= self.readers.get(("file", path), set())

    def file_written(self, path: str) -> tuple[str, int] | None:
        self._reads(("file", path))
        return self.file_writes.get(path)

    def note_guard(self, it: Interp, test: ir.Expr, pol: str) -> None:
        """A consent guard seen in a function (the opt-out check reads these)."""
        self.guards.setdefault(it.func.qname, {})[(test.pos[0], test.pos[1])] = (test, pol)

    def note_closure(self, qname: str, env: Env, it: Interp) -> None:
        """The scope a nested function or lambda is defined in, for its free names. Only one
        whose ``parent`` is a function reads it (``load_free``): one defined at module or class
        level reads globals instead, and keeping its scope cost a copy of the module's names
        per function (gen100k: 10 MB)."""
        found = self.functions.get(qname)
        if found is None or found[0].parent is None:
            return
        old = self.closures.get(qname)
        if it.depth and old is not None:  # a specialised run's scope is not the function's
            return
        if old is None or _env_signature(old) != _env_signature(env):
            self.closures[qname] = dict(env)
            self._changed(("closure", qname))

    # ================================================================== names
    def alias(self, dotted: str) -> str:
        aliases = self.rules.aliases
        if not aliases:
            return dotted
        parts = dotted.split(".")
        for i in range(len(parts), 0, -1):
            head = ".".join(parts[:i])
            if head in aliases:
                return ".".join([aliases[head], *parts[i:]])
        return dotted

    def resolve(self, dotted: str, depth: int = 0) -> Val:
        """The value a fully qualified name denotes: project definitions first, else a library."""
        if dotted in self.functions and not dotted.endswith(">"):
            return Val(refs=frozenset({f"fn:{dotted}"}))
        if dotted in self.classes:
            return Val(refs=frozenset({f"cls:{dotted}"}))
        if dotted in self.modules or dotted in self.namespaces:
            return Val(refs=frozenset({f"mod:{dotted}"}))
        parts = dotted.split(".")
        for i in range(len(parts) - 1, 0, -1):
            head = ".".join(parts[:i])
            if head in self.modules:
                v = self.read_global(head, parts[i])
                if v is None:
                    sub = ".".join(parts[: i + 1])
                    if sub in self.modules:
                        v = Val(refs=frozenset({f"mod:{sub}"}))
                    else:
                        return EMPTY
                for attr in parts[i + 1:]:
                    v = self.plain_attr(v, attr, depth + 1)
                return v
        return Val(refs=frozenset({f"ext:{self.alias(dotted)}"}))

    def plain_attr(self, v: Val, attr: str, depth: int) -> Val:
        out = read_field(v, attr)
        for ref in v.refs:
            kind, _, name = ref.partition(":")
            if kind == "mod" and depth < MAX_RESOLVE_DEPTH:
                out = join(out, self.resolve(f"{name}.{attr}", depth))
            elif kind in ("ext", "inst"):
                out = join(out, Val(refs=frozenset({_attr_ref(kind, name, attr, f"{name}.{attr}")})))
        return out

    def star_import(self, target: str) -> dict[str, Val]:
        """``from target import *``: the module's public globals (read, so changes re-run us)."""
        if target not in self.modules:
            return {}
        self._reads(("star", target))
        out = {}
        for (m, name), _ in list(self.globals.items()):
            if m == target and not name.startswith("_"):
                out[name] = self.read_global(m, name) or EMPTY
        return out

    def load_free(self, func: ir.Function, mod: ir.ModuleFacts, name: str, it: Interp) -> Val:
        """A name not bound in the function: enclosing functions, the module, then builtins."""
        if func.name != "<module>" or it.globals_declared:
            if func.parent is not None and name not in it.globals_declared:
                # shared state like a global: the enclosing function may be analysed after this
                # one (callees first) or change, and this one must then run again
                self._reads(("closure", func.qname))
                self._reads(("final", func.parent))
                for env in self._enclosing_scopes(func):
                    if env and name in env:
                        return env[name]
            v = self.read_global(mod.module, name)
            if v is not None:
                return v
        elif (mod.module, name) in self.globals:
            return self.globals[(mod.module, name)]
        return Val(refs=frozenset({f"ext:{self.alias(name)}"}))

    def encloses(self, func: ir.Function, name: str) -> bool:
        """Whether ``name``, free in ``func``, is bound by the function around it (a closure)."""
        return func.parent is not None and any(env and name in env for env in self._enclosing_scopes(func))

    def _enclosing_scopes(self, func: ir.Function) -> tuple[Env | None, Env | None]:
        """Where a nested function's free names are bound: the scope it was defined in, then
        the enclosing function's scope at its end."""
        return self.closures.get(func.qname), self.final_envs.get(func.parent or "")

    def is_global(self, mod: ir.ModuleFacts, name: str) -> bool:
        return (mod.module, name) in self.globals

    # ================================================================== classes
    def mro(self, cls: str) -> list[str]:
        cached = self._mro_cache.get(cls)
        if cached is not None:
            return cached
        out: list[str] = []
        todo = [cls]
        while todo and len(out) < 32:
            c = todo.pop(0)
            if c in out or c not in self.classes:
                continue
            out.append(c)
            klass, mod = self.classes[c]
            for base in klass.bases:
                for ref in self._static_refs(base, mod):
                    if ref.startswith("cls:"):
                        todo.append(ref[4:])
        self._mro_cache[cls] = out
        return out

    def _static_refs(self, e: ir.Expr, mod: ir.ModuleFacts) -> frozenset[str]:
        if isinstance(e, ir.Name):
            v = self.globals.get((mod.module, e.id))
            if v is None:
                for s in self.body_of(mod.body):
                    if isinstance(s, ir.Import):
                        for b in s.binds:
                            if b.local == e.id:
                                return self.resolve(b.target).refs
                    if isinstance(s, ir.DefStmt) and s.name == e.id and s.is_class:
                        return frozenset({f"cls:{s.qname}"})
                return frozenset()
            return v.refs
        if isinstance(e, ir.Attr):
            base = self._static_refs(e.value, mod)
            out: set[str] = set()
            for r in base:
                if r.startswith("mod:"):
                    out |= self.resolve(f"{r[4:]}.{e.attr}").refs
            return frozenset(out)
        return frozenset()

    def find_method(self, cls: str, name: str) -> str | None:
        for c in self.mro(cls):
            klass, _ = self.classes[c]
            for m, q in klass.methods:
                if m == name:
                    return q
        return None

    def is_property(self, qname: str) -> bool:
        func, _ = self.functions[qname]
        return any(
            (isinstance(d, ir.Name) and d.id in ("property", "cached_property"))
            or (isinstance(d, ir.Attr) and d.attr in ("cached_property", "getter"))
            for d in func.decorators
        )

    # ================================================================== attributes
    def attr_of_ref(self, ref: str, attr: str, it: Interp, pos: ir.Pos, base: Val) -> Val:
        kind, _, name = ref.partition(":")
        rules = self.rules
        if kind in ("ext", "inst"):
            q = self.alias(f"{name}.{attr}")
            model = rules.attr_sources.get(q)
            if model is not None:
                out = it.source_val(model, q, pos)
                if q in ("sys.argv", "sys.stdin"):  # what a parent process hands us, if any
                    out = join(out, self.child_input(it.mod.module, it, pos))
                return out
            cls = rules.attr_classes.get(q)
            if cls is not None:
                from privlint.solve.calls import with_class

                return with_class(Val(refs=frozenset({f"{kind}:{q}"})), cls)
            keyed = rules.keyed_objects.get(q)
            if keyed is not None:
                whole = it.source_val(_whole_model(keyed), q, pos) if keyed.whole else EMPTY
                return whole.replace(refs=frozenset({f"keyed:{q}"}))
            out = Val(refs=frozenset({_attr_ref(kind, name, attr, q)}))
            if kind == "inst" and name not in self.known_types:
                out = join(out, it.by_name(attr, f".{attr}", pos))
            return out
        if kind == "keyed":
            return Val(refs=frozenset({f"keyedm:{name}.{attr}"}))
        if kind == "super":
            for c in self.mro(name)[1:]:
                klass, _ = self.classes[c]
                for m, q in klass.methods:
                    if m == attr:
                        return Val(refs=frozenset({f"superbound:{q}"}))
            return EMPTY
        if kind == "?":
            return join(Val(refs=frozenset({"?"})), it.by_name(attr, f".{attr}", pos))
        if kind == "mod":
            return self.resolve(f"{name}.{attr}")
        if kind in ("obj", "cls"):
            meth = self.find_method(name, attr)
            if meth is not None:
                func, _ = self.functions[meth]
                if kind == "obj" and self.is_property(meth):
                    return calls.call_project(self, it, meth, base, [], pos, None)
                if kind == "cls" and not _has_decorator(func, "classmethod"):
                    return Val(refs=frozenset({f"fn:{meth}"}))
                return Val(refs=frozenset({f"bound:{meth}"}))
            return self.read_attr(name, attr, it, pos)
        return EMPTY

    def keyed_lookup(self, obj: str, key: object, idx: Val, it: Interp, pos: ir.Pos) -> Val:
        model = self.rules.keyed_objects.get(obj)
        if model is None:
            return EMPTY
        keys = [key] if isinstance(key, str) else sorted(idx.strs) if idx.strs else []
        out = EMPTY
        for k in keys:
            pol = self.rules.env_consent(k) if model.table == "env" else None
            if pol is not None:
                out = out.replace(refs=out.refs | {"consent+" if pol == "+" else "consent-"})
            rule = self.rules.key_kinds(model.table, k)
            if rule is not None:
                label = f'{obj}["{k}"]'
                from privlint.rules.model import SourceModel

                out = join(out, it.source_val(SourceModel(rule.kinds, rule.says), label, pos))
        return out

    # ================================================================== values
    def literal_source(self, text: str, it: Interp, pos: ir.Pos) -> Val | None:
        """A literal whose value is an identifier (exact recognisers; documentation values not)."""
        if len(text) < 6:
            return None
        matches = [m for m in classify_literal(text) if not m.documentation]
        if not matches:
            return None
        kinds = frozenset(m.kind for m in matches)
        model = SourceModel(kinds, "is a " + " and ".join(dict.fromkeys(m.detail for m in matches)))
        return it.source_val(model, _literal_label(text, kinds), pos, by="value")

    def stringified(self, parts: list[Val], out: Val, it: Interp, pos: ir.Pos) -> Val:
        """``str()``/f-string/``%`` of an object whose text is a secret (an ic-py Identity)."""
        for v in parts:
            for ref in v.refs:
                if ref.startswith("inst:"):
                    model = self.rules.stringify.get(ref[5:])
                    if model is not None:
                        label = f"str() of a {ref[5:].rsplit('.', 1)[-1]}"
                        out = join(out, it.source_val(model, label, pos))
        return out

    def decorated(self, decorator: Val, v: Val, it: Interp) -> Val:
        """What a decorated name is bound to.

        A project decorator that returns a function nested in it (the ``functools.wraps``
        shape) makes the name that wrapper, which calls the original through its closure:
        ``wrap:W|p|ref`` says "call W, with W's free variable p bound to ref". Any other
        decorator (registration, caching, a library's) leaves the function as it is.
        """
        out: set[str] = set()
        for ref in decorator.refs:
            if not ref.startswith("fn:") or ref[3:] not in self.functions:
                continue
            dq = ref[3:]
            dfunc, _ = self.functions[dq]
            if not dfunc.params:
                continue
            ret = self.summary_of(dq, it.func.qname).ret
            for r in ret.refs:
                if r.startswith("fn:") and r[3:] in self.functions \
                        and self.functions[r[3:]][0].parent == dq:
                    for inner in v.refs:
                        out.add(f"wrap:{r[3:]}|{dfunc.params[0].name}|{inner}")
        return Val(refs=frozenset(out)) if out else v

    def call(self, it: Interp, e: ir.Call, env: Env) -> Val:
        return calls.evaluate_call(self, it, e, env)


def _literal_label(text: str, kinds: frozenset[str]) -> str:
    """How a finding names a literal; secrets and seed phrases are never printed whole."""
    one = text.replace("\n", " ")
    if kinds & {"secret", "seed-phrase"}:
        return f"the literal {one[:4]!r}… ({len(text)} characters)"
    if len(one) > 60:
        one = one[:57] + "…"
    return f"the literal {one!r}"


def _picked(rel: Relevance, outline_of: Callable[[str], FnOutline | None]) -> set[str]:
    """The pre-pass's functions, with the module and class bodies that define them."""
    out = set()
    for q in rel.functions:
        fo = outline_of(q)
        if fo is None:
            continue
        out.add(q)
        out.add(f"{fo.module}.<module>")
        if fo.cls:
            out.add(f"{fo.cls}.<body>")
    return out


def _called_names(stmts, handed: frozenset[str] | None = None) -> set[str]:  # noqa: ANN001
    """Names used as a callee (``f(...)``) or as a method receiver (``f.m(...)``); with
    ``handed`` (short names of project functions), also names passed to such a call."""
    out: set[str] = set()
    for node in walk(stmts):
        if isinstance(node, ir.Call):
            f = node.func
            while isinstance(f, ir.Attr):
                f = f.value
            if isinstance(f, ir.Name):
                out.add(f.id)
            name = node.func.attr if isinstance(node.func, ir.Attr) else getattr(node.func, "id", None)
            if handed and name in handed:
                out.update(a.value.id for a in node.args if isinstance(a.value, ir.Name))
    return out


def callees_first(group: list[FnOutline]) -> list[str]:
    """One module's functions, callees before callers (by the names they mention)."""
    named: dict[str, list[FnOutline]] = defaultdict(list)
    for fo in group:
        named[fo.name].append(fo)
    out: list[str] = []
    done: set[str] = set()
    for root in group:
        if root.qname in done:
            continue
        done.add(root.qname)
        stack = [(root, iter(sorted(root.mentions)))]
        while stack:
            fo, it = stack[-1]
            nxt = None
            for name in it:
                for g in named.get(name, ()):
                    if g.qname not in done:
                        nxt = g
                        break
                if nxt is not None:
                    break
            if nxt is None:
                stack.pop()
                out.append(fo.qname)
            else:
                done.add(nxt.qname)
                stack.append((nxt, iter(sorted(nxt.mentions))))
    return out


def _param_attr_names(stmts, params: set[str]) -> dict[str, frozenset[str]]:  # noqa: ANN001
    """``p.attr`` reads per parameter name, anywhere in the body."""
    out: dict[str, set[str]] = {}
    for node in walk(stmts):
        if isinstance(node, ir.Attr) and isinstance(node.value, ir.Name) and node.value.id in params:
            out.setdefault(node.value.id, set()).add(node.attr)
    return {p: frozenset(a) for p, a in out.items()}


def _env_signature(env: Env) -> dict:
    return {k: v.signature() for k, v in env.items()}


def _has_decorator(func: ir.Function, name: str) -> bool:
    return any((isinstance(d, ir.Name) and d.id == name) or (isinstance(d, ir.Attr) and d.attr == name)
               for d in func.decorators)


def _without_params(v: Val) -> Val:
    return v.map_flows(lambda f: None if f.origin.param is not None else f)


def _whole_model(keyed):  # noqa: ANN001, ANN202
    from privlint.rules.model import SourceModel

    return SourceModel(keyed.whole, keyed.says)


__all__ = ["Program", "ProjectConfig", "Flow", "Origin"]


MAX_REF_PARTS = 10


def _attr_ref(kind: str, name: str, attr: str, full: str) -> str:
    """The ref for ``attr`` of a library value, widened so loops cannot grow it forever.

    ``node = node.parent`` in a loop or a fixpoint would otherwise make ``x.parent``,
    ``x.parent.parent``, … one new ref per analysis (each a new summary, each a re-analysis).
    An attribute already on the chain keeps the chain as it is, and no model is deeper than
    ``MAX_REF_PARTS`` names, so a longer chain is simply unknown.
    """
    parts = name.split(".")
    if attr in parts[1:]:
        return f"{kind}:{name}"
    if len(parts) >= MAX_REF_PARTS:
        return "?"
    return f"{kind}:{full}"


def _reaches(s: Summary, writer: bool) -> bool:
    """A summary that makes the function's callers and writers matter: it reaches a sink or a
    child process, or (for a writer of what such code reads) stores what it is given."""
    return bool(s.hits or s.calls_sink or s.sends or s.unguarded or s.child_stores
                or (writer and (s.attr_stores or s.global_stores)))


def _has_refs(v: Val, depth: int = 0) -> bool:
    """Whether a value (or a field of it) holds anything callable, not just value-class markers."""
    if any(r[0] != "#" for r in v.refs):
        return True
    return depth < 4 and any(_has_refs(f, depth + 1) for f in v.fields.values())
