"""The parts of a saved plan about tracking: its workspace, the managed record, manual steps, acceptance.

Kept apart from crmconf.engine.plan so the plan file's core (changes, fingerprints, integrity) and
these additions evolve without stepping on each other. `to_dict` adds keys (and richer `manual_steps`
and `unmanaged` entries) to the plan file; `restore` reads them back, tolerating plans saved before
they existed (every step then counts as open).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from crmconf.engine.changes import Plan, Unmanaged
from crmconf.engine.managed import Membership
from crmconf.engine.resource import ManualStep, Snapshot
from crmconf.engine.steps import Status, StepState
from crmconf.spec.diagnostics import Location


def merge(a: Snapshot, b: Snapshot) -> Snapshot:
    return Snapshot(
        {**a.objects, **b.objects}, a.kinds | b.kinds, {**a.facts, **b.facts}, a.requests + b.requests
    )


def _loc(loc: Location | None) -> dict[str, Any] | None:
    return {"file": loc.file, "line": loc.line, "column": loc.column} if loc else None


def _unloc(data: Any) -> Location | None:
    return Location(data["file"], data["line"], data["column"]) if data else None


def to_dict(plan: Plan) -> dict[str, Any]:
    states = {s.id: s for s in plan.steps}
    out: dict[str, Any] = {
        "workspace": plan.workspace,
        "effects": {a: list(fx) for a, fx in plan.effects.items()},
        "manual_steps": [_step(m, states.get(m.id)) for m in plan.manual],
        "unmanaged": [
            {"address": u.address, "kind": u.kind, "label": u.label, "accepted": u.accepted or None}
            for u in plan.unmanaged
        ],
    }
    if plan.membership is not None:
        m = plan.membership
        out["managed_record"] = {
            "location": m.location,
            "shared": m.shared,
            "serial": m.serial,
            "adopt": list(m.adopt),
            "forget": list(m.forget),
            "vanished": list(m.vanished),
        }
    return out


def _step(m: ManualStep, state: StepState | None) -> dict[str, Any]:
    return {
        "id": m.id,
        "address": m.address,
        "topic": m.topic,
        "title": m.title,
        "instructions": m.instructions,
        "source": _loc(m.source),
        "owners": list(m.owners),
        "check": dict(m.check) if m.check else None,
        "digest": m.digest,
        "status": (state.status if state else Status.OPEN).value,
        "detail": state.detail if state else "",
    }


def restore(plan: Plan, data: Mapping[str, Any], path: Path) -> Plan:
    manual = tuple(
        ManualStep(
            m["address"],
            m["title"],
            m["instructions"],
            _unloc(m.get("source")),
            tuple(m.get("owners", ())),
            topic=m.get("topic", ""),
            check=m.get("check"),
        )
        for m in data.get("manual_steps", [])
    )
    states = tuple(
        StepState(m.id, Status(d.get("status", "open")), d.get("detail", ""))
        for m, d in zip(manual, data.get("manual_steps", []), strict=True)
        if "status" in d
    )
    unmanaged = tuple(
        Unmanaged(u["address"], u["kind"], u.get("label", ""), u.get("accepted") or "")
        for u in data.get("unmanaged", [])
    )
    record = data.get("managed_record")
    member = (
        Membership(
            location=record["location"],
            shared=bool(record["shared"]),
            serial=int(record["serial"]),
            adopt=tuple(record.get("adopt", ())),
            forget=tuple(record.get("forget", ())),
            vanished=tuple(record.get("vanished", ())),
        )
        if record
        else None
    )
    return replace(
        plan,
        manual=manual,
        steps=states,
        unmanaged=unmanaged,
        membership=member,
        workspace=str(data.get("workspace", "")),
        effects={str(a): tuple(map(str, fx)) for a, fx in (data.get("effects") or {}).items()},
    )
