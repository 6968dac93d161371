"""Executing a plan: dependency order, failures isolated to their dependents, everything journaled."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
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
    unread: str = ""  # why the confirming re-read failed, if it did: nothing is known to be verified

    def count(self, outcome: Outcome) -> int:
        return sum(r.outcome is outcome for r in self.results)

    @property
    def verified(self) -> bool:
        return not self.unverified and not self.unread

    @property
    def ok(self) -> bool:
        return all(r.outcome is Outcome.APPLIED for r in self.results) and self.verified


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
    journal.begin(
        target=plan.target, provider=plan.provider, plan_digest=plan_digest(plan), changes=len(plan.changes)
    )
    run = _Run(provider, journal, progress)
    with provider.session():
        for batch in batches(execution_order(plan.changes), getattr(provider, "batch_size", 1), provider):
            run.batch(batch)
    return Report(tuple(run.results), stopped=run.stopped)


def execution_order(changes: tuple[Change, ...]) -> tuple[Change, ...]:
    """The plan's creates and updates in dependency waves, like kinds together within a wave.

    The plan reads in spec order (a pipeline, then its stages, then the next pipeline), which would cut
    batches at every switch of kind; a change may run as soon as what it depends on has run, so
    executing wave by wave keeps every dependency before its dependents and lets same-kind changes
    share one call. Deletes keep the plan's order (children first, after everything else).
    """
    # A delete a building change waits for (see diff.order) runs among the builds, before it.
    needed = {d for c in changes if c.action is not Action.DELETE for d in c.depends_on}
    building = [c for c in changes if c.action is not Action.DELETE or c.address in needed]
    deleting = [c for c in changes if c.action is Action.DELETE and c.address not in needed]
    position = {c.address: i for i, c in enumerate(building)}
    depth: dict[int, int] = {}

    def wave(i: int) -> int:
        # Whatever the plan runs earlier among a change's dependencies and its parent stays earlier:
        # a provider may rely on either (a stage created in its pipeline, a process naming its stages).
        if i not in depth:
            c = building[i]
            related = [position[d] for d in (*c.depends_on, c.parent or "") if position.get(d, i) < i]
            depth[i] = 1 + max(map(wave, related)) if related else 0
        return depth[i]

    first_seen: dict[tuple[str, Action], int] = {}
    for i, c in enumerate(building):
        first_seen.setdefault((c.kind, c.action), i)
    ordered = sorted(
        enumerate(building), key=lambda ic: (wave(ic[0]), first_seen[(ic[1].kind, ic[1].action)], ic[0])
    )
    return (*(c for _, c in ordered), *deleting)


def batches(changes: tuple[Change, ...], size: int, provider: Provider) -> Iterator[list[Change]]:
    """Runs of consecutive changes the provider can send in one call: same kind and action, independent."""
    current: list[Change] = []
    for change in changes:
        fits = (
            current
            and len(current) < size
            and (change.kind, change.action) == (current[0].kind, current[0].action)
            and not {*change.depends_on, change.parent} & {c.address for c in current}
            and getattr(provider, "batchable", lambda c: False)(change)
        )
        if current and not fits:
            yield current
            current = []
        current.append(change)
    if current:
        yield current


class _Run:
    """The state of one apply: what failed (so dependents are skipped) and whether the API limit hit."""

    def __init__(self, provider: Provider, journal: Journal, progress: Callable[[Result], None]) -> None:
        self.provider, self.journal, self.progress = provider, journal, progress
        self.results: list[Result] = []
        self.blocked: set[str] = set()
        self.stopped = ""

    def batch(self, changes: list[Change]) -> None:
        ready = [c for c in changes if not self._settle_early(c)]
        if not ready:
            return
        if len(ready) == 1:
            self._record(_attempt(ready[0], self.provider.apply))
            return
        try:
            errors = self.provider.apply_batch(ready)  # type: ignore[attr-defined]
        except ProviderError as exc:
            errors = [exc] * len(ready)
        for change, err in zip(ready, errors, strict=True):
            self._record(_attempt(change, lambda _c, e=err: _raise(e)))  # type: ignore[misc]

    def _settle_early(self, change: Change) -> bool:
        """Record a change that must not be attempted; True when it was settled here."""
        if self.stopped:
            self._record(Result(change, Outcome.NOT_ATTEMPTED, "the run stopped at the API limit"))
            return True
        failed = [d for d in (*change.depends_on, change.parent or "") if d in self.blocked]
        if failed:
            self._record(
                Result(change, Outcome.SKIPPED, f"depends on {', '.join(failed)}, which did not apply")
            )
            return True
        return False

    def _record(self, result: Result) -> None:
        change = result.change
        if result.outcome is not Outcome.APPLIED:
            self.blocked.add(change.address)
        if result.outcome is Outcome.FAILED and result.detail.startswith("API limit"):
            self.stopped = result.detail
        self.results.append(result)
        self.journal.change(change.address, change.action.value, result.outcome.value, result.detail)
        self.progress(result)


def _raise(err: Exception | None) -> None:
    if err is not None:
        raise err


def _attempt(change: Change, action: Callable[[Change], None]) -> Result:
    try:
        action(change)
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


def verify_by_reading(report: Report, read: Callable[[], Snapshot]) -> Report:
    """`verify` on a fresh read; a read that fails leaves the report unverified, never unwritten."""
    try:
        return verify(report, read())
    except ProviderError as exc:  # the changes stand whatever the read says; the journal must still end
        return replace(report, unread=str(exc))
