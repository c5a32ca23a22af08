"""Find the files to analyse, the project they belong to, and each file's module name.

Why module names matter: flows cross modules by import, and sinks and sources are matched on
resolved qualified names, so every file needs the dotted name its project imports it by (cli.md
"What is analysed", config.md "Import roots").
"""

from __future__ import annotations

import fnmatch
import functools
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox",
    ".nox", ".venv", "venv", ".eggs", "node_modules", "site-packages", "build", "dist",
    ".privlint_cache", ".idea", ".vscode",
})
PROJECT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")


@dataclass(frozen=True)
class SourceFile:
    path: str  # as the scan names it ("/" separators)
    module: str  # dotted module name
    is_package: bool  # an __init__.py
    explicit: bool = False  # named on the command line (always analysed, reported)


@dataclass
class Discovery:
    files: list[SourceFile] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    report_only: set[str] | None = None  # when files were named: report only these paths
    root: str = "."


def find_project_root(start: Path) -> Path:
    d = start if start.is_dir() else start.parent
    d = d.resolve()
    for cand in (d, *d.parents):
        if any((cand / m).exists() for m in PROJECT_MARKERS):
            return cand
    return d


def _is_venv(d: str) -> bool:
    return os.path.exists(os.path.join(d, "pyvenv.cfg"))


@functools.lru_cache(maxsize=64)
def import_roots(base: Path) -> tuple[Path, ...]:
    """Where the project's packages live: package settings in pyproject.toml, ``src/``, the base.

    Read from ``[tool.setuptools]`` (``package-dir``, ``packages.find.where``),
    ``[tool.hatch.build.targets.wheel] packages`` and ``[tool.poetry] packages`` — data only,
    never ``setup.py``, which would have to be run.
    """
    roots: list[Path] = []
    py = base / "pyproject.toml"
    if py.is_file():
        try:
            data = tomllib.loads(py.read_text("utf-8"))
        except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError):
            data = {}
        tool = data.get("tool", {}) if isinstance(data.get("tool"), dict) else {}
        st = tool.get("setuptools", {}) if isinstance(tool.get("setuptools"), dict) else {}
        pkg_dir = st.get("package-dir", {})
        if isinstance(pkg_dir, dict) and isinstance(pkg_dir.get(""), str):
            roots.append(base / pkg_dir[""])
        find = st.get("packages", {})
        if isinstance(find, dict) and isinstance(find.get("find"), dict):
            roots += [base / w for w in find["find"].get("where", []) if isinstance(w, str)]
        wheel = tool.get("hatch", {}).get("build", {}).get("targets", {}).get("wheel", {}) \
            if isinstance(tool.get("hatch"), dict) else {}
        for pkg in wheel.get("packages", []) if isinstance(wheel, dict) else []:
            if isinstance(pkg, str) and "/" in pkg:
                roots.append(base / pkg.rsplit("/", 1)[0])
        poetry = tool.get("poetry", {}) if isinstance(tool.get("poetry"), dict) else {}
        for pkg in poetry.get("packages", []):
            if isinstance(pkg, dict) and isinstance(pkg.get("from"), str):
                roots.append(base / pkg["from"])
    if (base / "src").is_dir():
        roots.append(base / "src")
    roots.append(base)
    return tuple(dict.fromkeys(r.resolve() for r in roots if r.is_dir()))


def import_root_for(path: Path, base: Path) -> Path:
    """The deepest import root of the project that holds the file."""
    for root in sorted(import_roots(base.resolve()), key=lambda r: len(r.parts), reverse=True):
        try:
            path.relative_to(root)
            return root
        except ValueError:
            continue
    return base


def module_name(path: Path, root: Path) -> tuple[str, bool]:
    try:
        rel = path.resolve().relative_to(root.resolve())
    except ValueError:
        rel = Path(path.name)
    parts = list(rel.with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    name = ".".join(p for p in parts if p)
    return name or path.stem, is_package


def walk(base: Path, exclude: tuple[str, ...] = (), exclude_root: Path | None = None) -> list[Path]:
    out: list[Path] = []
    seen: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
        try:
            st = os.stat(dirpath)
            ident = (st.st_dev, st.st_ino)
        except OSError:
            continue
        if ident in seen:
            dirnames[:] = []
            continue
        seen.add(ident)
        dirnames[:] = sorted(
            d for d in dirnames
            if d not in SKIP_DIRS and not d.endswith(".egg-info")
            and not _is_venv(os.path.join(dirpath, d))
            and not _excluded(Path(dirpath, d), exclude, exclude_root, is_dir=True)
        )
        for f in sorted(filenames):
            if f.endswith(".py"):
                p = Path(dirpath, f)
                if not _excluded(p, exclude, exclude_root):
                    out.append(p)
    return out


def _excluded(p: Path, globs: tuple[str, ...], root: Path | None, is_dir: bool = False) -> bool:
    if not globs or root is None:
        return False
    try:
        rel = p.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return False
    for g in globs:
        g = g.rstrip("/")
        if fnmatch.fnmatch(rel, g) or (is_dir and fnmatch.fnmatch(rel + "/x", g)):
            return True
        if g.endswith("/**") and (rel == g[:-3] or rel.startswith(g[:-3] + "/")):
            return True
    return False


def discover(paths: list[str], exclude: tuple[str, ...] = (),
             config_dir: Path | None = None) -> Discovery:
    """Directories are the project; files pull in their whole project but limit the report."""
    d = Discovery()
    dirs = [p for p in paths if Path(p).is_dir()]
    files = [p for p in paths if not Path(p).is_dir()]
    for p in files:
        if not Path(p).exists():
            d.errors.append((p, "no such file or directory"))
    files = [p for p in files if Path(p).exists()]
    chosen: dict[str, SourceFile] = {}
    if files:
        root = config_dir or find_project_root(Path(files[0]))
        d.root = str(root)
        d.report_only = {str(Path(f).resolve()) for f in files}
        for f in walk(root, exclude, config_dir or root):
            _add(chosen, f, root, explicit=False)
        for f in files:
            _add(chosen, Path(f), root, explicit=True)
    for base in dirs:
        b = Path(base)
        d.root = d.root if files else str(b)
        for f in walk(b, exclude, config_dir):
            _add(chosen, f, b, explicit=True)
    d.files = sorted(chosen.values(), key=lambda s: s.path)
    return d


def _add(chosen: dict[str, SourceFile], f: Path, base: Path, explicit: bool) -> None:
    key = str(f.resolve())
    root = import_root_for(f.resolve(), base.resolve())
    name, is_pkg = module_name(f, root)
    path = f.as_posix()
    if key in chosen and not explicit:
        return
    chosen[key] = SourceFile(path, name, is_pkg, explicit)
