"""A bandit plugin: ``bandit -r src`` also reports privlint's leak findings, under their own ids.

Why an adapter and not a port: privlint's findings are whole-program (a value born in one module
reaches a sink in another), while bandit calls a test once per AST node of one file. So the first
time bandit asks about a file, the project containing it (the configuration file's directory, else
the nearest directory with pyproject.toml/setup.cfg/setup.py/.git) is analysed once with privlint's
own ``run_scan`` and its configuration; the result is cached for the rest of the process, and each
``Call`` node looks up the findings that land on it (same line and column). One test function per
rule code (``PII102`` …), so ``-t``/``-s``, ``# nosec PII102``, bandit's baseline and formatters all
work as for bandit's own tests. Findings that do not land on a call are left to ``privlint scan``.

Registered in pyproject.toml under ``[project.entry-points."bandit.plugins"]``; needs the
``privlint[bandit]`` extra.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from bandit.core import constants
from bandit.core import test_properties as test
from bandit.core.issue import Issue

from privlint.findings import Finding
from privlint.rules.codes import RULES

LOG = logging.getLogger(__name__)
CODES = tuple(r.code for r in RULES if r.category in ("leak", "consent"))
# bandit imports plugins while ``bandit`` itself is half-initialised: use its submodules only.
_SEVERITY = {"error": constants.HIGH, "warning": constants.MEDIUM, "info": constants.LOW}
_CWE = 201  # Insertion of Sensitive Information Into Sent Data

Key = tuple[str, int, int]  # (real path, line, 0-based UTF-8 column as in ``ast``)
_PROJECTS: dict[str, dict[Key, list[Finding]]] = {}  # per process: project root -> findings by call


def _real(path: str) -> str:
    return os.path.normcase(os.path.realpath(path))


def _byte_col(path: str, line: int, column: int, texts: dict[str, list[str]]) -> int:
    if path not in texts:
        try:
            texts[path] = Path(path).read_text("utf-8", "replace").splitlines()
        except OSError:
            texts[path] = []
    lines = texts[path]
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return len(text[: max(column - 1, 0)].encode("utf-8"))


def _analyse(target: Path) -> dict[Key, list[Finding]]:
    from privlint.config import Config, ConfigError, find_config, load_config
    from privlint.discover import find_project_root
    from privlint.scan import ScanRequest, run_scan

    cfg = Config()
    found = find_config(target)
    if found:
        try:
            cfg = load_config(found)
        except ConfigError as exc:
            LOG.warning("privlint: configuration error, using defaults: %s", exc)
    root = cfg.root or find_project_root(target)
    key = _real(str(root))
    if key in _PROJECTS:
        return _PROJECTS[key]
    index: dict[Key, list[Finding]] = {}
    try:
        result = run_scan(ScanRequest([str(root)], cfg))
    except Exception as exc:  # noqa: BLE001 - never take bandit down
        LOG.warning("privlint: could not analyse %s: %s", root, exc)
        result = None
    texts: dict[str, list[str]] = {}
    for f in result.findings if result else ():
        if f.category in ("leak", "consent"):
            path = _real(f.path)
            index.setdefault((path, f.line, _byte_col(path, f.line, f.column, texts)), []).append(f)
    _PROJECTS[key] = index
    return index


_FILES: dict[str, dict[Key, list[Finding]]] = {}  # file -> its project's index


def findings_at(filename: str, line: int, col: int) -> list[Finding]:
    path = _real(filename)
    if path not in _FILES:
        _FILES[path] = _analyse(Path(path))
    return _FILES[path].get((path, line, col), [])


def _make(code: str) -> Callable:
    def check(context: object) -> Issue | None:
        node = context.node  # type: ignore[attr-defined]
        hits = [f for f in findings_at(context.filename, node.lineno, node.col_offset)  # type: ignore[attr-defined]
                if f.rule == code]
        if not hits:
            return None
        worst = min(hits, key=lambda f: ("error", "warning", "info").index(f.severity))
        certain = all("by-name" not in f.notes and "by-value" not in f.notes for f in hits)
        return Issue(severity=_SEVERITY[worst.severity], cwe=_CWE,
                            confidence=constants.HIGH if certain else constants.MEDIUM,
                            text="; ".join(f"{f.message} (privlint {code})" for f in hits))

    check.__name__ = check.__qualname__ = f"privlint_{code.lower()}"
    return test.checks("Call")(test.test_id(code)(check))


for _code in CODES:
    globals()[f"privlint_{_code.lower()}"] = _make(_code)
