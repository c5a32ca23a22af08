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
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from privlint.cache import FactsCache, dumps_facts, loads_facts
from privlint.discover import SourceFile
from privlint.facts import ir
from privlint.facts.ir import pack_bodies
from privlint.facts.outline import ModuleOutline, from_source
from privlint.gctune import tune_for_bulk_work
from privlint.parse import ParseError, parse_source, read_source

MIN_POOL_FILES = 20  # below this many files to parse, workers cost more than they save
IN_FLIGHT = 2  # tasks queued per worker, so it never waits for the parent between files
WORKER_NICE = 5  # workers yield the CPU to the solver in the parent when both want it
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
    the solver asks for the facts of the modules it needs later (``Parser.facts``)."""
    parser = Parser(files, jobs, cache)
    try:
        return parser.run(mode)
    finally:
        parser.close()


class Parser:
    """The files of one scan, parsed on demand: a first batch (``run``), then the facts of the
    modules the solver turns out to need (``facts``), which ``prefetch`` lets worker processes
    parse in the background while this process solves.

    Why one object for the whole scan: the workers started for the first batch stay up, so the
    second phase pays no second start-up, and parsing overlaps with solving (the solver uses one
    core; on the others the workers parse what it will ask for next, in that order). A module
    the solver wants before a worker has started it is parsed here: waiting would be slower.
    """

    def __init__(self, files: list[SourceFile], jobs: int = 0, cache: FactsCache | None = None,
                 digests: list[str] | None = None) -> None:
        """``digests``: each file's content digest when the caller has read them already (a
        cached file is then not read again)."""
        self.files = files
        self.digests = digests
        self.jobs = jobs if jobs > 0 else default_jobs()
        self.cache = cache
        self.pool: ParsePool | None = None
        self.cached = 0
        self._stored: dict[int, str] = {}  # file -> its cache key, for those outlined from the cache
        self._prefetched = False  # the solver said what it will want (``prefetch``)

    def run(self, mode: str = "facts") -> ParseRun:
        """Every file: from the cache, else parsed (by workers when there are many)."""
        files, cache = self.files, self.cache
        results: list[Result | None] = [None] * len(files)
        todo: list[int] = []
        sizes: dict[int, int] = {}
        for i, sf in enumerate(files):
            source = None if self.digests is not None else read_source(sf)
            if isinstance(source, ParseError):
                results[i] = source
                continue
            if cache is not None and cache.enabled:
                key = cache.key_of(self.digests[i], sf) if self.digests is not None else \
                    cache.key(source, sf)  # type: ignore[arg-type]
                # an outline first: facts are read when the solver needs them (``facts``), and a
                # re-solve needs few (gen100k: reading every module's facts was 0.6 s)
                hit = cache.get(cache.outline_key(key), sf) if mode == "outline" else None
                if hit is not None:
                    self._stored[i] = key
                else:
                    hit = cache.get(key, sf)
                if hit is not None:
                    results[i] = hit
                    self.cached += 1
                    continue
            if source is None:
                source = read_source(sf)
                if isinstance(source, ParseError):
                    results[i] = source
                    continue
            sizes[i] = len(source)
            todo.append(i)
        order = sorted(todo, key=lambda i: (-sizes[i], i))  # longest first: the last ones are short
        for i, res in zip(order, self._batch(order, mode), strict=True):
            results[i] = res
        out = [r for r in results if r is not None]
        assert len(out) == len(files)
        return ParseRun(out, self.cached, self.pool.started if self.pool else 0,
                        list(self.pool.crashed) if self.pool else [])

    def prefetch(self, indices: list[int]) -> None:
        """These files' facts will be asked for, in this order: workers may parse them now."""
        indices = [i for i in indices if i not in self._stored]  # read from the cache when asked for
        self._prefetched = True
        if self.jobs < 2 or (self.pool is None and len(indices) < MIN_POOL_FILES):
            return  # one job asked for, or too few to start workers for: parsed here when asked for
        self._pool(self.jobs).submit([(i, "facts") for i in indices])

    def facts(self, indices: list[int]) -> list[Result]:
        """Facts (or the error) of these files now: what a worker has done or is doing, the
        rest parsed here."""
        out: dict[int, Result] = {}
        rest = []
        for i in indices:
            key = self._stored.get(i)
            if key is not None and self.cache is not None:
                stored = self.cache.get(key, self.files[i])
                if isinstance(stored, ir.ModuleFacts):
                    out[i] = stored
                    continue
            got = self._take(i, "facts", wait=False) if self.pool is not None else None
            if got is None:
                rest.append(i)
            else:
                out[i] = got
        out.update(zip(rest, self._batch(rest, "facts"), strict=True))
        if self._prefetched and self.pool is not None and self.pool.idle():
            # everything asked for ahead is parsed and taken: the workers would only hold
            # memory while the solver finishes (gen1m: ~0.2 GB at the scan's peak); a module
            # wanted later is parsed here, or by a new pool when there are many
            self.close()
        return [out[i] for i in indices]

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    # ------------------------------------------------------------------ internals
    def _batch(self, indices: list[int], mode: str) -> list[Result]:
        """Parse these, in worker processes when there are many, else here."""
        if self.jobs < 2 or len(indices) < MIN_POOL_FILES:
            return self._here(indices, mode)
        pool = self._pool(self.jobs)
        pool.submit([(i, mode) for i in indices])
        return [self._take(i, mode, wait=True) for i in indices]  # type: ignore[misc]

    def _pool(self, jobs: int) -> ParsePool:
        if self.pool is None:
            self.pool = ParsePool(self.files, jobs, self.cache)
        return self.pool

    def _take(self, i: int, mode: str, wait: bool) -> Result | None:
        """A worker's result for file ``i``; None when no worker has it (not asked for, not
        started and ``wait`` is false, or every worker is gone): then this process parses it."""
        assert self.pool is not None
        done = self.pool.result((i, mode), wait)
        if done is None:
            return self._here([i], mode)[0] if wait else None
        return self._decode(done)

    def _decode(self, done: tuple[str, object, str | None]) -> Result:
        kind, payload, warning = done
        if warning and self.cache is not None:
            self.cache.disable(warning)
        if kind == "facts":
            return loads_facts(payload)  # type: ignore[arg-type]
        if kind == "outline":
            return pickle.loads(payload)  # type: ignore[arg-type]  # from our own worker, never from disk
        return payload  # type: ignore[return-value]

    def _here(self, indices: list[int], mode: str) -> list[Result]:
        """Parse in this process, except files that look able to crash libcst: those go to a
        worker (a pool of one is started for them when none runs), so a crash costs only that
        file. Their outline is made here when ``ast`` reads them (``ast`` raises, it does not
        crash; starting a worker for one file cost a third of a second)."""
        out: dict[int, Result] = {}
        risky = []
        for i in indices:
            source = read_source(self.files[i])
            if not isinstance(source, ParseError) and may_crash_parser(source):
                outline = outline_of(self.files[i], source, self.cache)[0] if mode == "outline" else None
                if outline is None:
                    risky.append(i)
                else:
                    out[i] = outline
            else:
                out[i] = self._parse_here(i, source, mode)
        if risky:
            pool = self.pool if self.pool is not None else self._pool(1)
            pool.submit([(i, mode) for i in risky], front=True)
            for i in risky:
                got = pool.result((i, mode), True)
                # no worker at all: the parse may crash us, but there is no other way
                out[i] = self._decode(got) if got is not None else self._parse_here(
                    i, read_source(self.files[i]), mode)
        return [out[i] for i in indices]

    def _parse_here(self, i: int, source: bytes | ParseError, mode: str) -> Result:
        return source if isinstance(source, ParseError) else _one(self.files[i], source, self.cache, mode)


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
    if isinstance(res, ParseError):
        return res, None
    res = pack_bodies(res)  # here, not in the solving process (facts/ir.py)
    if cache is None or not cache.enabled:
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
Task = tuple[int, str]  # (index of the file, mode)


class _Worker:
    def __init__(self, ctx: multiprocessing.context.BaseContext, cache: FactsCache | None) -> None:
        self.conn, child = ctx.Pipe(duplex=True)
        args = (child, str(cache.directory) if cache else None, cache.fingerprint if cache else None)
        self.proc = ctx.Process(target=_worker_main, args=args, daemon=True)
        self.proc.start()
        child.close()
        self.ready = False
        self.inflight: deque[Task] = deque()

    def stop(self) -> None:
        """Ask it to stop; one busy with work nobody waits for any more is terminated (its
        cache write is atomic and removes its temporary file on the way out)."""
        if self.inflight:
            self.proc.terminate()
        else:
            with contextlib.suppress(OSError):
                self.conn.send(None)
        self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()


class ParsePool:
    """Worker processes for the whole scan, fed and drained by one thread of this process.

    Why a thread: the solver asks for modules one at a time while the workers parse ahead; a
    worker blocks when its result is not read, so something must read results while the solver
    runs. The thread only moves bytes (``recv`` releases the interpreter lock while it waits);
    results are unpickled by whoever asks for them (``Parser._take``), and never when nobody does.
    Tasks are taken in the order submitted (``front`` puts urgent ones first).
    """

    def __init__(self, files: list[SourceFile], jobs: int, cache: FactsCache | None) -> None:
        self.files = files
        self.jobs = jobs
        self.cache = cache
        self.started = 0  # worker processes started (replacements included)
        self.crashed: list[str] = []  # files that killed a worker
        self._ctx = multiprocessing.get_context("spawn")
        self._cond = threading.Condition()
        self._queue: deque[Task] = deque()  # in order; an entry no longer in _pending is skipped
        self._pending: set[Task] = set()  # submitted, not yet sent to a worker
        self._inflight: set[Task] = set()
        self._done: dict[Task, tuple[str, object, str | None]] = {}
        self._workers: list[_Worker] = []
        self._broken = False  # no worker is left or could start: the asker parses
        self._closing = False
        # a pipe the thread also waits on, so a submit or close wakes it (a Connection: works
        # with ``connection.wait`` on every platform)
        self._wake_r, self._wake_w = multiprocessing.Pipe(duplex=False)
        self._thread: threading.Thread | None = None

    def submit(self, tasks: list[Task], front: bool = False) -> None:
        with self._cond:
            new = [t for t in dict.fromkeys(tasks)
                   if t not in self._pending and t not in self._inflight and t not in self._done]
            self._pending.update(new)
            if front:
                self._queue.extendleft(reversed(new))
            else:
                self._queue.extend(new)
            if self._thread is None:
                for _ in range(min(self.jobs, max(1, len(self._pending)))):
                    self._start()
                self._broken = not self._workers
                self._thread = threading.Thread(target=self._pump, name="privlint-parse", daemon=True)
                self._thread.start()
        self._wake()

    def result(self, task: Task, wait: bool) -> tuple[str, object, str | None] | None:
        """The worker's (kind, payload, cache warning) for ``task``, waiting while a worker has
        it. Not yet sent to one: with ``wait`` wait for it, else withdraw it and say None (the
        asker parses it). Never submitted, or no worker left: None."""
        with self._cond:
            while True:
                if task in self._done:
                    return self._done.pop(task)
                if task in self._inflight or (wait and task in self._pending and not self._broken):
                    self._cond.wait()
                    continue
                self._pending.discard(task)
                return None

    def idle(self) -> bool:
        """Nothing submitted is waiting, being parsed, or parsed and not yet taken."""
        with self._cond:
            return not (self._pending or self._inflight or self._done)

    def close(self) -> None:
        with self._cond:
            self._closing = True
        self._wake()
        if self._thread is not None:
            self._thread.join()
        for w in self._workers:
            w.stop()
        self._workers = []
        self._wake_r.close()
        self._wake_w.close()

    # ------------------------------------------------------------------ the thread
    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send_bytes(b"!")

    def _pump(self) -> None:
        try:
            self._pump_loop()
        except BaseException:
            with self._cond:  # never leave an asker waiting: it parses what is left itself
                self._broken = True
                self._inflight.clear()
                self._cond.notify_all()
            raise

    def _pump_loop(self) -> None:
        while True:
            with self._cond:
                if self._closing:
                    return
                self._dispatch()
                watch = [w.conn for w in self._workers] + [w.proc.sentinel for w in self._workers]
            ready = multiprocessing.connection.wait([*watch, self._wake_r])
            while self._wake_r in ready and self._wake_r.poll():
                self._wake_r.recv_bytes()
            with self._cond:
                for w in list(self._workers):
                    if (w.conn in ready or w.proc.sentinel in ready) and not self._drain(w):
                        self._replace(w)
                if not self._workers and not self._broken:
                    self._broken = True  # nobody left to parse: what is pending goes back to the askers
                self._cond.notify_all()

    def _dispatch(self) -> None:
        write = self.cache is not None and self.cache.enabled
        for w in self._workers:
            while len(w.inflight) < IN_FLIGHT:
                task = self._next()
                if task is None:
                    return
                w.inflight.append(task)
                self._inflight.add(task)
                with contextlib.suppress(OSError):  # a dead worker: its sentinel says so
                    w.conn.send((task[0], self.files[task[0]], write, task[1]))

    def _next(self) -> Task | None:
        while self._queue:
            task = self._queue.popleft()
            if task in self._pending:
                self._pending.discard(task)
                return task
        return None

    def _drain(self, w: _Worker) -> bool:
        """Read every finished result from ``w``; False when the worker is gone."""
        try:
            while w.conn.poll():
                msg = w.conn.recv()
                if msg == "ready":
                    w.ready = True
                    continue
                i, mode, kind, payload, warning = msg
                task = (i, mode)
                with contextlib.suppress(ValueError):
                    w.inflight.remove(task)
                self._inflight.discard(task)
                self._done[task] = (kind, payload, warning)
        except (EOFError, OSError, pickle.UnpicklingError):
            return False
        return w.proc.is_alive()

    def _replace(self, w: _Worker) -> None:
        """A worker died: blame the file it was on (if it had started), requeue the rest."""
        w.proc.join()
        code = w.proc.exitcode
        self._workers.remove(w)
        w.conn.close()
        pending = list(w.inflight)
        self._inflight.difference_update(pending)
        if pending and w.ready:
            task = pending.pop(0)
            path = self.files[task[0]].path
            crash = ParseError(path, 0, 0, f"the parser crashed on this file ({_how(code)})")
            self._done[task] = ("error", crash, None)
            self.crashed.append(path)
        self._pending.update(pending)
        self._queue.extendleft(reversed(pending))
        if w.ready and self._pending:  # a worker that never came up would not come up again
            self._start()

    def _start(self) -> None:
        """One more worker, if the system lets us start one (else the others, or we, do the work)."""
        try:
            self._workers.append(_Worker(self._ctx, self.cache))
            self.started += 1
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
    signal.signal(signal.SIGTERM, _exit_cleanly)  # unwinds: a cache write removes its temporary file
    with contextlib.suppress(OSError, AttributeError):  # no os.nice on Windows
        os.nice(WORKER_NICE)  # the solver, in the parent, is the critical path
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
                conn.send((i, mode, "error", source, None))
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
        conn.send((i, mode, kind, payload, warning))


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)
