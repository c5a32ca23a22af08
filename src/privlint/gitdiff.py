"""``--diff-base REF``: the files changed since a git ref, for reporting on a pull request only.

Why the one subprocess in privlint: git is the only authority on what changed, and asking it once,
``git diff --name-only REF...`` (the changes on HEAD since its merge base with REF, exactly what a
pull request shows), needs nothing but git on PATH. Any failure — git missing, not a repository, an
unknown ref — is a ``GitError`` whose message the CLI prints before exiting 2.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


class GitError(RuntimeError):
    """git could not say what changed; the message is one line for the user."""


def changed_files(ref: str, paths: list[str]) -> set[str]:
    """Resolved paths of the files changed since ``ref`` under the common directory of ``paths``."""
    if not ref or ref.startswith("-"):
        raise GitError(f"--diff-base: {ref!r} is not a git ref")
    dirs = [p if p.is_dir() else p.parent for p in (Path(x).resolve() for x in paths or ["."])]
    top = Path(os.path.commonpath([str(d) for d in dirs]))
    cmd = ["git", "diff", "--name-only", "-z", "--relative", f"{ref}...", "--"]
    try:
        proc = subprocess.run(cmd, cwd=top, capture_output=True, timeout=120, check=False)
    except FileNotFoundError:
        raise GitError("--diff-base needs git, and git was not found on PATH") from None
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"--diff-base: could not run git: {exc}") from None
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace")
        if "not a git repository" in err.lower():
            raise GitError(f"--diff-base: {top} is not in a git repository")
        lines = err.strip().splitlines()
        why = lines[0] if lines else f"exit status {proc.returncode}"
        raise GitError(f"--diff-base {ref}: git diff failed in {top}: {why}")
    names = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    return {str((top / n).resolve()) for n in names if n}
