"""Unit tests of the solver's parts: abstract values, summaries, resolution, bounds."""

from __future__ import annotations

import libcst as cst

from privlint.discover import SourceFile
from privlint.facts.extract import extract
from privlint.rules.loader import load_rules
from privlint.solve.optout import UNKNOWN, AbsentWorld
from privlint.solve.program import Program
from privlint.solve.values import EMPTY, Flow, Origin, Step, Val, join, read_any, read_field, with_field

RULES = load_rules()


def origin(label: str, kind: str = "username") -> Origin:
    return Origin(frozenset({kind}), label, "", "m.py", 1, 1, "m.f")


def flow(label: str, kind: str = "username", steps: int = 1) -> Val:
    o = origin(label, kind)
    trace = tuple(Step("m.py", i, 1, "assign", "x") for i in range(steps))
    return Val({o: Flow(o, trace)})


def program(everything: bool = True, **modules: str) -> Program:
    """Solve the given modules; engine tests look at every function's summary, so the
    relevance pre-pass is off unless a test is about it."""
    facts = []
    for name, text in modules.items():
        src = text.encode()
        sf = SourceFile(f"{name.replace('.', '/')}.py", name, False)
        facts.append(extract(cst.parse_module(src), src, sf.path, sf.module, sf.is_package))
    prog = Program(facts, RULES, everything=everything)
    prog.solve()
    return prog


# ---------------------------------------------------------------------------- values
def test_join_keeps_the_shortest_trace_per_origin() -> None:
    long, short = flow("u", steps=5), flow("u", steps=2)
    joined = join(long, short)
    (f,) = joined.flows.values()
    assert len(f.trace) == 2


def test_per_key_precision_and_unknown_keys() -> None:
    d = with_field(with_field(EMPTY, "user", flow("u")), "cmd", Val(strs=frozenset({"x"})))
    assert read_field(d, "user").tainted
    assert not read_field(d, "cmd").tainted
    assert read_any(d).tainted
    opaque = flow("env", "free-text")  # taint that covers every part
    assert read_field(opaque, "anything").tainted


def test_signature_ignores_traces() -> None:
    assert flow("u", steps=1).signature() == flow("u", steps=4).signature()
    assert flow("u").signature() != flow("v").signature()


# ---------------------------------------------------------------------------- summaries
def test_summary_records_return_fields_sink_params_and_mutations() -> None:
    prog = program(m="""
import posthog, socket
def facts(x):
    return {"host": socket.gethostname(), "arg": x, "os": "linux"}
def send(name, props):
    posthog.capture(name, distinct_id="s", properties=props)
def fill(d, v):
    d["k"] = v
""")
    ret = prog.summaries["m.facts"].ret
    assert read_field(ret, "host").tainted and not read_field(ret, "os").tainted
    (arg_origin,) = read_field(ret, "arg").flows
    assert arg_origin.param == "x"
    hits = prog.summaries["m.send"].hits
    assert {h.flow.origin.param for h in hits} == {"name", "props"}
    assert {h.field for h in hits} == {"event", "properties"}
    effect = prog.summaries["m.fill"].param_effects["d"]
    assert read_field(effect, "k").flows and next(iter(read_field(effect, "k").flows)).param == "v"


def test_recursion_converges_and_cross_module_resolution() -> None:
    prog = program(
        **{"pkg.a": "from pkg.b import ping\ndef pong(n, v):\n    return ping(n - 1, v)\n",
           "pkg.b": "import posthog\nfrom pkg import a\ndef ping(n, v):\n    if n:\n"
                    "        return a.pong(n, v)\n    posthog.capture('e', distinct_id=v)\n"})
    assert prog.summaries["pkg.b.ping"].hits and prog.summaries["pkg.a.pong"].hits
    assert all(n <= 12 for n in prog.analyses.values())


def test_module_global_client_is_a_sink_in_functions() -> None:
    prog = program(m="""
import getpass
from posthog import Posthog
CLIENT = Posthog("key")
def run():
    CLIENT.capture("e", distinct_id=getpass.getuser())
""")
    (hit,) = prog.findings["m.run"]
    assert hit.sink.name == "posthog.capture" and hit.field == "distinct_id"


def test_project_module_shadows_a_library_of_the_same_name() -> None:
    prog = program(analytics="def track(*a, **k):\n    pass\n",
                   m="import getpass, analytics\ndef f():\n    analytics.track(getpass.getuser(), 'e')\n")
    assert not prog.findings["m.f"]


# ---------------------------------------------------------------------------- models
def test_telemetry_url_words() -> None:
    assert RULES.is_telemetry_url("https://telemetry.example.com/v1")
    assert RULES.is_telemetry_url("https://example.com/api/v2/track")
    assert not RULES.is_telemetry_url("https://api.example.com/collections")
    assert not RULES.is_telemetry_url("https://tracker-api.example.com/x")
    assert not RULES.is_telemetry_url("https://api.github.com/repos/o/r/events")
    assert RULES.is_telemetry_name("TELEMETRY_URL") and RULES.is_telemetry_name("analyticsEndpoint")


def test_command_lines() -> None:
    assert RULES.command_kinds(["git", "config", "--get", "user.email"]).kinds == {"email"}
    assert RULES.command_kinds(["git", "log", "--format=%an <%ae>"]).kinds == {"username", "email"}
    assert RULES.command_kinds(["git", "status"]) is None


def test_name_heuristics_and_negative_list() -> None:
    assert RULES.name_kinds("userEmail") == {"email"}
    assert RULES.name_kinds("get_api_key") == {"secret"}
    for safe in ("token_count", "host_os", "password_length", "is_admin_user", "username_max_len"):
        assert RULES.name_kinds(safe) is None, safe


def test_consent_names() -> None:
    assert RULES.consent_polarity("telemetry_enabled") == "+"
    assert RULES.consent_polarity("should_send_telemetry") == "+"
    assert RULES.consent_polarity("user_opted_out") == "-"
    assert RULES.consent_polarity("debug_enabled") is None
    assert RULES.env_consent("DO_NOT_TRACK") == "-" and RULES.env_consent("MYTOOL_TELEMETRY") == "+"


# ---------------------------------------------------------------------------- opt-out evaluator
def test_absent_world() -> None:
    prog = program(m="""
import os
def a():
    return os.environ.get("T") == "1"
def b():
    return os.environ.get("T", "1") != "0"
def c():
    if os.environ.get("DO_NOT_TRACK"):
        return False
    return True
def d():
    try:
        return os.environ["T"] == "yes"
    except KeyError:
        return False
def e(cfg):
    return cfg.telemetry
""")
    world = AbsentWorld(prog)
    assert [v for v, _ in world.returns("m.a")] == [False]
    assert [v for v, _ in world.returns("m.b")] == [True]
    assert [v for v, _ in world.returns("m.c")] == [True]
    assert [v for v, _ in world.returns("m.d")] == [False]
    assert [v for v, _ in world.returns("m.e")] == [UNKNOWN]


def test_recursion_through_fields_converges_without_losing_the_flow() -> None:
    """``copy.deepcopy``'s shape: two functions calling each other on parts of their arguments.
    Each round appended reads to the parameters' access paths, so the summaries changed until
    ``MAX_ANALYSES`` cut them off (a bound-hit, a quarter of the standard-library scan). The
    widening (``values.set_access_limit``) makes them settle, and the host name still arrives."""
    prog = program(app='''
import socket, posthog

def deep(x, memo):
    y = memo.get(id(x))
    if y is not None:
        return y
    if isinstance(x, tuple):
        return rebuild(x, memo, x[0], x[1])
    return x

def rebuild(x, memo, head, tail):
    memo[id(x)] = head
    state = deep(tail[0][1], memo)
    items = deep(head[1][0], memo)
    return (deep(state, memo), items, memo[id(x)][0])

def send():
    info = deep((socket.gethostname(), ("a", "b")), {})
    posthog.capture("id", "ev", properties={"host": info})
''')
    assert not prog.bound_hit
    assert max(prog.analyses[q] for q in ("app.deep", "app.rebuild")) < 12
    hits = [h for hs in prog.findings.values() for h in hs]
    assert any("hostname" in h.flow.origin.kinds for h in hits)


def test_substitute_never_writes_into_a_shared_flow_table() -> None:
    """A callee's ``rest`` holding a parameter's flow, then one of its own; the caller passed a
    clean value. Substituting made ``rest`` the clean value's flow table (the one every empty
    value shares) and then wrote the callee's flow into it: every empty value was tainted."""
    from privlint.solve.calls import substitute
    from privlint.solve.summary import param_origin
    from privlint.solve.values import Trace

    p = param_origin("m.g", "x", "m.py", 2, 1)
    own = origin("h", "hostname")
    ret = Val(rest={p: Flow(p, Trace.of()), own: Flow(own, Trace.of())})
    clean = Val(strs=frozenset({"text"}))
    out = substitute(ret, {"x": clean}, Step("m.py", 9, 1, "call", "passed to g()"))
    assert {o.label for o in out.rest} == {"h"}
    assert not Val().flows and not Val().rest and not clean.rest and not clean.flows
    assert not EMPTY.tainted and not Val().tainted
