"""`crmconf apply [PLANFILE]`: make the changes, safely, and say exactly what happened."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from crmconf.commands import record
from crmconf.engine import plan_extras
from crmconf.engine.apply import Outcome, Report, Result, apply_plan, refuse_destroy, verify_by_reading
from crmconf.engine.changes import Plan
from crmconf.engine.journal import Journal
from crmconf.engine.plan import assert_fresh, kinds_of, load_plan, make_plan
from crmconf.engine.resource import Compiled
from crmconf.errors import UsageError
from crmconf.providers import Provider, opened
from crmconf.render import plan_text
from crmconf.ui import Console
from crmconf.validation import Validated, require_valid


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
    if planfile is not None:
        saved = load_plan(planfile)
        target = target or saved.target
        root = root or _workspace_of(saved, planfile, console)
    root = root or Path(".")
    ws = require_valid(root, today)
    with opened(ws.spec, ws.sources, root, target) as (name, provider):
        plan, compiled, snapshot = make_plan(ws, name, provider)
        fresh = plan
        if planfile is not None:
            assert_fresh(saved, ws, name, provider.name, snapshot)
            record.assert_same_record(saved, fresh)
            plan = saved
        else:
            console.err(plan_text.render(plan, color=console.color))
        if plan.errors:
            console.err("the plan has errors; nothing was applied")
            return 1
        if not plan.changes:
            console.err("nothing to apply")
            return 0 if record.write(ws, fresh, provider, compiled, (), console) else 1
        refuse_destroy(plan, allow_destroy)
        if planfile is None and not auto_approve:
            _confirm(console)
        return _execute(ws, plan, provider, console, kinds_of(compiled, provider), compiled, fresh)


def _workspace_of(saved: Plan, planfile: Path, console: Console) -> Path:
    """A saved plan names its workspace, so `crmconf apply plan.json` works from any folder."""
    found = plan_extras.workspace_of(saved, planfile)
    if found is None:
        if saved.workspace:
            console.err(
                f"the plan's workspace {saved.workspace} is not there any more; using the current folder"
            )
        return Path(".")
    return found


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
    fresh: Plan | None = None,
) -> int:
    journal = Journal(ws.root / ".crmconf" / "journal.jsonl")

    def progress(result: Result) -> None:
        mark = {"applied": "ok", "failed": "FAILED", "skipped": "skipped", "not-attempted": "not attempted"}
        detail = f": {result.detail}" if result.detail else ""
        console.err(
            f"  {mark[result.outcome.value]:>13}  {result.change.action.value} {result.change.address}{detail}"
        )

    report = apply_plan(plan, provider, journal, progress=progress)
    report = verify_by_reading(report, lambda: provider.fetch(kinds))
    journal.end({o.value: report.count(o) for o in Outcome}, verified=report.verified)
    console.err(_summary(report))
    applied = [r.change for r in report.results if r.outcome is Outcome.APPLIED]
    recorded = compiled is None or fresh is None or record.write(ws, fresh, provider, compiled, applied, console)
    return 0 if report.ok and recorded else 1


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
