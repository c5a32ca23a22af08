"""What each send carries, for the data catalog: event name and every payload field's value class.

Why in the solver: the catalog must name the fields a wrapper's callers add (``record("deploy",
canisters=n)``), which only substitution through summaries can see. A send whose event or fields
still depend on the function's parameters is *open*: it travels up to each caller like a sink hit,
and is listed where it closes (or at an entry point, as ``<dynamic>``).
"""

from __future__ import annotations

from dataclasses import dataclass

from privlint.facts.names import NO_NAMES
from privlint.rules.codes import KIND_ORDER
from privlint.solve.summary import SinkSite
from privlint.solve.values import EMPTY_TRACE, Flow, Val, new_flow

CLASS_ORDER = ("constant", "enum", "boolean", "number", "version", "duration", "session-id",
               "free-text", "identifier", "unknown")
MARK = "#class:"  # refs prefix carrying a value class ("#class:version")
EVENT_FIELDS = ("event", "event_name", "event_type", "eventName", "type", "name", "action")
MAX_FIELDS = 200


@dataclass(frozen=True)
class SendFact:
    site: SinkSite  # the send as the caller sees it: the telemetry call or a wrapper call
    sink: str  # the telemetry API at the end ("requests.post", "posthog.capture")
    event: Val
    payload: tuple[tuple[str, Val], ...]  # (argument label, value)
    strip_root: tuple[str, ...] = ()  # HTTP bodies: "json.properties.x" is catalogued as "properties.x"
    exclude: tuple[str, ...] = ()  # vendor configuration, not payload ("headers.authorization")
    via: tuple[str, ...] = ()  # the project wrappers it was sent through, outermost first

    @property
    def is_open(self) -> bool:
        vals = [self.event, *(v for _, v in self.payload)]
        return any(o.param is not None for v in vals for o in v.all_flows())

    def signature(self) -> tuple:
        return (self.site, self.sink, self.event.signature(),
                tuple((k, v.signature()) for k, v in self.payload))


def kept(fact: SendFact) -> SendFact:
    """An open send as a summary keeps it: its values without the traces and notes of their flows.

    Why: an open send travels up every caller chain, copied at each level, and nothing reads
    the traces of its flows — the catalog entry it becomes reads their origins (kinds, the
    parameter a flow stands for), and substitution at a call site replaces a parameter's flow
    whole (its trace comes from the caller's argument). They were ~30 % of the summaries' memory
    (gen100k: 11.8 of 39 MiB), the largest part after return values (issue 7).
    """
    payload = tuple((k, v.map_kept(_bare)) for k, v in fact.payload)  # an untainted value as it is
    return SendFact(fact.site, fact.sink, fact.event.map_kept(_bare), payload, fact.strip_root, fact.exclude,
                    fact.via)


def _bare(f: Flow) -> Flow:
    if f.trace is EMPTY_TRACE and f.notes is NO_NAMES:
        return f
    return new_flow((f.origin, EMPTY_TRACE, NO_NAMES))


def class_of(v: Val) -> tuple[str, tuple[str, ...]]:
    """The value class of a value, and the literal values of a constant or an enum."""
    flows = [o for o in v.all_flows() if o.param is None]
    if flows:
        kinds = set().union(*(o.kinds for o in flows))
        for k in KIND_ORDER:
            if k in kinds and k != "free-text":
                return f"identifier:{k}", ()
        return "free-text", ()
    if any(o.param is not None for o in v.all_flows()):
        return "unknown", ()
    marks = {r[len(MARK):] for r in v.refs if r.startswith(MARK)}
    if "#bool" in v.refs:
        marks.add("boolean")
    if "#number" in v.refs:
        marks.add("number")
    if marks:
        widest = max(marks, key=lambda c: CLASS_ORDER.index(c) if c in CLASS_ORDER else 3)
        if widest == "time":
            widest = "number"
        if widest == "enum":
            return "enum", tuple(sorted(v.strs))
        return widest, ()
    if v.strs and not any("\x00" in s for s in v.strs):
        values = tuple(sorted(v.strs))
        return ("constant" if len(values) == 1 else "enum"), values
    if "#none" in v.refs or "#true" in v.refs or "#false" in v.refs:
        return "constant", ()
    return "unknown", ()


def fields_of(v: Val, prefix: str, out: dict[str, Val], depth: int = 0) -> None:
    """Every leaf field of a payload value, by dotted path."""
    if len(out) >= MAX_FIELDS:
        return
    if v.fields and depth < 6:
        for k, sub in v.fields.items():
            if isinstance(k, str) and k.startswith("<"):
                continue
            fields_of(sub, f"{prefix}.{k}" if prefix else str(k), out, depth + 1)
        loose = Val(v.flows, v.rest)
        if loose.tainted:
            out[f"{prefix}.*" if prefix else "*"] = loose
        return
    if prefix:
        out[prefix] = v


def event_names(fact: SendFact) -> tuple[str, ...] | None:
    """The constant names an event can have, or None when it cannot be known."""
    ev = fact.event
    if ev.strs and not any("\x00" in s for s in ev.strs) and not ev.tainted:
        return tuple(sorted(ev.strs))
    for _, v in fact.payload:
        for key in EVENT_FIELDS:
            sub = v.fields.get(key)
            if sub is not None and sub.strs and not any("\x00" in s for s in sub.strs):
                return tuple(sorted(sub.strs))
    return None
