"""privlint never runs the code it reads and never talks to the network (issue 8).

A scan runs under an audit hook that fails on any socket connection, any subprocess, and any
compile/exec or import of a scanned file. (Python itself compiles code for dataclasses and named
tuples while privlint runs: only code whose file is a scanned file counts.) Compiling a scanned
file to a syntax tree only (``ast.parse``, ``PyCF_ONLY_AST``: the outline pre-pass,
facts/outline.py) makes no code object and is allowed; the test tells it apart by watching the
flags ``compile`` is called with.
"""

from __future__ import annotations

import ast
import builtins
import json
import sys
from pathlib import Path

import pytest

from privlint.cli import main
from privlint.scan import ScanRequest, run_scan

HOSTILE = {
    "evil/__init__.py": "import os\nopen(os.path.join({marker!r}, 'imported'), 'w').write('x')\n",
    "evil/net.py": "import socket\nsocket.create_connection(('127.0.0.1', 9)).send(b'x')\n",
    "evil/run.py": "import subprocess\nsubprocess.run(['touch', {marker!r} + '/ran'])\n",
    "evil/exec.py": "exec(\"open({marker!r} + '/exec', 'w').write('x')\")\n",
    "evil/leak.py": "import socket, posthog\n"
                    "posthog.capture('e', distinct_id='s', properties={{'h': socket.gethostname()}})\n",
}

_state: dict = {"armed": False, "scanned": set(), "events": []}


def _hook(event: str, args: tuple) -> None:
    if not _state["armed"]:
        return
    bad = None
    if event in ("socket.connect", "socket.getaddrinfo", "subprocess.Popen", "os.system", "os.exec",
                 "os.posix_spawn", "os.spawn"):
        bad = event
    elif event == "compile" and len(args) > 1 and str(args[1]) in _state["scanned"] \
            and not _state.get("ast_only"):
        bad = f"compile {args[1]}"
    elif event == "exec" and getattr(args[0], "co_filename", None) in _state["scanned"]:
        bad = f"exec {args[0].co_filename}"
    elif event == "import" and args and str(args[0]).split(".")[0] == "evil":
        bad = f"import {args[0]}"
    if bad:
        _state["events"].append(bad)
        raise RuntimeError(f"privlint did something it must never do: {bad}")


sys.addaudithook(_hook)
_real_compile = builtins.compile


def _watching_compile(source, filename, mode, flags=0, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
    """``compile`` that tells the hook whether this call only builds a syntax tree."""
    previous = _state.get("ast_only", False)
    _state["ast_only"] = bool(flags & ast.PyCF_ONLY_AST)
    try:
        return _real_compile(source, filename, mode, flags, *args, **kwargs)
    finally:
        _state["ast_only"] = previous



@pytest.fixture()
def hostile(tmp_path: Path) -> Path:
    marker = tmp_path / "markers"
    marker.mkdir()
    project = tmp_path / "project"
    for rel, text in HOSTILE.items():
        p = project / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text.format(marker=str(marker)))
    return project


def test_scan_runs_nothing_and_connects_nowhere(hostile: Path) -> None:
    _state["scanned"] = {str(p) for p in hostile.rglob("*.py")} | {
        str(p.resolve()) for p in hostile.rglob("*.py")}
    _state["events"] = []
    req = ScanRequest([str(hostile)])
    if hasattr(req, "jobs"):
        req.jobs = 1  # audit hooks are not inherited by worker processes
    _state["armed"] = True
    builtins.compile = _watching_compile
    try:
        result = run_scan(req)
    finally:
        builtins.compile = _real_compile
        _state["armed"] = False
    assert _state["events"] == []
    assert [f.rule for f in result.findings if f.category == "leak"] == ["PII102"]
    assert not any((hostile.parent / "markers").iterdir())


def test_output_is_deterministic(hostile: Path, capsys: pytest.CaptureFixture,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parent.parent / "fixtures")
    runs = []
    for _ in range(2):
        main(["scan", ".", "--format", "json"])
        doc = json.loads(capsys.readouterr().out)
        doc.pop("stats")
        runs.append(json.dumps(doc, sort_keys=True))
    assert runs[0] == runs[1]
