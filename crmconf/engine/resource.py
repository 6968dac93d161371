"""Typed, frozen data passed between the engine's stages (compile -> fetch -> diff -> apply)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from crmconf.address import step_id
from crmconf.spec.diagnostics import Diagnostic, Location

JSON = Any  # JSON-compatible values only: attrs are compared, saved in plans and journaled


_EMPTY: Mapping[str, JSON] = MappingProxyType({})


def freeze(attrs: Mapping[str, JSON]) -> Mapping[str, JSON]:
    # Already frozen (a change's `after` is its resource's attrs) or empty (most objects' migrations,
    # meta or usage): shared, not copied again; a 50,000-field plan holds hundreds of thousands.
    if isinstance(attrs, MappingProxyType):
        return attrs
    return MappingProxyType(dict(attrs)) if attrs else _EMPTY


def canonical(value: JSON) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


@dataclass(frozen=True, slots=True)
class Resource:
    """One desired object, in the provider's vocabulary, with the spec line that asks for it."""

    address: str  # stable, e.g. "pipeline.new_business.stage.proposal"
    kind: str  # "field", "pipeline", "stage", "automation", "permission", "term", or a vendor kind
    attrs: Mapping[str, JSON]  # the managed attributes: only these are compared
    depends_on: tuple[str, ...] = ()
    source: Location | None = None
    owners: tuple[str, ...] = ()  # teams or people whose sign-off a change needs
    parent: str | None = None
    replace_on: tuple[str, ...] = ()  # attributes the vendor cannot change in place
    migrations: Mapping[str, str] = field(default_factory=dict)  # retired child -> child taking its records
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "attrs", freeze(self.attrs))
        object.__setattr__(self, "migrations", freeze(self.migrations))


@dataclass(frozen=True, slots=True)
class LiveObject:
    """One object as read from the vendor, in the same vocabulary as `Resource`."""

    address: str
    kind: str
    attrs: Mapping[str, JSON]
    version: str = ""  # the vendor's own version marker (updatedAt, revisionId, ...)
    parent: str | None = None
    meta: Mapping[str, JSON] = field(default_factory=dict)  # vendor ids the provider needs to act
    usage: Mapping[str, int] = field(default_factory=dict)  # "records" or "option:<value>" -> count
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "attrs", freeze(self.attrs))
        object.__setattr__(self, "meta", freeze(self.meta))
        object.__setattr__(self, "usage", freeze(self.usage))

    @property
    def fingerprint(self) -> str:
        payload = canonical({"a": dict(self.attrs), "v": self.version, "u": dict(self.usage)})
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Snapshot:
    """Live state: objects by address, and facts the checks need (active users, roles...)."""

    objects: Mapping[str, LiveObject]
    kinds: frozenset[str]
    facts: Mapping[str, JSON] = field(default_factory=dict)
    requests: int = 0  # API requests the fetch made, for benchmarks

    def get(self, address: str) -> LiveObject | None:
        return self.objects.get(address)


@dataclass(frozen=True)
class ManualStep:
    """Something the vendor's API cannot do: said plainly, never silently skipped."""

    address: str
    title: str
    instructions: str
    source: Location | None = None
    owners: tuple[str, ...] = ()
    # Live objects this step asks people to build or keep (a workflow built by hand): never pruned, never
    # listed as unmanaged, since the spec names them.
    protects: tuple[str, ...] = ()
    topic: str = ""  # what it asks, as a stable word: the step's id is `<address>:<topic>`
    # How crmconf can read the result itself, when the vendor lets it (see crmconf.engine.steps).
    check: Mapping[str, JSON] | None = None

    @property
    def id(self) -> str:
        return step_id(self.address, self.topic)

    @property
    def digest(self) -> str:
        """What is asked, in 16 hex digits: a person's "done" holds only for these instructions."""
        return hashlib.sha256(f"{self.title}\0{self.instructions}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Compiled:
    resources: tuple[Resource, ...]
    manual: tuple[ManualStep, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
