"""Command line: ``privlint scan | rules | explain | --version`` (shared/spec/cli.md).

Why the care with exits: CI scripts and the pre-commit hook read only the exit code. 0 is clean,
1 is findings at or above ``fail-on``, 2 is anything that means the gate could not do its job
(bad usage, bad configuration, a file that could not be analysed) and wins over 1. No traceback
ever reaches a user: an unexpected failure is one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from privlint import __version__


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
    s.add_argument("--format", choices=["text", "json"], default="text")
    s.add_argument("--output", metavar="FILE")
    s.add_argument("--config", metavar="FILE")
    s.add_argument("--select", type=_codes, default=())
    s.add_argument("--ignore", type=_codes, default=())
    s.add_argument("--fail-on", choices=["error", "warning", "info"])
    s.add_argument("--jobs", type=int, default=0)
    s.add_argument("--no-cache", action="store_true")
    s.add_argument("--cache-dir", metavar="DIR")
    sub.add_parser("rules", help="list every rule")
    e = sub.add_parser("explain", help="why a rule matters, with a leaking and a fixed example")
    e.add_argument("code")
    return p


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
    build_parser().print_help()
    return 2


def _scan(args: argparse.Namespace) -> int:
    from privlint.config import Config, ConfigError, find_config, load_config
    from privlint.findings import fails
    from privlint.report import FORMATS
    from privlint.scan import ScanError, ScanRequest, run_scan

    missing = [p for p in args.paths if not Path(p).exists()]
    for p in missing:
        print(f"privlint: error: {p}: no such file or directory", file=sys.stderr)
    try:
        if args.config:
            cfg = load_config(Path(args.config))
        else:
            existing = [p for p in args.paths if Path(p).exists()]
            found = find_config(Path(existing[0])) if existing else None
            cfg = load_config(found) if found else Config()
    except ConfigError as exc:
        print(f"privlint: configuration error: {exc}", file=sys.stderr)
        return 2
    req = ScanRequest([p for p in args.paths if Path(p).exists()], cfg, args.select, args.ignore)
    if req.paths:
        result = run_scan(req)
    else:
        from privlint.scan import ScanResult

        result = ScanResult([], [], {"files": 0, "lines": 0, "seconds": 0.0, "cached_files": 0})
    reported = {e.path for e in result.errors}
    for p in missing:
        if p not in reported:
            result.errors.append(ScanError(p, 0, 0, "no such file or directory"))
    color = args.output is None and args.format == "text" and sys.stdout.isatty()
    text = FORMATS[args.format](result, color)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    if result.errors:
        return 2
    return 1 if fails(result.findings, args.fail_on or cfg.fail_on) else 0


if __name__ == "__main__":
    raise SystemExit(main())
