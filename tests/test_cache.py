"""The facts cache: hits on unchanged files, portable keys, and faults that never break a scan.

Faults are injected by monkeypatching the cache's own I/O (tests run as root, where permission
tricks do not work): a failing rename stands for a read-only directory or a full disk.
"""

from __future__ import annotations

import errno
import pickle
import shutil
import threading
from pathlib import Path

import pytest

from privlint import cache
from privlint.cache import FactsCache
from privlint.discover import SourceFile
from privlint.parse import parse_source
from privlint.scan import ScanRequest, run_scan

LEAK = ("import socket\nfrom app.sink import send\n\n\ndef host():\n    return socket.gethostname()\n\n\n"
        "def main():\n    send({\"h\": host()})\n")
SINK = ("import posthog\n\n\ndef send(props):\n"
        "    posthog.capture(\"e\", distinct_id=\"x\", properties=props)\n")


def project(root: Path) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'app'\n")
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "main.py").write_text(LEAK)
    (root / "app" / "sink.py").write_text(SINK)
    return root


def scan(root: Path, cache_dir: Path | None, keep_results: bool = False, **kw: object):  # noqa: ANN201
    """Scan with a facts cache; whole-scan results (and what a re-solve reads: the last scan's
    state and ledger) are dropped first unless a test is about them."""
    if cache_dir is not None and not keep_results:
        for folder in ("results", "state", "ledger"):
            shutil.rmtree(cache_dir / folder, ignore_errors=True)
    req = ScanRequest([str(root)], cache_dir=str(cache_dir) if cache_dir else None, jobs=1,
                      select=("PII1",), **kw)
    return run_scan(req)


def view(result) -> list:  # noqa: ANN001
    return [(f.rule, f.path, f.line, f.column, f.message) for f in result.findings]


def entries(cache_dir: Path) -> list[Path]:
    return sorted(p for p in (cache_dir / "facts").rglob("*") if p.is_file())


def test_warm_scan_reads_every_file_from_the_cache(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    cold = scan(root, tmp_path / "c")
    warm = scan(root, tmp_path / "c")
    assert cold.stats["cached_files"] == 0 and warm.stats["cached_files"] == 3
    assert view(cold) == view(warm) and len(view(warm)) == 1
    # an outline per file (what the relevance pre-pass reads), facts of the modules it needed
    assert len(entries(tmp_path / "c")) == 3 + cold.stats["modules_parsed"]
    assert warm.stats["modules_parsed"] == cold.stats["modules_parsed"] < 3


def test_one_changed_file_is_parsed_again(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    scan(root, tmp_path / "c")
    (root / "app" / "main.py").write_text(LEAK.replace('{"h": host()}', '{"n": len(host())}'))
    again = scan(root, tmp_path / "c")
    assert again.stats["cached_files"] == 2 and view(again) == []


def test_default_location_is_the_project_root_and_no_cache_writes_nothing(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    run_scan(ScanRequest([str(root / "app")], jobs=1))
    assert (root / ".privlint_cache" / "facts").is_dir()
    assert (root / ".privlint_cache" / ".gitignore").read_text().endswith("*\n")
    other = project(tmp_path / "q")
    result = run_scan(ScanRequest([str(other)], jobs=1, use_cache=False))
    assert result.stats["cached_files"] == 0 and not (other / ".privlint_cache").exists()


def test_keys_are_portable_between_checkouts(tmp_path: Path) -> None:
    first = project(tmp_path / "one")
    scan(first, tmp_path / "c")
    second = tmp_path / "elsewhere" / "two"
    shutil.copytree(first, second)
    moved = scan(second, tmp_path / "c")
    assert moved.stats["cached_files"] == 3
    assert [p for _, p, *_ in view(moved)] == [str(second / "app" / "main.py")]  # relabelled


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty"])
def test_a_damaged_entry_is_ignored_and_rebuilt(tmp_path: Path, damage: str) -> None:
    root = project(tmp_path / "p")
    good = view(scan(root, tmp_path / "c"))
    for entry in entries(tmp_path / "c"):
        data = entry.read_bytes()
        entry.write_bytes({"truncate": data[: len(data) // 2],
                           "flip": data[:-5] + bytes([data[-5] ^ 0xFF]) + data[-4:],
                           "garbage": b"\x80\x05not a pickle at all",
                           "empty": b""}[damage])
    again = scan(root, tmp_path / "c")
    assert again.stats["cached_files"] == 0 and view(again) == good
    assert scan(root, tmp_path / "c").stats["cached_files"] == 3  # rewritten whole


def test_an_entry_naming_other_classes_is_never_unpickled(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    scan(root, tmp_path / "c")

    class Boom:
        def __reduce__(self) -> tuple:
            return (shutil.rmtree, (str(root),))

    for entry in entries(tmp_path / "c"):
        entry.write_bytes(cache.encode_entry(pickle.dumps(Boom())))
    assert scan(root, tmp_path / "c").stats["cached_files"] == 0 and root.exists()


def test_unwritable_cache_warns_once_and_the_scan_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture) -> None:
    root = project(tmp_path / "p")

    def full(src: str, dst: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cache, "_replace", full)
    result = scan(root, tmp_path / "c")
    err = capsys.readouterr().err
    assert err.count("privlint: warning: cache disabled") == 1 and "No space left" in err
    assert len(view(result)) == 1 and result.errors == []
    assert entries(tmp_path / "c") == []  # and no temporary file left behind


def test_a_cache_dir_that_cannot_be_created_is_a_warning(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture) -> None:
    root = project(tmp_path / "p")
    (tmp_path / "blocked").write_text("a file where the directory should be")
    result = scan(root, tmp_path / "blocked" / "cache")
    assert "privlint: warning: cache disabled" in capsys.readouterr().err
    assert len(view(result)) == 1 and result.errors == []


def test_concurrent_writers_and_readers_never_see_a_partial_entry(tmp_path: Path) -> None:
    sf = SourceFile("m.py", "m", False)
    source = b"import socket\nx = socket.gethostname()\n" * 200
    facts = parse_source(source, sf)
    payload = cache.dumps_facts(facts)
    store = FactsCache.open(tmp_path / "c")
    key = store.key(source, sf)
    seen: list[object] = []

    def write() -> None:
        for _ in range(30):
            FactsCache(tmp_path / "c", store.fingerprint).put(key, payload)

    def read() -> None:
        reader = FactsCache(tmp_path / "c", store.fingerprint)
        for _ in range(60):
            got = reader.get(key, sf)
            if got is not None:
                seen.append(got)

    threads = [threading.Thread(target=f) for f in (write, write, read, read)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen and all(s == facts for s in seen)
    assert [p.name for p in (tmp_path / "c" / "facts").rglob(".tmp-*")] == []


def test_the_key_covers_content_module_and_code(tmp_path: Path) -> None:
    a = SourceFile("a/x.py", "pkg.x", False)
    fp = cache.code_fingerprint()
    one, two = cache.content_digest(b"x = 1\n"), cache.content_digest(b"x = 2\n")
    base = cache.entry_key(one, a, fp)
    assert base == cache.entry_key(one, SourceFile("/abs/b/x.py", "pkg.x", False), fp)  # path: no
    assert base != cache.entry_key(two, a, fp)
    assert base != cache.entry_key(one, SourceFile("a/x.py", "x", False), fp)
    assert base != cache.entry_key(one, SourceFile("a/x.py", "pkg.x", True), fp)
    assert base != cache.entry_key(one, a, "another privlint")


def test_an_unchanged_tree_reuses_the_whole_result_and_any_change_invalidates_it(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    cold = scan(root, tmp_path / "c", keep_results=True)
    warm = scan(root, tmp_path / "c", keep_results=True)
    assert "result_cached" not in cold.stats and warm.stats["result_cached"] is True
    assert view(warm) == view(cold) and len(view(warm)) == 1
    other_options = scan(root, tmp_path / "c", keep_results=True, ignore=("PII101",))
    assert "result_cached" not in other_options.stats
    (root / "app" / "main.py").write_text(LEAK.replace('{"h": host()}', '{"n": len(host())}'))
    changed = scan(root, tmp_path / "c", keep_results=True)
    assert "result_cached" not in changed.stats and view(changed) == []
    results = tmp_path / "c" / "results"
    for entry in results.iterdir():  # a damaged result is a miss, never trusted
        entry.write_bytes(entry.read_bytes()[:-3] + b"xyz")
    again = scan(root, tmp_path / "c", keep_results=True)
    assert "result_cached" not in again.stats and view(again) == []


PLANTED_RAN: list[str] = []


def planted_code(what: str) -> None:
    """What a poisoned cache entry would run on load (``os.system`` in a real attack); named by
    reference in the pickle, so an unrestricted load imports this module and calls it."""
    PLANTED_RAN.append(what)


class _Planted:
    def __reduce__(self):  # noqa: ANN204
        return (planted_code, ("loaded",))


def test_a_result_entry_naming_other_code_is_a_miss_and_never_runs(tmp_path: Path) -> None:
    """A cache restored from another CI run is input, not code: a whole-scan result entry that
    names any class but the result's own is refused (the facts entries already were)."""
    root = project(tmp_path / "p")
    cold = scan(root, tmp_path / "c", keep_results=True)
    (entry,) = (tmp_path / "c" / "results").iterdir()
    entry.write_bytes(cache.encode_entry(pickle.dumps(_Planted())))  # a valid checksum, too
    again = scan(root, tmp_path / "c", keep_results=True)
    assert PLANTED_RAN == [] and "result_cached" not in again.stats
    assert view(again) == view(cold)
    assert scan(root, tmp_path / "c", keep_results=True).stats.get("result_cached") is True


def test_a_write_interrupted_by_a_stop_leaves_no_temporary_file(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A parse worker told to stop (SIGTERM) unwinds with SystemExit, maybe in the middle of a
    cache write: the temporary file goes, and no entry is left half written."""
    def stopped(src: str, dst: str) -> None:
        raise SystemExit(0)

    monkeypatch.setattr(cache, "_replace", stopped)
    with pytest.raises(SystemExit):
        cache.write_entry(tmp_path / "c" / "facts" / "ab" / "entry", b"payload")
    assert list((tmp_path / "c").rglob("*")) == [tmp_path / "c" / "facts", tmp_path / "c" / "facts" / "ab"]


def test_a_scan_answered_from_the_cache_does_not_import_libcst() -> None:
    """Importing libcst costs 0.12 s, a third of a warm scan: the version in the facts' key is
    read from its files, and parsing imports it when it first parses."""
    import subprocess
    import sys

    import libcst._version

    assert cache._libcst_version() == libcst._version.__version__
    code = "import sys, privlint.scan, privlint.cli; print('libcst' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_warm_solve_reads_the_facts_it_needs_from_the_cache(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """Cached files come back as outlines (cheap); the solver's facts are then read from the
    cache too, never parsed again."""
    root = project(tmp_path / "p")
    cold = scan(root, tmp_path / "c")

    def no_parse(*args: object) -> None:
        raise AssertionError("a cached file was parsed again")

    monkeypatch.setattr("privlint.parallel.analyse", no_parse)
    warm = scan(root, tmp_path / "c")  # state and ledger dropped: a full solve
    assert "incremental" not in warm.stats and view(warm) == view(cold)
    assert warm.stats["modules_parsed"] == cold.stats["modules_parsed"]
