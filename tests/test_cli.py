"""The command line contract (shared/spec/cli.md): exit codes, formats, errors, no tracebacks."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from privlint import __version__
from privlint.cli import main

LEAK = ('import os, socket, posthog\n'  # sends only after the user opted in: no PII501, one leak
        'if os.environ.get("APP_TELEMETRY") == "1":\n'
        '    posthog.capture("b", distinct_id="s", properties={"h": socket.gethostname()})\n')
SAFE = ('import platform, posthog\n'
        'def enabled():\n    return False\n'
        'if enabled():\n    posthog.capture("b", distinct_id="s", properties={"os": platform.system()})\n')


def write(tmp: Path, name: str, text: str) -> Path:
    p = tmp / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def test_console_entry_flushes_the_report_and_keeps_the_exit_code(tmp_path: Path) -> None:
    """``python -m privlint`` ends with ``os._exit`` (cli.entry): the whole report must still
    be written and the exit code must still say what was found."""
    write(tmp_path / "leaky", "app.py", LEAK)
    write(tmp_path / "clean", "app.py", SAFE)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    for tree, code in (("leaky", 1), ("clean", 0)):
        run = subprocess.run([sys.executable, "-m", "privlint", "scan", "--no-cache", "--format", "json",
                              str(tmp_path / tree)], capture_output=True, text=True, env=env, timeout=120)
        assert run.returncode == code, run.stderr
        report = json.loads(run.stdout)  # complete: flushed before the process ended
        assert len(report["findings"]) == code
    bad = subprocess.run([sys.executable, "-m", "privlint", "scan", "--format", "nope", str(tmp_path)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_leak_exits_1_and_clean_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    write(tmp_path / "leaky", "app.py", LEAK)
    write(tmp_path / "clean", "app.py", SAFE)
    assert main(["scan", str(tmp_path / "leaky")]) == 1
    out = capsys.readouterr().out
    assert "PII102 hostname from socket.gethostname() reaches posthog.capture" in out
    assert "Found 1 finding" in out
    assert main(["scan", str(tmp_path / "clean")]) == 0


def test_json_report_shape(tmp_path: Path, capsys: pytest.CaptureFixture,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "app.py", LEAK)
    monkeypatch.chdir(tmp_path)
    assert main(["scan", ".", "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["tool"] == {"name": "privlint", "version": __version__}
    (f,) = doc["findings"]
    assert f["rule"] == "PII102" and f["category"] == "leak" and f["severity"] == "error"
    assert f["kinds"] == ["hostname"] and f["path"] == "app.py" and f["line"] == 3
    assert f["column"] == 5 and f["end_line"] == 3 and f["end_column"] > f["column"]
    assert f["sink"] == "posthog.capture" and f["field"] == 'properties["h"]'
    assert f["trace"][0]["step"] == "source" and f["trace"][-1]["step"] == "sink"
    assert len(f["fingerprint"]) >= 16
    assert doc["errors"] == [] and doc["stats"]["files"] == 1


def test_json_report_has_one_finding_per_line(tmp_path: Path, capsys: pytest.CaptureFixture,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Readable and diffable: each finding is one line of the report (json_report.render)."""
    write(tmp_path, "app.py", LEAK + LEAK.replace("socket.gethostname()", "getpass.getuser()")
          .replace("import os, socket, posthog", "import getpass"))
    monkeypatch.chdir(tmp_path)
    main(["scan", ".", "--format", "json"])
    text = capsys.readouterr().out
    doc = json.loads(text)
    lines = [ln.strip().rstrip(",") for ln in text.splitlines()]
    assert len(doc["findings"]) == 2
    for f in doc["findings"]:
        assert json.dumps(f, ensure_ascii=False) in lines


def test_fingerprint_survives_code_inserted_above(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "app.py", LEAK)
    main(["scan", ".", "--format", "json"])
    first = json.loads(capsys.readouterr().out)["findings"][0]
    write(tmp_path, "app.py", "# a comment\nimport os\n\n" + LEAK)
    main(["scan", ".", "--format", "json"])
    second = json.loads(capsys.readouterr().out)["findings"][0]
    assert second["line"] == first["line"] + 3
    assert second["fingerprint"] == first["fingerprint"]


def test_syntax_error_is_reported_and_rest_scanned(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "app.py", LEAK)
    write(tmp_path, "old.py", 'print "hi"\n')
    assert main(["scan", ".", "--format", "json"]) == 2  # 2 wins over 1
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["findings"]) == 1
    (err,) = doc["errors"]
    assert err["path"] == "old.py" and err["line"] == 1 and "syntax error" in err["message"]


def test_missing_path_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["scan", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such file or directory" in err and "Traceback" not in err


def test_missing_path_listed_in_json(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["scan", str(tmp_path / "nope"), "--format", "json"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc["errors"][0]["message"] == "no such file or directory"


def test_output_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    write(tmp_path / "p", "app.py", LEAK)
    out = tmp_path / "report.json"
    assert main(["scan", str(tmp_path / "p"), "--format", "json", "--output", str(out)]) == 1
    assert capsys.readouterr().out == ""
    assert json.loads(out.read_text())["findings"]


def test_bad_config_names_the_key(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    write(tmp_path, "pyproject.toml", '[tool.privlint]\nsinkz = ["a.b"]\n')
    write(tmp_path, "app.py", LEAK)
    assert main(["scan", str(tmp_path)]) == 2
    assert "tool.privlint.sinkz" in capsys.readouterr().err


def test_fail_on_error_ignores_warnings(tmp_path: Path) -> None:
    write(tmp_path, "app.py", 'import os, sys, posthog\nif os.environ.get("APP_TELEMETRY") == "1":\n'
                              '    posthog.capture("b", distinct_id="s", '
                              'properties={"argv": sys.argv[1:]})\n')
    assert main(["scan", str(tmp_path)]) == 1  # free-text is a warning; default fail-on warning
    assert main(["scan", str(tmp_path), "--fail-on", "error"]) == 0


def test_select_and_ignore(tmp_path: Path) -> None:
    write(tmp_path, "app.py", LEAK)
    assert main(["scan", str(tmp_path), "--ignore", "PII1"]) == 0
    assert main(["scan", str(tmp_path), "--select", "PII3"]) == 0
    assert main(["scan", str(tmp_path), "--select", "PII102"]) == 1


def test_rules_and_explain(capsys: pytest.CaptureFixture) -> None:
    assert main(["rules"]) == 0
    listing = capsys.readouterr().out
    assert "PII102" in listing and "PII501" in listing
    assert main(["explain", "pii102"]) == 0
    text = capsys.readouterr().out
    assert "Why it matters" in text and "Leaking example" in text and "Fix" in text
    assert main(["explain", "PII999"]) == 2


def test_version(capsys: pytest.CaptureFixture) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"privlint {__version__}"


def test_usage_error_exit_2(capsys: pytest.CaptureFixture) -> None:
    assert main(["scan", "--format", "xml"]) == 2


# ---------------------------------------------------------------- --diff-base, progress, formats

def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=cwd, check=True,
                   capture_output=True)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository: main has one leak; the branch adds a source used by an unchanged sink."""
    for k, v in {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
                 "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
                 "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}.items():
        monkeypatch.setenv(k, v)
    write(tmp_path, "pkg/__init__.py", "")
    write(tmp_path, "pkg/old.py", LEAK)
    write(tmp_path, "pkg/facts.py", "def facts():\n    return {}\n")
    write(tmp_path, "pkg/send.py", "import os, posthog\nfrom pkg.facts import facts\n\n\ndef boot():\n"
                                   '    if os.environ.get("APP_TELEMETRY") == "1":\n'
                                   '        posthog.capture("b", distinct_id="s", properties=facts())\n')
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "base")
    git(tmp_path, "checkout", "-q", "-b", "feature")
    write(tmp_path, "pkg/facts.py", 'import getpass\n\n\ndef facts():\n    return {"u": getpass.getuser()}\n')
    write(tmp_path, "pkg/new.py", LEAK)
    write(tmp_path, "README.md", "changed, not Python\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "feature")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_diff_base_reports_changed_files_only(repo: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["scan", ".", "--format", "json"]) == 1
    every = {(f["path"], f["rule"]) for f in json.loads(capsys.readouterr().out)["findings"]}
    assert every == {("pkg/old.py", "PII102"), ("pkg/new.py", "PII102"), ("pkg/send.py", "PII101")}
    assert main(["scan", ".", "--format", "json", "--diff-base", "main"]) == 1
    found = {(f["path"], f["rule"]) for f in json.loads(capsys.readouterr().out)["findings"]}
    # the user name is born in the changed facts.py and lands in the unchanged send.py: reported
    assert found == {("pkg/new.py", "PII102"), ("pkg/send.py", "PII101")}
    assert main(["scan", "pkg", "--format", "json", "--diff-base", "main"]) == 1  # git run in pkg/
    paths = {f["path"] for f in json.loads(capsys.readouterr().out)["findings"]}
    assert "pkg/new.py" in paths and "pkg/old.py" not in paths
    assert main(["scan", "pkg", "--diff-base", "feature"]) == 0  # nothing changed since itself
    assert main(["scan", "pkg/new.py", "pkg/old.py", "--diff-base", "main"]) == 1  # both filters


def test_diff_base_errors_exit_2(repo: Path, tmp_path_factory: pytest.TempPathFactory,
                                 capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["scan", ".", "--diff-base", "no-such-ref"]) == 2
    err = capsys.readouterr().err
    assert "--diff-base no-such-ref: git diff failed" in err and err.count("\n") == 1
    assert main(["scan", ".", "--diff-base=--output=x"]) == 2
    assert "is not a git ref" in capsys.readouterr().err
    elsewhere = tmp_path_factory.mktemp("not-a-repo")
    write(elsewhere, "app.py", LEAK)
    assert main(["scan", str(elsewhere), "--diff-base", "main"]) == 2
    assert "is not in a git repository" in capsys.readouterr().err
    monkeypatch.setenv("PATH", str(elsewhere))  # no git on PATH
    assert main(["scan", ".", "--diff-base", "main"]) == 2
    assert "git was not found" in capsys.readouterr().err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal(tmp_path: Path, capsys: pytest.CaptureFixture,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "app.py", SAFE)
    write(tmp_path, "b.py", "x = 1\n")
    assert main(["scan", str(tmp_path)]) == 0
    assert capsys.readouterr().err == ""
    term = _Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    assert main(["scan", str(tmp_path)]) == 0
    assert term.getvalue() == "privlint: scanning 2 files...\r\033[K"
    assert "scanning" not in capsys.readouterr().out


def test_every_format_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    write(tmp_path, "app.py", LEAK)
    for fmt in ("text", "json", "sarif", "github"):
        assert main(["scan", str(tmp_path), "--format", fmt]) == 1
        assert "PII102" in capsys.readouterr().out


def test_unknown_pack_is_a_config_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    write(tmp_path, "pyproject.toml", '[tool.privlint]\npacks = ["nosuchpack"]\n')
    write(tmp_path, "app.py", "x = 1\n")
    assert main(["scan", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "tool.privlint.packs" in err and "logging" in err


def test_per_path_ignores_must_be_a_table(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    write(tmp_path, "pyproject.toml", '[tool.privlint]\nper-path-ignores = ["tests/**"]\n')
    write(tmp_path, "app.py", "x = 1\n")
    assert main(["scan", str(tmp_path)]) == 2
    assert "tool.privlint.per-path-ignores" in capsys.readouterr().err
