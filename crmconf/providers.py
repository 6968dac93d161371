"""The Provider protocol and its discovery through the `crmconf.providers` entry-point group.

Built-in providers register through the same group as third-party ones, so `crmconf-pipedrive`
plugs in by declaring an entry point. A plugin that fails to import is reported, never fatal.

The whole contract a provider must honour (addresses, attrs vocabulary, automations for the audit,
batching, export for `crmconf import`, errors and secrets) is written down in docs/provider-contract.md.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, ClassVar, Protocol, cast, runtime_checkable

import jsonschema

from crmconf import extras, redact
from crmconf.engine.changes import Change
from crmconf.engine.resource import Compiled, Snapshot
from crmconf.errors import SpecError, UsageError
from crmconf.spec.diagnostics import Diagnostic, error, warning
from crmconf.spec.model import Spec
from crmconf.spec.workspace import Sources

GROUP = "crmconf.providers"


class Support(StrEnum):
    MANAGED = "managed"
    READ_ONLY = "read-only"
    MANUAL = "manual"
    UNSUPPORTED = "unsupported"


CONCERNS = (
    "pipelines",
    "fields",
    "required_fields",
    "stage_requirements",
    "terminology",
    "automations",
    "permissions",
    "owners",
)


@dataclass(frozen=True)
class ProviderContext:
    target: str
    settings: Mapping[str, Any]
    root: Path  # the workspace folder; state files live under root/.crmconf
    secrets: tuple[str, ...] = field(default=(), repr=False)

    @property
    def state_dir(self) -> Path:
        return self.root / ".crmconf"

    def inside_workspace(self, relative: str) -> Path:
        """Resolve a path from the settings, refusing any that escapes the workspace."""
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise UsageError(f"target {self.target}: path {relative!r} leads outside the workspace")
        return path


@runtime_checkable
class Provider(Protocol):
    name: ClassVar[str]
    capabilities: ClassVar[Mapping[str, Support]]
    settings_schema: ClassVar[Mapping[str, Any]]

    def compile(self, spec: Spec, sources: Sources) -> Compiled: ...

    def fetch(self, kinds: frozenset[str]) -> Snapshot: ...

    def apply(self, change: Change) -> None: ...

    def session(self) -> contextlib.AbstractContextManager[None]:
        """Held for the whole apply (the local provider takes its lock here)."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Access:
    """One permission a target's credentials need (a HubSpot scope...), and whether they have it.

    Reported by the optional provider method `access() -> list[Access]` (called after `compile`), which
    `crmconf providers --target T` prints."""

    permission: str
    concern: str  # what in the spec needs it
    needed_for: str  # "plan", "apply", "destroy" (removing data), "health" (counting records), or "optional"
    granted: bool | None  # None: the vendor cannot say


@dataclass(frozen=True)
class Discovered:
    providers: Mapping[str, type[Provider]]
    problems: Mapping[str, str]  # entry-point name -> why it could not be loaded


def discover() -> Discovered:
    providers: dict[str, type[Provider]] = {}
    problems: dict[str, str] = {}
    for ep in entry_points(group=GROUP):
        try:
            providers[ep.name] = ep.load()
        except Exception as exc:  # a broken plugin must not break the others
            problems[ep.name] = extras.missing_sdk(ep.name, exc) or f"{type(exc).__name__}: {exc}"
    return Discovered(providers, problems)


def load(name: str) -> type[Provider]:
    """One provider's class: only its plugin is imported (another CRM's SDK need not be installed)."""
    for ep in entry_points(group=GROUP, name=name):
        try:
            return cast(type[Provider], ep.load())
        except Exception as exc:
            raise UsageError(extras.missing_sdk(name, exc) or f"it failed to load ({type(exc).__name__}: {exc})") from exc
    raise LookupError(name)


def open_provider(spec: Spec, sources: Sources, root: Path, target: str | None) -> tuple[str, Provider]:
    name = target or spec.config.default_target
    if name not in spec.config.targets:
        raise UsageError(
            f"unknown target {name!r}; targets in crmconf.yaml: {', '.join(sorted(spec.config.targets))}"
        )
    settings = spec.config.targets[name]
    try:
        cls = load(settings.provider)
    except LookupError:
        raise UsageError(f"target {name!r} uses provider {settings.provider!r}, but no installed plugin provides it") from None
    except UsageError as exc:
        raise UsageError(f"target {name!r} uses provider {settings.provider!r}, but {exc}") from exc
    redact.register_settings(settings.settings)  # the credentials its *_env settings name are masked
    _check_settings(cls, name, settings.settings, sources)
    _check_credentials(name, settings.settings)
    return name, cls(ProviderContext(name, settings.settings, root.resolve()))  # type: ignore[call-arg]


def _without_values(err: jsonschema.ValidationError) -> str:
    """jsonschema's messages quote the offending value, and a value here may be a pasted secret."""
    where = ".".join(str(p) for p in err.absolute_path)
    subject = f"{where} " if where else ""
    rule, expected = err.validator, cast(Any, err.validator_value)
    if rule in ("additionalProperties", "required"):  # these name keys, never values
        return err.message
    if rule in ("oneOf", "anyOf"):
        ways = [" + ".join(sub.get("required", ())) for sub in expected if isinstance(sub, dict)]
        return f"{subject}must use exactly one of: " + "; or ".join(w for w in ways if w)
    if rule == "type":
        return f"{subject}must be of type {expected}"
    if rule == "enum":
        return f"{subject}must be one of {', '.join(map(str, expected))}"
    bounds = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}
    if rule in bounds:
        return f"{subject}must be {bounds[str(rule)]} {expected}"
    described = err.schema.get("description") if isinstance(err.schema, dict) else None
    return f"{subject}does not have the expected form" + (f" ({described})" if described else f" ({rule})")


def _check_settings(cls: type[Provider], target: str, settings: Mapping[str, Any], sources: Sources) -> None:
    validator = jsonschema.Draft202012Validator(dict(cls.settings_schema))
    problems: list[Diagnostic] = []
    config = next((s for n, s in sources.files.items() if n in ("crmconf.yaml", "crmconf.yml")), None)
    for err in sorted(validator.iter_errors(dict(settings)), key=lambda e: list(e.absolute_path)):
        path = ("targets", target, "settings", *err.absolute_path)
        where = config.locate(tuple(path)) if config else None
        problems.append(
            error(
                "S210",
                f"target {target}: settings: {_without_values(err)}",
                where,
                hint=f"the {cls.name} provider's settings are listed under `settings` in docs/spec-reference.md",
            )
        )
    if problems:
        exc = SpecError(problems)
        exc.sources = sources  # type: ignore[attr-defined]
        raise exc


def spec_checks(spec: Spec, sources: Sources) -> list[Diagnostic]:
    """What each target's provider refuses in a spec (offline): the optional class method
    `check_spec(spec, sources, target) -> list[Diagnostic]`, called once per target that uses it, so
    `validate` reports, located, what a vendor would refuse at apply (docs/provider-contract.md).
    Only the plugins the targets name are loaded; one that fails to load is reported when it is used."""
    used = {settings.provider for settings in spec.config.targets.values()}
    providers: dict[str, Any] = {}
    missing: dict[str, str] = {}  # provider -> the SDK extra to install
    for ep in entry_points(group=GROUP):
        if ep.name in used and ep.name not in providers:
            try:
                providers[ep.name] = ep.load()
            except Exception as exc:  # said by `crmconf providers` and by opening the target
                if extras.missing_sdk(ep.name, exc):
                    missing[ep.name] = extras.SDKS[ep.name][1]
                continue
    problems: list[Diagnostic] = []
    config = next((s for n, s in sources.files.items() if n in ("crmconf.yaml", "crmconf.yml")), None)
    for target, settings in sorted(spec.config.targets.items()):
        if settings.provider in missing:  # validate still passes, but says what it could not check
            where = config.locate(("targets", target, "provider")) if config else None
            problems.append(warning(
                "S211", f"target {target}: the {settings.provider} provider's SDK is not installed, so what "
                "the vendor would refuse in this spec was not checked", where,
                hint=f'install the extra crmconf[{missing[settings.provider]}] (pip install "'
                     f'{extras.requirement(missing[settings.provider])}")'))
        check = getattr(providers.get(settings.provider), "check_spec", None)
        if check is not None:
            problems.extend(check(spec, sources, target))
    return list(dict.fromkeys(problems))  # two targets of one vendor find the same things: say each once


def _check_credentials(target: str, settings: Mapping[str, Any]) -> None:
    """A credential is one line of printable text: a line break pasted with it would reach an HTTP header
    (where client libraries echo it back in their errors). Said without ever showing the value."""
    for key, variable in settings.items():
        if not (key.endswith("_env") and isinstance(variable, str)):
            continue
        value = os.environ.get(variable) or ""
        bad = next((c for c in value if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F), None)
        if bad is not None:
            what = {"\n": "a line break", "\r": "a carriage return", "\t": "a tab"}.get(bad, f"control character U+{ord(bad):04X}")
            raise UsageError(
                f"target {target}: the environment variable {variable} ({key}) holds {what}; a credential is one "
                "line: export it again without it (for example from a file, with `$(cat file)`)"
            )


@contextlib.contextmanager
def opened(spec: Spec, sources: Sources, root: Path, target: str | None) -> Iterator[tuple[str, Provider]]:
    name, provider = open_provider(spec, sources, root, target)
    try:
        yield name, provider
    finally:
        provider.close()
