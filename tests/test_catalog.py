"""The data catalog: built from the code, rendered for people, and drift failing the build."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from privlint.cli import main

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "demo"


@pytest.fixture()
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root)
    monkeypatch.chdir(root)
    return root


def catalog_of(capsys: pytest.CaptureFixture, *args: str) -> dict:
    assert main(["catalog", ".", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_demo_catalog_lists_events_fields_and_classes(demo: Path, capsys: pytest.CaptureFixture) -> None:
    doc = catalog_of(capsys)
    assert doc["catalog"] == 1 and doc["version"] == "1"
    events = {e["event"]: e for e in doc["events"]}
    assert sorted(events) == ["crash", "deploy", "new", "upgrade-failed", "whoami"]
    new = events["new"]["fields"]
    assert new["properties.os"] == {"class": "enum", "values": ["Darwin", "Linux", "Windows"]}
    assert new["properties.host"] == {"class": "identifier:hostname"}
    assert new["session"] == {"class": "session-id"}
    assert events["whoami"]["fields"]["properties.python"] == {"class": "version"}
    assert events["crash"]["fields"]["install"] == {"class": "identifier:persistent-id"}
    # the collector's credentials are configuration, not collected data
    assert not any("authorization" in f.lower() for e in doc["events"] for f in e["fields"])
    assert "dfxlite.telemetry.record" in events["new"]["sinks"]
    assert events["new"]["locations"] == ["dfxlite/cli.py:27", "dfxlite/cli.py:28"]


def test_catalog_is_stable_and_committed_copy_matches(demo: Path, capsys: pytest.CaptureFixture) -> None:
    first = catalog_of(capsys)
    assert catalog_of(capsys) == first
    assert first == json.loads((demo / "TELEMETRY.json").read_text())


def test_markdown_reads_as_a_privacy_notice(demo: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["catalog", ".", "--format", "markdown"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("# What we collect")
    assert "## `new`" in text and "| `properties.os` | one of a fixed set of values: `Darwin`" in text
    assert "**an identifier (hostname)**" in text


def test_check_passes_on_the_committed_catalog(demo: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["catalog", ".", "--check", "TELEMETRY.json"]) == 0


def add_line(path: Path, after: str, line: str) -> None:
    text = path.read_text()
    assert after in text
    path.write_text(text.replace(after, after + "\n" + line, 1))


def test_a_new_field_fails_the_check(demo: Path, capsys: pytest.CaptureFixture) -> None:
    add_line(demo / "dfxlite" / "cli.py", 'telemetry.record("new", os=facts["os"])  # ok',
             '    telemetry.record("new", arch=platform.machine())')
    assert main(["catalog", ".", "--check", "TELEMETRY.json"]) == 1
    out = capsys.readouterr().out
    assert "PII602" in out and "properties.arch" in out and "update the catalog" in out


def test_a_new_event_and_a_widened_field(demo: Path, capsys: pytest.CaptureFixture) -> None:
    add_line(demo / "dfxlite" / "cli.py", 'telemetry.record("new", os=facts["os"])  # ok',
             '    telemetry.record("init", os=facts["os"])\n'
             '    telemetry.record("new", os=platform.platform())')
    assert main(["catalog", ".", "--check", "TELEMETRY.json"]) == 1
    out = capsys.readouterr().out
    assert "PII601" in out and "'init'" in out
    assert "PII603" in out and "widened from enum" in out


def test_removal_is_information_only(demo: Path, capsys: pytest.CaptureFixture) -> None:
    cli = demo / "dfxlite" / "cli.py"
    line = '    report("whoami", python=platform.python_version())  # ok\n'
    cli.write_text(cli.read_text().replace(line, ""))
    assert main(["catalog", ".", "--check", "TELEMETRY.json"]) == 0
    out = capsys.readouterr().out
    assert "PII604" in out and "properties.python" in out


def test_scan_checks_the_configured_catalog(demo: Path, capsys: pytest.CaptureFixture) -> None:
    main(["scan", ".", "--format", "json"])
    before = json.loads(capsys.readouterr().out)
    assert not [f for f in before["findings"] if f["category"] == "catalog"]
    add_line(demo / "dfxlite" / "cli.py", 'telemetry.record("new", os=facts["os"])  # ok',
             '    telemetry.record("new", arch=platform.machine())')
    main(["scan", ".", "--format", "json"])
    after = json.loads(capsys.readouterr().out)
    (drift,) = [f for f in after["findings"] if f["category"] == "catalog"]
    assert drift["rule"] == "PII602" and drift["path"] == "dfxlite/cli.py"


def test_unreadable_catalog_is_an_error(demo: Path, capsys: pytest.CaptureFixture) -> None:
    (demo / "broken.json").write_text("{not json")
    assert main(["catalog", ".", "--check", "broken.json"]) == 2
    assert "broken.json" in capsys.readouterr().err
