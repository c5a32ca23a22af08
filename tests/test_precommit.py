"""The pre-commit hook and the CI set-up the README tells users to copy, checked with the real tools.

The slow test installs the hook with ``pre-commit try-repo`` (pre-commit builds a virtual
environment and pip-installs privlint into it: ~15 s per environment here) and then as a real git
hook, and shows it blocking a commit that adds a leak and letting a clean one through. It needs
pip to reach an index with setuptools (a local one works offline). Skip it with ``-m "not slow"``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")
pytest.importorskip("pre_commit")

from privlint.cli import build_parser  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OPTED_IN = ('\n\ndef main():\n'  # boot() sends only after the user opted in: no PII501
            '    if os.environ.get("APP_TELEMETRY") == "1":\n        boot()\n')
LEAK = ('import os, socket, posthog\n\n\ndef boot():\n'
        '    posthog.capture("b", distinct_id="s", properties={"h": socket.gethostname()})\n' + OPTED_IN)
CLEAN = ('import os, platform, posthog\n\n\ndef boot():\n'
         '    posthog.capture("b", distinct_id="s", properties={"os": platform.system()})\n' + OPTED_IN)


def pre_commit(*args: str, cwd: Path, env: dict[str, str] | None = None,
               timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def readme_blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", (ROOT / "README.md").read_text(), re.S)


def test_manifest_is_valid() -> None:
    assert pre_commit("validate-manifest", ".pre-commit-hooks.yaml", cwd=ROOT).returncode == 0
    (hook,) = [h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
               if h["id"] == "privlint"]
    assert hook["entry"] == "privlint scan" and hook["language"] == "python"
    assert hook["types_or"] == ["python", "pyi"] and hook["require_serial"] is True
    assert hook["minimum_pre_commit_version"] == "3.2.0"


def test_readme_pre_commit_configs_are_valid(tmp_path: Path) -> None:
    configs = [b for b in readme_blocks("yaml") if b.lstrip().startswith(("repos:", "# .pre-commit"))]
    assert len(configs) == 2
    for i, text in enumerate(configs):
        cfg = tmp_path / f"config{i}.yaml"
        cfg.write_text(text)
        proc = pre_commit("validate-config", str(cfg), cwd=tmp_path)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def _scan_commands(text: str) -> list[list[str]]:
    """The arguments of every ``privlint scan`` in a code block or action step, comments removed."""
    text = re.sub(r"\$\{\{[^}]*\}\}", "main", text)
    found = re.findall(r"privlint\"? scan ([^\n#]*)", text)
    return [c.replace('"', "").split() for c in found if "[PATH" not in c]


def test_readme_workflow_and_action_use_real_options() -> None:
    workflow = yaml.safe_load(next(b for b in readme_blocks("yaml") if "upload-sarif" in b))
    steps = workflow["jobs"]["privlint"]["steps"]
    assert workflow["permissions"]["security-events"] == "write"
    upload = next(s for s in steps if "upload-sarif" in s.get("uses", ""))
    scan = next(s for s in steps if "privlint scan" in s.get("run", ""))
    assert upload["with"]["sarif_file"] in scan["run"]
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    run_steps = action["runs"]["steps"]
    assert all("shell" in s for s in run_steps if "run" in s)
    assert any(s.get("uses", "").startswith("github/codeql-action/upload-sarif@") for s in run_steps)
    blocks = "\n".join(readme_blocks("console") + readme_blocks("yaml"))
    commands = _scan_commands((ROOT / "action.yml").read_text()) + _scan_commands(blocks)
    assert len(commands) > 5
    values = {"$PATHS": "src", "$ARGS": "--baseline=b.json", "$SARIF": "x.sarif"}
    for words in commands:  # every documented invocation parses with the real argument parser
        words = [values.get(w, w) for w in words]
        args = build_parser().parse_args(["scan", *words])
        assert not any(p.startswith("$") for p in args.paths), words


def _hook_repo(tmp: Path, env: dict[str, str]) -> Path:
    """The working tree as a git repository, as pre-commit would clone privlint."""
    repo = tmp / "privlint"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    shutil.copytree(ROOT / "src", repo / "src", ignore=ignore)
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(ROOT / name, repo / name)
    git(repo, env, "init", "-q")
    git(repo, env, "add", "-A")
    git(repo, env, "commit", "-q", "-m", "privlint")
    return repo


def git(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False)


@pytest.mark.slow
def test_hook_blocks_a_leak_and_passes_a_clean_commit(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.invalid",
               GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1",
               PRE_COMMIT_HOME=str(tmp_path / "cache"))
    hook = _hook_repo(tmp_path, env)
    work = tmp_path / "work"
    (work / "app").mkdir(parents=True)
    git(work, env, "init", "-q")
    (work / "app" / "__init__.py").write_text("")
    (work / "app" / "main.py").write_text(LEAK)
    git(work, env, "add", "-A")

    # 1. pre-commit try-repo: the hook as a user would first try it, on the staged files
    tried = pre_commit("try-repo", str(hook), "privlint", cwd=work, env=env)
    assert tried.returncode == 1, tried.stdout + tried.stderr
    assert "app/main.py:5:5: PII102 hostname from socket.gethostname()" in tried.stdout

    # 2. installed as the git pre-commit hook: the leaking commit is refused, the clean one lands
    rev = git(hook, env, "rev-parse", "HEAD").stdout.strip()
    (work / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook}\n    rev: {rev}\n    hooks:\n      - id: privlint\n")
    assert pre_commit("install", cwd=work, env=env).returncode == 0
    git(work, env, "add", "-A")
    refused = git(work, env, "commit", "-m", "add telemetry")
    assert refused.returncode != 0 and "PII102" in refused.stdout + refused.stderr
    assert git(work, env, "rev-parse", "--verify", "HEAD").returncode != 0  # nothing committed
    (work / "app" / "main.py").write_text(CLEAN)
    git(work, env, "add", "-A")
    landed = git(work, env, "commit", "-m", "add telemetry")
    assert landed.returncode == 0, landed.stdout + landed.stderr
    assert "privlint" in landed.stdout + landed.stderr and "Passed" in landed.stdout + landed.stderr
