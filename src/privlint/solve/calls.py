"""What a call does to taint: library models from the rule packs, or a project function's summary.

Resolution gives each call a set of candidate callees (``ext:`` library names, ``fn:``/``bound:``
project functions, ``cls:`` project classes). A library callee is looked up in the rule set —
sink, source, keyed lookup, command, file read, type, sanitizer, transform, container effect, in
that order; a project callee's summary is applied by substituting the actual arguments for its
symbolic parameters. A call nothing models passes its inputs' kinds to its result and says so
(``via-unknown-call``).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from privlint.facts import ir
from privlint.facts.names import frozen
from privlint.rules.model import SinkModel, SourceModel
from privlint.solve.interp import NEG, NORETURN, POS, USER_FILE
from privlint.solve.sends import MARK, SendFact, kept
from privlint.solve.summary import Hit, SinkSite, Summary, Unguarded
from privlint.solve.values import (
    EMPTY,
    WHOLE,
    Flow,
    Flows,
    Step,
    Trace,
    Val,
    add_rest,
    join,
    join_all,
    join_flows,
    read_any,
    read_field,
    strip_kinds,
    with_field,
)

if TYPE_CHECKING:
    from privlint.solve.interp import Env, Interp
    from privlint.solve.program import Program

UNKNOWN = "via-unknown-call"
UNKNOWN_REF = "?"
Args = list[tuple[ir.Arg, Val]]


def evaluate_call(prog: Program, it: Interp, e: ir.Call, env: Env) -> Val:
    args: Args = [(a, it.eval(a.value, env)) for a in e.args]
    it.cur_env = env
    receiver: Val | None = None
    if isinstance(e.func, ir.Attr):
        receiver = it.eval(e.func.value, env)
        callee = it.load_attr(receiver, e.func.attr, e.func.pos, receiver)
        method: str | None = e.func.attr
    else:
        callee = it.eval(e.func, env)
        method = None
    return call_value(prog, it, callee, receiver, method, args, e, env)


def call_value(prog: Program, it: Interp, callee: Val, receiver: Val | None, method: str | None,
               args: Args, e: ir.Call, env: Env) -> Val:
    """Call whatever ``callee`` may be with ``args``: library models, project code, or unknown."""
    partial = callee.fields.get(PARTIAL)
    if partial is not None:  # functools.partial: its bound arguments come first
        pre = [(ir.Arg(ir.Const(None, e.pos)), partial.fields[i])
               for i in sorted(k for k in partial.fields if isinstance(k, int))]
        kw = [(ir.Arg(ir.Const(None, e.pos), str(k)), v) for k, v in partial.fields.items()
              if isinstance(k, str)]
        args = [*pre, *args, *kw]
    results: list[Val] = []
    handled = False
    for ref in (sorted(callee.refs) if len(callee.refs) > 1 else callee.refs):
        kind, _, name = ref.partition(":")
        if kind in ("ext", "inst"):
            r = external_call(prog, it, name, receiver if kind == "inst" else None, args, e, env)
            if r is not None:
                results.append(r)
                handled = True
        elif kind == "fn":
            results.append(call_project(prog, it, name, None, args, e.pos, e, env))
            handled = True
        elif kind == "bound":
            recv = receiver if receiver is not None else EMPTY
            results.append(call_project(prog, it, name, recv, args, e.pos, e, env))
            handled = True
        elif kind == "cls":
            results.append(construct(prog, it, name, args, e, env))
            handled = True
        elif kind == "superbound":  # super().method(...): the parent's method on self
            recv = it.self_value()
            results.append(call_project(prog, it, name, recv, args, e.pos, e, env))
            handled = True
        elif kind == "wrap":  # a decorator's wrapper around a project function
            wrapper, param, inner = name.split("|", 2)
            results.append(call_project(prog, it, wrapper, None, args, e.pos, e, env,
                                        free={param: frozenset({inner})}))
            handled = True
        elif kind == "obj":
            call = prog.find_method(name, "__call__")
            if call is not None:
                results.append(call_project(prog, it, call, callee, args, e.pos, e, env))
                handled = True
        elif kind == "keyedm":
            obj, _, meth = name.rpartition(".")
            if meth in ("get", "pop", "setdefault", "__getitem__") and args:
                idx = args[0][1]
                key = it.const_key(args[0][0].value, env, idx)
                found = prog.keyed_lookup(obj, key, idx, it, e.pos)
                default = args[1][1] if len(args) > 1 else EMPTY
                results.append(join(found, default))
                handled = True
    if not handled and "ext:super" in callee.refs and it.self_class:
        results.append(Val(refs=frozenset({f"super:{it.self_class}"})))
        handled = True
    if not handled and method is not None and receiver is not None and not any(
            r.startswith(("ext:", "mod:")) for r in receiver.refs):  # a method, not a module function
        r = method_model(prog, it, method, receiver, args, e, env)
        if r is not None:
            results.append(r)
            handled = True
    if not handled:
        results.append(unknown_call(it, callee, receiver, args, e))
    out = join_all(results)
    cls = prog.rules.method_classes.get(method) if method else None
    if cls is not None:  # x.isatty(), s.count("a"): the value class the method's name says
        out = with_class(out, cls)
    return _call_markers(prog, callee, method, out)


def _call_markers(prog: Program, callee: Val, method: str | None, out: Val) -> Val:
    """A call whose name says it answers "has the user opted in?", or one that never returns."""
    names = {r.split(":", 1)[1] for r in callee.refs if ":" in r}
    extra: set[str] = set()
    if names & prog.config.consent_checks:
        extra.add(POS)
    if names & prog.rules.noreturn:
        extra.add(NORETURN)
    if not extra:
        short = method or next((n.rsplit(".", 1)[-1] for n in sorted(names)), None)
        pol = prog.rules.consent_polarity(short) if short else None
        if pol is not None:
            extra.add(POS if pol == "+" else NEG)
    return out.replace(refs=out.refs | extra) if extra else out


PARTIAL = "<partial>"


def invoke(prog: Program, it: Interp, model, args: Args, e: ir.Call, env: Env) -> Val:  # noqa: ANN001
    """A library call that calls a function it is given (threads, executors, partial, atexit)."""
    fn: Val | None = None
    fn_index = -1
    positional = [(i, a, v) for i, (a, v) in enumerate(args) if a.name is None and not a.star]
    for i, (a, v) in enumerate(args):
        if a.name is not None and a.name == model.function:
            fn, fn_index = v, i
    if fn is None and model.position < len(positional):
        fn_index = positional[model.position][0]
        fn = positional[model.position][2]
    if fn is None:
        return EMPTY
    call_args: Args = []
    if model.rest:
        call_args = [(a, v) for i, (a, v) in enumerate(args)
                     if i > fn_index and (a.name is None or a.name not in model.config)]
    for a, v in args:
        if model.args and a.name == model.args:
            for k in sorted(k for k in v.fields if isinstance(k, int)):
                call_args.append((ir.Arg(ir.Const(None, e.pos)), v.fields[k]))
            if v.flows or v.rest:
                call_args.append((ir.Arg(a.value, None, "*"), v))
        if model.kwargs and a.name == model.kwargs:
            call_args.append((ir.Arg(a.value, None, "**"), v))
    if model.elements:
        call_args = [(ir.Arg(a.value), read_any(v)) for a, v in call_args]
    if model.partial:
        fields: dict = {}
        i = 0
        for a, v in call_args:
            if a.name is not None:
                fields[a.name] = v
            else:
                fields[i] = v
                i += 1
        return fn.replace(fields={**fn.fields, PARTIAL: Val(fields=fields)}, ids=frozenset())
    return call_value(prog, it, fn, None, None, call_args, e, env)


def _inputs(receiver: Val | None, args: Args) -> Val:
    vals = [v.flat() for _, v in args]
    if receiver is not None:
        vals.append(receiver.flat())
    return join_all(vals)


def unknown_call(it: Interp, callee: Val, receiver: Val | None, args: Args, e: ir.Call) -> Val:
    """No model: the result may carry whatever went in (and is an object of that name)."""
    out = _inputs(receiver, args)
    refs = frozenset(f"inst:{r[4:]}" for r in callee.refs if r.startswith("ext:"))
    if not any(r[4:] in it.rules.fresh for r in callee.refs if r.startswith("ext:")):
        refs |= {UNKNOWN_REF}
    out = out.replace(refs=refs, strs=frozenset(), ids=frozenset())
    if out.tainted:
        out = out.step(None, UNKNOWN)
    return out


# ====================================================================== library calls
def external_call(prog: Program, it: Interp, name: str, receiver: Val | None, args: Args,
                  e: ir.Call, env: Env) -> Val | None:
    out = _external_call(prog, it, name, receiver, args, e, env)
    cls = prog.rules.value_classes.get(name)
    if cls is not None:
        out = with_class(out if out is not None else Val(), cls)
    return out


def with_class(v: Val, cls: tuple[str, tuple[str, ...]]) -> Val:
    """Mark a value with its catalog value class (an enum also gets its possible values)."""
    name, values = cls
    strs = v.strs | frozenset(values) if name == "enum" else v.strs
    return v.replace(refs=v.refs | {MARK + name}, strs=strs)


def _external_call(prog: Program, it: Interp, name: str, receiver: Val | None, args: Args,
                   e: ir.Call, env: Env) -> Val | None:
    rules = prog.rules
    results: list[Val] = []
    matched = False
    inv = rules.invokes.get(name)
    if inv is not None:
        return invoke(prog, it, inv, args, e, env)
    sink = rules.sinks.get(name)
    if sink is not None and handle_sink(prog, it, sink, name, receiver, args, e):
        matched = True
    if name in prog.config.sources:
        model = SourceModel(frozenset({prog.config.sources[name]}), "a value the project declares")
        results.append(it.source_val(model, f"{name}()", e.pos))
        matched = True
    source = rules.sources.get(name)
    if source is not None:
        results.append(it.source_val(source, f"{name}()", e.pos))
        matched = True
    keyed = rules.keyed_functions.get(name)
    if keyed is not None and args:
        idx = args[0][1]
        key = it.const_key(args[0][0].value, env, idx)
        obj = next((o for o, m in rules.keyed_objects.items() if m is keyed[0]), name)
        results.append(prog.keyed_lookup(obj, key, idx, it, e.pos))
        if len(args) > 1:
            results.append(args[1][1])
        return join_all(results)
    if name in rules.runners:
        r = command_source(prog, it, name, args, e)
        if r is not None:
            results.append(r)
            matched = True
        child = child_module(prog, rules.runners[name], args)
        if child is not None:
            hand_off(prog, it, child, args, e, rules.runners[name])
    if name in rules.openers and args:
        path = args[rules.openers[name]][1] if rules.openers[name] < len(args) else EMPTY
        t = "pathlib.Path" if "Path" in name else "file"
        results.append(Val(refs=frozenset({f"inst:{t}", "file"}), strs=path.strs,
                           names=path.names, flows=path.flat().flows))
        matched = True
    if name in rules.read_functions and args:
        results.append(file_read(prog, it, args[0][1], e))
        matched = True
    typ = rules.types.get(name)
    if typ is not None:
        fields = {}
        for param, val in bind_positional(typ.store, args).items():
            fields[param] = val
        results.append(Val(fields=fields, refs=frozenset({f"inst:{typ.type}"}),
                           ids=frozenset({f"alloc:{e.pos[0]}:{e.pos[1]}"})))
        matched = True
    if name in prog.config.sanitizers:
        return EMPTY
    san = rules.sanitizers.get(name)
    if san is not None:
        if san.removes is None:
            return EMPTY
        return strip_kinds(_inputs(receiver, args), san.removes)
    tr = rules.transforms.get(name)
    if tr is not None:
        out = transform(it, tr.note, name, receiver, args, e, tr.args)
        if name in ("str", "repr", "format", "ascii") and rules.stringify:
            out = prog.stringified([v for _, v in args], out, it, e.pos)
        results.append(out)
        matched = True
    arg_model = rules.arguments.get(name)
    if arg_model is not None and arg_model[0] < len(args):
        a, v = args[arg_model[0]]
        src = it.source_val(arg_model[1], ir.dotted(a.value) or "the argument", a.value.pos)
        it.mutate(a.value, v, lambda b: join(b, src), env)
    eff = rules.functions.get(name)
    if eff is not None:
        results.append(function_effect(prog, it, eff.effect, args, e, env))
        matched = True
    if not matched:
        return None
    if not results:  # a sink or an invocation: what it returns is nothing privlint models
        results.append(Val(refs=frozenset({UNKNOWN_REF})))
    return join_all(results)


def transform(it: Interp, note: str, name: str, receiver: Val | None, args: Args, e: ir.Call,
              which: str = "all") -> Val:
    if which == "receiver":
        out = receiver.flat() if receiver is not None else EMPTY
    elif which == "first":
        out = args[0][1].flat() if args else EMPTY
    else:
        out = _inputs(receiver, args)
    strs = frozenset()
    if receiver is not None and not args and receiver.strs:
        strs = receiver.strs  # "x".lower() keeps constant text for URL checks
    marks = frozenset(r for v in [receiver, *(v for _, v in args)] if v is not None
                      for r in v.refs if r.startswith(MARK) or r == "#number")
    out = out.replace(strs=strs, refs=marks, ids=frozenset())
    if out.tainted and note:
        short = name.rsplit(".", 1)[-1]
        what = f"{note} by {short}()"
        step = Step(it.path, e.pos[0], e.pos[1], "transform", what)
        out = out.map_kept(lambda f: f if note in f.notes else f.then(step, note))
    return out


def command_source(prog: Program, it: Interp, name: str, args: Args, e: ir.Call) -> Val | None:
    idx = prog.rules.runners[name]
    if idx >= len(args):
        return None
    cmd = args[idx][1]
    words: list[str] = []
    if cmd.fields:
        for k in sorted(k for k in cmd.fields if isinstance(k, int)):
            s = cmd.fields[k].strs
            words.append(next(iter(s)) if len(s) == 1 else "\x00")
    elif cmd.strs:
        words = next(iter(sorted(cmd.strs))).split()
    rule = prog.rules.command_kinds(words)
    if rule is None:
        return None
    label = " ".join(w for w in words if w != "\x00")
    model = SourceModel(rule.kinds, f"prints {rule.says}")
    return it.source_val(model, f"`{label}`", e.pos)


def child_module(prog: Program, idx: int, args: Args) -> tuple[str, int] | None:
    """The project module a subprocess runs (``python -m pkg.mod`` or ``python pkg/mod.py``),
    and the position in the command of the child's ``sys.argv[0]``."""
    if idx >= len(args):
        return None
    cmd = args[idx][1]
    words = [next(iter(v.strs)) if len(v.strs) == 1 else "" for _, v in
             sorted((k, v) for k, v in cmd.fields.items() if isinstance(k, int))]
    for i, w in enumerate(words):
        if w == "-m" and i + 1 < len(words) and words[i + 1] in prog.modules:
            return words[i + 1], i + 1
        if w.endswith(".py"):
            for name, path in prog.module_paths().items():
                if path.endswith(w.lstrip("./")):
                    return name, i
    return None


def hand_off(prog: Program, it: Interp, child: tuple[str, int], args: Args, e: ir.Call,
             idx: int) -> None:
    """A payload given to a child process (argv, environment, stdin, a file it reads) is sent by it."""
    module, start = child
    step = Step(it.path, e.pos[0], e.pos[1], "call", f"handed to the child process {module}")
    cmd = args[idx][1]
    argv = {k - start: v.step(step, "via-child-process") for k, v in cmd.fields.items()
            if isinstance(k, int) and k > start}
    others = join_all(v.flat() for a, v in args if a.name in ("env", "input", "stdin"))
    data = Val(rest=others.step(step, "via-child-process").all_flows(), fields=argv)
    child = module
    prog.write_child(child, data, it)
    body = f"{child}.<module>"
    summary = prog.summary_of(body, it.func.qname)
    if summary.unguarded and it.unguarded():
        site = SinkSite(f"python -m {child}", "wrapper", it.path, e.pos[0], e.pos[1], e.pos[2],
                        e.pos[3], it.func.qname)
        first = summary.unguarded[0]
        it.summary.unguarded.append(Unguarded(site, first.sink, Trace.of(step) + first.trace))


def file_read(prog: Program, it: Interp, handle: Val, e: ir.Call) -> Val:
    paths = sorted(handle.strs) or [""]
    out = EMPTY
    handed = [f for f in handle.all_flows().values()
              if "via-child-process" in f.notes and "written-to-file" in f.notes]
    user_file = any(o.label.startswith(prog.rules.user_dir_sources) for o in handle.all_flows()
                    if "file-path" in o.kinds)
    if handed:  # the file a parent process wrote for us: what it wrote is what we read
        out = Val({f.origin: f for f in handed})
    for p in paths:
        rule = prog.rules.file_kinds(p.replace("\x00", "*"))
        if rule is None:
            continue
        label = f"the file {p.replace(chr(0), '…')!r}" if p else "a file"
        says = rule.says
        written = prog.file_written(p)
        if written is not None and "persistent-id" in rule.kinds:
            says += f" (written at {written[0]}:{written[1]})"
        out = join(out, it.source_val(SourceModel(rule.kinds, says), label, e.pos))
    if user_file:  # keys such as "id" read from it are ids kept on disk
        out = out.replace(refs=out.refs | {USER_FILE})
    return out


def function_effect(prog: Program, it: Interp, effect: str, args: Args, e: ir.Call,
                    env: Env) -> Val:
    if effect == "copy":
        if not args:
            return Val(ids=frozenset({f"alloc:{e.pos[0]}:{e.pos[1]}"}))
        out = EMPTY
        for a, v in args:
            if a.name is not None:
                out = with_field(out, a.name, v)
            elif a.star == "**" or out is EMPTY:
                out = join(out, v)
            else:
                out = join(out, Val(v.all_flows()))
        return out.replace(ids=frozenset({f"alloc:{e.pos[0]}:{e.pos[1]}"}))
    if effect == "path":
        texts = [""]
        for a, v in args:
            if a.star or a.name:
                continue
            piece = sorted(v.strs) if v.strs and len(v.strs) <= 4 else ["\x00"]
            texts = [f"{t}/{p}" if t else p for t in texts for p in piece][:8]
        flows = _inputs(None, args)
        return Val(flows.flows, strs=frozenset(texts), names=flows.names)
    if effect == "fields":
        return prog.object_fields(args[0][1], it, e.pos) if args else EMPTY
    if effect == "dump" and len(args) >= 2:  # json.dump(obj, fh): the file now holds obj
        data = args[0][1].flat()
        if data.tainted:
            step = Step(it.path, e.pos[0], e.pos[1], "container", "written to a file")
            written = data.step(step, "written-to-file").flows
            it.mutate(args[1][0].value, args[1][1],
                      lambda b: b.replace(flows=join_flows(b.flows, written)), env)
        return EMPTY
    if effect == "getattr" and len(args) >= 2:
        key = it.const_key(args[1][0].value, env, args[1][1])
        base = args[0][1]
        val = it.load_attr(base, key, e.pos, base) if isinstance(key, str) else read_any(base)
        return join(val, args[2][1]) if len(args) > 2 else val
    if effect == "setattr" and len(args) >= 3:
        key = it.const_key(args[1][0].value, env, args[1][1])
        target = args[0][0].value
        if isinstance(key, str):
            it.store_attr(ir.Attr(target, key, e.pos), args[2][1], env, e.pos)
        else:
            it.mutate(target, args[0][1], lambda b: add_rest(b, args[2][1]), env)
        return EMPTY
    return _inputs(None, args)


def method_model(prog: Program, it: Interp, method: str, receiver: Val, args: Args, e: ir.Call,
                 env: Env) -> Val | None:
    """A method on an object no model or summary knows, recognised by its name."""
    return _method_model(prog, it, method, receiver, args, e, env)


def _method_model(prog: Program, it: Interp, method: str, receiver: Val, args: Args, e: ir.Call,
                  env: Env) -> Val | None:
    rules = prog.rules
    assert isinstance(e.func, ir.Attr)
    target = e.func.value
    san = rules.method_sanitizers.get(method)
    if san is not None:
        return EMPTY if san.removes is None else strip_kinds(_inputs(receiver, args), san.removes)
    is_file = "file" in receiver.refs or any(r[5:] in rules.path_types for r in receiver.refs
                                              if r.startswith("inst:"))
    if method in rules.read_methods and is_file:
        return file_read(prog, it, receiver, e)
    if is_file and method in ("write_text", "write_bytes", "write", "writelines"):
        for p in receiver.strs:  # remembered so a read-back can say where the id was written
            prog.note_file_write(p, (it.path, e.pos[0]))
    eff = rules.methods.get(method)
    if eff is not None:
        return method_effect(it, eff.effect, target, receiver, args, e, env)
    tr = rules.method_transforms.get(method)
    if tr is not None:
        return transform(it, tr.note, method, receiver, args, e, tr.args)
    return None


def method_effect(it: Interp, effect: str, target: ir.Expr, receiver: Val, args: Args, e: ir.Call,
                  env: Env) -> Val:
    step = Step(it.path, e.pos[0], e.pos[1], "container", f"added by .{e.func.attr}()")  # type: ignore[union-attr]
    if effect == "merge":
        merged = EMPTY
        for a, v in args:
            merged = with_field(merged, a.name, v) if a.name is not None else join(merged, v)
        merged = merged.step(step)

        def fn(b: Val) -> Val:
            fields = dict(b.fields)
            fields.update(merged.fields)
            return Val(join_flows(b.flows, merged.flows), join_flows(b.rest, merged.rest), fields,
                       b.refs, b.strs, b.names, b.ids)

        it.mutate(target, receiver, fn, env)
        return EMPTY
    if effect == "add":
        added = _inputs(None, [(a, v) for a, v in args if not isinstance(a.value, ir.Const)
                               or a is args[-1][0]])
        if added.tainted:
            added = added.step(step)
            it.mutate(target, receiver, lambda b: add_rest(b, added), env)
        return EMPTY
    if effect == "setdefault" and args:
        key = it.const_key(args[0][0].value, env, args[0][1])
        default = args[1][1] if len(args) > 1 else EMPTY
        if key is not None and key not in receiver.fields and default.tainted:
            it.mutate(target, receiver, lambda b: with_field(b, key, default.step(step)), env)
        cur = read_field(receiver, key) if key is not None else read_any(receiver)
        return join(cur, default)
    if effect == "get":
        if not args:
            return read_any(receiver)
        key = it.const_key(args[0][0].value, env, args[0][1])
        cur = read_field(receiver, key) if key is not None else read_any(receiver)
        if key is not None and USER_FILE in receiver.refs:
            cur = it.prog.stored_id(receiver, key, cur, it, e.pos)
        default = args[1][1] if len(args) > 1 else EMPTY
        return join(cur, default)
    if effect == "receiver":
        return receiver.replace(ids=frozenset())
    if effect == "fields":
        return it.prog.object_fields(receiver, it, e.pos)
    if effect == "path":
        joined = function_effect(it.prog, it, "path", [(ir.Arg(target), receiver), *args], e, env)
        return joined.replace(refs=frozenset(r for r in receiver.refs if r.startswith("inst:")))
    if effect == "keys":
        return Val(rest=join_flows(receiver.flows, receiver.rest))
    return _inputs(receiver, args)


# ====================================================================== sinks
def bind_positional(params: tuple[str, ...], args: Args) -> dict[str, Val]:
    out: dict[str, Val] = {}
    pos = 0
    for a, v in args:
        if a.name is not None:
            if a.name in params:
                out[a.name] = v
        elif a.star == "**":
            for k, fv in v.fields.items():
                if isinstance(k, str) and k in params:
                    out[k] = fv
        elif not a.star and pos < len(params):
            out[params[pos]] = v
            pos += 1
    return out


def bind_sink_args(model: SinkModel, args: Args) -> dict[str, Val]:
    """Name every argument of a sink call by the signature whose positional order fits."""
    positional = [v for a, v in args if a.name is None and not a.star]
    keywords = {a.name for a, _ in args if a.name is not None}
    chosen: tuple[str, ...] = model.signatures[-1] if model.signatures else ()
    for sig in model.signatures:
        if len(positional) <= len(sig) and not keywords & set(sig[: len(positional)]):
            chosen = sig
            break
    out: dict[str, Val] = {}
    i = 0
    for a, v in args:
        if a.name is not None:
            out[a.name] = join(out.get(a.name, EMPTY), v)
        elif a.star == "**":
            for k, fv in v.fields.items():
                out[str(k)] = join(out.get(str(k), EMPTY), fv)
            loose = Val(v.flows, v.rest)
            if loose.tainted:
                out["**kwargs"] = join(out.get("**kwargs", EMPTY), loose)
        elif a.star == "*":
            out["*args"] = join(out.get("*args", EMPTY), v)
        else:
            name = chosen[i] if i < len(chosen) else f"args[{i}]"
            out[name] = v
            i += 1
    return out


def is_telemetry_endpoint(prog: Program, url: Val) -> bool:
    rules = prog.rules
    if any(rules.is_telemetry_url(s) for s in url.strs):
        return True
    if any(rules.is_telemetry_name(n) for n in url.names):
        return True
    inner = url.fields.get("url")
    return inner is not None and inner is not url and is_telemetry_endpoint(prog, inner)


def render_field(param: str, path: tuple) -> str:
    out = param
    for k in path:
        out += f'["{k}"]' if isinstance(k, str) else f"[{k}]"
    return out


def handle_sink(prog: Program, it: Interp, model: SinkModel, name: str, receiver: Val | None,
                args: Args, e: ir.Call) -> bool:
    bound = bind_sink_args(model, args)
    if model.url is not None:
        url = bound.get(model.url)
        if url is None or not is_telemetry_endpoint(prog, url):
            return False
    site = SinkSite(model.name, model.family, it.path, e.pos[0], e.pos[1], e.pos[2], e.pos[3],
                    it.func.qname)
    it.summary.calls_sink = True
    it.sink_calls.append(site)
    if it.unguarded():
        step = Step(it.path, e.pos[0], e.pos[1], "sink", f"{model.name}(...) sends an event")
        it.summary.unguarded.append(Unguarded(site, site, Trace.of(step)))
    payload: list[tuple[str, Val, str]] = []
    if model.keyed is not None:
        kparam, vparam, prefix = model.keyed
        key = bound.get(kparam, EMPTY)
        label = next(iter(key.strs)) if len(key.strs) == 1 else "…"
        if key.tainted:
            payload.append((f"{prefix} key", key, kparam))
        if vparam in bound:
            payload.append((f'{prefix}["{label}"]', bound[vparam], vparam))
        rest = {k: v for k, v in bound.items() if k not in (kparam, vparam)}
    else:
        rest = bound
    for param, val in rest.items():
        if param in model.not_payload:
            continue
        if model.payload is not None and param not in model.payload and not param.startswith(
                ("*", "args[")):
            continue
        payload.append(("url query" if param == model.url else param, val, param))
    if model.implicit_exception and not any(v.tainted for _, v, _ in payload) and not args:
        payload.append(("exception", it.current_exception(), "error"))
    event = bound.get(model.event, EMPTY) if model.event else EMPTY
    fact = SendFact(site, model.name, event,
                    tuple((_dotted_label(label), v) for label, v, _ in payload if label != "url query"),
                    ("json", "data", "content", "body") if model.family == "http" else (),
                    model.exclude_fields)
    if fact.is_open:
        it.summary.sends.append(kept(fact))
    else:
        it.catalog.append(fact)
    for label, val, param in payload:
        for path, flows in val.leaves():
            if label == "url query":  # the URL string itself, or the fields of a Request object
                field = label if not path else render_field(param, path)
            else:
                field = render_field(label, path)
            if _excluded(model, field):
                continue
            note_step = Step(it.path, e.pos[0], e.pos[1], "sink",
                             f"{model.name}({param}=...) sends it as {field}")
            for f in flows.values():
                it.record_hit(f.then(note_step), site, field, site)
    return True


def _excluded(model: SinkModel, field: str) -> bool:
    if not model.exclude_fields:
        return False
    norm = field.lower().replace('["', ".").replace('"]', "").replace("[", ".").replace("]", "")
    return any(norm == x or norm.startswith(x + ".") for x in model.exclude_fields)


# ====================================================================== project functions
def bind_params(func: ir.Function, receiver: Val | None, args: Args) -> dict[str, Val]:
    """Bind a call's arguments to a project function's parameters, as Python would."""
    params = list(func.params)
    out: dict[str, Val] = {}
    if receiver is not None and params and params[0].kind == "pos":
        out[params[0].name] = receiver
        params = params[1:]
    positional = [p for p in params if p.kind == "pos"]
    star = next((p for p in params if p.kind == "*"), None)
    dstar = next((p for p in params if p.kind == "**"), None)
    names = {p.name for p in params if p.kind in ("pos", "kw")}
    i = 0
    extra_pos: dict = {}
    unknown_spread = EMPTY
    passthrough: list[Val] = []
    passthrough_pos: list[Val] = []
    for a, v in args:
        if a.name is not None:
            if a.name in names:
                out[a.name] = join(out.get(a.name, EMPTY), v)
            elif dstar is not None:
                extra_pos.setdefault("**", {})[a.name] = v
        elif a.star == "**":
            for k, fv in v.fields.items():
                if k in names:
                    out[str(k)] = join(out.get(str(k), EMPTY), fv)
                elif dstar is not None:
                    extra_pos.setdefault("**", {})[k] = fv
            if v.flows or v.rest:  # f(**kwargs): each named parameter reads its key
                opaque = Val(v.flows, v.rest)
                for p in params:
                    if p.kind in ("pos", "kw") and p.name not in out and p not in positional[:i]:
                        out[p.name] = read_field(opaque, p.name)
                if dstar is not None:  # into g(**fields): as is
                    passthrough.append(opaque)
        elif a.star == "*":  # f(*args): known items in order; an unknown sequence item by item
            known = [v.fields[k] for k in sorted(k for k in v.fields if isinstance(k, int))]
            for item in known:
                if i < len(positional):
                    out[positional[i].name] = join(out.get(positional[i].name, EMPTY), item)
                    i += 1
                else:
                    extra_pos.setdefault("*", []).append(item)
            if v.flows or v.rest:
                opaque = Val(v.flows, v.rest)
                for j, p in enumerate(positional[i:]):
                    out[p.name] = join(out.get(p.name, EMPTY), read_field(opaque, len(known) + j))
                if star is not None:
                    passthrough_pos.append(opaque)
                i = len(positional)
        elif i < len(positional):
            out[positional[i].name] = v
            i += 1
        else:
            extra_pos.setdefault("*", []).append(v)
    if star is not None:
        items = extra_pos.get("*", [])
        sv = Val(fields=dict(enumerate(items)))
        if unknown_spread.tainted:
            sv = add_rest(sv, unknown_spread)
        for pv in passthrough_pos:
            sv = join(sv, pv)
        out[star.name] = sv
    if dstar is not None:
        dv = Val(fields=dict(extra_pos.get("**", {})))
        if unknown_spread.tainted:
            dv = add_rest(dv, unknown_spread)
        for pv in passthrough:
            dv = join(dv, pv)
        out[dstar.name] = dv
    if unknown_spread.tainted:
        for p in positional[i:]:
            out[p.name] = join(out.get(p.name, EMPTY), unknown_spread)
    return out


def substitute(v: Val, binding: dict[str, Val], call_step: Step, depth: int = 0) -> Val:
    """Replace the callee's parameter origins in ``v`` by what the caller passed."""
    if not v.tainted or depth > 8:
        return v
    own: Flows = {}
    out = EMPTY
    for o, f in v.flows.items():
        if o.param is None:
            own[o] = f
            continue
        out = join(out, _actual(binding, o, f, call_step))
    rest: Flows = {}
    owned = True  # ``rest`` may become a table of an argument's value: never write into that
    for o, f in v.rest.items():
        if o.param is None:
            if not owned:
                rest, owned = dict(rest), True
            rest[o] = f
        else:
            joined = join_flows(rest, _actual(binding, o, f, call_step).all_flows())
            if joined is not rest:
                rest, owned = joined, False
    fields = {k: substitute(fv, binding, call_step, depth + 1) for k, fv in v.fields.items()}
    base = Val(own, rest, fields, v.refs, v.strs, v.names, v.ids)
    return join(base, out)


def _actual(binding: dict[str, Val], o, f: Flow, call_step: Step) -> Val:  # noqa: ANN001
    actual = binding.get(o.param, EMPTY)
    for k in o.access:
        if k == WHOLE:
            actual = Val(actual.all_flows())
            break
        actual = read_field(actual, k)
    if not actual.tainted:
        return actual
    callee = f.trace
    tail = Trace.of(call_step) + callee  # the call, then the callee's steps: shared by every flow
    notes = f.notes

    def extend(g: Flow) -> Flow:
        t = g.trace
        return Flow(g.origin, t + (callee if t.last == call_step else tail),
                    frozen(g.notes | notes) if notes and not notes <= g.notes else g.notes)

    return actual.map_kept(extend)


def call_project(prog: Program, it: Interp, qname: str, receiver: Val | None, args: Args,
                 pos: ir.Pos, e: ir.Call | None, env: Env | None = None,
                 free: dict[str, frozenset[str]] | None = None) -> Val:
    func, mod = prog.functions[qname]
    if qname in prog.config.sanitizers:  # safe whatever went in; its constants stay (catalog)
        ret = prog.summary_of(qname, it.func.qname).ret
        return Val(refs=frozenset(r for r in ret.refs if r.startswith("#")),
                   strs=frozenset(x for x in ret.strs if "\x00" not in x))
    if qname in prog.config.sources:
        model = SourceModel(frozenset({prog.config.sources[qname]}), "a value the project declares")
        return it.source_val(model, f"{qname.rsplit('.', 1)[-1]}()", pos)
    binding = bind_params(func, receiver, args)
    summary: Summary = prog.summary_for_call(qname, binding, it, free)
    # an object of a project class carries what its class's attributes hold (report-json.md)
    recv = func.params[0].name if receiver is not None and func.params else None
    binding = {p: v if p == recv else _with_class_attrs(prog, it, v, pos) for p, v in binding.items()}
    # wrapper sites and sends' ``via`` keep these names in summaries: one string each (interned,
    # and the facts' own qualified name rather than the one this call resolved, a new string)
    short = func.name if not func.cls else sys.intern(f"{func.cls.rsplit('.', 1)[-1]}.{func.name}")
    qname = func.qname
    call_step = Step(it.path, pos[0], pos[1], "call", f"passed to {short}()")
    if qname in prog.config.sinks:
        model = SinkModel(qname, ((),), None,
                          frozenset(), (), None, None, None, False, "project")
        if e is not None:
            named = [(ir.Arg(a.value, a.name or p.name, a.star), v) for (a, v), p in
                     zip(args, [p for p in func.params if p.kind == "pos"][1 if receiver is not None
                                                                           else 0:] + [None] * 64,
                         strict=False) if p is not None or a.name]
            handle_sink(prog, it, model, qname, receiver, named or args, e)
    # sink hits through the callee: findings land here, or travel up as our own wrapper hits
    if summary.hits:
        landing = SinkSite(short, "wrapper", it.path, pos[0], pos[1], pos[2], pos[3],
                           it.func.qname)
        it.summary.calls_sink = True
        it.sink_calls.append(landing)
        for h in summary.hits:
            actual = _actual(binding, h.flow.origin, h.flow, call_step)
            for path, flows in actual.leaves():
                field = sys.intern(render_field(h.field, path)) if h.field != "url query" else h.field
                for f in flows.values():
                    if f.origin.param is not None:
                        it.summary.hits.append(Hit(f, h.sink, field, landing))
                    else:
                        it.findings.append(Hit(f, h.sink, field, landing))
    elif summary.calls_sink:
        it.summary.calls_sink = True
    if summary.sends:
        landing = SinkSite(short, "wrapper", it.path, pos[0], pos[1], pos[2], pos[3], it.func.qname)
        for fact in summary.sends:
            new = SendFact(landing, fact.sink, substitute(fact.event, binding, call_step),
                           tuple((k, substitute(v, binding, call_step)) for k, v in fact.payload),
                           fact.strip_root, fact.exclude, (qname, *fact.via))
            if new.is_open:
                it.summary.sends.append(kept(new))
            else:
                it.catalog.append(new)
    if summary.unguarded and it.unguarded():
        landing = SinkSite(short, "wrapper", it.path, pos[0], pos[1], pos[2], pos[3], it.func.qname)
        first = summary.unguarded[0]
        calls = Step(it.path, pos[0], pos[1], "call", f"calls {short}() with no consent check before")
        it.summary.unguarded.append(Unguarded(landing, first.sink, Trace.of(calls) + first.trace))
    result = substitute(summary.ret, binding, Step(it.path, pos[0], pos[1], "return",
                                                   f"returned by {short}()"))
    # effects on the caller's arguments, attributes and globals
    if summary.param_effects and e is not None and env is not None:
        params = [p for p in func.params]
        if receiver is not None and params:
            recv_param = params[0].name
            eff = summary.param_effects.get(recv_param)
            if eff is not None and isinstance(e.func, ir.Attr):
                new = substitute(eff, binding, call_step)
                it.mutate(e.func.value, receiver, lambda b: join(b, _structure(new)), env)
        for (a, v), pname in _arg_params(func, receiver, args):
            eff = summary.param_effects.get(pname)
            if eff is not None:
                new = substitute(eff, binding, call_step)
                it.mutate(a.value, v, lambda b, n=new: join(b, _structure(n)), env)
    for (cls, attr), v in summary.attr_stores.items():
        prog.write_attr(cls, attr, substitute(v, binding, call_step), it)
    for (module, name), v in summary.global_stores.items():
        prog.write_global(module, name, substitute(v, binding, call_step), it)
    for module, v in summary.child_stores.items():
        prog.write_child(module, substitute(v, binding, call_step), it)
    return result


def _with_class_attrs(prog: Program, it: Interp, v: Val, pos: ir.Pos) -> Val:
    if not any(r.startswith("obj:") for r in v.refs):
        return v
    attrs = prog.object_fields(Val(refs=v.refs), it, pos)
    if not attrs.fields:
        return v
    fields = dict(attrs.fields)
    fields.update(v.fields)
    return v.replace(fields=fields)


def _structure(v: Val) -> Val:
    return v.replace(refs=frozenset(), ids=frozenset())


def _arg_params(func: ir.Function, receiver: Val | None, args: Args) -> list[tuple[tuple[ir.Arg, Val], str]]:
    params = [p for p in func.params if p.kind == "pos"]
    if receiver is not None:
        params = params[1:]
    out = []
    i = 0
    for a, v in args:
        if a.name is not None:
            out.append(((a, v), a.name))
        elif not a.star and i < len(params):
            out.append(((a, v), params[i].name))
            i += 1
    return out


def construct(prog: Program, it: Interp, cls: str, args: Args, e: ir.Call, env: Env) -> Val:
    """``C(...)`` for a project class: run ``__init__`` (or the dataclass fields) on a new object."""
    obj = Val(refs=frozenset({f"obj:{cls}"}), ids=frozenset({f"alloc:{e.pos[0]}:{e.pos[1]}"}))
    init = prog.find_method(cls, "__init__")
    if init is not None:
        func, _ = prog.functions[init]
        binding = bind_params(func, obj, args)
        summary = prog.summary_of(init, it.func.qname)
        call_project(prog, it, init, obj, args, e.pos, None)
        if func.params:
            eff = summary.param_effects.get(func.params[0].name)
            if eff is not None:
                step = Step(it.path, e.pos[0], e.pos[1], "call", f"passed to {cls.rsplit('.', 1)[-1]}()")
                obj = join(obj, _structure(substitute(eff, binding, step)))
        return obj
    fields = _record_fields(prog, cls)
    if fields:
        bound = bind_positional(tuple(fields), args)
        step = Step(it.path, e.pos[0], e.pos[1], "attribute", f"stored in {cls.rsplit('.', 1)[-1]}")
        for name, v in bound.items():
            stored = v.step(step) if v.tainted else v
            obj = with_field(obj, name, stored)
            prog.write_attr(cls, name, stored, it)
    return obj


def _record_fields(prog: Program, cls: str) -> list[str]:
    """Field order of a dataclass / NamedTuple / attrs / pydantic class: its annotated attributes."""
    out: list[str] = []
    for c in reversed(prog.mro(cls)):
        klass, _ = prog.classes[c]
        for s in klass.body:
            if isinstance(s, ir.Assign) and s.annotation is not None:
                for t in s.targets:
                    if isinstance(t, ir.Name) and t.id not in out:
                        out.append(t.id)
    return out


__all__ = ["evaluate_call", "call_project", "construct", "Hit"]


def _dotted_label(label: str) -> str:
    """``properties["host"]`` → ``properties.host`` (the catalog's field paths)."""
    return label.replace('["', ".").replace('"]', "").replace("[", ".").replace("]", "")
