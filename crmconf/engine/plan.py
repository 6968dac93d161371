"""Building a plan from a spec and a provider, and saving/loading/verifying it as JSON."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from crmconf import __version__, files
from crmconf.engine import (
    effects,
    formats,
    live_checks,
    managed,
    plan_extras,
    pool,
    recovery,
    saved,
    steps,
    tracking,
)
from crmconf.engine.changes import Action, AttrChange, Change, Plan
from crmconf.engine.diff import diff
from crmconf.engine.resource import Compiled, Snapshot
from crmconf.engine.state import StateStore, store_for
from crmconf.errors import StalePlanError, UsageError
from crmconf.memory import no_cycle_collection
from crmconf.promotion import overrides, pilots
from crmconf.providers import Provider
from crmconf.spec.diagnostics import Diagnostic, Location, Severity
from crmconf.validation import Validated

PLAN_FORMAT = 1


def kinds_of(compiled: Compiled, provider: Provider) -> frozenset[str]:
    declared = getattr(provider, "kinds", None)
    return frozenset(declared) if declared else frozenset(r.kind for r in compiled.resources)


@no_cycle_collection()  # a large plan builds as many objects as its workspace (crmconf.memory)
def make_plan(ws: Validated, target: str, provider: Provider, *,
              settle_guard: recovery.Guard | None = None) -> tuple[Plan, Compiled, Snapshot]:
    """`settle_guard`: held while an apply cut short is re-read (the target's lock); None when the
    caller holds that lock already (apply) or runs alone (tests)."""
    compiled = provider.compile(overrides.effective(ws.spec, target), ws.sources)  # as this target gets it
    kinds = kinds_of(compiled, provider)
    kinds = kinds | steps.check_kinds(compiled.manual) if kinds else kinds  # what the steps' checks read
    settled, reread = _recover(ws.root, target, provider, kinds, settle_guard)  # an apply cut short first
    store = store_for(provider, ws.root, target)
    snapshot, record = _read(provider, kinds, reread, store, target)
    missing = record.kinds - snapshot.kinds
    if snapshot.kinds and missing:  # the spec dropped every object of a kind crmconf manages: read those too
        snapshot = plan_extras.merge(snapshot, provider.fetch(frozenset(missing)))
    plan = plan_from(ws, target, provider.name, compiled, snapshot, record=record, store=store)
    refused = tuple(pilots.unsupported(ws.spec, ws.sources, provider))  # never a pilot that reaches everyone
    return replace(plan, diagnostics=(*settled, *plan.diagnostics, *refused)), compiled, snapshot


def _read(
    provider: Provider, kinds: frozenset[str], reread: Snapshot | None, store: StateStore, target: str
) -> tuple[Snapshot, managed.ManagedRecord]:
    """The live state and the managed record: independent reads, at once when the provider reads
    concurrently (its optional `read_concurrency`, crmconf.engine.pool), else one after the other."""
    if reread is not None:
        return reread, managed.read(store, target)
    workers = 2 if int(getattr(provider, "read_concurrency", 1)) > 1 else 1
    snapshot, record = pool.together(lambda: provider.fetch(kinds), lambda: managed.read(store, target),
                                     workers=workers)
    return snapshot, record


def _recover(
    root: Path, target: str, provider: Provider, kinds: frozenset[str], guard: recovery.Guard | None = None
) -> tuple[list[Diagnostic], Snapshot | None]:
    """Settle unfinished runs; the read it needed (under the journal's lock) also serves the plan."""
    reads: list[Snapshot] = []

    def read_live(doubt: frozenset[str]) -> Snapshot:
        reads.append(provider.fetch(kinds | doubt))
        return reads[-1]

    journal = root / ".crmconf" / "journal.jsonl"
    notes = recovery.notes(recovery.recover(root, journal, target, read_live, guard))
    return notes, reads[-1] if reads and reads[-1].kinds >= kinds else None


def plan_from(
    ws: Validated,
    target: str,
    provider: str,
    compiled: Compiled,
    snapshot: Snapshot,
    *,
    record: managed.ManagedRecord | None = None,
    store: StateStore | None = None,
) -> Plan:
    prune = frozenset(ws.spec.config.policies.prune)
    protected = frozenset(a for step in compiled.manual for a in step.protects)
    desired_at = {r.address: r for r in compiled.resources}
    desired = set(desired_at)
    rules = tracking.rules_for(ws.spec, target)
    accepted = tracking.accepted(rules, [*snapshot.objects, *(record.entries if record else ())], desired)
    # What a manual step is about is the spec's, done by people: never retired, never "unmanaged".
    covered = desired | {m.address for m in compiled.manual} | protected
    retiring = managed.retiring(record, covered, accepted) if record else frozenset()
    result = diff(
        compiled.resources, snapshot, prune=prune, protected=protected, managed=retiring, accepted=accepted
    )
    result = replace(result, unmanaged=tuple(u for u in result.unmanaged if u.address not in covered))
    checks = live_checks.check(ws.spec, ws.sources, snapshot, desired)
    tracked = [
        *tracking.duplicates(compiled.resources),
        *tracking.rule_problems(rules, desired_at, snapshot, ws.sources),
    ]
    owned = tracking.owned(ws.spec, provider, compiled.resources)
    member = (
        managed.membership(record, store, owned, covered, snapshot, accepted) if record and store else None
    )
    touched = desired | {c.address for c in result.changes}
    fingerprints = {a: (o.fingerprint if (o := snapshot.get(a)) else "-") for a in sorted(touched)}
    return Plan(
        target=target,
        provider=provider,
        changes=result.changes,
        manual=compiled.manual,
        unmanaged=result.unmanaged,
        # validate already ran each target provider's offline checks, which may be its compile's own
        # diagnostics (Salesforce): each is said once.
        diagnostics=tuple(
            dict.fromkeys((*ws.diagnostics, *compiled.diagnostics, *result.diagnostics, *checks, *tracked))
        ),
        fingerprints=fingerprints,
        spec_digest=ws.digest,
        tool_version=__version__,
        workspace=str(ws.root.resolve()),
        membership=member,
        steps=steps.evaluate(compiled.manual, ws.spec.manual_steps, target, snapshot),
        effects={
            c.address: fx for c in result.changes if (fx := effects.of_change(c, snapshot.get(c.address)))
        },
    )


def fingerprints_now(plan: Plan, snapshot: Snapshot) -> dict[str, str]:
    return {a: (o.fingerprint if (o := snapshot.get(a)) else "-") for a in plan.fingerprints}


def assert_fresh(plan: Plan, ws: Validated, target: str, provider: str, snapshot: Snapshot) -> None:
    """A saved plan applies exactly, or not at all: refuse it when anything it relied on moved."""
    if (plan.target, plan.provider) != (target, provider):
        raise StalePlanError(
            f"the plan was made for target {plan.target} ({plan.provider}), not {target} ({provider})"
        )
    if plan.spec_digest != ws.digest:
        raise StalePlanError("the specs changed since the plan was made; run `crmconf plan` again")
    now = fingerprints_now(plan, snapshot)
    moved = sorted(a for a, fp in plan.fingerprints.items() if now[a] != fp)
    if moved:
        shown = ", ".join(moved[:5]) + (f" and {len(moved) - 5} more" if len(moved) > 5 else "")
        raise StalePlanError(
            f"the live CRM changed since the plan was made ({shown}); run `crmconf plan` again"
        )


# --- serialisation ------------------------------------------------------------------------------


def _loc(loc: Location | None) -> dict[str, Any] | None:
    return {"file": loc.file, "line": loc.line, "column": loc.column} if loc else None


def _unloc(data: Any) -> Location | None:
    return Location(data["file"], data["line"], data["column"]) if data else None


def change_to_dict(c: Change) -> dict[str, Any]:
    return {
        "address": c.address,
        "kind": c.kind,
        "action": c.action.value,
        "before": dict(c.before) if c.before is not None else None,
        "after": dict(c.after) if c.after is not None else None,
        "changed": [a.name for a in c.attrs],
        "source": _loc(c.source),
        "destructive": c.destructive,
        "impact": c.impact,
        "depends_on": list(c.depends_on),
        "owners": list(c.owners),
        "parent": c.parent,
        "migrate_to": c.migrate_to,
        "meta": dict(c.meta),
        "label": c.label,
    }


def change_from_dict(d: Mapping[str, Any]) -> Change:
    before, after = d["before"], d["after"]
    attrs = tuple(AttrChange(n, (before or {}).get(n), (after or {}).get(n)) for n in d.get("changed", []))
    return Change(
        address=d["address"],
        kind=d["kind"],
        action=Action(d["action"]),
        before=before,
        after=after,
        attrs=attrs,
        source=_unloc(d.get("source")),
        destructive=bool(d.get("destructive")),
        impact=d.get("impact", ""),
        depends_on=tuple(d.get("depends_on", ())),
        owners=tuple(d.get("owners", ())),
        parent=d.get("parent"),
        migrate_to=d.get("migrate_to"),
        meta=d.get("meta", {}),
        label=d.get("label", ""),
    )


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    return {
        "format_version": PLAN_FORMAT,
        "tool_version": plan.tool_version,
        "target": plan.target,
        "provider": plan.provider,
        "spec_digest": plan.spec_digest,
        "summary": plan.counts,
        "changes": [change_to_dict(c) for c in plan.changes],
        "manual_steps": [
            {
                "address": m.address,
                "title": m.title,
                "instructions": m.instructions,
                "source": _loc(m.source),
                "owners": list(m.owners),
            }
            for m in plan.manual
        ],
        "unmanaged": [{"address": u.address, "kind": u.kind, "label": u.label} for u in plan.unmanaged],
        "diagnostics": [
            {
                "code": d.code,
                "severity": d.severity.value,
                "message": d.message,
                "location": _loc(d.location),
                "hint": d.hint,
            }
            for d in plan.diagnostics
        ],
        "fingerprints": dict(plan.fingerprints),
        **plan_extras.to_dict(plan),
    }


def plan_digest(plan: Plan) -> str:
    return hashlib.sha256(json.dumps(plan_to_dict(plan), sort_keys=True, default=str).encode()).hexdigest()[
        :16
    ]


def save_plan(plan: Plan, path: Path, *, root: Path | None = None) -> None:
    """Sealed with its integrity digest and bound to the workspace `root` (crmconf.engine.saved)."""
    files.write_json(path, saved.seal(plan_to_dict(plan), root), root=root)


def load_plan(path: Path, *, root: Path | None = None) -> Plan:
    """A saved plan, refused unless this crmconf made it unedited (and, given `root`, in that workspace)."""
    data = saved.read(path)
    saved.check_origin(data, path, PLAN_FORMAT)
    if root is not None:
        saved.check_workspace(data, path, root)
    formats.check_plan_file(data, path)  # its shape: a clear message, never a KeyError deep inside
    return plan_from_dict(data, path)


def plan_from_dict(data: Mapping[str, Any], path: Path) -> Plan:
    try:
        plan = Plan(
            target=data["target"],
            provider=data["provider"],
            changes=tuple(change_from_dict(c) for c in data["changes"]),
            diagnostics=tuple(
                Diagnostic(
                    d["code"], Severity(d["severity"]), d["message"], _unloc(d.get("location")), d.get("hint")
                )
                for d in data.get("diagnostics", [])
            ),
            fingerprints=data["fingerprints"],
            spec_digest=data["spec_digest"],
            tool_version=data.get("tool_version", ""),
        )
        return plan_extras.restore(plan, data, path)  # manual steps, unmanaged, the record, effects
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UsageError(f"{path} is not a crmconf plan file ({type(exc).__name__}: {exc})") from exc
