"""The refusals and normalisations of tests/emulators/RULES-hubspot.md, one test per rule.

Driven through the real hubspot-api-client (generated APIs with `client_side_validation=True`, the
raw `api_request` helper for APIs the generated client lacks: v4 flows, property validations,
`dataSensitivity`, token introspection).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from hubspot import HubSpot
from hubspot.crm.objects import PublicObjectSearchRequest
from hubspot.crm.pipelines import PipelineInput, PipelineStageInput
from hubspot.crm.properties import OptionInput, PropertyCreate, PropertyUpdate

from tests.emulators.hubspot import HubSpotEmulator
from tests.emulators.hubspot_flows import CONTACT_REQUIRED, CREATE_REQUIRED, PUT_FORBIDDEN
from tests.emulators.test_hubspot_emulator import _new_flow, put_body, refusal

TOKEN_INFO = "/oauth/v2/private-apps/get/access-token-info"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server() -> Iterator[HubSpotEmulator]:
    with HubSpotEmulator() as emulator:
        yield emulator


@pytest.fixture
def emu(server: HubSpotEmulator) -> HubSpotEmulator:
    server.reset()
    server.search_per_second = 5
    return server


def client_for(emu: HubSpotEmulator, token: str | None = None) -> HubSpot:
    return HubSpot(access_token=token or emu.token, host=emu.base_url, base_url=emu.base_url,
                   client_side_validation=True)


@pytest.fixture
def client(emu: HubSpotEmulator) -> HubSpot:
    return client_for(emu)


def raw(client: HubSpot, method: str, path: str, **options: Any) -> requests.Response:
    response: requests.Response = client.api_request({"method": method, "path": path, **options})
    return response


# ---- scopes ------------------------------------------------------------------------------------------

def test_a_call_without_its_scope_is_refused_naming_the_scope(emu: HubSpotEmulator) -> None:
    crm_only = client_for(emu, emu.add_token("pat-na1-crm-only", {"crm.schemas.deals.read"}))
    refused = raw(crm_only, "GET", "/automation/v4/flows")
    body = refused.json()
    assert refused.status_code == 403 and body["category"] == "MISSING_SCOPES"
    assert body["errors"][0]["context"]["requiredGranularScopes"] == ["automation"]
    assert len(crm_only.crm.properties.core_api.get_all("deals").results) > 5  # its own scope works
    err = refusal(lambda: crm_only.crm.properties.core_api.get_all("contacts"))
    assert err.status == 403 and err.body["errors"][0]["context"]["requiredGranularScopes"] == [
        "crm.schemas.contacts.read"]


@pytest.mark.parametrize(("method", "path", "scope"), [
    ("GET", "/crm/v3/pipelines/deals", "crm.objects.deals.read"),
    ("GET", "/crm/v3/pipelines/tickets", "tickets"),
    ("GET", "/crm/v3/pipelines/contacts", "crm.objects.contacts.read"),
    ("POST", "/crm/v3/objects/deals/search", "crm.objects.deals.read"),
    ("POST", "/crm/v3/objects/deals/batch/update", "crm.objects.deals.write"),
    ("POST", "/crm/v3/properties/deals", "crm.schemas.deals.write"),
    ("GET", "/crm/v3/property-validations/0-1", "crm.schemas.contacts.read"),
    ("GET", "/settings/v3/users", "settings.users.read"),
    ("GET", "/settings/v3/users/teams", "settings.users.teams.read"),
    ("GET", "/crm/v3/owners", "crm.objects.owners.read"),
])
def test_scopes_per_endpoint(emu: HubSpotEmulator, method: str, path: str, scope: str) -> None:
    nothing = client_for(emu, emu.add_token("pat-na1-nothing", set()))
    refused = raw(nothing, method, path, body={} if method == "POST" else None)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["context"]["requiredGranularScopes"] == [scope]


def test_token_info_lists_the_scopes_of_a_private_app_token(emu: HubSpotEmulator) -> None:
    token = emu.add_token("pat-na1-two", {"automation", "crm.schemas.deals.read"})
    info = requests.post(emu.base_url + TOKEN_INFO, json={"tokenKey": token}, timeout=5)
    assert info.status_code == 200 and info.json()["scopes"] == ["automation", "crm.schemas.deals.read"]
    unknown = requests.post(emu.base_url + TOKEN_INFO, json={"tokenKey": "pat-na1-unknown"}, timeout=5)
    assert unknown.status_code == 400


# ---- flows -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("field", [*CREATE_REQUIRED, *CONTACT_REQUIRED])
def test_a_flow_create_needs_every_required_field(client: HubSpot, field: str) -> None:
    body = _new_flow()
    del body[field]
    refused = raw(client, "POST", "/automation/v4/flows", body=body)
    assert refused.status_code == 400 and field in refused.json()["message"]


@pytest.mark.parametrize("field", PUT_FORBIDDEN)
def test_a_flow_put_carries_no_create_only_field(client: HubSpot, field: str) -> None:
    flow = raw(client, "GET", "/automation/v4/flows/1500003").json()
    body = {**put_body(flow), field: flow[field]}
    refused = raw(client, "PUT", "/automation/v4/flows/1500003", body=body)
    assert refused.status_code == 400 and field in refused.json()["message"]
    assert raw(client, "PUT", "/automation/v4/flows/1500003", body=put_body(flow)).status_code == 200


def _with_action(type_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    body = _new_flow()
    body["actions"][0].update(actionTypeId=type_id, fields=fields)
    return body


@pytest.mark.parametrize(("type_id", "fields", "status"), [
    ("0-999", {}, 400),  # no built-in action of that type
    ("0-3", {"subject": "Call"}, 400),  # a task without task_type
    ("0-5", {"property_name": "tier"}, 400),  # set property without a value
    ("0-9", {"subject": "s", "body": "b"}, 400),  # in-app notification without delivery_method
    ("0-3", {"subject": "Call", "task_type": "TODO"}, 201),
    ("1-2233445", {"anything": "goes"}, 201),  # an app's own action: HubSpot checks it elsewhere
])
def test_action_types_and_their_required_inputs(client: HubSpot, type_id: str, fields: dict[str, Any],
                                                status: int) -> None:
    assert raw(client, "POST", "/automation/v4/flows", body=_with_action(type_id, fields)).status_code == status


def _with_filter(operation: dict[str, Any], root: str = "OR") -> dict[str, Any]:
    body = _new_flow()
    branch = {"filterBranchType": "AND", "filterBranchOperator": "AND", "filterBranches": [],
              "filters": [{"filterType": "PROPERTY", "property": "firstname", "operation": operation}]}
    body["enrollmentCriteria"]["listFilterBranch"] = {"filterBranchType": root, "filterBranchOperator": root,
                                                      "filterBranches": [branch], "filters": []}
    return body


@pytest.mark.parametrize(("operation", "root", "status"), [
    ({"operationType": "STRING", "operator": "IS_EQUAL_TO", "value": "Ana"}, "OR", 400),  # no includeObjects...
    ({"operationType": "ALL_PROPERTY", "operator": "IS_KNOWN"}, "OR", 400),
    ({"operationType": "BOOL", "operator": "IS_EQUAL_TO", "value": "true",
      "includeObjectsWithNoValueSet": False}, "OR", 400),  # a string where a boolean goes
    ({"operationType": "ENUMERATION", "operator": "IS_ANY_OF", "includeObjectsWithNoValueSet": False}, "OR", 400),
    ({"operationType": "ALL_PROPERTY", "operator": "IS_KNOWN", "includeObjectsWithNoValueSet": False}, "AND", 400),
    ({"operationType": "ALL_PROPERTY", "operator": "IS_KNOWN", "includeObjectsWithNoValueSet": False}, "OR", 201),
])
def test_filter_shapes(client: HubSpot, operation: dict[str, Any], root: str, status: int) -> None:
    assert raw(client, "POST", "/automation/v4/flows", body=_with_filter(operation, root)).status_code == status


def test_re_enrollment_triggers_need_re_enrollment_on(client: HubSpot) -> None:
    body = _new_flow()
    trigger = copy.deepcopy(_with_filter({"operationType": "ALL_PROPERTY", "operator": "IS_KNOWN",
                                          "includeObjectsWithNoValueSet": False})
                            ["enrollmentCriteria"]["listFilterBranch"]["filterBranches"][0])
    body["enrollmentCriteria"]["reEnrollmentTriggersFilterBranches"] = [trigger]
    assert raw(client, "POST", "/automation/v4/flows", body=body).status_code == 400
    body["enrollmentCriteria"]["shouldReEnroll"] = True
    assert raw(client, "POST", "/automation/v4/flows", body=body).status_code == 201


def test_a_stored_flow_has_its_defaults_filled_in(client: HubSpot) -> None:
    body = _with_filter({"operationType": "ENUMERATION", "operator": "IS_ANY_OF", "values": ["b", "a", "b"],
                         "includeObjectsWithNoValueSet": False})
    body.update(type="PLATFORM_FLOW", objectTypeId="0-3")
    for key in CONTACT_REQUIRED:
        del body[key]
    body["actions"] = [{"type": "SINGLE_CONNECTION", "actionId": "1", "actionTypeVersion": 0,
                        "actionTypeId": "0-3", "fields": {"task_type": "TODO", "subject": "Call"}}]
    created = raw(client, "POST", "/automation/v4/flows", body=body).json()
    operation = created["enrollmentCriteria"]["listFilterBranch"]["filterBranches"][0]["filters"][0]["operation"]
    assert operation["values"] == ["a", "b"]
    assert created["actions"][0]["fields"] == {"task_type": "TODO", "subject": "Call", "body": "",
                                               "priority": "NONE"}
    assert created["description"] == "" and created["nextAvailableActionId"] == "2"
    assert created["crmObjectCreationStatus"] == "COMPLETE" and created != body


# ---- pipelines -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("probability", "status"), [("0.3", 201), ("1.0", 201), ("0.35", 400), ("0.75", 400)])
def test_deal_probabilities_are_tenths(client: HubSpot, probability: str, status: int) -> None:
    stage = PipelineStageInput(label="S", display_order=0, metadata={"probability": probability})
    create = client.crm.pipelines.pipelines_api.create
    if status == 201:
        assert create("deals", PipelineInput(label="P", display_order=1, stages=[stage])).id
    else:
        assert refusal(lambda: create("deals", PipelineInput(label="P", display_order=1, stages=[stage]))).status == 400


@pytest.mark.parametrize(("obj", "pid"), [("contacts", "contacts-lifecycle-pipeline"),
                                          ("companies", "companies-lifecycle-pipeline")])
def test_lifecycle_stages_are_a_read_only_pipeline(client: HubSpot, obj: str, pid: str) -> None:
    api = client.crm.pipelines.pipelines_api
    (lifecycle,) = api.get_all(obj).results
    assert lifecycle.id == pid and [s.id for s in lifecycle.stages][:3] == [
        "subscriber", "lead", "marketingqualifiedlead"]
    options = client.crm.properties.core_api.get_by_name(obj, "lifecyclestage").options
    assert [o.value for o in options] == [s.id for s in lifecycle.stages]
    stage = PipelineStageInput(label="Churned", display_order=9, metadata={})
    assert refusal(lambda: client.crm.pipelines.pipeline_stages_api.create(obj, pid, stage)).status == 400
    patch = PropertyUpdate(options=[OptionInput(label="X", value="x", hidden=False, display_order=0)])
    assert refusal(lambda: client.crm.properties.core_api.update(obj, "lifecyclestage", patch)).status == 400


# ---- properties ---------------------------------------------------------------------------------------

def test_sensitive_properties_are_listed_only_when_asked_for(emu: HubSpotEmulator, client: HubSpot) -> None:
    listed = {p.name for p in client.crm.properties.core_api.get_all("contacts").results}
    assert "passport_number" not in listed and "nps_score" in listed
    sensitive = raw(client, "GET", "/crm/v3/properties/contacts", qs={"dataSensitivity": "sensitive"}).json()
    assert [p["name"] for p in sensitive["results"]] == ["passport_number"]
    plain = client_for(emu, emu.add_token("pat-na1-plain", {"crm.schemas.contacts.read"}))
    refused = raw(plain, "GET", "/crm/v3/properties/contacts", qs={"dataSensitivity": "sensitive"})
    assert refused.json()["errors"][0]["context"]["requiredGranularScopes"] == [
        "crm.objects.contacts.sensitive.read.v2"]
    again = PropertyCreate(name="passport_number", label="P", type="string", field_type="text",
                           group_name="contactinformation")
    assert refusal(lambda: client.crm.properties.core_api.create("contacts", again)).status == 409


@pytest.mark.parametrize(("prop", "rule", "args", "status"), [
    ("phone", "PHONE_NUMBER_WITH_EXPLICIT_COUNTRY_CODE", [], 204),
    ("phone", "PHONE_NUMBER_WITH_EXPLICIT_COUNTRY_CODE", ["us"], 204),
    ("phone", "PHONE_NUMBER_WITH_EXPLICIT_COUNTRY_CODE", ["USA"], 400),
    ("firstname", "PHONE_NUMBER_WITH_EXPLICIT_COUNTRY_CODE", [], 400),  # not a phone-number property
    ("firstname", "MAX_LENGTH", ["40"], 204),
    ("firstname", "NO_SUCH_RULE", [], 400),
    ("nosuchproperty", "MAX_LENGTH", ["40"], 404),
])
def test_property_validation_rules(client: HubSpot, prop: str, rule: str, args: list[str], status: int) -> None:
    path = f"/crm/v3/property-validations/0-1/{prop}/rule-type/{rule}"
    assert raw(client, "PUT", path, body={"ruleArguments": args}).status_code == status
    if status == 204:
        listed = raw(client, "GET", "/crm/v3/property-validations/0-1").json()["results"]
        assert listed == [{"propertyName": prop, "propertyValidationRules": [
            {"ruleType": rule, "ruleArguments": args}]}]
        assert raw(client, "GET", path).json()["ruleArguments"] == args
    assert raw(client, "GET", "/crm/v3/property-validations/0-1/email/rule-type/MAX_LENGTH").status_code == 404


# ---- search --------------------------------------------------------------------------------------------

def test_search_never_pages_past_ten_thousand(client: HubSpot) -> None:
    search = client.crm.objects.search_api.do_search
    assert search("deals", PublicObjectSearchRequest(limit=200, after="9800")).results == []
    assert refusal(lambda: search("deals", PublicObjectSearchRequest(limit=200, after="9900"))).status == 400


def test_search_has_its_own_per_second_limit(emu: HubSpotEmulator) -> None:
    emu.search_per_second = 2
    answers = [raw(client_for(emu), "POST", "/crm/v3/objects/deals/search", body={"limit": 1}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["policyName"] == "SECONDLY" and answers[2].headers["Retry-After"] == "1"


def test_the_rules_catalogue_names_tests_that_exist() -> None:
    catalogue = (Path(__file__).with_name("RULES-hubspot.md")).read_text(encoding="utf-8")
    named = set(re.findall(r"\b(test_[a-z0-9_]+)", catalogue))
    sources = [*Path(__file__).parent.glob("test_hubspot_*.py"), Path(__file__).with_name("test_state_storage.py"),
               *(REPO / "tests" / "providers" / "hubspot").glob("test_*.py")]
    defined = {m for path in sources for m in re.findall(r"^def (test_[a-z0-9_]+)", path.read_text(), re.MULTILINE)}
    files = {path.stem for path in sources}
    assert named - defined - files == set()
    assert len(named & defined) >= 25
