"""Parsing in worker processes: same facts in the same order as in-process, and a parser crash is
one file's error, not the end of the scan (libcst's native parser segfaults on ~1500 nested
brackets). These start real worker processes, so they are few and small."""

from __future__ import annotations

from pathlib import Path

import pytest

from privlint import parallel
from privlint.cache import FactsCache
from privlint.discover import discover
from privlint.facts.outline import ModuleOutline
from privlint.parallel import may_crash_parser, parse_files
from privlint.parse import ParseError

CRASHER = "x = " + "(" * 3000 + "1" + ")" * 3000 + "\n"  # crashes libcst (Python refuses it)


@pytest.fixture(autouse=True)
def _no_prescreen(monkeypatch: pytest.MonkeyPatch) -> None:
    """parse.py reports such nesting as Python's syntax error before libcst sees it; these tests
    need the crash itself, to show a dying worker costs only its file (workers inherit this)."""
    monkeypatch.setenv("PRIVLINT_TEST_NO_PRESCREEN", "1")


def tree(root: Path, n: int, extra: dict[str, str] | None = None) -> list:
    for i in range(n):
        p = root / "pkg" / f"m{i:02d}.py"
        p.parent.mkdir(parents=True, exist_ok=True)
        body = f"import socket\n\n\ndef f{i}(x):\n    return (x, socket.gethostname(), {i})\n"
        p.write_text(body * (i + 1))
    for name, text in (extra or {}).items():
        (root / "pkg" / name).write_text(text)
    return discover([str(root)]).files


def test_workers_give_the_same_facts_in_the_same_order(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    files = tree(tmp_path, 8, {"broken.py": "def (:\n"})
    monkeypatch.setattr(parallel, "MIN_POOL_FILES", 2)
    here = parse_files(files, jobs=1)
    pooled = parse_files(files, jobs=2, cache=FactsCache.open(tmp_path / "c"))
    assert here.workers == 0 and pooled.workers == 2
    assert pooled.results == here.results
    assert [getattr(r, "path", None) for r in pooled.results] == [f.path for f in files]
    assert any(isinstance(r, ParseError) and "syntax error" in r.message for r in pooled.results)
    assert parse_files(files, jobs=2, cache=FactsCache.open(tmp_path / "c")).cached == len(files) - 1


def test_a_parser_crash_in_a_worker_is_that_files_error(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    files = tree(tmp_path, 3, {"deep.py": CRASHER})
    monkeypatch.setattr(parallel, "MIN_POOL_FILES", 2)
    run = parse_files(files, jobs=2)
    crashed = [r for r in run.results if isinstance(r, ParseError)]
    assert [(Path(r.path).name, r.message) for r in crashed] == [
        ("deep.py", "the parser crashed on this file (killed by SIGSEGV)")]
    assert sum(1 for r in run.results if not isinstance(r, ParseError)) == 3
    assert run.workers == 3  # the crashed worker was replaced


def test_in_process_runs_send_a_risky_file_to_a_throwaway_worker(tmp_path: Path) -> None:
    files = tree(tmp_path, 2, {"deep.py": CRASHER})
    run = parse_files(files, jobs=1)
    assert run.workers == 1 and run.crashed == [str(tmp_path / "pkg" / "deep.py")]
    assert sum(1 for r in run.results if not isinstance(r, ParseError)) == 2


def test_an_outline_of_a_risky_file_is_made_here_when_ast_reads_it(tmp_path: Path) -> None:
    """A long flat literal (an encodings table) looks risky to libcst, but its outline comes
    from ``ast``, which raises rather than crashes: no worker is started for it."""
    table = "TABLE = {\n" + "".join(f"    'k{i}': {i},\n" for i in range(6000)) + "}\n"
    assert may_crash_parser(table.encode())
    files = tree(tmp_path, 2, {"table.py": table})
    parser = parallel.Parser(files, jobs=1)
    try:
        run = parser.run(mode="outline")
    finally:
        parser.close()
    assert run.workers == 0
    assert all(isinstance(r, ModuleOutline) for r in run.results)


def test_the_risk_check_is_cheap_and_conservative() -> None:
    assert not may_crash_parser(b"x = f(a[1], {'k': (2, 3)})\n" * 500)
    assert may_crash_parser(CRASHER.encode())
    assert may_crash_parser(b"x = " + b"+".join([b"a"] * 6000) + b"\n")
    assert may_crash_parser(b"x = (\n" + b"    a +\n" * 3000 + b"    a)\n")


def test_workers_that_cannot_start_leave_the_work_to_this_process(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    files = tree(tmp_path, 4)
    monkeypatch.setattr(parallel, "MIN_POOL_FILES", 2)

    def refuse(*args: object) -> None:
        raise OSError("Resource temporarily unavailable")

    monkeypatch.setattr(parallel._Worker, "__init__", refuse)
    run = parse_files(files, jobs=2)
    assert run.workers == 0 and run.results == parse_files(files, jobs=1).results


def test_one_pool_serves_the_outlines_and_then_the_facts_asked_for(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The workers started for the first batch parse the prefetched modules too (no second
    start-up), and what they return equals an in-process parse; once all of it is taken, they
    stop."""
    files = tree(tmp_path, 6)
    monkeypatch.setattr(parallel, "MIN_POOL_FILES", 2)
    here = parse_files(files, jobs=1).results
    parser = parallel.Parser(files, jobs=2)
    try:
        outlines = parser.run(mode="outline")
        assert outlines.workers == 2 and all(isinstance(r, ModuleOutline) for r in outlines.results)
        parser.prefetch(list(range(len(files))))
        pool = parser.pool
        assert parser.facts([3, 0, 5]) == [here[3], here[0], here[5]]
        assert parser.facts([1, 2, 4]) == [here[1], here[2], here[4]]
        assert pool is not None and pool.started == 2
        # everything asked for ahead was taken: the workers are stopped, not left holding memory
        assert parser.pool is None
        assert parser.facts([2]) == [here[2]]  # a module wanted later is still parsed
    finally:
        parser.close()


def test_a_module_no_worker_has_started_is_parsed_by_the_asker(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    files = tree(tmp_path, 4)
    monkeypatch.setattr(parallel, "MIN_POOL_FILES", 2)
    pool = parallel.ParsePool(files, 1, None)
    try:
        with pool._cond:  # queued, as if every worker were still busy with earlier files
            pool._pending.add((3, "facts"))
            pool._queue.append((3, "facts"))
        assert pool.result((3, "facts"), wait=False) is None  # withdrawn: the asker parses it
        assert (3, "facts") not in pool._pending
        assert pool.result((2, "facts"), wait=True) is None  # never submitted
    finally:
        pool.close()


def test_closing_stops_busy_workers_without_leaving_temporary_files(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The solver is done while workers still parse ahead: closing returns, and the cache holds
    only whole entries and no temporary file. (Whether a worker is stopped in the middle of a
    write is up to timing; the unwinding that cleans up then is ``cache._write_atomic``'s, which
    ``test_cache.py::test_a_write_interrupted_by_a_stop_leaves_no_temporary_file`` covers.)"""
    files = tree(tmp_path, 30)
    monkeypatch.setattr(parallel, "MIN_POOL_FILES", 2)
    cache = FactsCache.open(tmp_path / "c")
    parser = parallel.Parser(files, jobs=2, cache=cache)
    parser.prefetch(list(range(len(files))))
    parser.facts([0])
    parser.close()
    assert not list((tmp_path / "c").rglob(".tmp-*"))
    assert parse_files(files, jobs=1, cache=FactsCache.open(tmp_path / "c")).results == \
        parse_files(files, jobs=1).results  # whatever was written is whole


def test_a_failing_pool_thread_leaves_the_work_to_the_asker(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    files = tree(tmp_path, 4)
    monkeypatch.setattr(parallel, "MIN_POOL_FILES", 2)

    def broken(self: parallel.ParsePool) -> None:
        with self._cond:
            self._dispatch()  # the files are with the workers now ...
        raise RuntimeError("a bug in the pump")  # ... and nobody will read their results

    monkeypatch.setattr(parallel.ParsePool, "_pump_loop", broken)
    monkeypatch.setattr("threading.excepthook", lambda args: None)  # the thread's traceback
    parser = parallel.Parser(files, jobs=2)
    try:
        parser.prefetch([0, 1, 2, 3])
        assert parser.facts([0, 1, 2, 3]) == parse_files(files, jobs=1).results
    finally:
        parser.close()
