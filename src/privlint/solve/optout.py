"""Opt-out detection: does a consent check answer "yes" when the user has said nothing?

Why a second, concrete evaluator: the taint solver over-approximates values; this question needs
the *value* of a check in one specific world — every environment variable unset, no settings file,
no stored preference — and the evaluator below computes exactly that for the simple code consent
checks are made of (environment lookups with defaults, comparisons, ``not``/``and``/``or``,
``if``/``return``, ``try``/``except``). Anything it cannot decide is unknown and never reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from privlint.facts import ir

if TYPE_CHECKING:
    from privlint.solve.program import Program


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()
MAX_DEPTH = 4


class _Raised(Exception):
    """Evaluation reached a raise (a missing key, an absent file)."""


@dataclass(frozen=True)
class OptOut:
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    func: str  # module-qualified function holding the default
    what: str  # the check's name or the guard's text
    detail: str


def _truthy(v: object) -> object:
    return UNKNOWN if v is UNKNOWN else bool(v)


class AbsentWorld:
    def __init__(self, prog: Program) -> None:
        self.prog = prog
        self.rules = prog.rules

    # ------------------------------------------------------------------ functions
    def returns(self, qname: str, depth: int = 0) -> list[tuple[object, ir.Pos]]:
        """Every value the function can return in the absent world, with where it returns."""
        func, mod = self.prog.functions[qname]
        out: list[tuple[object, ir.Pos]] = []
        env: dict[str, object] = {p.name: UNKNOWN for p in func.params}
        for p in func.params:
            if p.default is not None:
                env[p.name] = self.expr(p.default, env, mod, depth)
        try:
            falls = self.block(self.prog.body_of(func), env, mod, out, depth)
        except _Raised:
            return out
        if falls:
            out.append((None, func.pos))
        return out

    def block(self, stmts: tuple[ir.Stmt, ...], env: dict, mod: ir.ModuleFacts,
              out: list, depth: int) -> bool:
        """Run statements; False when every path returned or raised."""
        for s in stmts:
            if isinstance(s, ir.Return):
                out.append((self.expr(s.value, env, mod, depth) if s.value else None, s.pos))
                return False
            if isinstance(s, ir.Raise):
                raise _Raised
            if isinstance(s, ir.Assign):
                v = self.expr(s.value, env, mod, depth)
                for t in s.targets:
                    if isinstance(t, ir.Name):
                        env[t.id] = v
            elif isinstance(s, ir.If):
                cond = _truthy(self.expr(s.test, env, mod, depth))
                if cond is UNKNOWN:
                    a = self.block(s.body, dict(env), mod, out, depth)
                    b = self.block(s.orelse, dict(env), mod, out, depth)
                    if not (a or b):
                        return False
                    continue  # later values depend on which branch ran: keep the env as it was
                if not self.block(s.body if cond else s.orelse, env, mod, out, depth):
                    return False
            elif isinstance(s, ir.Try):
                try:
                    falls = self.block(s.body, dict(env), mod, out, depth)
                except _Raised:
                    if not s.handlers:
                        raise
                    falls = self.block(s.handlers[0].body, env, mod, out, depth)
                if not falls:
                    return False
            elif isinstance(s, ir.With) and not self.block(s.body, env, mod, out, depth):
                return False
        return True

    # ------------------------------------------------------------------ expressions
    def expr(self, e: ir.Expr | None, env: dict, mod: ir.ModuleFacts, depth: int) -> object:
        if e is None:
            return None
        if isinstance(e, ir.Const):
            return e.value
        if isinstance(e, ir.Name):
            if e.id in env:
                return env[e.id]
            return self.module_constant(mod, e.id)
        if isinstance(e, ir.SeqE):
            vals = [self.expr(x, env, mod, depth) for x in e.elts]
            return UNKNOWN if any(v is UNKNOWN for v in vals) else tuple(vals)
        if isinstance(e, ir.Unary) and e.op == "not":
            v = _truthy(self.expr(e.operand, env, mod, depth))
            return UNKNOWN if v is UNKNOWN else not v
        if isinstance(e, ir.BoolOp):
            return self.boolop(e, env, mod, depth)
        if isinstance(e, ir.Compare) and len(e.ops) == 1:
            return self.compare(e, env, mod, depth)
        if isinstance(e, ir.IfExp):
            cond = _truthy(self.expr(e.test, env, mod, depth))
            if cond is UNKNOWN:
                return UNKNOWN
            return self.expr(e.body if cond else e.orelse, env, mod, depth)
        if isinstance(e, ir.Sub) and self.is_environ(e.value, env, mod):
            raise _Raised  # os.environ["X"] with X unset
        if isinstance(e, ir.Call):
            return self.call(e, env, mod, depth)
        return UNKNOWN

    def boolop(self, e: ir.BoolOp, env: dict, mod: ir.ModuleFacts, depth: int) -> object:
        last: object = None
        for v in e.values:
            last = self.expr(v, env, mod, depth)
            t = _truthy(last)
            if t is UNKNOWN:
                return UNKNOWN
            if (e.op == "and" and not t) or (e.op == "or" and t):
                return last
        return last

    def compare(self, e: ir.Compare, env: dict, mod: ir.ModuleFacts, depth: int) -> object:
        op = e.ops[0]
        if op in ("in", "not in") and self.is_environ(e.comparators[0], env, mod):
            return op == "not in"  # nothing is set
        left = self.expr(e.left, env, mod, depth)
        right = self.expr(e.comparators[0], env, mod, depth)
        if left is UNKNOWN or right is UNKNOWN:
            return UNKNOWN
        try:
            return {
                "==": lambda: left == right, "!=": lambda: left != right,
                "is": lambda: left is right, "is not": lambda: left is not right,
                "in": lambda: left in right, "not in": lambda: left not in right,  # type: ignore[operator]
            }.get(op, lambda: UNKNOWN)()
        except TypeError:
            return UNKNOWN

    def call(self, e: ir.Call, env: dict, mod: ir.ModuleFacts, depth: int) -> object:
        args = [self.expr(a.value, env, mod, depth) for a in e.args if not a.name and not a.star]
        kwargs = {a.name: a.value for a in e.args if a.name}
        name = self.callee_name(e.func, env, mod)
        if name in self.rules.keyed_functions:  # os.getenv("X", default)
            return args[1] if len(args) > 1 else (
                self.expr(kwargs["default"], env, mod, depth) if "default" in kwargs else None)
        if isinstance(e.func, ir.Attr):
            recv_is_env = self.is_environ(e.func.value, env, mod)
            meth = e.func.attr
            if meth == "get" or recv_is_env and meth in ("get", "pop"):
                return args[1] if len(args) > 1 else None  # no setting stored: the default
            recv = self.expr(e.func.value, env, mod, depth) if not recv_is_env else UNKNOWN
            if isinstance(recv, str) and meth in ("lower", "upper", "strip", "casefold", "lstrip",
                                                  "rstrip"):
                return getattr(recv, meth)()
            if meth in ("exists", "is_file", "is_dir"):
                return False  # no settings file
            if meth in ("read_text", "read_bytes", "read", "open"):
                raise _Raised
        if name in ("os.path.exists", "os.path.isfile", "os.path.isdir"):
            return False
        if name in ("open", "io.open"):
            raise _Raised
        if name in ("bool", "str", "int") and len(args) == 1 and args[0] is not UNKNOWN:
            try:
                return {"bool": bool, "str": str, "int": int}[name](args[0])  # type: ignore[operator]
            except (TypeError, ValueError):
                raise _Raised from None
        if name in self.prog.functions and depth < MAX_DEPTH:
            rets = [v for v, _ in self.returns(name, depth + 1)]
            if rets and all(v is not UNKNOWN for v in rets) and len({bool(v) for v in rets}) == 1:
                return rets[0]
        return UNKNOWN

    # ------------------------------------------------------------------ names
    def callee_name(self, func: ir.Expr, env: dict, mod: ir.ModuleFacts) -> str | None:
        dotted = ir.dotted(func)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        target = self.import_target(mod, head)
        if target is None:
            if head in self.prog.modules[mod.module].functions or f"{mod.module}.{head}" in \
                    self.prog.functions:
                return f"{mod.module}.{dotted}"
            return dotted
        return f"{target}.{rest}" if rest else target

    def import_target(self, mod: ir.ModuleFacts, local: str) -> str | None:
        for s in self.prog.body_of(mod.body):
            if isinstance(s, ir.Import):
                for b in s.binds:
                    if b.local == local:
                        return b.target
        return None

    def is_environ(self, e: ir.Expr, env: dict, mod: ir.ModuleFacts) -> bool:
        return self.callee_name(e, env, mod) in self.rules.keyed_objects

    def module_constant(self, mod: ir.ModuleFacts, name: str) -> object:
        value: object = UNKNOWN
        for s in self.prog.body_of(mod.body):
            if isinstance(s, ir.Assign) and any(isinstance(t, ir.Name) and t.id == name
                                                for t in s.targets):
                value = s.value.value if isinstance(s.value, ir.Const) else UNKNOWN
        return value


def find_opt_outs(prog: Program) -> list[OptOut]:
    """Consent checks (configured or recognised by name) and inline guards that default to yes."""
    world = AbsentWorld(prog)
    out: list[OptOut] = []
    checks = set(prog.config.consent_checks)
    for q, (func, _) in prog.functions.items():
        if func.name in ("<module>", "<class>") or func.is_lambda:
            continue
        if prog.rules.consent_polarity(func.name) is not None and prog.callers.get(q):
            checks.add(q)
    for q in sorted(checks):
        if q not in prog.functions:
            continue
        func, mod = prog.functions[q]
        pol = prog.rules.consent_polarity(func.name) or "+"
        for value, pos in world.returns(q):
            if value is UNKNOWN:
                continue
            says_yes = bool(value) if pol == "+" else not bool(value)
            if says_yes:
                out.append(OptOut(mod.path, pos[0], pos[1], pos[2], pos[3], q, f"{func.name}()",
                                  f"{func.name}() answers yes when no setting is present "
                                  f"(it returns {value!r})"))
                break
    checked_funcs = {q for q in checks}
    for q, guards in sorted(prog.guards.items()):
        func, mod = prog.functions[q]
        for (_line, _col), (test, pol) in sorted(guards.items()):
            if _calls_project(test, world, mod) or q in checked_funcs:
                continue
            try:
                value = world.expr(test, {}, mod, 0)
            except _Raised:
                continue
            if value is UNKNOWN:
                continue
            says_yes = bool(value) if pol == "+" else not bool(value)
            if says_yes:
                p = test.pos
                out.append(OptOut(mod.path, p[0], p[1], p[2], p[3], q, "this check",
                                  "the check passes when no setting is present"))
    return out


def _calls_project(e: ir.Expr, world: AbsentWorld, mod: ir.ModuleFacts) -> bool:
    stack: list = [e]
    while stack:
        n = stack.pop()
        if isinstance(n, ir.Call) and world.callee_name(n.func, {}, mod) in world.prog.functions:
            return True
        if isinstance(n, tuple):
            stack.extend(n)
        elif hasattr(n, "__slots__"):
            stack.extend(getattr(n, s) for s in n.__slots__ if s != "pos")
    return False
