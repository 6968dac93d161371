"""`crmconf plan`: what would change in the CRM, and why."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from crmconf.commands import locking
from crmconf.engine.changes import Plan
from crmconf.engine.plan import make_plan, save_plan
from crmconf.providers import opened
from crmconf.render import plan_json, plan_markdown, plan_text, progress
from crmconf.ui import Console
from crmconf.validation import require_valid

EXIT_CHANGES = 2


def build(root: Path, target: str | None, today: date) -> Plan:
    ws = require_valid(root, today)
    with opened(ws.spec, ws.sources, root, target) as (name, provider):
        plan, _, _ = make_plan(ws, name, provider, settle_guard=locking.settling(provider, ws.root, name))
    return plan


def show(plan: Plan, fmt: str, console: Console) -> None:
    if fmt == "json":
        console.out(plan_json.render(plan))
    elif fmt == "markdown":
        console.out(plan_markdown.render(plan))
    else:
        console.out(plan_text.render(plan, color=console.color))


def run(
    root: Path,
    *,
    target: str | None,
    out: Path | None,
    fmt: str,
    detailed: bool,
    today: date,
    console: Console,
) -> int:
    with progress.reading(console, f"Reading {target or 'the default target'}"):
        plan = build(root, target, today)
    show(plan, fmt, console)
    if out is not None:
        save_plan(plan, out, root=root)
        console.err(f"saved the plan to {out}; apply exactly this with `crmconf apply {out}`")
    if plan.errors:
        return 1
    return EXIT_CHANGES if detailed and plan.has_changes else 0
