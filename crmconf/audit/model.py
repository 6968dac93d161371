"""The audit's data: one frozen row per automation and the report around them (no I/O, no rendering)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from crmconf.spec.diagnostics import Location


class Verdict(StrEnum):
    """What the audit says about a row; the values are the spelling of `policies.audit_fail_on`."""

    OK = "ok"
    DUE_SOON = "due-soon"
    OVERDUE = "overdue"
    UNOWNED = "unowned"
    ORPHAN = "orphan"
    MISSING = "missing"
    CHANGED = "changed-since-review"
    UNUSED = "unused"  # active, and the vendor counted no run in its window
    FAILING = "failing"  # the vendor counted failed runs over the policy's share


# The order findings are listed in summaries: the worst first, `ok` last.
VERDICT_ORDER: tuple[Verdict, ...] = (
    Verdict.ORPHAN,
    Verdict.MISSING,
    Verdict.UNOWNED,
    Verdict.FAILING,
    Verdict.CHANGED,
    Verdict.UNUSED,
    Verdict.OVERDUE,
    Verdict.DUE_SOON,
    Verdict.OK,
)


class LiveStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    ABSENT = "absent"  # looked for live and not found
    UNKNOWN = "unknown"  # not looked for: offline, or a bound automation with no binding for this provider


Kind = Literal["compiled", "bound", "unmanaged"]


@dataclass(frozen=True)
class AuditRow:
    name: str  # the inventory name; for an orphan, its live address
    kind: Kind
    object: str | None
    owner: str | None
    owner_active: bool | None  # None: unknown (offline, or the provider does not know its users)
    team: str | None
    purpose: str | None
    reviewed: date | None
    next_review: date | None
    live_address: str | None
    live_status: LiveStatus
    updated_at: datetime | None
    updated_by: str | None
    verdicts: tuple[Verdict, ...]  # never empty: (Verdict.OK,) when there is nothing to say
    source: Location | None = None  # where the inventory entry is written
    runs: int | None = None  # runs the vendor counted in its window (None: it does not count them)
    failed_runs: int | None = None  # None: not counted (the vendor keeps no failures, or runs are unknown)
    runs_unknown: str | None = None  # why runs could not be counted, where the provider said so
    last_review: tuple[str, str, str | None] | None = None  # (by, decision, note) of the latest in reviews

    @property
    def ok(self) -> bool:
        return self.verdicts == (Verdict.OK,)


@dataclass(frozen=True)
class AuditReport:
    as_of: date
    offline: bool
    target: str | None
    provider: str | None
    review_due_soon_days: int
    fail_on: tuple[Verdict, ...]
    rows: tuple[AuditRow, ...]
    users_known: bool  # whether owner_active could be decided at all
    runs_note: str | None = None  # why runs are unknown for the whole target (a permission the credentials lack)
    runs_days: int | None = None  # the window runs were counted over, when a provider counted them

    @property
    def counts(self) -> dict[Verdict, int]:
        """Rows carrying each verdict, every verdict present (zeros included), worst first."""
        counts = dict.fromkeys(VERDICT_ORDER, 0)
        for row in self.rows:
            for verdict in row.verdicts:
                counts[verdict] += 1
        return counts

    @property
    def findings(self) -> tuple[AuditRow, ...]:
        """Rows with a verdict the policy fails on."""
        fail = set(self.fail_on)
        return tuple(r for r in self.rows if fail.intersection(r.verdicts))

    @property
    def failed(self) -> bool:
        return bool(self.findings)
