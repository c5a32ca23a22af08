"""Text output like a good linter: ``path:line:col: CODE message``, the trace, a summary."""

from __future__ import annotations

from privlint.scan import ScanResult

_COLORS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m"}
_RESET = "\033[0m"


def render(result: ScanResult, color: bool = False) -> str:
    out: list[str] = []
    for f in result.findings:
        code = f"{_COLORS[f.severity]}{f.rule}{_RESET}" if color else f.rule
        notes = f" [{', '.join(f.notes)}]" if f.notes else ""
        out.append(f"{f.path}:{f.line}:{f.column}: {code} {f.message}{notes}")
        for s in f.trace:
            out.append(f"    {s.path}:{s.line}:{s.column}: {s.step}: {s.note}")
    for e in result.errors:
        where = f"{e.path}:{e.line}:{e.column}" if e.line else e.path
        out.append(f"{where}: error: {e.message}")
    n = len(result.findings)
    by_sev: dict[str, int] = {}
    for f in result.findings:
        by_sev[f.severity] = by_sev.get(f.severity, 0) + 1
    parts = [f"{by_sev[s]} {s}{'s' if by_sev[s] != 1 else ''}" for s in ("error", "warning", "info")
             if s in by_sev]
    summary = f"Found {n} finding{'s' if n != 1 else ''}"
    if parts:
        summary += f" ({', '.join(parts)})"
    stats = result.stats
    summary += f" in {stats.get('files', 0)} files ({stats.get('lines', 0)} lines)"
    hidden = [f"{stats[k]} {what}" for k, what in (("suppressed", "suppressed"),
                                                   ("baselined", "in the baseline")) if stats.get(k)]
    if hidden:
        summary += f" ({', '.join(hidden)})"
    if result.errors:
        summary += f"; {len(result.errors)} could not be analysed"
    summary += "."
    if out:
        out.append("")
    out.append(summary)
    return "\n".join(out) + "\n"
