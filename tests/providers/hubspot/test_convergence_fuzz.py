"""For any valid workspace and any (plausible) starting portal: plan -> apply -> plan is empty on HubSpot.

Hypothesis draws a scenario: a portal (HubSpot's own properties and pipelines, plus custom properties,
pipelines, stage edits and workflows someone made by hand, often under the very names, labels and
slugs the spec uses) and a workspace valid by construction (custom and standard fields, deal and
ticket pipelines, compiled and bound automations). The real engine and provider then plan, apply
(destroy allowed) and plan again against the emulator, through the real client.

CRMCONF_CONVERGENCE_EXAMPLES sets the number of examples (`make fuzz` raises it).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from crmconf.engine.apply import apply_plan, refuse_destroy
from crmconf.engine.journal import Journal
from crmconf.engine.plan import make_plan
from crmconf.providers import opened
from crmconf.validation import require_valid
from tests.emulators.hubspot import HubSpotEmulator
from tests.emulators.hubspot_flows import stored
from tests.emulators.hubspot_seed import seed_flows
from tests.providers.hubspot.conftest import (
    FAST_SEARCH,
    SPEC_OWNERS,
    TARGET,
    TODAY,
    duplicates,
    emulator_settings,
    failures,
    settings_block,
)

EXAMPLES = int(os.environ.get("CRMCONF_CONVERGENCE_EXAMPLES", "25"))
OBJECTS = ("deal", "contact", "company", "ticket")
HS = {"deal": "deals", "contact": "contacts", "company": "companies", "ticket": "tickets"}
DEFAULT_GROUP = {"deal": "dealinformation", "contact": "contactinformation", "company": "companyinformation",
                 "ticket": "ticketinformation"}
# Shared by portal and spec, so that names, labels and slugs collide as they do in real portals.
FIELD_NAMES = ("f_alpha", "f_beta", "f_gamma", "f_delta")
LABELS = ("Alpha", "Beta", "Gamma", "Review", "Trial")
OPTIONS = ("a", "b", "c", "d")
GROUPS = ("commercial", "ops")
SPEC_TYPES = ("text", "textarea", "number", "currency", "percent", "date", "datetime", "boolean", "picklist",
              "multipicklist", "email", "phone", "url")
HS_TYPES = (("string", "text"), ("string", "textarea"), ("number", "number"), ("date", "date"),
            ("datetime", "date"), ("bool", "booleancheckbox"), ("enumeration", "select"),
            ("enumeration", "radio"), ("enumeration", "checkbox"))
DEAL_PIPELINES = (("sales_pipeline", "Sales Pipeline"), ("new_business", "New Business"), ("renewals", "Renewals"))
TICKET_PIPELINES = (("support", "Support"), ("support_pipeline", "Support Pipeline"), ("help_desk", "Help Desk"))
DEAL_STAGES = (("appointment_scheduled", "Appointment Scheduled"), ("qualified_to_buy", "Qualified To Buy"),
               ("discovery", "Discovery"), ("demo", "Demo"), ("proposal", "Proposal Sent"))
TICKET_STAGES = (("new", "New"), ("waiting_on_us", "Waiting on us"), ("in_progress", "In Progress"),
                 ("closed", "Closed"), ("escalated", "Escalated"))
DEFAULT_STAGE_SLUGS = ("appointment_scheduled", "qualified_to_buy", "presentation_scheduled", "decision_maker_bought_in",
                       "contract_sent", "closed_won", "closed_lost", "new", "waiting_on_contact", "waiting_on_us",
                       "closed")
STANDARD_OPTIONS = {  # standard picklists whose options crmconf manages: (spec object, spec name, live values)
    "industry": ("company", ("ACCOUNTING", "COMPUTER_SOFTWARE", "RETAIL", "fintech")),
    "priority": ("ticket", ("LOW", "MEDIUM", "HIGH", "URGENT", "blocker")),
}
SEED_FLOWS = {f["id"]: stored(f) for f in seed_flows()}  # as HubSpot keeps them, defaults filled in, as the seed does


# ---- the portal ----------------------------------------------------------------------------------

@st.composite
def live_property(draw: st.DrawFn, obj: str) -> dict[str, Any]:
    ptype, field_type = draw(st.sampled_from(HS_TYPES))
    prop: dict[str, Any] = {
        "name": draw(st.sampled_from((*FIELD_NAMES, "legacy_one", "legacy_two"))), "label": draw(st.sampled_from(LABELS)),
        "type": ptype, "fieldType": field_type, "groupName": draw(st.sampled_from((DEFAULT_GROUP[obj], *GROUPS))),
        "description": draw(st.sampled_from(("", "Set by hand", "Old help"))),
    }
    if ptype == "enumeration":
        values = draw(st.lists(st.sampled_from(OPTIONS), unique=True, min_size=1, max_size=4))
        prop["options"] = [{"value": v, "label": draw(st.sampled_from((v.upper(), f"Option {v}"))),
                            "hidden": draw(st.booleans()), "displayOrder": draw(st.integers(-1, 5))} for v in values]
    return prop


@st.composite
def live_stages(draw: st.DrawFn, obj: str) -> list[dict[str, Any]]:
    pool = DEAL_STAGES if obj == "deal" else TICKET_STAGES
    labels = draw(st.lists(st.sampled_from([label for _, label in pool] + ["Closed Won", "Closed Lost", "Other"]),
                           unique=True, min_size=1, max_size=5))
    stages = []
    for label in labels:
        if obj == "deal":
            metadata = {"probability": str(draw(st.sampled_from((0.0, 0.1, 0.4, 0.5, 0.7, 1.0)))),
                        "isClosed": draw(st.sampled_from(("true", "false")))}
        else:
            metadata = {"ticketState": draw(st.sampled_from(("OPEN", "CLOSED")))}
        stages.append({"label": label, "displayOrder": draw(st.integers(0, 9)), "metadata": metadata})
    return stages


@st.composite
def portals(draw: st.DrawFn) -> dict[str, Any]:
    """Hand edits on top of a minimal portal (HubSpot's own properties and default pipelines)."""
    properties = {obj: draw(st.lists(live_property(obj), max_size=3, unique_by=lambda p: p["name"]))
                  for obj in OBJECTS}
    pipelines = {obj: [{"label": label, "stages": draw(live_stages(obj))}
                       for label in draw(st.lists(st.sampled_from([lbl for _, lbl in pool] + ["Partners"]),
                                                  unique=True, max_size=2))
                       if label not in ("Sales Pipeline", "Support Pipeline")]  # the defaults exist already
                 for obj, pool in (("deal", DEAL_PIPELINES), ("ticket", TICKET_PIPELINES))}
    default_edits = draw(st.lists(st.tuples(st.integers(0, 6), st.sampled_from(("relabel", "probability", "order"))),
                                  max_size=3, unique_by=lambda e: e[0]))
    flows = []
    for fid in draw(st.lists(st.sampled_from(sorted(SEED_FLOWS)), unique=True, max_size=3)):
        name = draw(st.sampled_from((None, "[crmconf] a_0", "[crmconf] a_1")))
        flows.append({"id": fid, "name": name, "enabled": draw(st.booleans())})
    return {"seeded": draw(st.booleans()), "properties": properties, "pipelines": pipelines,
            "default_edits": default_edits, "flows": flows}


def build_portal(emu: HubSpotEmulator, portal: dict[str, Any]) -> None:
    """A fresh portal (with Acme's records, properties and workflows when `seeded`), then the drawn
    hand edits, made on the emulator's state directly as hands in HubSpot's UI would."""
    emu.reset(seed=portal["seeded"])
    for email in SPEC_OWNERS:
        emu.add_user(email)
    state = emu.portal
    for obj, props in portal["properties"].items():
        for prop in props:
            if prop["groupName"] not in state.groups[HS[obj]]:
                state.create_group(HS[obj], {"name": prop["groupName"], "label": prop["groupName"].title()})
            if prop["name"] not in state.properties[HS[obj]]:
                state.create_property(HS[obj], prop)
    for obj, pipelines in portal["pipelines"].items():
        for order, pipeline in enumerate(pipelines, start=1):
            state.create_pipeline(HS[obj], {"label": pipeline["label"], "displayOrder": order,
                                            "stages": pipeline["stages"]})
    default = state.pipelines["deals"]["default"]
    for index, edit in portal["default_edits"]:
        stage = default["stages"][index]
        if edit == "relabel" and not any(s["label"] == stage["label"] + " (old)" for s in default["stages"]):
            stage["label"] += " (old)"
        elif edit == "probability":
            stage["metadata"]["probability"] = "0.3"
        else:
            stage["displayOrder"] = 9 - index
    for flow in portal["flows"]:
        live = copy.deepcopy(SEED_FLOWS[flow["id"]])
        live["isEnabled"] = flow["enabled"]
        if flow["name"] and not any(f["name"] == flow["name"] for f in state.flows.values()):
            live["name"] = flow["name"]
        state.flows[live["id"]] = live


# ---- the workspace -------------------------------------------------------------------------------

@st.composite
def spec_field(draw: st.DrawFn, name: str) -> dict[str, Any]:
    kind = draw(st.sampled_from(SPEC_TYPES))
    field: dict[str, Any] = {"name": name, "label": draw(st.sampled_from(LABELS)), "type": kind}
    if draw(st.booleans()):
        field["help_text"] = draw(st.sampled_from(("Why it matters", "Set by the rep")))
    if draw(st.booleans()):
        field["group"] = draw(st.sampled_from(GROUPS))
    if kind in ("picklist", "multipicklist"):
        values = draw(st.lists(st.sampled_from(OPTIONS), unique=True, min_size=1, max_size=4))
        field["options"] = [{"value": v, "label": draw(st.sampled_from((v.upper(), f"Option {v}"))),
                             "hidden": draw(st.booleans())} for v in values]
    return field


@st.composite
def spec_pipeline(draw: st.DrawFn, obj: str, name: str, label: str) -> dict[str, Any]:
    pool = DEAL_STAGES if obj == "deal" else TICKET_STAGES
    chosen = draw(st.lists(st.sampled_from(pool), unique_by=lambda s: s[0], min_size=1 if obj == "ticket" else 0,
                           max_size=4))
    labels = draw(st.permutations([label for _, label in chosen]))  # names and labels cross: relabels, slugs
    stages: list[dict[str, Any]] = []
    for (stage_name, _), stage_label in zip(chosen, labels, strict=True):
        stage: dict[str, Any] = {"name": stage_name, "label": stage_label}
        if obj == "deal":
            stage["probability"] = draw(st.sampled_from(range(10, 100, 10)))
        elif draw(st.booleans()):
            stage["outcome"] = "closed"
        stages.append(stage)
    if obj == "deal":
        # HubSpot documents tenths only, 1.0 closed won and 0.0 closed lost (P403 otherwise).
        stages += [{"name": "closed_won", "label": "Closed Won", "probability": 100, "outcome": "won"},
                   {"name": "closed_lost", "label": "Closed Lost", "probability": 0, "outcome": "lost"}]
    stages = list(draw(st.permutations(stages)))
    # The seeded portal's default pipelines hold records: any of their stages the spec drops (under its
    # slug, or relabelled by a hand edit) needs somewhere to send them (P201 otherwise).
    kept = {s["name"] for s in stages}
    target = stages[0]["name"]
    migrate = {old: target for base in DEFAULT_STAGE_SLUGS for old in (base, f"{base}_old") if old not in kept}
    return {"name": name, "object": obj, "label": label, "owners": ["sales"], "stages": stages, "migrate_to": migrate}


def sample_value(draw: st.DrawFn, field: dict[str, Any]) -> Any:
    """A value a record could hold in this field, typed as a spec author would write it."""
    kind = field["type"]
    if kind in ("picklist", "multipicklist"):
        return draw(st.sampled_from(field["options"]))["value"]
    if kind in ("number", "currency", "percent"):
        return draw(st.sampled_from((0, 5, 12, 2.5)))
    if kind == "boolean":
        return draw(st.booleans())
    if kind in ("date", "datetime"):
        return "2026-01-31"
    return draw(st.sampled_from(("yes", "Acme", "x y")))


@st.composite
def spec_automation(draw: st.DrawFn, i: int, fields: dict[str, list[dict[str, Any]]],
                    deal_pipelines: list[dict[str, Any]]) -> dict[str, Any]:
    obj = draw(st.sampled_from(("deal", "contact")))
    custom = [f for f in fields.get(obj, []) if f["name"].startswith("f_")]
    automation: dict[str, Any] = {"name": f"a_{i}", "object": obj, "owner": SPEC_OWNERS[0], "purpose": "p",
                                  "reviewed": "2026-11-01", "status": draw(st.sampled_from(("active", "inactive")))}
    trigger = draw(st.sampled_from(("stage_entered", "record_created", "field_changed")))
    if obj == "deal" and deal_pipelines and trigger == "stage_entered":
        pipeline = draw(st.sampled_from(deal_pipelines))
        automation["trigger"] = {"stage_entered": f"{pipeline['name']}.{draw(st.sampled_from(pipeline['stages']))['name']}"}
    elif custom and trigger == "field_changed":
        changed = draw(st.sampled_from(custom))
        automation["trigger"] = {"field_changed": {"field": changed["name"], "to": sample_value(draw, changed)}}
    else:
        where = {f["name"]: sample_value(draw, f) for f in draw(st.lists(st.sampled_from(custom), unique_by=lambda f: f["name"],
                                                                        max_size=2))} if custom else {}
        automation["trigger"] = {"record_created": {"where": where}}
    actions: list[dict[str, Any]] = []
    for kind in draw(st.lists(st.sampled_from(("create_task", "set_field", "notify")), min_size=1, max_size=3)):
        if kind == "create_task":
            actions.append({"create_task": {"subject": draw(st.sampled_from(LABELS)),
                                            "due_in": f"{draw(st.integers(0, 30))}{draw(st.sampled_from('hdw'))}",
                                            "assign_to": draw(st.sampled_from(("record_owner", SPEC_OWNERS[2])))}})
        elif kind == "set_field" and custom:
            target = draw(st.sampled_from(custom))
            actions.append({"set_field": {"field": target["name"], "value": sample_value(draw, target)}})
        elif kind == "notify":
            to = draw(st.lists(st.sampled_from((SPEC_OWNERS[2], SPEC_OWNERS[3], "record_owner")), unique=True,
                               min_size=1))
            actions.append({"notify": {"to": to, "message": draw(st.sampled_from(("Look", "Deal moved")))}})
    automation["actions"] = actions or [{"create_task": {"subject": "Check"}}]
    if draw(st.booleans()):
        automation["description"] = "Generated"
    return automation


@st.composite
def workspaces(draw: st.DrawFn, portal: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, list[dict[str, Any]]] = {}
    for obj in OBJECTS:
        fields[obj] = [draw(spec_field(n)) for n in draw(st.lists(st.sampled_from(FIELD_NAMES), unique=True, max_size=3))]
    for name, (obj, values) in STANDARD_OPTIONS.items():
        if draw(st.booleans()):
            chosen = draw(st.lists(st.sampled_from(values), unique=True, min_size=1, max_size=4))
            fields[obj].append({"name": name, "label": name.title(), "type": "picklist",
                                "options": [{"value": v, "label": v.title()} for v in chosen]})
    pipelines = []
    for obj, pool in (("deal", DEAL_PIPELINES), ("ticket", TICKET_PIPELINES)):
        names = draw(st.lists(st.sampled_from([n for n, _ in pool]), unique=True, max_size=2))
        labels = draw(st.lists(st.sampled_from([lbl for _, lbl in pool]), unique=True, min_size=len(names),
                               max_size=len(names)))
        pipelines += [draw(spec_pipeline(obj, n, lbl)) for n, lbl in zip(names, labels, strict=True)]
    automations = [draw(spec_automation(i, fields, [p for p in pipelines if p["object"] == "deal"]))
                   for i in range(draw(st.integers(0, 2)))]
    for flow in portal["flows"]:
        # A flow renamed `[crmconf] x` belongs to the compiled automation x; binding it too is a conflict
        # of the spec's own making (two automations claiming one workflow), not a portal state.
        if flow["name"] is None and draw(st.booleans()):
            bound: dict[str, Any] = {"name": f"bound_{flow['id']}", "object": "deal", "binds": {"hubspot": flow["id"]},
                                     "owner": SPEC_OWNERS[1], "purpose": "p", "reviewed": "2026-11-01",
                                     "status": draw(st.sampled_from(("active", "inactive")))}
            if draw(st.booleans()):
                bound["description"] = "Kept in HubSpot"
            automations.append(bound)
    return {"fields": {o: f for o, f in fields.items() if f}, "pipelines": pipelines, "automations": automations,
            "prune": draw(st.sampled_from(([], ["field"])))}


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    portal = draw(portals())
    return portal, draw(workspaces(portal))


def write_workspace(root: Path, emu: HubSpotEmulator, spec: dict[str, Any]) -> None:
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    (root / "crmconf.yaml").write_text(
        f"version: 1\ndefault_target: {TARGET}\ntargets:\n  {TARGET}:\n    provider: hubspot\n    settings:\n"
        f"{settings_block(emulator_settings(emu))}\npolicies:\n  prune: {json.dumps(spec['prune'])}\n")
    sections = {k: spec[k] for k in ("fields", "pipelines", "automations") if spec[k]}
    (root / "spec.yaml").write_text(json.dumps(sections, indent=1) if sections else "{}\n")
    (root / "teams.yaml").write_text('teams: [{name: sales}]\n')


# ---- the property ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hub() -> Iterator[HubSpotEmulator]:
    with pytest.MonkeyPatch.context() as mp, HubSpotEmulator(seed=False, search_per_second=FAST_SEARCH) as emulator:
        mp.setenv("HUBSPOT_TOKEN", emulator.token)
        yield emulator


def plan_apply_plan(root: Path) -> tuple[list[str], list[str], list[str]]:
    """(errors of the first plan, failed changes, what the second plan still changes)."""
    ws = require_valid(root, TODAY)
    with opened(ws.spec, ws.sources, root, TARGET) as (name, provider):
        plan, _, _ = make_plan(ws, name, provider)
        if plan.errors:
            return [d.message for d in plan.errors], [], []
        refuse_destroy(plan, allow_destroy=True)
        report = apply_plan(plan, provider, Journal(root / ".crmconf" / "journal.jsonl"))
        for kind, action in sorted({(c.kind, c.action.value) for c in plan.changes}):
            event(f"applies {kind} {action}")  # the mix of changes, for --hypothesis-show-statistics
        again, _, _ = make_plan(ws, name, provider)
    return [], failures(report), [f"{c.action.value} {c.address} {[a.name for a in c.attrs]}" for c in again.changes]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(scenario=scenarios())
def test_any_portal_converges_to_any_workspace(hub: HubSpotEmulator, tmp_path: Path,
                                               scenario: tuple[dict[str, Any], dict[str, Any]]) -> None:
    portal, spec = scenario
    build_portal(hub, portal)
    root = tmp_path / "ws"
    write_workspace(root, hub, spec)
    errors, failed, left = plan_apply_plan(root)
    assert not errors, errors
    assert not failed, failed
    assert not left, left
    assert not duplicates(hub)
