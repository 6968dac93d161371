"""`crmconf show PLANFILE`: a saved plan rendered again, without reading the CRM a second time.

Like `terraform show`: CI plans once (`plan --out`), then renders the same plan as markdown for the pull
request and as JSON for scripts. The file is checked as `apply` checks it (this format, this version,
its integrity digest), so what is shown is what `crmconf apply PLANFILE` would be asked to apply.
"""

from __future__ import annotations

from pathlib import Path

from crmconf.commands.plan import show
from crmconf.engine.plan import load_plan
from crmconf.ui import Console


def run(path: Path, *, fmt: str, console: Console) -> int:
    plan = load_plan(path)
    show(plan, fmt, console)
    return 1 if plan.errors else 0
