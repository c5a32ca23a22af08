"""GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice`` annotation per finding.

Why: in a workflow, these lines become annotations on the pull request's diff without any upload
step or permission (SARIF upload needs ``security-events: write``). The title is the rule code and
the message carries the trace, one step per line. Values are escaped as the runner expects
(``%``, CR and LF everywhere; ``:`` and ``,`` too inside properties).
"""

from __future__ import annotations

from privlint.scan import ScanResult

COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _command(kind: str, props: dict[str, object], message: str) -> str:
    inner = ",".join(f"{k}={_prop(str(v))}" for k, v in props.items())
    return f"::{kind} {inner}::{_data(message)}"


def render(result: ScanResult, color: bool = False) -> str:
    out: list[str] = []
    for f in result.findings:
        props: dict[str, object] = {"file": f.path, "line": f.line, "col": f.column}
        if f.end_line >= f.line:
            props["endLine"] = f.end_line
            if f.end_column > f.column or f.end_line > f.line:
                props["endColumn"] = f.end_column
        props["title"] = f.rule
        notes = f" [{', '.join(f.notes)}]" if f.notes else ""
        trace = "".join(f"\n{s.path}:{s.line}:{s.column}: {s.step}: {s.note}" for s in f.trace)
        out.append(_command(COMMAND[f.severity], props, f"{f.message}{notes}{trace}"))
    for e in result.errors:
        props = {"file": e.path}
        if e.line:
            props.update(line=e.line, col=e.column)
        props["title"] = "privlint could not analyse this file"
        out.append(_command("error", props, e.message))
    n = len(result.findings)
    out.append(f"privlint: {n} finding{'s' if n != 1 else ''}, {len(result.errors)} errors")
    return "\n".join(out) + "\n"
