"""privlint against bandit on the same trees: cold, warm and one-file-changed scans, and memory.

Why this shape (issue 7): a pre-commit hook is judged against the linters a team already runs, on
the same machine in the same minute, so privlint and ``bandit -r`` run alternately on the same tree
and the report gives medians and ratios, not single timings. Not part of the test suite: a full
run takes from minutes (standard library, 100k lines) to an hour (1M lines).

    python benchmarks/run.py                      # stdlib sample + generated 100k, 3 runs each
    python benchmarks/run.py --corpus gen1m --repeat 1
    python benchmarks/run.py --json results.json  # also keep the raw numbers

Corpora: ``stdlib`` — the first 400 non-test modules of the running Python's standard library,
sorted by path, copied into the work directory; ``gen100k`` / ``gen1m`` — ``gen_project.py``
output. Scenarios: ``cold`` (no ``.privlint_cache``), ``warm`` (nothing changed since the last
scan), ``changed`` (the module in the middle of the tree edited before each scan: answered from
the previous findings when no analysed code sees it), ``solved`` (a module the solver needed
edited: the cone of the change is solved again, solve/incremental.py), ``hub`` (the analysed
module the most other files import: the largest cone). Memory is the peak resident set
of the whole process tree (privlint and its workers), sampled from /proc every 50 ms (the
tree's members found again every half second).

bandit runs without privlint's own bandit plugin (its tests are skipped with ``-s``), so it is
bandit's stock checks that privlint is compared with. Needs bandit installed next to privlint.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import sysconfig
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_project import generate  # noqa: E402 - the generator lives beside this script

BIN = Path(sys.executable).parent
STDLIB_FILES = 400


# ====================================================================== corpora
def stdlib_sample(dest: Path, count: int = STDLIB_FILES) -> Path:
    """The first ``count`` non-test modules of this Python's standard library, by path."""
    std = Path(sysconfig.get_paths()["stdlib"])
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(std):
        rel = Path(dirpath).relative_to(std)
        dirnames[:] = sorted(d for d in dirnames if d not in ("site-packages", "__pycache__", "tests",
                                                              "idle_test") and not d.startswith("test"))
        found += [(rel / f).as_posix() for f in filenames
                  if f.endswith(".py") and not f.startswith("test_")]
    chosen = sorted(found)[:count]
    if not dest.exists():
        for rel in chosen:
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(std / rel, dest / rel)
    return dest


def corpus(name: str, work: Path) -> Path:
    tree = work / name
    if name == "stdlib":
        return stdlib_sample(tree)
    lines = {"gen100k": 100_000, "gen1m": 1_000_000}[name]
    if not tree.exists():
        generate(tree, lines)
    return tree


def tree_size(tree: Path) -> tuple[int, int]:
    files = [p for p in tree.rglob("*.py") if ".privlint_cache" not in p.parts]
    return len(files), sum(p.read_bytes().count(b"\n") for p in files)


# ====================================================================== measuring
class _TreeRss:
    """Resident set of a process and all its descendants, from /proc (Linux).

    Why not a walk of all of /proc at each sample: that cost ~2.8 ms of CPU per sample (66
    processes, two files each), 5 % of a core at 50 ms, taken from privlint's two busy cores but
    not from bandit's one. The tree's members are found by a full walk every ``RESCAN`` samples
    (privlint starts its workers once, early); each sample in between reads only their status.
    """

    RESCAN = 10

    def __init__(self, root_pid: int) -> None:
        self.root = root_pid
        self.members = {root_pid}
        self.samples = 0

    def _rescan(self) -> None:
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as fh:
                        parents[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
        keep = {self.root}
        changed = True
        while changed:
            changed = False
            for pid, ppid in parents.items():
                if ppid in keep and pid not in keep:
                    keep.add(pid)
                    changed = True
        self.members = keep

    def kb(self) -> int:
        if self.samples % self.RESCAN == 0:
            self._rescan()
        self.samples += 1
        total = 0
        for pid in self.members:
            try:
                with open(f"/proc/{pid}/status") as fh:
                    for line in fh:
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1])
                            break
            except (OSError, ValueError, IndexError):
                continue
        return total


TIMEOUT = 1800.0  # seconds; a run that takes longer is killed and reported as such


def timed(cmd: list[str], cwd: Path) -> dict:
    """Wall time, exit code and peak process-tree RSS of one command (killed after TIMEOUT).

    The 1-minute load average before the run is kept: on a shared machine it says which runs
    competed with other work.
    """
    load = os.getloadavg()[0]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    peak = [0]
    done = threading.Event()
    killer = threading.Timer(TIMEOUT, lambda: os.killpg(proc.pid, signal.SIGKILL))
    killer.start()

    tree = _TreeRss(proc.pid)

    def sample() -> None:
        while not done.is_set():
            if os.path.isdir("/proc"):
                peak[0] = max(peak[0], tree.kb())
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    killer.cancel()
    done.set()
    sampler.join()
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    return {"seconds": seconds, "rc": proc.returncode, "peak_tree_mb": peak[0] / 1024,
            "peak_main_mb": usage.ru_maxrss / 1024, "stderr": err[-500:],
            "timed_out": proc.returncode == -signal.SIGKILL and seconds >= TIMEOUT, "load_before": load}


def bandit_cmd(tree: Path) -> list[str]:
    from privlint.integrations.bandit_plugin import CODES  # the adapter's test ids, to skip

    return [str(BIN / "bandit"), "-q", "-r", ".", "-f", "json", "-o", os.devnull, "-s", ",".join(CODES)]


def privlint_cmd(out: Path, jobs: int) -> list[str]:
    cmd = [str(BIN / "privlint"), "scan", ".", "--format", "json", "--output", str(out)]
    return cmd + (["--jobs", str(jobs)] if jobs else [])


def privlint_run(tree: Path, out: Path, jobs: int) -> dict:
    res = timed(privlint_cmd(out, jobs), tree)
    try:
        doc = json.loads(out.read_text())
        res["stats"] = doc.get("stats", {})
        res["findings"] = len(doc.get("findings", []))
        res["errors"] = len(doc.get("errors", []))
    except (OSError, ValueError):
        res["stats"] = {}
    return res


def edit_target(tree: Path, only: set[Path] | None = None) -> Path:
    """The module the ``changed`` scenario edits: a mid-sized one in the middle of the tree
    (``only``: among these)."""
    mods = sorted(p for p in tree.rglob("*.py") if ".privlint_cache" not in p.parts
                  and p.stat().st_size > 2000 and (only is None or p.resolve() in only))
    return mods[len(mods) // 2]


def solved_modules(tree: Path, names: bool = False) -> set[Path] | dict[str, Path]:
    """Files whose facts the last scan's solver needed (from its ``state`` cache entry, reuse.py):
    an edit there is always solved again, never answered from the previous findings (``names``:
    by module name)."""
    from privlint.cache import FactsCache, get_result

    folder = tree / ".privlint_cache" / "state"
    entries = sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime) if folder.is_dir() else []
    if not entries:
        return set()
    state = get_result(FactsCache.open(tree / ".privlint_cache"), entries[-1].name, "state")
    if state is None:
        return set()
    found = {ident.split("\0")[1]: (tree / ident.split("\0")[0]).resolve() for ident in state.files
             if ident.split("\0")[1] in state.parsed}
    return found if names else set(found.values())


def hub_module(tree: Path) -> Path | None:
    """The analysed module that the most other files name in an import (the largest cone)."""
    solved = solved_modules(tree, names=True)
    texts = [p.read_text("utf-8", "replace") for p in tree.rglob("*.py") if ".privlint_cache" not in p.parts]
    best = max(sorted(solved), key=lambda m: sum(f"import {m}" in t or f"from {m} import" in t
                                                  for t in texts), default=None)
    return solved[best] if best else None


def how(run: dict) -> str:
    stats = run.get("stats", {})
    if stats.get("result_reused"):
        return "reused"
    if "incremental" in stats:
        return f"cone {stats['incremental']['cone']}"
    return "full" if stats else "?"


def bench(name: str, work: Path, repeat: int, jobs: int) -> dict:
    tree = corpus(name, work)
    files, lines = tree_size(tree)
    cache = tree / ".privlint_cache"
    out = work / f"{name}.privlint.json"
    runs: dict[str, list[dict]] = {"bandit": [], "cold": [], "warm": [], "changed": [], "solved": [],
                                   "hub": []}
    print(f"== {name}: {files} files, {lines} lines", flush=True)
    for i in range(repeat):  # alternate: drift on the machine hits both tools alike
        runs["bandit"].append(timed(bandit_cmd(tree), tree))
        shutil.rmtree(cache, ignore_errors=True)
        runs["cold"].append(privlint_run(tree, out, jobs))
        print(f"   bandit {runs['bandit'][-1]['seconds']:.2f}s  privlint cold "
              f"{runs['cold'][-1]['seconds']:.2f}s (run {i + 1})", flush=True)
    for _ in range(repeat):
        runs["warm"].append(privlint_run(tree, out, jobs))
    # a commit's worth of change: one module, a new constant each time — the module in the
    # middle of the tree ("changed": answered from the previous findings when no analysed code
    # sees it, reuse.py), then one the solver needed ("solved": always solved again)
    for scenario, target in (("changed", edit_target(tree)),
                             ("solved", edit_target(tree, solved_modules(tree) or None)),
                             ("hub", hub_module(tree) or edit_target(tree))):
        original = target.read_bytes()
        try:
            for i in range(repeat):
                target.write_bytes(original + f"\nBENCHMARK_EDIT_{scenario.upper()} = {i}\n".encode())
                runs[scenario].append(privlint_run(tree, out, jobs))
        finally:
            target.write_bytes(original)
        print(f"   {scenario}: {target.relative_to(tree)} "
              f"{statistics.median(r['seconds'] for r in runs[scenario]):.2f}s: "
              f"{', '.join(how(r) for r in runs[scenario])}", flush=True)
    summary = {"files": files, "lines": lines}
    for key, rs in runs.items():
        summary[key] = {
            "median_s": statistics.median(r["seconds"] for r in rs),
            "runs_s": [round(r["seconds"], 2) for r in rs],
            "peak_tree_mb": max(r["peak_tree_mb"] for r in rs),
            "peak_main_mb": max(r["peak_main_mb"] for r in rs),
            "load_before": [round(r["load_before"], 2) for r in rs],
        }
        if key != "bandit":
            summary[key]["cached_files"] = [r.get("stats", {}).get("cached_files") for r in rs]
            summary[key]["reused"] = [bool(r.get("stats", {}).get("result_reused")) for r in rs]
            summary[key]["how"] = [how(r) for r in rs]
            summary[key]["findings"] = sorted({r.get("findings") for r in rs}, key=str)
            bad = [("TIMED OUT " if r["timed_out"] else "") + r["stderr"]
                   for r in rs if r["rc"] not in (0, 1)]
            if bad:
                summary[key]["failures"] = bad
    b = summary["bandit"]["median_s"]
    for key in ("cold", "warm", "changed", "solved", "hub"):
        summary[key]["vs_bandit"] = summary[key]["median_s"] / b
    summary["us_per_line_cold"] = summary["cold"]["median_s"] / lines * 1e6
    return summary


def version_time(repeat: int = 7) -> float:
    times = [timed([str(BIN / "privlint"), "--version"], Path.cwd())["seconds"] for _ in range(repeat)]
    return statistics.median(times)


def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), cpu)
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            mem = f"{int(fh.readline().split()[1]) / 1024 / 1024:.0f} GB"
    except (OSError, ValueError):
        pass

    def version(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.split("\n")[0]
        except OSError:
            return "?"

    from importlib.metadata import version as dist_version

    return {"cpu": cpu, "cpus": os.cpu_count(), "memory": mem, "os": platform.platform(),
            "python": platform.python_version(), "libcst": dist_version("libcst"),
            "bandit": version([str(BIN / "bandit"), "--version"]),
            "privlint": version([str(BIN / "privlint"), "--version"])}


def report(results: dict) -> str:
    rows = ["| corpus | lines | bandit | privlint cold | warm | 1 file changed (mid-tree) "
            "| 1 analysed file changed | the hub changed | peak memory (cold) |",
            "|---|---|---|---|---|---|---|---|---|"]
    for name, s in results["corpora"].items():
        rows.append(
            f"| {name} | {s['lines']:,} | {s['bandit']['median_s']:.2f} s "
            f"| {s['cold']['median_s']:.2f} s ({s['cold']['vs_bandit']:.2f}×) "
            f"| {s['warm']['median_s']:.2f} s ({s['warm']['vs_bandit']:.2f}×) "
            f"| {s['changed']['median_s']:.2f} s "
            f"({s['changed']['median_s'] / s['cold']['median_s']:.2f}× cold"
            f"{', reused' if all(s['changed']['reused']) else ''}) "
            f"| {s['solved']['median_s']:.2f} s "
            f"({s['solved']['median_s'] / s['cold']['median_s']:.2f}× cold, {s['solved']['how'][0]}) "
            f"| {s['hub']['median_s']:.2f} s "
            f"({s['hub']['median_s'] / s['cold']['median_s']:.2f}× cold, {s['hub']['how'][0]}) "
            f"| {s['cold']['peak_tree_mb']:.0f} MB |")
    rows.append("")
    rows.append(f"`privlint --version`: {results['version_s']:.3f} s")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "privlint-bench")
    ap.add_argument("--corpus", default="stdlib,gen100k", help="stdlib,gen100k,gen1m")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=0, help="privlint --jobs (default: its own default)")
    ap.add_argument("--json", type=Path, help="write the raw results here")
    ap.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds before a run is killed")
    args = ap.parse_args()
    globals()["TIMEOUT"] = args.timeout
    args.work.mkdir(parents=True, exist_ok=True)
    results = {"machine": machine(), "version_s": version_time(), "corpora": {}}
    for name in args.corpus.split(","):
        results["corpora"][name] = bench(name, args.work, args.repeat, args.jobs)
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))
    print(json.dumps(results["machine"], indent=2))
    print(report(results))


if __name__ == "__main__":
    main()
