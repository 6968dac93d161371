"""Applying specs/ to the seeded portal through the real engine: converges, moves records, survives faults."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmconf.engine.apply import apply_plan
from crmconf.engine.journal import Journal
from crmconf.engine.plan import make_plan
from crmconf.providers import opened
from crmconf.validation import require_valid
from tests.emulators.hubspot import HubSpotEmulator
from tests.emulators.hubspot_flows import as_put
from tests.providers.hubspot.conftest import TARGET, TODAY, Engine, duplicates, edit, failures


def by_label(emu: HubSpotEmulator, obj: str, label: str) -> dict:  # type: ignore[type-arg]
    return next(p for p in emu.pipelines(obj) if p["label"] == label)


def prop(emu: HubSpotEmulator, obj: str, name: str) -> dict:  # type: ignore[type-arg]
    return next(p for p in emu.properties(obj) if p["name"] == name)


def test_specs_apply_and_converge(emu: HubSpotEmulator, engine: Engine) -> None:
    report = engine.apply()
    assert not failures(report) and not report.unverified
    assert engine.plan().changes == ()
    stages = by_label(emu, "deals", "New Business")["stages"]
    assert [(s["label"], s["metadata"]) for s in stages][-2:] == [
        ("Closed Won", {"probability": "1.0", "isClosed": "true"}),
        ("Closed Lost", {"probability": "0.0", "isClosed": "true"})]
    assert by_label(emu, "tickets", "Support")["stages"][4]["metadata"] == {"ticketState": "CLOSED"}
    arr = prop(emu, "deals", "arr")
    assert (arr["type"], arr["fieldType"], arr["groupName"]) == ("number", "number", "commercial")
    assert [o["value"] for o in prop(emu, "companies", "industry")["options"]] == [
        "software", "fintech", "retail", "healthcare", "other"]
    (flow,) = [f for f in emu.flows() if f["name"] == "[crmconf] proposal_follow_up"]
    proposal = next(s for s in stages if s["label"] == "Proposal Sent")
    enrolled = flow["enrollmentCriteria"]["listFilterBranch"]["filterBranches"][0]["filters"][0]
    assert enrolled["operation"]["values"] == [proposal["id"]] and flow["isEnabled"] is True
    bound = next(f for f in emu.flows() if f["id"] == "1500003")
    assert bound["description"].startswith("Enrol the customer's contacts") and bound["revisionId"] == "6"
    assert not duplicates(emu)


def test_changes_after_the_first_apply(emu: HubSpotEmulator, engine: Engine, ws: Path) -> None:
    engine.apply()
    edit(ws / "pipelines" / "new-business.yaml", "probability: 60", "probability: 50")
    edit(ws / "fields" / "deal.yaml", "        - {value: renewal, label: Renewal}",
         "        - {value: renewal, label: Renewal of contract}\n        - {value: upsell, label: Upsell}")
    edit(ws / "fields" / "deal.yaml", "{value: in_house, label: Built in-house}",
         "{value: in_house, label: Built in-house, hidden: true}")
    edit(ws / "automations.yaml", "    reviewed: 2026-09-01\n", "    reviewed: 2026-09-01\n    status: inactive\n")
    changed = {c.address: [a.name for a in c.attrs] for c in engine.plan().changes}
    assert changed == {"field.deal.deal_type": ["options"], "field.deal.competitor": ["options"],
                       "pipeline.new_business.stage.proposal": ["probability"], "automation.1500003": ["status"]}
    report = engine.apply(allow_destroy=False)
    assert not failures(report) and engine.plan().changes == ()
    proposal = next(s for s in by_label(emu, "deals", "New Business")["stages"] if s["label"] == "Proposal Sent")
    assert proposal["metadata"]["probability"] == "0.5"
    assert [(o["value"], o["label"]) for o in prop(emu, "deals", "deal_type")["options"]][-2:] == [
        ("renewal", "Renewal of contract"), ("upsell", "Upsell")]
    assert prop(emu, "deals", "competitor")["options"][-1]["hidden"] is True
    assert next(f for f in emu.flows() if f["id"] == "1500003")["isEnabled"] is False


def test_a_removed_stage_moves_its_records_first(emu: HubSpotEmulator, engine: Engine) -> None:
    engine.apply()
    renewals = by_label(emu, "deals", "Renewals")
    at_risk = emu.portal.create_stage("deals", renewals["id"], {
        "label": "At Risk", "displayOrder": 9, "metadata": {"probability": "0.5"}})
    for name in ("Globex renewal", "Initech renewal", "Umbrella renewal"):
        emu.add_record("deals", {"dealname": name, "pipeline": renewals["id"], "dealstage": at_risk["id"]})
    (retire,) = [c for c in engine.plan().changes if c.action.value == "delete"]
    assert retire.address == "pipeline.renewals.stage.at_risk" and retire.destructive
    assert retire.impact == "3 record(s) move to pipeline.renewals.stage.health_review"
    with pytest.raises(Exception, match="destructive"):
        engine.apply(allow_destroy=False)
    report = engine.apply()
    assert not failures(report) and engine.plan().changes == ()
    health = next(s for s in by_label(emu, "deals", "Renewals")["stages"] if s["label"] == "Health Review")
    moved = [r for r in emu.records("deals") if r["properties"]["dealname"].endswith("renewal")]
    assert {r["properties"]["dealstage"] for r in moved if r["properties"]["dealname"] != "Hooli renewal"} == {
        health["id"]}
    assert "At Risk" not in [s["label"] for s in by_label(emu, "deals", "Renewals")["stages"]]


def test_stages_with_gapped_display_orders_reach_the_spec_order_in_one_apply(emu: HubSpotEmulator,
                                                                           engine: Engine, ws: Path) -> None:
    # Regression (convergence fuzz): with display orders 0, 1, 20, 21, ... a stage inserted at index 3
    # was written with displayOrder 3 and its followers with 4, 5, ..., but "Waiting on Customer"
    # (index 2, unmoved) kept 20 and sorted after all of them, so the next plan moved stages again.
    engine.apply()
    support = by_label(emu, "tickets", "Support")
    for stage in support["stages"][2:]:
        emu.portal.replace_stage("tickets", support["id"], stage["id"], {
            "label": stage["label"], "displayOrder": 18 + stage["displayOrder"], "metadata": stage["metadata"]})
    assert engine.plan().changes == ()  # gaps alone are no change: positions are ranks
    edit(ws / "pipelines" / "support.yaml", "      - name: escalated\n",
         "      - name: on_hold\n        label: On Hold\n\n      - name: escalated\n")
    report = engine.apply(allow_destroy=False)
    assert not failures(report) and engine.plan().changes == ()
    assert [s["label"] for s in by_label(emu, "tickets", "Support")["stages"]] == [
        "New", "In Progress", "Waiting on Customer", "On Hold", "Escalated to Engineering", "Resolved",
        "Closed as Duplicate"]


def test_a_stage_relabelled_in_place_keeps_its_display_order(emu: HubSpotEmulator, engine: Engine, ws: Path) -> None:
    # Only a moved stage gets the spec's index as displayOrder: a relabel alone must not reorder it
    # among stages whose (gapped) display orders stay as HubSpot has them.
    engine.apply()
    support = by_label(emu, "tickets", "Support")
    for stage in support["stages"]:
        emu.portal.replace_stage("tickets", support["id"], stage["id"], {
            "label": stage["label"], "displayOrder": 10 * stage["displayOrder"] + 5, "metadata": stage["metadata"]})
    assert engine.plan().changes == ()  # the order is the spec's: gaps alone are no change
    edit(ws / "pipelines" / "support.yaml", "label: In Progress", "label: Working on it")
    (relabel,) = engine.plan().changes
    assert [a.name for a in relabel.attrs] == ["label"]
    assert not failures(engine.apply(allow_destroy=False)) and engine.plan().changes == ()
    working = next(s for s in by_label(emu, "tickets", "Support")["stages"] if s["label"] == "Working on it")
    assert working["displayOrder"] == 15


def test_pruned_properties_are_archived_in_batches_item_by_item(emu: HubSpotEmulator, engine: Engine, ws: Path) -> None:
    engine.apply()
    edit(ws / "crmconf.yaml", "  prune: []", "  prune: [field]")
    retired = {c.address: c.impact for c in engine.plan().changes if c.action.value == "delete"}
    assert retired["field.contact.nps_score"] == "1 record(s) lose their value"
    assert retired["field.ticket.product_area"] == "no records are affected"
    emu.requests.reset()
    emu.faults.inject("partial", path=r"/contacts/batch/archive$")  # 207: the second item fails, retried alone
    report = engine.apply()
    assert not failures(report)
    assert emu.requests.matching("POST", "/crm/v3/properties/contacts/batch/archive") == 2
    assert emu.requests.matching("DELETE") == 0
    assert "nps_score" not in [p["name"] for p in emu.properties("contacts")]
    assert engine.plan().changes == ()


def test_a_partial_batch_is_finished_item_by_item(emu: HubSpotEmulator, engine: Engine) -> None:
    # Deals only: which object's batch the engine sends first is the engine's business, not this test's.
    emu.faults.inject("partial", times=4, path=r"/deals/batch/create$")
    report = engine.apply()
    assert not failures(report) and engine.plan().changes == ()
    assert emu.requests.matching("POST", "/crm/v3/properties/deals/batch/create") >= 2
    assert {"arr", "seats", "loss_reason", "proposal_url"} <= {p["name"] for p in emu.properties("deals")}


@pytest.mark.parametrize("path", [r"/crm/v3/pipelines/deals$", r"/batch/create$", r"/automation/v4/flows$",
                                  r"/groups$", r"/stages$"])
@pytest.mark.parametrize("kind", ["timeout", "drop"])
def test_lost_answers_to_creates_apply_nothing_twice(emu: HubSpotEmulator, engine: Engine, ws: Path, path: str,
                                                     kind: str) -> None:
    if path == r"/stages$":  # stages are created on their own only in a pipeline that exists already
        engine.apply()
        edit(ws / "pipelines" / "support.yaml", "      - name: resolved\n",
             "      - name: on_hold\n        label: On Hold\n\n      - name: resolved\n")
    emu.faults.inject(kind, methods=("POST",), path=path, applied_effect=True)
    report = engine.apply()
    assert not failures(report) and not report.unverified and engine.plan().changes == ()
    assert emu.faults.pending() == 0 and not duplicates(emu)


def test_server_errors_on_writes_are_reconciled(emu: HubSpotEmulator, engine: Engine) -> None:
    writes = r"^/crm/v3/(properties|pipelines)/|^/automation/v4/flows(/\d+)?$"  # not searches or reads
    emu.faults.inject("server_error", times=5, methods=("POST", "PATCH", "PUT"), path=writes)
    report = engine.apply()
    assert not failures(report) and engine.plan().changes == () and not duplicates(emu)
    assert emu.faults.pending() == 0


def test_a_workflow_edited_since_the_plan_is_re_read_not_overwritten(emu: HubSpotEmulator, ws: Path) -> None:
    spec = require_valid(ws, TODAY)
    with opened(spec.spec, spec.sources, ws, TARGET) as (name, provider):
        plan, _, _ = make_plan(spec, name, provider)
        # Someone renames the bound workflow in HubSpot between our read and our write.
        current = emu.portal.get_flow("1500003")
        emu.portal.replace_flow("1500003", {**as_put(current), "name": "Closed won - onboarding (v2)"})
        report = apply_plan(plan, provider, Journal(ws / ".crmconf" / "journal.jsonl"))
    assert not failures(report)
    flow = emu.portal.get_flow("1500003")
    assert flow["name"] == "Closed won - onboarding (v2)" and flow["description"].startswith("Enrol")
    assert emu.requests.matching("PUT", "/automation/v4/flows/1500003") == 2  # 409, re-read, then applied


def test_a_bound_workflow_that_does_not_exist_is_a_plain_failure(emu: HubSpotEmulator, engine: Engine,
                                                                   ws: Path) -> None:
    edit(ws / "automations.yaml", 'hubspot: "1500003"', 'hubspot: "999"')
    report = engine.apply()
    (failed,) = failures(report)
    assert failed.startswith("automation.999: failed") and "correct `binds.hubspot`" in failed
