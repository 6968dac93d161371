"""Executing a plan: dependency order, failures isolated to their dependents, everything journaled."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from crmconf.engine.changes import Action, Change, Plan
from crmconf.engine.diff import same
from crmconf.engine.journal import Journal
from crmconf.engine.plan import plan_digest
from crmconf.engine.resource import Snapshot
from crmconf.errors import DestroyRefusedError, LimitExceededError, ProviderError
from crmconf.providers import Provider


class Outcome(StrEnum):
    APPLIED = "applied"
    FAILED = "failed"
    SKIPPED = "skipped"  # a change it depends on failed
    NOT_ATTEMPTED = "not-attempted"  # the run stopped first (API limit)


@dataclass(frozen=True)
class Result:
    change: Change
    outcome: Outcome
    detail: str = ""


@dataclass(frozen=True)
class Report:
    results: tuple[Result, ...]
    unverified: tuple[str, ...] = ()  # applied, but the re-fetch does not show the desired state
    stopped: str = ""  # why the run stopped early, if it did

    def count(self, outcome: Outcome) -> int:
        return sum(r.outcome is outcome for r in self.results)

    @property
    def ok(self) -> bool:
        return all(r.outcome is Outcome.APPLIED for r in self.results) and not self.unverified


def refuse_destroy(plan: Plan, allow_destroy: bool) -> None:
    destructive = [c for c in plan.changes if c.destructive]
    if destructive and not allow_destroy:
        lines = "\n".join(f"  {c.action.value} {c.address}: {c.impact}" for c in destructive)
        raise DestroyRefusedError(
            f"the plan has {len(destructive)} destructive change(s); nothing was applied:\n{lines}\n"
            "review them, then run again with --allow-destroy"
        )


def apply_plan(
    plan: Plan, provider: Provider, journal: Journal, *, progress: Callable[[Result], None] = lambda r: None
) -> Report:
    journal.begin(target=plan.target, provider=plan.provider, plan_digest=plan_digest(plan), changes=len(plan.changes))
    results: list[Result] = []
    blocked: set[str] = set()
    stopped = ""
    with provider.session():
        for change in plan.changes:
            result = _one(change, provider, blocked, stopped)
            if result.outcome is not Outcome.APPLIED:
                blocked.add(change.address)
            if result.outcome is Outcome.FAILED and result.detail.startswith("API limit"):
                stopped = result.detail
            results.append(result)
            journal.change(change.address, change.action.value, result.outcome.value, result.detail)
            progress(result)
    report = Report(tuple(results), stopped=stopped)
    return report


def _one(change: Change, provider: Provider, blocked: set[str], stopped: str) -> Result:
    if stopped:
        return Result(change, Outcome.NOT_ATTEMPTED, "the run stopped at the API limit")
    failed_deps = [d for d in (*change.depends_on, change.parent or "") if d in blocked]
    if failed_deps:
        return Result(change, Outcome.SKIPPED, f"depends on {', '.join(failed_deps)}, which did not apply")
    try:
        provider.apply(change)
    except LimitExceededError as exc:
        return Result(change, Outcome.FAILED, f"API limit: {exc}")
    except ProviderError as exc:
        return Result(change, Outcome.FAILED, str(exc))
    return Result(change, Outcome.APPLIED)


def verify(report: Report, snapshot: Snapshot) -> Report:
    """Compare what was applied with a fresh read: the vendor must now show the desired state."""
    unverified = []
    for r in report.results:
        if r.outcome is not Outcome.APPLIED:
            continue
        live = snapshot.get(r.change.address)
        if r.change.action is Action.DELETE:
            if live is not None:
                unverified.append(r.change.address)
        elif live is None or any(not same(live.attrs.get(k), v) for k, v in (r.change.after or {}).items()):
            unverified.append(r.change.address)
    return Report(report.results, tuple(unverified), report.stopped)
