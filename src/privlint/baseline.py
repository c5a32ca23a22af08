"""Baseline: adopt privlint on a codebase with existing leaks, and fail only on new ones.

Why fingerprints and counts: entries match by fingerprint (never line numbers, report-json.md), so
code inserted above a recorded finding keeps it matched; each fingerprint keeps a count, so a second
identical leak in the same function is new. Each entry also stores rule, path and message, so the
file can be reviewed like any other diff. It is written to a temporary file and renamed over the old
one (``os.replace``): a killed run leaves either the old file or the new one, never half of either.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections import Counter
from pathlib import Path

from privlint import __version__
from privlint.findings import Finding

FORMAT_VERSION = 1


class BaselineError(ValueError):
    """The baseline file is missing or unreadable; the message names it."""


def load(path: Path) -> Counter[str]:
    """Fingerprint -> how many findings with it are accepted."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"{path}: baseline not found (write it with --update-baseline)") from None
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: not a privlint baseline: {exc}") from None
    entries = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise BaselineError(f"{path}: not a privlint baseline: no \"findings\" list")
    counts: Counter[str] = Counter()
    for i, e in enumerate(entries):
        fp = e.get("fingerprint") if isinstance(e, dict) else None
        n = e.get("count", 1) if isinstance(e, dict) else None
        if not isinstance(fp, str) or not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise BaselineError(f"{path}: findings[{i}] needs a string fingerprint and a count >= 1")
        counts[fp] += n
    return counts


def subtract(findings: list[Finding], accepted: Counter[str]) -> tuple[list[Finding], int]:
    """The findings not covered by the baseline, and how many were covered."""
    left = Counter(accepted)
    new: list[Finding] = []
    for f in findings:
        if left[f.fingerprint] > 0:
            left[f.fingerprint] -= 1
        else:
            new.append(f)
    return new, len(findings) - len(new)


def _rel(path: str, base: Path) -> str:
    try:
        return Path(os.path.relpath(os.path.abspath(path), base.resolve())).as_posix()
    except ValueError:  # another drive
        return Path(path).as_posix()


def document(findings: list[Finding], base: Path) -> dict:
    counts = Counter(f.fingerprint for f in findings)
    first: dict[str, Finding] = {}
    for f in findings:
        first.setdefault(f.fingerprint, f)
    entries = [{"fingerprint": fp, "count": counts[fp], "rule": f.rule, "path": _rel(f.path, base),
                "message": f.message}
               for fp, f in first.items()]
    entries.sort(key=lambda e: (e["path"], e["rule"], e["message"], e["fingerprint"]))
    return {"tool": "privlint", "version": __version__, "format": FORMAT_VERSION, "findings": entries}


def write(path: Path, findings: list[Finding]) -> None:
    """Record exactly ``findings`` (entries for findings that went away are dropped), atomically."""
    text = json.dumps(document(findings, path.parent), indent=2, ensure_ascii=False) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)  # mkstemp gives 0600
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
