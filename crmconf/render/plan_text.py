"""A plan as Terraform-style text: `+ ~ - -/+`, attribute lines, manual steps, a summary line."""

from __future__ import annotations

import json
from collections.abc import Iterator

from crmconf.engine.changes import SYMBOLS, Action, Change, Plan
from crmconf.engine.resource import JSON
from crmconf.engine.steps import Status
from crmconf.render.paint import paint as styled
from crmconf.render.word_diff import is_text, word_diff

UNMANAGED_SHOWN = 50  # a vendor org can hold thousands; the plan must stay readable
COLORS = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.DELETE: "red", Action.REPLACE: "magenta"}


def value(v: JSON) -> str:
    """A value as JSON; text is never cut (a cut definition would hide its change), structures may be.
    Keys sorted, so a plan reads the same fresh and saved (`crmconf show`: saved plans sort their keys)."""
    text = json.dumps(v, ensure_ascii=False, default=str, sort_keys=True)
    return text if len(text) <= 120 or isinstance(v, str) else text[:117] + "..."


def summary(plan: Plan) -> str:
    """The one line people read: every count, what needs --allow-destroy, and what is still open.

    It says the CRM "matches the spec" only when nothing is to change and no manual step is open."""
    n = plan.counts
    steps = f"{n['open_steps']} manual step(s) still open" if n["open_steps"] else ""
    if not plan.has_changes:
        if steps:
            return f"No changes. {steps}: the CRM does not match the spec until they are done."
        loose = len(plan.unaccepted)
        return "No changes. The live CRM matches the spec" + (
            f" ({loose} unmanaged object(s) not accepted under `unmanaged:`)." if loose else "."
        )
    change = f"{n['change']} to change" + (
        f" ({n['destructive_change']} of them destructive)" if n["destructive_change"] else ""
    )
    parts = [f"{n['add']} to add", change, f"{n['destroy']} to destroy"]
    if n["forget"]:
        parts.append(f"{n['forget']} to forget")
    text = "Plan: " + ", ".join(parts) + "."
    if plan.destructive:
        text += f" {len(plan.destructive)} destructive change(s): applying needs --allow-destroy."
    if steps:
        text += f" {steps}."
    return text


def change_lines(c: Change, paint: bool = False, effects: tuple[str, ...] = ()) -> Iterator[str]:
    symbol = SYMBOLS[c.action]
    head = f"{symbol} {c.address}"
    if paint:
        head = styled(head, COLORS[c.action], True)
    why = f"  ({c.source})" if c.source else ""
    yield f"  {head}{why}"
    if c.destructive or c.migrate_to:
        yield f"      ! {c.impact}"
    for effect in effects:
        yield f"      > {effect}"
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
            out.extend(change_lines(c, color, plan.effects.get(c.address, ())))
        out.append("")
    out.extend(manual_lines(plan))
    out.extend(membership_lines(plan))
    out.extend(unmanaged_lines(plan))
    for d in plan.diagnostics:
        where = f"{d.location}: " if d.location else ""
        out.append(
            f"{where}{d.severity.value} {d.code}: {d.message}" + (f"\n  hint: {d.hint}" if d.hint else "")
        )
    if plan.diagnostics:
        out.append("")
    out.append(summary(plan))
    return "\n".join(out)


MARKS = {Status.OPEN: "[ ]", Status.VERIFIED: "[x]", Status.DONE: "[x]"}


def manual_lines(plan: Plan) -> list[str]:
    if not plan.manual:
        return []
    states = {s.id: s for s in plan.steps}
    opened = len(plan.open_steps)
    out = [
        f"Manual steps: {opened} of {len(plan.manual)} open "
        "(the vendor's API cannot do these; crmconf will not pretend to):"
    ]
    for m in plan.manual:
        state = states.get(m.id)
        status = state.status if state else Status.OPEN
        out.append(f"  {MARKS[status]} {m.id}  {m.title}")
        if status is Status.OPEN:
            out.append(f"      {m.instructions}")
        detail = state.detail if state else ""
        if status is Status.OPEN and "crmconf done" in detail:
            detail = f"when it is done: crmconf done {m.id} --by EMAIL" + (
                f" -t {plan.target}" if plan.target else ""
            )
        out.append(f"      {status.value}" + (f": {detail}" if detail else ""))
    out.append("")
    return out


def membership_lines(plan: Plan) -> list[str]:
    m = plan.membership
    if m is None or not (m.forget or m.adopt or m.vanished):
        return []
    out = [f"Managed record ({m.location}):"]
    out.extend(f"  = forget {a}: stays in the CRM; crmconf stops managing it" for a in m.forget)
    if m.adopt:
        out.append(
            f"  + {len(m.adopt)} existing object(s) the spec declares are recorded as managed on the next apply"
        )
    if m.vanished:
        out.append(
            f"  - {len(m.vanished)} managed object(s) gone from the CRM and the spec are dropped from it"
        )
    out.append("")
    return out


def unmanaged_lines(plan: Plan) -> list[str]:
    if not plan.unmanaged:
        return []
    open_ = plan.unaccepted
    accepted = len(plan.unmanaged) - len(open_)
    out = [
        f"Unmanaged: {len(plan.unmanaged)} live object(s) in no spec (never deleted unless pruned)"
        + (f"; {accepted} accepted under `unmanaged:`" if accepted else "")
        + (":" if open_ else ".")
    ]
    shown = open_[:UNMANAGED_SHOWN]
    out.extend(f"  ? {u.address}" + (f"  {u.label!r}" if u.label else "") for u in shown)
    if len(open_) > len(shown):
        out.append(f"  ... and {len(open_) - len(shown)} more (all of them: --format json)")
    out.append("")
    return out
