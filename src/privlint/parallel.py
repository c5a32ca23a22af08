"""Parse and extract many files: cache first, then worker processes, in a fixed order.

Why processes (not threads): parsing and lowering are pure Python-level CPU work, so only
processes use more than one core (shared/notes/libraries.md §5.3: ~2x on 2 cores). Workers get a
``SourceFile`` (a path), read and parse it themselves and send back pickled facts — never libcst
trees, which cost more to unpickle than to re-parse. They are started with ``spawn`` explicitly
(the default start method differs between platforms and Python versions; ``fork`` of a parent
holding parsed modules was slower as well as unsafe with threads).

Why a hand-rolled pool: libcst's native parser can crash the process (a segfault on ~1500 nested
brackets). Each worker takes one file at a time from its own pipe, so when one dies, the parent
knows exactly which file killed it: that file gets an error, a fresh worker takes over, and the
scan goes on. ``concurrent.futures`` would only say that the whole pool broke.

Small runs (fewer than ``MIN_POOL_FILES`` files to parse) stay in this process: starting workers
costs more than it saves. Even then, a file that looks able to crash the parser (very deep
brackets, very long expressions) is parsed in a throw-away worker.

Results come back in the order of ``files`` whatever ``jobs`` is, so output is deterministic.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import pickle
import re
import signal
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from privlint.cache import FactsCache, dumps_facts, loads_facts
from privlint.discover import SourceFile
from privlint.facts import ir
from privlint.facts.outline import ModuleOutline, from_source
from privlint.gctune import tune_for_bulk_work
from privlint.parse import ParseError, parse_source, read_source

MIN_POOL_FILES = 20  # below this many files to parse, workers cost more than they save
IN_FLIGHT = 2  # tasks queued per worker, so it never waits for the parent between files
_DEEP_BRACKETS = 200  # libcst's parser crashes near 1500 nested brackets
_LONG_EXPRESSION = 8_000  # bytes in one bracketed expression or line (6000-operand chains crash it)

Result = ir.ModuleFacts | ParseError | ModuleOutline


@dataclass
class ParseRun:
    results: list[Result]
    cached: int = 0  # files whose facts came from the cache
    workers: int = 0  # worker processes started (0: all in this process)
    crashed: list[str] = field(default_factory=list)  # files that killed a worker


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def parse_files(files: list[SourceFile], jobs: int = 0, cache: FactsCache | None = None,
                mode: str = "facts") -> ParseRun:
    """Facts (or the error) for every file, in the order given.

    ``mode="outline"``: a file whose facts are not cached gets only its outline (``ast``, see
    facts/outline.py), or its facts when ``ast`` cannot read it (the parse then says why);
    the solver asks for the facts of the modules it needs later."""
    jobs = jobs if jobs > 0 else default_jobs()
    results: list[Result | None] = [None] * len(files)
    todo: list[int] = []
    sizes: dict[int, int] = {}
    run = ParseRun([])
    for i, sf in enumerate(files):
        source = read_source(sf)
        if isinstance(source, ParseError):
            results[i] = source
            continue
        sizes[i] = len(source)
        if cache is not None and cache.enabled:
            key = cache.key(source, sf)
            hit = cache.get(key, sf)
            if hit is None and mode == "outline":
                hit = cache.get(cache.outline_key(key), sf)
            if hit is not None:
                results[i] = hit
                run.cached += 1
                continue
        todo.append(i)
    if jobs > 1 and len(todo) >= MIN_POOL_FILES:
        order = sorted(todo, key=lambda i: (-sizes[i], i))  # longest first: the last ones are short
        _run_pool(files, order, jobs, cache, results, run, mode)
    else:
        isolated = []
        for i in todo:
            source = read_source(files[i])
            if isinstance(source, ParseError):
                results[i] = source
            elif may_crash_parser(source):
                isolated.append(i)
            else:
                results[i] = _one(files[i], source, cache, mode)
        if isolated:
            _run_pool(files, isolated, 1, cache, results, run, mode)
    run.results = [r for r in results if r is not None]
    assert len(run.results) == len(files)
    return run


def _one(sf: SourceFile, source: bytes, cache: FactsCache | None, mode: str) -> Result:
    if mode == "outline":
        outline = outline_of(sf, source, cache)[0]
        if outline is not None:
            return outline
    return analyse(sf, source, cache)[0]


def outline_of(sf: SourceFile, source: bytes, cache: FactsCache | None
               ) -> tuple[ModuleOutline | None, bytes | None]:
    """The file's outline and its pickle, stored in the cache; (None, None) when ``ast`` cannot
    read it."""
    got = from_source(source, sf.path, sf.module, sf.is_package)
    if got is None:
        return None, None
    payload = pickle.dumps(got, protocol=pickle.HIGHEST_PROTOCOL)
    if cache is not None and cache.enabled:
        cache.put(cache.outline_key(cache.key(source, sf)), payload)
    return got, payload


def analyse(sf: SourceFile, source: bytes, cache: FactsCache | None) -> tuple[Result, bytes | None]:
    """Parse and lower one file's bytes, storing the facts; returns them and their pickle."""
    res = parse_source(source, sf)
    if isinstance(res, ParseError) or cache is None or not cache.enabled:
        return res, None
    payload = dumps_facts(res)
    cache.put(cache.key(source, sf), payload)
    return res, payload


_BRACKETS = re.compile(rb"[()\[\]{}]")


def may_crash_parser(source: bytes) -> bool:
    """A cheap over-estimate of what crashes libcst's parser: deep or very long bracket nesting.

    Brackets in strings and comments are counted too; that only sends a harmless file to a worker.
    """
    if len(source) < _LONG_EXPRESSION and source.count(b"(") + source.count(b"[") + source.count(b"{") \
            < _DEEP_BRACKETS:
        return False
    depth = 0
    opened = 0
    for m in _BRACKETS.finditer(source):
        if m.group() in b"([{":
            if depth == 0:
                opened = m.start()
            depth += 1
            if depth >= _DEEP_BRACKETS:
                return True
        elif depth > 0:
            depth -= 1
            if depth == 0 and m.start() - opened >= _LONG_EXPRESSION:
                return True
    if depth > 0 and len(source) - opened >= _LONG_EXPRESSION:
        return True
    return any(len(line) >= _LONG_EXPRESSION for line in source.splitlines())


# ====================================================================== workers
class _Worker:
    def __init__(self, ctx: multiprocessing.context.BaseContext, cache: FactsCache | None) -> None:
        self.conn, child = ctx.Pipe(duplex=True)
        args = (child, str(cache.directory) if cache else None, cache.fingerprint if cache else None)
        self.proc = ctx.Process(target=_worker_main, args=args, daemon=True)
        self.proc.start()
        child.close()
        self.ready = False
        self.inflight: deque[int] = deque()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.send(None)
        self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()


def _run_pool(files: list[SourceFile], order: list[int], jobs: int, cache: FactsCache | None,
              results: list[Result | None], run: ParseRun, mode: str = "facts") -> None:
    ctx = multiprocessing.get_context("spawn")
    queue = deque(order)
    workers: list[_Worker] = []
    write_cache = cache is not None and cache.enabled
    try:
        for _ in range(min(jobs, len(queue))):
            _start(ctx, cache, workers, run)
        while queue or any(w.inflight for w in workers):
            if not workers:  # no worker could start (or stay up): finish in this process
                while queue:
                    i = queue.popleft()
                    source = read_source(files[i])
                    results[i] = source if isinstance(source, ParseError) else _one(
                        files[i], source, cache, mode)
                break
            for w in workers:
                while queue and len(w.inflight) < IN_FLIGHT:
                    i = queue.popleft()
                    w.inflight.append(i)
                    with contextlib.suppress(OSError):  # a dead worker: its sentinel says so below
                        w.conn.send((i, files[i], write_cache, mode))
            ready = multiprocessing.connection.wait(
                [w.conn for w in workers] + [w.proc.sentinel for w in workers])
            for w in list(workers):
                if (w.conn in ready or w.proc.sentinel in ready) and not _drain(w, results, cache, run):
                    _replace(w, workers, files, queue, results, run, ctx, cache)
            write_cache = cache is not None and cache.enabled
    finally:
        for w in workers:
            w.stop()


def _drain(w: _Worker, results: list[Result | None], cache: FactsCache | None, run: ParseRun) -> bool:
    """Read every finished result from ``w``; False when the worker is gone."""
    try:
        while w.conn.poll():
            msg = w.conn.recv()
            if msg == "ready":
                w.ready = True
                continue
            i, kind, payload, warning = msg
            if w.inflight and w.inflight[0] == i:
                w.inflight.popleft()
            if kind == "facts":
                results[i] = loads_facts(payload)
            elif kind == "outline":
                results[i] = pickle.loads(payload)  # from our own worker, never from disk
            else:
                results[i] = payload
            if warning and cache is not None:
                cache.disable(warning)
    except (EOFError, OSError, pickle.UnpicklingError):
        return False
    return w.proc.is_alive()


def _replace(w: _Worker, workers: list[_Worker], files: list[SourceFile], queue: deque[int],
             results: list[Result | None], run: ParseRun, ctx: multiprocessing.context.BaseContext,
             cache: FactsCache | None) -> None:
    """A worker died: blame the file it was on (if it had started), requeue the rest."""
    w.proc.join()
    code = w.proc.exitcode
    workers.remove(w)
    w.conn.close()
    pending = list(w.inflight)
    if pending and w.ready:
        i = pending.pop(0)
        results[i] = ParseError(files[i].path, 0, 0, f"the parser crashed on this file ({_how(code)})")
        run.crashed.append(files[i].path)
    queue.extendleft(reversed(pending))
    if w.ready and queue:  # a worker that never came up would not come up again
        _start(ctx, cache, workers, run)


def _start(ctx: multiprocessing.context.BaseContext, cache: FactsCache | None, workers: list[_Worker],
           run: ParseRun) -> None:
    """One more worker, if the system lets us start one (else the others, or we, do the work)."""
    try:
        workers.append(_Worker(ctx, cache))
        run.workers += 1
    except (OSError, RuntimeError):
        pass


def _how(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


def _worker_main(conn: multiprocessing.connection.Connection, cache_dir: str | None,
                 fingerprint: str | None) -> None:
    """Worker loop: one ``(index, SourceFile, write_cache, mode)`` at a time until ``None``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles ^C and stops us
    tune_for_bulk_work()
    cache = FactsCache(Path(cache_dir), fingerprint, quiet=True) if cache_dir is not None else None
    warned = False
    conn.send("ready")
    while True:
        msg = conn.recv()
        if msg is None:
            return
        i, sf, write, mode = msg
        warning = None
        try:
            source = read_source(sf)
            if isinstance(source, ParseError):
                conn.send((i, "error", source, None))
                continue
            kind, payload = "outline", None
            if mode == "outline":
                payload = outline_of(sf, source, cache if write else None)[1]
            if payload is None:  # facts asked for, or ast cannot read the file
                res, payload = analyse(sf, source, cache if write else None)
                if isinstance(res, ParseError):
                    kind, payload = "error", res
                else:
                    kind, payload = "facts", payload if payload is not None else dumps_facts(res)
            if cache is not None and not cache.enabled and not warned:
                warning, warned = cache.warning, True
        except Exception as exc:  # noqa: BLE001 - one file's failure is that file's error
            kind, payload = "error", ParseError(sf.path, 0, 0, f"internal error: {type(exc).__name__}: {exc}")
        conn.send((i, kind, payload, warning))
