"""Salesforce provider: requests and wall time of one `plan` against a large org with 50 ms latency.

The org: the emulator's seeded org plus `seed_scale(custom_fields=2000, flows=300, permission_sets=50,
field_permissions=25000)`. The workspace: specs/ made to converge on the seeded org (as the provider
tests do), plus 200 of the scale fields, 30 of the scale flows (bound) and 5 of the scale permission
sets, declared exactly as they are live (a team managing an existing org). The plan runs in-process
through the engine (validate, compile, fetch, diff).

Figures:
- `requests`: what the plan sent;
- `minimum_requests`: the fewest requests for the information this plan compares, counted from the
  org's contents, not from the provider: every SOQL query one page per 2,000 rows (first pages of
  up to 25 GETs bundled in one Composite request), every Metadata read 10 components a call,
  listMetadata 3 types a call;
- `minimum_unbundled_requests`: the same without Composite bundling;
- `full_read_requests`: reading the whole org in depth at 10 components a Metadata call and 2,000 rows
  a SOQL page (every custom field, flow, permission set's field permissions) — what a tool that does
  not narrow its reads to the spec needs at least;
- `one_per_resource_requests`: one Metadata read per component and one query per permission set.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from crmconf.engine.plan import make_plan
from crmconf.providers import opened
from crmconf.validation import require_valid
from tests.emulators.salesforce import SalesforceEmulator, seed_scale
from tests.providers.salesforce.conftest import CA_ENV, SESSION_ENV, TARGET, add_spec_owners, converging_specs

LATENCY_S = 0.05
SCALE = {"custom_fields": 2000, "flows": 300, "permission_sets": 50, "field_permissions": 25000}
FIELDS, FLOWS, PERMISSION_SETS = 200, 30, 5
OBJECTS = {"Opportunity": "deal", "Contact": "contact", "Account": "company", "Lead": "lead", "Case": "ticket"}
PAGE, MD_BATCH, COMPOSITE = 2000, 10, 25


def _pages(rows: int) -> int:
    return max(1, math.ceil(rows / PAGE))


def _workspace(root: Path, emu: SalesforceEmulator) -> Path:
    converging_specs(root, emu)
    fields: dict[str, list[dict[str, Any]]] = {}
    for full, comp in sorted(emu.metadata("CustomField").items()):
        obj, _, api = full.partition(".")
        if not api.startswith("Scale_Field_") or int(api[12:17]) >= FIELDS:
            continue
        fields.setdefault(OBJECTS[obj], []).append(
            {"name": api[:-3].lower(), "label": comp["label"], "type": "text" if comp["type"] == "Text" else "number"})
    views = {r["ApiName"]: r for r in emu.records("FlowDefinitionView")}
    automations = [
        {"name": name.lower(), "binds": {"salesforce": name}, "owner": "maria@acme.example", "purpose": "Bench flow",
         "reviewed": "2026-11-01", "status": "active" if views[name]["IsActive"] else "inactive",
         "description": views[name]["Description"]}
        for name in sorted(views) if name.startswith("Scale_Flow_") and int(name[-5:]) < FLOWS]
    permissions = [
        {"name": f"scale_permset_{i:04d}", "label": f"Scale Permission Set {i}",
         "objects": {obj: ["read"] for obj in OBJECTS.values()}}
        for i in range(PERMISSION_SETS)]
    # YAML is a superset of JSON: the generated sections are written as JSON.
    (root / "bench.yaml").write_text(json.dumps(
        {"fields": fields, "automations": automations, "permissions": permissions}, indent=1))
    return root


def _minimum(emu: SalesforceEmulator) -> dict[str, int]:
    """Requests for what this plan compares, from the org's contents (see the module docstring)."""
    managed_sets = {"Sales_Rep", "Sales_Manager", "Customer_Success",
                    *(f"Scale_PermSet_{i:04d}" for i in range(PERMISSION_SETS))}
    sets = {r["Id"]: r["Name"] for r in emu.records("PermissionSet") if not r["IsOwnedByProfile"]}
    field_rows = [r for r in emu.records("FieldPermissions") if sets.get(r["ParentId"]) in managed_sets]
    object_rows = [r for r in emu.records("ObjectPermissions") if sets.get(r["ParentId"]) in managed_sets]
    picklists = [n for n, c in emu.metadata("CustomField").items() if c.get("type") == "Picklist"
                 and n in ("Opportunity.Deal_Type__c",)]  # managed picklists that exist before the apply
    queries = {  # first pages, then the pages beyond
        "users": len(emu.records("User")), "flows": len(emu.records("FlowDefinitionView")),
        "processes": 4, "record types": 4, "stage usage x3": 0, "permission sets": len(sets),
        "object permissions": len(object_rows), "field permissions": len(field_rows),
    }
    first = len(queries) + 2 + len(picklists) + len(OBJECTS)  # + two more stage usage queries, describes
    extra = sum(_pages(rows) - 1 for rows in queries.values())
    managed_fields = [n for n in emu.metadata("CustomField") if n.split(".")[1].startswith("Scale_Field_")
                      and int(n.split(".")[1][12:17]) < FIELDS] + ["Opportunity.Deal_Type__c", "Contact.LinkedIn_URL__c",
                                                                   "Opportunity.Competitor__c"]
    workflow_rules = len(emu.metadata("WorkflowRule"))
    metadata = (1  # the three standard value sets
                + math.ceil(len(emu.metadata("BusinessProcess")) / MD_BATCH)
                + math.ceil(len(managed_fields) / MD_BATCH)
                + 1  # listMetadata: validation rules and workflow rules
                + math.ceil(workflow_rules / MD_BATCH))
    bundled = math.ceil(first / COMPOSITE) + extra + metadata
    # Everything in depth: every custom field, flow, rule and process read, every permission row paged.
    components = (len(emu.metadata("CustomField")) + len(emu.metadata("Flow")) + len(emu.metadata("ValidationRule"))
                  + workflow_rules + len(emu.metadata("BusinessProcess")) + len(emu.metadata("RecordType")))
    full = (math.ceil(components / MD_BATCH) + 3  # + listMetadata of six types, value sets
            + _pages(len(emu.records("FieldPermissions"))) + _pages(len(emu.records("ObjectPermissions")))
            + sum(_pages(rows) for k, rows in queries.items() if "permissions" not in k))
    one_by_one = components + 3 + len(sets) + len(queries) + len(OBJECTS)
    return {"minimum": bundled, "unbundled": first + extra + metadata, "full": full, "one_by_one": one_by_one}


def run() -> dict[str, object]:
    started = time.perf_counter()
    saved = {k: os.environ.get(k) for k in (SESSION_ENV, CA_ENV, "REQUESTS_CA_BUNDLE")}
    with SalesforceEmulator() as emu, tempfile.TemporaryDirectory() as tmp:
        seed_scale(emu, **SCALE)
        add_spec_owners(emu)
        root = _workspace(Path(tmp) / "ws", emu)
        os.environ.update({SESSION_ENV: emu.session_id, CA_ENV: emu.ca_path})
        os.environ.pop("REQUESTS_CA_BUNDLE", None)
        try:
            emu.faults.latency_s = LATENCY_S
            emu.requests.reset()
            t = time.perf_counter()
            ws = require_valid(root, date(2026, 11, 23))
            with opened(ws.spec, ws.sources, root, TARGET) as (name, provider):
                plan, compiled, snapshot = make_plan(ws, name, provider)
            seconds = time.perf_counter() - t
            requests = emu.requests.total
            emu.faults.latency_s = 0.0
            figures = _minimum(emu)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        result: dict[str, object] = {
            "plan_wall_s": round(seconds, 3),
            "requests": requests,
            "minimum_requests": figures["minimum"],
            "over_minimum_pct": round(100 * (requests - figures["minimum"]) / figures["minimum"], 1),
            "minimum_unbundled_requests": figures["unbundled"],
            "full_read_requests": figures["full"],
            "one_per_resource_requests": figures["one_by_one"],
            "fewer_than_one_by_one_x": round(figures["one_by_one"] / requests, 1),
            "goal_within_10pct_of_minimum": requests <= figures["minimum"] * 1.10,
            "plan_changes": len(plan.changes),
            "plan_errors": len(plan.errors),
            "resources": len(compiled.resources),
            "snapshot_objects": len(snapshot.objects),
            "latency_ms": int(LATENCY_S * 1000),
        }
    result["bench_total_s"] = round(time.perf_counter() - started, 1)
    for key, value in result.items():
        print(f"salesforce_bench {key}: {value}", flush=True)
    return result


if __name__ == "__main__":
    run()
