"""Lower one libcst module into ``facts.ir``: one pass, plain data out.

Why one hand-written recursive lowering instead of libcst visitors with metadata providers: the
scope and qualified-name providers cost 3-5x a parse (see shared/notes/libraries.md §5); the solver
resolves names itself from import bindings, which is all it needs. Only byte spans are computed
(the cheapest position metadata), and converted to line/column for the nodes kept.
"""

from __future__ import annotations

import bisect
import itertools
import re

import libcst as cst
from libcst._nodes.internal import CodegenState

from privlint.facts import ir
from privlint.facts.names import import_base, with_names

_BINOPS = {
    "Add": "+", "Subtract": "-", "Multiply": "*", "Divide": "/", "FloorDivide": "//",
    "Modulo": "%", "Power": "**", "LeftShift": "<<", "RightShift": ">>", "BitOr": "|",
    "BitAnd": "&", "BitXor": "^", "MatrixMultiply": "@",
}
_CMPOPS = {
    "Equal": "==", "NotEqual": "!=", "LessThan": "<", "LessThanEqual": "<=", "GreaterThan": ">",
    "GreaterThanEqual": ">=", "In": "in", "NotIn": "not in", "Is": "is", "IsNot": "is not",
}
_UNOPS = {"Not": "not", "Minus": "-", "Plus": "+", "BitInvert": "~"}

_SUPPRESS = re.compile(ir.SUPPRESS_COMMENT)
_ALLOWLIST = re.compile(ir.ALLOWLIST_COMMENT)


class _SpanState(CodegenState):
    """Code generation that records each node's span, and nothing else.

    Why not ``ByteSpanPositionProvider``: resolving it through ``MetadataWrapper`` also runs an
    empty batched traversal of the whole tree, wraps every span in a dataclass, hashes nodes by a
    Python ``__hash__`` and uses generator context managers; together that cost more than the parse.
    This state computes exactly the same spans (same codegen, same rules: a span recorded by
    ``record_syntactic_position`` wins over the whole-node span) as ``(start, end)`` tuples keyed by
    ``id(node)``, counting characters; ``_Positions`` converts them to the provider's UTF-8 offsets.
    """

    def __init__(self, default_indent: str, default_newline: str) -> None:
        super().__init__(default_indent=default_indent, default_newline=default_newline)
        self.position = 0
        self.stack: list[int] = []
        self.spans: dict[int, tuple[int, int]] = {}

    def add_indent_tokens(self) -> None:
        for tok in self.indent_tokens:
            self.tokens.append(tok)
            self.position += len(tok)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self.position += len(value)

    def before_codegen(self, node: cst.CSTNode) -> None:
        self.stack.append(self.position)

    def after_codegen(self, node: cst.CSTNode) -> None:
        self.spans.setdefault(id(node), (self.stack.pop(), self.position))

    def pop_trailing_newline(self) -> None:
        """Keep it: offsets are converted against the tokens as they were counted."""

    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: cst.CSTNode | None = None,
                                  end_node: cst.CSTNode | None = None) -> _Syntactic:
        return _Syntactic(self, node, start_node, end_node)


class _Syntactic:
    """``record_syntactic_position`` as a plain context manager (no generator frames)."""

    __slots__ = ("state", "node", "start_node", "end_node", "start")

    def __init__(self, state: _SpanState, node: cst.CSTNode, start_node: cst.CSTNode | None,
                 end_node: cst.CSTNode | None) -> None:
        self.state = state
        self.node = node
        self.start_node = start_node
        self.end_node = end_node
        self.start = 0

    def __enter__(self) -> None:
        self.start = self.state.position

    def __exit__(self, *exc: object) -> None:
        spans = self.state.spans
        start = spans[id(self.start_node)][0] if self.start_node is not None else self.start
        end = spans[id(self.end_node)][1] if self.end_node is not None else self.state.position
        spans[id(self.node)] = (start, end)


def _spans(module: cst.Module) -> tuple[dict[int, tuple[int, int]], str]:
    state = _SpanState(module.default_indent, module.default_newline)
    module._codegen(state)
    return state.spans, "".join(state.tokens)


class _Positions:
    """Turns node spans into 1-based line / code-point column positions.

    The offsets are those ``ByteSpanPositionProvider`` reports (UTF-8 bytes of the generated code),
    applied to the source bytes as before; for ASCII text (nearly every file) characters, bytes and
    columns coincide and the conversion is arithmetic.
    """

    def __init__(self, source: bytes, spans: dict[int, tuple[int, int]], code: str) -> None:
        self.source = source
        self.spans = spans
        starts = [0]
        find = source.find
        i = find(b"\n")
        while i >= 0:
            starts.append(i + 1)
            i = find(b"\n", i + 1)
        self.starts = starts
        self.ascii = source.isascii()
        self.seen: dict[ir.Pos, ir.Pos] = {}
        self.byte_of: list[int] | None = None
        if not code.isascii():  # character offsets -> UTF-8 byte offsets of the generated code
            self.byte_of = list(itertools.accumulate(
                (1 if ch < "\x80" else len(ch.encode("utf-8")) for ch in code),
                initial=0))

    def _point(self, offset: int) -> tuple[int, int]:
        idx = bisect.bisect_right(self.starts, offset) - 1
        start = self.starts[idx]
        if self.ascii:  # as the slice below: an offset past the end counts to the end
            return idx + 1, min(offset, len(self.source)) - start + 1
        col = len(self.source[start:offset].decode("utf-8", "replace")) + 1
        return idx + 1, col

    def of(self, node: cst.CSTNode) -> ir.Pos:
        span = self.spans.get(id(node))
        if span is None:
            return ir.NOPOS
        start, end = span
        if self.byte_of is not None:
            start, end = self.byte_of[start], self.byte_of[end]
        line, col = self._point(start)
        eline, ecol = self._point(end)
        pos = (line, col, eline, ecol)
        return self.seen.setdefault(pos, pos)  # one tuple per span: nested nodes often share it


class _Lowerer:
    def __init__(self, module: str, is_package: bool, pos: _Positions) -> None:
        self.module = module
        self.is_package = is_package
        self.pos = pos
        self.functions: dict[str, ir.Function] = {}
        self.classes: dict[str, ir.Class] = {}
        self.scope: list[str] = [module]  # qualified-name prefix stack
        self.func_stack: list[str] = []
        self.class_stack: list[str | None] = [None]
        self.stmt_lines: dict[int, tuple[int, int]] = {}

    # ------------------------------------------------------------------ statements
    def block(self, body: object) -> tuple[ir.Stmt, ...]:
        if body is None:
            return ()
        if isinstance(body, cst.IndentedBlock | cst.SimpleStatementSuite):
            items = body.body
        elif isinstance(body, cst.Else | cst.Finally):
            return self.block(body.body)
        else:
            items = body  # type: ignore[assignment]
        out: list[ir.Stmt] = []
        for s in items:  # type: ignore[union-attr]
            out.extend(self.stmt(s))
        return tuple(out)

    def stmt(self, s: cst.CSTNode) -> list[ir.Stmt]:
        if isinstance(s, cst.SimpleStatementLine):
            p = self.pos.of(s)
            if p[0]:
                for ln in range(p[0], p[2] + 1):
                    self.stmt_lines.setdefault(ln, (p[0], p[2]))
            out: list[ir.Stmt] = []
            for small in s.body:
                out.extend(self.small(small))
            return out
        if isinstance(s, cst.BaseSmallStatement):
            return self.small(s)
        meth = getattr(self, "c_" + type(s).__name__, None)
        if meth is None:
            return []
        return meth(s)

    def small(self, s: cst.CSTNode) -> list[ir.Stmt]:
        p = self.pos.of(s)
        if isinstance(s, cst.Expr):
            return [ir.ExprStmt(self.expr(s.value), p)]
        if isinstance(s, cst.Assign):
            targets = tuple(self.expr(t.target) for t in s.targets)
            return [ir.Assign(targets, self.expr(s.value), p)]
        if isinstance(s, cst.AnnAssign):
            ann = self.expr(s.annotation.annotation)
            if s.value is None:  # `name: T` declares a field (dataclasses) and binds nothing
                return [ir.Assign((self.expr(s.target),), ir.Const(None, p), p, ann)]
            return [ir.Assign((self.expr(s.target),), self.expr(s.value), p, ann)]
        if isinstance(s, cst.AugAssign):
            op = _BINOPS.get(type(s.operator).__name__.replace("Assign", ""), "?")
            return [ir.AugAssign(self.expr(s.target), op, self.expr(s.value), p)]
        if isinstance(s, cst.Return):
            return [ir.Return(self.expr(s.value) if s.value is not None else None, p)]
        if isinstance(s, cst.Raise):
            return [ir.Raise(self.expr(s.exc) if s.exc is not None else None, p)]
        if isinstance(s, cst.Global | cst.Nonlocal):
            kind = "global" if isinstance(s, cst.Global) else "nonlocal"
            return [ir.Scope(kind, tuple(n.name.value for n in s.names), p)]
        if isinstance(s, cst.Del):
            return [ir.Delete((self.expr(s.target),), p)]
        if isinstance(s, cst.Import):
            binds = []
            for alias in s.names:
                full = _dotted(alias.name)
                if alias.asname is not None:
                    binds.append(ir.ImportBind(_asname(alias.asname), full))
                else:
                    head = full.split(".")[0]
                    binds.append(ir.ImportBind(head, head))
                    if full != head:  # `import a.b` also makes a.b reachable through `a`
                        binds.append(ir.ImportBind("", full))
            return [ir.Import(tuple(binds), p)]
        if isinstance(s, cst.ImportFrom):
            base = self._from_base(s)
            if isinstance(s.names, cst.ImportStar):
                return [ir.Import((ir.ImportBind("*", base),), p)]
            binds = []
            for alias in s.names:
                name = _dotted(alias.name)
                local = _asname(alias.asname) if alias.asname is not None else name
                binds.append(ir.ImportBind(local, f"{base}.{name}" if base else name))
            return [ir.Import(tuple(binds), p)]
        if isinstance(s, cst.Assert):
            return [ir.ExprStmt(self.expr(s.test), p)]
        return []  # pass, break, continue

    def _from_base(self, s: cst.ImportFrom) -> str:
        mod = _dotted(s.module) if s.module is not None else ""
        return import_base(self.module, self.is_package, mod, len(s.relative))

    def c_If(self, s: cst.If) -> list[ir.Stmt]:
        orelse: tuple[ir.Stmt, ...]
        orelse = tuple(self.c_If(s.orelse)) if isinstance(s.orelse, cst.If) else self.block(s.orelse)
        return [ir.If(self.expr(s.test), self.block(s.body), orelse, self.pos.of(s))]

    def c_For(self, s: cst.For) -> list[ir.Stmt]:
        return [ir.Loop(self.expr(s.target), self.expr(s.iter), None, self.block(s.body),
                        self.block(s.orelse), self.pos.of(s))]

    def c_While(self, s: cst.While) -> list[ir.Stmt]:
        return [ir.Loop(None, None, self.expr(s.test), self.block(s.body), self.block(s.orelse),
                        self.pos.of(s))]

    def c_With(self, s: cst.With) -> list[ir.Stmt]:
        items = tuple(
            ir.WithItem(self.expr(i.item), self.expr(i.asname.name) if i.asname else None)
            for i in s.items
        )
        return [ir.With(items, self.block(s.body), self.pos.of(s))]

    def c_Try(self, s: cst.Try | cst.TryStar) -> list[ir.Stmt]:
        handlers = tuple(
            ir.Handler(
                self.expr(h.type) if h.type is not None else None,
                _asname(h.name) if h.name is not None else None,
                self.block(h.body),
                self.pos.of(h),
            )
            for h in s.handlers
        )
        return [ir.Try(self.block(s.body), handlers, self.block(s.orelse),
                       self.block(s.finalbody), self.pos.of(s))]

    c_TryStar = c_Try

    def c_Match(self, s: cst.Match) -> list[ir.Stmt]:
        cases = []
        for case in s.cases:
            names = tuple(sorted({n.value for n in _names_in(case.pattern)}))
            cases.append((names, self.block(case.body)))
        return [ir.Match(self.expr(s.subject), tuple(cases), self.pos.of(s))]

    def c_FunctionDef(self, s: cst.FunctionDef) -> list[ir.Stmt]:
        name = s.name.value
        qname = f"{self.scope[-1]}.{name}"
        decorators = tuple(self.expr(d.decorator) for d in s.decorators)
        params = self.params(s.params)
        returns = self.expr(s.returns.annotation) if s.returns is not None else None
        self.scope.append(qname)
        self.func_stack.append(qname)
        self.class_stack.append(None)
        body = self.block(s.body)
        self.class_stack.pop()
        self.func_stack.pop()
        self.scope.pop()
        p = self.pos.of(s.name)
        cls = self.class_stack[-1]
        self.functions[qname] = ir.Function(
            qname, name, params, body, p, cls=cls,
            parent=self.func_stack[-1] if self.func_stack else None,
            decorators=decorators, is_async=s.asynchronous is not None, returns=returns,
        )
        return [ir.DefStmt(name, qname, False, decorators, p)]

    def c_ClassDef(self, s: cst.ClassDef) -> list[ir.Stmt]:
        name = s.name.value
        qname = f"{self.scope[-1]}.{name}"
        bases = tuple(self.expr(a.value) for a in s.bases)
        decorators = tuple(self.expr(d.decorator) for d in s.decorators)
        self.scope.append(qname)
        self.class_stack.append(qname)
        body = self.block(s.body)
        self.class_stack.pop()
        self.scope.pop()
        methods = tuple((d.name, d.qname) for d in body if isinstance(d, ir.DefStmt)
                        and not d.is_class)
        p = self.pos.of(s.name)
        self.classes[qname] = ir.Class(qname, name, bases, body, methods, decorators, p,
                                       parent=self.func_stack[-1] if self.func_stack else None)
        return [ir.DefStmt(name, qname, True, decorators, p)]

    def params(self, ps: cst.Parameters) -> tuple[ir.Param, ...]:
        out: list[ir.Param] = []

        def one(p: cst.Param, kind: str) -> ir.Param:
            return ir.Param(
                p.name.value, kind,
                self.expr(p.default) if p.default is not None else None,
                self.expr(p.annotation.annotation) if p.annotation is not None else None,
            )

        for p in (*ps.posonly_params, *ps.params):
            out.append(one(p, "pos"))
        if isinstance(ps.star_arg, cst.Param):
            out.append(one(ps.star_arg, "*"))
        for p in ps.kwonly_params:
            out.append(one(p, "kw"))
        if ps.star_kwarg is not None:
            out.append(one(ps.star_kwarg, "**"))
        return tuple(out)

    # ------------------------------------------------------------------ expressions
    def expr(self, e: cst.CSTNode) -> ir.Expr:
        meth = getattr(self, "e_" + type(e).__name__, None)
        if meth is not None:
            return meth(e)
        return ir.Opaque(tuple(self.expr(c) for c in _child_exprs(e)), self.pos.of(e))

    def e_Name(self, e: cst.Name) -> ir.Expr:
        if e.value in ("True", "False", "None"):
            return ir.Const({"True": True, "False": False, "None": None}[e.value], self.pos.of(e))
        return ir.Name(e.value, self.pos.of(e))

    def e_Attribute(self, e: cst.Attribute) -> ir.Expr:
        return ir.Attr(self.expr(e.value), e.attr.value, self.pos.of(e))

    def e_Subscript(self, e: cst.Subscript) -> ir.Expr:
        p = self.pos.of(e)
        value = self.expr(e.value)
        if len(e.slice) == 1 and isinstance(e.slice[0].slice, cst.Index):
            return ir.Sub(value, self.expr(e.slice[0].slice.value), p)
        if len(e.slice) == 1:
            sl = e.slice[0].slice
            lower = 0
            if isinstance(sl, cst.Slice) and isinstance(sl.lower, cst.Integer):
                lower = int(sl.lower.evaluated_value)
            return ir.Sub(value, None, p, lower)
        idx = ir.SeqE("tuple", tuple(
            self.expr(el.slice.value) if isinstance(el.slice, cst.Index) else ir.Opaque((), p)
            for el in e.slice), p)
        return ir.Sub(value, idx, p)

    def e_SimpleString(self, e: cst.SimpleString) -> ir.Expr:
        v = _plain_string(e.value)
        if v is None:
            try:
                v = e.evaluated_value
            except Exception:  # noqa: BLE001 - odd escapes: keep the raw text
                v = e.value
            if isinstance(v, bytes):
                v = v.decode("latin-1")
        return ir.Const(v, self.pos.of(e))

    def e_ConcatenatedString(self, e: cst.ConcatenatedString) -> ir.Expr:
        p = self.pos.of(e)
        parts: list[ir.Expr] = []
        node: cst.CSTNode = e
        while isinstance(node, cst.ConcatenatedString):
            parts.append(self.expr(node.left))
            node = node.right
        parts.append(self.expr(node))
        flat: list[ir.Expr] = []
        for part in parts:
            flat.extend(part.parts if isinstance(part, ir.FStr) else (part,))
        if all(isinstance(x, ir.Const) for x in flat):
            return ir.Const("".join(str(x.value) for x in flat), p)  # type: ignore[union-attr]
        return ir.FStr(tuple(flat), p)

    def e_FormattedString(self, e: cst.FormattedString) -> ir.Expr:
        p = self.pos.of(e)
        parts: list[ir.Expr] = []
        for part in e.parts:
            if isinstance(part, cst.FormattedStringText):
                parts.append(ir.Const(part.value, p))
            elif isinstance(part, cst.FormattedStringExpression):
                parts.append(self.expr(part.expression))
        return ir.FStr(tuple(parts), p)

    def e_Integer(self, e: cst.Integer) -> ir.Expr:
        if e.value.isascii() and e.value.isdigit():  # the common case, without literal_eval
            return ir.Const(int(e.value), self.pos.of(e))
        try:
            return ir.Const(int(e.evaluated_value), self.pos.of(e))
        except (ValueError, TypeError):
            return ir.Const(0, self.pos.of(e))

    def e_Float(self, e: cst.Float) -> ir.Expr:
        return ir.Const(0.0, self.pos.of(e))

    e_Imaginary = e_Float

    def e_Ellipsis(self, e: cst.Ellipsis) -> ir.Expr:
        return ir.Const(None, self.pos.of(e))

    def e_Call(self, e: cst.Call) -> ir.Expr:
        args = tuple(
            ir.Arg(self.expr(a.value), a.keyword.value if a.keyword is not None else None, a.star)
            for a in e.args
        )
        return ir.Call(self.expr(e.func), args, self.pos.of(e))

    def e_Dict(self, e: cst.Dict) -> ir.Expr:
        items: list[tuple[ir.Expr | None, ir.Expr]] = []
        for el in e.elements:
            if isinstance(el, cst.DictElement):
                items.append((self.expr(el.key), self.expr(el.value)))
            else:
                items.append((None, self.expr(el.value)))
        return ir.DictE(tuple(items), self.pos.of(e))

    def _seq(self, e: cst.List | cst.Tuple | cst.Set, kind: str) -> ir.Expr:
        elts: list[ir.Expr] = []
        for el in e.elements:
            if isinstance(el, cst.StarredElement):
                elts.append(ir.Starred(self.expr(el.value), self.pos.of(el)))
            else:
                elts.append(self.expr(el.value))
        return ir.SeqE(kind, tuple(elts), self.pos.of(e))

    def e_List(self, e: cst.List) -> ir.Expr:
        return self._seq(e, "list")

    def e_Tuple(self, e: cst.Tuple) -> ir.Expr:
        return self._seq(e, "tuple")

    def e_Set(self, e: cst.Set) -> ir.Expr:
        return self._seq(e, "set")

    def e_StarredElement(self, e: cst.StarredElement) -> ir.Expr:
        return ir.Starred(self.expr(e.value), self.pos.of(e))

    def e_BinaryOperation(self, e: cst.BinaryOperation) -> ir.Expr:
        op = _BINOPS.get(type(e.operator).__name__, "?")
        return ir.BinOp(op, self.expr(e.left), self.expr(e.right), self.pos.of(e))

    def e_BooleanOperation(self, e: cst.BooleanOperation) -> ir.Expr:
        op = "and" if isinstance(e.operator, cst.And) else "or"
        return ir.BoolOp(op, (self.expr(e.left), self.expr(e.right)), self.pos.of(e))

    def e_Comparison(self, e: cst.Comparison) -> ir.Expr:
        ops = tuple(_CMPOPS.get(type(c.operator).__name__, "?") for c in e.comparisons)
        comps = tuple(self.expr(c.comparator) for c in e.comparisons)
        return ir.Compare(self.expr(e.left), ops, comps, self.pos.of(e))

    def e_UnaryOperation(self, e: cst.UnaryOperation) -> ir.Expr:
        return ir.Unary(_UNOPS.get(type(e.operator).__name__, "?"), self.expr(e.expression),
                        self.pos.of(e))

    def e_IfExp(self, e: cst.IfExp) -> ir.Expr:
        return ir.IfExp(self.expr(e.test), self.expr(e.body), self.expr(e.orelse), self.pos.of(e))

    def e_Lambda(self, e: cst.Lambda) -> ir.Expr:
        p = self.pos.of(e)
        qname = f"{self.scope[-1]}.<lambda:{p[0]}:{p[1]}>"
        params = self.params(e.params)
        self.scope.append(qname)
        self.func_stack.append(qname)
        body = (ir.Return(self.expr(e.body), self.pos.of(e.body)),)
        self.func_stack.pop()
        self.scope.pop()
        self.functions[qname] = ir.Function(
            qname, "<lambda>", params, body, p, cls=None,
            parent=self.func_stack[-1] if self.func_stack else None, is_lambda=True,
        )
        return ir.Lambda(qname, p)

    def _gens(self, for_in: cst.CompFor) -> tuple[ir.CompFor, ...]:
        out = []
        node: cst.CompFor | None = for_in
        while node is not None:
            out.append(ir.CompFor(self.expr(node.target), self.expr(node.iter),
                                  tuple(self.expr(i.test) for i in node.ifs)))
            node = node.inner_for_in
        return tuple(out)

    def e_ListComp(self, e: cst.ListComp) -> ir.Expr:
        return ir.Comp("list", self.expr(e.elt), None, self._gens(e.for_in), self.pos.of(e))

    def e_SetComp(self, e: cst.SetComp) -> ir.Expr:
        return ir.Comp("set", self.expr(e.elt), None, self._gens(e.for_in), self.pos.of(e))

    def e_GeneratorExp(self, e: cst.GeneratorExp) -> ir.Expr:
        return ir.Comp("gen", self.expr(e.elt), None, self._gens(e.for_in), self.pos.of(e))

    def e_DictComp(self, e: cst.DictComp) -> ir.Expr:
        return ir.Comp("dict", self.expr(e.value), self.expr(e.key), self._gens(e.for_in),
                       self.pos.of(e))

    def e_Await(self, e: cst.Await) -> ir.Expr:
        return ir.Await(self.expr(e.expression), self.pos.of(e))

    def e_Yield(self, e: cst.Yield) -> ir.Expr:
        if isinstance(e.value, cst.From):
            return ir.Yield(self.expr(e.value.item), True, self.pos.of(e))
        return ir.Yield(self.expr(e.value) if e.value is not None else None, False, self.pos.of(e))

    def e_NamedExpr(self, e: cst.NamedExpr) -> ir.Expr:
        target = e.target.value if isinstance(e.target, cst.Name) else "_"
        return ir.Walrus(target, self.expr(e.value), self.pos.of(e))


_PLAIN_PREFIXES = frozenset({"", "r", "u", "b", "br", "rb"})


def _plain_string(text: str) -> str | None:
    """The value of a literal without escapes, as ``literal_eval`` gives it (bytes as latin-1).

    Why: ``evaluated_value`` compiles every literal; most have no backslash, and their value is
    the text between the quotes. None means "not that simple, evaluate it".
    """
    if "\\" in text or "\r" in text:
        return None
    i = 0
    while i < len(text) and text[i] not in "'\"":
        i += 1
    prefix = text[:i].lower()
    if prefix not in _PLAIN_PREFIXES:
        return None
    q = 3 if text[i:i + 3] in ('"""', "'''") and len(text) - i >= 6 else 1
    inner = text[i + q:len(text) - q]
    if "b" in prefix and not inner.isascii():
        return None  # a syntax error for literal_eval: the raw text is kept
    return inner


def _child_exprs(node: cst.CSTNode) -> list[cst.CSTNode]:
    out = []
    for c in node.children:
        if isinstance(c, cst.BaseExpression):
            out.append(c)
        else:
            out.extend(_child_exprs(c))
    return out


def _names_in(node: cst.CSTNode) -> list[cst.Name]:
    out: list[cst.Name] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, cst.Name):
            out.append(n)
        stack.extend(n.children)
    return out


def _dotted(node: cst.CSTNode) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _asname(a: cst.AsName) -> str:
    return a.name.value if isinstance(a.name, cst.Name) else _dotted(a.name)


def _suppressions(text: str, stmt_lines: dict[int, tuple[int, int]]) -> tuple[ir.Suppression, ...]:
    out = []
    if not any(h in text for h in ir.SUPPRESSION_HINTS):
        return ()
    for i, line in enumerate(text.splitlines(), 1):
        if "#" not in line:
            continue
        own = line.lstrip().startswith("#")
        m = _SUPPRESS.search(line)
        if m:
            codes = tuple(c.strip().upper() for c in (m.group("codes") or "").split(",")
                          if c.strip())
            out.append(ir.Suppression(i, codes, m.group("reason").strip(), own))
        elif _ALLOWLIST.search(line):
            out.append(ir.Suppression(i, ("ALLOWLIST-SECRET",), "pragma: allowlist secret", own))
    return tuple(out)


def extract(module: cst.Module, source: bytes, path: str, modname: str,
            is_package: bool) -> ir.ModuleFacts:
    """Lower a parsed module. ``source`` must be the bytes it was parsed from."""
    spans, code = _spans(module)
    low = _Lowerer(modname, is_package, _Positions(source, spans, code))
    body = low.block(module.body)
    top = with_names(ir.Function(f"{modname}.<module>", "<module>", (), body, (1, 1, 1, 1)))
    text = source.decode(module.encoding, "replace")
    return ir.ModuleFacts(
        path=path, module=modname, is_package=is_package, body=top,
        functions={q: with_names(f) for q, f in low.functions.items()}, classes=low.classes,
        suppressions=_suppressions(text, low.stmt_lines),
        statement_lines=low.stmt_lines, lines=text.count("\n") + (0 if text.endswith("\n") else 1),
    )
