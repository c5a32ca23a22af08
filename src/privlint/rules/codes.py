"""Every rule privlint reports, documented where it is defined (``privlint explain CODE``).

Why here and not in the engine: the engine produces flows of *kinds*; this table turns a kind into
a rule code, a severity, and the words a reviewer reads. Codes follow the blocks of
shared/spec/rules.md and are never renumbered.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    category: str  # leak, consent, catalog, suppression
    severity: str  # error, warning, info
    summary: str
    why: str
    bad: str
    good: str
    kind: str | None = None


RULES: tuple[Rule, ...] = (
    Rule("PII001", "suppression-without-reason", "suppression", "warning",
         "A `# privlint: ignore[...]` comment gives no reason.",
         "A suppression is a decision someone made about privacy; without a reason the next "
         "reviewer cannot tell a judged exception from a silenced alarm.",
         'posthog.capture("boot", properties={"host": host})  # privlint: ignore[PII102]',
         'posthog.capture("boot", properties={"host": host})  # privlint: ignore[PII102] host is '
         "our own build server, never a user's machine"),
    Rule("PII002", "suppression-unknown-code", "suppression", "warning",
         "A suppression names a rule code privlint does not have.",
         "A typo in a code suppresses nothing, so the finding it was meant for still fails the "
         "build — or the comment outlives the rule it named.",
         "send(evt)  # privlint: ignore[PII999] reviewed",
         "send(evt)  # privlint: ignore[PII403] reviewed: message is a fixed string"),
    Rule("PII003", "unused-suppression", "suppression", "warning",
         "A suppression comment suppresses no finding.",
         "Stale suppressions pile up and hide the next real leak on that line.",
         'posthog.capture("boot")  # privlint: ignore[PII101] legacy',
         'posthog.capture("boot")'),
    Rule("PII101", "username-in-telemetry", "leak", "error",
         "A user or account name reaches a telemetry payload.",
         "A login name identifies a person. Hashing does not help: an unsalted hash of a login "
         "name is reversed with a dictionary of common names and links every event of that user.",
         'posthog.capture("run", distinct_id=getpass.getuser())',
         'session = uuid.uuid4().hex  # new each run, never stored\n'
         'posthog.capture("run", distinct_id=session)', "username"),
    Rule("PII102", "hostname-in-telemetry", "leak", "error",
         "A machine's host name reaches a telemetry payload.",
         "Host names are often the owner's name (alices-macbook) or an internal server name; "
         "they identify a person or an organisation and stay the same for years.",
         'posthog.capture("boot", properties={"host": socket.gethostname()})',
         'posthog.capture("boot", properties={"os": platform.system()})', "hostname"),
    Rule("PII103", "email-in-telemetry", "leak", "error",
         "An e-mail address reaches a telemetry payload.",
         "An e-mail address is a direct identifier and a contact channel; git configuration and "
         "CI variables expose it without the user typing it.",
         'email = subprocess.check_output(["git", "config", "user.email"], text=True)\n'
         'analytics.identify(email, {"plan": "free"})',
         'analytics.track(session_id, "init", {"plan": "free"})', "email"),
    Rule("PII104", "ip-address-in-telemetry", "leak", "error",
         "An IP address of the user or machine reaches a telemetry payload.",
         "An IP address locates a user and, with a timestamp, identifies them; privacy laws "
         "treat it as personal data.",
         'sentry_sdk.set_user({"ip_address": request.remote_addr})',
         'sentry_sdk.set_user({"id": session_id})', "ip-address"),
    Rule("PII105", "machine-id-in-telemetry", "leak", "error",
         "A hardware or installation identifier (MAC address, /etc/machine-id) reaches a payload.",
         "A MAC address or machine id never changes; every event from that machine is linkable "
         "forever, even after the user clears all settings. uuid1() embeds the MAC address.",
         'posthog.capture("boot", distinct_id=str(uuid.uuid1()))',
         'posthog.capture("boot", distinct_id=str(uuid.uuid4()))', "machine-id"),
    Rule("PII106", "file-path-in-telemetry", "leak", "error",
         "A local path that can reveal the user or the project reaches a payload.",
         "Paths such as /home/alice/work/acme-secret-app name the user and what they are "
         "building; tracebacks are full of them.",
         'posthog.capture("run", properties={"cwd": os.getcwd()})',
         'posthog.capture("run", properties={"in_venv": sys.prefix != sys.base_prefix})',
         "file-path"),
    Rule("PII201", "principal-id-in-telemetry", "leak", "error",
         "An Internet Computer principal (a user, node or subnet) reaches a payload.",
         "A principal is a public, permanent account identifier: every ledger transaction and "
         "canister call of that identity can be linked to the telemetry event. A hashed "
         "principal is still linkable.",
         'posthog.capture("deploy", distinct_id=identity.sender().to_str())',
         'posthog.capture("deploy", distinct_id=session_id)', "principal-id"),
    Rule("PII202", "canister-id-in-telemetry", "leak", "error",
         "An Internet Computer canister id reaches a payload.",
         "A canister id says which application a developer is building or using; the DFINITY "
         "telemetry proposal promised never to collect it.",
         'posthog.capture("deploy", properties={"canister": os.environ["CANISTER_ID_BACKEND"]})',
         'posthog.capture("deploy", properties={"canisters": bucket(len(canister_ids))})',
         "canister-id"),
    Rule("PII203", "account-id-in-telemetry", "leak", "error",
         "An ICP ledger account identifier or ICRC-1 account reaches a payload.",
         "An account id links the event to every transfer in the public ledger.",
         'posthog.capture("transfer", properties={"to": account_id})',
         'posthog.capture("transfer", properties={"has_memo": memo is not None})', "account-id"),
    Rule("PII301", "secret-in-telemetry", "leak", "error",
         "A credential (password, token, API key, private key) reaches a payload.",
         "A secret in a telemetry store is a breach: it is readable by everyone with dashboard "
         "access and kept for years. str() of an ic-py Identity prints its private key.",
         'sentry_sdk.set_context("auth", {"token": os.environ["GITHUB_TOKEN"]})',
         'sentry_sdk.set_context("auth", {"has_token": "GITHUB_TOKEN" in os.environ})', "secret"),
    Rule("PII302", "seed-phrase-in-telemetry", "leak", "error",
         "A BIP-39 seed phrase reaches a payload.",
         "A seed phrase is every key of a wallet at once; whoever reads it owns the funds.",
         'posthog.capture("import", properties={"seed": mnemonic})',
         'posthog.capture("import", properties={"words": len(mnemonic.split())})', "seed-phrase"),
    Rule("PII401", "persistent-id-in-telemetry", "leak", "error",
         "A random identifier that outlives the process (stored and read back) reaches a payload.",
         "A persistent install id links every event of a user across months, which is profiling "
         "even without a name; the proposal promised only short-lived session ids.",
         'uid = (Path.home() / ".config/tool/telemetry_id").read_text()\n'
         'posthog.capture("run", distinct_id=uid)',
         'posthog.capture("run", distinct_id=uuid.uuid4().hex)  # per process, never stored',
         "persistent-id"),
    Rule("PII402", "project-id-in-telemetry", "leak", "error",
         "What says which project or repository is being built reaches a payload.",
         "A repository name or git remote says what a developer works on (and for whom); hashes "
         "of them are linkable and easy to reverse for public repositories.",
         'posthog.capture("ci", properties={"repo": os.environ["GITHUB_REPOSITORY"]})',
         'posthog.capture("ci", properties={"ci": "GITHUB_ACTIONS" in os.environ})', "project-id"),
    Rule("PII403", "free-text-in-telemetry", "leak", "warning",
         "Text that can carry anything (command lines, exception messages, file contents) "
         "reaches a payload.",
         "An exception message or a raw command line carries whatever the user typed or the "
         "program touched: paths, names, tokens. Send the error's class, not its text.",
         'except Exception as exc:\n    posthog.capture("error", properties={"msg": str(exc)})',
         'except Exception as exc:\n'
         '    posthog.capture("error", properties={"type": type(exc).__name__})', "free-text"),
    Rule("PII501", "send-without-consent", "consent", "error",
         "A telemetry send is reachable without passing a consent check.",
         "Telemetry must be opt-in: every path to a send must pass a check that the user agreed.",
         'def main():\n    posthog.capture("start")',
         'def main():\n    if telemetry_enabled():\n        posthog.capture("start")'),
    Rule("PII502", "opt-out-default", "consent", "error",
         "A consent check answers yes when the user has said nothing.",
         "An opt-out default turns telemetry on for everyone who never read the notice.",
         'def telemetry_enabled():\n    return os.environ.get("TOOL_TELEMETRY", "1") != "0"',
         'def telemetry_enabled():\n    return os.environ.get("TOOL_TELEMETRY") == "1"'),
    Rule("PII601", "undeclared-event", "catalog", "error",
         "The code sends an event the data catalog does not declare.",
         "The public catalog is the promise of what is collected; a new event needs review and a "
         "new opt-in.", 'posthog.capture("new_event")', "add the event to the catalog and bump its version"),
    Rule("PII602", "undeclared-field", "catalog", "error",
         "The code sends a field the data catalog does not declare.",
         "A new field widens what is collected; it needs review and a catalog update.",
         'posthog.capture("run", properties={"new": x})', "declare the field in the catalog"),
    Rule("PII603", "widened-field", "catalog", "error",
         "A field's value class widened (for example a constant became free text).",
         "Widening a field can turn an innocuous value into an identifier.",
         'properties={"os": platform.platform()}  # was platform.system()',
         "keep the narrow value, or review and update the catalog"),
    Rule("PII604", "narrowed-field", "catalog", "info",
         "A field or event was removed, or its value class narrowed.",
         "Collecting less is good news; update the catalog so it stays accurate.",
         "(a field the catalog lists is no longer sent)", "regenerate the catalog"),
)

BY_CODE: dict[str, Rule] = {r.code: r for r in RULES}
BY_KIND: dict[str, Rule] = {r.kind: r for r in RULES if r.kind}

# When a source carries several kinds, the finding uses the first kind in this order.
KIND_ORDER = ("secret", "seed-phrase", "principal-id", "canister-id", "account-id", "username",
              "email", "hostname", "ip-address", "machine-id", "persistent-id", "project-id",
              "file-path", "free-text")

SEVERITY_ORDER = {"info": 0, "warning": 1, "error": 2}


def rule_for_kinds(kinds: frozenset[str]) -> Rule:
    for k in KIND_ORDER:
        if k in kinds:
            return BY_KIND[k]
    return BY_KIND["free-text"]


def lower(severity: str) -> str:
    return {"error": "warning", "warning": "info", "info": "info"}[severity]


def explain(code: str) -> str | None:
    rule = BY_CODE.get(code.upper())
    if rule is None:
        return None
    return (
        f"{rule.code} {rule.name} ({rule.severity})\n\n{rule.summary}\n\n"
        f"Why it matters\n  {rule.why}\n\n"
        f"Leaking example\n{_indent(rule.bad)}\n\nFix\n{_indent(rule.good)}\n"
    )


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
