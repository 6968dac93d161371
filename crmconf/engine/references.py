"""What other objects use, and what the CRM will not let a plan change: checks on a diff's changes.

Two facts a provider may put in a live object's `meta` (both JSON, so they travel in saved plans):

- `referenced_by`: the live objects that use this one, as `[{"name", "address", "mentions"}]`
  (`address` None when crmconf does not read the user; `mentions` the text by which the user names
  this object, e.g. a field's API name in a formula). A CRM refuses to delete or retype an object
  while others use it, so a plan that deletes or replaces it must also remove each use: delete the
  user, or update it so that it no longer mentions the object. Those changes then run first (the
  deleting or replacing change depends on them); a use left in place is error P202, before apply.
- `read_only`: why the CRM will not let crmconf change the object (an installed package owns it).
  A plan that would change it gets error P203.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from crmconf.engine.changes import Action, Change
from crmconf.engine.resource import Snapshot, canonical
from crmconf.spec.diagnostics import Diagnostic, error


def _still_mentions(use: Change, mentions: str) -> bool:
    return bool(mentions) and mentions.lower() in canonical(dict(use.after or {})).lower()


def check(changes: Iterable[Change], snapshot: Snapshot) -> tuple[list[Change], list[Diagnostic]]:
    """The changes with their uses' changes as dependencies and named in their impact; the errors."""
    changes = list(changes)
    by_address = {c.address: c for c in changes}
    out: list[Change] = []
    problems: list[Diagnostic] = []
    for change in changes:
        live = snapshot.get(change.address)
        if live is not None and live.meta.get("read_only"):
            problems.append(error(
                "P203", f"{change.address} is read-only: {live.meta['read_only']}; the plan would "
                f"{change.action.value} it", change.source,
                hint="take it out of the spec (it is listed as unmanaged), or change it where it is owned"))
        uses = live.meta.get("referenced_by") if live is not None else None
        if change.action not in (Action.DELETE, Action.REPLACE) or not uses:
            out.append(change)
            continue
        change, problem = _with_uses(change, [u for u in uses if isinstance(u, Mapping)], by_address)
        out.append(change)
        if problem is not None:
            problems.append(problem)
    return out, problems


def _with_uses(change: Change, uses: list[Mapping[str, object]],
               plan: Mapping[str, Change]) -> tuple[Change, Diagnostic | None]:
    first: list[str] = []
    left: list[str] = []
    for use in uses:
        address = use.get("address")
        name = str(use.get("name") or address)
        other = plan.get(str(address)) if address else None
        gone = other is not None and (
            other.action is Action.DELETE or not _still_mentions(other, str(use.get("mentions") or "")))
        if gone and other is not None:
            first.append(other.address)
        else:
            left.append(name)
    what = "deleted" if change.action is Action.DELETE else "retyped (deleted and created again)"
    notes = []
    if first:
        notes.append(f"used by {', '.join(first)}: changed first, in this plan")
    if left:
        notes.append(f"still used by {', '.join(left)}")
    impact = "; ".join(filter(None, [change.impact, *notes]))
    updated = replace(change, impact=impact, depends_on=tuple(dict.fromkeys([*change.depends_on, *first])))
    if not left:
        return updated, None
    return updated, error(
        "P202",
        f"{change.address} cannot be {what}: the CRM refuses while {', '.join(left)} "
        f"{'uses' if len(left) == 1 else 'use'} it",
        change.source,
        hint="remove those uses in the same plan (drop the requirement, the automation or the formula), "
        "or change them in the CRM first",
    )
