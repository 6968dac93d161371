"""Settling an apply that was cut short: re-read what it had in flight and record what really happened.

Runs before anything new is planned (`plan`, `apply`, `drift` on the run's target). Pure in the middle:
`unfinished` reads the journal's records into runs with no end, `settle` decides from a live snapshot
whether each change in doubt landed; `recover` appends the outcomes, then the run's missing end.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crmconf.engine.diff import same
from crmconf.engine.journal import Journal, read_open
from crmconf.engine.resource import Snapshot
from crmconf.errors import LockedError, ProviderError
from crmconf.spec.diagnostics import Diagnostic, warning

APPLIED, NOT_APPLIED, NOT_ATTEMPTED = "applied", "not-applied", "not-attempted"


@dataclass(frozen=True)
class Unfinished:
    run: str
    begin: Mapping[str, Any]
    outcomes: Mapping[str, str]  # address -> outcome the run recorded itself (exact)
    in_doubt: tuple[Mapping[str, Any], ...]  # intents with no outcome: {address, kind, action, after}
    never_sent: tuple[str, ...]  # planned, never announced by an intent

    @property
    def target(self) -> str:
        return str(self.begin.get("target", ""))

    def describe(self) -> str:
        b = self.begin
        return f"run {self.run} on target {self.target}, started {b.get('time')} by {b.get('user')}"


@dataclass(frozen=True)
class Recovered:
    run: Unfinished
    settled: Mapping[str, str]  # address -> applied | not-applied, for the changes that were in doubt

    def message(self) -> str:
        done = Counter(self.run.outcomes.values())
        found = Counter(self.settled.values())
        parts = [f"{done[APPLIED]} change(s) were recorded applied before it stopped"]
        if self.settled:
            parts.append(f"{len(self.settled)} were in flight: re-read now, {found[APPLIED]} had been applied "
                         f"and {found[NOT_APPLIED]} had not")
        if self.run.never_sent:
            parts.append(f"{len(self.run.never_sent)} were never sent")
        return (f"the previous apply ({self.run.describe()}) did not finish; "
                + "; ".join(parts) + ". The journal now records this; the plan below starts from the live CRM.")


def unfinished(records: Sequence[Mapping[str, Any]]) -> list[Unfinished]:
    """Runs that began and never ended, oldest first."""
    runs: dict[str, dict[str, Any]] = {}
    for r in records:
        run = str(r.get("run", ""))
        event = r.get("event")
        if event == "begin":
            runs[run] = {"begin": r, "intents": {}, "outcomes": {}, "ended": False}
        elif run in runs:
            state = runs[run]
            if event == "intent":
                for c in r.get("changes", ()):
                    if isinstance(c, Mapping) and "address" in c:
                        state["intents"][str(c["address"])] = c
            elif event == "change":
                state["outcomes"][str(r.get("address"))] = str(r.get("outcome"))
            elif event == "end":
                state["ended"] = True
    found = []
    for run, state in runs.items():
        if state["ended"]:
            continue
        outcomes = state["outcomes"]
        in_doubt = tuple(c for a, c in state["intents"].items() if a not in outcomes)
        announced = set(state["intents"]) | set(outcomes)
        never = tuple(a for a in state["begin"].get("planned", ()) if a not in announced)
        found.append(Unfinished(run, state["begin"], dict(outcomes), in_doubt, never))
    return found


def settle(change: Mapping[str, Any], snapshot: Snapshot) -> str:
    """Did this change land? A delete: the object is gone; otherwise: it shows every desired attribute."""
    live = snapshot.get(str(change["address"]))
    if change.get("action") == "delete":
        return APPLIED if live is None else NOT_APPLIED
    after = change.get("after") or {}
    if live is not None and all(same(live.attrs.get(k), v) for k, v in after.items()):
        return APPLIED
    return NOT_APPLIED


def kinds_in_doubt(runs: Sequence[Unfinished]) -> frozenset[str]:
    return frozenset(str(c.get("kind")) for u in runs for c in u.in_doubt if c.get("kind"))


@dataclass(frozen=True)
class Outcome:
    recovered: tuple[Recovered, ...] = ()
    elsewhere: tuple[Unfinished, ...] = ()  # unfinished runs on other targets: left for them
    busy: str = ""  # an apply is running right now: nothing was touched
    waiting: str = ""  # another run holds the target's apply lock: the re-read waits for a later plan
    unreadable: tuple[int, ...] = ()  # journal lines that are not records (torn by power loss)
    failed: str = ""  # the re-read failed: the run stays unfinished, the next run tries again


Guard = Callable[[], AbstractContextManager[object]]


def recover(root: Path, path: Path, target: str, read_live: Callable[[frozenset[str]], Snapshot],
            guard: Guard | None = None) -> Outcome:
    """Settle every unfinished run of `target`; `read_live(kinds)` re-reads the CRM.

    `guard()` is held around the re-read (the target's apply lock, crmconf.engine.lock), so an apply
    running now on another machine is never mistaken for what the dead run had in flight; None when
    the caller already holds it."""
    if not path.exists():
        return Outcome()
    journal = Journal(path, root=root)
    try:
        journal.open()
    except LockedError as exc:
        return Outcome(busy=str(exc))
    with journal:
        records, bad = read_open(path)
        runs = unfinished(records)
        mine = [u for u in runs if u.target == target]
        others = tuple(u for u in runs if u.target != target)
        if not mine:
            return Outcome(elsewhere=others, unreadable=tuple(bad))
        doubt = any(u.in_doubt for u in mine)
        try:
            with guard() if guard is not None and doubt else contextlib.nullcontext():
                snapshot = read_live(kinds_in_doubt(mine)) if doubt else None
                done = tuple(_close(journal, u, snapshot) for u in mine)
        except LockedError as exc:
            return Outcome(elsewhere=others, unreadable=tuple(bad), waiting=str(exc))
        except ProviderError as exc:
            return Outcome(elsewhere=others, unreadable=tuple(bad), failed=str(exc))
    return Outcome(done, others, unreadable=tuple(bad))


def _close(journal: Journal, run: Unfinished, snapshot: Snapshot | None) -> Recovered:
    settled = {str(c["address"]): settle(c, snapshot) for c in run.in_doubt} if snapshot else {}
    by_address = {str(c["address"]): c for c in run.in_doubt}
    lines = [
        (a, str(by_address[a].get("action", "")), outcome,
         "in flight when the run stopped; the re-read shows it " + ("applied" if outcome == APPLIED else "not applied"))
        for a, outcome in settled.items()
    ]
    lines += [(a, "", NOT_ATTEMPTED, "never sent: the run stopped first") for a in run.never_sent]
    if lines:
        journal.outcomes(lines, run=run.run, recovered=True)
    counts = Counter({**run.outcomes, **settled, **dict.fromkeys(run.never_sent, NOT_ATTEMPTED)}.values())
    journal.end(dict(counts), verified=False, run=run.run, recovered=True,
                stopped="the run was cut short; a later run re-read what it had in flight")
    return Recovered(run, settled)


def notes(outcome: Outcome) -> list[Diagnostic]:
    """What recovery found, as plan warnings: said plainly in every plan format."""
    where = None
    found = [warning("J001", r.message(), where) for r in outcome.recovered]
    found += [
        warning("J002", f"the journal holds an apply that did not finish ({u.describe()})", where,
                hint=f"run `crmconf plan --target {u.target}`: it re-reads what that run had in flight and records it")
        for u in outcome.elsewhere
    ]
    if outcome.busy:
        found.append(warning("J003", f"not checking the journal for unfinished applies: {outcome.busy}", where))
    if outcome.waiting:
        found.append(warning("J003", "an apply that did not finish is not settled yet: re-reading what it had in "
                             f"flight waits for the target's apply lock ({outcome.waiting}); a later plan settles it",
                             where))
    if outcome.failed:
        found.append(warning("J004", "an apply that did not finish could not be settled: re-reading the CRM "
                             f"failed ({outcome.failed}); the next run tries again", where))
    if outcome.unreadable:
        lines = ", ".join(map(str, outcome.unreadable[:5]))
        found.append(warning("J005", f"the journal has {len(outcome.unreadable)} line(s) that are not records "
                             f"(line {lines}), cut by a crash or an edit; they are skipped", where))
    return found
