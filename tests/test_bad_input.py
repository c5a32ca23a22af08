"""Every input gets an answer (issue 8): analysed, or listed in ``errors`` with a clear reason,
the rest of the scan completes, a leak beside the bad files is still found, and exit code 2."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from privlint.cli import main

LEAK = ("import socket, posthog\n"
        "def boot():\n"
        "    posthog.capture('b', distinct_id='s', properties={'h': socket.gethostname()})\n")


def build(root: Path) -> dict[str, str]:
    """Write a directory of bad inputs; returns file -> the words its error must contain."""
    expect: dict[str, str] = {}

    def put(name: str, data: bytes, words: str | None) -> None:
        (root / name).write_bytes(data)
        if words:
            expect[name] = words

    put("leak.py", LEAK.encode(), None)
    put("syntax.py", b"def f(:\n    pass\n", "syntax error")
    put("py2.py", b'print "hello"\n', "syntax error")
    put("latin1.py", "# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n".encode("latin-1"), None)
    put("bom.py", b"\xef\xbb\xbfx = 1\n", None)
    put("bad_utf8.py", b"x = '\xff\xfe'\n", "decode")
    put("nul.py", b"x = 1\x00\n", "NUL")
    put("binary.py", bytes(range(256)) * 4, "NUL")
    put("empty.py", b"", None)
    put("long.py", b"x = 1\n" * 200_000, None)
    put("nested.py", b"x = " + b"(" * 1500 + b"1" + b")" * 1500 + b"\n", "too many nested parentheses")
    put("sum.py", b"x = " + b" + ".join([b"a"] * 5000) + b"\n", "nested")
    put("newer.py", b"type Point = tuple[float, float]\n", None)
    (root / "dir.py").mkdir()
    (root / "loop").mkdir()
    os.symlink(root / "loop", root / "loop" / "again")
    return expect


def test_bad_inputs_are_reported_and_the_leak_is_found(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    expect = build(tmp_path)
    monkeypatch.chdir(tmp_path)
    code = main(["scan", ".", "--format", "json", "--ignore", "PII5"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    doc = json.loads(captured.out)
    errors = {e["path"]: e["message"] for e in doc["errors"]}
    for name, words in expect.items():
        assert name in errors, (name, errors)
        assert words.lower() in errors[name].lower(), (name, errors[name])
    analysed_ok = {"leak.py", "latin1.py", "bom.py", "empty.py", "long.py", "newer.py"}
    assert not analysed_ok & set(errors), errors
    assert [f["rule"] for f in doc["findings"]] == ["PII102"]
    assert code == 2


def test_unreadable_and_vanishing_files(tmp_path: Path, capsys: pytest.CaptureFixture,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "leak.py").write_text(LEAK)
    (tmp_path / "secret.py").write_text("x = 1\n")
    (tmp_path / "gone.py").write_text("x = 1\n")
    real_open = open

    def fake_open(file, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        name = os.fspath(file) if not isinstance(file, int) else ""
        if name.endswith("secret.py"):
            raise PermissionError(13, "Permission denied", name)
        if name.endswith("gone.py"):
            raise FileNotFoundError(2, "No such file or directory", name)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", fake_open)
    monkeypatch.chdir(tmp_path)
    code = main(["scan", ".", "--format", "json", "--ignore", "PII5", "--jobs", "1", "--no-cache"])
    doc = json.loads(capsys.readouterr().out)
    errors = {e["path"]: e["message"] for e in doc["errors"]}
    assert "Permission denied" in errors["secret.py"]
    assert "gone.py" in errors
    assert [f["rule"] for f in doc["findings"]] == ["PII102"]
    assert code == 2
