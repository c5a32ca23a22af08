"""Re-solving only what a change can affect (solve/incremental.py).

Every test compares the scan that re-solves with a scan of the same tree without any cache: a
re-solve must report exactly what a cold scan reports, only sooner.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from test_cache import PLANTED_RAN, _Planted

from privlint.cache import FactsCache, _PiecesHead, encode_entry, get_result
from privlint.scan import ScanRequest, run_scan
from privlint.solve.values import FlatTrace, Step, Trace

FILES = {
    "pyproject.toml": "[project]\nname = 'app'\n",
    "app/__init__.py": "",
    "app/sink.py": "import posthog\n\n\ndef send(props):\n"
                   "    posthog.capture(\"e\", distinct_id=\"x\", properties=props)\n",
    "app/ids.py": "import getpass\nimport socket\n\n\ndef host():\n    return socket.gethostname()\n\n\n"
                  "def user():\n    return getpass.getuser()\n",
    "app/state.py": "CURRENT = {}\n\n\ndef remember(value):\n    CURRENT[\"v\"] = value\n",
    "app/main.py": "from app.ids import host\nfrom app.sink import send\nfrom app.state import CURRENT\n\n\n"
                   "def report():\n    send({\"h\": host()})\n\n\n"
                   "def later():\n    send({\"v\": CURRENT.get(\"v\")})\n",
    "app/other.py": "from app.sink import send\n\n\ndef ping():\n    send({\"n\": 1})\n",
}


def project(root: Path) -> Path:
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def scan(root: Path, cache: Path | None):  # noqa: ANN201
    return run_scan(ScanRequest([str(root)], jobs=1, use_cache=cache is not None,
                                cache_dir=str(cache) if cache else None))


def view(result) -> list:  # noqa: ANN001
    return [(f.rule, f.path, f.line, f.column, f.message, f.fingerprint,
             [(s.path, s.line, s.column, s.note) for s in f.trace]) for f in result.findings]


def leaks(result) -> list[str]:  # noqa: ANN001
    return sorted(f.message for f in result.findings if f.rule.startswith("PII1"))


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def resolved(root: Path, cache: Path):  # noqa: ANN201
    """A cached scan that re-solved (not a full solve, not a reuse), checked against a cold one
    (whole-scan results are dropped first: a tree seen before would be answered from them)."""
    for entry in (cache / "results").iterdir():
        entry.unlink()
    again = scan(root, cache)
    assert "incremental" in again.stats and "result_reused" not in again.stats
    assert view(again) == view(scan(root, None))
    return again


def test_a_body_edit_re_solves_the_cone_and_reports_as_a_cold_scan(tmp_path: Path) -> None:
    root, cache = project(tmp_path / "p"), tmp_path / "c"
    first = scan(root, cache)
    assert any("hostname" in m for m in leaks(first))
    edit(root, "app/ids.py", "return socket.gethostname()", "return \"localhost\"")
    gone = resolved(root, cache)
    assert not any("hostname" in m for m in leaks(gone))
    # the cone: the changed module's functions and their callers, not the unrelated sender
    assert gone.stats["incremental"]["cone"] < gone.stats["functions"]
    edit(root, "app/ids.py", "return \"localhost\"", "return socket.gethostname()")
    back = resolved(root, cache)
    assert leaks(back) == leaks(first)


def test_a_write_to_shared_state_reaches_its_readers(tmp_path: Path) -> None:
    """``other.ping`` starts storing a user name in a global that ``main.later`` sends: main is
    no caller of other and the last solve saw no write there, yet its finding appears (the
    readers of what the cone writes join it while solving)."""
    root, cache = project(tmp_path / "p"), tmp_path / "c"
    first = scan(root, cache)
    assert not any("user" in m.lower() for m in leaks(first))
    edit(root, "app/other.py", "from app.sink import send\n",
         "from app.ids import user\nfrom app.sink import send\nfrom app.state import remember\n")
    edit(root, "app/other.py", "    send({", "    remember(user())\n    send({")
    again = resolved(root, cache)
    assert any("user" in m.lower() for m in leaks(again))


def test_a_shifted_module_keeps_every_finding_in_place(tmp_path: Path) -> None:
    root, cache = project(tmp_path / "p"), tmp_path / "c"
    scan(root, cache)
    edit(root, "app/main.py", "def report():\n", "# a comment\n\n\ndef report():\n")
    again = resolved(root, cache)
    assert again.stats["incremental"]["changed"] == 1


@pytest.mark.parametrize("new", ["def login_name():", "def user(:"])
def test_a_renamed_function_or_a_syntax_error_solves_everything_again(tmp_path: Path, new: str) -> None:
    """Other modules may resolve a new name, and a file that does not parse has no functions:
    no re-solve of a cone then."""
    root, cache = project(tmp_path / "p"), tmp_path / "c"
    scan(root, cache)
    edit(root, "app/ids.py", "def user():", new)
    again = scan(root, cache)
    assert "incremental" not in again.stats and view(again) == view(scan(root, None))
    why = "cannot be parsed" if "(:" in new else "defines other functions or classes than before"
    assert again.stats["full_solve"].endswith(f"ids.py {why}")
    assert [e.path.endswith("ids.py") for e in again.errors] == ([True] if "(:" in new else [])


def test_nothing_changed_but_the_result_entry_went(tmp_path: Path) -> None:
    """The ledger alone answers: nothing to analyse, the same findings."""
    root, cache = project(tmp_path / "p"), tmp_path / "c"
    first = scan(root, cache)
    for entry in (cache / "results").iterdir():
        entry.unlink()
    again = scan(root, cache)
    assert again.stats["incremental"] == {"changed": 0, "cone": 0, "analysed": 0}
    assert view(again) == view(first)


def test_a_ledger_entry_naming_other_code_is_a_miss_and_never_runs(tmp_path: Path) -> None:
    """The planted entry names test_cache's ``planted_code`` by reference: an unrestricted load
    would call it (and record that), however the caller treats the result."""
    root, cache = project(tmp_path / "p"), tmp_path / "c"
    first = scan(root, cache)
    [entry] = list((cache / "ledger").iterdir())
    got = get_result(FactsCache.open(cache), entry.name, "ledger")
    assert got and got[1]  # a real ledger (its fields, then records by pieces), until planted
    entry.write_bytes(encode_entry(pickle.dumps(_Planted())))
    assert get_result(FactsCache.open(cache), entry.name, "ledger") is None
    # in a later piece, after a valid first one
    pieces = [_PiecesHead(2), {}, _Planted()]
    entry.write_bytes(encode_entry(b"".join(pickle.dumps(p) for p in pieces)))
    assert get_result(FactsCache.open(cache), entry.name, "ledger") is None
    assert PLANTED_RAN == []
    for e in (cache / "results").iterdir():
        e.unlink()
    edit(root, "app/other.py", "{\"n\": 1}", "{\"n\": 2}")
    again = scan(root, cache)  # a full solve instead
    assert "incremental" not in again.stats and leaks(again) == leaks(first)


@pytest.mark.parametrize("steps", [0, 1, 3])
def test_a_trace_comes_back_from_a_ledger_with_every_step(steps: int) -> None:
    s = [Step("a.py", i, 0, "call", f"step {i}") for i in range(steps)]
    rope = Trace.of(*s) + Trace.of(*s)  # a repeated step at the join stays, as in the rope
    back = pickle.loads(pickle.dumps(rope))
    assert isinstance(back, FlatTrace) and list(back) == list(rope) and back.steps() == rope.steps()
    assert len(back) == len(rope) and back.last == rope.last
    longer = back.then(Step("b.py", 9, 0, "sink", "sent"))
    assert list(longer) == [*rope, Step("b.py", 9, 0, "sink", "sent")]
    assert list(Trace.of(Step("c.py", 1, 0, "source", "x")) + back)[1:] == list(rope)


def test_a_function_that_loses_its_last_caller_is_judged_as_an_entry_point(tmp_path: Path) -> None:
    """A ledger keeps what counts at an entry point only for functions nobody calls; when the
    change removes the last call, that function is analysed again (its parameter named like an
    e-mail address reaches a send: a by-name finding)."""
    root, cache = project(tmp_path / "p"), tmp_path / "c"
    (root / "app" / "wrap.py").write_text("from app.sink import send\n\n\n"
                                          "def track(user_email):\n    send({\"e\": user_email})\n")
    (root / "app" / "go.py").write_text("from app.wrap import track\n\n\n"
                                        "def go():\n    track(\"nobody\")\n")
    first = scan(root, cache)
    assert not any("user_email" in m for m in leaks(first))
    edit(root, "app/go.py", "    track(\"nobody\")", "    return None")
    again = resolved(root, cache)
    assert any("user_email" in m for m in leaks(again))


def test_a_re_solve_writes_only_what_differs_and_the_next_one_reads_both(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("privlint.reuse.DELTA_SHARE", 1.0)  # a tiny project: any change is a large share
    root, cache = project(tmp_path / "p"), tmp_path / "c"
    scan(root, cache)
    full = list((cache / "ledger").iterdir())
    edit(root, "app/ids.py", "return socket.gethostname()", "return \"localhost\"")
    resolved(root, cache)
    assert list((cache / "ledger").iterdir()) == full  # the full ledger stays; a delta on it
    assert len(list((cache / "ledger-delta").iterdir())) == 1
    edit(root, "app/other.py", "{\"n\": 1}", "{\"n\": 2}")
    resolved(root, cache)  # full ledger + the last delta
    for entry in (cache / "ledger").iterdir():  # the full ledger went: solved in full again
        entry.unlink()
    edit(root, "app/other.py", "{\"n\": 2}", "{\"n\": 3}")
    again = scan(root, cache)
    assert "incremental" not in again.stats and view(again) == view(scan(root, None))
    assert again.stats["full_solve"] == "the last solve's ledger is gone"


STORE = ("import os\nimport uuid\n\nimport platformdirs\n\n"
         "PATH = os.path.join(platformdirs.user_config_dir(\"app\"), \"install_id\")\n\n\n"
         "def create():\n    with open(PATH, \"w\") as fh:\n        fh.write(uuid.uuid4().hex)\n")
LOAD = ("from app.sink import send\nfrom app.store import PATH\n\n\n"
        "def report():\n    with open(PATH) as fh:\n        send({\"id\": fh.read()})\n")


def test_a_file_written_elsewhere_is_named_in_the_message_after_a_re_solve(tmp_path: Path) -> None:
    """The finding says where the id file is written (another module): a re-solve of the
    reader analyses that writer too, so the message is a cold scan's."""
    root, cache = project(tmp_path / "p"), tmp_path / "c"
    (root / "app" / "store.py").write_text(STORE)
    (root / "app" / "load.py").write_text(LOAD)
    first = scan(root, cache)
    assert any("written at" in s.note for f in first.findings for s in f.trace)
    edit(root, "app/load.py", "def report():\n", "# the reader, shifted\ndef report():\n")
    resolved(root, cache)


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EDITS = {  # what a commit does to a function body, as the first statements of its body
    "shift": ["_shifted = 1"],
    "source": ["import socket as _socket", "_host = _socket.gethostname()"],
    "send": ["import socket as _socket", "import posthog as _posthog",
             "_posthog.capture('edited', {'host': _socket.gethostname()})"],
    "pass": ["pass"],
}


@pytest.mark.parametrize("seed", [1, 2])
def test_random_body_edits_to_a_fixture_tree_re_solve_as_a_cold_scan(tmp_path: Path, seed: int) -> None:
    """Edits like a commit's — a new source, a new send, a shifted body — to random functions
    of a fixture project with flows across modules, one after another on one cache: every
    cached scan reports what a scan without a cache reports."""
    import random
    import re
    import shutil

    rng = random.Random(seed)
    root = tmp_path / "p"
    shutil.copytree(FIXTURES / "interprocedural", root, ignore=shutil.ignore_patterns(".privlint_cache"))
    cache = tmp_path / "c"
    scan(root, cache)
    files = sorted(root.rglob("*.py"))
    how = []
    for _ in range(6):
        path = rng.choice(files)
        lines = path.read_text().split("\n")
        defs = [i for i, line in enumerate(lines) if re.match(r"\s*def \w+\(.*\).*:\s*$", line)]
        if not defs:
            continue
        at = rng.choice(defs)
        indent = re.match(r"\s*", lines[at]).group(0) + "    "  # type: ignore[union-attr]
        lines[at + 1:at + 1] = [indent + s for s in EDITS[rng.choice(sorted(EDITS))]]
        path.write_text("\n".join(lines))
        again = scan(root, cache)
        assert view(again) == view(scan(root, None)), path
        how.append("incremental" in again.stats)
    assert any(how)  # the re-solve ran (not only full solves)
