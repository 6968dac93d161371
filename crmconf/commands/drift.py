"""`crmconf drift`: does the live CRM still match the spec? Exit 2 when it does not."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from crmconf.commands.plan import build, show
from crmconf.render import drift_markdown
from crmconf.ui import Console

EXIT_DRIFT = 2


def run(root: Path, *, target: str | None, fmt: str, today: date, console: Console) -> int:
    plan = build(root, target, today)
    if fmt == "markdown":
        console.out(drift_markdown.render(plan))
    else:
        show(plan, fmt, console)
    if plan.errors:
        return 1
    return EXIT_DRIFT if plan.has_changes or plan.unmanaged else 0
