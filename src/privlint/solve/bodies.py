"""Function bodies: decoded for the functions being worked on, pickled for the others.

Why: the statements of function bodies were the largest part of a cold solve's memory (gen100k:
65 of 90 MB of facts; gen1m peaked at 3.3 GB), yet the solver works on a few functions at a
time — module by module, callees first — and needs a body again only to re-analyse it. Bodies
past ``limit`` functions are pickled and compressed (a twelfth of their size), least recently
used first, and the function's entry in the solver's table keeps everything but its body
(``PACKED``): its name, parameters, decorators and names, which calls and class lookups read.
``of`` gives a body back, decoding a packed one (about 0.1 ms) and keeping it among the
recently used.

Most bodies arrive packed: the worker process that made the facts packed them
(``ir.pack_bodies``), on another core. Bodies of facts made otherwise (a caller handing facts
in, a test) are packed here when they fall out of the ``limit``. Packing a module's facts
whole cost more than it saved: a re-analysis of one function decoded its whole module
(gen100k: 2.7k decodes, +8 s). Class bodies and lambdas are never packed: they are small.
"""

from __future__ import annotations

import dataclasses

from privlint.facts import ir
from privlint.facts.ir import PACKED, pack_body, unpack_body


class Bodies:
    """Which function bodies stay decoded (``limit`` of them), and the others pickled.

    ``functions`` is the solver's table (qualified name -> (function, module facts)); packing
    a function replaces its entry, and the one in its module's ``functions``, with a copy
    whose body is ``PACKED`` (the module facts are the solver's own copy: ``Program``)."""

    def __init__(self, functions: dict, limit: int) -> None:
        self.functions = functions
        self.limit = limit
        self.recent: dict[str, None] = {}  # decoded bodies, least recently used first
        self.decoded: dict[str, tuple[ir.Stmt, ...]] = {}  # packed bodies decoded again
        self.packed: dict[str, bytes] = {}

    def adopt(self, packed: dict[str, bytes]) -> None:
        """Bodies the worker that made the facts packed already (``ir.pack_bodies``)."""
        self.packed.update(packed)

    def add(self, func: ir.Function) -> None:
        """A function or module top level just registered, with its body: it may be packed
        from now on."""
        if func.name == "<class>" or func.is_lambda or func.body is PACKED:
            return
        self._use(func.qname)

    def of(self, func: ir.Function) -> tuple[ir.Stmt, ...]:
        """``func``'s body, whether it was packed or not."""
        q = func.qname
        if func.body is not PACKED:
            if q in self.recent:
                self._use(q)
            return func.body
        body = self.decoded.get(q)
        if body is None:
            body = self.decoded[q] = unpack_body(self.packed[q])
        self._use(q)
        return body

    def release(self) -> None:
        """Solving is over (``Program.release``): no body is read again."""
        self.recent.clear()
        self.decoded.clear()
        self.packed.clear()

    def _use(self, q: str) -> None:
        """``q``'s body was just used: it is packed last."""
        recent = self.recent
        recent.pop(q, None)
        recent[q] = None
        while len(recent) > self.limit and len(recent) > 1:
            oldest = next(iter(recent))
            del recent[oldest]
            if self.decoded.pop(oldest, None) is None:
                self._pack(oldest)

    def _pack(self, q: str) -> None:
        func, mod = dict.__getitem__(self.functions, q)
        self.packed[q] = pack_body(func.body)
        shell = dataclasses.replace(func, body=PACKED)
        dict.__setitem__(self.functions, q, (shell, mod))
        if func.name == "<module>":  # the solver's own copy of the facts (``Program._register``)
            object.__setattr__(mod, "body", shell)
        else:
            mod.functions[q] = shell
