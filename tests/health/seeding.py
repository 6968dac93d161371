"""A population written where each CRM keeps records: the local org's file (the vendors: see their seeders)."""

from __future__ import annotations

from typing import Any

from tests.health.population import Population, Record


def local_record(r: Record) -> dict[str, Any]:
    row: dict[str, Any] = {"id": r.id, "owner": r.owner, "created_at": r.created_at.isoformat(timespec="seconds")}
    if r.pipeline is not None:
        row.update(pipeline=r.pipeline, stage=r.stage)
    if r.stage_entered_at is not None:
        row["stage_entered_at"] = r.stage_entered_at.isoformat(timespec="seconds")
    row.update(r.values)
    return row


def into_local_org(org: dict[str, Any], pop: Population) -> dict[str, Any]:
    records: dict[str, list[dict[str, Any]]] = {}
    for r in pop.records:
        records.setdefault(r.object, []).append(local_record(r))
    org["records"] = records
    known = {str(u["email"]).lower() for u in org.get("users", [])}
    org["users"] = [*org.get("users", []),
                    *({"email": email, "active": active} for email, active in pop.users.items() if email not in known)]
    return org
