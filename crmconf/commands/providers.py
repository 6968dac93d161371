"""`crmconf providers`: installed provider plugins and what each can do per concern."""

from __future__ import annotations

import json

from rich.console import Console as RichConsole
from rich.table import Table

from crmconf.providers import CONCERNS, Support, discover
from crmconf.ui import Console


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
