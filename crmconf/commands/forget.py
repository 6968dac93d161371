"""`crmconf forget ADDRESS`: stop managing an object without deleting it (Terraform's `removed` block).

It lists the address under `unmanaged:` in crmconf.yaml, in the pull request like any change. Once the
spec no longer declares the object, the next plan shows "forget" instead of a delete, and the apply
drops it from the managed record; the object stays in the CRM, knowingly left alone.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from crmconf import address as addr
from crmconf import files
from crmconf.commands.review import _write_atomically
from crmconf.engine.native import compile_spec
from crmconf.errors import UsageError
from crmconf.spec.append import append
from crmconf.spec.edit import EditError
from crmconf.spec.load import CONFIG_NAMES
from crmconf.ui import Console
from crmconf.validation import require_valid


def run(
    root: Path,
    *,
    addresses: tuple[str, ...],
    reason: str | None,
    target: str | None,
    today: date,
    console: Console,
    verb: str = "forget",
) -> int:
    ws = require_valid(root, today)
    if target is not None and target not in ws.spec.config.targets:
        raise UsageError(
            f"unknown target {target!r}; targets in crmconf.yaml: {', '.join(sorted(ws.spec.config.targets))}"
        )
    for a in addresses:
        if not addr.is_address(a) and not addr.is_pattern(a):
            raise UsageError(f"{a!r} is not an address (as plans show them, e.g. field.deal.legacy_score)")
    listed = {r.address for r in ws.spec.config.unmanaged}
    new = [a for a in addresses if a not in listed]
    config = next(n for n in CONFIG_NAMES if (root / n).is_file())
    entries: list[Any] = [
        {"address": a, **({"reason": reason} if reason else {}), **({"targets": [target]} if target else {})}
        for a in new
    ]
    if entries:
        path = root / config
        try:
            text = append(path.read_text(encoding="utf-8"), ("unmanaged",), entries)
        except EditError as exc:
            raise UsageError(f"{config}: cannot add to `unmanaged`: {exc}") from exc
        _write_atomically(files.guard(path, root), text.encode("utf-8"))
    declared = {r.address: r for r in compile_spec(ws.spec, ws.sources)}
    for a in addresses:
        state = "already listed" if a in listed else "listed"
        console.err(f"{config}: {state} {a} under `unmanaged:`")
        still = declared.get(a)
        if still is not None:
            where = f" at {still.source}" if still.source else ""
            console.err(
                f"  now remove it from the spec{where}: the next plan then forgets it instead of deleting it"
            )
    console.err(
        "next: `crmconf plan` shows what is forgotten; `crmconf apply` records it (nothing is deleted)"
    )
    return 0
