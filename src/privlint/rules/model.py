"""The models the engine runs: sources, sinks, sanitizers and propagation, as plain data.

Why a separate model layer: the engine (``privlint.solve``) knows no SDK by name. Everything it
needs to know about a library — which call returns a user name, which argument of which method is a
telemetry payload, which function hashes its input — lives in the TOML rule packs next to this
module and reaches the engine as the ``RuleSet`` below. Adding an SDK is one pack entry.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SourceModel:
    """A call, attribute or name whose value is born carrying ``kinds``."""

    kinds: frozenset[str]
    says: str  # "returns the login name"
    fields: dict[str, frozenset[str]] = field(default_factory=dict)  # per-attribute kinds instead
    item0: frozenset[str] = frozenset()  # extra kinds of element 0 (sys.argv[0] is a path)
    whole_too: bool = True  # when ``fields`` is set, whether the whole value carries ``kinds``


@dataclass(frozen=True)
class KeyedModel:
    """A mapping whose items are sources by key: the environment, request headers."""

    table: str
    whole: frozenset[str]  # kinds of the whole mapping (sending all of os.environ)
    says: str


@dataclass(frozen=True)
class KeyRule:
    patterns: tuple[str, ...]  # fnmatch patterns on the key, case-insensitive
    kinds: frozenset[str]
    says: str

    def matches(self, key: str) -> bool:
        k = key.upper()
        return any(fnmatch.fnmatchcase(k, p.upper()) for p in self.patterns)


@dataclass(frozen=True)
class CommandRule:
    """A command line run through a subprocess whose output is a source."""

    words: tuple[str, ...]  # every word must appear, in order ("git", "config", "user.email")
    kinds: frozenset[str]
    says: str


@dataclass(frozen=True)
class FileRule:
    patterns: tuple[str, ...]  # fnmatch on the path text read
    kinds: frozenset[str]
    says: str


@dataclass(frozen=True)
class SinkModel:
    """A telemetry API: which arguments are payload and how they are named in findings."""

    name: str  # display name, e.g. "posthog.capture"
    signatures: tuple[tuple[str, ...], ...]  # positional parameter orders, tried in turn
    payload: tuple[str, ...] | None  # only these parameters are payload (None: every one)
    not_payload: frozenset[str]
    exclude_fields: tuple[str, ...]  # payload sub-fields that are vendor config ("headers.authorization")
    url: str | None  # the argument that must name a telemetry endpoint for this to be a sink
    keyed: tuple[str, str, str] | None  # (key param, value param, field prefix): set_tag(k, v)
    event: str | None  # the parameter that names the event (for the catalog)
    implicit_exception: bool  # with no payload argument it sends the exception being handled
    family: str  # "segment", "posthog", "sentry", "http", ... for the catalog and messages


@dataclass(frozen=True)
class TypeModel:
    """A call that returns an instance of a known type (a client, a span, a request object)."""

    type: str
    store: tuple[str, ...] = ()  # constructor parameters kept as fields of the instance


@dataclass(frozen=True)
class InvokeModel:
    """A call that calls a function it is given: ``Thread(target=f, args=(x,))``, ``submit(f, x)``."""

    function: str  # keyword naming the function
    position: int  # or its position among positional arguments
    rest: bool  # the positional and keyword arguments after it are the function's arguments
    args: str | None  # keyword whose tuple holds the arguments ("args")
    kwargs: str | None  # keyword whose mapping holds keyword arguments ("kwargs")
    elements: bool  # the function receives elements of the iterables (map)
    partial: bool  # returns the function with the arguments bound (functools.partial)
    config: frozenset[str]  # keywords that configure the call itself (daemon, name, timeout)


@dataclass(frozen=True)
class Transform:
    """A call whose result carries its inputs' kinds, recording ``note`` ("hashed", "encoded")."""

    note: str
    args: str = "all"  # "all" inputs, "receiver" only, "first" argument only


@dataclass(frozen=True)
class Sanitizer:
    removes: frozenset[str] | None  # None: every kind


@dataclass(frozen=True)
class MethodEffect:
    """What a container method does: merge into the receiver, read a key, copy, ..."""

    effect: str


@dataclass
class RuleSet:
    """Every model, indexed for the engine's lookups (all by resolved qualified name)."""

    sources: dict[str, SourceModel] = field(default_factory=dict)
    attr_sources: dict[str, SourceModel] = field(default_factory=dict)
    name_sources: dict[str, SourceModel] = field(default_factory=dict)
    keyed_objects: dict[str, KeyedModel] = field(default_factory=dict)
    keyed_functions: dict[str, tuple[KeyedModel, int]] = field(default_factory=dict)
    key_rules: dict[str, list[KeyRule]] = field(default_factory=dict)
    runners: dict[str, int] = field(default_factory=dict)  # subprocess call -> command arg index
    commands: list[CommandRule] = field(default_factory=list)
    openers: dict[str, int] = field(default_factory=dict)  # call -> path arg (-1: receiver)
    read_methods: frozenset[str] = frozenset()
    read_functions: frozenset[str] = frozenset()
    path_types: frozenset[str] = frozenset()
    files: list[FileRule] = field(default_factory=list)
    sinks: dict[str, SinkModel] = field(default_factory=dict)
    types: dict[str, TypeModel] = field(default_factory=dict)
    transforms: dict[str, Transform] = field(default_factory=dict)
    method_transforms: dict[str, Transform] = field(default_factory=dict)
    sanitizers: dict[str, Sanitizer] = field(default_factory=dict)
    method_sanitizers: dict[str, Sanitizer] = field(default_factory=dict)
    safe_attributes: frozenset[str] = frozenset()
    safe_attribute_prefixes: tuple[str, ...] = ()
    user_dir_sources: tuple[str, ...] = ()  # source labels of the user's home/config directories
    stored_id_keys: frozenset[str] = frozenset()  # keys that hold an id in such a file
    attr_sanitizers: dict[str, Sanitizer] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    functions: dict[str, MethodEffect] = field(default_factory=dict)
    methods: dict[str, MethodEffect] = field(default_factory=dict)
    exception_kinds: frozenset[str] = frozenset({"free-text"})
    url_words: frozenset[str] = frozenset()
    url_exclude_hosts: frozenset[str] = frozenset()
    fresh: frozenset[str] = frozenset()  # calls returning a fresh random value (session ids)
    invokes: dict[str, InvokeModel] = field(default_factory=dict)
    stringify: dict[str, SourceModel] = field(default_factory=dict)  # str() of these types leaks
    value_classes: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)  # call -> class
    attr_classes: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    name_classes: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    method_classes: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    consent_names: dict[tuple[str, ...], str] = field(default_factory=dict)  # words -> "+"/"-"
    consent_env: list[tuple[str, str]] = field(default_factory=list)  # (pattern, "+"/"-")
    consent_strong: frozenset[str] = frozenset()
    truthy: frozenset[str] = frozenset()
    falsy: frozenset[str] = frozenset()
    noreturn: frozenset[str] = frozenset()
    name_words: dict[tuple[str, ...], frozenset[str]] = field(default_factory=dict)
    name_negative_last: frozenset[str] = frozenset()
    name_negative_first: frozenset[str] = frozenset()
    arguments: dict[str, tuple[int, SourceModel]] = field(default_factory=dict)  # arg kinds by use
    fingerprint: str = ""
    _cache: dict = field(default_factory=dict, repr=False)  # memoised name lookups

    def key_kinds(self, table: str, key: str) -> KeyRule | None:
        for rule in self.key_rules.get(table, ()):
            if rule.matches(key):
                return rule
        return None

    def command_kinds(self, words: list[str]) -> CommandRule | None:
        """Every rule the command line matches, merged (``--format=%an <%ae>`` is both)."""
        found = []
        for rule in self.commands:
            it = iter(words)
            if all(any(_word_match(w, x) for x in it) for w in rule.words):
                found.append(rule)
        if not found:
            return None
        kinds = frozenset().union(*(r.kinds for r in found))
        return CommandRule(found[0].words, kinds, " and ".join(dict.fromkeys(r.says for r in found)))

    def file_kinds(self, path: str) -> FileRule | None:
        for rule in self.files:
            if any(fnmatch.fnmatch(path, p) for p in rule.patterns):
                return rule
        return None

    def is_telemetry_url(self, text: str) -> bool:
        """Whole words of the host labels and path segments, or of a constant's name."""
        host, _, rest = _split_url(text)
        if host and host.lower() in self.url_exclude_hosts:
            return False
        words = {w for w in _WORDS.split(f"{host} {rest.split('?')[0]}".lower()) if w}
        return bool(words & self.url_words)

    def name_kinds(self, name: str) -> frozenset[str] | None:
        cache = self._cache.setdefault("names", {})
        if name not in cache:
            cache[name] = self._name_kinds(name)
        return cache[name]

    def _name_kinds(self, name: str) -> frozenset[str] | None:
        """The kinds a name says its value has, or None (name heuristics, see names.toml)."""
        if not self.name_words or not isinstance(name, str):
            return None
        words = [w for w in _CAMEL.sub(r"\1_\2", name).lower().strip("_").split("_") if w]
        if words and words[0] in ("get", "set", "fetch", "load", "read", "current", "my", "the"):
            words = words[1:]
        if not words or words[-1] in self.name_negative_last or words[0] in self.name_negative_first:
            return None
        for n in range(min(3, len(words)), 0, -1):
            kinds = self.name_words.get(tuple(words[-n:]))
            if kinds is not None:
                return kinds
        return None

    def consent_polarity(self, name: str) -> str | None:
        cache = self._cache.setdefault("consent", {})
        if name not in cache:
            cache[name] = self._consent_polarity(name)
        return cache[name]

    def _consent_polarity(self, name: str) -> str | None:
        """"+" when a name's truthy value means the user opted in, "-" when it means opted out.

        The whole name may match any listed word sequence (``is_enabled``); a longer name must
        end with a listed sequence and hold a strong word (``should_send_telemetry``,
        ``crash_reports_enabled``), so that ``debug_enabled`` is not a consent flag.
        """
        if not self.consent_names or not isinstance(name, str):
            return None
        words = [w for w in _CAMEL.sub(r"\1_\2", name).lower().strip("_").split("_") if w]
        if not words:
            return None
        whole = self.consent_names.get(tuple(words))
        if whole is not None:
            return whole
        strong = bool(set(words) & self.consent_strong)
        for n in range(len(words) - 1, 0, -1):
            tail = tuple(words[-n:])
            pol = self.consent_names.get(tail)
            if pol is not None and strong:
                return pol
        return None

    def env_consent(self, key: str) -> str | None:
        k = key.upper()
        for pattern, pol in self.consent_env:
            if fnmatch.fnmatchcase(k, pattern):
                return pol
        return None

    def is_telemetry_name(self, name: str) -> bool:
        words = {w.lower() for w in _CAMEL.sub(r"\1_\2", name).split("_") if w}
        return bool(words & self.url_words)


_WORDS = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")


def _split_url(text: str) -> tuple[str, str, str]:
    if "://" in text:
        _, _, rest = text.partition("://")
        host, sep, path = rest.partition("/")
        return host.split("@")[-1].split(":")[0], sep, path
    return "", "", text


def _word_match(pattern: str, word: str) -> bool:
    return fnmatch.fnmatchcase(word, pattern)
