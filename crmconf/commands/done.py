"""`crmconf done STEP --by EMAIL`: record that a manual step was done, in the workspace (git keeps it).

The record names the step, the target, who and when, and a digest of the instructions that were done:
when the spec later changes what the step asks, the step opens again. Steps crmconf can read in the CRM
need no record (plans verify them); a record never overrides what the CRM shows.
"""

from __future__ import annotations

import difflib
from datetime import date
from pathlib import Path
from typing import Any

from crmconf import files
from crmconf.commands.review import _write_atomically
from crmconf.engine.resource import ManualStep
from crmconf.errors import UsageError
from crmconf.providers import opened
from crmconf.spec.append import append, replace_item
from crmconf.spec.checks.inventory import EMAIL
from crmconf.spec.edit import EditError
from crmconf.spec.modeline import modeline
from crmconf.ui import Console
from crmconf.validation import Validated, require_valid

FILE = "manual-steps.yaml"
HEADER = (
    "#\n"
    "# Manual steps people have done by hand, per target, as `crmconf done` records them.\n"
    "# `digest` is what the step asked when it was done: when the spec changes it, the step opens again.\n"
)


def run(
    root: Path,
    *,
    steps: tuple[str, ...],
    by: str,
    on: date | None,
    note: str | None,
    target: str | None,
    today: date,
    console: Console,
) -> int:
    if not EMAIL.match(by):
        raise UsageError(
            f"--by {by!r} is not an e-mail address; say who did it, e.g. --by maria@acme.example"
        )
    day = on or today
    if day > today:
        raise UsageError(f"--on {day} is in the future (today is {today}); record a step once it is done")
    ws = require_valid(root, today)
    with opened(ws.spec, ws.sources, root, target) as (name, provider):
        manual = {m.id: m for m in provider.compile(ws.spec, ws.sources).manual}
    chosen = [_find(manual, s, name) for s in steps]
    for m in chosen:
        entry = {"step": m.id, "target": name, "done_by": by, "done_on": day, "digest": m.digest}
        if note:
            entry["note"] = note
        where = _write(ws, entry)
        checked = " (crmconf also reads it in the CRM: plans show what the CRM says)" if m.check else ""
        console.err(f"{where}: recorded {m.id} done on {name} by {by} on {day}{checked}")
    return 0


def _find(manual: dict[str, ManualStep], wanted: str, target: str) -> ManualStep:
    found = manual.get(wanted)
    if found is not None:
        return found
    close = difflib.get_close_matches(wanted, list(manual), n=1, cutoff=0.6)
    hint = (
        f"; did you mean {close[0]!r}?"
        if close
        else (f"; its steps: {', '.join(sorted(manual)[:8])}" if manual else "; it has none")
    )
    raise UsageError(f"target {target} has no manual step {wanted!r}{hint}")


def _write(ws: Validated, entry: dict[str, Any]) -> str:
    key = f"done:{entry['target']}:{entry['step']}"
    origin = ws.sources.origins.get(key)
    holders = [
        n
        for n, s in sorted(ws.sources.files.items())
        if isinstance(s.data, dict) and "manual_steps" in s.data
    ]
    name = origin[0] if origin else (holders[0] if holders else FILE)
    path = ws.root / name
    text = path.read_text(encoding="utf-8") if path.exists() else modeline("spec", path, ws.root) + HEADER
    try:
        if origin is not None:
            index = origin[1][1]
            assert isinstance(index, int)
            text = replace_item(text, ("manual_steps",), index, entry)
        else:
            text = append(text, ("manual_steps",), [entry])
    except EditError as exc:
        raise UsageError(f"{name}: cannot record the step: {exc}") from exc
    if path.exists():
        _write_atomically(files.guard(path, ws.root), text.encode("utf-8"))
    else:
        files.write_text(path, text, root=ws.root)
    return name
