"""Regenerate demo/seed-org.json: the local org as specs/ describes it, then drifted the way real orgs drift.

Run `python demo/make_seed.py` after changing specs/ so `make demo` keeps showing a real diff.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from crmconf.engine.native import compile_spec
from crmconf.validation import require_valid

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
    return {"format_version": 1, "objects": objects, "records": {"deal": _deals()}, "users": _users(ws)}


def _deals() -> list[dict]:
    stages = ["discovery", "qualification", "qualification", "demo", "proposal", "negotiation", "closed_won"]
    reasons = ["Price", "No budget", "Chose competitor", None]
    deals = [
        {"id": f"deal-{i:03}", "pipeline": "new_business", "stage": stages[i % len(stages)]}
        for i in range(21)
    ]
    deals += [
        {
            "id": f"deal-{i:03}",
            "pipeline": "new_business",
            "stage": "closed_lost",
            "loss_reason": reasons[i % len(reasons)],
        }
        for i in range(21, 29)
    ]
    return deals


def _users(ws) -> list[dict]:  # type: ignore[no-untyped-def]
    owners = sorted({a.owner for a in ws.spec.automations if a.owner})
    return [{"email": o, "active": True} for o in owners] + [
        {"email": "former.admin@acme.example", "active": False}
    ]


if __name__ == "__main__":
    path = ROOT / "demo" / "seed-org.json"
    path.write_text(json.dumps(build(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {path}")
