"""Read the inline expectations of a fixture directory (shared/spec/fixtures.md).

``# expect: CODE [kind,...]`` (groups joined by ``;``) says exactly which findings start on the
line; ``# ok`` marks the safe twin of a leaking line; any other finding fails. ``fixture.toml``
declares which finding categories the fixture speaks for (default: leak and consent) and which
files are expected to be listed in ``errors``.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

EXPECT = re.compile(r"#\s*expect:\s*(?P<body>[^#]*)")
OK = re.compile(r"#\s*ok\b")


@dataclass
class FixtureSpec:
    root: Path
    categories: set[str]
    errors: set[str]
    expected: Counter = field(default_factory=Counter)  # (relpath, line, code, kinds)
    ok_lines: set[tuple[str, int]] = field(default_factory=set)


def load(root: Path) -> FixtureSpec:
    meta = {}
    if (root / "fixture.toml").exists():
        meta = tomllib.loads((root / "fixture.toml").read_text())
    spec = FixtureSpec(root, set(meta.get("categories", ["leak", "consent"])),
                       set(meta.get("errors", [])))
    for py in sorted(root.rglob("*.py")):
        rel = py.relative_to(root).as_posix()
        try:
            text = py.read_text("utf-8")
        except UnicodeDecodeError:
            continue
        for n, line in enumerate(text.splitlines(), 1):
            m = EXPECT.search(line)
            if m:
                for group in m.group("body").split(";"):
                    words = group.split()
                    if not words:
                        continue
                    code = words[0]
                    kinds = tuple(sorted(",".join(words[1:]).split(","))) if len(words) > 1 else ()
                    kinds = tuple(k for k in kinds if k)
                    spec.expected[(rel, n, code, kinds)] += 1
            elif OK.search(line):
                spec.ok_lines.add((rel, n))
    return spec


def fixture_dirs(base: Path) -> list[Path]:
    return sorted(p for p in base.iterdir() if p.is_dir() and any(p.rglob("*.py")))
