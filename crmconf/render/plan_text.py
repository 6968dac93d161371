"""A plan as Terraform-style text: `+ ~ - -/+`, attribute lines, manual steps, a summary line."""

from __future__ import annotations

import json
from collections.abc import Iterator

from crmconf.engine.changes import SYMBOLS, Action, Change, Plan
from crmconf.engine.resource import JSON
from crmconf.render.word_diff import is_text, word_diff

UNMANAGED_SHOWN = 50  # a vendor org can hold thousands; the plan must stay readable
COLORS = {Action.CREATE: "32", Action.UPDATE: "33", Action.DELETE: "31", Action.REPLACE: "35"}


def value(v: JSON) -> str:
    """A value as JSON; text is never cut (a cut definition would hide its change), structures may be."""
    text = json.dumps(v, ensure_ascii=False, default=str)
    return text if len(text) <= 120 or isinstance(v, str) else text[:117] + "..."


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
        elif isinstance(attr.before, list) and isinstance(attr.after, list):
            yield f"      ~ {attr.name}: {list_change(attr.before, attr.after)}"
        elif isinstance(attr.before, str) and isinstance(attr.after, str) and (is_text(attr.before) or is_text(attr.after)):
            yield f"      ~ {attr.name}: {word_diff(attr.before, attr.after)}"
        else:
            yield f"      ~ {attr.name}: {value(attr.before)} -> {value(attr.after)}"


def _item_key(item: JSON) -> str:
    if isinstance(item, str):
        return item
    return (
        str(item["value"]) if isinstance(item, dict) and "value" in item else json.dumps(item, sort_keys=True)
    )


def list_change(before: list[JSON], after: list[JSON]) -> str:
    """What a list change means to a reader: items added, removed, changed, or only reordered."""
    old = {_item_key(i): i for i in before}
    new = {_item_key(i): i for i in after}
    parts = [f"+ {k}" for k in new if k not in old] + [f"- {k}" for k in old if k not in new]
    parts += [f"~ {k} {value(old[k])} -> {value(new[k])}" for k in new if k in old and old[k] != new[k]]
    if not parts:
        return "reordered to " + ", ".join(new)
    return "; ".join(parts)


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
        out.append(
            f"Unmanaged: {len(plan.unmanaged)} live object(s) in no spec (never deleted unless pruned):"
        )
        shown = plan.unmanaged[:UNMANAGED_SHOWN]
        out.extend(f"  ? {u.address}" + (f"  {u.label!r}" if u.label else "") for u in shown)
        if len(plan.unmanaged) > len(shown):
            out.append(f"  ... and {len(plan.unmanaged) - len(shown)} more (all of them: --format json)")
        out.append("")
    for d in plan.diagnostics:
        where = f"{d.location}: " if d.location else ""
        out.append(
            f"{where}{d.severity.value} {d.code}: {d.message}" + (f"\n  hint: {d.hint}" if d.hint else "")
        )
    if plan.diagnostics:
        out.append("")
    out.append(summary(plan))
    return "\n".join(out)
