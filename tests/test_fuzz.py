"""Property-based fuzzing: privlint never crashes, and a leak added to any program is found.

The bounded run here takes a few seconds; a longer one is
``PRIVLINT_FUZZ_EXAMPLES=2000 pytest tests/test_fuzz.py`` (see README, "Development").
"""

from __future__ import annotations

import os

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from privlint.facts.extract import extract
from privlint.findings import from_hits
from privlint.rules.loader import load_rules
from privlint.solve.program import Program

pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")  # hypothesmith compiles its output
RULES = load_rules()
EXAMPLES = int(os.environ.get("PRIVLINT_FUZZ_EXAMPLES", "25"))
PROBE = (
    "\n\ndef __privlint_probe__():\n"
    "    import socket as _s, posthog as _p\n"
    "    _p.capture('probe', distinct_id='s', properties={'h': _s.gethostname()})\n"
)
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=list(HealthCheck))


def analyse(text: str) -> list | None:
    src = text.encode("utf-8", "surrogatepass")
    try:
        module = cst.parse_module(src)
    except (cst.ParserSyntaxError, UnicodeDecodeError, RecursionError, SyntaxError, ValueError):
        return None  # reported as that file's error by the scanner, never a crash
    facts = extract(module, src, "fuzz.py", "fuzz", False)
    return from_hits(Program([facts], RULES).solve())


@FUZZ
@given(hypothesmith.from_grammar())
def test_never_crashes_on_generated_programs(text: str) -> None:
    analyse(text)


@FUZZ
@given(hypothesmith.from_grammar())
def test_an_added_leak_is_still_found(text: str) -> None:
    findings = analyse(text + PROBE)
    if findings is None:
        return
    assert any(f.rule == "PII102" and f.func.endswith("__privlint_probe__") for f in findings)


MUTATIONS = st.sampled_from(["(", ")", ":", "\n    ", "lambda", "**", "[", "]", "f'{", "@", "\\"])


@FUZZ
@given(st.data())
def test_mutated_fixture_never_crashes(data: st.DataObject) -> None:
    base = (
        "import socket, posthog\n"
        "def f(x, *a, **k):\n    d = {'h': socket.gethostname(), **k}\n"
        "    posthog.capture('e', distinct_id='s', properties=d)\n    return [y for y in a if y]\n"
    )
    pos = data.draw(st.integers(0, len(base)))
    text = base[:pos] + data.draw(MUTATIONS) + base[pos:]
    analyse(text)


@pytest.mark.parametrize("depth", [50, 150])
def test_deep_but_legal_nesting(depth: int) -> None:
    expr = "(" * depth + "1" + ")" * depth
    assert analyse(f"x = {expr}\n") == []
