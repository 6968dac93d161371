"""HubSpot provider against the loopback emulator: plan and apply at 0 ms and 50 ms latency.

Plan (issue 4 scale): the emulator's seeded portal plus `seed_scale(properties=2000, pipelines=20,
flows=500)`. The workspace: specs/ (without the three fields whose options clash with the seeded portal,
so the plan destroys nothing and needs no record searches) plus 200 of the bench properties, 5 of the
bench pipelines and 50 of the bench workflows, named exactly as they are live (a team that manages an
existing portal). The plan runs in-process through the engine (validate, compile, fetch, diff).

- minimum: the token's scopes (1), one list page per object for properties (4), each object's sensitive
  properties where the spec declares a custom field its plain list lacks (it might be sensitive), the
  contacts' validation rules (the spec sets a phone format), pipelines (2) and the contact lifecycle
  pipeline (the spec has a contact pipeline), the flow pages (100 a page), one batch read for the flow
  details the spec needs (100 a call), the user pages (100), active and archived owner pages (500),
  teams (a workflow names one), roles, and one look for crmconf's managed record (a private file; none yet);
- critical path: the token's scopes, then the flow pages one after another and the flow details (a
  portal of 506 flows: 1 + 6 + 1 requests), everything else read alongside;
- one per resource: a naive reader RUN through hubspot-api-client, one GET per live property, pipeline,
  flow, user and owner, and the roles list (ids taken from the emulator's state, so discovering them
  costs it nothing), counted by the emulator.

Apply: the same scale portal, and a workspace declaring 300 new properties (75 on each of the four
objects, none live): `apply` (the engine's apply_plan) then the verifying re-read, each timed and
counted; a fresh portal for every run. Minimum: one batch create per 100 properties of an object; the
re-read, one properties list per object; the managed record, one look and one upload. One call per change: a naive writer RUN through
hubspot-api-client, one `core_api.create` per property, on a fresh portal.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import statistics
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from hubspot import HubSpot
from hubspot.crm.properties import OptionInput, PropertyCreate

from bench.measure import REPEAT, ApplyRuns, Runs, apply_once, measure_reads, progress, timed
from bench.report import Table, apply_rows, megabytes, met, pct_over, ratio_rows, seconds, times_fewer
from bench.workspace_gen import new_fields
from crmconf.engine.changes import Plan
from crmconf.engine.plan import make_plan
from crmconf.engine.resource import Snapshot
from crmconf.providers import opened
from crmconf.spec.standard import STANDARD_FIELDS
from crmconf.validation import require_valid
from tests.emulators.hubspot import HubSpotEmulator, seed_scale

REPO = Path(__file__).resolve().parent.parent
TARGET = "hubspot-prod"
LATENCIES = (0.0, 0.05)
SCALE = {"properties": 2000, "pipelines": 20, "flows": 500}
NEW_PROPERTIES = 300  # the apply: spread evenly over the four objects
BATCH = 100  # properties per batch create (the provider's chunk; the emulator refuses more)
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
    for name, clashing in CLASHING.items():
        _drop_fields(root / "fields" / name, clashing)
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



@contextmanager
def _token(emu: HubSpotEmulator) -> Iterator[None]:
    previous = os.environ.get("HUBSPOT_TOKEN")
    os.environ["HUBSPOT_TOKEN"] = emu.token
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("HUBSPOT_TOKEN", None)
        else:
            os.environ["HUBSPOT_TOKEN"] = previous


def _portal() -> HubSpotEmulator:
    emu = HubSpotEmulator().start()
    seed_scale(emu, **SCALE)
    for email in SPEC_OWNERS:
        emu.add_user(email)
    return emu


def _sdk(emu: HubSpotEmulator) -> HubSpot:
    return HubSpot(access_token=emu.token, host=emu.base_url, base_url=emu.base_url)


# --- plan ----------------------------------------------------------------------------------------


@dataclass
class PlanResult:
    plan: Plan | None = None
    snapshot: Snapshot | None = None


def _plan(root: Path, out: PlanResult) -> None:
    ws = require_valid(root, date(2026, 11, 23))
    with opened(ws.spec, ws.sources, root, TARGET) as (name, provider):
        out.plan, _, out.snapshot = make_plan(ws, name, provider)


# crmconf's managed record is a private file: a plan looks for it (one stat; on a fresh portal, none), an
# apply looks again and uploads it.
RECORD_PLAN, RECORD_WRITE = 1, 2


def _lacking_objects(emu: HubSpotEmulator, root: Path) -> int:
    """Objects on which the workspace declares a custom field the portal's plain property list lacks."""
    ws = require_valid(root, date(2026, 11, 23))
    lacking = 0
    for obj_type, spec_obj in OBJECTS.items():
        live = {p["name"] for p in emu.properties(obj_type)}
        declared = {f.name for f in ws.spec.fields.get(spec_obj, ())} - set(STANDARD_FIELDS.get(spec_obj, {}))  # type: ignore[call-overload]
        lacking += bool(declared - live)
    return lacking


def plan_minimum(emu: HubSpotEmulator, root: Path) -> int:
    portal = emu.portal
    owners_active = sum(1 for o in portal.owners.values() if not o["archived"])
    owners_archived = len(portal.owners) - owners_active
    needed_details = FLOWS + 1  # the bound bench workflows, and specs/' bound one (1500003)
    scopes, rules, lifecycle, teams, roles = 1, 1, 1, 1, 1
    return (scopes + len(OBJECTS) + _lacking_objects(emu, root) + rules + 2 + lifecycle
            + math.ceil(len(portal.flows) / 100) + math.ceil(needed_details / 100)
            + math.ceil(len(portal.users) / 100) + math.ceil(owners_active / 500)
            + math.ceil(owners_archived / 500) + teams + roles + RECORD_PLAN)


def plan_chain(emu: HubSpotEmulator, root: Path) -> int:
    """The longest chain of requests that each need an earlier answer: the token's scopes first (nothing
    is read before they are checked), then the flow pages one after another (an opaque cursor) and the
    details of the flows the spec needs (ids from the pages); the user and owner pages and each object's
    properties (then its sensitive ones) are shorter chains beside it. crmconf's record is looked for
    alongside, from the start."""
    portal = emu.portal
    owners_active = sum(1 for o in portal.owners.values() if not o["archived"])
    flows = math.ceil(len(portal.flows) / 100) + 1
    people = max(math.ceil(len(portal.users) / 100), math.ceil(owners_active / 500),
                 math.ceil((len(portal.owners) - owners_active) / 500))
    properties = 1 + bool(_lacking_objects(emu, root))
    return max(1 + max(flows, people, properties), RECORD_PLAN)


def read_one_by_one(emu: HubSpotEmulator) -> None:
    """The naive reader: one GET per live resource through hubspot-api-client."""
    client = _sdk(emu)
    properties, pipelines = client.crm.properties.core_api, client.crm.pipelines.pipelines_api
    for obj in OBJECTS:
        for prop in emu.properties(obj):
            properties.get_by_name(obj, prop["name"])
    for obj in ("deals", "tickets"):
        for pipeline in emu.pipelines(obj):
            pipelines.get_by_id(obj, pipeline["id"])
    for fid in sorted(emu.portal.flows, key=int):
        response = client.api_request({"method": "GET", "path": f"/automation/v4/flows/{fid}"})
        response.raise_for_status()
    users = client.settings.users.users_api
    for uid in sorted(emu.portal.users):
        users.get_by_id(uid)
    owners = client.crm.owners.owners_api
    for oid, owner in sorted(emu.portal.owners.items()):
        owners.get_by_id(int(oid), archived=bool(owner["archived"]))
    client.settings.users.roles_api.get_all()  # roles have no per-id read: one list


# --- apply ---------------------------------------------------------------------------------------

def _new_properties() -> dict[str, list[dict[str, Any]]]:
    return new_fields(NEW_PROPERTIES, list(OBJECTS.values()), "property", lower_values=True)


def _apply_workspace(root: Path, emu: HubSpotEmulator) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "crmconf.yaml").write_text(
        f"version: 1\ndefault_target: {TARGET}\ntargets:\n  {TARGET}:\n    provider: hubspot\n"
        f"    settings: {{token_env: HUBSPOT_TOKEN, base_url: \"{emu.base_url}\"}}\n"
        "policies: {require_automation_owner: false}\n")
    (root / "fields.yaml").write_text(json.dumps({"fields": _new_properties()}, indent=1))
    return root


def apply_minimum() -> tuple[int, int]:
    per_object = [len(v) for v in _new_properties().values()]
    return sum(math.ceil(n / BATCH) for n in per_object), len(per_object)


def _apply_once(tmp: Path, latency: float, runs: ApplyRuns, *, heap: bool = False) -> None:
    """One apply of the new properties on a fresh scale portal: timed and counted, or (heap) traced."""
    emu = _portal()
    try:
        root = _apply_workspace(tmp / f"apply-{os.urandom(4).hex()}", emu)
        with _token(emu):
            apply_once(root, TARGET, emu.faults, emu.requests, latency, runs, heap=heap)
    finally:
        emu.stop()


def write_one_by_one(latency: float) -> tuple[float, int]:
    """The naive writer: one `core_api.create` per new property, on a fresh scale portal."""
    emu = _portal()
    try:
        core = _sdk(emu).crm.properties.core_api
        sdk_types = {"text": ("string", "text"), "number": ("number", "number"),
                     "picklist": ("enumeration", "select"), "date": ("date", "date")}
        groups = {"contact": "contactinformation", "company": "companyinformation", "deal": "dealinformation",
                  "ticket": "ticketinformation"}
        object_types = {v: k for k, v in OBJECTS.items()}
        emu.faults.latency_s = latency

        def send() -> None:
            for obj, items in _new_properties().items():
                for item in items:
                    ptype, field_type = sdk_types[item["type"]]
                    options = [OptionInput(label=o["label"], value=o["value"], display_order=k, hidden=False)
                               for k, o in enumerate(item.get("options", []))]
                    core.create(object_types[obj], PropertyCreate(
                        name=item["name"], label=item["label"], type=ptype, field_type=field_type,
                        group_name=groups[obj], description=item["help_text"], options=options))

        return timed(send, emu.requests)
    finally:
        emu.stop()


# --- the table -----------------------------------------------------------------------------------


def run(*, baseline_latencies: tuple[float, ...] = LATENCIES) -> Table:
    runs_n = REPEAT
    table = Table(
        "HubSpot (hubspot-api-client against tests/emulators/hubspot.py)",
        ["scenario", "latency", f"wall time (median of {runs_n})", "requests", "minimum", "over minimum",
         "one per resource/change (run)", "fewer than one by one", "peak heap", "goal", "met"],
    )
    with tempfile.TemporaryDirectory(prefix="crmconf-hubspot-bench-") as tmp_name:
        tmp = Path(tmp_name)
        emu = _portal()
        try:
            root = _workspace(tmp / "ws", emu)
            minimum = plan_minimum(emu, root)
            chain = plan_chain(emu, root)
            live = (sum(len(emu.properties(o)) for o in OBJECTS), len(emu.pipelines("deals"))
                    + len(emu.pipelines("tickets")), len(emu.portal.flows))
            result = PlanResult()
            with _token(emu):
                # Each plan on its own: HubSpot's 10-second burst window (190 requests) is not spent by the
                # one-by-one reader or the plan before it, which a real portal would have let roll over.
                reads = measure_reads("hubspot", emu.faults, emu.requests, lambda: _plan(root, result),
                                      lambda: read_one_by_one(emu), baseline_latencies=baseline_latencies,
                                      latencies=LATENCIES, runs=runs_n, fresh=emu.roll_rate_window)
        finally:
            emu.stop()
        baseline, heap = reads.baseline, reads.heap_mb
        one_by_one = next(iter(baseline.values()))[1]
        assert result.plan is not None and result.snapshot is not None
        for latency, runs in reads.plans.items():
            reqs = runs.median_requests
            goal_ok = reqs <= minimum * 1.10 and one_by_one >= 50 * reqs
            table.add("plan (issue 4 scale)", f"{latency * 1000:.0f} ms", seconds(runs.median_s), reqs, minimum,
                      pct_over(reqs, minimum), one_by_one, times_fewer(one_by_one, reqs), megabytes(heap),
                      "≤ minimum +10%, ≥ 50x fewer than one by one", met(goal_ok))
        for latency, (secs, reqs) in baseline.items():
            table.add("one-by-one read (baseline, 1 run)", f"{latency * 1000:.0f} ms", seconds(secs), reqs,
                      minimum, pct_over(reqs, minimum), reqs, "1x", "", "", "")

        apply_min, verify_min = apply_minimum()
        apply_runs: dict[float, ApplyRuns] = {}
        for latency in LATENCIES:
            progress(f"hubspot: apply at {latency * 1000:.0f} ms x{runs_n}")
            apply_runs[latency] = ApplyRuns(Runs(), Runs())
            for _ in range(runs_n):
                _apply_once(tmp, latency, apply_runs[latency])
        progress(f"hubspot: apply heap (tracemalloc) x{runs_n}")
        traced = ApplyRuns(Runs(), Runs())
        for _ in range(runs_n):
            _apply_once(tmp, 0.0, traced, heap=True)
        apply_heap = statistics.median(traced.heap)
        naive: dict[float, tuple[float, int]] = {}
        for latency in baseline_latencies:
            progress(f"hubspot: one-by-one writes at {latency * 1000:.0f} ms")
            naive[latency] = write_one_by_one(latency)
        apply_rows(table, f"apply {NEW_PROPERTIES} new properties", NEW_PROPERTIES, apply_runs, naive,
                   (apply_min, verify_min, RECORD_WRITE), apply_heap)
    ratio_rows(table, "HubSpot", reads, chain, minimum, apply_runs, verify_min, f"{NEW_PROPERTIES} properties")
    props, pipes, flows = live
    table.notes = [
        f"Portal: {props:,} properties over 4 objects, {pipes} pipelines, {flows} flows (issue 4: 2,000 / 20 / 500 "
        f"added to the seeded portal). The plan: {len(result.plan.changes)} changes, "
        f"{len(result.snapshot.objects):,} live objects read.",
        "Requests are counted by the emulator; the medians are of the measured runs. Latency is added by the",
        "emulator to every request. `peak heap`: the median over separate runs at 0 ms of tracemalloc's peak",
        "Python heap during the plan or the apply alone (every thread, so the in-process emulator's request",
        "handling is included, its seeded state is not; imports are done by then).",
        "One-by-one baselines are run once per latency through the same client library; their counts do not",
        "depend on latency.",
        "",
        (__doc__ or "").split("\n\n", 1)[1].strip(),
    ]
    return table


if __name__ == "__main__":
    print(run().markdown())
