"""The relevance pre-pass and the bounds that keep the solve linear (issue 7).

Each test pairs what must be analysed (it can reach a sink) with what may be skipped, and checks
that skipping changes no finding: the same program solved with the pre-pass off finds the same.
"""

from __future__ import annotations

import textwrap

import libcst as cst

from privlint.discover import SourceFile
from privlint.facts.extract import extract
from privlint.facts.names import scan
from privlint.rules.loader import load_rules
from privlint.solve.program import Program
from privlint.solve.values import MAX_NODES, Val, bounded, fold, size

RULES = load_rules()


def facts(**modules: str) -> list:
    out = []
    for name, text in modules.items():
        src = textwrap.dedent(text).encode()
        sf = SourceFile(f"{name.replace('.', '/')}.py", name, False)
        out.append(extract(cst.parse_module(src), src, sf.path, sf.module, sf.is_package))
    return out


def solved(everything: bool = False, **modules: str) -> Program:
    prog = Program(facts(**modules), RULES, everything=everything)
    prog.solve()
    return prog


def found(prog: Program) -> set[tuple[str, int]]:
    return {(h.landing.func, h.landing.line) for hs in prog.findings.values() for h in hs}


# ---------------------------------------------------------------------------- names
def test_mentions_and_stores_of_a_function() -> None:
    (mod,) = facts(m="""
        import posthog as ph
        def f(self, items):
            global G
            G = 2
            local = 3
            self.a.b[1] = 4
            CACHE[k] = 5
            items.append(6)
            self.props.update(x=1)
            setattr(o, "zz", 1)
            getattr(o, "capture")(1)
        """)
    f = mod.functions["m.f"]
    assert {"capture", "CACHE", "props", "update", "self", "local"} <= f.mentions
    assert f.stores == {"G", "a", "b", "CACHE", "items", "props", "zz"}  # not the local, not self
    assert "update" in f.attrs and "CACHE" not in f.attrs
    body, _, _ = scan(mod.body.body, module_level=True)
    assert {"ph", "posthog", "f"} <= body


# ---------------------------------------------------------------------------- pre-pass
PROJECT = dict(
    telemetry="""
        import posthog
        def send(event, props):
            posthog.capture("id", event, properties=props)
        """,
    cli="""
        import getpass
        from telemetry import send
        def main():
            send("run", {"user": getpass.getuser()})
        """,
    state="""
        import getpass
        class Config:
            def load(self):
                self.owner = getpass.getuser()
        """,
    reporter="""
        from telemetry import send
        from state import Config
        def report(cfg: Config):
            send("cfg", {"owner": cfg.owner})
        """,
    unrelated="""
        import socket
        def helper():
            return socket.gethostname()
        class Parser:
            def get(self, key):
                return key.strip()
        """,
)


def test_seeds_callers_and_writers_are_analysed_the_rest_is_skipped() -> None:
    prog = solved(**PROJECT)
    active = prog.active
    assert "telemetry.send" in active  # mentions a sink of an imported SDK
    assert "cli.main" in active  # calls it
    assert "state.Config.load" in active  # stores the attribute a relevant function reads
    assert "unrelated.helper" not in active and "unrelated.Parser.get" not in active
    skipped_functions, skipped_modules = prog.skipped()
    assert skipped_functions >= 2 and skipped_modules == 1  # counted, never silent


def test_skipping_changes_no_finding() -> None:
    assert found(solved(**PROJECT)) == found(solved(everything=True, **PROJECT))
    assert ("cli.main", 5) in found(solved(**PROJECT))


def test_a_callee_the_prepass_left_out_is_analysed_when_relevant_code_calls_it() -> None:
    prog = solved(
        telemetry="""
            import posthog
            def send(props):
                posthog.capture("id", "e", properties=props)
            """,
        facts="""
            import socket
            def host():
                return socket.gethostname()
            """,
        cli="""
            from telemetry import send
            from facts import host
            def main():
                send({"host": host()})
            """,
    )
    assert "facts.host" in prog.active
    assert ("cli.main", 5) in found(prog)


def test_a_method_sink_needs_the_sdk_nearby_so_common_names_do_not_seed_everything() -> None:
    prog = solved(
        web="""
            import urllib.request
            def ping(opener, data):
                opener.open("https://telemetry.example.com/v1", data)
            """,
        far_a="""
            def read(path):
                return open(path).read()
            """,
        far_b="""
            import far_a
            def load(f):
                return f.open()
            """,
    )
    assert "web.ping" in prog.active
    assert "far_a.read" not in prog.active  # the builtin open is not a method sink
    assert "far_b.load" not in prog.active  # .open far from any module importing urllib


def test_a_project_without_sinks_analyses_nothing() -> None:
    prog = solved(a="""
        import getpass
        def who():
            return getpass.getuser()
        """)
    assert not prog.analyses or not any(prog.analyses.values())
    assert prog.skipped() == (2, 1)


# ---------------------------------------------------------------------------- bounds
def test_bounded_keeps_every_flow_and_caps_the_shape() -> None:
    leaf = solved(everything=True, m="""
        import getpass
        def f():
            return getpass.getuser()
        """).summaries["m.f"].ret
    v = leaf
    for i in range(12):  # a wide, deep object graph: fields of fields of fields
        v = Val(fields={f"k{j}": v for j in range(3)} | {f"x{i}": leaf})
    assert size(v) > MAX_NODES
    b = bounded(v)
    assert size(b) <= MAX_NODES
    assert set(b.all_flows()) == set(v.all_flows())
    assert set(fold(v, 0).rest) == set(v.all_flows()) and not fold(v, 0).fields


def test_attribute_chains_of_library_objects_stop_growing() -> None:
    prog = solved(everything=True, m="""
        import tkinter
        def walk(w):
            node = tkinter.Text()
            while node:
                node = node.delegate
            return node
        """)
    refs = prog.summaries["m.walk"].ret.refs
    assert all(r.count(".delegate") <= 1 for r in refs), refs


def test_a_writer_that_takes_data_brings_its_callers() -> None:
    modules = dict(
        tracker="""
            import posthog
            class Tracker:
                def set_user(self, user):
                    self.user = user
                def send(self, event):
                    posthog.capture("id", event, properties={"user": self.user})
            """,
        cli="""
            import getpass
            from tracker import Tracker
            def setup(t):
                t.set_user(getpass.getuser())
            """,
    )
    prog = solved(**modules)
    assert {"tracker.Tracker.set_user", "cli.setup"} <= prog.active
    assert found(prog) == found(solved(everything=True, **modules))


def test_callers_of_code_that_reaches_no_sink_are_not_analysed() -> None:
    modules = dict(
        web="""
            import urllib.request
            def fetch_docs():
                return urllib.request.urlopen("https://docs.python.org/3/").read()
            """,
        cli="""
            from web import fetch_docs
            def main():
                return fetch_docs()
            """,
        entry="""
            from cli import main
            def run():
                main()
            """,
    )
    prog = solved(**modules)
    assert {"web.fetch_docs", "cli.main"} <= prog.active  # a seed and its callers
    assert "entry.run" not in prog.active  # main reaches no sink: its callers cannot matter
    assert found(prog) == found(solved(everything=True, **modules)) == set()
