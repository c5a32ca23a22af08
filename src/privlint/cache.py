"""Content-addressed cache of each module's facts, so an unchanged file is never parsed twice.

Why content-addressed: a key made of the file's bytes (sha256), privlint's version, a fingerprint
of the code that produces facts, and the module's name and kind is valid on any machine and in any
checkout — no absolute path and no mtime goes into it — so CI can restore the directory and
parallel jobs can share it. The path a scan names a file by is not in the key either: it only
labels the facts, and is put back on a hit.

Why so defensive: a cache may only make a scan faster, never wrong or failed. Entries carry a
checksum and are written to a temporary file then renamed into place (readers see a whole entry or
none, and two scans writing the same entry write the same bytes); an entry that is truncated,
corrupt or of another format is ignored and rebuilt; a directory that cannot be created or written
(read-only checkout, full disk) costs one warning on stderr and the scan goes on without a cache.
Unpickling accepts only the IR's own classes (a whole-scan result, its own), so a tampered entry cannot
run code.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib.metadata
import importlib.util
import io
import os
import pickle
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from privlint import __version__
from privlint.discover import SourceFile
from privlint.facts import ir, outline

CACHE_DIRNAME = ".privlint_cache"
_FORMAT = b"PLFACTS1"  # entry header; change it when the layout below changes
_SUM = 16  # bytes of sha256 over the payload kept in the header
RESULTS_KEPT = 8  # whole-scan results kept (one per recent state of the tree)
# full solve ledgers kept (solve/incremental.py): one per configuration is read (deltas name
# it); each is large (1M-line project: 65 MB)
KEPT = {"ledger": 3}
_CODE = ("facts/ir.py", "facts/extract.py", "parse.py")  # what decides the facts of a file


def code_fingerprint() -> str:
    """Hash of everything besides the file that decides its facts.

    privlint's version alone would let a development checkout read facts written by older code;
    the source of the extractor and the IR, libcst's version and the Python version close that.
    """
    h = hashlib.sha256(f"{__version__}\0{_libcst_version()}\0{sys.version_info[:2]}".encode())
    pkg = Path(__file__).resolve().parent
    for rel in _CODE:
        try:
            h.update((pkg / rel).read_bytes())
        except OSError:
            h.update(rel.encode())
    return h.hexdigest()


def _libcst_version() -> str:
    """libcst's version without importing libcst (0.12 s, which a scan answered from the cache
    never needs): its generated ``_version.py`` read as text, else its installed metadata."""
    spec = importlib.util.find_spec("libcst")
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        with contextlib.suppress(OSError):
            text = (Path(folder) / "_version.py").read_text("utf-8")
            m = re.search(r"""^__version__\s*=\s*(?:version\s*=\s*)?['"]([^'"]+)['"]""", text, re.M)
            if m:
                return m.group(1)
    try:
        return importlib.metadata.version("libcst")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - libcst is a dependency
        return "?"


def entry_key(digest: str, sf: SourceFile, fingerprint: str) -> str:
    """The entry name: content hash plus what else changes extraction (module name and kind)."""
    text = f"{fingerprint}\0{digest}\0{sf.module}\0{int(sf.is_package)}"
    return hashlib.sha256(text.encode()).hexdigest()


def content_digest(source: bytes) -> str:
    return hashlib.sha256(source).hexdigest()


def dumps_facts(facts: ir.ModuleFacts) -> bytes:
    return pickle.dumps(facts, protocol=pickle.HIGHEST_PROTOCOL)


class _IRUnpickler(pickle.Unpickler):
    """Only the IR's and the outline's classes (and the builtins pickle itself needs) may be
    named in an entry."""

    def find_class(self, module: str, name: str) -> object:
        if module == ir.__name__ and (isinstance(getattr(ir, name, None), type) or name == "PACKED"):
            return getattr(ir, name)
        if module == outline.__name__ and name in ("ModuleOutline", "FnOutline", "ClassOutline"):
            return getattr(outline, name)
        if module == "builtins" and name in ("frozenset", "set", "tuple", "list", "dict"):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"unexpected class {module}.{name} in a cache entry")


class _ResultUnpickler(pickle.Unpickler):
    """A whole-scan result names only its own few classes: an entry that names anything else
    (``os.system`` in a cache restored from an untrusted CI run) is refused, not called."""

    ALLOWED = frozenset({("privlint.scan", "ScanResult"), ("privlint.scan", "ScanError"),
                         ("privlint.cache", "_PiecesHead"),
                         ("privlint.findings", "Finding"), ("privlint.findings", "TraceStep"),
                         ("privlint.reuse", "Previous"),
                         *(("builtins", n) for n in ("frozenset", "set", "tuple", "list", "dict"))})

    def find_class(self, module: str, name: str) -> object:
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"unexpected class {module}.{name} in a result entry")


class _LedgerUnpickler(pickle.Unpickler):
    """A solve's ledger (solve/incremental.py) holds the solver's own values: only classes of
    the solver's and the IR's modules."""

    MODULES = frozenset({"privlint.solve.values", "privlint.solve.summary", "privlint.solve.sends",
                         "privlint.solve.optout", "privlint.solve.records", "privlint.solve.incremental",
                         "privlint.facts.ir"})

    def find_class(self, module: str, name: str) -> object:
        if module in self.MODULES:
            found = super().find_class(module, name)
            if isinstance(found, type):
                return found
        elif (module == "builtins" and name in ("frozenset", "set", "tuple", "list", "dict")) \
                or (module, name) in (("privlint.catalog", "Entry"), ("privlint.cache", "_PiecesHead")):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"unexpected class {module}.{name} in a ledger entry")


def loads_facts(data: bytes, also_outline: bool = False) -> ir.ModuleFacts:
    """Facts from a pickle; with ``also_outline``, an outline is accepted too (the cache keeps
    the outline of a module the solver did not need, facts/outline.py)."""
    got = _IRUnpickler(io.BytesIO(data)).load()
    if not isinstance(got, ir.ModuleFacts) and not (also_outline and isinstance(got, outline.ModuleOutline)):
        raise pickle.UnpicklingError("not module facts")
    return got


class FactsCache:
    """One cache directory. ``get``/``put`` never raise; a write failure disables the cache."""

    def __init__(self, directory: Path, fingerprint: str | None = None, quiet: bool = False) -> None:
        self.directory = Path(directory)
        self.quiet = quiet  # a worker's cache: the parent says the warning, once
        self.fingerprint = fingerprint or code_fingerprint()
        self.entries = self.directory / "facts"
        self.enabled = True
        self.warning: str | None = None
        self.hits = 0

    # ------------------------------------------------------------------ set-up
    @classmethod
    def open(cls, directory: Path) -> FactsCache:
        cache = cls(directory)
        try:
            cache.entries.mkdir(parents=True, exist_ok=True)
            _write_marker(cache.directory / ".gitignore", b"# created by privlint\n*\n")
            _write_marker(cache.directory / "CACHEDIR.TAG",
                          b"Signature: 8a477f597d28d172789f06886806bc55\n# privlint facts cache\n")
        except OSError as exc:
            cache.disable(f"cannot create {directory}: {exc.strerror or exc}")
        return cache

    def disable(self, why: str) -> None:
        if self.enabled:
            self.enabled = False
            self.warning = why
            if not self.quiet:
                print(f"privlint: warning: cache disabled, scanning without it: {why}",
                      file=sys.stderr)

    def key(self, source: bytes, sf: SourceFile) -> str:
        return self.key_of(content_digest(source), sf)

    def key_of(self, digest: str, sf: SourceFile) -> str:
        """The entry of the file whose content has this digest (no need to read it again)."""
        return entry_key(digest, sf, self.fingerprint)

    @staticmethod
    def outline_key(key: str) -> str:
        """Where the outline of the file whose facts key is ``key`` is kept."""
        return hashlib.sha256(f"{key}\0outline".encode()).hexdigest()

    def _path(self, key: str) -> Path:
        return self.entries / key[:2] / key[2:]

    # ------------------------------------------------------------------ entries
    def get(self, key: str, sf: SourceFile) -> ir.ModuleFacts | outline.ModuleOutline | None:
        """The cached facts (or outline, under ``outline_key``), relabelled with the path this
        scan uses, or None (miss or bad entry)."""
        if not self.enabled:
            return None
        try:
            with open(self._path(key), "rb") as fh:
                data = fh.read()
        except OSError:
            return None
        facts = decode_entry(data)
        if facts is None or facts.module != sf.module or facts.is_package != sf.is_package:
            return None
        self.hits += 1
        return facts if facts.path == sf.path else dataclasses.replace(facts, path=sf.path)

    def put(self, key: str, payload: bytes) -> None:
        """Store pickled facts (``dumps_facts``); at worst the entry is missing next time."""
        if not self.enabled:
            return
        error = write_entry(self._path(key), payload)
        if error is not None:
            self.disable(error)


def encode_entry(payload: bytes) -> bytes:
    return _FORMAT + hashlib.sha256(payload).digest()[:_SUM] + payload


def checked_payload(data: bytes) -> bytes | None:
    """The payload of an entry (``encode_entry``), or None when it is truncated or damaged."""
    start = payload_start(data)
    return None if start is None else data[start:]


def payload_start(data: bytes) -> int | None:
    """Where an entry's payload starts, or None when it is truncated or damaged. Why not the
    payload itself: slicing copies, and a 1M-line project's ledger is 65 MB."""
    head = len(_FORMAT) + _SUM
    if len(data) <= head or not data.startswith(_FORMAT):
        return None
    if hashlib.sha256(memoryview(data)[head:]).digest()[:_SUM] != data[len(_FORMAT):head]:
        return None
    return head


def decode_entry(data: bytes) -> ir.ModuleFacts | outline.ModuleOutline | None:
    payload = checked_payload(data)
    if payload is None:
        return None
    try:
        return loads_facts(payload, also_outline=True)
    except Exception:  # noqa: BLE001 - any undecodable entry is a miss, never an error
        return None


def write_entry(path: Path, payload: bytes | object, pickled: bool = True) -> str | None:
    """Write atomically (temporary file in the same directory, then rename over the entry);
    ``pickled=False``: ``payload`` is an object, pickled straight into the file (a ledger is
    65 MB at 1M lines: as bytes, then with its header, it was held twice at the scan's peak).

    Returns None, or why the cache directory cannot be written (the caller disables the cache).
    No temporary file is left behind, whatever interrupts the write.
    """

    def fill(fh: BinaryIO) -> None:
        if pickled:
            fh.write(encode_entry(payload))  # type: ignore[arg-type]
            return
        fh.write(_FORMAT + bytes(_SUM))  # the checksum, once the payload is written
        summing = _Summing(fh)
        pieces = [_PiecesHead(len(payload)), *payload] if isinstance(payload, Pieces) else [payload]
        for piece in pieces:
            pickle.Pickler(summing, protocol=pickle.HIGHEST_PROTOCOL).dump(piece)
        fh.seek(len(_FORMAT))
        fh.write(summing.sha.digest()[:_SUM])

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(path, fill)
        return None
    except OSError as exc:
        return f"cannot write {path.parent}: {exc.strerror or exc}"


class _Summing:
    """A file that hashes what is written through it."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.sha = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        return self.fh.write(data)


def _write_atomic(path: Path, fill: Callable[[BinaryIO], None]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fill(fh)
        _replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# Bound once, so the cache's I/O is what fault-injection tests patch here (``cache._replace``),
# not every caller of ``os.replace`` in the process.
_replace = os.replace


def _write_marker(path: Path, content: bytes) -> None:
    if not path.exists():
        _write_atomic(path, lambda fh: fh.write(content))  # type: ignore[arg-type,return-value]


def open_cache(paths: list[str], root: Path | None, cache_dir: str | None,
               use_cache: bool = True) -> FactsCache | None:
    """The scan's cache: ``--cache-dir``, else ``.privlint_cache/`` at the project root."""
    if not use_cache:
        return None
    if cache_dir:
        directory = Path(cache_dir)
    else:
        from privlint.discover import find_project_root

        directory = (root or find_project_root(Path(paths[0] if paths else "."))) / CACHE_DIRNAME
    cache = FactsCache.open(directory)
    return cache if cache.enabled else None


# ====================================================================== whole-scan results
def analysis_fingerprint() -> str:
    """Hash of all of privlint's code and packs: what decides findings besides the files."""
    h = hashlib.sha256(code_fingerprint().encode())
    pkg = Path(__file__).resolve().parent
    for p in sorted(pkg.rglob("*")):
        if p.suffix in (".py", ".toml") and "__pycache__" not in p.parts:
            h.update(p.relative_to(pkg).as_posix().encode() + b"\0")
            with contextlib.suppress(OSError):
                h.update(p.read_bytes())
    return h.hexdigest()


def result_key(parts: list[str]) -> str:
    """Key of a whole scan: every file's path and content digest, configuration, code."""
    h = hashlib.sha256(analysis_fingerprint().encode())
    for p in parts:
        h.update(p.encode("utf-8", "surrogateescape") + b"\0")
    return h.hexdigest()


class Pieces(list):
    """Objects kept in one entry one after another, each pickled on its own, and given back
    as such by ``get_result``. Why: a pickler remembers every object it has written, to write
    a second reference to one as a reference; for a 1M-line project's ledger in one piece that
    memory was ~0.1 GB at the top of the scan's peak. Pieces share nothing with each other."""


@dataclasses.dataclass(frozen=True)
class _PiecesHead:
    count: int


def get_result(cache: FactsCache, key: str, folder: str = "results") -> object | None:
    """A previous scan's result for exactly these inputs (``state``: what the last scan with
    these options left, reuse.py), or None; a bad entry is a miss."""
    if not cache.enabled:
        return None
    try:
        data = (cache.directory / folder / key).read_bytes()
    except OSError:
        return None
    start = payload_start(data)
    if start is None:
        return None
    try:
        loader = _LedgerUnpickler if folder.startswith("ledger") else _ResultUnpickler
        stream = io.BytesIO(data)  # shares ``data``'s buffer: no copy of a 65 MB ledger
        stream.seek(start)
        first = loader(stream).load()
        if not isinstance(first, _PiecesHead):
            return first
        return Pieces(loader(stream).load() for _ in range(first.count))
    except Exception:  # noqa: BLE001 - any undecodable or refused entry is a miss, never an error
        return None


def put_result(cache: FactsCache, key: str, result: object, name: str = "results") -> None:
    """Keep the result of this scan; only the newest few are kept (old ones are never read)."""
    if not cache.enabled:
        return
    folder = cache.directory / name
    error = write_entry(folder / key, result, pickled=False)
    if error is not None:
        return
    with contextlib.suppress(OSError):
        entries = sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEPT.get(name, RESULTS_KEPT):]:
            old.unlink()
