"""SARIF 2.1.0 for GitHub code scanning and other SARIF viewers (shared/notes/libraries.md §4).

Why these fields: GitHub shows a rule's ``shortDescription``/``fullDescription``/``help``, ranks
alerts by ``properties.security-severity``, matches an alert across commits by
``partialFingerprints.primaryLocationLineHash`` (privlint's fingerprint, which never contains a line
number), and draws ``codeFlows`` as the path from source to sink — every trace step is one thread
flow location. URIs are relative to ``%SRCROOT%`` (the current directory, a checkout's root in CI);
the run does not spell out that directory's absolute path, so a report never carries the home
directory of whoever ran it. Files that could not be analysed are tool execution notifications.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote

from privlint import __version__
from privlint.findings import Finding
from privlint.rules.codes import RULES, Rule
from privlint.scan import ScanError, ScanResult

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_PROBLEM = {"error": "error", "warning": "warning", "info": "recommendation"}
_STEP_KINDS = {"source": ["acquire"], "sink": ["release"], "call": ["call"], "param": ["enter"],
               "return": ["return"]}
_INDEX = {r.code: i for i, r in enumerate(RULES)}


def security_severity(rule: Rule) -> str | None:
    """GitHub's 0.1-10 scale: secrets critical, identifiers high, free text and consent medium."""
    if rule.category == "consent":
        return "6.0"
    if rule.category != "leak":
        return None
    if rule.severity != "error":
        return "4.0"
    return "9.0" if rule.code.startswith("PII3") else "7.5"


def _tags(rule: Rule) -> list[str]:
    if rule.category in ("leak", "consent"):
        tags = ["security", "privacy", "external/cwe/cwe-201"]
        return tags + (["external/cwe/cwe-359"] if rule.category == "leak" and
                       not rule.code.startswith("PII3") else [])
    return ["privacy", "maintainability"] if rule.category == "suppression" else ["privacy"]


def rule_descriptor(rule: Rule) -> dict:
    def block(text: str) -> str:
        return "\n".join("    " + line for line in text.splitlines())

    props: dict[str, object] = {"tags": _tags(rule), "precision": "high",
                                "problem.severity": _PROBLEM[rule.severity], "category": rule.category}
    sev = security_severity(rule)
    if sev:
        props["security-severity"] = sev
    return {
        "id": rule.code, "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": f"{rule.summary} {rule.why}"[:1024]},
        "help": {
            "text": f"{rule.why}\n\nLeaking example:\n{block(rule.bad)}\n\nFix:\n{block(rule.good)}\n",
            "markdown": f"{rule.why}\n\n**Leaking example**\n\n```\n{rule.bad}\n```\n\n"
                        f"**Fix**\n\n```\n{rule.good}\n```\n",
        },
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": props,
    }


def artifact(path: str) -> dict:
    if os.path.isabs(path):
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(path.replace(os.sep, "/")), "uriBaseId": SRCROOT}


def region(line: int, column: int, end_line: int = 0, end_column: int = 0) -> dict | None:
    if line < 1:
        return None
    r: dict[str, int] = {"startLine": line}
    if column >= 1:
        r["startColumn"] = column
    if end_line >= line:
        r["endLine"] = end_line
        if end_column >= 1 and (end_line > line or end_column > column):
            r["endColumn"] = end_column
    return r


def location(path: str, line: int, column: int, end_line: int = 0, end_column: int = 0,
             message: str | None = None) -> dict:
    phys: dict[str, object] = {"artifactLocation": artifact(path)}
    reg = region(line, column, end_line, end_column)
    if reg:
        phys["region"] = reg
    loc: dict[str, object] = {"physicalLocation": phys}
    if message:
        loc["message"] = {"text": message}
    return loc


def line_hash(fingerprint: str) -> str:
    """``digest:occurrence`` as GitHub writes it; privlint's ``digest-N`` is occurrence N+1."""
    digest, _, n = fingerprint.partition("-")
    return f"{digest}:{int(n) + 1 if n.isdigit() else 1}"


def result(f: Finding) -> dict:
    text = f.message + (f" [{', '.join(f.notes)}]" if f.notes else "")
    res: dict[str, object] = {
        "ruleId": f.rule, "level": LEVEL[f.severity],
        "message": {"text": text},
        "locations": [location(f.path, f.line, f.column, f.end_line, f.end_column)],
        "partialFingerprints": {"primaryLocationLineHash": line_hash(f.fingerprint),
                                "privlint/v1": f.fingerprint},
        "properties": {"category": f.category, "kinds": f.kinds, "sink": f.sink, "field": f.field,
                       "notes": f.notes},
    }
    if f.rule in _INDEX:
        res["ruleIndex"] = _INDEX[f.rule]
    if f.trace:
        steps = []
        for i, s in enumerate(f.trace, 1):
            tfl: dict[str, object] = {
                "location": location(s.path, s.line, s.column, message=f"{s.step}: {s.note}"),
                "nestingLevel": 0, "executionOrder": i, "properties": {"step": s.step},
            }
            if s.step in _STEP_KINDS:
                tfl["kinds"] = _STEP_KINDS[s.step]
            steps.append(tfl)
        res["codeFlows"] = [{"threadFlows": [{"locations": steps}]}]
        src = f.trace[0]
        if src.step == "source":  # leaks start at a source; consent paths start at a call
            res["relatedLocations"] = [dict(location(src.path, src.line, src.column,
                                                     message=f"source: {src.note}"), id=1)]
    return res


def _notification(e: ScanError) -> dict:
    n: dict[str, object] = {"level": "error", "message": {"text": e.message}}
    n["locations"] = [location(e.path, e.line, e.column)]
    return n


def as_dict(res: ScanResult) -> dict:
    return {
        "$schema": SCHEMA, "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "privlint", "version": __version__,
                                "semanticVersion": __version__,
                                "rules": [rule_descriptor(r) for r in RULES]}},
            "invocations": [{"executionSuccessful": not res.errors,
                             "toolExecutionNotifications": [_notification(e) for e in res.errors]}],
            "columnKind": "unicodeCodePoints",
            "results": [result(f) for f in res.findings],
        }],
    }


def render(res: ScanResult, color: bool = False) -> str:
    return json.dumps(as_dict(res), indent=2, ensure_ascii=False) + "\n"
