"""Shared fixture: the test vectors written in shared/spec/ic-identifiers.md.

The recogniser tests list every vector explicitly; these fixtures read the spec's tables so a
test can check that no vector of the spec was left out. The spec lives beside the project
root (``../shared``); without it those completeness tests are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec" / "ic-identifiers.md"


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    end = text.find("\n#", start + len(heading))
    return text[start : end if end != -1 else None]


@pytest.fixture(scope="session")
def spec_cells() -> Callable[[str, int], list[str]]:
    """``spec_cells(heading, column)``: the backticked strings in one column of the tables
    under ``heading`` (the section ends at the next heading)."""
    if not SPEC.is_file():
        pytest.skip(f"{SPEC} not found")
    text = SPEC.read_text(encoding="utf-8")

    def cells(heading: str, column: int) -> list[str]:
        found: list[str] = []
        for line in _section(text, heading).splitlines():
            if not line.startswith("| ") or set(line) <= set("|- "):
                continue
            parts = line.split(" | ")
            if column < len(parts):
                found.extend(re.findall(r"`([^`]+)`", parts[column]))
        return found

    return cells
