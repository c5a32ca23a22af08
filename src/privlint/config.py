"""Configuration: ``[tool.privlint]`` in pyproject.toml or the same keys in privlint.toml.

Why strict: a misspelt key that is silently ignored turns a gate off without anyone noticing, so an
unknown key or a wrong type is an error that names the key (config.md). Reading configuration
never imports or runs project code: it is TOML parsed with ``tomllib``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from privlint.rules.loader import KNOWN_KINDS


class ConfigError(ValueError):
    """A configuration problem; the message names the file and the key."""


@dataclass
class Config:
    path: Path | None = None  # the file it came from
    sinks: tuple[str, ...] = ()
    sanitizers: tuple[str, ...] = ()
    consent_checks: tuple[str, ...] = ()
    sources: dict[str, str] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: str = "warning"
    baseline: str | None = None
    catalog: str | None = None
    packs: tuple[str, ...] = ()  # optional built-in rule packs ("logging") or TOML files
    per_path_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)  # glob -> codes

    @property
    def root(self) -> Path | None:
        return self.path.parent if self.path is not None else None


_LISTS = {"sinks", "sanitizers", "consent-checks", "exclude", "select", "ignore", "packs"}
_STRINGS = {"fail-on", "baseline", "catalog"}


def find_config(start: Path) -> Path | None:
    d = start if start.is_dir() else start.parent
    d = d.resolve()
    for cand in (d, *d.parents):
        if (cand / "privlint.toml").is_file():
            return cand / "privlint.toml"
        py = cand / "pyproject.toml"
        if py.is_file():
            try:
                data = tomllib.loads(py.read_text("utf-8"))
            except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError):
                continue
            if isinstance(data.get("tool"), dict) and "privlint" in data["tool"]:
                return py
    return None


def load_config(path: Path) -> Config:
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("privlint", {})
        prefix = "tool.privlint."
    else:
        table = data
        prefix = ""
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {prefix.rstrip('.') or 'privlint'} must be a table")
    return parse_table(table, path, prefix)


def parse_table(table: dict[str, Any], path: Path, prefix: str = "") -> Config:
    cfg = Config(path=path)
    for key, value in table.items():
        where = f"{path}: {prefix}{key}"
        if key in _LISTS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where} must be a list of strings")
            setattr(cfg, key.replace("-", "_"), tuple(value))
            if key == "packs":
                from privlint.rules.loader import optional_packs

                known = optional_packs()
                for pack in value:
                    if pack not in known and not (path.parent / pack).is_file():
                        raise ConfigError(f"{where}: {pack!r} is neither an optional pack "
                                          f"({', '.join(sorted(known))}) nor a TOML file")
        elif key in _STRINGS:
            if not isinstance(value, str):
                raise ConfigError(f"{where} must be a string")
            if key == "fail-on" and value not in ("error", "warning", "info"):
                raise ConfigError(f'{where} must be "error", "warning" or "info", not {value!r}')
            setattr(cfg, key.replace("-", "_"), value)
        elif key == "per-path-ignores":
            if not isinstance(value, dict) or not all(
                    isinstance(v, list) and all(isinstance(c, str) for c in v) for v in value.values()):
                raise ConfigError(f"{where} must be a table of glob = [codes]")
            cfg.per_path_ignores = {k: tuple(c.upper() for c in v) for k, v in value.items()}
        elif key == "sources":
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise ConfigError(f"{where} must be a table of qualified name = kind")
            bad = sorted(v for v in value.values() if v not in KNOWN_KINDS)
            if bad:
                raise ConfigError(f"{where}: unknown kind {bad[0]!r}")
            cfg.sources = dict(value)
        else:
            raise ConfigError(f"{where}: unknown key")
    return cfg
