"""Reusing the previous findings when only files no analysed code saw have changed (reuse.py).

Each test compares the scan that may reuse with a scan of the same tree without any cache: a
reuse must never change what is reported, only how fast.
"""

from __future__ import annotations

from pathlib import Path

from test_cache import LEAK
from test_cache import project as cache_project

from privlint.scan import ScanRequest, run_scan

UTIL = "def slug(text):\n    return text.lower().replace(' ', '-')\n"


def project(root: Path) -> Path:
    """test_cache's project (a leak through a helper in another module), with a module no
    analysed code uses."""
    cache_project(root)
    (root / "app" / "util.py").write_text(UTIL)
    return root


def scan(root: Path, cache: Path | None, paths: list[str] | None = None):  # noqa: ANN201
    return run_scan(ScanRequest(paths or [str(root)], jobs=1, use_cache=cache is not None,
                                cache_dir=str(cache) if cache else None))


def view(result) -> list:  # noqa: ANN001
    return [(f.rule, f.path, f.line, f.column, f.message, f.fingerprint) for f in result.findings]


def settled(root: Path, cache: Path) -> None:
    """Two scans: the second one starts from the facts the first one cached, as every later
    scan will (outlines from facts and from ``ast`` may differ in what they mention)."""
    scan(root, cache)
    (root / "app" / "util.py").write_text(UTIL + "\n# settle\n")
    scan(root, cache)


def test_a_change_no_analysed_code_sees_keeps_the_findings(tmp_path: Path) -> None:
    root, cache = project(tmp_path / "p"), tmp_path / "c"
    scan(root, cache)  # the first change after a cold scan, too
    (root / "app" / "util.py").write_text(UTIL + "\n\ndef title(text):\n    return text.title()\n")
    again = scan(root, cache)
    assert again.stats.get("result_reused") is True and again.stats["unaffected_changes"] == 1
    assert view(again) == view(scan(root, None)) and len(view(again)) == 2  # the leak, no consent
    (root / "app" / "util.py").write_text(UTIL.replace("'-'", "'_'"))  # the same names: one pass
    once_more = scan(root, cache)
    assert once_more.stats.get("result_reused") is True and view(once_more) == view(again)


def test_a_change_that_joins_a_flow_is_solved_again(tmp_path: Path) -> None:
    """The unanalysed module starts calling analysed code: it is part of a flow now."""
    root, cache = project(tmp_path / "p"), tmp_path / "c"
    settled(root, cache)
    (root / "app" / "util.py").write_text("from app.main import host\nfrom app.sink import send\n\n\n"
                                          "def report():\n    send({\"u\": host()})\n")
    again = scan(root, cache)
    assert "result_reused" not in again.stats
    assert view(again) == view(scan(root, None)) and len(view(again)) == 4  # two leaks, two sends


def test_a_change_to_analysed_code_is_solved_again(tmp_path: Path) -> None:
    root, cache = project(tmp_path / "p"), tmp_path / "c"
    settled(root, cache)
    (root / "app" / "main.py").write_text(LEAK.replace('{"h": host()}', '{"n": len(host())}'))
    again = scan(root, cache)
    assert "result_reused" not in again.stats and view(again) == view(scan(root, None))
    assert [f[0] for f in view(again)] == ["PII501"]  # the leak is gone, the send stays


def test_a_new_file_is_solved_again(tmp_path: Path) -> None:
    root, cache = project(tmp_path / "p"), tmp_path / "c"
    settled(root, cache)
    (root / "app" / "extra.py").write_text(UTIL)
    again = scan(root, cache)
    assert "result_reused" not in again.stats and view(again) == view(scan(root, None))


def test_a_suppression_comment_or_a_syntax_error_is_not_skipped(tmp_path: Path) -> None:
    root, cache = project(tmp_path / "p"), tmp_path / "c"
    settled(root, cache)
    (root / "app" / "util.py").write_text(UTIL + "X = 1  # privlint: ignore[PII101] -- not a leak\n")
    pinned = scan(root, cache)
    assert "result_reused" not in pinned.stats and view(pinned) == view(scan(root, None))
    (root / "app" / "util.py").write_text("def broken(:\n")
    broken = scan(root, cache)
    assert "result_reused" not in broken.stats
    assert [e.path for e in broken.errors] == ["app/util.py"] or any(
        e.path.endswith("app/util.py") for e in broken.errors)


def test_files_named_on_the_command_line_filter_the_reused_findings(tmp_path: Path) -> None:
    """A pre-commit run names the files of the commit: the project is analysed, the report is
    limited to them — and the previous findings serve whatever files are named."""
    root, cache = project(tmp_path / "p"), tmp_path / "c"
    settled(root, cache)
    (root / "app" / "util.py").write_text(UTIL + "\n\ndef title(text):\n    return text.title()\n")
    util_only = scan(root, cache, [str(root / "app" / "util.py")])
    assert util_only.stats.get("result_reused") is True and view(util_only) == []
    main_only = scan(root, cache, [str(root / "app" / "main.py")])
    assert view(main_only) == view(scan(root, None, [str(root / "app" / "main.py")]))
    assert len(view(main_only)) == 2


def test_a_lost_result_entry_means_solving_again(tmp_path: Path) -> None:
    """Only the newest few whole-scan results are kept; the state naming an evicted one is a
    miss, never an error."""
    import shutil

    root, cache = project(tmp_path / "p"), tmp_path / "c"
    scan(root, cache)
    shutil.rmtree(cache / "results")
    (root / "app" / "util.py").write_text(UTIL + "\n\ndef title(text):\n    return text.title()\n")
    again = scan(root, cache)
    assert "result_reused" not in again.stats and view(again) == view(scan(root, None))


def test_a_file_named_after_a_directory_scan_reuses_its_findings(tmp_path: Path,
                                                                   monkeypatch) -> None:  # noqa: ANN001
    """``privlint scan .`` then a pre-commit hook's ``privlint scan app/main.py``: the same files,
    however each run names them."""
    root, cache = project(tmp_path / "p"), tmp_path / "c"
    monkeypatch.chdir(root)
    whole = scan(Path("."), cache)
    named = scan(root, cache, ["app/main.py"])
    assert named.stats.get("result_reused") is True
    assert view(named) == view(whole) and len(view(named)) == 2
