"""Regenerate demo/seed-org.json: the local org as specs/ describes it, then drifted the way real orgs drift,
with the records a year of use leaves (tests/health/population.py, a few faults of each kind); and
demo/health-history.jsonl, the two weekly health runs before the demo's (what a nightly job keeps).

Run `python demo/make_seed.py` after changing specs/ so `make demo` keeps showing a real diff.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from crmconf.demo import DEMO_NOW
from crmconf.engine.native import compile_spec
from crmconf.health import compute, history
from crmconf.validation import require_valid
from crmconf_local.health import measure
from tests.health.population import Faults, generate
from tests.health.seeding import local_record

# A well-kept org with a few lapses: some stale deals, a rep who left still owning records, light activity.
FAULTS = Faults(missing_required=0.03, stale=0.12, off_list=0.0, no_lead_source=0.02, no_owner=0.0,
                left_owner=0.03, duplicate=0.0)

ROOT = Path(__file__).resolve().parent.parent
STAMP = {"version": 3, "updated_at": "2026-06-30T09:12:00+00:00", "updated_by": "admin@acme.example"}


def build() -> dict:
    ws = require_valid(ROOT / "specs", date(2026, 11, 23))
    objects = {
        r.address: {"kind": r.kind, "attrs": dict(r.attrs), "parent": r.parent, "label": r.label, **STAMP}
        for r in compile_spec(ws.spec, ws.sources)
    }
    # 1. a stage relabelled by hand with a word the glossary avoids
    objects["pipeline.new_business.stage.demo"]["attrs"]["label"] = "Opp Demo"
    # 2. a picklist that lost two options in a hurried admin-screen edit
    loss = objects["field.deal.loss_reason"]["attrs"]
    loss["options"] = loss["options"][:-2]
    # 3. a probability nobody agreed to
    objects["pipeline.new_business.stage.proposal"]["attrs"]["probability"] = 50
    # 4. a stage the spec retired, still holding deals (migrate_to moves them to discovery)
    nb = objects["pipeline.new_business"]["attrs"]
    nb["stages"] = [nb["stages"][0], "qualification", *nb["stages"][1:]]
    objects["pipeline.new_business.stage.qualification"] = {
        "kind": "stage",
        "parent": "pipeline.new_business",
        "label": "Qualification",
        "attrs": {
            "label": "Qualification",
            "probability": 20,
            "outcome": None,
            "owner_team": "sdr",
            "exit_criteria": None,
            "require": [],
            "description": None,
            "position": 1,
        },
        **STAMP,
    }
    # 5. an automation someone switched on in the admin screens: live, in no spec, unowned
    objects["automation.legacy_opp_scoring"] = {
        "kind": "automation",
        "parent": None,
        "label": "Legacy Opp scoring",
        "attrs": {"status": "active", "description": "Scores every Opp nightly (2023 pilot)"},
        "version": 9,
        "updated_at": "2025-02-11T16:40:00+00:00",
        "updated_by": "former.admin@acme.example",
    }
    # 6. a permission set missing a field grant
    objects.pop("permission.customer_success", None)
    return {"format_version": 1, "objects": objects, "records": _records(ws), "users": _users(ws)}


def _records(ws) -> dict[str, list[dict]]:  # type: ignore[no-untyped-def]
    population = generate(ws.spec, DEMO_NOW, deals=90, contacts=120, companies=30, tickets=40, seed=23,
                          faults=FAULTS)
    records: dict[str, list[dict]] = {}
    for r in population.records:
        records.setdefault(r.object, []).append(local_record(r))
    # 4 (continued): the retired Qualification stage still holds deals (migrate_to moves them on apply)
    for deal in [d for d in records["deal"] if d.get("pipeline") == "new_business"][:3]:
        deal["stage"] = "qualification"
    return records


def health_history(org: dict) -> list[str]:
    """The weekly runs before the demo's: each KPI as a nightly job would have kept it."""
    ws = require_valid(ROOT / "specs", date(2026, 11, 23))
    lines = []
    for weeks in (2, 1):
        at = DEMO_NOW - timedelta(weeks=weeks)
        report = compute.compute(ws.spec, measure(org, compute.plan(ws.spec, at)), now=at, target="local",
                                 provider="local")
        lines.append(json.dumps(history.entry(report, ws.digest), sort_keys=True, separators=(",", ":")))
    return lines


def _users(ws) -> list[dict]:  # type: ignore[no-untyped-def]
    owners = sorted({a.owner for a in ws.spec.automations if a.owner})
    reps = {"priya@acme.example", "tomas@acme.example"} - set(owners)
    return [{"email": o, "active": True} for o in [*owners, *sorted(reps)]] + [
        {"email": "former.admin@acme.example", "active": False},
        {"email": "former.rep@acme.example", "active": False},
    ]


if __name__ == "__main__":
    org = build()
    path = ROOT / "demo" / "seed-org.json"
    path.write_text(json.dumps(org, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {path}")
    path = ROOT / "demo" / "health-history.jsonl"
    path.write_text("\n".join(health_history(org)) + "\n", encoding="utf-8")
    print(f"wrote {path}")
