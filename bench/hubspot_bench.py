"""HubSpot provider: requests and wall time of one `plan` against a large portal with 50 ms latency.

The portal: the emulator's seeded account plus `seed_scale(properties=2000, pipelines=20, flows=500)`.
The workspace: specs/ (without the three fields whose options clash with the seeded portal, so the
plan destroys nothing and needs no record searches) plus 200 of the bench properties, 5 of the bench
pipelines and 50 of the bench workflows, named exactly as they are live (a team that manages an
existing portal). The plan runs in-process through the engine (validate, compile, fetch, diff).

Figures: the requests the plan made; the minimum the API allows (one list page per object for
properties and pipelines, the flow pages, one batch read for the flow details the spec needs, the
user and owner pages, roles); and what reading one resource per call would cost.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from crmconf.engine.plan import make_plan
from crmconf.providers import opened
from crmconf.validation import require_valid
from tests.emulators.hubspot import HubSpotEmulator, seed_scale

REPO = Path(__file__).resolve().parent.parent
TARGET = "hubspot-prod"
LATENCY_S = 0.05
FIELDS, PIPELINES, FLOWS = 200, 5, 50
OBJECTS = {"contacts": "contact", "companies": "company", "deals": "deal", "tickets": "ticket"}
TYPES = {("string", "text"): "text", ("number", "number"): "number", ("enumeration", "select"): "picklist",
         ("date", "date"): "date"}
CLASHING = {"company.yaml": ("industry", "tier"), "deal.yaml": ("competitor",)}
SPEC_OWNERS = ("devon.price@acme.example", "maria.lopez@acme.example", "sam.okafor@acme.example",
               "lena.fischer@acme.example")


def _drop_fields(path: Path, names: tuple[str, ...]) -> None:
    """Remove whole `- name: x` entries from a fields file (blocks end at the next entry)."""
    lines, out, skipping = path.read_text().splitlines(keepends=True), [], False
    for line in lines:
        if line.startswith("    - name: "):
            skipping = line.split(":", 1)[1].strip() in names
        if not skipping:
            out.append(line)
    path.write_text("".join(out))


def _workspace(root: Path, emu: HubSpotEmulator) -> Path:
    shutil.copytree(REPO / "specs", root, ignore=shutil.ignore_patterns(".crmconf"))
    for name, fields in CLASHING.items():
        _drop_fields(root / "fields" / name, fields)
    config = root / "crmconf.yaml"
    config.write_text(config.read_text().replace(
        "token_env: HUBSPOT_TOKEN ", f"token_env: HUBSPOT_TOKEN\n      base_url: {emu.base_url} ", 1))
    fields: dict[str, list[dict[str, Any]]] = {}
    for obj_type, spec_obj in OBJECTS.items():
        for prop in emu.properties(obj_type):
            if not prop["name"].startswith("bench_prop_") or int(prop["name"][-5:]) >= FIELDS:
                continue
            item: dict[str, Any] = {"name": prop["name"], "label": prop["label"],
                                    "type": TYPES[(prop["type"], prop["fieldType"])]}
            if prop["options"]:
                item["options"] = [{"value": o["value"], "label": o["label"]} for o in prop["options"]]
            fields.setdefault(spec_obj, []).append(item)
    pipelines = []
    for p in emu.pipelines("deals"):
        if p["label"].startswith("Bench pipeline") and int(p["label"][-5:]) < PIPELINES:
            stages = [{"name": f"stage_{k}", "label": s["label"], "probability": round(float(s["metadata"]["probability"])
                                                                                       * 100),
                       **({"outcome": "won"} if s["metadata"]["isClosed"] == "true" else {})}
                      for k, s in enumerate(p["stages"])]
            stages.append({"name": "lost", "label": "Lost", "probability": 0, "outcome": "lost"})  # specs need one
            pipelines.append({"name": f"bench_{p['label'][-5:]}", "object": "deal", "label": p["label"],
                              "stages": stages})
    automations = [
        {"name": f"bench_flow_{f['name'][-5:]}", "binds": {"hubspot": f["id"]}, "owner": "alex.admin@acme.example",
         "purpose": "Bench workflow", "reviewed": "2026-11-01", "status": "active" if f["isEnabled"] else "inactive"}
        for f in emu.flows() if f["name"].startswith("Bench flow") and int(f["name"][-5:]) < FLOWS]
    # YAML is a superset of JSON: the generated sections are written as JSON.
    (root / "bench.yaml").write_text(json.dumps({"fields": fields, "pipelines": pipelines,
                                                 "automations": automations}, indent=1))
    return root


def _figures(emu: HubSpotEmulator, requests: int, seconds: float, plan_changes: int, live: int) -> dict[str, object]:
    properties = sum(len(emu.properties(o)) for o in OBJECTS)
    pipelines = len(emu.pipelines("deals")) + len(emu.pipelines("tickets"))
    portal = emu.portal
    flows, users = len(portal.flows), len(portal.users)
    owners_active = sum(1 for o in portal.owners.values() if not o["archived"])
    owners_archived = len(portal.owners) - owners_active
    needed_details = FLOWS + 1  # the bound bench workflows, and specs/' bound one (1500003)
    minimum = (len(OBJECTS) + 2 + math.ceil(flows / 100) + math.ceil(needed_details / 100)
               + math.ceil(users / 100) + math.ceil(owners_active / 500) + math.ceil(owners_archived / 500) + 1)
    one_by_one = properties + pipelines + flows + users + len(portal.owners) + len(portal.roles)
    return {
        "plan_wall_s": round(seconds, 3),
        "requests": requests,
        "minimum_requests": minimum,
        "over_minimum_pct": round(100 * (requests - minimum) / minimum, 1),
        "one_per_resource_requests": one_by_one,
        "fewer_than_one_by_one_x": round(one_by_one / requests, 1),
        "goal_within_10pct_of_minimum": requests <= minimum * 1.10,
        "goal_50x_fewer_than_one_by_one": one_by_one >= 50 * requests,
        "live_properties": properties, "live_pipelines": pipelines, "live_flows": flows,
        "plan_changes": plan_changes, "snapshot_objects": live, "latency_ms": int(LATENCY_S * 1000),
    }


def run() -> dict[str, object]:
    started = time.perf_counter()
    with HubSpotEmulator() as emu, tempfile.TemporaryDirectory() as tmp:
        seed_scale(emu, properties=2000, pipelines=20, flows=500)
        for email in SPEC_OWNERS:
            emu.add_user(email)
        root = _workspace(Path(tmp) / "ws", emu)
        previous = os.environ.get("HUBSPOT_TOKEN")
        os.environ["HUBSPOT_TOKEN"] = emu.token
        try:
            emu.faults.latency_s = LATENCY_S
            emu.requests.reset()
            t = time.perf_counter()
            ws = require_valid(root, date(2026, 11, 23))
            with opened(ws.spec, ws.sources, root, TARGET) as (name, provider):
                plan, _, snapshot = make_plan(ws, name, provider)
            seconds = time.perf_counter() - t
        finally:
            if previous is None:
                os.environ.pop("HUBSPOT_TOKEN", None)
            else:
                os.environ["HUBSPOT_TOKEN"] = previous
        result = _figures(emu, emu.requests.total, seconds, len(plan.changes), len(snapshot.objects))
    result["bench_total_s"] = round(time.perf_counter() - started, 1)
    for key, value in result.items():
        print(f"hubspot_bench {key}: {value}", flush=True)
    return result


if __name__ == "__main__":
    run()
