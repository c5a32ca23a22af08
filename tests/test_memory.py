"""What keeps a cold solve's memory down (issue 7) changes no finding.

Packed function bodies (solve/bodies.py), functions grown into the solve queued before their
module is parsed (``Program.ensure``), shared name and note sets, compacted summaries and the
tables a scan releases after solving are all invisible in the report: each test here compares
with the plain way, or shows the saving really happens (a test that packs nothing proves nothing).
"""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from test_incremental import view
from test_solver import RULES

import privlint.solve.program as program
from privlint.cache import dumps_facts, loads_facts
from privlint.facts import ir, names
from privlint.facts.extract import extract
from privlint.facts.ir import PACKED
from privlint.scan import ScanRequest, run_scan
from privlint.solve import bodies
from privlint.solve.summary import EMPTY_SUMMARY, Summary
from privlint.solve.values import Flow, Origin, Step, Trace

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def solved(modules: dict[str, str]) -> tuple[program.Program, list[ir.ModuleFacts]]:
    """The modules' facts, and a program that solved them (every function analysed)."""
    facts = []
    for name, text in modules.items():
        src = text.encode()
        facts.append(extract(cst.parse_module(src), src, f"{name}.py", name, False))
    prog = program.Program(facts, RULES, everything=True)
    prog.solve()
    return prog, facts


def scan(root: Path):  # noqa: ANN201
    return run_scan(ScanRequest([str(root)], jobs=1, use_cache=False))


@pytest.mark.parametrize("tree", ["interprocedural", "consent", "realworld", "propagation"])
def test_packing_every_body_but_one_reports_as_keeping_them_all(tree: str, monkeypatch) -> None:  # noqa: ANN001
    plain = scan(FIXTURES / tree)
    decoded = []
    real_unpack = bodies.unpack_body

    def counting_unpack(data: bytes) -> tuple:
        decoded.append(data)
        return real_unpack(data)

    monkeypatch.setattr(program, "RESIDENT_BODIES", 1)
    monkeypatch.setattr(bodies, "unpack_body", counting_unpack)
    packed = scan(FIXTURES / tree)
    # with one body kept, bodies are decoded again and again: else the test proves nothing
    assert len(decoded) > len(set(decoded)), "no body was decoded twice"
    assert view(packed) == view(plain)
    assert packed.catalog == plain.catalog
    assert {k: v for k, v in packed.stats.items() if "seconds" not in k} == \
        {k: v for k, v in plain.stats.items() if "seconds" not in k}


SOURCE = {
    "m": "import posthog\n\n\ndef send(props):\n"
         "    posthog.capture('e', distinct_id='x', properties=props)\n\n\n"
         "def outer():\n    import socket\n    host = socket.gethostname()\n\n"
         "    def inner():\n        send({'h': host})\n    return inner\n",
}


def test_a_packed_body_cannot_be_read_by_mistake_and_the_callers_facts_stay_whole(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(program, "RESIDENT_BODIES", 1)
    prog, facts = solved(SOURCE)
    shells = [f for f, _ in prog.functions.values() if f.body is PACKED]
    assert shells, "nothing was packed"
    with pytest.raises(RuntimeError):
        list(shells[0].body)
    with pytest.raises(RuntimeError):
        bool(shells[0].body)
    assert prog.body_of(shells[0])  # read the right way: the statements are back
    # the solver packs its own copy: facts handed in (a test, a library user) keep their bodies
    assert all(f.body is not PACKED for m in facts for f in m.functions.values())


def test_only_a_nested_function_keeps_the_scope_it_was_defined_in() -> None:
    prog, _ = solved(SOURCE)
    assert set(prog.closures) == {"m.outer.inner"}
    # and the nested function still sees the name it reads from there
    assert any(h.flow.origin.label == "socket.gethostname()" for h in prog.findings["m.outer.inner"])


def test_a_stored_summary_is_compacted_and_read_only() -> None:
    assert Summary().compact() is EMPTY_SUMMARY
    s = Summary(calls_sink=True).compact()
    assert s is not EMPTY_SUMMARY and s.calls_sink
    with pytest.raises(TypeError):
        s.param_effects["x"] = None  # type: ignore[index]
    with pytest.raises(AttributeError):
        s.hits.append(None)  # type: ignore[attr-defined]


def test_equal_notes_and_step_notes_are_one_object() -> None:
    origin = Origin(frozenset({"username"}), "getpass.getuser()", "", "m.py", 1, 1, "m.f")
    start = Flow(origin, Trace.of(Step("m.py", 1, 1, "source", "")))
    a = start.then(Step("m.py", 2, 1, "transform", "encoded"), "".join(["enc", "oded"]))
    b = start.then(Step("m.py", 3, 1, "transform", "encoded"), "".join(["en", "coded"]))
    assert a.notes == {"encoded"} and a.notes is b.notes
    s1 = Step("p", 1, 1, "call", "".join(["passed to ", "f()"]))
    s2 = Step("p", 2, 1, "call", "".join(["passed to", " f()"]))
    assert s1.note is s2.note


def test_a_grown_function_waits_for_its_turn_to_be_parsed(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """A function that reaches a sink grows the solve by its callers; their modules are parsed
    when the solver gets to them, one after another, not all at once."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'app'\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app/__init__.py").write_text("")
    (tmp_path / "app/sink.py").write_text(
        "import posthog\n\n\ndef track(props):\n"
        "    posthog.capture('e', distinct_id='x', properties=props)\n")
    for i in range(6):
        (tmp_path / f"app/feature{i}.py").write_text(
            f"from app import sink\n\n\ndef run{i}(user):\n    sink.track({{'who': user}})\n")
    parsed_at: dict[str, int] = {}
    analysed: list[str] = []
    real_register, real_analyze = program.Program._register, program.Program.analyze

    def register(self: program.Program, m: ir.ModuleFacts) -> None:
        parsed_at[m.module] = len(analysed)
        real_register(self, m)

    def analyze(self: program.Program, qname: str) -> set[str]:
        analysed.append(qname)
        return real_analyze(self, qname)

    monkeypatch.setattr(program.Program, "_register", register)
    monkeypatch.setattr(program.Program, "analyze", analyze)
    result = scan(tmp_path)
    assert result.stats["analyses"] == len(analysed)
    features = [f"app.feature{i}" for i in range(6)]
    assert set(features) <= set(parsed_at)
    # each feature module is parsed just before its first function is analysed
    for m in features:
        first = min(i for i, q in enumerate(analysed) if q.startswith(m + "."))
        assert parsed_at[m] == first, (m, parsed_at[m], first)


def test_a_worker_packs_the_bodies_it_makes_and_they_decode_to_the_statements() -> None:
    """Workers pickle the bodies (``ir.pack_bodies``, run in ``parallel.analyse``), so the
    solving process never does; the cache's restricted unpickler reads them back."""
    src = SOURCE["m"].encode()
    plain = extract(cst.parse_module(src), src, "m.py", "m", False)
    packed = ir.pack_bodies(plain)
    assert all(f.body is PACKED for f in packed.functions.values() if not f.is_lambda)
    assert {q: ir.body_of(packed, f) for q, f in packed.functions.items()} == \
        {q: f.body for q, f in plain.functions.items()}
    assert loads_facts(dumps_facts(packed)) == packed
    assert names.import_targets(packed) == names.import_targets(plain)  # reads packed bodies too


def test_a_planted_body_naming_other_code_is_refused_and_never_runs() -> None:
    """Facts are cached with their bodies packed: a body is read as strictly as the rest of
    an entry (test_cache's ``planted_code`` records a call, so running it would show)."""
    import pickle
    import zlib

    from test_cache import PLANTED_RAN, _Planted

    with pytest.raises(pickle.UnpicklingError):
        ir.unpack_body(zlib.compress(pickle.dumps(_Planted())))
    assert PLANTED_RAN == []
    body = (ir.Return(ir.Name("x", (1, 1, 1, 2)), (1, 1, 1, 9)),)
    assert ir.unpack_body(ir.pack_body(body)) == body


WRAPPED = {
    "tel": "import posthog\n\n"
           "def track(event, **props):\n"
           "    posthog.capture('anon', event, properties=props)\n\n"
           "def record(name, who):\n"
           "    track(name, user=who, size=len(who))\n",
    "app": "import getpass\nfrom tel import record\n\n"
           "def main():\n"
           "    record('deploy', getpass.getuser())\n",
}


def test_open_sends_are_kept_without_traces_and_the_catalog_is_the_same() -> None:
    from privlint import catalog
    from privlint.facts.names import NO_NAMES
    from privlint.solve.values import EMPTY_TRACE

    prog, _ = solved(WRAPPED)
    open_sends = [f for q in ("tel.track", "tel.record") for f in prog.summaries[q].sends]
    assert open_sends, "the wrappers leave their sends open"
    values = [v for f in open_sends for v in (f.event, *(v for _, v in f.payload))]
    flows = [g for v in values for g in v.all_flows().values()]
    assert flows and all(g.trace is EMPTY_TRACE and g.notes is NO_NAMES for g in flows)
    # closed where the event is known: the user name comes from main, through two wrappers
    entries = [e for q in prog.catalog for e in prog.catalog[q]]
    built = catalog.build_from(entries)
    deploy = next(ev for ev in built["events"] if ev["event"] == "deploy")
    assert deploy["fields"]["properties.user"] == {"class": "identifier:username"}, deploy
    assert deploy["fields"]["properties.size"] == {"class": "number"}


def test_names_in_facts_are_one_string_each() -> None:
    """Identifiers are interned as nodes are built: two modules, and a body decoded twice,
    name ``payload`` with one string object."""
    src = b"def f(payload):\n    return payload.size\n"
    a = extract(cst.parse_module(src), src, "a.py", "a", False)
    b = extract(cst.parse_module(src), src, "b.py", "b", False)
    pa, pb = a.functions["a.f"].params[0].name, b.functions["b.f"].params[0].name
    assert pa == "payload" and pa is pb
    packed = ir.pack_bodies(a)
    one, two = (ir.body_of(packed, packed.functions["a.f"]) for _ in range(2))
    assert one[0].value.attr is two[0].value.attr is b.functions["b.f"].body[0].value.attr


SELF_CHAIN = {
    "m": "import getpass\n\n"
         "class S:\n"
         "    def __init__(self, who):\n"
         "        self.user = who\n"
         "        self.host = getpass.getuser()\n\n"
         "    def copy(self):\n"
         "        self.owner = self.user\n\n"
         "    def prepare(self):\n"
         "        self.copy()\n\n"
         "    def start(self):\n"
         "        self.prepare()\n",
}


def test_stores_made_only_from_the_receivers_attributes_stay_out_of_summaries() -> None:
    """``self.owner = self.user`` is carried by the class's table, not by every summary up the
    chain of ``self`` calls (they piled up and were applied again at every call: the standard-
    library sample with one telemetry call took minutes, issue 7); a store from another
    parameter stays in the summary, for the callers to apply with what they pass."""
    prog, _ = solved(SELF_CHAIN)
    for q in ("m.S.copy", "m.S.prepare", "m.S.start"):
        assert not prog.summaries[q].attr_stores, q
    assert ("m.S", "user") in prog.summaries["m.S.__init__"].attr_stores
