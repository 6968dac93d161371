"""Run counts for the audit: the optional provider hook `run_counts` and what the audit asks of it.

A provider that can count how often an automation ran offers (docs/provider-contract.md):

    def run_counts(self, automations: Sequence[LiveObject], window: Window) -> RunCounts: ...

It is read-only, called only by `crmconf audit`, after `fetch`, and only with the live automations the spec
names (never every flow in the CRM). What it cannot count it says, per automation (`unknown`) or for the
whole target (`note`: a permission the credentials lack), and never raises for that: the audit then says
runs are unknown instead of claiming `unused`. A provider without the hook leaves runs unknown, unless its
`fetch` already reports them as `usage["runs"]` (the local org does).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol, runtime_checkable

from crmconf.engine.resource import LiveObject


@dataclass(frozen=True)
class Window:
    """The period runs are counted over: the review interval up to the end of the audit's day (UTC)."""

    since: datetime
    until: datetime

    @classmethod
    def ending(cls, as_of: date, length: timedelta) -> Window:
        until = datetime.combine(as_of + timedelta(days=1), time(), UTC)
        return cls(until - length, until)

    @property
    def days(self) -> int:
        return (self.until - self.since).days


@dataclass(frozen=True)
class RunCount:
    runs: int  # runs that started in the window
    failed: int | None  # of those, the ones that failed; None: the vendor does not say


@dataclass(frozen=True)
class RunCounts:
    counts: Mapping[str, RunCount] = field(default_factory=dict)  # live address -> what the vendor counted
    unknown: Mapping[str, str] = field(default_factory=dict)  # live address -> why it could not be counted
    note: str | None = None  # said once in the report: why runs are unknown for the whole target


@runtime_checkable
class CountsRuns(Protocol):
    def run_counts(self, automations: Sequence[LiveObject], window: Window) -> RunCounts: ...


def counted(provider: object, automations: Sequence[LiveObject], window: Window) -> RunCounts | None:
    """What the provider counted, or None when it has no hook (or nothing is asked)."""
    if not automations or not isinstance(provider, CountsRuns):
        return None
    return provider.run_counts(automations, window)
