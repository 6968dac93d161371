"""For any valid workspace and any drifted org, plan -> apply -> plan is empty on the Salesforce emulator.

The local provider's version is tests/engine/test_convergence.py. Here the org is generated too:
before the first plan, custom fields the spec may or may not name (other labels, types, values),
relabelled and extra values on a seeded picklist that records use, and stage probabilities nobody
agreed to are written straight into the emulator's org. Workspaces are valid by construction
(stage references, one won and one lost stage per pipeline, unique stage values) and written as
JSON, which is YAML. Each example applies one workspace to the drifted org, then a second one to
the result; both must leave a plan with no changes. One exception, which is Salesforce's: a field
the second workspace retypes or drops while a live rule or flow the second workspace leaves in place
still uses it cannot change (the org refuses); the plan must then say so before applying anything
(error P202, naming the use) instead.

CRMCONF_CONVERGENCE_EXAMPLES scales the example count (CI runs 20, `make fuzz` many more).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from crmconf_salesforce import SalesforceProvider
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmconf.engine import plan as engine_plan
from crmconf.engine.apply import apply_plan, refuse_destroy
from crmconf.engine.journal import Journal
from crmconf.validation import require_valid
from tests.emulators.salesforce import SalesforceEmulator
from tests.providers.salesforce.conftest import (
    CA_ENV,
    SESSION_ENV,
    TARGET,
    TODAY,
    add_spec_owners,
    provider_for,
    small_workspace,
)

EXAMPLES = max(1, int(os.environ.get("CRMCONF_CONVERGENCE_EXAMPLES", "150")) * 20 // 150)
names = st.sampled_from(["alpha", "beta", "gamma", "delta", "omega"])
labels = st.sampled_from(["Alpha", "Beta", "Gamma", "Review", "Trial", "Fit"])
FIELD_TYPES = ["text", "number", "currency", "percent", "date", "picklist", "boolean"]
SF_TYPES: dict[str, tuple[str, dict[str, Any]]] = {"text": ("Text", {"length": 255}), "number": ("Number", {"precision": 18, "scale": 2}),
            "date": ("Date", {}), "checkbox": ("Checkbox", {"defaultValue": "false"}), "picklist": ("Picklist", {})}
OBJECTS = {"deal": "Opportunity", "contact": "Contact", "company": "Account"}
DEAL_TYPES = ["New Business", "Expansion", "Renewal", "Upsell"]  # the seed's three are used by records
SEEDED_STAGES = ["Prospecting", "Qualification", "Negotiation/Review", "Closed Won"]


@st.composite
def fields(draw: st.DrawFn, obj: str) -> list[dict[str, Any]]:
    out = []
    for name in draw(st.lists(names, unique=True, max_size=3)):
        kind = draw(st.sampled_from(FIELD_TYPES))
        f: dict[str, Any] = {"name": f"f_{name}", "label": draw(labels), "type": kind,
                             "required": kind != "boolean" and draw(st.booleans())}
        if kind == "picklist":
            values = draw(st.lists(st.sampled_from(["a", "b", "c", "d"]), unique=True, min_size=1, max_size=4))
            f["options"] = [{"value": v, "label": draw(labels)} for v in values]
        out.append(f)
    if obj == "deal" and draw(st.booleans()):  # a seeded field whose values records hold
        kept = draw(st.lists(st.sampled_from(DEAL_TYPES), unique=True, min_size=1))
        out.append({"name": "deal_type", "label": draw(st.sampled_from(["Deal Type", "Kind of Deal"])),
                    "type": "picklist", "options": [{"value": v, "label": draw(st.sampled_from([v, v.upper()]))}
                                                    for v in kept]})
    return out


@st.composite
def pipeline(draw: st.DrawFn, name: str, deal_fields: list[str]) -> dict[str, Any]:
    title = name.removeprefix("p_").title()
    middle = [{"name": f"s_{n}", "label": f"{title} {n.title()}", "probability": draw(st.integers(1, 99)),
               "require": draw(st.lists(st.sampled_from(["amount", "close_date", *deal_fields]), unique=True,
                                        max_size=2))}
              for n in draw(st.lists(names, unique=True, max_size=3))]
    closed = [{"name": "won", "label": f"{title} Won", "probability": 100, "outcome": "won"},
              {"name": "lost", "label": f"{title} Lost", "probability": 0, "outcome": "lost"}]
    return {"name": name, "object": "deal", "label": f"{title} {draw(labels)}",
            "description": draw(st.sampled_from(["", "Sells things.", "Renews things."])) or None,
            "stages": [*draw(st.permutations(middle)), *closed]}


@st.composite
def workspaces(draw: st.DrawFn) -> dict[str, Any]:
    by_object = {obj: draw(fields(obj)) for obj in OBJECTS}
    deal_fields = [f["name"] for f in by_object["deal"] if f["type"] != "boolean"]
    pipelines = [draw(pipeline(f"p_{n}", deal_fields)) for n in draw(st.lists(names, unique=True, max_size=2))]
    automations = [{"name": f"a_{i}", "object": "deal",
                    "trigger": {"stage_entered": f"{p['name']}.{draw(st.sampled_from(p['stages']))['name']}"},
                    "actions": [{"create_task": {"subject": draw(labels), "due_in": f"{draw(st.integers(0, 9))}d"}}],
                    "owner": "maria.lopez@acme.example", "purpose": "p", "reviewed": "2026-11-01",
                    "status": draw(st.sampled_from(["active", "inactive"]))}
                   for i, p in enumerate(pipelines) if draw(st.booleans())]
    grants = {f"{obj}.{f['name']}": draw(st.sampled_from(["read", "edit"]))
              for obj, fs in by_object.items() for f in fs[:1] if not f.get("required")}
    permissions = [{"name": "rep", "label": draw(labels),
                    "objects": {"deal": draw(st.lists(st.sampled_from(["read", "create", "edit"]), unique=True,
                                                      min_size=1))},
                    "fields": grants}]
    for p in pipelines:
        if p["description"] is None:
            del p["description"]
    return {"fields": {k: v for k, v in by_object.items() if v}, "pipelines": pipelines,
            "automations": automations, "permissions": permissions if draw(st.booleans()) else []}


@st.composite
def drifts(draw: st.DrawFn) -> dict[str, Any]:
    """A vendor snapshot: what an admin did to the seeded org by hand, before crmconf ever ran."""
    extra = [(draw(st.sampled_from(list(OBJECTS.values()))), draw(names), draw(labels),
              draw(st.sampled_from(list(SF_TYPES))), draw(st.lists(st.sampled_from(["a", "b", "x"]), unique=True,
                                                                    min_size=1)))
             for _ in range(draw(st.integers(0, 3)))]
    return {"fields": extra,
            "deal_type_labels": draw(st.dictionaries(st.sampled_from(DEAL_TYPES[:3]), labels, max_size=2)),
            "deal_type_extra": draw(st.booleans()),
            "probabilities": draw(st.dictionaries(st.sampled_from(SEEDED_STAGES), st.integers(0, 100), max_size=3))}


def drift(emu: SalesforceEmulator, d: dict[str, Any]) -> None:
    org = emu.org
    with org.lock:
        for sobject, name, label, kind, values in d["fields"]:
            sf_type, extras = SF_TYPES[kind]
            comp: dict[str, Any] = {"fullName": f"{sobject}.F_{name.title()}__c", "label": label, "type": sf_type,
                                    **extras}
            if kind == "picklist":
                comp["valueSet"] = {"restricted": True, "valueSetDefinition": {"sorted": False, "value": [
                    {"fullName": v, "label": v.upper(), "default": False, "isActive": True} for v in values]}}
            org.put("CustomField", comp)
        deal_type = org.get("CustomField", "Opportunity.Deal_Type__c")
        assert deal_type is not None
        values = deal_type["valueSet"]["valueSetDefinition"]["value"]
        for v in values:
            v["label"] = d["deal_type_labels"].get(v["fullName"], v["label"])
        if d["deal_type_extra"]:
            values.append({"fullName": "Upsell", "label": "Up-sell", "default": False, "isActive": True})
        stages = org.get("StandardValueSet", "OpportunityStage")
        assert stages is not None
        for v in stages["standardValue"]:
            if v["fullName"] in d["probabilities"] and not v.get("closed"):
                v["probability"] = d["probabilities"][v["fullName"]]


@dataclass
class Fuzz:
    emu: SalesforceEmulator
    root: Path
    provider: SalesforceProvider


@pytest.fixture(scope="module")
def fuzz(server: SalesforceEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzz]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(SESSION_ENV, server.session_id)
        mp.setenv(CA_ENV, server.ca_path)
        mp.delenv("REQUESTS_CA_BUNDLE", raising=False)
        root = small_workspace(tmp_path_factory.mktemp("fuzz") / "ws", server, "{}\n")
        provider = provider_for(server, root, retry_backoff_seconds=0)
        try:
            yield Fuzz(server, root, provider)
        finally:
            provider.close()
            server.reset()


REFUSED = ["refused: a field the workspace retypes is still used"]


def apply_and_replan(f: Fuzz, sections: dict[str, Any]) -> list[str]:
    """Apply the workspace (destructive changes allowed); what the plan after it still has."""
    (f.root / "spec.yaml").write_text(json.dumps({k: v for k, v in sections.items() if v}) or "{}")
    ws = require_valid(f.root, TODAY)
    plan, compiled, _ = engine_plan.make_plan(ws, TARGET, f.provider)
    if plan.errors and all(d.code == "P202" for d in plan.errors):
        uses = {c.address: c for c in plan.changes}
        for d in plan.errors:  # each names a field the plan retypes and a live use of it that stays
            field = d.message.split(" ", 1)[0]
            assert field in uses and uses[field].action.value in ("replace", "delete"), d.message
            assert ".rule" in d.message or "flow" in d.message or "automation." in d.message, d.message
        return REFUSED
    assert not plan.errors, [d.message for d in plan.errors]
    refuse_destroy(plan, allow_destroy=True)
    report = apply_plan(plan, f.provider, Journal(f.root / ".crmconf" / "journal.jsonl"))
    assert report.ok, [(r.change.address, r.detail) for r in report.results if r.detail]
    again = engine_plan.plan_from(ws, TARGET, "salesforce", compiled, f.provider.fetch(engine_plan.kinds_of(
        compiled, f.provider)))
    return [f"{c.action.value} {c.address} {[(a.name, a.before, a.after) for a in c.attrs]}" for c in again.changes]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(drifts(), workspaces(), workspaces())
def test_any_drifted_org_converges_to_any_workspace(
    fuzz: Fuzz, org: dict[str, Any], first: dict[str, Any], second: dict[str, Any]
) -> None:
    fuzz.emu.reset()
    add_spec_owners(fuzz.emu)
    drift(fuzz.emu, org)
    assert apply_and_replan(fuzz, first) == []  # from a drifted org: apply, then the plan is empty
    assert apply_and_replan(fuzz, second) in ([], REFUSED)  # and from there, to another workspace
