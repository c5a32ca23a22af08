"""libcst parses only the modules the solver needs (facts/outline.py, Program.load_for).

Every file gets an outline (``ast``); the relevance pre-pass picks the functions to analyse from
the outlines, their modules (and what those import) are parsed in one batch, and a module the
solver reaches later — a callee, a global, a class — is parsed when it is first looked up.
Findings must not depend on any of this: each test compares with a scan where every module is
parsed (``Program(everything=True)`` in tests/test_relevance.py covers the analysis itself).
"""

from __future__ import annotations

from pathlib import Path

from privlint.scan import ScanRequest, run_scan

SENDER = '''import posthog

def send(props):
    posthog.capture("ev", distinct_id="s", properties=props)
'''
# reached only through a chain of imports: main -> helpers -> naming
HELPERS = '''from app import naming

def props():
    return {"host": naming.host()}
'''
NAMING = '''import socket

def host():
    return socket.gethostname()
'''
MAIN = '''from app import helpers, sender

def run():
    sender.send(helpers.props())
'''
UNRELATED = '''import json

def dump(x):
    return json.dumps(x, indent=2)

class Table:
    def render(self, rows):
        return "\\n".join(dump(r) for r in rows)
'''


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def scan(root: Path) -> tuple[list, dict]:
    res = run_scan(ScanRequest([str(root)], jobs=1, use_cache=False))
    return [(f.rule, f.path.rsplit("/", 1)[-1], f.line) for f in res.findings], res.stats


def test_unrelated_modules_are_never_parsed_and_the_flow_is_found(tmp_path: Path) -> None:
    root = write(tmp_path, {"app/__init__.py": "", "app/sender.py": SENDER, "app/helpers.py": HELPERS,
                            "app/naming.py": NAMING, "app/main.py": MAIN,
                            **{f"app/unrelated{i}.py": UNRELATED for i in range(5)}})
    findings, stats = scan(root)
    assert ("PII102", "main.py", 4) in findings
    assert stats["modules_parsed"] < stats["files"] - 4  # the five unrelated modules at least
    assert stats["functions"] >= 5 * 3  # counted from their outlines all the same


def test_a_suppression_in_an_unrelated_module_is_still_checked(tmp_path: Path) -> None:
    """PII003 (a suppression that suppresses nothing) needs the module's comments: a module
    whose text names privlint is always parsed."""
    stale = UNRELATED.replace("indent=2)", "indent=2)  # privlint: ignore[PII101] old leak, fixed")
    root = write(tmp_path, {"app/__init__.py": "", "app/sender.py": SENDER, "app/old.py": stale})
    findings, _ = scan(root)
    assert ("PII003", "old.py", 4) in findings


def test_a_method_only_the_solver_reaches_is_analysed(tmp_path: Path) -> None:
    """``Machine.describe`` is named by no relevant function: the pre-pass cannot see that
    ``props`` calls it; the solver does, through the object ``main`` hands over."""
    files = {"app/__init__.py": "", "app/sender.py": SENDER,
             "app/naming.py": "import socket\n\nclass Machine:\n    def describe(self):\n"
                              "        return {'host': socket.gethostname()}\n",
             "app/helpers.py": "def props(machine):\n    return machine.describe()\n",
             "app/main.py": "from app import helpers, sender\nfrom app.naming import Machine\n\n"
                            "def run():\n    sender.send(helpers.props(Machine()))\n",
             "app/more/__init__.py": "", "app/more/unrelated.py": UNRELATED}
    findings, stats = scan(write(tmp_path, files))
    assert ("PII102", "main.py", 5) in findings
    assert stats["modules_parsed"] < stats["files"]
