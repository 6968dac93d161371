"""The health report's data: frozen cells per KPI, their trend and escalation (no I/O, no rendering)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

Unit = Literal["percent", "count", "per_user"]
Status = Literal["ok", "below", "unmeasured", "empty"]
# Where a cell's figure applies. Owner cells are reported, not kept in the history.
Scope = Literal["all", "pipeline", "stage", "team", "owner", "object", "field", "key"]
SCOPE_ORDER: tuple[Scope, ...] = ("all", "pipeline", "stage", "object", "field", "key", "team", "owner")


@dataclass(frozen=True)
class Target:
    text: str  # as the spec writes it: "95%", "0", "5 a week"
    percent: float | None = None  # a share of records
    count: float | None = None  # a number of records (count KPIs) or of activities (per user)


@dataclass(frozen=True)
class Cell:
    """One figure of a KPI: `bad` of `total` records (or, per user, `total` activities)."""

    scope: Scope
    name: str  # "new_business.discovery", "sales", "maria@acme.example", "deal.lead_source", ...
    bad: int | None
    total: int | None
    value: float | None  # in the KPI's unit: a percent, a count of records, activities per user
    status: Status
    team: str | None = None  # the team accountable for it (a stage's owner_team, an owner's team)
    note: str | None = None  # why it is unmeasured, or what the figure rests on
    detail: tuple[tuple[str, int], ...] = ()  # e.g. the off-list values and how many records hold each

    @property
    def key(self) -> str:
        return f"{self.scope}:{self.name}"


@dataclass(frozen=True)
class Point:
    """One past run of a KPI, from the history."""

    at: datetime
    value: float | None
    status: Status


@dataclass(frozen=True)
class Escalation:
    """Below target, without a break, for longer than `escalate_after`: who must hear about it."""

    since: datetime  # the first run of the unbroken streak below target
    days: float
    cells: tuple[str, ...]  # the cells that escalate (cell keys), the KPI itself as "all:"
    teams: tuple[str, ...]
    people: tuple[str, ...]


@dataclass(frozen=True)
class KpiResult:
    name: str
    title: str
    unit: Unit
    target: Target
    meaning: str
    practice: str
    overall: Cell
    cells: tuple[Cell, ...]
    escalate_after_days: float
    notify: tuple[str, ...] = ()  # teams the spec asks to tell, besides those accountable
    below_since: datetime | None = None  # the start of the current streak below target
    escalation: Escalation | None = None
    trend: tuple[Point, ...] = ()  # oldest first, this run last

    @property
    def below(self) -> bool:
        """The KPI as a whole misses its target (a stage or a team may miss it while the whole does not)."""
        return self.overall.status == "below"

    @property
    def status(self) -> str:
        """One word for the KPI: escalated (anywhere), else the overall figure's status."""
        return "escalated" if self.escalation is not None else self.overall.status

    def with_history(self, trend: tuple[Point, ...], below_since: datetime | None,
                     escalation: Escalation | None) -> KpiResult:
        return replace(self, trend=trend, below_since=below_since, escalation=escalation)


@dataclass(frozen=True)
class HealthReport:
    at: datetime
    target: str
    provider: str
    kpis: tuple[KpiResult, ...]
    requests: int = 0
    notes: tuple[str, ...] = ()
    history: str | None = None  # where the history is kept (None: not recorded)

    @property
    def escalated(self) -> tuple[KpiResult, ...]:
        return tuple(k for k in self.kpis if k.escalation is not None)

    @property
    def below(self) -> tuple[KpiResult, ...]:
        return tuple(k for k in self.kpis if k.below)

    def with_kpis(self, kpis: tuple[KpiResult, ...]) -> HealthReport:
        return replace(self, kpis=kpis)
