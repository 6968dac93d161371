"""Salesforce provider against the loopback emulator: plan and apply at 0 ms and 50 ms latency.

Plan (issue 5 scale): the emulator's seeded org plus `seed_scale(custom_fields=2000, flows=300,
permission_sets=50, field_permissions=25000)`. The workspace: specs/ made to converge on the seeded
org (as the provider tests do), plus 200 of the scale fields, 30 of the scale flows (bound) and 5 of
the scale permission sets, declared exactly as they are live (a team managing an existing org). The
plan runs in-process through the engine (validate, compile, fetch, diff).

- minimum: the fewest requests for the information this plan compares, counted from the org's
  contents, not from the provider, under the limits a real org sets: every SOQL query one page per
  2,000 rows, the first pages and the five describes bundled 25 to a Composite Batch request (a
  /composite request takes only 5 queries: that figure is in the notes), every Metadata read 10
  components a call (the workspace's fields that exist, read in depth), listMetadata 3 types a call
  (custom fields, which field-level security hides from describe; validation and workflow rules), and
  one Tooling query for who uses the fields the spec retypes (the org refuses a retype while a rule or
  flow uses the field), and one readMetadata of crmconf's managed record (a private static resource);
- critical path: the first round (Composite Batch requests, listMetadata, the record, at once), the
  managed fields read in depth (listMetadata names them), who uses the retyped field (its live type
  comes from that read): 3 requests one after another; everything else is read alongside;
- one per resource: a naive reader RUN through simple-salesforce: readMetadata one component per call
  (every custom field, flow, validation rule, workflow rule, business process, record type, and the
  three stage value sets), one FieldPermissions and one ObjectPermissions query per permission set, the
  object describes and the org-wide queries (users, flows, permission sets, processes, record types);
  names taken from the emulator's state (discovery free), requests counted by the emulator.

Apply: the same scale org, and a workspace declaring 300 new custom fields (60 on each of the five
objects, none live): `apply` (the engine's apply_plan) then the verifying re-read, each timed and
counted; the org is reset and re-seeded before every run. Minimum: upsertMetadata 10 components a
call; the re-read, one Composite Batch request of the five describes, listMetadata of the custom
fields and readMetadata of the 300 fields 10 a call. One call per change: a naive writer RUN through simple-salesforce, one upsertMetadata per field. The managed record, one readMetadata and one upsertMetadata.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from crmconf_salesforce.mapping import FAMILIES, FLOW_PREFIX, SPEC_TYPES, custom_api_name, is_standard
from crmconf_salesforce.mapping import OBJECTS as SF_OBJECTS

from bench.measure import REPEAT, ApplyRuns, Runs, apply_once, measure_reads, progress, timed
from bench.report import Table, apply_rows, megabytes, met, pct_over, ratio_rows, seconds, times_fewer
from bench.workspace_gen import new_fields
from crmconf.engine.changes import Plan
from crmconf.engine.plan import make_plan
from crmconf.engine.resource import Snapshot
from crmconf.providers import opened
from crmconf.validation import require_valid
from tests.emulators.salesforce import SalesforceEmulator, connect, seed_scale
from tests.providers.salesforce.conftest import CA_ENV, SESSION_ENV, TARGET, add_spec_owners, converging_specs

LATENCIES = (0.0, 0.05)
SCALE = {"custom_fields": 2000, "flows": 300, "permission_sets": 50, "field_permissions": 25000}
FIELDS, FLOWS, PERMISSION_SETS = 200, 30, 5
OBJECTS = {"Opportunity": "deal", "Contact": "contact", "Account": "company", "Lead": "lead", "Case": "ticket"}
PAGE, MD_BATCH, COMPOSITE = 2000, 10, 25
COMPOSITE_QUERIES = 5  # a /composite request holds at most 5 query subrequests (a /composite/batch: 25)
USES_PER_QUERY = 100  # field ids in one MetadataComponentDependency query (the provider's IN list)
NEW_FIELDS = 300  # the apply: spread evenly over the five objects


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


def _managed_fields(emu: SalesforceEmulator, root: Path) -> tuple[list[str], list[str]]:
    """(live custom fields the workspace declares, those whose declared type differs from the live one),
    by the documented naming scheme (`deal.arr` is Opportunity.Arr__c)."""
    spec = require_valid(root, date(2026, 11, 23)).spec
    declared = {f"{SF_OBJECTS[obj]}.{custom_api_name(f.name)}".lower(): f.type
                for obj, fields in spec.fields.items() for f in fields if not is_standard(obj, f.name)}
    live = {n.lower(): c for n, c in emu.metadata("CustomField").items()}
    managed = sorted(n for n in declared if n in live)
    retyped = [n for n in managed if SPEC_TYPES.get(str(live[n].get("type"))) != declared[n]]
    return managed, retyped


# crmconf's managed record is a private static resource: a plan reads it (one readMetadata), an apply
# reads it again and upserts it.
RECORD_PLAN, RECORD_WRITE = 1, 2


def _minimum(emu: SalesforceEmulator, root: Path) -> dict[str, int]:
    """Requests for what this plan compares, from the org's contents (see the module docstring), under the
    limits a real org sets: /composite holds at most 5 queries, /composite/batch 25 subrequests of any kind."""
    managed_sets = {"Sales_Rep", "Sales_Manager", "Customer_Success",
                    *(f"Scale_PermSet_{i:04d}" for i in range(PERMISSION_SETS))}
    sets = {r["Id"]: r["Name"] for r in emu.records("PermissionSet") if not r["IsOwnedByProfile"]}
    field_rows = [r for r in emu.records("FieldPermissions") if sets.get(r["ParentId"]) in managed_sets]
    object_rows = [r for r in emu.records("ObjectPermissions") if sets.get(r["ParentId"]) in managed_sets]
    managed_fields, retyped = _managed_fields(emu, root)
    live = {n.lower(): c for n, c in emu.metadata("CustomField").items()}
    picklists = [n for n in managed_fields if live[n]["type"] == "Picklist"]
    queries = {  # first pages, then the pages beyond
        "users": len(emu.records("User")), "flows": len(emu.records("FlowDefinitionView")),
        "processes": 4, "record types": 4, "stage usage x3": 0, "permission sets": len(sets),
        "object permissions": len(object_rows), "field permissions": len(field_rows),
    }
    n_queries = len(queries) + 2 + len(picklists)  # + two more stage usage queries, picklist usage
    first = n_queries + len(OBJECTS)  # + the five describes
    extra = sum(_pages(rows) - 1 for rows in queries.values())
    workflow_rules = len(emu.metadata("WorkflowRule"))
    metadata = (1  # the three standard value sets
                + math.ceil(len(emu.metadata("BusinessProcess")) / MD_BATCH)
                + math.ceil(len(managed_fields) / MD_BATCH)
                + 1  # listMetadata: custom fields, validation rules and workflow rules (3 types, one call)
                + math.ceil(workflow_rules / MD_BATCH)
                + RECORD_PLAN)
    uses = math.ceil(len(retyped) / USES_PER_QUERY)  # Tooling: who uses the fields the plan retypes
    bundled = math.ceil(first / COMPOSITE) + extra + metadata + uses
    # With /composite alone: 25 subrequests a request, of which 5 queries at most.
    composite_only = max(math.ceil(n_queries / COMPOSITE_QUERIES), math.ceil(first / COMPOSITE))
    # Everything in depth: every custom field, flow, rule and process read, every permission row paged.
    components = (len(emu.metadata("CustomField")) + len(emu.metadata("Flow")) + len(emu.metadata("ValidationRule"))
                  + workflow_rules + len(emu.metadata("BusinessProcess")) + len(emu.metadata("RecordType")))
    full = (math.ceil(components / MD_BATCH) + 3  # + listMetadata of six types, value sets
            + _pages(len(emu.records("FieldPermissions"))) + _pages(len(emu.records("ObjectPermissions")))
            + sum(_pages(rows) for k, rows in queries.items() if "permissions" not in k))
    one_by_one = components + 3 + len(sets) + len(queries) + len(OBJECTS)
    # The critical path: the first round (the Composite Batch requests, listMetadata, the record: at once),
    # then what needs its answers: a query's further pages; the managed fields read in depth (named by
    # listMetadata), then the global value sets they name and who uses the fields the spec retypes (the
    # live type comes from the read); the processes' stage lists (named by the first query); the flows
    # crmconf compiled (named by FlowDefinitionView); the workflow rules (named by listMetadata).
    global_sets = any((live[n].get("valueSet") or {}).get("valueSetName") for n in managed_fields)
    compiled_flows = any(str(n).lower().startswith(FLOW_PREFIX.lower()) for n in emu.metadata("Flow"))
    chain = max(max(_pages(rows) for rows in queries.values()),
                2 + int(global_sets) + int(bool(retyped)), 2, 1 + int(compiled_flows), 1 + int(workflow_rules > 0))
    return {"minimum": bundled, "chain": chain, "composite_only": composite_only + extra + metadata + uses,
            "unbundled": first + extra + metadata + uses, "full": full, "one_by_one": one_by_one,
            "retyped": len(retyped), "managed_fields": len(managed_fields)}


@contextmanager
def _session(emu: SalesforceEmulator) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in (SESSION_ENV, CA_ENV, "REQUESTS_CA_BUNDLE")}
    os.environ.update({SESSION_ENV: emu.session_id, CA_ENV: emu.ca_path})
    os.environ.pop("REQUESTS_CA_BUNDLE", None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _scale_org(emu: SalesforceEmulator) -> None:
    """Back to the seeded org, grown to issue 5 scale (reset() also sets the latency back to 0)."""
    emu.reset()
    seed_scale(emu, **SCALE)
    add_spec_owners(emu)


# --- plan ----------------------------------------------------------------------------------------


@dataclass
class PlanResult:
    plan: Plan | None = None
    snapshot: Snapshot | None = None
    resources: int = 0


def _plan(root: Path, out: PlanResult) -> None:
    ws = require_valid(root, date(2026, 11, 23))
    with opened(ws.spec, ws.sources, root, TARGET) as (name, provider):
        out.plan, compiled, out.snapshot = make_plan(ws, name, provider)
        out.resources = len(compiled.resources)


BASELINE_TYPES = ("CustomField", "Flow", "ValidationRule", "WorkflowRule", "BusinessProcess", "RecordType")


def read_one_by_one(emu: SalesforceEmulator) -> None:
    """The naive reader through simple-salesforce: one component, or one permission set's rows, a call."""
    sf = connect(emu)
    for type_name in BASELINE_TYPES:
        reader = getattr(sf.mdapi, type_name)
        for full_name in sorted(emu.metadata(type_name)):
            reader.read([full_name])
    for family in FAMILIES.values():
        sf.mdapi.StandardValueSet.read([family.value_set])
    for sobject in OBJECTS:
        getattr(sf, sobject).describe()
    for soql in ("SELECT Email, IsActive FROM User",
                 "SELECT ApiName, Label, IsActive, ProcessType FROM FlowDefinitionView",
                 "SELECT Id, Name, TableEnumOrId, IsActive FROM BusinessProcess",
                 "SELECT Id, DeveloperName, SobjectType, IsActive, BusinessProcessId FROM RecordType",
                 "SELECT Id, Name, Label FROM PermissionSet WHERE IsOwnedByProfile = false"):
        sf.query_all(soql)
    sets = [r["Id"] for r in emu.records("PermissionSet") if not r["IsOwnedByProfile"]]
    for set_id in sets:
        sf.query_all(f"SELECT Field, PermissionsRead, PermissionsEdit FROM FieldPermissions WHERE ParentId = '{set_id}'")
        sf.query_all("SELECT SobjectType, PermissionsRead, PermissionsEdit FROM ObjectPermissions "
                     f"WHERE ParentId = '{set_id}'")


# --- apply ---------------------------------------------------------------------------------------

def _new_fields() -> dict[str, list[dict[str, Any]]]:
    return new_fields(NEW_FIELDS, list(OBJECTS.values()), "field", lower_values=False)


def _apply_workspace(root: Path, emu: SalesforceEmulator) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "crmconf.yaml").write_text(
        f"version: 1\ndefault_target: {TARGET}\ntargets:\n  {TARGET}:\n    provider: salesforce\n"
        f"    settings:\n      instance_url: \"{emu.instance_url}\"\n      session_env: {SESSION_ENV}\n"
        f"      ca_bundle_env: {CA_ENV}\npolicies: {{require_automation_owner: false}}\n")
    (root / "fields.yaml").write_text(json.dumps({"fields": _new_fields()}, indent=1))
    return root


def apply_minimum() -> tuple[int, int]:
    """(upsertMetadata calls, verify requests: one Composite Batch of the describes, listMetadata of the
    custom fields (describe hides the new ones: they have no field-level security), the fields read back)."""
    return math.ceil(NEW_FIELDS / MD_BATCH), 2 + math.ceil(NEW_FIELDS / MD_BATCH)


def _apply_once(emu: SalesforceEmulator, root: Path, latency: float, runs: ApplyRuns, *,
                heap: bool = False) -> list[Any]:
    """One apply of the new fields on a freshly reset scale org: timed and counted, or (heap) traced.
    Returns the plan's changes."""
    _scale_org(emu)
    return list(apply_once(root, TARGET, emu.faults, emu.requests, latency, runs, heap=heap))


def write_one_by_one(emu: SalesforceEmulator, changes: list[Any], latency: float) -> tuple[float, int]:
    """The naive writer: one upsertMetadata per new field through simple-salesforce, same components as
    the provider sends (built by its own mapping), on a freshly reset scale org."""
    from crmconf_salesforce.apply import Applier, _field_component  # the provider's own payloads

    _scale_org(emu)
    sf = connect(emu)
    applier = Applier.__new__(Applier)  # only for its field-name mapping; no client needed
    comps = [sf.mdapi.CustomField(**_field_component(c, applier._field_name(c), None)) for c in changes]
    emu.faults.latency_s = latency

    def send() -> None:
        for comp in comps:
            sf.mdapi.CustomField.upsert([comp])

    return timed(send, emu.requests)


# --- the table -----------------------------------------------------------------------------------


def run(*, baseline_latencies: tuple[float, ...] = LATENCIES) -> Table:
    runs_n = REPEAT
    table = Table(
        "Salesforce (simple-salesforce against tests/emulators/salesforce.py)",
        ["scenario", "latency", f"wall time (median of {runs_n})", "requests", "minimum", "over minimum",
         "one per resource/change (run)", "fewer than one by one", "peak heap", "goal", "met"],
    )
    with SalesforceEmulator() as emu, tempfile.TemporaryDirectory(prefix="crmconf-sf-bench-") as tmp_name, \
            _session(emu):
        tmp = Path(tmp_name)
        _scale_org(emu)
        root = _workspace(tmp / "ws", emu)
        figures = _minimum(emu, root)
        minimum = figures["minimum"]
        result = PlanResult()
        reads = measure_reads("salesforce", emu.faults, emu.requests, lambda: _plan(root, result),
                              lambda: read_one_by_one(emu), baseline_latencies=baseline_latencies,
                              latencies=LATENCIES, runs=runs_n)
        baseline, heap = reads.baseline, reads.heap_mb
        one_by_one = next(iter(baseline.values()))[1]
        assert result.plan is not None and result.snapshot is not None
        for latency, runs in reads.plans.items():
            reqs = runs.median_requests
            table.add("plan (issue 5 scale)", f"{latency * 1000:.0f} ms", seconds(runs.median_s), reqs, minimum,
                      pct_over(reqs, minimum), one_by_one, times_fewer(one_by_one, reqs), megabytes(heap),
                      "≤ minimum +10%", met(reqs <= minimum * 1.10))
        for latency, (secs, reqs) in baseline.items():
            table.add("one-by-one read (baseline, 1 run)", f"{latency * 1000:.0f} ms", seconds(secs), reqs,
                      minimum, pct_over(reqs, minimum), reqs, "1x", "", "", "")

        apply_root = _apply_workspace(tmp / "apply", emu)
        apply_min, verify_min = apply_minimum()
        apply_runs: dict[float, ApplyRuns] = {}
        changes: list[Any] = []
        for latency in LATENCIES:
            progress(f"salesforce: apply at {latency * 1000:.0f} ms x{runs_n}")
            apply_runs[latency] = ApplyRuns(Runs(), Runs())
            for _ in range(runs_n):
                changes = _apply_once(emu, apply_root, latency, apply_runs[latency])
        progress(f"salesforce: apply heap (tracemalloc) x{runs_n}")
        traced = ApplyRuns(Runs(), Runs())
        for _ in range(runs_n):
            _apply_once(emu, apply_root, 0.0, traced, heap=True)
        apply_heap = statistics.median(traced.heap)
        naive: dict[float, tuple[float, int]] = {}
        for latency in baseline_latencies:
            progress(f"salesforce: one-by-one writes at {latency * 1000:.0f} ms")
            naive[latency] = write_one_by_one(emu, changes, latency)
        apply_rows(table, f"apply {NEW_FIELDS} new custom fields", NEW_FIELDS, apply_runs, naive,
                   (apply_min, verify_min, RECORD_WRITE), apply_heap)
        ratio_rows(table, "Salesforce", reads, figures["chain"], minimum, apply_runs, verify_min,
                   f"{NEW_FIELDS} custom fields")
        counts = {t: len(emu.metadata(t)) for t in ("CustomField", "Flow", "PermissionSet")}
        field_permissions = len(emu.records("FieldPermissions"))
    table.notes = [
        f"Org: {counts['CustomField']:,} custom fields, {counts['Flow']} flows, {counts['PermissionSet']} permission "
        f"sets holding {field_permissions:,} field permissions (issue 5: 2,000 / 300 / 50 / 25,000 added to the "
        f"seeded org). The plan: {len(result.plan.changes)} changes, {len(result.plan.errors)} errors, "
        f"{result.resources} resources, {len(result.snapshot.objects):,} live objects read. The minimum bundles "
        f"the first read into Composite Batch requests (25 subrequests, queries uncapped); with /composite, "
        f"which takes 5 queries a request, it would be {figures['composite_only']}; without bundling "
        f"{figures['unbundled']}; reading the whole org in depth (every component and permission row, 10 "
        f"components a call, 2,000 rows a page): {figures['full']}. The spec retypes {figures['retyped']} live "
        "field(s) (Competitor__c, text to multi-select): one Tooling query reads who uses it.",
        "Requests are counted by the emulator (REST and SOAP alike); the medians are of the measured runs.",
        "`peak heap`: the median over separate runs at 0 ms of tracemalloc's peak Python heap during the plan or",
        "the apply alone (every thread, so the in-process emulator's request handling is included, its seeded",
        "state is not; imports are done by then). One-by-one baselines are run once per latency through the",
        "same client library; their counts do not depend on latency.",
        "",
        (__doc__ or "").split("\n\n", 1)[1].strip(),
    ]
    return table


if __name__ == "__main__":
    print(run().markdown())
