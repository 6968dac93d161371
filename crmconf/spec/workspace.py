"""From a folder to a validated `Spec`: read every file, validate each against its model, merge.

Each file is validated on its own so a pydantic error's `loc` maps straight to that file's node
positions. The merged `Spec` is frozen; `Sources` keeps where each named item came from, so later
stages (checks, plan lines, audit rows) can point back at the YAML.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from crmconf import address as addr
from crmconf.spec.diagnostics import Diagnostic, Location, error
from crmconf.spec.load import CONFIG_NAMES, LoadError, Path_, SourceFile, read_source, scan
from crmconf.spec.model import (
    ACTIONS,
    CONFIG_KEYS,
    SECTIONS,
    TRIGGERS,
    ConfigFile,
    SectionFile,
    Spec,
    WorkspaceConfig,
)


@dataclass
class Sources:
    """Where each named item of the spec is written: address -> (file, path in that file)."""

    files: dict[str, SourceFile] = field(default_factory=dict)
    origins: dict[str, tuple[str, Path_]] = field(default_factory=dict)

    def locate(self, address: str, *sub: str | int, key: bool = False) -> Location | None:
        origin = self.origins.get(address)
        if origin is None:
            return None
        name, path = origin
        return self.files[name].locate((*path, *sub), key=key)

    def line(self, location: Location) -> str:
        source = self.files.get(location.file)
        return source.line(location.line) if source else ""


@dataclass
class Workspace:
    root: Path
    spec: Spec | None
    sources: Sources
    diagnostics: list[Diagnostic]
    digest: str

    @property
    def ok(self) -> bool:
        return self.spec is not None and not any(d.is_error for d in self.diagnostics)


def load_workspace(root: Path) -> Workspace:
    """Load and merge a workspace; never raises for bad input, it reports diagnostics instead."""
    sources = Sources()
    diagnostics: list[Diagnostic] = []
    if not root.is_dir():
        diagnostics.append(error("L109", f"{root} is not a folder", None))
        return Workspace(root, None, sources, diagnostics, "")
    paths, unreadable = scan(root)
    for folder, why in unreadable:
        name = folder.relative_to(root).as_posix() + "/" if folder != root else "./"
        diagnostics.append(
            error(
                "L100",
                f"cannot read the folder {name}: {why}; its spec files would be left out",
                Location(name, 1, 1),
                hint="give crmconf read access to it, or move it out of the workspace",
            )
        )
    config_path = next((p for p in paths if p.name in CONFIG_NAMES and p.parent == root), None)
    if config_path is None:
        diagnostics.append(
            error(
                "L110",
                f"{root} has no crmconf.yaml, so it is not a crmconf workspace",
                Location("crmconf.yaml", 1, 1),
                hint=f"create one with `crmconf init {root}`",
            )
        )
        return Workspace(root, None, sources, diagnostics, "")
    digest = hashlib.sha256()
    parsed: list[tuple[SourceFile, SectionFile | ConfigFile]] = []
    inside = root.resolve()
    for path in paths:
        name = path.relative_to(root).as_posix()
        if not path.resolve().is_relative_to(inside):
            diagnostics.append(_escapes(name))
            continue
        try:
            source = read_source(path, name)
        except LoadError as exc:
            diagnostics.append(exc.diagnostic)
            continue
        digest.update(name.encode() + b"\0" + source.text.encode() + b"\0")
        sources.files[name] = source
        model = _validate_file(source, is_config=path == config_path, diagnostics=diagnostics)
        if model is not None:
            parsed.append((source, model))
            source.let_go()  # the model holds what the spec needs
    spec = _merge(parsed, sources, diagnostics) if not diagnostics else None
    return Workspace(root, spec, sources, diagnostics, digest.hexdigest())


def _escapes(name: str) -> Diagnostic:
    """A spec file that links outside the workspace: reading it would publish a file nobody reviewed."""
    return error(
        "L111",
        "the file is a link to a place outside the workspace; crmconf reads only files inside it",
        Location(name, 1, 1),
        hint="copy the file into the workspace, or remove the link",
    )


def _validate_file(
    source: SourceFile, *, is_config: bool, diagnostics: list[Diagnostic]
) -> SectionFile | ConfigFile | None:
    data = source.data
    if not isinstance(data, dict):
        diagnostics.append(
            error(
                "S200",
                "a workspace file must be a mapping of sections",
                source.locate(()),
                hint="start the file with one of: " + ", ".join(SECTIONS),
            )
        )
        return None
    unknown = _unknown_top_keys(source, data, is_config)
    if unknown:
        diagnostics.extend(unknown)
        return None
    model: type[SectionFile | ConfigFile] = ConfigFile if is_config else SectionFile
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        diagnostics.extend(_schema_diagnostics(source, exc.errors(include_url=False)))
        return None


def _unknown_top_keys(source: SourceFile, data: dict[str, Any], is_config: bool) -> list[Diagnostic]:
    allowed = (*CONFIG_KEYS, *SECTIONS) if is_config else SECTIONS
    found = []
    for key in data:
        if key in allowed:
            continue
        where = "crmconf.yaml" if is_config else "a section file"
        hint = _did_you_mean(key, allowed) or f"sections are: {', '.join(SECTIONS)}"
        if key in CONFIG_KEYS:
            hint = f"`{key}` belongs in crmconf.yaml"
        found.append(
            error(
                "S201",
                f"unknown top-level key {key!r} in {where}",
                source.locate((key,), key=True),
                hint=hint,
            )
        )
    return found


def _did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


_SCHEMA_CODES = {
    "extra_forbidden": "S201",
    "missing": "S202",
    "literal_error": "S204",
    "enum": "S204",
    "string_pattern_mismatch": "S205",
    "unknown_trigger": "S206",
    "unknown_action": "S206",
    "union_tag_not_found": "S206",
    "value_error": "S207",
}


def _schema_diagnostics(source: SourceFile, errors: list[ErrorDetails]) -> list[Diagnostic]:
    out = []
    for err in errors:
        path = _clean_loc(err["loc"])
        code = _SCHEMA_CODES.get(err["type"], "S203")
        on_key = err["type"] == "extra_forbidden" or err["loc"][-1:] == ("[key]",)
        out.append(error(code, _message(err, path), source.locate(path, key=on_key), hint=_hint(err, path)))
    return _dedupe(out)


def _clean_loc(loc: tuple[str | int, ...]) -> Path_:
    """Drop pydantic's internal steps: validator names, union members, the tag a tagged union repeats."""
    parts = [p for p in loc if not (isinstance(p, str) and p.startswith(("function-", "tagged-union[")))]
    while parts and parts[-1] in _UNION_MEMBERS:
        parts.pop()
    return tuple(
        p for i, p in enumerate(parts) if not (i + 1 < len(parts) and parts[i + 1] == p and p in _TAGS)
    )


_UNION_MEMBERS = frozenset(("str", "int", "float", "bool", "none", "[key]", "Option"))


_TAGS = frozenset((*TRIGGERS, *ACTIONS))


def _message(err: ErrorDetails, path: Path_) -> str:
    where = ".".join(str(p) for p in path) or "file"
    if err["type"] == "extra_forbidden":
        return f"unknown key {path[-1]!r} at {where}"
    if err["type"] == "missing":
        return f"missing required key {path[-1]!r} at {'.'.join(str(p) for p in path[:-1]) or 'top level'}"
    if err["type"] in ("unknown_trigger", "unknown_action") and isinstance(err["input"], dict):
        given = ", ".join(map(str, err["input"])) or "nothing"
        return f"{where}: {err['msg']} (got: {given}; write exactly one)"
    msg = _PLAIN.get(err["type"], err["msg"]).removeprefix("Value error, ")
    return f"{where}: {msg}"


_PLAIN = {
    "tuple_type": "expected a list",
    "list_type": "expected a list",
    "dict_type": "expected a mapping (key: value)",
    "model_type": "expected a mapping (key: value)",
    "model_attributes_type": "expected a mapping (key: value)",
    "string_type": "expected text",
    "int_type": "expected a whole number",
    "bool_type": "expected true or false",
    "date_from_datetime_parsing": "expected a date (YYYY-MM-DD)",
    "date_parsing": "expected a date (YYYY-MM-DD)",
    "date_type": "expected a date (YYYY-MM-DD)",
}


def _hint(err: ErrorDetails, path: Path_) -> str | None:
    if err["type"] == "extra_forbidden" and path:
        return "remove it, or check the spelling against docs/spec-reference.md"
    if err["type"] == "string_pattern_mismatch":
        pattern = (err.get("ctx") or {}).get("pattern", "")
        if "[hdw]" in str(pattern):
            return "durations look like 90d, 2w or 12h"
        if "%" in str(pattern):
            return "a share of records is written like 95% or 99.5% (at most 100%)"
        if "@" in str(pattern):
            return "use an e-mail address, record_owner, or team:<name>"
        if "\\." in str(pattern):
            return "write it as <pipeline>.<stage> (or <object>.<field>) in snake_case"
        return "names are snake_case: lower-case letters, digits and underscores, starting with a letter"
    return None


def _dedupe(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for d in diagnostics:
        key = (d.code, str(d.location), d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


# --- merging -------------------------------------------------------------------------------------

_NAMED = {
    "terminology": ("term", "term"),
    "pipelines": ("pipeline", "name"),
    "automations": ("automation", "name"),
    "permissions": ("permission", "name"),
    "teams": ("team", "name"),
}


def _merge(
    parsed: list[tuple[SourceFile, SectionFile | ConfigFile]], sources: Sources, diagnostics: list[Diagnostic]
) -> Spec | None:
    merged: dict[str, list[Any]] = {section: [] for section in _NAMED}
    fields: dict[str, list[Any]] = {}
    steps: list[Any] = []
    reviews: list[Any] = []
    health: Any = None
    config: WorkspaceConfig | None = None
    for source, model in parsed:
        if isinstance(model, ConfigFile):
            config = WorkspaceConfig.model_validate(
                {k: getattr(model, k) for k in CONFIG_KEYS if k in model.model_fields_set}
            )
        for section, (kind, attr) in _NAMED.items():
            for index, item in enumerate(getattr(model, section)):
                key = str(getattr(item, attr))
                address = addr.join(kind, key.lower() if kind == "term" else key)
                if _claim(sources, diagnostics, address, source, (section, index), f"{kind} {key!r}"):
                    merged[section].append(item)
                    _register_children(sources, address, item, source.name, (section, index))
        for index, review in enumerate(model.reviews):  # history: appended, never named, never unique
            sources.origins[f"review.{len(reviews)}"] = (source.name, ("reviews", index))
            reviews.append(review)
        for obj, specs in model.fields.items():
            for index, spec_field in enumerate(specs):
                address = addr.field(obj, spec_field.name)
                if _claim(
                    sources,
                    diagnostics,
                    address,
                    source,
                    ("fields", obj, index),
                    f"field {obj}.{spec_field.name}",
                ):
                    fields.setdefault(obj, []).append(spec_field)
        for index, record in enumerate(model.manual_steps):
            what = f"manual step {record.step!r} on target {record.target}"
            if _claim(
                sources,
                diagnostics,
                f"done:{record.target}:{record.step}",
                source,
                ("manual_steps", index),
                what,
            ):
                steps.append(record)
        if model.health is not None and _claim(sources, diagnostics, "health", source, ("health",), "the health section"):
            health = model.health
    if diagnostics or config is None:
        return None
    return Spec.model_construct(
        config=config,
        terminology=tuple(merged["terminology"]),
        fields={obj: tuple(items) for obj, items in fields.items()},  # type: ignore[misc]
        pipelines=tuple(merged["pipelines"]),
        automations=tuple(merged["automations"]),
        permissions=tuple(merged["permissions"]),
        manual_steps=tuple(steps),
        teams=tuple(merged["teams"]),
        reviews=tuple(reviews),
        **({"health": health} if health is not None else {}),
    )


def _claim(
    sources: Sources, diagnostics: list[Diagnostic], address: str, source: SourceFile, path: Path_, what: str
) -> bool:
    here = source.locate(path)
    if address in sources.origins:
        first = sources.locate(address)
        diagnostics.append(
            error(
                "R301",
                f"{what} is defined twice (first at {first})",
                here,
                hint="names must be unique across the workspace; rename or remove one",
                related=(first,) if first else (),
            )
        )
        return False
    sources.origins[address] = (source.name, path)
    return True


def _register_children(sources: Sources, address: str, item: Any, file: str, path: Path_) -> None:
    for index, stage in enumerate(getattr(item, "stages", ()) if addr.kind_of(address) == "pipeline" else ()):
        sources.origins.setdefault(addr.child(address, "stage", stage.name), (file, (*path, "stages", index)))
