"""A plan as Terraform-style text: `+ ~ - -/+`, attribute lines, manual steps, a summary line."""

from __future__ import annotations

import json
from collections.abc import Iterator

from crmconf.engine.changes import SYMBOLS, Action, Change, Plan
from crmconf.engine.resource import JSON

COLORS = {Action.CREATE: "32", Action.UPDATE: "33", Action.DELETE: "31", Action.REPLACE: "35"}


def value(v: JSON) -> str:
    text = json.dumps(v, ensure_ascii=False, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


def summary(plan: Plan) -> str:
    if not plan.changes:
        return "No changes. The live CRM matches the spec."
    n = plan.counts
    return f"Plan: {n['add']} to add, {n['change']} to change, {n['destroy']} to destroy."


def change_lines(c: Change, paint: bool = False) -> Iterator[str]:
    symbol = SYMBOLS[c.action]
    head = f"{symbol} {c.address}"
    if paint:
        head = f"\x1b[{COLORS[c.action]}m{head}\x1b[0m"
    why = f"  ({c.source})" if c.source else ""
    yield f"  {head}{why}"
    if c.destructive or c.migrate_to:
        yield f"      ! {c.impact}"
    for attr in c.attrs:
        if c.action is Action.CREATE:
            if attr.after is not None:
                yield f"      + {attr.name}: {value(attr.after)}"
        elif c.action is Action.DELETE:
            continue
        else:
            yield f"      ~ {attr.name}: {value(attr.before)} -> {value(attr.after)}"


def render(plan: Plan, *, color: bool = False) -> str:
    out: list[str] = []
    if plan.changes:
        out.append(f"crmconf will make these changes on target {plan.target} ({plan.provider}):")
        out.append("")
        for c in plan.changes:
            out.extend(change_lines(c, color))
        out.append("")
    if plan.manual:
        out.append("Manual steps (the vendor's API cannot do these; crmconf will not pretend to):")
        for m in plan.manual:
            out.append(f"  [ ] {m.title}  ({m.address})")
            out.append(f"      {m.instructions}")
        out.append("")
    if plan.unmanaged:
        out.append(f"Unmanaged: {len(plan.unmanaged)} live object(s) in no spec (never deleted unless pruned):")
        out.extend(f"  ? {u.address}" + (f"  {u.label!r}" if u.label else "") for u in plan.unmanaged)
        out.append("")
    for d in plan.diagnostics:
        where = f"{d.location}: " if d.location else ""
        out.append(f"{where}{d.severity.value} {d.code}: {d.message}" + (f"\n  hint: {d.hint}" if d.hint else ""))
    if plan.diagnostics:
        out.append("")
    out.append(summary(plan))
    return "\n".join(out)
