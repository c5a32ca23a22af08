"""The pipeline, end to end: discover → parse → facts → solve → findings → report data.

Why one orchestrating function: each stage is a plain function of the previous stage's plain
output, so this file is the map of the product; the CLI only turns arguments into a ``ScanRequest``
and a ``ScanResult`` into bytes.
"""

from __future__ import annotations

import fnmatch
import gc
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from privlint import catalog
from privlint.cache import content_digest, get_result, open_cache, put_result, result_key
from privlint.config import Config
from privlint.discover import discover
from privlint.facts import ir
from privlint.facts.outline import ModuleOutline
from privlint.findings import Finding, consent_findings, display_path, from_hits
from privlint.gctune import bulk_work, keep_until_exit
from privlint.parallel import Parser
from privlint.parse import ParseError
from privlint.reuse import Loaded, Previous, file_identity, load_ledger, store_ledger, unaffected
from privlint.rules.loader import load_rules
from privlint.solve.incremental import Ledger, Plan
from privlint.solve.optout import find_opt_outs
from privlint.solve.program import Program, ProjectConfig
from privlint.suppress import apply_suppressions


@dataclass
class ScanRequest:
    paths: list[str]
    config: Config = field(default_factory=Config)
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    changed: set[str] | None = None  # --diff-base: resolved paths; report findings touching them
    jobs: int = 0  # worker processes for parsing; 0: one per CPU
    use_cache: bool = True  # --no-cache turns it off
    cache_dir: str | None = None  # default: .privlint_cache/ at the project root


@dataclass
class ScanError:
    path: str
    line: int
    column: int
    message: str


@dataclass
class ScanResult:
    findings: list[Finding]
    errors: list[ScanError]
    stats: dict[str, object]
    catalog: dict | None = None  # the data catalog built from the code (catalog.md)


def _selected(code: str, select: tuple[str, ...], ignore: tuple[str, ...]) -> bool:
    if select and not any(code.startswith(s) for s in select):
        return False
    return not any(code.startswith(i) for i in ignore)


def run_scan(req: ScanRequest) -> ScanResult:
    with bulk_work():  # gctune.py: the collector would walk every fact again and again
        return _run_scan(req)


def _run_scan(req: ScanRequest) -> ScanResult:
    started = time.perf_counter()
    cfg = req.config
    found = discover(req.paths, cfg.exclude, cfg.root)
    errors = [ScanError(display_path(p), 0, 0, reason) for p, reason in found.errors]
    cache = open_cache(req.paths, cfg.root, req.cache_dir, req.use_cache)
    digests = _digests(found) if cache is not None else None
    config = _config_parts(req) if digests is not None else []
    key = _result_key(req, found, digests, config) if digests is not None else None
    if key is not None:
        previous = get_result(cache, key)  # type: ignore[arg-type]
        if isinstance(previous, ScanResult):  # nothing that decides a finding has changed
            previous.stats["seconds"] = round(time.perf_counter() - started, 3)
            previous.stats["cached_files"] = previous.stats.get("files", 0)
            previous.stats["result_cached"] = True
            return _filtered(previous, req, found)
    parse_started = time.perf_counter()
    ident = [file_identity(sf.path, sf.module, sf.is_package) for sf in found.files]
    parser = Parser(found.files, req.jobs, cache, [digests[i] for i in ident] if digests else None)
    state = result_key(["state", *config]) if key is not None else None  # see reuse.py
    try:
        result = _solve_and_report(req, found, parser, errors, key, state, digests, started, parse_started)
    finally:
        parser.close()
    return _filtered(result, req, found)


def _solve_and_report(req: ScanRequest, found, parser: Parser, errors: list[ScanError],  # noqa: ANN001
                      key: str | None, state: str | None, digests: dict[str, str] | None,
                      started: float, parse_started: float) -> ScanResult:
    """The scan's result before the request's filters (kept so: reuse.py serves other filters).
    ``key``: of this result; ``state``: of what the last scan with this configuration left."""
    cfg = req.config
    cache = parser.cache
    previous = get_result(cache, state, "state") if cache is not None and state is not None else None
    # cached facts, else an outline (ast): libcst parses only what the solver turns out to need
    parsed = parser.run(mode="outline")
    parse_seconds = time.perf_counter() - parse_started
    modules: list[ir.ModuleFacts] = []
    outlines: list[ModuleOutline] = []
    index: dict[str, int] = {}  # module -> its file, for those with only an outline
    lines = 0
    for i, res in enumerate(parsed.results):
        if isinstance(res, ParseError):
            errors.append(ScanError(display_path(res.path), res.line, res.column, res.message))
            continue
        if isinstance(res, ModuleOutline):
            outlines.append(res)
            index[res.module] = i
        else:
            modules.append(res)
        lines += res.lines

    load_errors: list[ScanError] = []
    failed: set[str] = set()

    def load(names: list[str]) -> list[ir.ModuleFacts | None]:
        """Facts of modules the solver needs that only had an outline."""
        out: list[ir.ModuleFacts | None] = []
        for name, res in zip(names, parser.facts([index[n] for n in names]), strict=True):
            if isinstance(res, ParseError):  # ast read it, libcst cannot
                load_errors.append(ScanError(display_path(res.path), res.line, res.column, res.message))
                failed.add(name)
                out.append(None)
            else:
                out.append(res)
        gc.freeze()  # these facts, too, live to the end of the scan
        return out

    def prefetch(names: list[str]) -> None:
        parser.prefetch([index[n] for n in names if n in index])

    gc.freeze()  # the facts live to the end of the scan: no collection needs to look at them again
    rules = load_rules(_pack_paths(cfg))
    project = ProjectConfig(
        sinks=frozenset(cfg.sinks), sanitizers=frozenset(cfg.sanitizers),
        consent_checks=frozenset(cfg.consent_checks), sources=dict(cfg.sources),
    )
    program = Program(modules, rules, project, outlines=outlines, load=load, prefetch=prefetch)
    keep_until_exit(program)
    solve_started = time.perf_counter()
    reuse = _reusable(previous, cache, found, digests, program) if cache is not None else None
    usable = None
    if reuse is not None and isinstance(previous, Previous):  # reuse.py: nothing to re-solve
        parser.close()
        earlier, changes = reuse
        findings, code_catalog = earlier.findings, earlier.catalog
        load_errors, failed = list(previous.load_errors), set(previous.failed)
        stats = {k: v for k, v in earlier.stats.items() if k in _SOLVE_STATS}
        stats.update(result_reused=True, unaffected_changes=changes)
        grown, needed = previous.grown, previous.parsed
        ledger, ledger_key = None, previous.ledger  # still true: no function of it could change
    else:
        got = _ledger(previous, cache, found, digests, program) if cache is not None else None
        usable = got if isinstance(got, _Usable) else None
        findings, code_catalog, stats, ledger = _solve(program, cfg, errors, usable)
        if isinstance(got, str):
            stats["full_solve"] = got  # why the cone of the change was not enough
        parser.close()
        grown, needed, ledger_key = ledger.grown, frozenset(program.modules), None
        if program.plan is not None and isinstance(previous, Previous):
            needed |= previous.parsed  # the ledger's functions were parsed by the last solve
            failed |= previous.failed  # and these could not be: still so (no changed file is one)
            load_errors = sorted({(e.path, e.line, e.column, e.message): e
                                  for e in (*previous.load_errors, *load_errors)}.values(),
                                 key=lambda e: (e.path, e.line, e.column, e.message))
    errors += load_errors
    errors.sort(key=lambda e: (e.path, e.line, e.column, e.message))
    stats = {
        "files": len(found.files), "lines": lines,
        "seconds": round(time.perf_counter() - started, 3), "cached_files": parsed.cached,
        "parse_seconds": round(parse_seconds, 3),
        "solve_seconds": round(time.perf_counter() - solve_started, 3), **stats,
    }
    result = ScanResult(findings, errors, stats, code_catalog)
    if key is not None and cache is not None and digests is not None:
        put_result(cache, key, result)
        if ledger is not None:
            ledger_key = store_ledger(cache, key, ledger, usable.loaded if usable is not None else None)
        if state is not None:
            put_result(cache, state, Previous(digests, needed, grown, key, load_errors, frozenset(failed),
                                              ledger_key or ""), "state")
    return result


# what a solve adds to ``stats`` (a reused result keeps the solve's)
_SOLVE_STATS = ("functions", "modules_parsed", "analyses", "functions_skipped", "modules_skipped",
                "suppressed")


def _solve(program: Program, cfg: Config, errors: list[ScanError],
           usable: _Usable | None) -> tuple[list[Finding], dict, dict, Ledger]:
    """Findings (after suppressions), the code's catalog, the solve's ``stats`` and the ledger
    for the next scan. With the last solve's ledger (``_ledger`` found it usable), only what
    the change can affect is re-solved (solve/incremental.py)."""
    plan = None
    if usable is not None:
        changed = set(usable.changed)
        plan = program.plan = Plan(usable.loaded.ledger, changed,
                                   [q for m in changed for q in program.outlines[m].functions],
                                   usable.imports_changed)
    program.lean = True
    hits = program.solve()
    optouts: dict[str, tuple] = defaultdict(tuple)
    for o in find_opt_outs(program):
        optouts[o.func] += (o,)
    program.release()
    if plan is not None:
        optouts = plan.merge_optouts(optouts)
    findings = from_hits(hits, extra=consent_findings(program.unguarded_sends,
                                                      [o for q in sorted(optouts) for o in optouts[q]]))
    code_catalog, catalog_findings, catalog_error = _catalog(program, cfg)
    findings += catalog_findings
    if catalog_error:
        errors.append(ScanError(cfg.catalog or "", 0, 0, catalog_error))
    # every module with a suppression comment was parsed (ModuleOutline.pinned)
    findings, suppressed = apply_suppressions(findings, list(program.modules.values()))
    skipped_functions, skipped_modules = program.skipped()
    return findings, code_catalog, {
        "functions": program.function_count(),
        # parsed by libcst; the others were read only by the relevance pre-pass (``ast``)
        "modules_parsed": len(program.modules),
        "analyses": sum(program.analyses.values()),
        # the relevance pre-pass (solve/relevance.py): nothing is skipped without being counted
        "functions_skipped": skipped_functions,
        "modules_skipped": skipped_modules,
        "suppressed": suppressed,
        **({"incremental": {"changed": len(plan.changed), "cone": len(plan.cone),
                            "analysed": sum(1 for n in program.analyses.values() if n)}}
           if plan is not None else {}),
    }, Ledger(program.records, dict(optouts),
              plan.merge_grown(program.grown) if plan is not None else frozenset(program.grown))


@dataclass
class _Usable:
    """The last solve's ledger and the modules changed since (``_ledger``)."""

    loaded: Loaded
    changed: list[str]
    imports_changed: bool  # some changed module imports other names than before


def _ledger(previous: object, cache, found, digests: dict[str, str] | None,  # noqa: ANN001
            program: Program) -> _Usable | str:
    """The last solve's ledger when a re-solve of what changed can stand for a full solve
    (solve/incremental.py): the same files; every changed one parses, as before, and defines
    the same functions and classes (names other modules resolve); the ledger entry is there.
    Else why not (``stats.full_solve``: a user wondering why a scan was slow reads it)."""
    if not isinstance(previous, Previous) or digests is None or not previous.ledger:
        return "no earlier scan of these files with this configuration and this privlint"
    if digests.keys() != previous.files.keys():
        return "files were added, removed or renamed since the last scan"
    by_identity = {file_identity(sf.path, sf.module, sf.is_package): sf for sf in found.files}
    changed = []
    imports_changed = False
    for ident, digest in digests.items():
        if previous.files[ident] == digest:
            continue
        sf = by_identity[ident]
        now = program.outlines.get(sf.module)
        if now is None or sf.module in previous.failed:
            return f"{display_path(sf.path)} cannot be parsed"
        old = _old_outline(cache, sf, previous.files[ident])
        if old is None:
            return f"the cache no longer has what {display_path(sf.path)} was"
        if _names(old) != _names(now):
            return f"{display_path(sf.path)} defines other functions or classes than before"
        changed.append(sf.module)
        imports_changed |= old.imports != now.imports
    got = load_ledger(cache, previous.ledger)
    return _Usable(got, changed, imports_changed) if got is not None else "the last solve's ledger is gone"


def _old_outline(cache, sf, digest: str) -> ModuleOutline | None:  # noqa: ANN001
    """The outline the cache keeps for the content a file had (``digest``)."""
    got = cache.get(cache.outline_key(cache.key_of(digest, sf)), sf)
    return got if isinstance(got, ModuleOutline) else None


def _names(o: ModuleOutline) -> tuple:
    """What other modules can resolve in a module: its functions (lambdas aside: they are named
    by position) and classes with their bases and methods."""
    return (frozenset(q for q in o.functions if "<lambda" not in q), o.classes, o.is_package)


def _reusable(previous: object, cache, found, digests: dict[str, str] | None,  # noqa: ANN001
              program: Program) -> tuple[ScanResult, int] | None:
    """The last result and how many files changed since, when each is one it cannot depend on
    (reuse.py)."""
    if not isinstance(previous, Previous) or digests is None:
        return None
    by_identity = {file_identity(sf.path, sf.module, sf.is_package): sf for sf in found.files}
    changed = unaffected(previous, digests, {i: sf.module for i, sf in by_identity.items()},
                         program.outlines, lambda i, digest: _old_outline(cache, by_identity[i], digest),
                         program.pre_pass)
    earlier = get_result(cache, previous.result_key) if changed is not None else None
    if not isinstance(earlier, ScanResult):  # the entry went (only the newest few are kept)
        return None
    return earlier, len(changed or ())


def _filtered(result: ScanResult, req: ScanRequest, found) -> ScanResult:  # noqa: ANN001
    """The findings this request reports: named files, ``--select``/``--ignore``, per-path
    ignores, ``--diff-base``."""
    cfg = req.config
    findings = result.findings
    if found.report_only is not None:
        wanted = found.report_only
        findings = [f for f in findings if _touches(f, wanted)]
    select = req.select or cfg.select
    ignore = req.ignore or cfg.ignore
    findings = [f for f in findings if _selected(f.rule, select, ignore) and not _per_path_ignored(f, cfg)]
    if req.changed is not None:
        findings = [f for f in findings if _touches(f, req.changed)]
    return ScanResult(findings, result.errors, result.stats, result.catalog)


def _digests(found) -> dict[str, str] | None:  # noqa: ANN001 - discover.Discovered
    """Each file's content digest by its identity (reuse.file_identity); None when a file
    cannot be read now (the scan reports it, and a result with a read error is not worth
    keeping)."""
    out = {}
    for sf in found.files:
        try:
            with open(sf.path, "rb") as fh:
                out[file_identity(sf.path, sf.module, sf.is_package)] = content_digest(fh.read())
        except OSError:
            return None
    return out


def _result_key(req: ScanRequest, found, digests: dict[str, str], config: list[str]) -> str:  # noqa: ANN001
    """Everything a scan's result depends on (``config``: ``_config_parts``)."""
    parts = [*config, repr(req.paths), repr(req.select), repr(req.ignore),
             repr(sorted(req.changed) if req.changed is not None else None),
             repr(sorted(found.report_only) if found.report_only is not None else None),
             repr(found.errors)]
    for sf in found.files:
        ident = file_identity(sf.path, sf.module, sf.is_package)
        parts.append(f"{ident}\0{sf.explicit}\0{digests[ident]}")
    return result_key(parts)


def _config_parts(req: ScanRequest) -> list[str]:
    """What findings depend on besides the files and the request's filters: the directory,
    the configuration, the catalog and pack files (the reuse state's key, reuse.py)."""
    cfg = req.config
    parts = [os.getcwd(), repr(cfg)]
    extra = [cfg.catalog] if cfg.catalog else []
    extra += [p for p in cfg.packs if "/" in p or p.endswith(".toml")]
    for rel in extra:
        path = (cfg.root or Path(".")) / rel
        try:
            parts.append(f"{rel}:{content_digest(path.read_bytes())}")
        except OSError:
            parts.append(f"{rel}:missing")
    return parts


def _catalog(program: Program, cfg: Config) -> tuple[dict, list[Finding], str | None]:
    """The catalog the code implies, and its drift from ``catalog =`` when configured."""
    declared = None
    error = None
    path = None
    if cfg.catalog:
        path = (cfg.root or Path(".")) / cfg.catalog
        try:
            declared = catalog.load(path)
        except catalog.CatalogError as exc:
            error = str(exc)
    version = str(declared.get("version", "1")) if declared else "1"
    code = catalog.build_from(program.sends, version)
    if declared is None or path is None:
        return code, [], error
    return code, catalog.check(code, declared, str(path)), None


def _pack_paths(cfg: Config) -> list[str]:
    """Optional packs by name, other entries as files relative to the configuration."""
    from privlint.rules.loader import optional_packs

    names = optional_packs()
    return [p if p in names else str((cfg.root or Path(".")) / p) for p in cfg.packs]


def _per_path_ignored(f: Finding, cfg: Config) -> bool:
    if not cfg.per_path_ignores:
        return False
    root = cfg.root or Path(".")
    try:
        rel = Path(f.path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        rel = f.path
    return any(fnmatch.fnmatch(rel, glob) and any(f.rule.startswith(c) for c in codes)
               for glob, codes in cfg.per_path_ignores.items())


def _touches(f: Finding, wanted: set[str]) -> bool:
    paths = {f.path} | {s.path for s in f.trace}
    return any(str(Path(p).resolve()) in wanted for p in paths)


def cwd() -> str:
    return os.getcwd()
