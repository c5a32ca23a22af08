"""Command line: ``privlint scan | rules | explain | --version`` (shared/spec/cli.md).

Why the care with exits: CI scripts and the pre-commit hook read only the exit code. 0 is clean,
1 is findings at or above ``fail-on``, 2 is anything that means the gate could not do its job
(bad usage, bad configuration, a file that could not be analysed) and wins over 1. No traceback
ever reaches a user: an unexpected failure is one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from privlint import __version__
from privlint.gctune import skip_teardown

if TYPE_CHECKING:
    from privlint.config import Config
    from privlint.scan import ScanRequest, ScanResult


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 too, but keep one style
        self.print_usage(sys.stderr)
        print(f"privlint: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _codes(text: str) -> tuple[str, ...]:
    return tuple(c.strip().upper() for c in text.split(",") if c.strip())


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="privlint", description="Keep identifiers and secrets out of telemetry.")
    p.add_argument("--version", action="version", version=f"privlint {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    s = sub.add_parser("scan", help="analyse Python code for identifiers reaching telemetry")
    s.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    s.add_argument("--format", choices=["text", "json", "sarif", "github"], default="text")
    s.add_argument("--output", metavar="FILE")
    s.add_argument("--config", metavar="FILE")
    s.add_argument("--select", type=_codes, default=())
    s.add_argument("--ignore", type=_codes, default=())
    s.add_argument("--fail-on", choices=["error", "warning", "info"])
    s.add_argument("--baseline", metavar="FILE",
                   help="report only findings not recorded in FILE (default: config key baseline)")
    s.add_argument("--update-baseline", action="store_true",
                   help="record every current finding in the baseline file and exit 0")
    s.add_argument("--diff-base", metavar="REF",
                   help="report only findings whose source or sink is in a file changed since REF")
    s.add_argument("--jobs", type=int, default=0)
    s.add_argument("--no-cache", action="store_true")
    s.add_argument("--cache-dir", metavar="DIR")
    c = sub.add_parser("catalog", help="write the public catalog of collected data, or check it")
    c.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    c.add_argument("--format", choices=["json", "markdown"], default="json")
    c.add_argument("--output", metavar="FILE")
    c.add_argument("--config", metavar="FILE")
    c.add_argument("--check", metavar="FILE", help="exit 1 when the code drifts from FILE")
    sub.add_parser("rules", help="list every rule")
    e = sub.add_parser("explain", help="why a rule matters, with a leaking and a fixed example")
    e.add_argument("code")
    return p


def entry() -> None:
    """The console script: ``main``, then the end of the process without tearing down what the
    scan built (``gctune.skip_teardown``). Nothing needs finalising: reports are written and
    flushed here, cache entries are written atomically during the scan, workers have stopped."""
    skip_teardown()
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe: the report went nowhere, the code still counts
        code = code or 2
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("privlint: interrupted", file=sys.stderr)
        return 2
    except SystemExit as exc:
        return int(exc.code or 0) if isinstance(exc.code, int) else 2
    except Exception as exc:  # noqa: BLE001 - the contract: no traceback reaches the user
        print(f"privlint: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "rules":
        from privlint.rules.codes import RULES

        for r in RULES:
            print(f"{r.code}  {r.name:<28} {r.severity:<8} {r.summary}")
        return 0
    if args.command == "explain":
        from privlint.rules.codes import explain

        text = explain(args.code)
        if text is None:
            print(f"privlint: unknown rule code {args.code!r} (see `privlint rules`)",
                  file=sys.stderr)
            return 2
        print(text, end="")
        return 0
    if args.command == "scan":
        return _scan(args)
    if args.command == "catalog":
        return _catalog(args)
    build_parser().print_help()
    return 2


def _paths_and_config(args: argparse.Namespace) -> tuple[list[str], list[str], Config | None]:
    """The named paths that exist, those that do not (each said on stderr), and the
    configuration (``--config``, else found from the first path); None after a config error."""
    from privlint.config import Config, ConfigError, find_config, load_config

    existing = [p for p in args.paths if Path(p).exists()]
    missing = [p for p in args.paths if not Path(p).exists()]
    for p in missing:
        print(f"privlint: error: {p}: no such file or directory", file=sys.stderr)
    try:
        if args.config:
            return existing, missing, load_config(Path(args.config))
        found = find_config(Path(existing[0])) if existing else None
        return existing, missing, load_config(found) if found else Config()
    except ConfigError as exc:
        print(f"privlint: configuration error: {exc}", file=sys.stderr)
        return existing, missing, None


def _scan(args: argparse.Namespace) -> int:
    from privlint import baseline
    from privlint.findings import fails
    from privlint.gitdiff import GitError, changed_files
    from privlint.report import CHUNKED, FORMATS
    from privlint.scan import ScanError, ScanRequest, ScanResult, run_scan

    existing, missing, cfg = _paths_and_config(args)
    if cfg is None:
        return 2
    bl_path = _baseline_path(args, cfg)
    if args.update_baseline and (problem := _update_problem(args, bl_path, existing)):
        print(f"privlint: error: {problem}", file=sys.stderr)
        return 2
    try:
        accepted = baseline.load(bl_path) if bl_path and not args.update_baseline else None
        changed = changed_files(args.diff_base, existing) if args.diff_base is not None else None
    except (baseline.BaselineError, GitError) as exc:
        print(f"privlint: error: {exc}", file=sys.stderr)
        return 2
    req = ScanRequest(existing, cfg, args.select, args.ignore, changed=changed, jobs=args.jobs,
                      use_cache=not args.no_cache, cache_dir=args.cache_dir)
    if req.paths:
        done = _progress(req)
        try:
            result = run_scan(req)
        finally:
            done()
    else:
        result = ScanResult([], [], {"files": 0, "lines": 0, "seconds": 0.0, "cached_files": 0})
    reported = {e.path for e in result.errors}
    for p in missing:
        if p not in reported:
            result.errors.append(ScanError(p, 0, 0, "no such file or directory"))
    if args.update_baseline:
        assert bl_path is not None  # checked by _update_problem
        return _update(bl_path, result)
    if accepted is not None:
        result.findings, result.stats["baselined"] = baseline.subtract(result.findings, accepted)
    color = args.output is None and args.format == "text" and sys.stdout.isatty()
    chunked = CHUNKED.get(args.format)
    pieces = chunked(result, color) if chunked else [FORMATS[args.format](result, color)]
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(open(args.output, "w", encoding="utf-8")) if args.output else sys.stdout
        for piece in pieces:
            out.write(piece)
    if result.errors:
        return 2
    return 1 if fails(result.findings, args.fail_on or cfg.fail_on) else 0


def _catalog(args: argparse.Namespace) -> int:
    """``privlint catalog``: 0 when written (2 on errors); with ``--check``, 1 on drift only."""
    from privlint import catalog
    from privlint.report import FORMATS
    from privlint.scan import ScanRequest, ScanResult, run_scan

    existing, missing, cfg = _paths_and_config(args)
    if cfg is None:
        return 2
    cfg.catalog = None  # the file to compare with comes from --check here
    result = run_scan(ScanRequest(existing, cfg)) if existing else ScanResult([], [], {})
    for e in result.errors:
        where = f"{e.path}:{e.line}" if e.line else e.path
        print(f"privlint: {where}: {e.message}", file=sys.stderr)
    code = result.catalog or catalog.build([])
    if args.check:
        try:
            declared = catalog.load(Path(args.check))
        except catalog.CatalogError as exc:
            print(f"privlint: error: {exc}", file=sys.stderr)
            return 2
        drift = catalog.check(code, declared, args.check)
        text = FORMATS["text"](ScanResult(drift, [], result.stats), False)
        sys.stdout.write(text)
        if result.errors or missing:
            return 2
        return 1 if any(f.severity != "info" for f in drift) else 0
    text = catalog.to_json(code) if args.format == "json" else catalog.to_markdown(code)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 2 if result.errors or missing else 0


def _baseline_path(args: argparse.Namespace, cfg: Config) -> Path | None:
    """``--baseline`` is relative to the current directory, ``baseline =`` to the config's."""
    if args.baseline:
        return Path(args.baseline)
    if cfg.baseline:
        return cfg.root / cfg.baseline if cfg.root is not None else Path(cfg.baseline)
    return None


def _update_problem(args: argparse.Namespace, path: Path | None, existing: list[str]) -> str | None:
    if path is None:
        return "--update-baseline needs --baseline FILE or `baseline` in the configuration"
    if args.diff_base is not None or any(Path(p).is_file() for p in existing):
        return ("--update-baseline records a whole scan; run it on directories, "
                "without FILE paths or --diff-base")
    return None


def _update(path: Path, result: ScanResult) -> int:
    from privlint import baseline

    baseline.write(path, result.findings)
    n = len(result.findings)
    print(f"privlint: recorded {n} finding{'s' if n != 1 else ''} in {path}", file=sys.stderr)
    for e in result.errors:
        where = f"{e.path}:{e.line}:{e.column}" if e.line else e.path
        print(f"privlint: {where}: could not be analysed: {e.message}", file=sys.stderr)
    return 2 if result.errors else 0


def _progress(req: ScanRequest) -> Callable[[], None]:
    """A "scanning N files..." line on stderr while the scan runs, only when stderr is a terminal."""
    if not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()):
        return lambda: None
    from privlint.discover import discover

    n = len(discover(req.paths, req.config.exclude, req.config.root).files)
    sys.stderr.write(f"privlint: scanning {n} file{'s' if n != 1 else ''}...")
    sys.stderr.flush()

    def done() -> None:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()

    return done


if __name__ == "__main__":
    raise SystemExit(main())
