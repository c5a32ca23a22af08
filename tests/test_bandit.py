"""The bandit adapter: the real ``bandit`` command reports privlint's findings under their own ids."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import pytest

pytest.importorskip("bandit")

from privlint.integrations import bandit_plugin  # noqa: E402 - needs bandit

ROOT = Path(__file__).resolve().parent.parent


def test_entry_points_cover_every_leak_and_consent_rule() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"][
        "bandit.plugins"]
    want = {f"privlint_{c.lower()}" for c in bandit_plugin.CODES}
    assert set(declared) == want
    for name, target in declared.items():
        assert target == f"privlint.integrations.bandit_plugin:{name}"
        func = getattr(bandit_plugin, name)
        assert func._test_id == name.removeprefix("privlint_").upper() and func._checks == ["Call"]
    installed = {e.name for e in entry_points(group="bandit.plugins")}
    assert want <= installed, "reinstall privlint (pip install -e '.[test]') to register the plugins"


def bandit(*args: str, cwd: Path) -> dict:
    proc = subprocess.run([sys.executable, "-m", "bandit", "-q", "-f", "json", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def test_bandit_reports_cross_module_leaks(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\n')
    pkg = tmp_path / "src" / "app"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "facts.py").write_text('import getpass\n\n\ndef facts():\n    return {"u": getpass.getuser()}\n')
    (pkg / "send.py").write_text(
        "import os, socket\nimport posthog\nfrom app.facts import facts\n\n\ndef boot():\n"
        '    db_password = "hunter2hunter2"\n'
        '    posthog.capture("b", distinct_id="s", properties=facts())\n'
        '    posthog.capture("h", distinct_id="s", properties={"h": socket.gethostname()})\n'
        '    posthog.capture("h", distinct_id="s", properties={"h": socket.gethostname()})  # nosec PII102\n'
        "    return db_password\n\n\n"
        "def main():\n"  # boot() sends only after the user opted in (no PII501)
        '    if os.environ.get("APP_TELEMETRY") == "1":\n'
        "        boot()\n")
    doc = bandit("-r", "src", cwd=tmp_path)
    got = sorted((r["test_id"], r["line_number"], r["col_offset"]) for r in doc["results"])
    assert got == [("B105", 7, 18), ("PII101", 8, 4), ("PII102", 9, 4)]
    by_id = {r["test_id"]: r for r in doc["results"]}
    assert by_id["PII101"]["test_name"] == "privlint_pii101"
    assert by_id["PII101"]["issue_severity"] == "HIGH"
    assert by_id["PII101"]["issue_text"].startswith("username from getpass.getuser() reaches posthog")
    assert by_id["PII101"]["filename"].endswith("send.py")
    only = bandit("-r", "src", "-t", "PII102", cwd=tmp_path)
    assert [(r["test_id"], r["line_number"]) for r in only["results"]] == [("PII102", 9)]


def test_unicode_columns_match_ast_offsets(tmp_path: Path) -> None:
    (tmp_path / "setup.py").write_text("")
    (tmp_path / "app.py").write_text(
        'import os, socket, posthog, sys\n'
        'if os.environ.get("APP_TELEMETRY") != "1":  # opt-in, so no PII501\n    sys.exit(0)\n'
        'note = "héllo"; posthog.capture("b", distinct_id="s", '
        'properties={"h": socket.gethostname()})\n')
    doc = bandit("app.py", cwd=tmp_path)
    assert [(r["test_id"], r["line_number"], r["col_offset"]) for r in doc["results"]] == [
        ("PII102", 4, 17)]  # byte offset: "é" is two bytes in UTF-8
