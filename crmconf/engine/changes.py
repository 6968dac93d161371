"""Changes and plans: frozen, ordered, serialisable."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from crmconf.engine.resource import JSON, ManualStep, freeze
from crmconf.spec.diagnostics import Diagnostic, Location


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    REPLACE = "replace"


SYMBOLS = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-", Action.REPLACE: "-/+"}


@dataclass(frozen=True)
class AttrChange:
    name: str
    before: JSON
    after: JSON


@dataclass(frozen=True)
class Change:
    address: str
    kind: str
    action: Action
    before: Mapping[str, JSON] | None  # live managed attributes (None when created)
    after: Mapping[str, JSON] | None  # desired attributes (None when deleted)
    attrs: tuple[AttrChange, ...] = ()
    source: Location | None = None
    destructive: bool = False
    impact: str = ""  # the data a destructive change touches, in words
    depends_on: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    parent: str | None = None
    migrate_to: str | None = None
    meta: Mapping[str, JSON] = field(default_factory=dict)  # live vendor ids
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "meta", freeze(self.meta))
        if self.before is not None:
            object.__setattr__(self, "before", freeze(self.before))
        if self.after is not None:
            object.__setattr__(self, "after", freeze(self.after))


@dataclass(frozen=True)
class Unmanaged:
    address: str
    kind: str
    label: str


@dataclass(frozen=True)
class Plan:
    target: str
    provider: str
    changes: tuple[Change, ...]
    manual: tuple[ManualStep, ...] = ()
    unmanaged: tuple[Unmanaged, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    fingerprints: Mapping[str, str] = field(default_factory=dict)  # address -> live fingerprint ("-" absent)
    spec_digest: str = ""
    tool_version: str = ""

    @property
    def counts(self) -> dict[str, int]:
        add = sum(c.action in (Action.CREATE, Action.REPLACE) for c in self.changes)
        change = sum(c.action is Action.UPDATE for c in self.changes)
        destroy = sum(c.action in (Action.DELETE, Action.REPLACE) for c in self.changes)
        return {"add": add, "change": change, "destroy": destroy}

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.is_error)

    def signoff(self) -> tuple[str, ...]:
        return tuple(sorted({o for c in self.changes for o in c.owners}))
