"""`crmconf apply [PLANFILE]`: make the changes, safely, and say exactly what happened."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import click

from crmconf.commands import interrupts, locking, record
from crmconf.engine.apply import Outcome, Report, Result, apply_plan, refuse_destroy, reread
from crmconf.engine.changes import Plan
from crmconf.engine.journal import Journal
from crmconf.engine.plan import assert_fresh, change_to_dict, kinds_of, load_plan, make_plan
from crmconf.engine.resource import Compiled
from crmconf.engine.saved import check_changes
from crmconf.errors import UsageError
from crmconf.promotion import hooks
from crmconf.providers import Provider, opened
from crmconf.render import plan_text, progress
from crmconf.ui import Console
from crmconf.validation import Validated, require_valid

EXIT_INTERRUPTED = 130


def run(
    root: Path | None,
    *,
    planfile: Path | None,
    target: str | None,
    auto_approve: bool,
    allow_destroy: bool,
    today: date,
    console: Console,
) -> int:
    saved: Plan | None = None
    if planfile is not None:
        root = root or _workspace_of(load_plan(planfile))  # a saved plan names its workspace: apply from anywhere
        saved = load_plan(planfile, root=root)
        target = target or saved.target
    root = root or Path(".")
    ws = require_valid(root, today)
    with opened(ws.spec, ws.sources, root, target) as (name, provider):
        hooks.require_promotable(ws, root, name)  # a later target takes only what the one before runs
        # One apply at a time per target: the lock is taken before the plan reads the CRM, so a plan
        # is never made from a state another apply is changing, and held until the record is written.
        run_id = locking.new_run_id()
        with locking.held(provider, ws.root, name, run=run_id, console=console) as lease:
            code = _locked(ws, name, provider, saved, auto_approve=auto_approve, allow_destroy=allow_destroy,
                           console=console, lease=lease)
        return locking.exit_code(code, lease)


def _locked(
    ws: Validated,
    name: str,
    provider: Provider,
    saved: Plan | None,
    *,
    auto_approve: bool,
    allow_destroy: bool,
    console: Console,
    lease: locking.Lease,
) -> int:
    """Plan and apply while holding the target's lock (the plan is made again: a saved one must match it)."""
    with progress.reading(console, f"Reading {name}"):
        plan, compiled, snapshot = make_plan(ws, name, provider)
    if saved is not None:
        _say_recovered(plan, console)
        assert_fresh(saved, ws, name, provider.name, snapshot)
        check_changes(saved, plan, change_to_dict)  # then apply what crmconf computed, not the file
        record.assert_same_record(saved, plan)  # and what it knew crmconf manages
    else:
        console.err(plan_text.render(plan, color=console.color))
    if plan.errors:
        console.err("the plan has errors; nothing was applied")
        return 1
    if not plan.changes:  # nothing to change in the CRM; what crmconf manages may still change
        console.err("nothing to apply")
        hooks.record(ws, ws.root, name, provider, verified=True, changes=0, console=console)  # the plan read it
        return 0 if record.write(ws, plan, provider, compiled, (), console) else 1
    refuse_destroy(plan, allow_destroy, snapshot)
    if saved is None and not auto_approve:
        _confirm(console)
    return _execute(ws, plan, provider, console, kinds_of(compiled, provider), compiled, lease)


def _workspace_of(saved: Plan) -> Path:
    recorded = Path(saved.workspace) if saved.workspace else None
    return recorded if recorded is not None and recorded.is_dir() else Path(".")


def _say_recovered(plan: Plan, console: Console) -> None:
    for d in plan.diagnostics:
        if d.code.startswith("J"):
            console.err(f"{d.severity.value} {d.code}: {d.message}")


def _confirm(console: Console) -> None:
    if not console.interactive():
        raise UsageError(
            "no terminal to ask for approval: review the plan, then run with --auto-approve "
            "(or apply a saved plan file)"
        )
    if not click.confirm("Apply these changes?", default=False, err=True):
        raise UsageError("not approved; nothing was applied")


def _execute(
    ws: Validated,
    plan: Plan,
    provider: Provider,
    console: Console,
    kinds: frozenset[str],
    compiled: Compiled | None = None,
    lease: locking.Lease | None = None,
) -> int:
    path = ws.root / ".crmconf" / "journal.jsonl"
    # The run id the lock shows a second runner is the one this journal records.
    journal = Journal(path, root=ws.root) if lease is None else Journal(path, run_id=lease.run, root=ws.root)

    def line(result: Result) -> str:
        mark = {"applied": "ok", "failed": "FAILED", "skipped": "skipped", "not-attempted": "not attempted"}
        detail = f": {result.detail}" if result.detail else ""
        return f"  {mark[result.outcome.value]:>13}  {result.change.action.value} {result.change.address}{detail}"

    with interrupts.stop_requests(console) as stop:

        def stop_or_lost() -> str:
            """Between batches: a signal asks to stop; a lock removed from under the run stops it too."""
            return stop() or (lease.renew() if lease is not None else "")

        with progress.applying(console, f"Applying to {plan.target}", len(plan.changes)) as shown:
            report = apply_plan(plan, provider, journal, progress=lambda r: shown(line(r)), stop=stop_or_lost)
        if stop() and not report.interrupted:  # the signal came after the last change: skip the re-read
            report = replace(report, interrupted=stop())
        if report.interrupted:  # the user wants out: no confirming read, say where things stand
            journal.end(_counts(report), verified=False, interrupted=report.interrupted)
            console.err(_interrupted(report))
            return EXIT_INTERRUPTED
        report = reread(report, provider, kinds)  # what the applied changes touch, of what the plan read
        journal.end(_counts(report), verified=report.verified)
        console.err(_summary(report))
        applied = [r.change for r in report.results if r.outcome is Outcome.APPLIED]
        # Still within the signal handlers: the record is part of the run, a signal now waits for it.
        recorded = compiled is None or record.write(ws, plan, provider, compiled, applied, console)
        if compiled is not None:  # the command's own run (callers without a compile keep no records)
            hooks.record(ws, ws.root, plan.target, provider, verified=report.ok,
                         changes=report.count(Outcome.APPLIED), console=console)
    return 0 if report.ok and recorded else 1


def _counts(report: Report) -> dict[str, int]:
    return {o.value: report.count(o) for o in Outcome}


def _interrupted(report: Report, shown: int = 20) -> str:
    def listing(outcome: Outcome) -> list[str]:
        addresses = [f"    {r.change.action.value} {r.change.address}" for r in report.results if r.outcome is outcome]
        return addresses[:shown] + ([f"    ... and {len(addresses) - shown} more"] if len(addresses) > shown else [])

    applied, left = report.count(Outcome.APPLIED), len(report.results) - report.count(Outcome.APPLIED)
    lines = [f"Interrupted ({report.interrupted}): stopped after the change in flight.",
             f"Applied ({applied}):", *listing(Outcome.APPLIED),
             f"Not applied ({left}):", *listing(Outcome.NOT_ATTEMPTED), *listing(Outcome.FAILED),
             *listing(Outcome.SKIPPED),
             "Everything is recorded in .crmconf/journal.jsonl. To continue: `crmconf plan` shows what is left, "
             "then `crmconf apply` applies it."]
    return "\n".join(lines)


def _summary(report: Report) -> str:
    parts = [f"{report.count(o)} {o.value}" for o in Outcome if report.count(o)]
    lines = ["Apply: " + ", ".join(parts) + "."]
    if report.stopped:
        lines.append(f"Stopped early: {report.stopped}. Run `crmconf plan` later: it shows what is left.")
    if report.unread:
        lines.append(f"Not verified: re-reading the CRM failed ({report.unread}). Run `crmconf plan` later to confirm.")
    if report.unverified:
        lines.append("Not verified by re-reading the CRM: " + ", ".join(report.unverified))
    if not report.ok:
        lines.append("Re-run `crmconf plan` to see what is left; the journal is in .crmconf/journal.jsonl.")
    return "\n".join(lines)
