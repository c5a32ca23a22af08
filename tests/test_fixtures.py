"""Run privlint on every fixture directory and compare with its inline expectations.

A missing finding (recall) and an extra one (precision) both fail, with the finding's trace in
the message so the failure explains itself.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from fixture_expectations import fixture_dirs, load

from privlint.config import Config, find_config, load_config
from privlint.scan import ScanRequest, run_scan

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.mark.parametrize("root", fixture_dirs(FIXTURES), ids=lambda p: p.name)
def test_fixture(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(root)
    spec = load(root)
    found_cfg = find_config(root)
    cfg = load_config(found_cfg) if found_cfg and found_cfg.parent == root else Config()
    result = run_scan(ScanRequest(["."], cfg))
    got: Counter = Counter()
    details: dict = {}
    for f in result.findings:
        if f.category not in spec.categories:
            continue
        key = (f.path, f.line, f.rule)
        got[key] += 1
        details.setdefault(key, []).append(f)
    expected: Counter = Counter()
    kinds_expected: dict = {}
    for (rel, line, code, kinds), n in spec.expected.items():
        expected[(rel, line, code)] += n
        if kinds:
            kinds_expected.setdefault((rel, line, code), []).extend([kinds] * n)
    problems = []
    for key in sorted(set(got) | set(expected)):
        if got[key] != expected[key]:
            what = "missing" if got[key] < expected[key] else "unexpected"
            msg = f"{what}: {key[0]}:{key[1]} {key[2]} (expected {expected[key]}, got {got[key]})"
            for f in details.get(key, []):
                msg += f"\n    {f.message}" + "".join(
                    f"\n        {s.path}:{s.line} {s.step}: {s.note}" for s in f.trace)
            problems.append(msg)
        elif key in kinds_expected:
            have = sorted(tuple(f.kinds) for f in details[key])
            want = sorted(kinds_expected[key])
            if have != want:
                problems.append(f"kinds differ at {key[0]}:{key[1]} {key[2]}: want {want}, got {have}")
    errors = {e.path for e in result.errors}
    if errors != spec.errors:
        problems.append(f"errors: expected {sorted(spec.errors)}, got "
                        f"{sorted((e.path, e.message) for e in result.errors)}")
    assert not problems, "\n".join(problems)


def test_fixture_suite_is_substantial() -> None:
    total = sum(sum(load(d).expected.values()) for d in fixture_dirs(FIXTURES))
    oks = sum(len(load(d).ok_lines) for d in fixture_dirs(FIXTURES))
    assert total >= 60 and oks >= 40, (total, oks)
