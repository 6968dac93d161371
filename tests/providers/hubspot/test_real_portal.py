"""What a real portal has that the first provider missed: sensitive properties, validation rules, lifecycle
pipelines, the search limits (a 25,000-deal stage retired with migrate_to), each against the emulator rule
that refuses the old behaviour."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmconf.engine.changes import Action
from tests.emulators.hubspot import HubSpotEmulator
from tests.emulators.hubspot_flows import as_put
from tests.emulators.hubspot_scopes import ALL_SCOPES
from tests.providers.hubspot.conftest import Engine, edit, failures, make_workspace

PHONE_RULE = "PHONE_NUMBER_WITH_EXPLICIT_COUNTRY_CODE"


# ---- sensitive properties -------------------------------------------------------------------------------

def _declare_passport(root: Path) -> None:
    edit(root / "fields" / "contact.yaml", "    - name: mobile_phone\n",
         "    - name: passport_number\n      label: Passport number\n      type: text\n\n    - name: mobile_phone\n")


def test_a_spec_field_that_exists_as_a_sensitive_property_is_found(emu: HubSpotEmulator, ws: Path) -> None:
    _declare_passport(ws)
    changes = {c.address: c for c in Engine(ws).plan().changes}
    assert "field.contact.passport_number" not in changes  # read with dataSensitivity: it is there, as declared
    assert emu.requests.matching("GET", "/crm/v3/properties/contacts") == 2


def test_without_the_sensitive_scope_creating_it_fails_naming_the_scope(
        emu: HubSpotEmulator, ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _declare_passport(ws)
    token = emu.add_token("pat-na1-not-sensitive", {s for s in ALL_SCOPES if ".sensitive." not in s})
    monkeypatch.setenv("HUBSPOT_TOKEN", token)
    assert Engine(ws).plan().changes  # the token cannot see it: planned as a create, no request refused
    (failed,) = [f for f in failures(Engine(ws).apply()) if "passport_number" in f]
    assert "already has a sensitive property named passport_number" in failed
    assert "crm.objects.contacts.sensitive.read.v2" in failed


# ---- property validation rules ----------------------------------------------------------------------------

def test_the_phone_format_is_a_managed_validation_rule(emu: HubSpotEmulator, engine: Engine, ws: Path) -> None:
    plan = engine.plan()
    changes = {c.address: c for c in plan.changes}
    assert [(a.name, a.after) for a in changes["field.contact.phone"].attrs] == [("format", "e164")]
    assert changes["field.contact.mobile_phone"].after["format"] == "e164"  # type: ignore[index]
    assert not any("E.164" in m.instructions or "phone" in m.title.lower() for m in plan.manual)
    assert not failures(engine.apply())
    rules = {r["propertyName"]: r["propertyValidationRules"] for r in emu.portal.validations.for_object("contacts")}
    assert rules == {"phone": [{"ruleType": PHONE_RULE, "ruleArguments": []}],
                     "mobile_phone": [{"ruleType": PHONE_RULE, "ruleArguments": []}]}
    mobile = next(p for p in emu.properties("contacts") if p["name"] == "mobile_phone")
    assert (mobile["type"], mobile["fieldType"]) == ("string", "phonenumber")  # what the rule applies to
    assert engine.plan().changes == ()


# ---- lifecycle stages ---------------------------------------------------------------------------------------

MQL_ALERT = """
  - name: mql_alert
    description: Tell the SDR team about every new MQL.
    object: contact
    trigger: {stage_entered: lifecycle.subscriber}
    actions:
      - notify: {to: ["team:sdr"], message: A new MQL is waiting.}
    owner: devon.price@acme.example
    purpose: Speed to lead.
    reviewed: 2026-10-20
"""


def test_workflows_on_lifecycle_stages_use_the_lifecycle_pipeline(emu: HubSpotEmulator, ws: Path) -> None:
    edit(ws / "pipelines" / "lifecycle.yaml", "      - name: lead\n        label: Lead\n",
         "      - name: subscriber\n        label: Subscriber\n\n      - name: lead\n        label: Lead\n")
    (ws / "automations.yaml").write_text((ws / "automations.yaml").read_text() + MQL_ALERT)
    engine = Engine(ws)
    plan = engine.plan()
    assert any(m.address == "pipeline.lifecycle" and "Lifecycle stages" in m.instructions for m in plan.manual)
    assert not any(c.address.startswith("pipeline.lifecycle") for c in plan.changes)  # read, never written
    assert not failures(engine.apply())
    (flow,) = [f for f in emu.flows() if f["name"] == "[crmconf] mql_alert"]
    entered = flow["enrollmentCriteria"]["listFilterBranch"]["filterBranches"][0]["filters"][0]
    assert (entered["property"], entered["operation"]["values"]) == ("lifecyclestage", ["subscriber"])
    assert engine.plan().changes == ()


def test_lifecycle_stage_options_are_not_rewritten_as_property_options(emu: HubSpotEmulator, ws: Path) -> None:
    edit(ws / "fields" / "contact.yaml", "    - name: mobile_phone\n",
         "    - name: lifecycle_stage\n      label: Lifecycle Stage\n      type: picklist\n"
         "      options: [lead, customer]\n\n    - name: mobile_phone\n")
    plan = Engine(ws).plan()
    assert "field.contact.lifecycle_stage" not in {c.address for c in plan.changes}
    assert emu.requests.matching("PATCH", "/crm/v3/properties/contacts/lifecyclestage") == 0


# ---- searches --------------------------------------------------------------------------------------------

def test_searches_are_paced_under_hubspots_own_limit(emu: HubSpotEmulator, tmp_path: Path) -> None:
    emu.search_per_second = 5  # HubSpot's documented limit
    root = make_workspace(tmp_path / "ws", emu, search_per_second=4)
    for option in ("software", "fintech", "retail"):  # three more option removals: six counting searches
        edit(root / "fields" / "company.yaml", f"{{value: {option}", f"{{value: x_{option}")
    plan = Engine(root).plan()
    assert emu.requests.matching("POST", "/crm/v3/objects/companies/search") >= 2
    assert not plan.errors and emu.requests.total == len(emu.sequence())  # nothing refused, nothing retried


def test_a_stage_of_25000_deals_is_emptied_in_chunks_under_the_search_cap(emu: HubSpotEmulator, ws: Path) -> None:
    engine = Engine(ws)
    assert not failures(engine.apply())
    renewals = next(p for p in emu.pipelines("deals") if p["label"] == "Renewals")
    at_risk = emu.portal.create_stage("deals", renewals["id"], {
        "label": "At Risk", "displayOrder": 9, "metadata": {"probability": "0.5"}})
    with emu._lock:  # 25,000 deals written straight into the portal, as years of use would
        for i in range(25_000):
            emu.portal.create_record("deals", {"dealname": f"Renewal {i}", "pipeline": renewals["id"],
                                               "dealstage": at_risk["id"]}, validate=False)
    # A failure half-way: the move stops there, and the next apply picks up what is left.
    emu.faults.inject("server_error", times=6, skip=60, path="/batch/update$")
    first = engine.apply()
    assert [c for c in failures(first) if "at_risk" in c] and emu.portal.records_in("deals", renewals["id"],
                                                                                   at_risk["id"]) > 0
    (retire,) = [c for c in engine.plan().changes if c.action is Action.DELETE]
    assert retire.address == "pipeline.renewals.stage.at_risk" and "move to" in retire.impact
    assert not failures(engine.apply())
    health = next(s for s in renewals["stages"] if s["label"] == "Health Review")
    assert emu.portal.records_in("deals", renewals["id"], health["id"]) == 25_000
    assert engine.plan().changes == ()


# ---- prune and manual steps ---------------------------------------------------------------------------------

def test_prune_never_deletes_a_workflow_a_manual_step_asks_for(emu: HubSpotEmulator, ws: Path) -> None:
    edit(ws / "crmconf.yaml", "  prune: []", "  prune: [automation]")
    built = {**as_put(emu.portal.get_flow("1500004")), "name": "[crmconf] renewal_kickoff"}
    emu.portal.replace_flow("1500004", built)  # someone followed the manual step
    plan = Engine(ws).plan()
    assert any(m.address == "automation.renewal_kickoff" for m in plan.manual)
    deleted = {c.address for c in plan.changes if c.action is Action.DELETE}
    assert "automation.renewal_kickoff" not in deleted and "automation.1500001" in deleted
    assert "automation.renewal_kickoff" not in {u.address for u in plan.unmanaged}
