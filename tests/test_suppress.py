"""Inline suppressions through the real CLI: where they apply, and how careless ones are reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from privlint.cli import main

HOST = 'posthog.capture("b", distinct_id="s", properties={"h": socket.gethostname()})'


def scan(tmp: Path, source: str, capsys: pytest.CaptureFixture, *extra: str) -> tuple[int, dict]:
    """Scan ``source`` as app.py. Its sends skip the consent check, so PII5 is ignored; a caller
    passing its own ``--ignore`` (which replaces this one) must list PII5 too."""
    (tmp / "app.py").write_text("import socket, posthog, sys\n\n" + source)
    code = main(["scan", str(tmp), "--format", "json", "--ignore", "PII5", *extra])
    return code, json.loads(capsys.readouterr().out)


def rules(doc: dict) -> list[tuple[str, int]]:
    return [(f["rule"], f["line"]) for f in doc["findings"]]


def test_trailing_comment_suppresses(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code, doc = scan(tmp_path, f"{HOST}  # privlint: ignore[PII102] our build server's name\n", capsys)
    assert code == 0 and doc["findings"] == [] and doc["stats"]["suppressed"] == 1


def test_any_line_of_a_multiline_statement(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    src = ('posthog.capture(\n    "b", distinct_id="s",\n'
           '    properties={"h": socket.gethostname()},\n)  # privlint: ignore[PII102] reviewed\n')
    assert scan(tmp_path, src, capsys)[1]["findings"] == []
    src = ('posthog.capture(  # privlint: ignore[PII102] reviewed\n    "b", distinct_id="s",\n'
           '    properties={"h": socket.gethostname()})\n')
    assert scan(tmp_path, src, capsys)[1]["findings"] == []


def test_own_line_above_and_stacked(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    src = ("def f():\n    # privlint: ignore[PII102] host of our CI runner\n"
           "    # privlint: ignore[PII403] the argv of our own tool, reviewed\n"
           '    posthog.capture("b", distinct_id="s", properties={"h": socket.gethostname(), '
           '"a": sys.argv[1:]})\n')
    code, doc = scan(tmp_path, src, capsys)
    assert (code, doc["findings"], doc["stats"]["suppressed"]) == (0, [], 2)


def test_comment_two_lines_above_does_not_apply(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    src = f"# privlint: ignore[PII102] too far away\n\n{HOST}\n"
    assert rules(scan(tmp_path, src, capsys)[1]) == [("PII003", 3), ("PII102", 5)]


def test_wrong_code_does_not_suppress(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code, doc = scan(tmp_path, f"{HOST}  # privlint: ignore[PII101] wrong kind\n", capsys)
    assert code == 1 and rules(doc) == [("PII003", 3), ("PII102", 3)]


def test_reason_required(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code, doc = scan(tmp_path, f"{HOST}  # privlint: ignore[PII102]\n", capsys)
    (f,) = doc["findings"]  # the leak is suppressed; the missing reason is reported in its place
    assert code == 1 and (f["rule"], f["line"]) == ("PII001", 3)
    assert f["category"] == "suppression" and f["severity"] == "warning" and f["kinds"] == []
    assert f["fingerprint"] and f["trace"] == [] and "no reason" in f["message"]
    assert scan(tmp_path, f"{HOST}  # privlint: ignore[PII102] -- \n", capsys)[1]["findings"][0][
        "rule"] == "PII001"


def test_unknown_code_and_blanket(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _, doc = scan(tmp_path, f"{HOST}  # privlint: ignore[PII102, PII999] reviewed\n", capsys)
    assert rules(doc) == [("PII002", 3)] and "PII999" in doc["findings"][0]["message"]
    _, doc = scan(tmp_path, f"{HOST}  # privlint: ignore reviewed\n", capsys)
    assert rules(doc) == [("PII002", 3), ("PII102", 3)]  # a blanket ignore suppresses nothing


def test_unused_suppression(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code, doc = scan(tmp_path, "x = 1  # privlint: ignore[PII101] legacy\n", capsys)
    assert code == 1 and rules(doc) == [("PII003", 3)]
    assert "PII101" in doc["findings"][0]["message"]


def test_used_suppression_is_not_unused_when_filtered(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture) -> None:
    src = f"{HOST}  # privlint: ignore[PII102] reviewed\n"
    assert scan(tmp_path, src, capsys, "--select", "PII0")[1]["findings"] == []
    assert scan(tmp_path, src, capsys, "--ignore", "PII1,PII5")[1]["findings"] == []
    code, doc = scan(tmp_path, "x = 1  # privlint: ignore[PII101] legacy\n", capsys, "--ignore",
                     "PII0,PII5")
    assert (code, doc["findings"]) == (0, [])


def test_suppression_fingerprint_ignores_lines(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    first = scan(tmp_path, "x = 1  # privlint: ignore[PII101] legacy\n", capsys)[1]["findings"][0]
    second = scan(tmp_path, "\n\ny = 2\nx = 1  # privlint: ignore[PII101] legacy\n", capsys)[1]
    assert second["findings"][0]["fingerprint"] == first["fingerprint"]


def test_allowlist_pragma_for_secrets(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    secret = 'TOKEN = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"'
    send = 'posthog.capture("b", distinct_id="s", properties={"t": TOKEN})\n'
    code, doc = scan(tmp_path, f"{secret}\n{send}", capsys)
    assert code == 1 and [f["rule"] for f in doc["findings"]] == ["PII301"]
    code, doc = scan(tmp_path, f"{secret}  # pragma: allowlist secret\n{send}", capsys)
    assert (code, doc["findings"], doc["stats"]["suppressed"]) == (0, [], 1)
    code, doc = scan(tmp_path, f"{secret}\n{send.rstrip()}  # pragma: allowlist secret\n", capsys)
    assert (code, doc["findings"]) == (0, [])


def test_allowlist_pragma_is_only_for_secrets(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _, doc = scan(tmp_path, f"{HOST}  # pragma: allowlist secret\n", capsys)
    assert rules(doc) == [("PII102", 3)]  # not a secret; and the pragma is detect-secrets' too
    _, doc = scan(tmp_path, "x = 1  # pragma: allowlist secret\n", capsys)
    assert doc["findings"] == []  # never reported as unused


def test_only_reported_files_show_suppression_problems(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "other.py").write_text("x = 1  # privlint: ignore[PII101] legacy\n")
    (tmp_path / "app.py").write_text("import socket, posthog\n" + HOST + "\n")
    assert main(["scan", str(tmp_path / "app.py"), "--format", "json", "--ignore", "PII5"]) == 1
    assert [f["rule"] for f in json.loads(capsys.readouterr().out)["findings"]] == ["PII102"]
    assert main(["scan", str(tmp_path / "other.py"), "--format", "json"]) == 1
    assert [f["rule"] for f in json.loads(capsys.readouterr().out)["findings"]] == ["PII003"]


def test_text_report_shows_suppression_problem(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "app.py").write_text("x = 1  # privlint: ignore[PII101]\n")
    assert main(["scan", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "app.py:1:1: PII001 suppression ignore[PII101] gives no reason" in out
    assert "PII003 suppression ignore[PII101] suppresses no finding" in out
