"""Load rule packs (TOML) into a ``RuleSet``, checking every key so a typo fails loudly.

Why TOML and not Python: packs are data that reviewers can read and projects can extend without
running code; ``tomllib`` is in the standard library.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from privlint.rules.model import (
    CommandRule,
    FileRule,
    InvokeModel,
    KeyedModel,
    KeyRule,
    MethodEffect,
    RuleSet,
    Sanitizer,
    SinkModel,
    SourceModel,
    Transform,
    TypeModel,
)

KNOWN_KINDS = frozenset({
    "username", "email", "hostname", "ip-address", "machine-id", "file-path", "project-id",
    "persistent-id", "principal-id", "canister-id", "account-id", "secret", "seed-phrase", "free-text",
})

_TABLES: dict[str, set[str]] = {
    "settings": {"safe_attributes", "safe_attribute_prefixes", "user_dir_sources", "stored_id_keys",
                 "fresh", "exception_kinds",
                 "url_words", "url_exclude_hosts", "aliases"},
    "source": {"calls", "attributes", "names", "kinds", "says", "fields", "item0", "whole_too"},
    "keyed": {"table", "objects", "functions", "whole", "says"},
    "key": {"table", "patterns", "kinds", "says"},
    "runner": {"calls", "arg"},
    "command": {"words", "kinds", "says"},
    "opener": {"calls", "arg"},
    "reader": {"methods", "functions", "path_types"},
    "file": {"patterns", "kinds", "says"},
    "sink": {"family", "name", "calls", "signatures", "payload", "not_payload", "exclude_fields",
             "url", "keyed", "event", "implicit_exception"},
    "type": {"calls", "type", "store"},
    "transform": {"calls", "methods", "note", "args"},
    "sanitizer": {"calls", "methods", "attributes", "removes"},
    "effect": {"calls", "methods", "effect"},
    "stringify": {"types", "kinds", "says"},
    "class": {"calls", "attributes", "names", "methods", "class", "values"},
    "names": {"negative_last", "negative_first"},
    "consent": {"strong", "positive", "negative", "env_positive", "env_negative", "truthy", "falsy",
                "noreturn"},
    "name": {"kinds", "words"},
    "argument": {"calls", "arg", "kinds", "says"},
    "invoke": {"calls", "function", "position", "rest", "args", "kwargs", "elements", "partial",
               "config"},
}
_EFFECTS = {"dump", "fields", "path", "copy", "getattr", "setattr", "merge", "add", "setdefault", "get",
            "receiver", "keys"}


VALUE_CLASSES = ("enum", "boolean", "number", "version", "time", "duration", "session-id")


class PackError(ValueError):
    """A rule pack that does not follow the schema; the message names the pack and key."""


def _kinds(where: str, value: Iterable[str]) -> frozenset[str]:
    kinds = frozenset(value)
    bad = kinds - KNOWN_KINDS
    if bad:
        raise PackError(f"{where}: unknown kind(s) {sorted(bad)}")
    return kinds


def builtin_pack_texts(folder_name: str = "packs") -> list[tuple[str, str]]:
    folder = resources.files("privlint.rules") / folder_name
    return sorted((p.name, p.read_text("utf-8")) for p in folder.iterdir()
                  if p.name.endswith(".toml"))


def optional_packs() -> dict[str, str]:
    """Packs a project turns on with ``packs = [...]`` (for example ``logging``)."""
    return {name.removesuffix(".toml"): text for name, text in builtin_pack_texts("optional")}


def load_rules(extra: Iterable[Path | str] = ()) -> RuleSet:
    """The built-in packs plus optional packs (by name) or pack files, merged in order."""
    texts = builtin_pack_texts()
    optional = optional_packs()
    for p in extra:
        if isinstance(p, str) and p in optional:
            texts.append((f"optional/{p}.toml", optional[p]))
        else:
            path = Path(p)
            try:
                texts.append((str(path), path.read_text("utf-8")))
            except OSError as exc:
                raise PackError(f"rule pack {p}: not an optional pack "
                                f"({', '.join(sorted(optional))}) and not readable: "
                                f"{exc.strerror or exc}") from None
    rules = RuleSet()
    aliases: dict[str, str] = {}
    digest = hashlib.sha256()
    for name, text in texts:
        digest.update(name.encode() + b"\0" + text.encode())
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise PackError(f"{name}: {exc}") from None
        _apply(rules, name, data, aliases)
    rules.aliases = aliases
    rules.fingerprint = digest.hexdigest()[:16]
    return rules


def _apply(rules: RuleSet, pack: str, data: dict[str, Any], aliases: dict[str, str]) -> None:
    for table, entries in data.items():
        if table not in _TABLES:
            raise PackError(f"{pack}: unknown table [{table}]")
        if isinstance(entries, dict):
            entries = [entries]
        for i, entry in enumerate(entries):
            where = f"{pack} [{table}] #{i + 1}"
            unknown = set(entry) - _TABLES[table]
            if unknown:
                raise PackError(f"{where}: unknown key(s) {sorted(unknown)}")
            getattr(_Builder, "class_" if table == "class" else table)(rules, where, entry, aliases)


class _Builder:
    @staticmethod
    def settings(r: RuleSet, where: str, e: dict[str, Any], aliases: dict[str, str]) -> None:
        r.safe_attributes |= frozenset(e.get("safe_attributes", ()))
        r.safe_attribute_prefixes += tuple(e.get("safe_attribute_prefixes", ()))
        r.user_dir_sources += tuple(e.get("user_dir_sources", ()))
        r.stored_id_keys |= frozenset(k.lower() for k in e.get("stored_id_keys", ()))
        r.fresh |= frozenset(e.get("fresh", ()))
        if "exception_kinds" in e:
            r.exception_kinds = _kinds(where, e["exception_kinds"])
        r.url_words |= frozenset(e.get("url_words", ()))
        r.url_exclude_hosts |= frozenset(e.get("url_exclude_hosts", ()))
        aliases.update(e.get("aliases", {}))

    @staticmethod
    def source(r: RuleSet, where: str, e: dict[str, Any], aliases: dict[str, str]) -> None:
        model = SourceModel(
            kinds=_kinds(where, e.get("kinds", ())),
            says=e.get("says", "an identifier"),
            fields={k: _kinds(where, v) for k, v in e.get("fields", {}).items()},
            item0=_kinds(where, e.get("item0", ())),
            whole_too=e.get("whole_too", True),
        )
        for c in e.get("calls", ()):
            r.sources[c] = model
        for a in e.get("attributes", ()):
            r.attr_sources[a] = model
        for n in e.get("names", ()):
            r.name_sources[n] = model

    @staticmethod
    def keyed(r: RuleSet, where: str, e: dict[str, Any], aliases: dict[str, str]) -> None:
        model = KeyedModel(e["table"], _kinds(where, e.get("whole", ())), e.get("says", ""))
        for o in e.get("objects", ()):
            r.keyed_objects[o] = model
        for f in e.get("functions", ()):
            r.keyed_functions[f] = (model, 0)

    @staticmethod
    def key(r: RuleSet, where: str, e: dict[str, Any], aliases: dict[str, str]) -> None:
        rule = KeyRule(tuple(e["patterns"]), _kinds(where, e["kinds"]), e.get("says", ""))
        r.key_rules.setdefault(e["table"], []).append(rule)

    @staticmethod
    def runner(r: RuleSet, where: str, e: dict[str, Any], aliases: dict[str, str]) -> None:
        for c in e["calls"]:
            r.runners[c] = int(e.get("arg", 0))

    @staticmethod
    def command(r: RuleSet, where: str, e: dict[str, Any], aliases: dict[str, str]) -> None:
        r.commands.append(CommandRule(tuple(e["words"]), _kinds(where, e["kinds"]), e.get("says", "")))

    @staticmethod
    def opener(r: RuleSet, where: str, e: dict[str, Any], aliases: dict[str, str]) -> None:
        for c in e["calls"]:
            r.openers[c] = int(e.get("arg", 0))

    @staticmethod
    def reader(r: RuleSet, where: str, e: dict[str, Any], aliases: dict[str, str]) -> None:
        r.read_methods |= frozenset(e.get("methods", ()))
        r.read_functions |= frozenset(e.get("functions", ()))
        r.path_types |= frozenset(e.get("path_types", ()))

    @staticmethod
    def file(r: RuleSet, where: str, e: dict[str, Any], aliases: dict[str, str]) -> None:
        r.files.append(FileRule(tuple(e["patterns"]), _kinds(where, e["kinds"]), e.get("says", "")))

    @staticmethod
    def sink(r: RuleSet, where: str, e: dict[str, Any], aliases: dict[str, str]) -> None:
        keyed = e.get("keyed")
        if keyed is not None and len(keyed) != 3:
            raise PackError(f"{where}: keyed needs [key param, value param, field prefix]")
        model = SinkModel(
            name=e["name"],
            signatures=tuple(tuple(s) for s in e.get("signatures", [[]])),
            payload=tuple(e["payload"]) if "payload" in e else None,
            not_payload=frozenset(e.get("not_payload", ())),
            exclude_fields=tuple(f.lower() for f in e.get("exclude_fields", ())),
            url=e.get("url"),
            keyed=tuple(keyed) if keyed else None,  # type: ignore[arg-type]
            event=e.get("event"),
            implicit_exception=bool(e.get("implicit_exception", False)),
            family=e.get("family", "custom"),
        )
        for c in e["calls"]:
            r.sinks[c] = model

    @staticmethod
    def type(r: RuleSet, where: str, e: dict[str, Any], aliases: dict[str, str]) -> None:
        model = TypeModel(e["type"], tuple(e.get("store", ())))
        for c in e["calls"]:
            r.types[c] = model

    @staticmethod
    def transform(r: RuleSet, where: str, e: dict[str, Any], aliases: dict[str, str]) -> None:
        t = Transform(e.get("note", ""), e.get("args", "all"))
        for c in e.get("calls", ()):
            r.transforms[c] = t
        for m in e.get("methods", ()):
            r.method_transforms[m] = t

    @staticmethod
    def sanitizer(r: RuleSet, where: str, e: dict[str, Any], aliases: dict[str, str]) -> None:
        s = Sanitizer(_kinds(where, e["removes"]) if "removes" in e else None)
        for c in e.get("calls", ()):
            r.sanitizers[c] = s
        for m in e.get("methods", ()):
            r.method_sanitizers[m] = s
        for a in e.get("attributes", ()):
            r.attr_sanitizers[a] = s

    @staticmethod
    def consent(r: RuleSet, where: str, e: dict[str, Any], aliases: dict[str, str]) -> None:
        for pol, key in (("+", "positive"), ("-", "negative")):
            for w in e.get(key, ()):
                r.consent_names[tuple(w.split("_"))] = pol
        # negative environment patterns first: DO_NOT_TRACK must not match *_TRACKING
        r.consent_env += [(p.upper(), "-") for p in e.get("env_negative", ())]
        r.consent_env += [(p.upper(), "+") for p in e.get("env_positive", ())]
        r.consent_strong |= frozenset(e.get("strong", ()))
        r.truthy |= frozenset(e.get("truthy", ()))
        r.falsy |= frozenset(e.get("falsy", ()))
        r.noreturn |= frozenset(e.get("noreturn", ()))

    @staticmethod
    def names(r: RuleSet, where: str, e: dict[str, Any], aliases: dict[str, str]) -> None:
        r.name_negative_last |= frozenset(e.get("negative_last", ()))
        r.name_negative_first |= frozenset(e.get("negative_first", ()))

    @staticmethod
    def name(r: RuleSet, where: str, e: dict[str, Any], aliases: dict[str, str]) -> None:
        kinds = _kinds(where, e["kinds"])
        for w in e["words"]:
            r.name_words[tuple(w.split("_"))] = kinds

    @staticmethod
    def class_(r: RuleSet, where: str, e: dict[str, Any], aliases: dict[str, str]) -> None:
        if e["class"] not in VALUE_CLASSES:
            raise PackError(f"{where}: unknown class {e['class']!r}")
        model = (e["class"], tuple(e.get("values", ())))
        for c in e.get("calls", ()):
            r.value_classes[c] = model
        for a in e.get("attributes", ()):
            r.attr_classes[a] = model
        for n in e.get("names", ()):
            r.name_classes[n] = model
        for m in e.get("methods", ()):
            r.method_classes[m] = model

    @staticmethod
    def stringify(r: RuleSet, where: str, e: dict[str, Any], aliases: dict[str, str]) -> None:
        model = SourceModel(_kinds(where, e["kinds"]), e.get("says", ""))
        for t in e["types"]:
            r.stringify[t] = model

    @staticmethod
    def argument(r: RuleSet, where: str, e: dict[str, Any], aliases: dict[str, str]) -> None:
        model = SourceModel(_kinds(where, e["kinds"]), e.get("says", ""))
        for c in e["calls"]:
            r.arguments[c] = (int(e.get("arg", 0)), model)

    @staticmethod
    def invoke(r: RuleSet, where: str, e: dict[str, Any], aliases: dict[str, str]) -> None:
        model = InvokeModel(
            function=e.get("function", ""), position=int(e.get("position", 0)),
            rest=bool(e.get("rest", False)), args=e.get("args"), kwargs=e.get("kwargs"),
            elements=bool(e.get("elements", False)), partial=bool(e.get("partial", False)),
            config=frozenset(e.get("config", ())),
        )
        for c in e["calls"]:
            r.invokes[c] = model

    @staticmethod
    def effect(r: RuleSet, where: str, e: dict[str, Any], aliases: dict[str, str]) -> None:
        if e["effect"] not in _EFFECTS:
            raise PackError(f"{where}: unknown effect {e['effect']!r}")
        eff = MethodEffect(e["effect"])
        for c in e.get("calls", ()):
            r.functions[c] = eff
        for m in e.get("methods", ()):
            r.methods[m] = eff
