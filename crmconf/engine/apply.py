"""Executing a plan: dependency order, failures isolated to their dependents, everything journaled.

Write-ahead: a batch's intent is in the journal before it is sent, its outcomes right after. A stop
request (Ctrl-C, SIGTERM) is honoured between batches, so the change in flight finishes and is recorded;
what was not sent is journaled not-attempted and the report says the run was interrupted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from crmconf.engine import safety
from crmconf.engine.changes import Action, Change, Plan
from crmconf.engine.diff import same
from crmconf.engine.journal import Journal, JournalWriteError
from crmconf.engine.plan import plan_digest
from crmconf.engine.resource import Snapshot
from crmconf.errors import DestroyRefusedError, LimitExceededError, ProviderError
from crmconf.providers import Provider


class Outcome(StrEnum):
    APPLIED = "applied"
    FAILED = "failed"
    SKIPPED = "skipped"  # a change it depends on failed
    NOT_ATTEMPTED = "not-attempted"  # the run stopped first (API limit, interrupted)


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
    interrupted: str = ""  # the signal that stopped the run between two batches, if one did

    def count(self, outcome: Outcome) -> int:
        return sum(r.outcome is outcome for r in self.results)

    @property
    def verified(self) -> bool:
        return not self.unverified and not self.unread

    @property
    def ok(self) -> bool:
        return all(r.outcome is Outcome.APPLIED for r in self.results) and self.verified


def refuse_destroy(plan: Plan, allow_destroy: bool, snapshot: Snapshot | None = None) -> None:
    """Refuse when any change is destructive, judged from the change itself (a flag can be forged)."""
    risky = [c for c in plan.changes if c.destructive or safety.destructive(c, snapshot)]
    if risky and not allow_destroy:
        lines = "\n".join(f"  {c.action.value} {c.address}: {c.impact or 'destroys data'}" for c in risky)
        raise DestroyRefusedError(
            f"the plan has {len(risky)} destructive change(s); nothing was applied:\n{lines}\n"
            "review them, then run again with --allow-destroy"
        )


def apply_plan(
    plan: Plan,
    provider: Provider,
    journal: Journal,
    *,
    progress: Callable[[Result], None] = lambda r: None,
    stop: Callable[[], str] = lambda: "",
) -> Report:
    """Run the plan; `stop()` returns why to stop (a signal's name) or "" to go on, asked between batches.

    Nothing is journaled until the provider's session (its lock, its login) is open: a refused apply
    leaves no half run behind.
    """
    order = execution_order(plan.changes)
    with journal.open(), provider.session():
        journal.begin(
            target=plan.target,
            provider=plan.provider,
            plan_digest=plan_digest(plan),
            changes=len(plan.changes),
            planned=[c.address for c in order],
        )
        run = _Run(provider, journal, progress)
        for batch in batches(order, getattr(provider, "batch_size", 1), provider):
            if not run.interrupted and (why := stop()):
                run.interrupted = why
            run.batch(batch)
    return Report(tuple(run.results), stopped=run.stopped, interrupted=run.interrupted)


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
        self.interrupted = ""

    def batch(self, changes: list[Change]) -> None:
        early = [r for c in changes if (r := self._settle_early(c)) is not None]
        if early:
            self._record(early)
        ready = [c for c in changes if c.address not in {r.change.address for r in early}]
        if not ready:
            return
        try:
            self.journal.intent(_intent(c) for c in ready)  # durable before anything is sent
        except JournalWriteError as exc:
            raise JournalWriteError(
                f"{exc}. The apply stopped before sending anything more: {self._applied()} change(s) were "
                "applied and recorded. Make room, then run `crmconf plan`: it shows what is left."
            ) from exc
        if len(ready) == 1:
            self._record([_attempt(ready[0], self.provider.apply)])
            return
        try:
            errors = self.provider.apply_batch(ready)  # type: ignore[attr-defined]
        except ProviderError as exc:
            errors = [exc] * len(ready)
        self._record([_attempt(c, lambda _c, e=err: _raise(e)) for c, err in zip(ready, errors, strict=True)])  # type: ignore[misc]

    def _settle_early(self, change: Change) -> Result | None:
        """The result of a change that must not be attempted, or None to attempt it."""
        if self.stopped:
            return Result(change, Outcome.NOT_ATTEMPTED, "the run stopped at the API limit")
        if self.interrupted:
            return Result(change, Outcome.NOT_ATTEMPTED, f"the run was interrupted ({self.interrupted})")
        failed = [d for d in (*change.depends_on, change.parent or "") if d in self.blocked]
        if failed:
            return Result(change, Outcome.SKIPPED, f"depends on {', '.join(failed)}, which did not apply")
        return None

    def _record(self, results: list[Result]) -> None:
        for result in results:
            if result.outcome is not Outcome.APPLIED:
                self.blocked.add(result.change.address)
            if result.outcome is Outcome.FAILED and result.detail.startswith("API limit") and not self.stopped:
                self.stopped = result.detail
        self.results.extend(results)
        try:
            self.journal.outcomes(
                (r.change.address, r.change.action.value, r.outcome.value, r.detail) for r in results
            )
        except JournalWriteError as exc:
            raise JournalWriteError(
                f"{exc}. The apply stopped. The last {len(results)} change(s) were sent but their outcome could "
                "not be recorded; once there is room, `crmconf plan` re-reads them and records what happened."
            ) from exc
        for result in results:
            self.progress(result)

    def _applied(self) -> int:
        return sum(r.outcome is Outcome.APPLIED for r in self.results)


def _intent(change: Change) -> dict[str, object]:
    """What recovery needs to tell, from a re-read, whether this change landed."""
    after = dict(change.after) if change.after is not None else None
    return {"address": change.address, "kind": change.kind, "action": change.action.value, "after": after}


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


def reread_kinds(report: Report, provider: Provider) -> frozenset[str]:
    """What a verifying re-read reads: the kinds of the applied changes, and the kinds their reading
    depends on, as the provider says (its optional `read_depends`: kind -> kinds; a HubSpot workflow names
    stages and properties, so it is read with them). Empty when nothing was applied: nothing to re-read."""
    depends: Mapping[str, Iterable[str]] = getattr(provider, "read_depends", {})
    kinds = {r.change.kind for r in report.results if r.outcome is Outcome.APPLIED}
    todo = list(kinds)
    while todo:
        for kind in depends.get(todo.pop(), ()):
            if kind not in kinds:
                kinds.add(kind)
                todo.append(kind)
    return frozenset(kinds)


def reread(report: Report, provider: Provider, within: frozenset[str] = frozenset()) -> Report:
    """`verify_by_reading` of what the applied changes touch (reread_kinds), not of every kind the plan
    read (`within`, when given, bounds it)."""
    kinds = reread_kinds(report, provider) & within if within else reread_kinds(report, provider)
    return verify_by_reading(report, lambda: provider.fetch(kinds)) if kinds else report


def verify_by_reading(report: Report, read: Callable[[], Snapshot]) -> Report:
    """`verify` on a fresh read; a read that fails leaves the report unverified, never unwritten."""
    try:
        return verify(report, read())
    except ProviderError as exc:  # the changes stand whatever the read says; the journal must still end
        return replace(report, unread=str(exc))
