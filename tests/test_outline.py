"""The outline made with ``ast`` covers the one the facts imply (facts/outline.py).

The relevance pre-pass runs on outlines made from source, so a module none of whose functions
is relevant is never parsed by libcst. That is only safe if the source outline has every
function and class the facts have, under the same name, with at least the same names: checked
here on every fixture and on privlint's own code (a few hundred functions of varied style).
"""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from privlint.facts.extract import extract
from privlint.facts.outline import from_facts, from_source

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted([*(ROOT / "fixtures").rglob("*.py"), *(ROOT / "src" / "privlint").rglob("*.py"),
                *(ROOT / "benchmarks").glob("*.py")])


def _module(path: Path) -> tuple[str, bool]:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    pkg = parts[-1] == "__init__"
    if pkg:
        parts = parts[:-1]
    return ".".join(parts), pkg


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_source_outline_covers_the_facts(path: Path) -> None:
    source = path.read_bytes()
    try:
        tree = cst.parse_module(source)
    except cst.ParserSyntaxError:
        pytest.skip("not Python (a bad-input fixture)")
    module, pkg = _module(path)
    facts = from_facts(extract(tree, source, str(path), module, pkg))
    got = from_source(source, str(path), module, pkg)
    assert got is not None
    assert facts.imports <= got.imports
    assert facts.pinned <= got.pinned
    for q, f in facts.functions.items():
        if f.name == "<lambda>":
            continue  # named by position; Program keeps a lambda with its enclosing function
        g = got.functions.get(q)
        assert g is not None, f"{q} missing from the source outline"
        assert (g.name, g.cls, g.parent) == (f.name, f.cls, f.parent), q
        assert set(f.params) <= set(g.params), q  # a property's setter: both defs' parameters
        assert f.mentions <= g.mentions, (q, sorted(f.mentions - g.mentions))
        assert f.stores <= g.stores, (q, sorted(f.stores - g.stores))
        assert f.attrs <= g.attrs, (q, sorted(f.attrs - g.attrs))
        assert f.decorators <= g.decorators, (q, sorted(f.decorators - g.decorators))
    for q, c in facts.classes.items():
        d = got.classes.get(q)
        assert d is not None, f"class {q} missing from the source outline"
        assert c.bases <= d.bases and c.methods == d.methods and c.parent == d.parent, q


def test_unparseable_source_has_no_outline() -> None:
    assert from_source(b"def (:\n", "x.py", "x", False) is None


@pytest.mark.parametrize(("text", "pinned"), [
    ('"""Generated for privlint benchmarks."""\nx = 1\n', False),  # the word alone pins nothing
    ("token = 'abc'  # pragma: allowlist secret\n", True),
    ("x = 1  # privlint: ignore[PII101] reviewed\n", True),
    ("# privlint:ignore\n", True),
])
def test_only_a_suppression_comment_pins_a_module(text: str, pinned: bool) -> None:
    got = from_source(text.encode(), "m.py", "m", False)
    assert got is not None and got.pinned is pinned
