"""The HubSpot emulator, driven through the real hubspot-api-client with response validation on.

Every call decodes into the client's generated models with `client_side_validation=True`, so a
missing required field or an out-of-enum value in the emulator's answers fails these tests.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import urllib3
from hubspot import HubSpot
from hubspot.crm.objects import (
    BatchInputSimplePublicObjectBatchInput,
    PublicObjectSearchRequest,
    SimplePublicObjectBatchInput,
)
from hubspot.crm.pipelines import (
    PipelineInput,
    PipelinePatchInput,
    PipelineStageInput,
    PipelineStagePatchInput,
)
from hubspot.crm.properties import (
    BatchInputPropertyCreate,
    BatchInputPropertyName,
    BatchReadInputPropertyName,
    OptionInput,
    PropertyCreate,
    PropertyGroupCreate,
    PropertyGroupUpdate,
    PropertyName,
    PropertyUpdate,
)

from tests.emulators.hubspot import HubSpotEmulator, seed_scale
from tests.emulators.hubspot_flows import as_put

REPO = Path(__file__).resolve().parents[2]
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


@pytest.fixture
def emu() -> Iterator[HubSpotEmulator]:
    with HubSpotEmulator() as emulator:
        yield emulator


def make_client(emu: HubSpotEmulator, **config: Any) -> HubSpot:
    """The real client, retargeted at the emulator, decoding with validation on."""
    return HubSpot(access_token=emu.token, host=emu.base_url, base_url=emu.base_url,
                   client_side_validation=True, **config)


@pytest.fixture
def client(emu: HubSpotEmulator) -> HubSpot:
    return make_client(emu)


@dataclass
class Refusal:
    status: int
    body: dict[str, Any]
    headers: Any


def refusal(call: Callable[[], Any]) -> Refusal:
    """Runs a client call that must fail with an HTTP status (each hubspot package raises its own
    ApiException class, with no shared base, so they are told apart by `.status`)."""
    try:
        call()
    except Exception as exc:
        status = getattr(exc, "status", None)
        if status is None:
            raise
        raw = getattr(exc, "body", None)
        return Refusal(status, json.loads(raw) if raw else {}, getattr(exc, "headers", None))
    raise AssertionError("the call was expected to fail but succeeded")


def deal_stage(label: str, order: int, probability: str = "0.5") -> PipelineStageInput:
    return PipelineStageInput(label=label, display_order=order, metadata={"probability": probability})


def new_property(name: str, **overrides: Any) -> PropertyCreate:
    fields = {"name": name, "label": name.title(), "type": "string", "field_type": "text",
              "group_name": "dealinformation", **overrides}
    return PropertyCreate(**fields)


def search(client: HubSpot, obj: str, filters: list[dict[str, Any]], **kw: Any) -> Any:
    request = PublicObjectSearchRequest(filter_groups=[{"filters": filters}], **kw)
    return client.crm.objects.search_api.do_search(obj, request)


def flows_request(client: HubSpot, method: str, path: str = "", **options: Any) -> requests.Response:
    response: requests.Response = client.api_request(
        {"method": method, "path": f"/automation/v4/flows{path}", **options})
    return response


# ---- client plumbing ---------------------------------------------------------------------------

def test_client_decodes_with_validation_on(client: HubSpot) -> None:
    for api in (client.crm.pipelines.pipelines_api, client.crm.properties.core_api,
                client.crm.objects.search_api, client.settings.users.users_api, client.crm.owners.owners_api):
        assert api.api_client.configuration.client_side_validation is True


def test_validation_catches_a_missing_required_field(emu: HubSpotEmulator, client: HubSpot) -> None:
    # Corrupt the emulator (not the client): the same call that passes elsewhere must now fail.
    del emu.portal.pipelines["deals"]["default"]["createdAt"]
    with pytest.raises(ValueError, match="created_at"):
        client.crm.pipelines.pipelines_api.get_all("deals")


# ---- pipelines ---------------------------------------------------------------------------------

def test_default_deal_pipeline_is_hubspots(client: HubSpot) -> None:
    (pipeline,) = client.crm.pipelines.pipelines_api.get_all("deals").results
    assert pipeline.id == "default"
    assert [(s.id, s.metadata["probability"]) for s in pipeline.stages] == [
        ("appointmentscheduled", "0.2"), ("qualifiedtobuy", "0.4"), ("presentationscheduled", "0.6"),
        ("decisionmakerboughtin", "0.8"), ("contractsent", "0.9"), ("closedwon", "1.0"),
        ("closedlost", "0.0")]
    assert {s.id for s in pipeline.stages if s.metadata["isClosed"] == "true"} == {"closedwon", "closedlost"}
    assert pipeline.stages[0].created_at.year == 1970


def test_default_ticket_pipeline(client: HubSpot) -> None:
    (pipeline,) = client.crm.pipelines.pipelines_api.get_all("tickets").results
    assert pipeline.id == "0"
    assert [(s.id, s.label, s.metadata["ticketState"]) for s in pipeline.stages] == [
        ("1", "New", "OPEN"), ("2", "Waiting on contact", "OPEN"), ("3", "Waiting on us", "OPEN"),
        ("4", "Closed", "CLOSED")]


@pytest.mark.parametrize(("name", "type_id"), [("deals", "0-3"), ("tickets", "0-5")])
def test_object_type_ids_are_aliases(client: HubSpot, name: str, type_id: str) -> None:
    api = client.crm.pipelines.pipelines_api
    assert [p.id for p in api.get_all(type_id).results] == [p.id for p in api.get_all(name).results]


def test_pipeline_lifecycle(emu: HubSpotEmulator, client: HubSpot) -> None:
    api = client.crm.pipelines.pipelines_api
    created = api.create("deals", PipelineInput(label="Renewals", display_order=1,
                                                stages=[deal_stage("Open", 0), deal_stage("Won", 1, "1.0")]))
    assert created.id not in ("", "default") and all(s.id for s in created.stages)
    assert api.get_by_id("deals", created.id).label == "Renewals"

    renamed = api.update("deals", created.id, PipelinePatchInput(label="Renewals 2025", display_order=3))
    assert (renamed.label, renamed.display_order) == ("Renewals 2025", 3)

    open_id = created.stages[0].id
    replaced = api.replace("deals", created.id, PipelineInput(
        label="Renewals 2025", display_order=3,
        stages=[deal_stage("Open", 0, "0.3"), deal_stage("Lost", 1, "0")]))
    by_label = {s.label: s for s in replaced.stages}
    assert by_label["Open"].id == open_id and by_label["Open"].metadata["probability"] == "0.3"
    assert set(by_label) == {"Open", "Lost"}

    api.archive("deals", created.id)
    assert [p["id"] for p in emu.pipelines("deals")] == ["default"]
    err = refusal(lambda: api.get_by_id("deals", created.id))
    assert err.status == 404

    restored = api.update("deals", created.id, PipelinePatchInput(archived=False))
    assert restored.archived is False and len(emu.pipelines("deals")) == 2


@pytest.mark.parametrize("metadata", [{}, {"probability": "1.5"}, {"probability": "high"},
                                      {"probability": "0.55"}, {"probability": "0.25"}])
def test_deal_stage_needs_a_valid_probability(client: HubSpot, metadata: dict[str, str]) -> None:
    stage = PipelineStageInput(label="Bad", display_order=0, metadata=metadata)
    pipeline = PipelineInput(label="P", display_order=1, stages=[stage])
    err = refusal(lambda: client.crm.pipelines.pipelines_api.create("deals", pipeline))
    assert err.status == 400 and err.body["category"] == "VALIDATION_ERROR"


def test_pipeline_label_must_be_unique(client: HubSpot) -> None:
    err = refusal(lambda: client.crm.pipelines.pipelines_api.create(
        "deals", PipelineInput(label="Sales Pipeline", display_order=2, stages=[deal_stage("A", 0)])))
    assert err.status == 409


def test_stage_lifecycle(client: HubSpot) -> None:
    api = client.crm.pipelines.pipeline_stages_api
    stage = api.create("tickets", "0", PipelineStageInput(label="Escalated", display_order=5,
                                                          metadata={"ticketState": "OPEN"}))
    assert stage.id and stage.metadata == {"ticketState": "OPEN"}
    assert api.get_by_id("tickets", "0", stage.id).label == "Escalated"
    assert stage.id in [s.id for s in api.get_all("tickets", "0").results]

    patched = api.update("tickets", "0", stage.id,
                         PipelineStagePatchInput(metadata={"ticketState": "CLOSED"}))
    assert patched.metadata["ticketState"] == "CLOSED" and patched.label == "Escalated"
    replaced = api.replace("tickets", "0", stage.id, PipelineStageInput(label="Escalated!", display_order=6))
    assert (replaced.id, replaced.label, replaced.display_order) == (stage.id, "Escalated!", 6)

    api.archive("tickets", "0", stage.id)
    err = refusal(lambda: api.get_by_id("tickets", "0", stage.id))
    assert err.status == 404


def test_stage_with_records_cannot_be_deleted_until_they_move(emu: HubSpotEmulator, client: HubSpot) -> None:
    stages = client.crm.pipelines.pipeline_stages_api
    err = refusal(lambda: stages.archive("deals", "default", "appointmentscheduled"))
    error = err.body
    assert err.status == 400 and error["category"] == "VALIDATION_ERROR"
    assert "is in use by 2 deals" in error["message"] and error["context"]["count"] == ["2"]

    waiting = search(client, "deals", [{"propertyName": "dealstage", "operator": "EQ",
                                        "value": "appointmentscheduled"}])
    moves = [SimplePublicObjectBatchInput(id=r.id, properties={"dealstage": "qualifiedtobuy"})
             for r in waiting.results]
    client.crm.objects.batch_api.update("deals", BatchInputSimplePublicObjectBatchInput(inputs=moves))
    stages.archive("deals", "default", "appointmentscheduled")
    assert "appointmentscheduled" not in [s["id"] for s in emu.pipelines("deals")[0]["stages"]]


def test_pipeline_with_records_cannot_be_deleted(emu: HubSpotEmulator, client: HubSpot) -> None:
    api = client.crm.pipelines.pipelines_api
    pipeline = api.create("deals", PipelineInput(label="Partners", display_order=1,
                                                 stages=[deal_stage("Open", 0)]))
    emu.add_record("deals", {"dealname": "Partner deal", "pipeline": pipeline.id,
                             "dealstage": pipeline.stages[0].id})
    err = refusal(lambda: api.archive("deals", pipeline.id))
    assert err.status == 400 and "in use by 1 deals" in err.body["message"]
    # The v3 API deletes regardless when told not to validate (records are stranded).
    api.archive("deals", pipeline.id, validate_deal_stage_usages_before_delete=False)
    assert [p["id"] for p in emu.pipelines("deals")] == ["default"]


def test_v3_default_of_not_validating_can_be_reproduced(emu: HubSpotEmulator, client: HubSpot) -> None:
    emu.validate_deletes_by_default = False
    client.crm.pipelines.pipeline_stages_api.archive("deals", "default", "appointmentscheduled")
    assert any(r["properties"]["dealstage"] == "appointmentscheduled" for r in emu.records("deals"))


def test_replacing_a_pipeline_cannot_drop_a_used_stage(client: HubSpot) -> None:
    err = refusal(lambda: client.crm.pipelines.pipelines_api.replace("deals", "default", PipelineInput(
        label="Sales Pipeline", display_order=0, stages=[deal_stage("Only", 0)])))
    assert err.status == 400 and "in use" in err.body["message"]


# ---- properties and groups ---------------------------------------------------------------------

def test_seeded_properties_have_the_real_shape(client: HubSpot) -> None:
    props = {p.name: p for p in client.crm.properties.core_api.get_all("contacts").results}
    assert 10 <= len(props) <= 20
    lifecycle = props["lifecyclestage"]
    assert lifecycle.hubspot_defined and lifecycle.type == "enumeration"
    assert [o.value for o in lifecycle.options][:3] == ["subscriber", "lead", "marketingqualifiedlead"]
    assert props["email"].options == [] and props["email"].description == ""
    assert props["email"].modification_metadata.archivable is False
    assert props["preferred_channel"].hubspot_defined is False


@pytest.mark.parametrize(("obj", "expected"), [
    ("companies", {"name", "domain", "industry"}), ("deals", {"dealname", "amount", "dealstage", "dealtype"}),
    ("tickets", {"subject", "content", "hs_pipeline", "hs_pipeline_stage", "hs_ticket_priority"}),
    ("0-1", {"email", "firstname", "lastname", "hs_lead_status"})])
def test_seeded_properties_per_object(client: HubSpot, obj: str, expected: set[str]) -> None:
    names = {p.name for p in client.crm.properties.core_api.get_all(obj).results}
    assert expected <= names


def test_pipeline_properties_list_live_stages(client: HubSpot) -> None:
    dealstage = client.crm.properties.core_api.get_by_name("deals", "dealstage")
    assert "closedwon" in [o.value for o in dealstage.options]


def test_property_lifecycle(client: HubSpot) -> None:
    core = client.crm.properties.core_api
    low = OptionInput(label="Low", value="low", hidden=False)
    created = core.create("deals", new_property("renewal_risk", type="enumeration", field_type="select",
                                                 options=[low]))
    assert (created.name, created.hubspot_defined, created.archived) == ("renewal_risk", False, False)
    assert created.modification_metadata.archivable is True

    err = refusal(lambda: core.create("deals", new_property("renewal_risk")))
    assert err.status == 409 and "already exists" in err.body["message"]

    high = OptionInput(label="High", value="high", hidden=False)
    updated = core.update("deals", "renewal_risk", PropertyUpdate(label="Renewal risk", options=[low, high]))
    assert updated.label == "Renewal risk" and [o.value for o in updated.options] == ["low", "high"]

    core.archive("deals", "renewal_risk")
    assert "renewal_risk" not in {p.name for p in core.get_all("deals").results}
    assert "renewal_risk" in {p.name for p in core.get_all("deals", archived=True).results}
    assert core.get_by_name("deals", "renewal_risk", archived=True).archived is True


@pytest.mark.parametrize(("prop", "reason"), [
    (new_property("Bad-Name"), "invalid"), (new_property("x_select", field_type="select"), "fieldType"),
    (new_property("x_group", group_name="nope"), "does not exist")])
def test_property_create_is_validated(client: HubSpot, prop: PropertyCreate, reason: str) -> None:
    err = refusal(lambda: client.crm.properties.core_api.create("deals", prop))
    assert err.status == 400 and reason in err.body["message"]


def test_hubspot_defined_property_cannot_be_archived(client: HubSpot) -> None:
    err = refusal(lambda: client.crm.properties.core_api.archive("contacts", "email"))
    assert err.status == 400 and err.body["category"] == "VALIDATION_ERROR"


def test_batch_read_properties(client: HubSpot) -> None:
    batch = client.crm.properties.batch_api
    found = batch.read("deals", BatchReadInputPropertyName(archived=False,
                                                           inputs=[PropertyName(name="amount")]))
    assert [p.name for p in found.results] == ["amount"] and found.status == "COMPLETE"
    partial, status, _ = batch.read_with_http_info("deals", BatchReadInputPropertyName(
        archived=False, inputs=[PropertyName(name="amount"), PropertyName(name="missing")]))
    assert status == 207 and partial.num_errors == 1 and partial.errors[0].context == {"name": ["missing"]}


def test_batch_create_properties(client: HubSpot) -> None:
    batch = client.crm.properties.batch_api
    created, status, _ = batch.create_with_http_info("tickets", BatchInputPropertyCreate(
        inputs=[new_property("sla_tier", group_name="ticketinformation"),
                new_property("region", group_name="ticketinformation")]))
    assert status == 201 and sorted(p.name for p in created.results) == ["region", "sla_tier"]
    again, status, _ = batch.create_with_http_info("tickets", BatchInputPropertyCreate(
        inputs=[new_property("sla_tier", group_name="ticketinformation"),
                new_property("channel", group_name="ticketinformation")]))
    assert status == 207 and [p.name for p in again.results] == ["channel"]
    assert again.errors[0].category == "OBJECT_ALREADY_EXISTS"


def test_batch_archive_properties(emu: HubSpotEmulator, client: HubSpot) -> None:
    batch = client.crm.properties.batch_api
    _, status, _ = batch.archive_with_http_info("contacts", BatchInputPropertyName(
        inputs=[PropertyName(name="preferred_channel")]))
    assert status == 204
    _, status, _ = batch.archive_with_http_info("contacts", BatchInputPropertyName(
        inputs=[PropertyName(name="nps_score"), PropertyName(name="email")]))
    assert status == 207  # email is HubSpot-defined: refused; nps_score: archived
    names = {p["name"] for p in emu.properties("contacts")}
    assert "email" in names and "nps_score" not in names and "preferred_channel" not in names


def test_property_groups(client: HubSpot) -> None:
    groups = client.crm.properties.groups_api
    assert {"contactinformation", "sales_properties"} <= {g.name for g in groups.get_all("contacts").results}
    created = groups.create("deals", PropertyGroupCreate(name="renewals", label="Renewals", display_order=4))
    assert (created.name, created.archived) == ("renewals", False)
    updated = groups.update("deals", "renewals", PropertyGroupUpdate(label="Renewal info"))
    assert updated.label == "Renewal info"
    assert groups.get_by_name("deals", "renewals").label == "Renewal info"
    groups.archive("deals", "renewals")
    err = refusal(lambda: groups.get_by_name("deals", "renewals"))
    assert err.status == 404


# ---- CRM records -------------------------------------------------------------------------------

@pytest.mark.parametrize(("filters", "count"), [
    ([{"propertyName": "dealstage", "operator": "EQ", "value": "appointmentscheduled"}], 2),
    ([{"propertyName": "dealstage", "operator": "IN", "values": ["closedwon", "closedlost"]}], 2),
    ([{"propertyName": "dealtype", "operator": "HAS_PROPERTY"}], 5),
    ([{"propertyName": "competitor", "operator": "EQ", "value": "umbrella"}], 1),
    ([{"propertyName": "amount", "operator": "GTE", "value": "22000"},
      {"propertyName": "pipeline", "operator": "EQ", "value": "default"}], 3),
])
def test_search_filters(client: HubSpot, filters: list[dict[str, Any]], count: int) -> None:
    assert search(client, "deals", filters).total == count


def test_search_pages_through_every_match(emu: HubSpotEmulator, client: HubSpot) -> None:
    for i in range(7):
        emu.add_record("contacts", {"email": f"p{i}@example.com", "lifecyclestage": "lead"})
    seen, after = [], None
    while True:
        leads = [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"}]
        page = search(client, "contacts", leads, properties=["email"], limit=3, after=after)
        seen += [r.properties["email"] for r in page.results]
        if page.paging is None:
            break
        after = page.paging.next.after
    assert page.total == 8 and len(seen) == 8 == len(set(seen))


def test_list_records_pages(client: HubSpot) -> None:
    api, ids, after = client.crm.objects.basic_api, [], None
    while True:
        page = api.get_page("deals", limit=4, after=after, properties=["dealname"])
        ids += [r.id for r in page.results]
        if page.paging is None:
            break
        after = page.paging.next.after
    assert len(ids) == 6 and all(r.properties["dealname"] for r in page.results)


def test_batch_update_records(emu: HubSpotEmulator, client: HubSpot) -> None:
    ticket = next(r for r in emu.records("tickets") if r["properties"]["hs_pipeline_stage"] == "2")
    updated, status, _ = client.crm.objects.batch_api.update_with_http_info(
        "tickets", BatchInputSimplePublicObjectBatchInput(inputs=[
            SimplePublicObjectBatchInput(id=ticket["id"], properties={"hs_pipeline_stage": "3"}),
            SimplePublicObjectBatchInput(id="999", properties={"hs_pipeline_stage": "3"})]))
    assert status == 207 and [r.id for r in updated.results] == [ticket["id"]]
    assert updated.errors[0].category == "OBJECT_NOT_FOUND"
    moved = next(r for r in emu.records("tickets") if r["id"] == ticket["id"])
    assert moved["properties"]["hs_pipeline_stage"] == "3"


@pytest.mark.parametrize(("properties", "problem"), [
    ({"dealstage": "nowhere"}, "not a valid stage"), ({"no_such_prop": "x"}, "PROPERTY_DOESNT_EXIST"),
    ({"dealtype": "bogus"}, "INVALID_OPTION")])
def test_batch_update_validates_values(emu: HubSpotEmulator, client: HubSpot, properties: dict[str, str],
                                       problem: str) -> None:
    deal_id = emu.records("deals")[0]["id"]
    batch = BatchInputSimplePublicObjectBatchInput(
        inputs=[SimplePublicObjectBatchInput(id=deal_id, properties=properties)])
    err = refusal(lambda: client.crm.objects.batch_api.update("deals", batch))
    assert err.status == 400 and problem in err.body["message"]


def test_batch_update_is_limited_to_100(client: HubSpot) -> None:
    inputs = [SimplePublicObjectBatchInput(id=str(i), properties={"dealname": "x"}) for i in range(101)]
    batch = BatchInputSimplePublicObjectBatchInput(inputs=inputs)
    err = refusal(lambda: client.crm.objects.batch_api.update("deals", batch))
    assert err.status == 400


# ---- workflows (v4 through api_request) ----------------------------------------------------------

def _new_flow(name: str = "Welcome") -> dict[str, Any]:
    return {"name": name, "type": "CONTACT_FLOW", "objectTypeId": "0-1", "flowType": "WORKFLOW",
            "isEnabled": False, "startActionId": "1", "blockedDates": [], "timeWindows": [],
            "customProperties": {}, "dataSources": [], "canEnrollFromSalesforce": False, "suppressionListIds": [],
            "actions": [{"type": "SINGLE_CONNECTION", "actionId": "1", "actionTypeVersion": 0,
                         "actionTypeId": "0-4", "fields": {"content_id": "42"}}],
            "enrollmentCriteria": {"type": "LIST_BASED", "shouldReEnroll": False,
                                   "unEnrollObjectsNotMeetingCriteria": False,
                                   "reEnrollmentTriggersFilterBranches": [], "listFilterBranch": {
                                       "filterBranchType": "OR", "filterBranchOperator": "OR", "filters": [],
                                       "filterBranches": []}}}


put_body = as_put


def test_flows_list_pages(client: HubSpot) -> None:
    summaries, after = [], None
    while True:
        page = flows_request(client, "GET", qs={"limit": 4, **({"after": after} if after else {})}).json()
        summaries += page["results"]
        if "paging" not in page:
            break
        after = page["paging"]["next"]["after"]
    assert len(summaries) == 6 and {s["flowType"] for s in summaries} == {"WORKFLOW"}
    assert {"id", "revisionId", "isEnabled", "objectTypeId", "createdAt", "updatedAt", "name", "uuid"} <= set(
        summaries[0])
    assert {s["isEnabled"] for s in summaries} == {True, False}


def test_flow_detail_has_the_full_shape(client: HubSpot) -> None:
    flow = flows_request(client, "GET", "/1500003").json()
    assert flow["type"] == "PLATFORM_FLOW" and flow["objectTypeId"] == "0-3"
    assert flow["actions"][0]["actionTypeId"] == "0-3" and flow["enrollmentCriteria"]["type"] == "LIST_BASED"
    assert {"description", "nextAvailableActionId", "startActionId", "revisionId"} <= set(flow)


def test_flow_lifecycle_and_stale_revision(emu: HubSpotEmulator, client: HubSpot) -> None:
    response = flows_request(client, "POST", body=_new_flow())
    assert response.status_code == 201
    created = response.json()
    assert created["revisionId"] == "1" and ISO_Z.match(created["createdAt"])

    edit = {**put_body(created), "isEnabled": True}
    replaced = flows_request(client, "PUT", f"/{created['id']}", body=edit)
    assert replaced.status_code == 200 and replaced.json()["revisionId"] == "2"
    assert replaced.json()["isEnabled"] is True

    stale = flows_request(client, "PUT", f"/{created['id']}", body={**edit, "name": "Lost update"})
    assert stale.status_code == 409 and stale.json()["category"] == "CONFLICT"
    assert next(f for f in emu.flows() if f["id"] == created["id"])["name"] == "Welcome"

    assert flows_request(client, "DELETE", f"/{created['id']}").status_code == 204
    assert flows_request(client, "GET", f"/{created['id']}").status_code == 404


def test_flow_put_requires_revision(client: HubSpot) -> None:
    flow = put_body(flows_request(client, "GET", "/1500001").json())
    del flow["revisionId"]
    assert flows_request(client, "PUT", "/1500001", body=flow).status_code == 400


def test_flow_create_is_validated(client: HubSpot) -> None:
    broken = _new_flow()
    broken["actions"][0]["connection"] = {"edgeType": "STANDARD", "nextActionId": "9"}
    response = flows_request(client, "POST", body=broken)
    assert response.status_code == 400 and response.json()["category"] == "VALIDATION_ERROR"


def test_flows_batch_read(client: HubSpot) -> None:
    inputs = [{"flowId": "1500001", "type": "FLOW_ID"}, {"flowId": "1500005", "type": "FLOW_ID"}]
    full = flows_request(client, "POST", "/batch/read", body={"inputs": inputs})
    assert full.status_code == 200 and [f["id"] for f in full.json()["results"]] == ["1500001", "1500005"]
    missing = {"flowId": "7", "type": "FLOW_ID"}
    partial = flows_request(client, "POST", "/batch/read", body={"inputs": [*inputs, missing]})
    assert partial.status_code == 207 and partial.json()["numErrors"] == 1


# ---- users, roles, teams, owners -----------------------------------------------------------------

def test_users_page_through(client: HubSpot) -> None:
    emails, after = [], None
    while True:
        page = client.settings.users.users_api.get_page(limit=3, after=after)
        emails += [u.email for u in page.results]
        if page.paging is None:
            break
        after = page.paging.next.after
    assert len(emails) == 7 and "pat.former@acme.example" not in emails
    assert all(e.endswith("@acme.example") for e in emails)


def test_roles_and_teams(client: HubSpot) -> None:
    roles = {r.name for r in client.settings.users.roles_api.get_all().results}
    teams = {t.name: t for t in client.settings.users.teams_api.get_all().results}
    assert roles == {"Sales Rep", "Sales Manager", "Customer Success"}
    assert set(teams) == {"sales", "sdr", "customer-success", "marketing", "revops", "sales-managers"}
    assert len(teams["sales"].user_ids) == 2 and teams["sales"].secondary_user_ids


def test_owners_active_archived_and_by_email(client: HubSpot) -> None:
    owners = client.crm.owners.owners_api
    active = owners.get_page(limit=100).results
    archived = owners.get_page(archived=True).results
    assert len(active) == 7 and [o.email for o in archived] == ["pat.former@acme.example"]
    (sam,) = owners.get_page(email="sam.seller@acme.example").results
    assert sam.type == "PERSON" and sam.teams[0].name == "sales" and sam.teams[0].primary
    assert owners.get_by_id(sam.id).email == sam.email


def test_owners_page_through(client: HubSpot) -> None:
    first = client.crm.owners.owners_api.get_page(limit=5)
    second = client.crm.owners.owners_api.get_page(limit=5, after=first.paging.next.after)
    assert len(first.results) == 5 and len(second.results) == 2 and second.paging is None


def test_add_user(emu: HubSpotEmulator, client: HubSpot) -> None:
    uid = emu.add_user("new.hire@acme.example", role_id="7001")
    emu.add_user("gone@acme.example", active=False)
    user = client.settings.users.users_api.get_by_id(uid)
    assert (user.email, user.role_id) == ("new.hire@acme.example", "7001")
    archived = client.crm.owners.owners_api.get_page(archived=True).results
    assert "gone@acme.example" in [o.email for o in archived]


# ---- errors, auth, 404s --------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}])
def test_unauthenticated_requests_get_401(emu: HubSpotEmulator, headers: dict[str, str]) -> None:
    response = requests.get(f"{emu.base_url}/crm/v3/pipelines/deals", headers=headers, timeout=5)
    body = response.json()
    assert response.status_code == 401 and body["category"] == "INVALID_AUTHENTICATION"
    assert body["status"] == "error" and uuid.UUID(body["correlationId"])


def test_client_with_bad_token_gets_401(emu: HubSpotEmulator) -> None:
    bad = HubSpot(access_token="nope", host=emu.base_url, base_url=emu.base_url, client_side_validation=True)
    err = refusal(lambda: bad.crm.properties.core_api.get_all("deals"))
    assert err.status == 401


@pytest.mark.parametrize("call", [
    lambda c: c.crm.pipelines.pipelines_api.get_by_id("deals", "nope"),
    lambda c: c.crm.pipelines.pipeline_stages_api.get_by_id("deals", "default", "nope"),
    lambda c: c.crm.properties.core_api.get_by_name("deals", "nope"),
    lambda c: c.crm.properties.groups_api.get_by_name("deals", "nope"),
    lambda c: c.crm.owners.owners_api.get_by_id("1"),
    lambda c: c.crm.objects.basic_api.get_by_id("deals", "1"),
], ids=["pipeline", "stage", "property", "group", "owner", "record"])
def test_unknown_ids_are_404(client: HubSpot, call: Callable[[HubSpot], Any]) -> None:
    err = refusal(lambda: call(client))
    assert err.status == 404 and err.body["category"] == "OBJECT_NOT_FOUND"
    assert set(err.body) >= {"status", "message", "correlationId", "category"}


def test_wire_format(emu: HubSpotEmulator) -> None:
    auth = {"Authorization": f"Bearer {emu.token}"}
    response = requests.get(f"{emu.base_url}/crm/v3/properties/deals", headers=auth, timeout=5)
    assert response.headers["Content-Type"].startswith("application/json")
    assert int(response.headers["X-HubSpot-RateLimit-Max"]) > 0
    stamps = [p["updatedAt"] for p in response.json()["results"]]
    assert stamps and all(ISO_Z.match(s) for s in stamps)
    assert requests.get(f"{emu.base_url}/crm/v3/nothing", headers=auth, timeout=5).status_code == 404


# ---- faults ------------------------------------------------------------------------------------

def test_rate_limit_fault(emu: HubSpotEmulator, client: HubSpot) -> None:
    emu.faults.inject("rate_limit", methods=("POST",))
    err = refusal(lambda: client.crm.properties.core_api.create("deals", new_property("throttled")))
    headers, body = err.headers, err.body
    assert err.status == 429 and headers["Retry-After"] == "1"
    assert headers["X-HubSpot-RateLimit-Remaining"] == "0"
    assert headers["X-HubSpot-RateLimit-Secondly-Remaining"] == "0"
    assert {"X-HubSpot-RateLimit-Max", "X-HubSpot-RateLimit-Interval-Milliseconds",
            "X-HubSpot-RateLimit-Secondly"} <= set(headers)
    assert body["policyName"] == "TEN_SECONDLY_ROLLING" and body["errorType"] == "RATE_LIMIT"
    assert "throttled" not in {p["name"] for p in emu.properties("deals")}


def test_client_retries_a_rate_limited_get_by_itself(emu: HubSpotEmulator, client: HubSpot) -> None:
    # urllib3 honours Retry-After for idempotent methods: the provider sees one success, two requests.
    emu.faults.inject("rate_limit", methods=("GET",))
    assert client.crm.pipelines.pipelines_api.get_all("deals").results
    assert emu.requests.matching("GET", "/crm/v3/pipelines/deals") == 2


def test_server_error_fault_alternates_502_and_503(emu: HubSpotEmulator, client: HubSpot) -> None:
    emu.faults.inject("server_error", times=2)
    statuses = []
    for _ in range(2):
        err = refusal(lambda: client.crm.properties.core_api.get_all("deals"))
        statuses.append(err.status)
        assert err.body["category"] == "INTERNAL_ERROR"
    assert statuses == [502, 503]
    assert client.crm.properties.core_api.get_all("deals").results  # the rule is used up


def _create(client: HubSpot, name: str, **kw: Any) -> Any:
    return client.crm.properties.core_api.create("deals", new_property(name), **kw)


@pytest.mark.parametrize(("kind", "error"), [("timeout", urllib3.exceptions.ReadTimeoutError),
                                             ("drop", urllib3.exceptions.ProtocolError)])
@pytest.mark.parametrize("applied", [False, True])
def test_lost_replies(emu: HubSpotEmulator, client: HubSpot, kind: str, error: type[Exception],
                      applied: bool) -> None:
    emu.faults.timeout_stall_s = 0.4
    emu.faults.inject(kind, methods=("POST",), applied_effect=applied)
    with pytest.raises(error):
        _create(client, "maybe_created", _request_timeout=0.2)
    # applied_effect: the write happened although the client saw no answer.
    assert ("maybe_created" in {p["name"] for p in emu.properties("deals")}) is applied


def test_dropped_get_is_retried_by_the_client(emu: HubSpotEmulator, client: HubSpot) -> None:
    emu.faults.inject("drop", methods=("GET",))
    assert client.crm.pipelines.pipelines_api.get_all("tickets").results
    assert emu.requests.matching("GET", "/crm/v3/pipelines/tickets") == 2


def test_raw_timeout_without_client_retries(emu: HubSpotEmulator) -> None:
    emu.faults.timeout_stall_s = 0.4
    emu.faults.inject("timeout", path=r"/owners")
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(f"{emu.base_url}/crm/v3/owners/", headers={"Authorization": f"Bearer {emu.token}"},
                     timeout=0.2)


def test_partial_fault_on_batch_create(emu: HubSpotEmulator, client: HubSpot) -> None:
    emu.faults.inject("partial", path=r"/batch/create$")
    names = [f"part_{i}" for i in range(4)]
    reply, status, _ = client.crm.properties.batch_api.create_with_http_info(
        "deals", BatchInputPropertyCreate(inputs=[new_property(n) for n in names]))
    assert status == 207 and sorted(p.name for p in reply.results) == ["part_0", "part_2"]
    assert [e.context["name"] for e in reply.errors] == [["part_1"], ["part_3"]]
    assert {"part_0", "part_2"} <= {p["name"] for p in emu.properties("deals")}


def test_partial_fault_on_batch_update_and_archive(emu: HubSpotEmulator, client: HubSpot) -> None:
    emu.faults.inject("partial", times=2)
    deals = emu.records("deals")[:2]
    updated, status, _ = client.crm.objects.batch_api.update_with_http_info(
        "deals", BatchInputSimplePublicObjectBatchInput(inputs=[
            SimplePublicObjectBatchInput(id=d["id"], properties={"dealname": "renamed"}) for d in deals]))
    assert status == 207 and [r.id for r in updated.results] == [deals[0]["id"]]
    _, status, _ = client.crm.properties.batch_api.archive_with_http_info("contacts", BatchInputPropertyName(
        inputs=[PropertyName(name="nps_score"), PropertyName(name="preferred_channel")]))
    assert status == 207 and "preferred_channel" in {p["name"] for p in emu.properties("contacts")}


def test_partial_fault_is_ignored_outside_batches(emu: HubSpotEmulator, client: HubSpot) -> None:
    emu.faults.inject("partial")
    assert client.crm.pipelines.pipelines_api.get_all("deals").results
    assert emu.faults.pending() == 0


def test_skip_lets_earlier_requests_through(emu: HubSpotEmulator, client: HubSpot) -> None:
    emu.faults.inject("rate_limit", skip=1, methods=("POST",), path=r"/crm/v3/properties/deals$")
    _create(client, "first_ok")
    err = refusal(lambda: _create(client, "second_throttled"))
    assert err.status == 429


def test_latency(emu: HubSpotEmulator, client: HubSpot) -> None:
    emu.faults.latency_s = 0.15
    started = time.monotonic()
    client.crm.pipelines.pipelines_api.get_all("deals")
    assert time.monotonic() - started >= 0.15


def test_request_counter(emu: HubSpotEmulator, client: HubSpot) -> None:
    emu.requests.reset()
    client.crm.pipelines.pipelines_api.get_all("deals")
    client.crm.pipelines.pipelines_api.get_all("deals")
    client.crm.properties.core_api.get_all("deals", archived=True)
    assert emu.requests.total == 3
    assert emu.requests.counts[("GET", "/crm/v3/pipelines/deals")] == 2
    assert emu.requests.matching(prefix="/crm/v3/properties") == 1


# ---- bench seeding and the standalone entry point ----------------------------------------------------

@pytest.mark.parametrize(("properties", "pipelines", "flows"), [(0, 0, 0), (10, 3, 5), (101, 12, 130)])
def test_seed_scale(properties: int, pipelines: int, flows: int) -> None:
    with HubSpotEmulator() as emu:
        before = {o: len(emu.properties(o)) for o in ("contacts", "companies", "deals", "tickets")}
        seed_scale(emu, properties=properties, pipelines=pipelines, flows=flows)
        added = {o: len(emu.properties(o)) - n for o, n in before.items()}
        assert sum(added.values()) == properties and max(added.values()) - min(added.values()) <= 1
        assert len(emu.pipelines("deals")) == 1 + pipelines
        assert len(emu.flows()) == 6 + flows
        client = make_client(emu)
        listed = client.crm.pipelines.pipelines_api.get_all("deals").results
        assert len(listed) == 1 + pipelines


def test_unseeded_portal_has_only_what_hubspot_always_has() -> None:
    with HubSpotEmulator(seed=False) as emu:
        assert [p["id"] for p in emu.pipelines("deals")] == ["default"]
        assert emu.records("deals") == [] and emu.flows() == []
        assert all(p["hubspotDefined"] for p in emu.properties("contacts"))


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "terminate"])
def test_command_line_entry_point(stop_signal: signal.Signals) -> None:
    command = [sys.executable, "-m", "tests.emulators.hubspot", "--port", "0", "--latency-ms", "1"]
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip().removeprefix("base_url=")
        token = proc.stdout.readline().strip().removeprefix("token=")
        assert re.match(r"^http://127\.0\.0\.1:\d+$", base_url)
        response = requests.get(f"{base_url}/crm/v3/pipelines/deals",
                                headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert response.status_code == 200 and response.json()["results"][0]["id"] == "default"
    finally:
        proc.send_signal(stop_signal)
        _, stderr = proc.communicate(timeout=5)
    assert proc.returncode == 0 and stderr == "", stderr  # quiet exit, no traceback
