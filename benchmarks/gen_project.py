"""Generate a telemetry-heavy Python project of a given size, for benchmarks.

Why generated: the targets in issue 7 need a project where little can be skipped — every module
imports the telemetry package or the identifier sources, values travel through deep helper chains,
classes, decorators and other modules before reaching PostHog or a ``requests.post`` to a collector
— at 100k and 1M lines. Real projects that size are rare, and a generator is reproducible: the
same ``--lines`` and ``--seed`` always give the same files.

    python benchmarks/gen_project.py OUT_DIR --lines 100000 [--seed 7]

Layout (``src/`` layout, importable as ``telapp``): ``telapp/telemetry`` (a PostHog client
wrapper, an HTTP transport, consent checks, a ``tracked`` decorator), ``telapp/sources`` (host,
user, e-mail, token, paths), and ``telapp/features/pkgNN/modNNNN.py`` feature modules of ~300
lines, each with services (classes), a helper chain several calls deep that ends in a send,
wrappers, dict building, f-strings, safe flows (``len``, ``bool``, constants) and leaks, and calls
into an earlier module's helpers so chains cross modules.
"""

from __future__ import annotations

import argparse
import random
import textwrap
from pathlib import Path

MODULE_LINES = 300  # approximate size of one feature module
PER_PACKAGE = 50  # feature modules per sub-package

TELEMETRY_INIT = '''\
"""Telemetry facade: everything the features send goes through here."""
from telapp.telemetry.client import capture, identify, get_client
from telapp.telemetry.consent import enabled
from telapp.telemetry.transport import post_event

__all__ = ["capture", "identify", "get_client", "enabled", "post_event", "track"]


def track(event, properties=None, **extra):
    """Record an event when the user opted in."""
    if not enabled():
        return
    props = dict(properties or {})
    props.update(extra)
    capture(event, props)
'''

TELEMETRY_CLIENT = '''\
"""PostHog client wrapper."""
import uuid

import posthog

API_KEY = "phc_benchmarkbenchmarkbenchmark"
_CLIENT = None
_SESSION = str(uuid.uuid4())


def get_client():
    global _CLIENT
    if _CLIENT is None:
        _CLIENT = posthog.Posthog(API_KEY, host="https://eu.posthog.example")
    return _CLIENT


def session_id():
    return _SESSION


def capture(event, properties):
    client = get_client()
    client.capture(event, distinct_id=session_id(), properties=properties)


def identify(traits):
    get_client().identify(session_id(), traits)
'''

TELEMETRY_TRANSPORT = '''\
"""Posts events to the collector."""
import json

import requests

COLLECTOR_URL = "https://telemetry.telapp.example/v1/events"


def post_event(payload, timeout=2):
    body = {"schema": 3, "payload": payload}
    requests.post(COLLECTOR_URL, data=json.dumps(body), timeout=timeout,
                  headers={"Content-Type": "application/json"})


def post_batch(events):
    for event in events:
        post_event(event)
'''

TELEMETRY_CONSENT = '''\
"""The user's telemetry opt-in."""
import os


def enabled():
    return os.environ.get("TELAPP_TELEMETRY", "0") == "1"
'''

TELEMETRY_DECORATORS = '''\
"""A decorator that records each call of a command."""
import functools
import time

from telapp.telemetry.client import capture
from telapp.telemetry.consent import enabled


def tracked(name):
    def wrap(func):
        @functools.wraps(func)
        def inner(*args, **kwargs):
            started = time.monotonic()
            try:
                return func(*args, **kwargs)
            finally:
                if enabled():
                    capture("command", {"name": name, "seconds": time.monotonic() - started})
        return inner
    return wrap
'''

SOURCES_INIT = '''\
"""Where identifying values come from."""
'''

SOURCES_MACHINE = '''\
"""Facts about the machine and its user."""
import getpass
import os
import platform
import socket
import subprocess
from pathlib import Path


def host_name():
    return socket.gethostname()


def user_name():
    return getpass.getuser()


def git_email():
    out = subprocess.run(["git", "config", "user.email"], capture_output=True, text=True, check=False)
    return out.stdout.strip()


def api_token():
    return os.environ.get("TELAPP_API_TOKEN", "")


def home_dir():
    return str(Path.home())


def facts():
    return {"os": platform.system(), "host": host_name(), "python": platform.python_version()}


class Machine:
    kind = "workstation"

    def __init__(self):
        self.label = host_name()
        self.arch = platform.machine()

    def summary(self):
        return {"kind": self.kind, "arch": self.arch}

    def leaky_summary(self):
        return {"kind": self.kind, "label": self.label}
'''

HEADER = '''\
"""Feature module {idx}: generated for privlint benchmarks."""
from __future__ import annotations

import os
import platform
import time

from telapp import telemetry
from telapp.sources import machine
from telapp.sources.machine import Machine, facts
from telapp.telemetry.decorators import tracked
from telapp.telemetry.transport import post_event
{peer_import}
SETTINGS = {{"name": "feature{idx}", "retries": {retries}, "endpoint": "/v1/f{idx}"}}

'''

# Function templates: {n} makes names unique in the module, {idx} is the module number. Each is a
# (lines, text) pair after formatting; the generator draws from them until the module is big enough.
CHAIN = '''\
def chain{n}_0(value):
    label = str(value).strip()
    return chain{n}_1(label, {{"step": 0}})


def chain{n}_1(label, ctx):
    ctx = dict(ctx)
    ctx["step"] = 1
    return chain{n}_2(label, ctx)


def chain{n}_2(label, ctx):
    text = f"{{label}}-{{ctx['step']}}"
    return chain{n}_3(text, ctx)


def chain{n}_3(text, ctx):
    if not telemetry.enabled():
        return None
    payload = {{"value": text, "ctx": ctx, "feature": SETTINGS["name"]}}
    post_event(payload)
    return payload


def start_chain{n}():
    chain{n}_0(machine.{source}())
    chain{n}_0(len(machine.{source}()))
    chain{n}_0("constant")

'''

SERVICE = '''\
class Service{n}:
    """A service that records what it does."""

    retries = {retries}

    def __init__(self, name, verbose=False):
        self.name = name
        self.verbose = verbose
        self.count = 0
        self.context = {{"os": platform.system()}}

    def _props(self, **fields):
        props = dict(self.context)
        props.update(fields)
        props["count"] = self.count
        return props

    def run(self, items):
        for item in items:
            self.count += 1
            if self.verbose:
                print(item)
        telemetry.track("service{n}.run", self._props(items=len(items)))

    def describe(self):
        return f"{{self.name}} ({{self.count}})"

    def report(self, who):
        telemetry.track("service{n}.report", self._props(who=who))


def use_service{n}():
    svc = Service{n}("svc{n}")
    svc.run([1, 2, 3])
    svc.report("anonymous")
    svc.report(machine.{source}())

'''

WRAPPED = '''\
@tracked("command{n}")
def command{n}(args):
    total = 0
    for arg in args:
        total += len(str(arg))
    return total


def run_command{n}():
    return command{n}(["build", "--release", machine.home_dir()])

'''

DICTS = '''\
def environment{n}():
    info = facts()
    safe = {{"os": info["os"], "python": info["python"]}}
    telemetry.track("env{n}", safe)
    leaky = {{"os": info["os"], "where": info["host"]}}
    telemetry.track("env{n}.full", leaky)
    started = time.time()
    telemetry.track("env{n}.timing", {{"seconds": time.time() - started}})
    return safe

'''

MACHINE = '''\
def machine_event{n}(extra=None):
    m = Machine()
    props = m.summary()
    if extra:
        props.update(extra)
    telemetry.track("machine{n}", props)
    telemetry.track("machine{n}.label", {{"label": m.label}})
    telemetry.track("machine{n}.kind", kind=Machine.kind)

'''

PLAIN = '''\
def compute{n}(values, scale={retries}):
    """Ordinary code with no telemetry: it still has to be read."""
    out = []
    for i, v in enumerate(values):
        if i % 2:
            out.append(v * scale)
        elif v > 10:
            out.append(v - scale)
        else:
            out.append(-v)
    acc = sum(out) if out else 0
    table = {{k: k * k for k in range(scale)}}
    return acc + len(table), [x for x in out if x]


def parse{n}(text):
    parts = [p.strip() for p in text.split(",") if p.strip()]
    result = {{}}
    for part in parts:
        key, _, value = part.partition("=")
        result[key.lower()] = value or None
    return result

'''

SECRETS = '''\
def auth_event{n}():
    token = machine.api_token()
    telemetry.track("auth{n}", has_token=bool(token), token_length=len(token))
    headers = {{"Authorization": "Bearer " + token}}
    return headers


def identify{n}():
    telemetry.identify({{"email": machine.git_email(), "plan": "free"}})

'''

PEER = '''\
def via_peer{n}():
    value = peer.chain{peer_n}_0(os.environ.get("TELAPP_PROFILE", "default"))
    peer.chain{peer_n}_0(machine.{source}())
    return value

'''

TEMPLATES = [CHAIN, CHAIN, SERVICE, WRAPPED, DICTS, MACHINE, PLAIN, PLAIN, SECRETS]
SOURCES = ["host_name", "user_name", "git_email", "home_dir"]


def feature_module(idx: int, rng: random.Random, peers: dict[int, list[int]]) -> tuple[str, list[int]]:
    """One feature module and the numbers of its chains (which later modules may call)."""
    peer = rng.choice(sorted(peers)) if peers and rng.random() < 0.8 else None
    peer_import = (f"from telapp.features.pkg{peer // PER_PACKAGE:02d} import mod{peer:04d} as peer\n"
                   if peer is not None else "")
    text = HEADER.format(idx=idx, retries=rng.randint(1, 9), peer_import=peer_import)
    lines = text.count("\n")
    chains: list[int] = []
    n = 0
    while lines < MODULE_LINES:
        tpl = rng.choice(TEMPLATES + ([PEER] if peer is not None else []))
        fields = {"n": n, "idx": idx, "retries": rng.randint(2, 9), "source": rng.choice(SOURCES)}
        if tpl is PEER:
            fields["peer_n"] = rng.choice(peers[peer])
        if tpl is CHAIN:
            chains.append(n)
        chunk = tpl.format(**fields)
        text += chunk
        lines += chunk.count("\n")
        n += 1
    if not chains:
        text += CHAIN.format(n=n, idx=idx, retries=3, source="host_name")
        chains.append(n)
    return text.rstrip("\n") + "\n", chains


def generate(out: Path, lines: int, seed: int = 7) -> tuple[int, int]:
    """Write the project under ``out``; returns (files, lines) written."""
    rng = random.Random(seed)
    fixed = {
        "pyproject.toml": '[project]\nname = "telapp"\nversion = "0"\n',
        "src/telapp/__init__.py": '"""telapp: a generated benchmark project."""\n',
        "src/telapp/telemetry/__init__.py": TELEMETRY_INIT,
        "src/telapp/telemetry/client.py": TELEMETRY_CLIENT,
        "src/telapp/telemetry/transport.py": TELEMETRY_TRANSPORT,
        "src/telapp/telemetry/consent.py": TELEMETRY_CONSENT,
        "src/telapp/telemetry/decorators.py": TELEMETRY_DECORATORS,
        "src/telapp/sources/__init__.py": SOURCES_INIT,
        "src/telapp/sources/machine.py": SOURCES_MACHINE,
        "src/telapp/features/__init__.py": "",
    }
    written = 0
    files = 0
    for rel, text in fixed.items():
        _write(out / rel, text)
        files += 1
        written += text.count("\n")
    peers: dict[int, list[int]] = {}
    idx = 0
    while written < lines:
        pkg = out / "src/telapp/features" / f"pkg{idx // PER_PACKAGE:02d}"
        if idx % PER_PACKAGE == 0:
            _write(pkg / "__init__.py", "")
            files += 1
        text, chains = feature_module(idx, rng, peers)
        _write(pkg / f"mod{idx:04d}.py", text)
        peers[idx] = chains
        if len(peers) > 40:  # call into recent modules: chains cross modules, not the whole project
            del peers[min(peers)]
        files += 1
        written += text.count("\n")
        idx += 1
    return files, written


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text) if text.startswith(" ") else text, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--lines", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    files, lines = generate(args.out, args.lines, args.seed)
    print(f"{args.out}: {files} files, {lines} lines")


if __name__ == "__main__":
    main()
