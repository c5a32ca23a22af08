"""File discovery and module names from the project's layout (config.md "Import roots")."""

from __future__ import annotations

from pathlib import Path

from privlint.discover import discover


def touch(root: Path, rel: str, text: str = "") -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)


def modules(root: Path) -> dict[str, str]:
    return {Path(f.path).relative_to(root).as_posix(): f.module for f in discover([str(root)]).files}


def test_src_layout_and_flat_files(tmp_path: Path) -> None:
    touch(tmp_path, "src/pkg/__init__.py")
    touch(tmp_path, "src/pkg/mod.py")
    touch(tmp_path, "tools/run.py")
    assert modules(tmp_path) == {"src/pkg/__init__.py": "pkg", "src/pkg/mod.py": "pkg.mod",
                                 "tools/run.py": "tools.run"}


def test_package_settings_in_pyproject(tmp_path: Path) -> None:
    touch(tmp_path, "pyproject.toml", '[tool.setuptools.packages.find]\nwhere = ["lib"]\n')
    touch(tmp_path, "lib/ns/sub/mod.py")  # a namespace package: no __init__.py
    assert modules(tmp_path) == {"lib/ns/sub/mod.py": "ns.sub.mod"}


def test_skipped_directories(tmp_path: Path) -> None:
    touch(tmp_path, "app.py")
    touch(tmp_path, ".venv/lib/x.py")
    touch(tmp_path, "env2/pyvenv.cfg")
    touch(tmp_path, "env2/lib/y.py")
    touch(tmp_path, "build/z.py")
    touch(tmp_path, "node_modules/w.py")
    assert modules(tmp_path) == {"app.py": "app"}


def test_exclude_globs_apply_to_walked_files_only(tmp_path: Path) -> None:
    touch(tmp_path, "app.py")
    touch(tmp_path, "tests/test_app.py")
    found = discover([str(tmp_path)], ("tests/**",), tmp_path)
    assert [Path(f.path).name for f in found.files] == ["app.py"]
    named = discover([str(tmp_path / "tests" / "test_app.py")], ("tests/**",), tmp_path)
    assert any(f.path.endswith("tests/test_app.py") and f.explicit for f in named.files)
