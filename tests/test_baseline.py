"""Baselines through the real CLI: adopt privlint on code with leaks, then only new leaks fail."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from privlint import baseline
from privlint.cli import main

HOST = '    posthog.capture("b", distinct_id="s", properties={"h": socket.gethostname()})\n'
USER = '    posthog.capture("u", distinct_id="s", properties={"u": getpass.getuser()})\n'
OPT_IN = '    if os.environ.get("APP_TELEMETRY") != "1":\n        return\n'  # consent-correct: no PII501
HEAD = "import getpass, os, socket, posthog\n\n\ndef boot():\n" + OPT_IN


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text(HEAD + HOST + USER)
    return tmp_path


def scan(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, list[dict]]:
    code = main(["scan", ".", "--format", "json", *args])
    out = capsys.readouterr().out
    return code, json.loads(out)["findings"] if out else []


def test_adopt_then_only_new_leaks_fail(project: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["scan", ".", "--baseline", "bl.json", "--update-baseline"]) == 0
    assert "recorded 2 findings in bl.json" in capsys.readouterr().err
    doc = json.loads((project / "bl.json").read_text())
    assert doc["tool"] == "privlint" and len(doc["findings"]) == 2
    entry = doc["findings"][0]
    assert set(entry) >= {"fingerprint", "count", "rule", "path", "message"}
    assert entry["path"] == "app.py" and entry["count"] == 1 and entry["rule"] in ("PII101", "PII102")
    assert scan(capsys, "--baseline", "bl.json") == (0, [])
    # code inserted above keeps the recorded findings matched; a new leak elsewhere is reported
    (project / "app.py").write_text("import os\n# moved down\n" + HEAD + HOST + USER
                                    + "\n\ndef later():\n" + OPT_IN + HOST)
    code, found = scan(capsys, "--baseline", "bl.json")
    assert code == 1 and [(f["rule"], f["line"]) for f in found] == [("PII102", 16)]


def test_second_identical_leak_in_same_function_is_new(project: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    assert main(["scan", ".", "--baseline", "bl.json", "--update-baseline"]) == 0
    (project / "app.py").write_text(HEAD + HOST + USER + HOST)
    code, found = scan(capsys, "--baseline", "bl.json")
    assert code == 1 and [f["rule"] for f in found] == ["PII102"]


def test_counts_per_fingerprint(project: Path, capsys: pytest.CaptureFixture) -> None:
    capsys.readouterr()
    assert main(["scan", ".", "--format", "json"]) == 1
    fps = [f["fingerprint"] for f in json.loads(capsys.readouterr().out)["findings"]]
    (project / "bl.json").write_text(json.dumps({"findings": [{"fingerprint": fps[0], "count": 1}]}))
    code, found = scan(capsys, "--baseline", "bl.json")
    assert code == 1 and [f["fingerprint"] for f in found] == fps[1:]


def test_update_drops_findings_that_went_away(project: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["scan", ".", "--baseline", "bl.json", "--update-baseline"]) == 0
    (project / "app.py").write_text(HEAD + HOST)
    assert main(["scan", ".", "--baseline", "bl.json", "--update-baseline"]) == 0
    (entry,) = json.loads((project / "bl.json").read_text())["findings"]
    assert entry["rule"] == "PII102"
    (project / "app.py").write_text(HEAD + HOST + USER)  # the removed leak comes back: it is new
    code, found = scan(capsys, "--baseline", "bl.json")
    assert code == 1 and [f["rule"] for f in found] == ["PII101"]


def test_config_key_baseline(project: Path, capsys: pytest.CaptureFixture) -> None:
    (project / "pyproject.toml").write_text('[tool.privlint]\nbaseline = "ci/privlint-baseline.json"\n')
    (project / "src").mkdir()
    (project / "app.py").rename(project / "src" / "app.py")
    assert main(["scan", "src", "--update-baseline"]) == 0  # path relative to the config file
    assert (project / "ci" / "privlint-baseline.json").is_file()
    assert main(["scan", "src"]) == 0
    assert main(["scan", "src", "--baseline", "none.json"]) == 2  # the command line wins


def test_bad_baselines_exit_2(project: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["scan", ".", "--baseline", "missing.json"]) == 2
    assert "--update-baseline" in capsys.readouterr().err
    (project / "bad.json").write_text("{not json")
    assert main(["scan", ".", "--baseline", "bad.json"]) == 2
    (project / "bad.json").write_text('{"findings": [{"count": 1}]}')
    assert main(["scan", ".", "--baseline", "bad.json"]) == 2
    assert "findings[0]" in capsys.readouterr().err


def test_update_needs_a_file_and_a_whole_scan(project: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["scan", ".", "--update-baseline"]) == 2
    assert "--baseline FILE" in capsys.readouterr().err
    assert main(["scan", "app.py", "--baseline", "bl.json", "--update-baseline"]) == 2
    assert not (project / "bl.json").exists()


def test_write_is_atomic(project: Path, monkeypatch: pytest.MonkeyPatch,
                         capsys: pytest.CaptureFixture) -> None:
    assert main(["scan", ".", "--baseline", "bl.json", "--update-baseline"]) == 0
    before = (project / "bl.json").read_bytes()
    assert oct(os.stat(project / "bl.json").st_mode & 0o777) == "0o644"

    def killed(src: str, dst: str) -> None:
        raise KeyboardInterrupt  # the run is interrupted between writing and renaming

    monkeypatch.setattr(baseline.os, "replace", killed)
    (project / "app.py").write_text(HEAD + HOST)
    assert main(["scan", ".", "--baseline", "bl.json", "--update-baseline"]) == 2
    assert (project / "bl.json").read_bytes() == before
    left = sorted(p.name for p in project.iterdir() if p.name != ".privlint_cache")  # the facts cache
    assert left == ["app.py", "bl.json"]  # no temp file left


def test_baselined_count_in_stats(project: Path, capsys: pytest.CaptureFixture) -> None:
    main(["scan", ".", "--baseline", "bl.json", "--update-baseline"])
    capsys.readouterr()
    main(["scan", ".", "--format", "json", "--baseline", "bl.json"])
    assert json.loads(capsys.readouterr().out)["stats"]["baselined"] == 2
    main(["scan", ".", "--baseline", "bl.json"])
    assert capsys.readouterr().out.endswith("Found 0 findings in 1 files (8 lines) (2 in the baseline).\n")
