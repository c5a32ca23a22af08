"""Abstract interpretation of one function body over ``Val``s.

The interpreter walks the statements in order with an environment of variables, joins the
environments where control flow merges, iterates loops to a fixpoint, and asks the program
(``solve.program``) for everything outside the function: globals, class attributes, the summaries of
project functions, and the rule models for library calls. It records:

* hits of source-born flows on sinks → findings, landing on this call;
* hits of parameter-born flows on sinks → the summary (this function is a sink wrapper);
* what reaches the return value, and what was written into parameters, ``self`` and globals.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from privlint.facts import ir
from privlint.solve.summary import Hit, SinkSite, Summary, param_origin
from privlint.solve.values import (
    EMPTY,
    Flow,
    Origin,
    Step,
    Trace,
    Val,
    add_rest,
    bounded,
    join,
    join_all,
    read_any,
    read_field,
    strip_kinds,
    with_field,
)

if TYPE_CHECKING:
    from privlint.rules.model import SourceModel
    from privlint.solve.program import Program

Env = dict[str, Val]
MAX_LOOP = 4
UNKNOWN_REF = "?"  # the value is the result of something no model or summary knows
GUARD = "$consent"  # env key: its refs hold "unguarded" when some path here skipped consent
UNGUARDED_VAL = Val(refs=frozenset({"unguarded"}))
GUARDED_VAL = Val()
NORETURN = "#noreturn"
USER_FILE = "#userfile"  # the parsed contents of a file under the user's home or config directory
POS, NEG = "consent+", "consent-"  # a value whose truthiness says yes / no to telemetry
UNKNOWN = "via-unknown-call"


class Interp:
    def __init__(self, prog: Program, mod: ir.ModuleFacts, func: ir.Function, depth: int = 0) -> None:
        self.prog = prog
        self.depth = depth
        self.rules = prog.rules
        self.mod = mod
        self.func = func
        self.path = mod.path
        self.is_module = func.name == "<module>"
        self.summary = Summary()
        self.findings: list[Hit] = []
        self.globals_declared: set[str] = set()
        self.nonlocals: set[str] = set()
        self.exc_stack: list[Val] = []
        self.params: dict[str, Val] = {}
        self.free_refs: dict[str, frozenset[str]] = {}
        self.sink_calls: list[SinkSite] = []
        self.class_body = func.cls if func.name == "<class>" else None
        self.final_env: Env = {}
        self.cur_env: Env = {}
        self.catalog: list = []  # closed SendFacts: sends whose event and fields are known here
        self.self_class = func.cls if func.cls and func.params and not _is_static(func) else None
        self.receiver = func.params[0].name if self.self_class else None  # ``self`` (or ``cls``)

    # ================================================================== entry
    def run(self, extra_refs: dict[str, frozenset[str]] | None = None,
            free_refs: dict[str, frozenset[str]] | None = None) -> Summary:
        self.free_refs = free_refs or {}
        env: Env = {GUARD: UNGUARDED_VAL}
        for i, p in enumerate(self.func.params):
            line, col = self.func.pos[0], self.func.pos[1]
            origin = param_origin(self.func.qname, p.name, self.path, line, col)
            step = Step(self.path, line, col, "param", f"{self.func.name}() receives it as {p.name}")
            v = Val({origin: Flow(origin, Trace.of(step))}, ids=frozenset({f"param:{p.name}"}))
            if p.annotation is not None:
                v = join(v, self.type_of_annotation(p.annotation))
            if i == 0 and self.self_class and p.kind == "pos":
                kind = "cls" if _is_classmethod(self.func) else "obj"
                v = v.replace(refs=v.refs | {f"{kind}:{self.self_class}"})
            if p.default is not None:
                v = join(v, self.eval(p.default, env).replace(ids=frozenset()))
            if extra_refs and p.name in extra_refs:
                v = v.replace(refs=v.refs | extra_refs[p.name])
            env[p.name] = v
            self.params[p.name] = v
        out = self.block(self.prog.body_of(self.func), env)
        final = out if out is not None else env
        for name, start in self.params.items():
            end = final.get(name)
            if end is not None and end is not start and (end.fields or end.rest):
                self.summary.param_effects[name] = end
        self.final_env = final
        self.summary.ret = bounded(self.summary.ret)
        return self.summary

    # ================================================================== statements
    def block(self, stmts: tuple[ir.Stmt, ...], env: Env | None) -> Env | None:
        for s in stmts:
            if env is None:
                return None
            env = self.stmt(s, env)
        return env

    def stmt(self, s: ir.Stmt, env: Env) -> Env | None:
        meth = getattr(self, "s_" + type(s).__name__)
        return meth(s, env)

    def s_ExprStmt(self, s: ir.ExprStmt, env: Env) -> Env | None:
        v = self.eval(s.value, env)
        if NORETURN in v.refs:
            return None
        return env

    def s_Assign(self, s: ir.Assign, env: Env) -> Env | None:
        value = self.eval(s.value, env)
        if s.annotation is not None and not value.refs:
            value = join(value, self.type_of_annotation(s.annotation))
        for t in s.targets:
            self.assign(t, value, env, s.pos)
        return env

    def s_AugAssign(self, s: ir.AugAssign, env: Env) -> Env | None:
        cur = self.eval(s.target, env)
        value = self.eval(s.value, env)
        if s.op == "|" and (cur.fields or value.fields):
            new = join(cur, value)
        else:
            new = join(cur.flat() if s.op != "+" or not isinstance(s.target, ir.Name) else cur, value)
            if s.op != "+":
                new = join(cur, value.flat())
        self.assign(s.target, new.replace(ids=cur.ids), env, s.pos)
        return env

    def s_Return(self, s: ir.Return, env: Env) -> Env | None:
        if s.value is not None:
            v = self.eval(s.value, env)
            step = Step(self.path, s.pos[0], s.pos[1], "return", f"{self.func.name}() returns it")
            self.summary.ret = join(self.summary.ret, v.step(step))
        return None

    def s_Raise(self, s: ir.Raise, env: Env) -> Env | None:
        if s.exc is not None:
            self.eval(s.exc, env)
        return None

    def s_If(self, s: ir.If, env: Env) -> Env | None:
        test = self.eval(s.test, env)
        body_env, else_env = dict(env), dict(env)
        pol = consent_of(test)
        if pol is not None:
            (body_env if pol == "+" else else_env)[GUARD] = GUARDED_VAL
            self.prog.note_guard(self, s.test, pol)
        a = self.block(s.body, body_env)
        b = self.block(s.orelse, else_env)
        return join_env(a, b)

    def s_Loop(self, s: ir.Loop, env: Env) -> Env | None:
        cur: Env = env
        iterable = self.eval(s.iter, env) if s.iter is not None else EMPTY
        for _ in range(MAX_LOOP):
            body_env = dict(cur)
            if s.test is not None:
                test = self.eval(s.test, body_env)
                if consent_of(test) == "+":  # `while telemetry_enabled():`
                    body_env[GUARD] = GUARDED_VAL
                    self.prog.note_guard(self, s.test, "+")
            if s.target is not None:
                self.assign(s.target, self.element(iterable), body_env, s.pos, record=False)
            out = self.block(s.body, body_env)
            merged = join_env(cur, out)
            if merged is None or env_signature(merged) == env_signature(cur):
                cur = merged if merged is not None else cur
                break
            cur = merged
        return self.block(s.orelse, dict(cur))

    def s_With(self, s: ir.With, env: Env) -> Env | None:
        for item in s.items:
            v = self.eval(item.ctx, env)
            if item.target is not None:
                self.assign(item.target, v, env, s.pos)
        return self.block(s.body, env)

    def s_Try(self, s: ir.Try, env: Env) -> Env | None:
        before = dict(env)
        body = self.block(s.body, env)
        after_body = self.block(s.orelse, dict(body)) if body is not None else None
        results = [after_body]
        start = join_env(before, body) or before
        for h in s.handlers:
            henv = dict(start)
            if h.types is not None:
                self.eval(h.types, henv)
            exc = self.exception_value(h)
            if h.name:
                henv[h.name] = exc
            self.exc_stack.append(exc)
            results.append(self.block(h.body, henv))
            self.exc_stack.pop()
        merged: Env | None = None
        for r in results:
            merged = join_env(merged, r)
        if s.finalbody:
            fin = self.block(s.finalbody, dict(merged if merged is not None else start))
            if merged is None or fin is None:
                return None
            return fin
        return merged

    def s_Match(self, s: ir.Match, env: Env) -> Env | None:
        subject = self.eval(s.subject, env)
        out: Env | None = None
        for names, body in s.cases:
            cenv = dict(env)
            for n in names:
                cenv[n] = read_any(subject)
            out = join_env(out, self.block(body, cenv))
        return join_env(out, env)

    def s_Scope(self, s: ir.Scope, env: Env) -> Env | None:
        (self.globals_declared if s.kind == "global" else self.nonlocals).update(s.names)
        return env

    def s_Delete(self, s: ir.Delete, env: Env) -> Env | None:
        for t in s.targets:
            if isinstance(t, ir.Name):
                env.pop(t.id, None)
        return env

    def s_Import(self, s: ir.Import, env: Env) -> Env | None:
        for b in s.binds:
            if not b.local:
                continue
            if b.local == "*":
                for name, v in self.prog.star_import(b.target).items():
                    self.bind_name(name, v, env)
                continue
            self.bind_name(b.local, self.prog.resolve(b.target), env)
        return env

    def s_DefStmt(self, s: ir.DefStmt, env: Env) -> Env | None:
        ref = f"cls:{s.qname}" if s.is_class else f"fn:{s.qname}"
        v = Val(refs=frozenset({ref}))
        decorators = [self.eval(d, env) for d in s.decorators]
        if not s.is_class:
            self.prog.note_closure(s.qname, env, self)
            for dv in reversed(decorators):  # the decorator nearest the def applies first
                v = self.prog.decorated(dv, v, self)
        self.bind_name(s.name, v, env)
        return env

    # ================================================================== binding
    def bind_name(self, name: str, v: Val, env: Env) -> None:
        if self.class_body is not None:
            self.prog.write_attr(self.class_body, name, v, self)
            env[name] = v
            return
        if self.is_module or name in self.globals_declared:
            self.prog.write_global(self.mod.module, name, v, self)
            if self.is_module:
                env[name] = v
            return
        env[name] = v

    def assign(self, target: ir.Expr, value: Val, env: Env, pos: ir.Pos, record: bool = True) -> None:
        if isinstance(target, ir.Name):
            v = value
            if UNKNOWN_REF in value.refs:
                v = join(v, self.by_name(target.id, target.id, pos, value))
            if record and value.tainted:
                v = value.step(Step(self.path, pos[0], pos[1], "assign", f"assigned to {target.id}"))
            v = v.replace(names=v.names | {target.id})
            self.bind_name(target.id, v, env)
        elif isinstance(target, ir.SeqE):
            star_seen = False
            for i, t in enumerate(target.elts):
                if isinstance(t, ir.Starred):
                    star_seen = True
                    self.assign(t.value, Val(rest=read_any(value).all_flows()), env, pos, record)
                elif star_seen:
                    self.assign(t, read_any(value), env, pos, record)
                else:
                    self.assign(t, read_field(value, i), env, pos, record)
        elif isinstance(target, ir.Starred):
            self.assign(target.value, value, env, pos, record)
        elif isinstance(target, ir.Attr):
            self.store_attr(target, value, env, pos)
        elif isinstance(target, ir.Sub):
            self.store_item(target, value, env, pos)

    def store_attr(self, target: ir.Attr, value: Val, env: Env, pos: ir.Pos) -> None:
        base = self.eval(target.value, env)
        step = Step(self.path, pos[0], pos[1], "attribute", f"stored in .{target.attr}")
        stored = value.step(step) if value.tainted else value
        tracked = False
        for ref in base.refs:
            kind, _, name = ref.partition(":")
            if kind == "obj" or kind == "cls":
                self.prog.write_attr(name, target.attr, stored, self)
                tracked = True
            elif kind == "mod":
                self.prog.write_global(name, target.attr, stored, self)
                tracked = True
        if not tracked:  # attributes of project classes live per class (report-json.md)
            self.mutate(target.value, base, lambda b: with_field(b, target.attr, stored), env)

    def store_item(self, target: ir.Sub, value: Val, env: Env, pos: ir.Pos) -> None:
        base = self.eval(target.value, env)
        key = self.const_key(target.index, env) if target.index is not None else None
        if value.tainted:
            where = f'["{key}"]' if isinstance(key, str) else f"[{key}]" if key is not None else "[...]"
            value = value.step(Step(self.path, pos[0], pos[1], "container", f"stored in {where}"))
        if key is None:
            self.mutate(target.value, base, lambda b: add_rest(b, value), env)
        else:
            self.mutate(target.value, base, lambda b: with_field(b, key, value), env)

    def mutate(self, expr: ir.Expr, base: Val, fn, env: Env) -> None:  # noqa: ANN001
        """Apply ``fn`` to the value ``expr`` denotes, and to every alias of it in scope."""
        new = fn(base)
        if isinstance(expr, ir.Name):
            new = new.replace(ids=base.ids, names=base.names)
            if (expr.id not in env and not self.is_module and self.class_body is None
                    and self.prog.is_global(self.mod, expr.id)):
                self.prog.write_global(self.mod.module, expr.id, new, self)  # a global container
            else:
                self.bind_name(expr.id, new, env)
        elif isinstance(expr, ir.Attr | ir.Sub):
            self.assign(expr, new, env, expr.pos, record=False)
        if base.ids:
            for name, v in list(env.items()):
                if v.ids & base.ids and not (isinstance(expr, ir.Name) and name == expr.id):
                    env[name] = join(v, fn(v)) if v is not base else fn(v)

    # ================================================================== expressions
    def eval(self, e: ir.Expr, env: Env) -> Val:
        meth = getattr(self, "e_" + type(e).__name__)
        return meth(e, env)

    def e_Const(self, e: ir.Const, env: Env) -> Val:
        if isinstance(e.value, str):
            v = Val(strs=frozenset({e.value}) if len(e.value) < 2048 else frozenset())
            src = self.prog.literal_source(e.value, self, e.pos)
            return join(v, src) if src is not None else v
        if isinstance(e.value, bool):
            return _TRUE_VAL if e.value else _FALSE_VAL
        if isinstance(e.value, int):  # its text is kept: f"<={limit}" is a known constant
            return Val(refs=_NUMBER_REFS, strs=frozenset({str(e.value)}))
        return _CONST_VALS.get(type(e.value).__name__ if e.value is not None else "None", EMPTY)

    def e_Name(self, e: ir.Name, env: Env) -> Val:
        v = self.load_name(e.id, env)
        cls = self.rules.name_classes.get(e.id)
        if cls is not None and not v.strs:
            v = v.replace(refs=v.refs | {"#class:" + cls[0]})
        pol = self.rules.consent_polarity(e.id)
        if pol is not None and not any(r.startswith(("fn:", "cls:", "mod:", "bound:")) for r in v.refs):
            v = v.replace(refs=v.refs | {POS if pol == "+" else NEG})
        if v.tainted and (e.id not in env or e.id in self.globals_declared) and not self.is_module:
            where = f"{e.id} of the enclosing function" if e.id not in self.globals_declared \
                and self.prog.encloses(self.func, e.id) else f"the global {e.id}"
            v = v.step(Step(self.path, e.pos[0], e.pos[1], "global", f"read from {where}"))
        model = self.rules.name_sources.get(e.id)
        if model is not None and e.id not in env:
            v = join(v, self.source_val(model, e.id, e.pos))
        return v

    def load_name(self, name: str, env: Env) -> Val:
        if name in env and name not in self.globals_declared:
            return env[name]
        if name in self.free_refs:  # a decorator's wrapper calling the function it wraps
            return Val(refs=self.free_refs[name])
        return self.prog.load_free(self.func, self.mod, name, self)

    def e_Attr(self, e: ir.Attr, env: Env) -> Val:
        base = self.eval(e.value, env)
        return self.load_attr(base, e.attr, e.pos, base)

    def load_attr(self, base: Val, attr: str, pos: ir.Pos, receiver: Val | None = None) -> Val:
        if attr in self.rules.safe_attributes or attr.startswith(self.rules.safe_attribute_prefixes):
            return _NAME_VAL if attr in ("__name__", "__qualname__") else EMPTY
        if attr == "__dict__":
            return self.prog.object_fields(base, self, pos)
        out = read_field(base, attr)
        out = out.replace(refs=frozenset(), names=base.names | {attr}) if out is not EMPTY else out
        marks = frozenset(r for r in base.refs if r.startswith("#class:"))
        if marks:  # uuid4().hex is still a session id, sys.version_info.major still a version
            out = out.replace(refs=out.refs | marks)
        for ref in base.refs:
            out = join(out, self.prog.attr_of_ref(ref, attr, self, pos, base))
        pol = self.rules.consent_polarity(attr)
        if pol is not None and not any(r.startswith(("fn:", "bound:", "ext:", "inst:")) for r in out.refs):
            out = out.replace(refs=out.refs | {POS if pol == "+" else NEG})
        san = self.rules.attr_sanitizers.get(attr)
        if san is not None and attr not in base.fields:  # a modelled field is what it says
            out = strip_kinds(out, san.removes)
        return out

    def e_Sub(self, e: ir.Sub, env: Env) -> Val:
        base = self.eval(e.value, env)
        if e.index is None:  # a slice: the parts from the lower bound on, as one value
            if not base.fields:
                return base
            kept = Val(base.flows, base.rest, {k: v for k, v in base.fields.items()
                                               if not isinstance(k, int) or k >= e.lower})
            return Val(kept.all_flows(), strs=base.strs, names=base.names)
        idx = self.eval(e.index, env)
        key = self.const_key(e.index, env, idx)
        keyed = [r for r in base.refs if r.startswith("keyed:")]
        if keyed:
            return join_all(self.prog.keyed_lookup(r[6:], key, idx, self, e.pos) for r in keyed)
        if key is None:
            return read_any(base)
        out = read_field(base, key)
        if USER_FILE in base.refs:
            out = self.prog.stored_id(base, key, out, self, e.pos)
        if UNKNOWN_REF in base.refs:
            out = join(out.replace(refs=out.refs | {UNKNOWN_REF}),
                       self.by_name(key, f'[{key!r}]', e.pos, out))
        return out

    def const_key(self, index: ir.Expr | None, env: Env, val: Val | None = None) -> str | int | None:
        if isinstance(index, ir.Const) and isinstance(index.value, str | int) and not isinstance(
                index.value, bool):
            return index.value
        if isinstance(index, ir.Unary) and index.op == "-" and isinstance(index.operand, ir.Const):
            return None
        if val is None and index is not None:
            val = self.eval(index, env)
        if val is not None and len(val.strs) == 1 and not val.tainted:
            return next(iter(val.strs))
        return None

    def e_DictE(self, e: ir.DictE, env: Env) -> Val:
        fields: dict = {}
        rest: Val = EMPTY
        for k, v in e.items:
            val = self.eval(v, env)
            if k is None:
                for fk, fv in val.fields.items():
                    fields[fk] = fv
                rest = join(rest, Val(val.flows, val.rest))
                continue
            kv = self.eval(k, env)
            key = self.const_key(k, env, kv)
            if UNKNOWN_REF in val.refs and isinstance(key, str):
                val = join(val, self.by_name(key, f'["{key}"]', v.pos, val))
            if val.tainted:
                where = f'["{key}"]' if isinstance(key, str) else f"[{key}]" if key is not None \
                    else "[...]"
                val = val.step(Step(self.path, v.pos[0], v.pos[1], "container",
                                    f"put in a dict at {where}"))
            if key is None:
                rest = join(rest, Val(join(kv, val).all_flows()))
            else:
                fields[key] = val
        return Val(rest=rest.all_flows(), fields=fields,
                   ids=frozenset({f"alloc:{e.pos[0]}:{e.pos[1]}"}))

    def e_SeqE(self, e: ir.SeqE, env: Env) -> Val:
        fields: dict = {}
        rest = EMPTY
        star = False
        for i, el in enumerate(e.elts):
            if isinstance(el, ir.Starred):
                star = True
                rest = join(rest, self.eval(el.value, env).flat())
                continue
            v = self.eval(el, env)
            if star or e.kind == "set":
                rest = join(rest, v.flat())
            else:
                fields[i] = v
        return Val(rest=rest.all_flows(), fields=fields,
                   ids=frozenset({f"alloc:{e.pos[0]}:{e.pos[1]}"}))

    def e_Starred(self, e: ir.Starred, env: Env) -> Val:
        return self.eval(e.value, env)

    def e_BinOp(self, e: ir.BinOp, env: Env) -> Val:
        left = self.eval(e.left, env)
        right = self.eval(e.right, env)
        if e.op == "|" and (left.fields or right.fields):
            return join(left, right).replace(ids=frozenset())
        strs: frozenset[str] = frozenset()
        if e.op == "+":
            strs = _concat(left.strs, right.strs)
        elif e.op == "%":
            strs = left.strs
        elif e.op == "/" and (left.strs or right.strs or left.refs):  # pathlib joins
            strs = frozenset(f"{a}/{b}" for a in (left.strs or {"\x00"}) for b in (right.strs or {"\x00"}))
        refs = left.refs if e.op == "/" else frozenset()  # a Path stays a Path
        marks = (left.refs | right.refs) & {"#class:time", "#class:duration", "#class:number", "#number"}
        if e.op == "-" and "#class:time" in left.refs and "#class:time" in right.refs:
            marks = {"#class:duration"}
        elif e.op in ("-", "+", "*", "/", "//", "%") and marks:
            marks = marks - {"#class:time"} or {"#number"}
        else:
            marks = set()
        refs = refs | marks
        out = Val(join(left.flat(), right.flat()).flows, strs=strs, names=left.names | right.names,
                  refs=frozenset(r for r in refs if r.startswith(("inst:", "#")) or r == "file"))
        if e.op == "%" and self.rules.stringify:
            out = self.prog.stringified([right, *right.fields.values()], out, self, e.pos)
        if out.tainted and e.op in ("%", "+") and (left.strs or right.strs):
            out = out.step(Step(self.path, e.pos[0], e.pos[1], "transform", "formatted into a string"))
        return out

    def e_BoolOp(self, e: ir.BoolOp, env: Env) -> Val:
        vals = []
        saved = env.get(GUARD)
        for v in e.values:  # `enabled() and send()`: what follows a yes is guarded
            val = self.eval(v, env)
            vals.append(val)
            pol = consent_of(val)
            if pol == ("+" if e.op == "and" else "-"):
                env[GUARD] = GUARDED_VAL
                self.prog.note_guard(self, v, pol)
        if saved is not None:
            env[GUARD] = saved
        if e.op == "and":
            # `a and b` is `a` only when a is falsy, and a falsy value ("" or None) identifies
            # no one: the result carries what the last operand carries
            return vals[-1]
        return join_all(vals)

    def e_Compare(self, e: ir.Compare, env: Env) -> Val:
        left = self.eval(e.left, env)
        rights = [self.eval(c, env) for c in e.comparators]
        pol = self.compare_polarity(left, e.ops[0], rights[0]) if len(e.ops) == 1 else None
        return Val(refs=frozenset({BOOL} | ({POS if pol == "+" else NEG} if pol else set())))

    def compare_polarity(self, left: Val, op: str, right: Val) -> str | None:
        """Whether a comparison's truth means the user said yes ("+") or no ("-") to telemetry."""
        if op in ("in", "not in") and any(r.startswith("keyed:") for r in right.refs):
            keys = [self.rules.env_consent(k) for k in left.strs]  # "DO_NOT_TRACK" in os.environ
            pol = next((k for k in keys if k), None)
            return _neg(pol) if pol and op == "not in" else pol
        pol = consent_of(left) or consent_of(right)
        if pol is None:
            return None
        other = right if consent_of(left) else left
        truthy = any(x.lower() in self.rules.truthy for x in other.strs) or TRUE in other.refs
        falsy = any(x.lower() in self.rules.falsy for x in other.strs) or FALSE in other.refs \
            or NONE in other.refs
        if op in ("==", "is", "in"):
            return pol if truthy or not falsy else _neg(pol)
        if op in ("!=", "is not", "not in"):
            return _neg(pol) if truthy and not falsy else pol
        return pol

    def e_Unary(self, e: ir.Unary, env: Env) -> Val:
        v = self.eval(e.operand, env)
        if e.op == "not":
            pol = consent_of(v)
            return Val(refs=frozenset({BOOL} | ({POS if pol == "-" else NEG} if pol else set())))
        return v.flat()

    def e_FStr(self, e: ir.FStr, env: Env) -> Val:
        vals = [self.eval(p, env) for p in e.parts]
        texts = [""]
        for p, v in zip(e.parts, vals, strict=True):
            piece = {str(p.value)} if isinstance(p, ir.Const) else (
                v.strs if 0 < len(v.strs) <= 8 and not v.tainted else {"\x00"})
            texts = [t + x for t in texts for x in piece][:8]
        out = Val(join_all(v.flat() for v in vals).flows, strs=frozenset(texts))
        for p, v in zip(e.parts, vals, strict=True):
            if not isinstance(p, ir.Const):
                out = out.replace(names=out.names | v.names)
        if out.tainted:
            out = out.step(Step(self.path, e.pos[0], e.pos[1], "transform", "formatted into a string"))
        return self.prog.stringified(vals, out, self, e.pos) if self.rules.stringify else out

    def e_IfExp(self, e: ir.IfExp, env: Env) -> Val:
        test = self.eval(e.test, env)
        pol = consent_of(test)
        saved = env.get(GUARD)
        if pol == "+":
            env[GUARD] = GUARDED_VAL
        body = self.eval(e.body, env)
        if saved is not None:
            env[GUARD] = saved
        if pol == "-":
            env[GUARD] = GUARDED_VAL
        orelse = self.eval(e.orelse, env)
        if saved is not None:
            env[GUARD] = saved
        if _chooses_from_fixed_set(e.test, e.body):
            body = self._fixed_set_values(e.test, env)
        if _chooses_from_fixed_set(e.test, e.orelse, negated=True):
            orelse = self._fixed_set_values(e.test, env)
        return join(body, orelse)

    def _fixed_set_values(self, test: ir.Expr, env: Env) -> Val:
        """The constants a fixed-set choice can yield (``x in KNOWN`` → the values of KNOWN)."""
        tests = test.values if isinstance(test, ir.BoolOp) else (test,)
        strs: set[str] = set()
        for t in tests:
            if isinstance(t, ir.Compare) and len(t.ops) == 1:
                v = self.eval(t.comparators[0], env)
                strs |= v.strs if t.ops[0] in ("==", "!=") else read_any(v).strs
        return Val(refs=frozenset({"#class:enum"}), strs=frozenset(s for s in strs if "\x00" not in s))

    def e_Lambda(self, e: ir.Lambda, env: Env) -> Val:
        self.prog.note_closure(e.func, env, self)
        return Val(refs=frozenset({f"fn:{e.func}"}))

    def e_Comp(self, e: ir.Comp, env: Env) -> Val:
        cenv = dict(env)
        for g in e.gens:
            it = self.eval(g.iter, cenv)
            self.assign(g.target, self.element(it), cenv, e.pos, record=False)
            for cond in g.ifs:
                self.eval(cond, cenv)
        elt = self.eval(e.elt, cenv)
        if e.kind == "dict" and e.key is not None:
            elt = join(elt, self.eval(e.key, cenv).flat())
        return Val(rest=elt.all_flows())

    def e_Await(self, e: ir.Await, env: Env) -> Val:
        return self.eval(e.value, env)

    def e_Yield(self, e: ir.Yield, env: Env) -> Val:
        if e.value is not None:
            v = self.eval(e.value, env)
            step = Step(self.path, e.pos[0], e.pos[1], "return", f"{self.func.name}() yields it")
            self.summary.ret = join(self.summary.ret, Val(rest=v.step(step).all_flows())
                                    if not e.is_from else v.step(step))
        return EMPTY

    def e_Walrus(self, e: ir.Walrus, env: Env) -> Val:
        v = self.eval(e.value, env)
        self.assign(ir.Name(e.target, e.pos), v, env, e.pos)
        return v

    def e_Opaque(self, e: ir.Opaque, env: Env) -> Val:
        return Val(join_all(self.eval(p, env).flat() for p in e.parts).flows)

    def e_Call(self, e: ir.Call, env: Env) -> Val:
        return self.prog.call(self, e, env)

    # ================================================================== helpers
    def element(self, it: Val) -> Val:
        """One element of an iterable (a for loop's target)."""
        return read_any(it)

    def exception_value(self, h: ir.Handler) -> Val:
        line, col = h.pos[0], h.pos[1]
        kinds = self.rules.exception_kinds
        origin = Origin(kinds, f"exception {h.name}" if h.name else "the exception",
                        "the exception's message", self.path, line, col, self.func.qname)
        step = Step(self.path, line, col, "source", "an exception's message can carry anything")
        return Val({origin: Flow(origin, Trace.of(step))}, refs=frozenset({"exc"}))

    def self_value(self) -> Val:
        """The method's ``self`` as it stands now (the receiver of ``super().m()``)."""
        if not self.func.params:
            return EMPTY
        name = self.func.params[0].name
        return self.cur_env.get(name, self.params.get(name, EMPTY))

    def unguarded(self) -> bool:
        """Whether some path to the current point skipped every consent check."""
        return "unguarded" in self.cur_env.get(GUARD, UNGUARDED_VAL).refs

    def current_exception(self) -> Val:
        return self.exc_stack[-1] if self.exc_stack else EMPTY

    def source_val(self, model: SourceModel, label: str, pos: ir.Pos, by: str = "api") -> Val:
        line, col = pos[0], pos[1]
        step_note = f"{label} {_says(model.says)}"

        def flow(kinds: frozenset[str], lab: str = label) -> dict[Origin, Flow]:
            o = Origin(kinds, lab, model.says, self.path, line, col, self.func.qname, by)
            return {o: Flow(o, Trace.of(Step(self.path, line, col, "source", step_note)))}

        fields = {k: Val(flow(kinds, f"{label}.{k}")) for k, kinds in model.fields.items()}
        if model.item0:
            fields[0] = Val(flow(model.item0, f"{label}[0]"))
        whole = flow(model.kinds) if model.kinds and model.whole_too else {}
        if model.fields or model.item0:
            return Val(rest=whole, fields=fields)
        return Val(whole)

    def by_name(self, name: object, label: str, pos: ir.Pos, value: Val | None = None) -> Val:
        """A value of unknown origin named like an identifier (the third source layer).

        Where dataflow knows where the value came from (a modelled source, a literal), the origin
        wins and the name adds nothing.
        """
        if value is not None and any(o.param is None for o in value.all_flows()):
            return EMPTY
        kinds = self.rules.name_kinds(name) if isinstance(name, str) else None
        if not kinds:
            return EMPTY
        from privlint.rules.model import SourceModel

        says = "is named like " + " and ".join(sorted(kinds)).replace("-", " ")
        return self.source_val(SourceModel(kinds, says), label, pos, by="name")

    def type_of_annotation(self, ann: ir.Expr) -> Val:
        v = self.eval(ann, {})
        refs = set()
        for r in v.refs:
            kind, _, name = r.partition(":")
            if kind == "ext":
                refs.add(f"inst:{name}")
            elif kind == "cls":
                refs.add(f"obj:{name}")
        if isinstance(ann, ir.Sub):  # Optional[T], list[T]
            inner = self.type_of_annotation(ann.index) if ann.index is not None else EMPTY
            refs |= inner.refs
        if isinstance(ann, ir.BinOp):  # T | None
            refs |= self.type_of_annotation(ann.left).refs | self.type_of_annotation(ann.right).refs
        return Val(refs=frozenset(refs))

    def record_hit(self, flow: Flow, sink: SinkSite, field: str, landing: SinkSite) -> None:
        hit = Hit(flow, sink, sys.intern(field), landing)  # kept in summaries: one copy per label
        if flow.origin.param is not None:
            self.summary.hits.append(hit)
        else:
            self.findings.append(hit)


BOOL, TRUE, FALSE, NONE, NUMBER = "#bool", "#true", "#false", "#none", "#number"
_TRUE_VAL = Val(refs=frozenset({BOOL, TRUE}))
_NUMBER_REFS = frozenset({NUMBER})
_NAME_VAL = Val(refs=frozenset({"#class:enum"}))  # a class or function name: one of the program's
_FALSE_VAL = Val(refs=frozenset({BOOL, FALSE}))
_CONST_VALS = {"None": Val(refs=frozenset({NONE})), "int": Val(refs=frozenset({NUMBER})),
               "float": Val(refs=frozenset({NUMBER}))}


def consent_of(v: Val) -> str | None:
    if POS in v.refs:
        return "+"
    if NEG in v.refs:
        return "-"
    return None


def _neg(pol: str | None) -> str | None:
    return {"+": "-", "-": "+"}.get(pol or "")


def _says(says: str) -> str:
    if says.startswith(("returns", "is", "reads", "prints", "carries", "holds")):
        return says
    return f"returns {says}"


def _is_static(func: ir.Function) -> bool:
    return any(isinstance(d, ir.Name) and d.id == "staticmethod" for d in func.decorators)


def _is_classmethod(func: ir.Function) -> bool:
    return any(isinstance(d, ir.Name) and d.id == "classmethod" for d in func.decorators)


def _concat(a: frozenset[str], b: frozenset[str]) -> frozenset[str]:
    left = a or frozenset({"\x00"})
    right = b or frozenset({"\x00"})
    if left == {"\x00"} and right == {"\x00"}:
        return frozenset()
    return frozenset(x + y for x in left for y in right if len(x) + len(y) < 4096)


def _chooses_from_fixed_set(test: ir.Expr, chosen: ir.Expr, negated: bool = False) -> bool:
    """``x if x in KNOWN else "other"``: the result is one of a fixed set of constants."""
    if isinstance(test, ir.BoolOp) and test.op == ("or" if negated else "and"):
        return any(_chooses_from_fixed_set(t, chosen, negated) for t in test.values)
    if not isinstance(test, ir.Compare) or len(test.ops) != 1:
        return False
    op = test.ops[0]
    wanted = ("not in", "!=") if negated else ("in", "==")
    if op not in wanted:
        return False
    return _same_expr(test.left, chosen)


def _same_expr(a: ir.Expr, b: ir.Expr) -> bool:
    if isinstance(a, ir.Name) and isinstance(b, ir.Name):
        return a.id == b.id
    if isinstance(a, ir.Attr) and isinstance(b, ir.Attr):
        return a.attr == b.attr and _same_expr(a.value, b.value)
    if isinstance(a, ir.Sub) and isinstance(b, ir.Sub):
        return (isinstance(a.index, ir.Const) and isinstance(b.index, ir.Const)
                and a.index.value == b.index.value and _same_expr(a.value, b.value))
    return False


def join_env(a: Env | None, b: Env | None) -> Env | None:
    if a is None:
        return b
    if b is None:
        return a
    out = dict(a)
    for k, v in b.items():
        out[k] = join(out[k], v) if k in out else v
    return out


def env_signature(env: Env) -> tuple:
    return tuple(sorted((k, v.signature()) for k, v in env.items()))
