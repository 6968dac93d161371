"""Compile, the flow compiler and the settings, as pure functions (no HubSpot needed)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from crmconf_hubspot import HubSpotProvider, flows
from crmconf_hubspot.client import parse_settings
from crmconf_hubspot.compile import compile_spec
from crmconf_hubspot.mapping import deal_outcome, slug, spec_type, stage_metadata

from crmconf.errors import UsageError
from crmconf.providers import CONCERNS, ProviderContext, Support
from crmconf.spec.model import Automation
from crmconf.validation import require_valid
from tests.emulators import hubspot_flows
from tests.providers.hubspot.conftest import REPO, TODAY


@pytest.fixture(scope="module")
def compiled() -> tuple[object, object]:
    ws = require_valid(REPO / "specs", TODAY)
    return compile_spec(ws.spec, ws.sources)


def test_capabilities_cover_every_concern() -> None:
    caps = HubSpotProvider.capabilities
    assert set(caps) == set(CONCERNS)
    assert {c for c, s in caps.items() if s is Support.MANUAL} == {"required_fields", "stage_requirements",
                                                                     "permissions"}
    assert caps["terminology"] is Support.READ_ONLY and caps["owners"] is Support.READ_ONLY


@pytest.mark.parametrize("value", ["pat-na1-0b8c5e4f-aaaa-bbbb-cccc-1234567890ab", "Bearer abc", "my-token"])
def test_a_token_in_token_env_is_refused_without_being_repeated(value: str) -> None:
    with pytest.raises(UsageError, match="must be the NAME of an environment variable") as caught:
        parse_settings("hubspot-prod", {"token_env": value})
    assert value not in str(caught.value)


def test_settings_defaults_and_retry_overrides() -> None:
    s = parse_settings("t", {"token_env": "HS_TOKEN", "retry": {"base_delay": 0.01}})
    assert (s.base_url, s.timeout, s.strict_decoding) == ("https://api.hubapi.com", 30.0, False)
    assert (s.retry.base_delay, s.retry.max_attempts, s.retry.max_delay) == (0.01, 6, 30.0)


def test_specs_compile_to_hubspot_resources(compiled: tuple) -> None:  # type: ignore[type-arg]
    result, desired = compiled
    by_address = {r.address: r for r in result.resources}
    assert by_address["field.deal.arr"].attrs == {
        "label": "ARR", "type": "number", "help_text": "Annual recurring revenue once signed. Finance reconciles it "
        "against billing monthly.", "options": None, "group": "commercial", "unique": False}
    assert by_address["field.company.industry"].attrs.keys() == {"options"}  # HubSpot's own property
    assert "field.deal.amount" not in by_address  # standard, nothing the API lets us manage
    assert by_address["pipeline.new_business.stage.closed_won"].attrs == {
        "label": "Closed Won", "position": 4, "probability": 100, "outcome": "won"}
    assert by_address["pipeline.support.stage.resolved"].attrs["probability"] is None
    assert "pipeline.lifecycle" not in by_address  # contacts: a manual step
    assert by_address["automation.1500003"].attrs == {
        "status": "active", "description": "Enrol the customer's contacts in the onboarding e-mail sequence on "
        "Closed Won."}
    assert by_address["automation.proposal_follow_up"].depends_on == ("pipeline.new_business.stage.proposal",)
    assert desired.compiled == {"proposal_follow_up", "inbound_lead_routing", "stalled_deal_alert"}
    assert desired.bound == {"1500003": "welcome_sequence"}
    assert desired.standard == {("company", "industry"): "industry", ("contact", "phone"): "phone"}
    assert by_address["field.contact.phone"].attrs == {"format": "e164"}  # a validation rule, managed


def test_what_has_no_api_becomes_a_manual_step_with_its_place(compiled: tuple) -> None:  # type: ignore[type-arg]
    result, _ = compiled
    steps = {(m.address, m.title): m.instructions for m in result.manual}
    stages = steps[("pipeline.new_business", "Set the properties each stage of New Business requires")]
    assert "Settings \u203a Objects \u203a Deals \u203a Pipelines \u203a New Business \u203a Edit stage properties" in stages
    assert "Proposal Sent: Amount (amount), closedate, Seats (seats)" in stages
    assert "Create deal form, mark Amount (amount) as required" in steps[("field.deal.amount", "Make Amount (amount) required")]
    assert "'Customer Success' and grant" in steps[("permission.customer_success",
                                                      "Set up the permission set Customer Success")]
    assert "Lifecycle stages" in steps[("pipeline.lifecycle", "Set up the Contact Lifecycle as HubSpot lifecycle stages")]
    built_by_hand = {a for a, t in steps if a.startswith("automation.")}
    # Tasks for a team: HubSpot assigns tasks to users.
    assert built_by_hand == {"automation.renewal_kickoff", "automation.customer_success_handoff"}
    assert "named exactly '[crmconf] renewal_kickoff'" in steps[("automation.renewal_kickoff",
                                                                 "Build the workflow [crmconf] renewal_kickoff by hand")]
    assert not any("E.164" in text for text in steps.values())  # the phone format is a managed rule now


def test_unsupported_objects_are_said_not_skipped(tmp_path: Path) -> None:
    (tmp_path / "crmconf.yaml").write_text("version: 1\n")
    (tmp_path / "x.yaml").write_text(
        "fields:\n  lead:\n    - {name: score, label: Score, type: number}\n"
        "pipelines:\n  - name: onboarding\n    object: lead\n    label: Onboarding\n"
        "    stages: [{name: kickoff, label: Kick-off}]\n"
        "  - name: accounts\n    object: company\n    label: Accounts\n"
        "    stages: [{name: prospect, label: Prospect}, {name: customer, label: Customer}]\n")
    ws = require_valid(tmp_path, TODAY)
    result, desired = compile_spec(ws.spec, ws.sources)
    assert [(d.code, d.severity.value) for d in result.diagnostics] == [("P401", "warning"), ("P402", "warning")]
    assert result.resources == ()
    # Companies have a lifecycle pipeline: a manual step naming its place, read for workflows on it.
    (step,) = result.manual
    assert "Settings \u203a Objects \u203a Companies \u203a Lifecycle stages" in step.instructions
    assert desired.lifecycle == {"accounts": "company"}


# --- the flow compiler ------------------------------------------------------------------------------

IDS = flows.Lookups(
    stage_id={"new_business.proposal": "150000003", "lifecycle.mql": "marketingqualifiedlead"}.get,
    stage_ref=lambda obj, sid: {"150000003": "new_business.proposal",
                                "marketingqualifiedlead": "lifecycle.mql"}.get(sid),
    owner_id={"maria@acme.example": "41000009", "jo@acme.example": "41000010"},
    owner_email={"41000009": "maria@acme.example", "41000010": "jo@acme.example"},
    user_id={"cfo@acme.example": "9100009"}, user_email={"9100009": "cfo@acme.example"},
    team_id={"sales": "8001", "sdr": "8002"}, team_name={"8001": "sales", "8002": "sdr"},
    property_type=lambda obj, prop: {"lead_source": "enumeration", "seats": "number", "closedate": "datetime",
                                     "is_partner": "bool"}.get(prop, "string"),
    pipeline_id={"new_business": "75000001"}.get,
    pipeline_name=lambda obj, pid: {"75000001": "new_business"}.get(pid),
)


def automation(**data: object) -> Automation:
    return Automation.model_validate({"name": "a", "object": "deal", "owner": "maria@acme.example", **data})


TRIGGERS: dict[str, dict[str, object]] = {
    "stage entered": {"stage_entered": "new_business.proposal"},
    "record created": {"record_created": {"where": {"lead_source": "Inbound", "seats": 10, "is_partner": True}}},
    "field changed to": {"field_changed": {"field": "seats", "to": 100}},
    "field changed": {"field_changed": {"field": "seats"}},
    "stale in stage": {"stale_in_stage": {"days": 14, "pipeline": "new_business"}},
    "date reached": {"date_reached": {"field": "close_date", "offset": "-90d"}},
}
ACTIONS: dict[str, dict[str, object]] = {
    "task for the owner": {"create_task": {"subject": "Follow up", "due_in": "3d"}},
    "task for a user": {"create_task": {"subject": "Call", "due_in": "12h", "assign_to": "maria@acme.example"}},
    "set a field": {"set_field": {"field": "lead_source", "value": "Outbound"}},
    "clear a field": {"set_field": {"field": "close_date", "value": None}},
    "notify": {"notify": {"to": ["team:sales", "record_owner", "cfo@acme.example"], "message": "New!"}},
    "round robin": {"assign_round_robin": {"team": "sdr", "among": ["jo@acme.example", "maria@acme.example"]}},
}
ROUND_TRIPS = {f"{t}, {a}": automation(trigger=trigger, actions=[action], description="Why", status=status)
               for t, trigger in TRIGGERS.items() for (a, action), status in
               zip(ACTIONS.items(), ("active", "inactive") * 3, strict=True)}
ROUND_TRIPS["every action, in order"] = automation(trigger=TRIGGERS["stage entered"], actions=list(ACTIONS.values()))
ROUND_TRIPS["a contact lifecycle stage"] = automation(object="contact", trigger={"stage_entered": "lifecycle.mql"},
                                                      actions=[ACTIONS["notify"]])
ROUND_TRIPS["a stale contact"] = automation(object="contact", trigger={"stale_in_stage": {"days": 30}},
                                            actions=[ACTIONS["task for the owner"]])


@pytest.mark.parametrize("a", ROUND_TRIPS.values(), ids=ROUND_TRIPS.keys())
def test_compiled_flows_read_back_to_the_same_automation(a: Automation) -> None:
    assert flows.unsupported(a, {"lifecycle": "contact"}) is None
    normal = flows.normalise(a)
    body = flows.to_flow(a.name, normal, IDS)
    assert body["name"] == "[crmconf] a" and body["isEnabled"] is (a.status == "active")
    assert flows.from_flow(body, IDS) == normal
    # As HubSpot validates and stores it (defaults filled in, values re-spelt): the same automation.
    stored = hubspot_flows.stored(hubspot_flows.check_create(copy.deepcopy(body)))
    assert stored != body and flows.from_flow(stored, IDS) == normal
    assert flows.written_by_crmconf(stored)  # what crmconf wrote, whatever HubSpot filled in


def test_triggers_that_fire_again_list_their_re_enrolment_triggers() -> None:
    def criteria(trigger: str) -> dict[str, object]:
        body = flows.to_flow("a", flows.normalise(automation(trigger=TRIGGERS[trigger], actions=[
            ACTIONS["notify"]])), IDS)
        return body["enrollmentCriteria"]  # type: ignore[no-any-return]

    entered = criteria("stage entered")
    assert entered["shouldReEnroll"] is True
    (branch,) = entered["reEnrollmentTriggersFilterBranches"]  # type: ignore[misc]
    assert [(f["property"], f["operation"].get("value") or f["operation"].get("values")) for f in branch["filters"]] \
        == [("hs_name", "dealstage"), ("hs_value", ["150000003"])]
    for trigger in ("field changed to", "field changed", "stale in stage", "date reached"):
        assert criteria(trigger)["shouldReEnroll"] is True and criteria(trigger)["reEnrollmentTriggersFilterBranches"]
    created = criteria("record created")
    assert created["shouldReEnroll"] is False and created["reEnrollmentTriggersFilterBranches"] == []


def test_a_flow_body_speaks_v4() -> None:
    body = flows.to_flow("a", flows.normalise(ROUND_TRIPS["stage entered, task for the owner"]), IDS)
    assert (body["type"], body["objectTypeId"], body["flowType"]) == ("PLATFORM_FLOW", "0-3", "WORKFLOW")
    assert {k: body[k] for k in ("blockedDates", "timeWindows", "dataSources")} == {
        "blockedDates": [], "timeWindows": [], "dataSources": []}
    assert list(body["customProperties"]) == ["crmconf.digest"] and flows.written_by_crmconf(body)
    (task,) = body["actions"]
    assert task["actionTypeId"] == "0-3" and task["fields"]["due_time"]["delta"] == 3
    assert task["fields"]["associations"][0]["target"]["associationTypeId"] == 216  # task -> deal
    branch = body["enrollmentCriteria"]["listFilterBranch"]["filterBranches"][0]
    assert branch["filters"][0] == {"filterType": "PROPERTY", "property": "dealstage", "operation": {
        "operationType": "ENUMERATION", "operator": "IS_ANY_OF", "includeObjectsWithNoValueSet": False,
        "values": ["150000003"]}}
    put = flows.for_put(body, "7")
    assert put["revisionId"] == "7" and not put.keys() & {"objectTypeId", "flowType", "dataSources"}
    contact = flows.to_flow("a", flows.normalise(ROUND_TRIPS["a contact lifecycle stage"]), IDS)
    assert (contact["canEnrollFromSalesforce"], contact["suppressionListIds"]) == (False, [])


@pytest.mark.parametrize(("edit", "read"), [
    (lambda b: b["actions"][0].update(actionTypeId="0-4"), {"actions": [{"unrecognised": "action type 0-4"}]}),
    (lambda b: b.update(enrollmentCriteria={"type": "EVENT_BASED"}), {"trigger": {"unrecognised": "EVENT_BASED"}}),
    (lambda b: b["enrollmentCriteria"].update(reEnrollmentTriggersFilterBranches=[], shouldReEnroll=False),
     {"trigger": {"unrecognised": "enrollment criteria edited in HubSpot"}}),
    (lambda b: b["actions"][0]["fields"].update(priority="HIGH"),
     {"actions": [{"unrecognised": "action 1 edited in HubSpot"}]}),
])
def test_hand_edits_read_back_as_unrecognised(edit: Any, read: dict[str, object]) -> None:
    body = flows.to_flow("a", flows.normalise(ROUND_TRIPS["stage entered, task for the owner"]), IDS)
    edit(body)
    decoded = flows.from_flow(body, IDS)
    assert {k: decoded[k] for k in read} == read


@pytest.mark.parametrize(("data", "reason"), [
    ({"trigger": {"record_created": {}}, "actions": [{"create_task": {"subject": "x", "assign_to": "team:sales"}}]},
     "not teams"),
    ({"trigger": {"field_changed": {"field": "stage"}}, "actions": [{"create_task": {"subject": "x"}}]},
     "use stage_entered"),
    ({"object": "lead", "trigger": {"record_created": {}}, "actions": [{"create_task": {"subject": "x"}}]},
     "on lead records"),
])
def test_what_cannot_compile_says_why(data: dict[str, object], reason: str) -> None:
    assert reason in (flows.unsupported(automation(**data)) or "")


# --- small mappings -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("label", "name"), [("Decision Maker Bought-In", "decision_maker_bought_in"),
                                             ("2024 Renewals", "x_2024_renewals"), ("", "x")])
def test_slug(label: str, name: str) -> None:
    assert slug(label) == name


@pytest.mark.parametrize(("meta", "outcome"), [({"isClosed": "true", "probability": "1.0"}, "won"),
                                               ({"isClosed": "true", "probability": "0.0"}, "lost"),
                                               ({"isClosed": "false", "probability": "1.0"}, None)])
def test_deal_outcomes(meta: dict[str, str], outcome: str | None) -> None:
    assert deal_outcome(meta) == outcome


def test_stage_metadata() -> None:
    assert stage_metadata("deal", 60, None) == {"probability": "0.6", "isClosed": "false"}
    assert stage_metadata("deal", 100, "won") == {"probability": "1.0", "isClosed": "true"}
    assert stage_metadata("ticket", None, "closed") == {"ticketState": "CLOSED"}


@pytest.mark.parametrize(("hs", "spec"), [(("string", "phonenumber"), "phone"), (("string", "text"), "text"), (("enumeration", "radio"), "picklist"),
                                          (("enumeration", "checkbox"), "multipicklist"), (("bool", "booleancheckbox"),
                                                                                             "boolean")])
def test_live_types_collapse_like_spec_types(hs: tuple[str, str], spec: str) -> None:
    assert spec_type(*hs) == spec


def test_the_provider_needs_no_network_to_compile(tmp_path: Path) -> None:
    provider = HubSpotProvider(ProviderContext("t", {"token_env": "NOT_SET_ANYWHERE"}, tmp_path))
    ws = require_valid(REPO / "specs", TODAY)
    assert provider.compile(ws.spec, ws.sources).resources
    assert provider.client.requests == 0


def test_a_forecast_category_is_said_to_go_nowhere_on_hubspot(tmp_path: Path) -> None:
    from crmconf_hubspot.checks import check_spec

    from crmconf.spec.workspace import load_workspace

    (tmp_path / "crmconf.yaml").write_text("version: 1\ndefault_target: hs\ntargets:\n  hs: {provider: hubspot, "
                                           "settings: {token_env: HUBSPOT_TOKEN}}\n")
    (tmp_path / "p.yaml").write_text(
        "pipelines:\n  - name: nb\n    object: deal\n    label: NB\n    stages:\n"
        "      - {name: open, label: Open, probability: 50, forecast_category: best_case}\n"
        "      - {name: won, label: Won, probability: 100, outcome: won}\n")
    ws = load_workspace(tmp_path)
    assert ws.spec is not None, ws.diagnostics
    [said] = check_spec(ws.spec, ws.sources, "hs")
    assert said.code == "P404" and not said.is_error and "nb.open" in said.message
    assert said.location is not None and (said.location.file, said.location.line) == ("p.yaml", 6)
