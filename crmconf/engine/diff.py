"""compare(desired, live) -> changes: the pure heart of plan.

Only the attributes a resource declares are compared. A live object the spec no longer declares is
deleted when crmconf manages it (the managed record says so: `managed`), when its kind is opted into
pruning, or when it is a child of a managed parent (the stages of a managed pipeline); any other is
reported as unmanaged and never deleted, noting the `unmanaged:` entry that accepts it, if one does.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from crmconf import address as addr
from crmconf.engine import references
from crmconf.engine.changes import Action, AttrChange, Change, Unmanaged
from crmconf.engine.resource import JSON, LiveObject, Resource, Snapshot, canonical
from crmconf.spec.diagnostics import Diagnostic, error


@dataclass(frozen=True)
class DiffResult:
    changes: tuple[Change, ...]
    unmanaged: tuple[Unmanaged, ...]
    diagnostics: tuple[Diagnostic, ...]


def diff(
    resources: Iterable[Resource],
    snapshot: Snapshot,
    *,
    prune: frozenset[str] = frozenset(),
    protected: frozenset[str] = frozenset(),
    managed: frozenset[str] = frozenset(),
    accepted: Mapping[str, str] | None = None,
) -> DiffResult:
    """`protected`: live objects a manual step names (ManualStep.protects), never pruned nor unmanaged."""
    desired = {r.address: r for r in resources}
    changes = [c for r in desired.values() if (c := _compare(r, snapshot.get(r.address))) is not None]
    retired, unmanaged, diagnostics = _leftovers(desired, snapshot, prune, protected, managed, accepted or {})
    checked, problems = references.check([*changes, *retired], snapshot)
    return DiffResult(tuple(order(checked)), tuple(unmanaged), (*diagnostics, *problems))


def same(a: JSON, b: JSON) -> bool:
    return a == b or canonical(a) == canonical(b)


def _compare(resource: Resource, live: LiveObject | None) -> Change | None:
    common = {
        "address": resource.address,
        "kind": resource.kind,
        "source": resource.source,
        "depends_on": resource.depends_on,
        "owners": resource.owners,
        "parent": resource.parent,
        "label": resource.label,
    }
    if live is None:
        attrs = tuple(AttrChange(k, None, v) for k, v in resource.attrs.items())
        return Change(action=Action.CREATE, before=None, after=resource.attrs, attrs=attrs, **common)  # type: ignore[arg-type]
    changed = tuple(
        AttrChange(k, live.attrs.get(k), v)
        for k, v in resource.attrs.items()
        if not same(live.attrs.get(k), v)
    )
    if not changed:
        return None
    before = {k: live.attrs.get(k) for k in resource.attrs}
    replace = [a.name for a in changed if a.name in resource.replace_on]
    if replace:
        impact = _records(live) or ""
        return Change(
            action=Action.REPLACE,
            before=before,
            after=resource.attrs,
            attrs=changed,
            destructive=True,
            impact=f"{', '.join(replace)} cannot change in place; the object is recreated"
            + (f" ({impact})" if impact else ""),
            meta=live.meta,
            **common,  # type: ignore[arg-type]
        )
    impact = _removed_options_in_use(changed, live)
    return Change(
        action=Action.UPDATE,
        before=before,
        after=resource.attrs,
        attrs=changed,
        destructive=bool(impact),
        impact=impact,
        meta=live.meta,
        **common,  # type: ignore[arg-type]
    )


def _records(live: LiveObject) -> str | None:
    count = live.usage.get("records", 0)
    return f"{count} record(s)" if count else None


def option_values(options: JSON) -> list[str]:
    return [o["value"] if isinstance(o, Mapping) else str(o) for o in options or ()]


def _removed_options_in_use(changed: tuple[AttrChange, ...], live: LiveObject) -> str:
    for attr in changed:
        if attr.name != "options":
            continue
        removed = [v for v in option_values(attr.before) if v not in option_values(attr.after)]
        if removed and live.meta.get("uncounted"):  # the provider could not count: never say "unused"
            shown = ", ".join(repr(v) for v in removed)
            return f"removes option {shown}; records were not counted ({live.meta['uncounted']})"
        used = [(v, live.usage.get(f"option:{v}", 0)) for v in removed]
        in_use = [f"{v!r} is used by {n} record(s)" for v, n in used if n]
        if in_use:
            return "removes option " + "; ".join(in_use)
    return ""


def _leftovers(
    desired: dict[str, Resource],
    snapshot: Snapshot,
    prune: frozenset[str],
    protected: frozenset[str],
    managed: frozenset[str],
    accepted: Mapping[str, str],
) -> tuple[list[Change], list[Unmanaged], list[Diagnostic]]:
    retired: list[Change] = []
    unmanaged: list[Unmanaged] = []
    diagnostics: list[Diagnostic] = []
    pruned = {  # what the CRM will not let anyone but its owner change is never pruned: it stays listed
        a
        for a, o in snapshot.objects.items()
        if a not in desired
        and a not in protected
        and a not in accepted
        and o.parent is None
        and o.kind in prune
        and not o.meta.get("read_only")
    }
    dropped = {
        a
        for a in managed
        if a in snapshot.objects and a not in desired and a not in accepted and a not in protected
    }
    gone = pruned | dropped
    for address, live in snapshot.objects.items():
        if address in desired or address in protected:
            continue
        parent = desired.get(live.parent) if live.parent else None
        if parent is not None or address in gone or (live.parent in gone and address not in accepted):
            change, problem = _retire(live, parent, managed=address in dropped)
            retired.append(change)
            if problem:
                diagnostics.append(problem)
        elif live.parent is None or live.parent not in snapshot.objects:
            unmanaged.append(Unmanaged(address, live.kind, live.label, accepted.get(address, "")))
    return retired, unmanaged, diagnostics


def _retire(
    live: LiveObject, parent: Resource | None, *, managed: bool = False
) -> tuple[Change, Diagnostic | None]:
    records = live.usage.get("records", 0)
    target = parent.migrations.get(live.address) if parent else None
    problem = None
    # A provider that did not count says nothing; "no records" would be a promise nobody checked.
    impact = (
        "no records are affected"
        if "records" in live.usage
        else "records were not counted: any data here is lost"
    )
    if records and target:
        impact = f"{records} record(s) move to {target}"
    elif records and live.kind == "field":
        # A field's values cannot move anywhere (no migrate_to): destructive, never a plan error.
        impact = f"{records} record(s) lose their value"
    elif records:
        impact = f"{records} record(s) sit here and have nowhere to go"
        problem = error(
            "P201",
            f"{live.address} holds {records} record(s) and the spec removes it without saying where they go",
            parent.source if parent else None,
            hint=f"add `migrate_to: {{{addr.name_of(live.address)}: <stage>}}` to the pipeline"
            if parent is not None
            else "move its records out first, or keep it: list it under `unmanaged:` to stop managing it",
        )
    if managed:  # say why a top-level object goes: crmconf manages it and the spec dropped it
        impact = f"crmconf manages it and the spec no longer declares it; {impact}"
    change = Change(
        address=live.address,
        kind=live.kind,
        action=Action.DELETE,
        before=live.attrs,
        after=None,
        attrs=tuple(AttrChange(k, v, None) for k, v in live.attrs.items()),
        source=parent.source if parent else None,
        destructive=True,
        impact=impact,
        depends_on=(target,) if target else (),
        owners=parent.owners if parent else (),
        parent=live.parent,
        migrate_to=target,
        meta=live.meta,
        label=live.label,
    )
    return change, problem


def order(changes: list[Change]) -> list[Change]:
    """Creates and updates in dependency order (spec order breaking ties); deletes after, children first.

    A delete that a create, update or replace waits for (a use removed before the field it uses is
    retyped) goes with them; deletes that wait for other deletes come after those.
    """
    needed = {d for c in changes if c.action is not Action.DELETE for d in c.depends_on}
    building = [c for c in changes if c.action is not Action.DELETE or c.address in needed]
    deleting = [c for c in changes if c.action is Action.DELETE and c.address not in needed]
    deleting.sort(key=lambda c: (c.parent is None, c.address.count("."), c.address), reverse=False)
    deleting.sort(key=lambda c: c.parent is None)
    early = [c for c in building if c.action is Action.DELETE]
    building = [*early, *(c for c in building if c.action is not Action.DELETE)]
    return [*_topological(building), *_topological(deleting)]


def _topological(changes: list[Change]) -> list[Change]:
    """Dependencies first, spec order breaking ties (positions and counts: a plan of 60,000 changes holds
    no set per change)."""
    index = {c.address: i for i, c in enumerate(changes)}
    pending = [0] * len(changes)
    dependents: dict[int, list[int]] = {}
    for i, c in enumerate(changes):
        deps = {index[d] for d in c.depends_on if d in index and d != c.address}
        pending[i] = len(deps)
        for d in deps:
            dependents.setdefault(d, []).append(i)
    ready = [i for i, waits in enumerate(pending) if not waits]  # ascending: already a heap
    result: list[Change] = []
    while ready:
        i = heapq.heappop(ready)
        result.append(changes[i])
        for nxt in dependents.get(i, ()):
            pending[nxt] -= 1
            if not pending[nxt]:
                heapq.heappush(ready, nxt)
    if len(result) < len(changes):  # a cycle: keep the rest in spec order rather than lose it
        done = {c.address for c in result}
        result.extend(c for c in changes if c.address not in done)
    return result
