"""The public data catalog (shared/spec/catalog.md): build it from the code, render it, check drift.

Why: the proposal promised a public list of every collected field and a new opt-in when it grows.
The list is extracted from the sends the solver saw (``solve.sends``), so it cannot fall behind
the code; ``--check`` turns "the list grew" into a failing build that asks for a review.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

from privlint.findings import Finding, assign_fingerprints, display_path
from privlint.rules.codes import BY_CODE
from privlint.solve.sends import CLASS_ORDER, SendFact, class_of, event_names, fields_of

FORMAT_VERSION = 1
_DESCRIBE = {
    "constant": "a fixed value", "enum": "one of a fixed set of values", "boolean": "yes or no",
    "number": "a number", "version": "a version string", "duration": "a duration",
    "session-id": "a random id for this run only, never stored", "free-text": "free text",
    "unknown": "not determined by privlint",
}


class CatalogError(ValueError):
    """A catalog file that cannot be read; the message names the file."""


def _rank(cls: str) -> int:
    return CLASS_ORDER.index("identifier" if cls.startswith("identifier:") else cls)


def _merge_field(old: dict | None, cls: str, values: tuple[str, ...]) -> dict:
    if old is None:
        out: dict = {"class": cls}
        if cls in ("constant", "enum") and values:
            out["values"] = sorted(values)
        return out
    merged_values = sorted(set(old.get("values", ())) | set(values))
    a, b = old["class"], cls
    if {a, b} <= {"constant", "enum"}:
        return {"class": "enum" if len(merged_values) > 1 else "constant", "values": merged_values}
    widest = a if _rank(a) >= _rank(b) else b
    out = {"class": widest}
    if widest == "enum" and merged_values:
        out["values"] = merged_values
    return out


class Entry(NamedTuple):
    """What one send adds to the catalog: its solver values reduced to field classes. Kept in
    a solve's records (solve/records.py) instead of the send: a tenth of the size, and the
    catalog of a re-solve is merged from them without classifying every send again."""

    names: tuple[str, ...]  # the event's constant names; () when it cannot be known
    func: str  # the function sending it (names an event whose name is dynamic)
    sinks: tuple[str, ...]  # the telemetry API and the wrappers it went through
    location: str  # path:line of the send
    fields: tuple[tuple[str, str, tuple[str, ...]], ...]  # (field path, class, literal values)


def entry(fact: SendFact, cwd: str | None = None, shared: dict[tuple, tuple] | None = None) -> Entry:
    """``shared``: one object for equal parts, across the entries made with it — a ledger
    pickles each object once (gen1m: most sends of an event carry the same field classes)."""
    pool = shared if shared is not None else {}
    names = event_names(fact)
    fields: dict = {}
    for label, v in fact.payload:
        fields_of(v, label, fields)
    fields = {k: v for k, v in fields.items()
              if not any(k.lower() == x or k.lower().startswith(x + ".") for x in fact.exclude)}
    if fact.strip_root:
        fields = {k.split(".", 1)[1] if "." in k and k.split(".", 1)[0] in fact.strip_root else k: v
                  for k, v in fields.items()}
    classes = tuple((path, *class_of(v)) for path, v in fields.items())
    sinks = (fact.sink, *fact.via)
    return Entry(pool.setdefault(names or (), names or ()), fact.site.func, pool.setdefault(sinks, sinks),
                 f"{display_path(fact.site.path, cwd)}:{fact.site.line}", pool.setdefault(classes, classes))


def build(sends: list[SendFact], version: str = "1", cwd: str | None = None) -> dict:
    return build_from([entry(f, cwd) for f in sends], version)


def build_from(entries: list[Entry], version: str = "1") -> dict:
    """The catalog of these sends (``entry``): every event, its fields' widest classes."""
    events: dict[str, dict] = {}
    for e in entries:
        names = e.names
        keys = list(names) if names else [f"<dynamic> {e.func}"]
        for key in keys:
            ev = events.setdefault(key, {
                "event": key if names else "<dynamic>", "sinks": set(), "fields": {},
                "locations": set(),
            })
            if not names:
                ev["function"] = e.func
            ev["sinks"].update(e.sinks)
            ev["locations"].add(e.location)
            for path, cls, values in e.fields:
                ev["fields"][path] = _merge_field(ev["fields"].get(path), cls, values)
    out = []
    for key in sorted(events):
        ev = events[key]
        item = {"event": ev["event"]}
        if "function" in ev:
            item["function"] = ev["function"]
        item["sinks"] = sorted(ev["sinks"])
        item["fields"] = {k: ev["fields"][k] for k in sorted(ev["fields"])}
        item["locations"] = sorted(ev["locations"])
        out.append(item)
    return {"catalog": FORMAT_VERSION, "version": version, "events": out}


def load(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: not a JSON catalog: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("events"), list):
        raise CatalogError(f"{path}: not a privlint catalog (no \"events\" list)")
    return doc


def to_json(doc: dict) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def to_markdown(doc: dict, title: str = "What we collect") -> str:
    lines = [f"# {title}", "",
             f"Catalog version {doc.get('version', '1')}. Every event the code can send, and every "
             "field in it; generated by privlint from the source code.", ""]
    for ev in doc["events"]:
        dynamic = ev["event"] == "<dynamic>"
        name = f"an event named at run time ({ev.get('function')})" if dynamic else ev["event"]
        lines += [f"## {name}" if dynamic else f"## `{name}`", "",
                  "| field | what it holds |", "|---|---|"]
        for field, spec in ev["fields"].items():
            cls = spec["class"]
            if cls.startswith("identifier:"):
                what = f"**an identifier ({cls.split(':', 1)[1]})**"
            else:
                what = _DESCRIBE.get(cls, cls)
            if spec.get("values"):
                what += ": " + ", ".join(f"`{v}`" for v in spec["values"])
            lines.append(f"| `{field}` | {what} |")
        if not ev["fields"]:
            lines.append("| (no fields) | |")
        lines += ["", f"Sent through: {', '.join(f'`{s}`' for s in ev['sinks'])}.", ""]
    return "\n".join(lines)


def check(code: dict, declared: dict, catalog_path: str, cwd: str | None = None) -> list[Finding]:
    """Drift between the code and the declared catalog: PII601-603 errors, PII604 information."""
    out: list[Finding] = []
    have = {_key(e): e for e in declared["events"]}
    now = {_key(e): e for e in code["events"]}
    cat = display_path(catalog_path, cwd)

    def add(code_: str, ev: dict, message: str, at_code: bool) -> None:
        rule = BY_CODE[code_]
        path, line = cat, 1
        if at_code and ev.get("locations"):
            loc = ev["locations"][0]
            path, _, ln = loc.rpartition(":")
            line = int(ln) if ln.isdigit() else 1
        out.append(Finding(rule.code, "catalog", rule.severity, [], path, line, 1, line, 1,
                           ",".join(ev.get("sinks", [])), None, message,
                           func=f"{ev['event']}", source=message))

    review = "review it and update the catalog (and its version: a new opt-in may be due)"
    for key, ev in now.items():
        old = have.get(key)
        if old is None:
            add("PII601", ev, f"event {ev['event']!r} is sent but not declared in the catalog; {review}",
                True)
            continue
        for field, spec in ev["fields"].items():
            was = old.get("fields", {}).get(field)
            if was is None:
                add("PII602", ev, f"field {field!r} of event {ev['event']!r} is not declared; {review}",
                    True)
            elif _wider(spec, was):
                add("PII603", ev, f"field {field!r} of event {ev['event']!r} widened from "
                                  f"{_show(was)} to {_show(spec)}; {review}", True)
            elif _wider(was, spec):
                add("PII604", ev, f"field {field!r} of event {ev['event']!r} narrowed from "
                                  f"{_show(was)} to {_show(spec)}; update the catalog", True)
        for field in old.get("fields", {}):
            if field not in ev["fields"]:
                add("PII604", ev, f"field {field!r} of event {ev['event']!r} is no longer sent; "
                                  "update the catalog", True)
    for key, old in have.items():
        if key not in now:
            add("PII604", old, f"event {old['event']!r} is no longer sent; update the catalog", False)
    assign_fingerprints(out)
    return out


def _key(ev: dict) -> str:
    return ev["event"] if ev["event"] != "<dynamic>" else f"<dynamic> {ev.get('function', '')}"


def _wider(a: dict, b: dict) -> bool:
    """Whether class ``a`` collects more than ``b`` (a new enum value counts)."""
    ra, rb = _rank(a["class"]), _rank(b["class"])
    if ra != rb:
        return ra > rb
    if a["class"].startswith("identifier:") and a["class"] != b["class"]:
        return True
    return bool(set(a.get("values", ())) - set(b.get("values", ())))


def _show(spec: dict) -> str:
    values = spec.get("values")
    return f"{spec['class']} {values}" if values else spec["class"]
