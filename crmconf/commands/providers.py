"""`crmconf providers`: installed provider plugins and what each can do per concern."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from rich.console import Console as RichConsole
from rich.table import Table

from crmconf.errors import UsageError
from crmconf.providers import CONCERNS, Access, Support, discover, opened
from crmconf.ui import Console
from crmconf.validation import require_valid


def run(fmt: str, console: Console) -> int:
    found = discover()
    if fmt == "json":
        data = {
            "format_version": "1",
            "providers": {
                n: {c: str(p.capabilities.get(c, Support.UNSUPPORTED)) for c in CONCERNS}
                for n, p in sorted(found.providers.items())
            },
            "problems": dict(found.problems),
        }
        console.out(json.dumps(data, indent=2))
    else:
        table = Table(title="crmconf providers: support per concern")
        table.add_column("concern")
        for name in sorted(found.providers):
            table.add_column(name)
        for concern in CONCERNS:
            table.add_row(
                concern,
                *(
                    str(found.providers[n].capabilities.get(concern, Support.UNSUPPORTED))
                    for n in sorted(found.providers)
                ),
            )
        RichConsole(no_color=not console.color, width=120).print(table)
    for name, why in sorted(found.problems.items()):
        console.err(f"warning: provider plugin {name!r} could not be loaded: {why}")
    return 0


def run_access(root: Path, target: str | None, fmt: str, today: date, console: Console) -> int:
    """What a target's credentials may do, against what its spec needs: exit 1 when a needed one is missing."""
    ws = require_valid(root, today)
    with opened(ws.spec, ws.sources, root, target) as (name, provider):
        report = getattr(provider, "access", None)
        if report is None:
            raise UsageError(f"provider {provider.name} cannot report what its credentials may do")
        provider.compile(ws.spec, ws.sources)
        rows: list[Access] = report()
    lacking = [r for r in rows if r.granted is False and r.needed_for != "optional"]
    if fmt == "json":
        console.out(json.dumps({"format_version": "1", "target": name, "access": [
            {"permission": r.permission, "concern": r.concern, "needed_for": r.needed_for, "granted": r.granted}
            for r in rows]}, indent=2))
    else:
        table = Table(title=f"target {name}: what the spec needs and what the credentials have")
        for column in ("permission", "needed for", "granted", "concern"):
            table.add_column(column)
        mark = {True: "yes", False: "NO", None: "unknown"}
        for r in rows:
            table.add_row(r.permission, r.needed_for, mark[r.granted], r.concern)
        RichConsole(no_color=not console.color, width=140).print(table)
    if lacking:
        console.err(f"target {name}: {len(lacking)} permission(s) the spec needs are missing: "
                    + ", ".join(sorted({r.permission for r in lacking})))
        return 1
    return 0
