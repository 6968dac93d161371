"""`crmconf drift`: does the live CRM still match the spec? Exit 2 when it does not.

It matches when nothing is to change, every unmanaged object is accepted under `unmanaged:`, and no
manual step is open; the report says how many unmanaged objects were accepted.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from crmconf.commands.plan import build, show
from crmconf.engine.changes import Plan
from crmconf.render import drift_markdown, progress
from crmconf.ui import Console

EXIT_DRIFT = 2


def drifted(plan: Plan) -> bool:
    return plan.has_changes or bool(plan.unaccepted) or bool(plan.open_steps)


def run(root: Path, *, target: str | None, fmt: str, today: date, console: Console) -> int:
    with progress.reading(console, f"Reading {target or 'the default target'}"):
        plan = build(root, target, today)
    if fmt == "markdown":
        console.out(drift_markdown.render(plan))
    else:
        show(plan, fmt, console)
    accepted = len(plan.unmanaged) - len(plan.unaccepted)
    if fmt != "json":
        console.err(
            ("drift: the live CRM differs from the spec" if drifted(plan) else "drift: none")
            + f" ({len(plan.unaccepted)} unmanaged object(s) not accepted, {accepted} accepted, "
            f"{len(plan.open_steps)} manual step(s) open)"
        )
    if plan.errors:
        return 1
    return EXIT_DRIFT if drifted(plan) else 0
