"""The catalog of event templates in resources/events: loading, listing, and rendering with parameters."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from app.events.render import (
    Parameter,
    RenderError,
    check_value,
    derive,
    encode,
    parameter_from_json,
    parse_value,
    placeholders,
    substitute,
    utc_now,
)
from runner.errors import UserFacingError

INDEX_NAME = "index.json"
FORMAT_VERSION = 1


class CatalogError(UserFacingError, ValueError):
    """The catalog on disk is malformed (a bug in resources/events, not a user error)."""


def default_root() -> Path:
    """Where the shipped templates live: the `resources/events` folder next to `app/`."""
    return Path(__file__).resolve().parents[2] / "resources" / "events"


@dataclass(frozen=True)
class EventTemplate:
    """One event type a service sends a function, with its parameters and derived values."""

    service: str
    type: str
    title: str
    description: str
    parameters: tuple[Parameter, ...]
    derived: Mapping[str, Mapping[str, Any]]
    event: Any
    source: str = ""
    file: Path | None = None

    @property
    def key(self) -> str:
        return f"{self.service} {self.type}"

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.parameters}

    def render(self, overrides: Mapping[str, Any] | None = None, *, now: datetime | None = None) -> Any:
        """Return the event as a JSON tree. Text overrides are converted to each parameter's type."""
        values = self.resolve(overrides)
        placed: dict[str, Any] = {p.name: encode(p.encoding, values[p.name]) for p in self.parameters}
        # Derived values see the *readable* parameter values (an md5 is of the body, not of its encoding).
        readable = dict(values)
        moment = now or utc_now()
        for name, spec in self.derived.items():
            readable[name] = placed[name] = derive(spec, readable, moment)
        return substitute(self.event, placed)

    def render_text(self, overrides: Mapping[str, Any] | None = None, *, now: datetime | None = None) -> str:
        return json.dumps(self.render(overrides, now=now), indent=2, ensure_ascii=False) + "\n"

    def resolve(self, overrides: Mapping[str, Any] | None) -> dict[str, Any]:
        """Merge overrides into the defaults, refusing unknown names and values of the wrong type."""
        values = self.defaults()
        for name, value in (overrides or {}).items():
            param = self.parameter(name)
            if param is None:
                known = [p.name for p in self.parameters]
                hint = difflib.get_close_matches(name, known, n=1)
                maybe = f" (did you mean {hint[0]!r}?)" if hint else ""
                raise RenderError(
                    f"{self.key}: unknown parameter {name!r}{maybe}; parameters: {', '.join(known)}"
                )
            if isinstance(value, str) and param.type != "string":
                value = parse_value(param, value)
            values[name] = check_value(param, value)
        return values

    def summary(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "type": self.type,
            "title": self.title,
            "description": self.description,
            "parameters": [p.to_json() for p in self.parameters],
        }


@dataclass
class Catalog:
    """All templates, addressable by (service, type)."""

    root: Path
    service_titles: dict[str, str] = field(default_factory=dict)
    templates: dict[tuple[str, str], EventTemplate] = field(default_factory=dict)

    def services(self) -> list[str]:
        return sorted({s for s, _ in self.templates})

    def types(self, service: str) -> list[str]:
        return sorted(t for s, t in self.templates if s == service)

    def service_title(self, service: str) -> str:
        return self.service_titles.get(service, service)

    def __iter__(self) -> Any:
        return iter(sorted(self.templates.values(), key=lambda t: (t.service, t.type)))

    def __len__(self) -> int:
        return len(self.templates)

    def get(self, service: str, type_: str) -> EventTemplate:
        """The template for a service and type, or a CatalogLookupError naming the close matches."""
        found = self.templates.get((service, type_))
        if found is not None:
            return found
        if service not in self.service_titles and service not in self.services():
            hint = difflib.get_close_matches(service, self.services(), n=3)
            raise CatalogLookupError(
                f"unknown service {service!r}" + (f"; did you mean {', '.join(hint)}?" if hint else "")
            )
        raise CatalogLookupError(
            f"service {service!r} has no event type {type_!r}; types: {', '.join(self.types(service))}"
        )


class CatalogLookupError(KeyError):
    """An unknown service or event type was asked for."""

    def __str__(self) -> str:
        return str(self.args[0])


def load_template(path: Path, common: Iterable[Parameter] = ()) -> EventTemplate:
    """Read and check one template file; `common` parameters (region, account) are added to it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CatalogError(f"{path}: {exc}")
    where = path.name
    for key in ("service", "type", "title", "event"):
        if key not in data:
            raise CatalogError(f"{where}: missing {key!r}")
    try:
        own = [parameter_from_json(p, where) for p in data.get("parameters", [])]
    except RenderError as exc:
        raise CatalogError(str(exc))
    names = [p.name for p in own]
    derived = dict(data.get("derived", {}))
    used = placeholders(data["event"]) | placeholders(list(derived.values()))
    # Region and account are offered only where the event uses them (no "region" for an Alexa request).
    params = own + [p for p in common if p.name not in names and p.name in used]
    clash = set(derived) & {p.name for p in params}
    if clash or len(set(names)) != len(names):
        raise CatalogError(f"{where}: duplicate names {sorted(clash) or names}")
    unknown = used - {p.name for p in params} - set(derived)
    if unknown:
        raise CatalogError(f"{where}: placeholders without a parameter or derived value: {sorted(unknown)}")
    unused = [n for n in names if n not in used]
    if unused:
        raise CatalogError(f"{where}: parameters never used in the event: {unused}")
    return EventTemplate(
        service=data["service"],
        type=data["type"],
        title=data["title"],
        description=data.get("description", ""),
        parameters=tuple(params),
        derived=derived,
        event=data["event"],
        source=data.get("source", ""),
        file=path,
    )


def load_catalog(root: Path | None = None) -> Catalog:
    """Load every template listed in the catalog's index.json."""
    root = Path(root) if root else default_root()
    try:
        index = json.loads((root / INDEX_NAME).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CatalogError(f"cannot read the event catalog index in {root}: {exc}")
    try:
        common = [parameter_from_json(p, INDEX_NAME) for p in index.get("common_parameters", [])]
    except RenderError as exc:
        raise CatalogError(str(exc))
    catalog = Catalog(root=root, service_titles=dict(index.get("services", {})))
    for entry in index.get("templates", []):
        template = load_template(root / entry["file"], common)
        if (template.service, template.type) != (entry["service"], entry["type"]):
            raise CatalogError(f"{entry['file']}: index says {entry['service']} {entry['type']}")
        if (template.service, template.type) in catalog.templates:
            raise CatalogError(f"{entry['file']}: duplicate {template.key}")
        catalog.templates[(template.service, template.type)] = template
    return catalog


@lru_cache(maxsize=1)
def shipped_catalog() -> Catalog:
    """The templates that ship with Lambda Studio, loaded once."""
    return load_catalog()


def build_index(root: Path | None = None) -> dict[str, Any]:
    """Scan the template files and return the index that should sit beside them (keeps titles)."""
    root = Path(root) if root else default_root()
    old = json.loads((root / INDEX_NAME).read_text(encoding="utf-8")) if (root / INDEX_NAME).exists() else {}
    entries = []
    for path in sorted(root.glob("*.json")):
        if path.name == INDEX_NAME:
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        entries.append(
            {"service": data["service"], "type": data["type"], "title": data["title"], "file": path.name}
        )
    entries.sort(key=lambda e: (e["service"], e["type"]))
    return {
        "format": FORMAT_VERSION,
        "common_parameters": old.get("common_parameters", []),
        "services": old.get("services", {}),
        "templates": entries,
    }


def parse_assignments(items: Iterable[str]) -> dict[str, str]:
    """Turn `key=value` strings (from `--set`) into a dict, refusing items without '='."""
    result: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise RenderError(f"--set expects key=value, got {item!r}")
        result[key.strip()] = value
    return result


if (
    __name__ == "__main__"
):  # pragma: no cover - maintenance: `python -m app.events.catalog` rewrites the index
    out = default_root() / INDEX_NAME
    out.write_text(json.dumps(build_index(), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out} ({len(load_catalog())} templates)")
