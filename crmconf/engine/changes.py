"""Changes and plans: frozen, ordered, serialisable."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from crmconf.engine.managed import Membership
from crmconf.engine.resource import JSON, ManualStep, freeze
from crmconf.engine.steps import Status, StepState
from crmconf.spec.diagnostics import Diagnostic, Location


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    REPLACE = "replace"


SYMBOLS = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-", Action.REPLACE: "-/+"}


@dataclass(frozen=True, slots=True)
class AttrChange:
    name: str
    before: JSON
    after: JSON


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class Unmanaged:
    address: str
    kind: str
    label: str
    accepted: str = ""  # the `unmanaged:` entry that knowingly leaves it alone, if one does


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
    workspace: str = ""  # the workspace folder the plan was made from (absolute), for `apply PLANFILE`
    membership: Membership | None = None  # what the next apply does to the managed record
    steps: tuple[StepState, ...] = ()  # the state of each manual step, in `manual` order
    effects: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # address -> side effects on records

    @property
    def counts(self) -> dict[str, int]:
        add = sum(c.action in (Action.CREATE, Action.REPLACE) for c in self.changes)
        change = sum(c.action is Action.UPDATE for c in self.changes)
        destroy = sum(c.action in (Action.DELETE, Action.REPLACE) for c in self.changes)
        counts = {"add": add, "change": change, "destroy": destroy}
        counts["destructive_change"] = sum(c.action is Action.UPDATE and c.destructive for c in self.changes)
        counts["forget"] = len(self.membership.forget) if self.membership else 0
        counts["open_steps"] = sum(s.status is Status.OPEN for s in self.steps)
        return counts

    @property
    def has_changes(self) -> bool:
        return bool(self.changes) or bool(self.membership and self.membership.pending)

    @property
    def destructive(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.destructive)

    @property
    def open_steps(self) -> tuple[tuple[ManualStep, StepState | None], ...]:
        """Steps not done; a plan made without tracking (an old saved plan) counts every step open."""
        states = dict(zip((m.id for m in self.manual), self.steps, strict=False))
        return tuple(
            (m, states.get(m.id))
            for m in self.manual
            if states.get(m.id) is None or states[m.id].status is Status.OPEN
        )

    @property
    def unaccepted(self) -> tuple[Unmanaged, ...]:
        return tuple(u for u in self.unmanaged if not u.accepted)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.is_error)

    def signoff(self) -> tuple[str, ...]:
        return tuple(sorted({o for c in self.changes for o in c.owners}))
