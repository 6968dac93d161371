"""The Salesforce emulator, driven only through the real simple-salesforce / zeep clients.

One emulator and one client serve the module, reset between tests. The emulator records every
Metadata API request and reply; after each test each one is checked against the XSD of simple-salesforce's
bundled metadata.wsdl (and each reply parsed by a strict zeep client), so a message that strays fails the test
that caused it (test_strict_wsdl_accepts_every_reply exercises every operation and type on purpose).
"""

from __future__ import annotations

import copy
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import zeep
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from tests.emulators.salesforce import SalesforceEmulator, connect, seed_scale
from tests.emulators.salesforce_org import canonical
from tests.emulators.salesforce_seed import OPPORTUNITY_STAGES, USERS
from tests.emulators.salesforce_wsdl import check_exchanges

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[SalesforceEmulator, Salesforce]]:
    """One running emulator and one client for the module: a client costs a WSDL parse, reset() ~ms."""
    with SalesforceEmulator() as emulator:
        yield emulator, connect(emulator)


@pytest.fixture
def emu(shared: tuple[SalesforceEmulator, Salesforce]) -> Iterator[SalesforceEmulator]:
    emulator = shared[0]
    emulator.reset()
    emulator.record_soap = True
    try:
        yield emulator
        check_exchanges(emulator)
    finally:
        emulator.reset()


@pytest.fixture
def sf(shared: tuple[SalesforceEmulator, Salesforce], emu: SalesforceEmulator) -> Salesforce:
    return shared[1]


def names(result: dict[str, Any], field: str = "ApiName") -> list[Any]:
    return [r[field] for r in result["records"]]


def list_names(sf: Salesforce, type_name: str) -> list[str]:
    query = sf.mdapi._client.get_type("ns0:ListMetadataQuery")(type=type_name)
    return sorted(p.fullName for p in sf.mdapi.list_metadata([query]))


def read_all(sf: Salesforce, type_name: str, full_names: list[str]) -> list[Any]:
    """readMetadata takes at most 10 names: read in chunks (a single result comes back unwrapped)."""
    out: list[Any] = []
    for i in range(0, len(full_names), 10):
        got = getattr(sf.mdapi, type_name).read(full_names[i : i + 10])
        out.extend(got if isinstance(got, list) else [got])
    return out


# ---------------------------------------------------------------------------------------------
# Transport
# ---------------------------------------------------------------------------------------------


def test_serves_https_with_the_test_ca_only(emu: SalesforceEmulator) -> None:
    assert re.fullmatch(r"https://127\.0\.0\.1:\d+", emu.instance_url)
    ok = requests.get(f"{emu.instance_url}/services/data/", verify=emu.ca_path, timeout=5)
    assert ok.status_code == 200 and ok.json()[-1]["version"] == "63.0"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{emu.instance_url}/services/data/", verify=True, timeout=5)


def test_api_usage_header_and_request_counter(emu: SalesforceEmulator, sf: Salesforce) -> None:
    sf.query("SELECT Id FROM User")
    sf.query("SELECT Id FROM User")
    sf.mdapi.StandardValueSet.read(["CaseStatus"])
    assert sf.api_usage["api-usage"].used == 2 and sf.api_usage["api-usage"].total == 15000
    assert emu.requests.total == 3
    assert emu.requests.matching("GET", "/services/data/v59.0/query") == 2
    assert emu.requests.matching("POST", "/services/Soap/m/59.0") == 1


# ---------------------------------------------------------------------------------------------
# SOQL
# ---------------------------------------------------------------------------------------------


def test_opportunity_stages_are_the_standard_list(sf: Salesforce) -> None:
    res = sf.query(
        "SELECT MasterLabel, ApiName, IsActive, IsClosed, IsWon, DefaultProbability, "
        "ForecastCategoryName, SortOrder FROM OpportunityStage ORDER BY SortOrder"
    )
    assert res["done"] and res["totalSize"] == 10
    got = [(r["ApiName"], r["DefaultProbability"], r["IsClosed"], r["IsWon"]) for r in res["records"]]
    assert got == [(n, float(p), c, w) for n, p, _, c, w in OPPORTUNITY_STAGES]
    first = res["records"][0]
    assert first["attributes"]["type"] == "OpportunityStage"
    assert first["attributes"]["url"].startswith("/services/data/v59.0/sobjects/OpportunityStage/01J")
    assert {r["ForecastCategoryName"] for r in res["records"]} == {"Pipeline", "Closed", "Omitted"}


def test_users_are_seeded_with_one_inactive(sf: Salesforce) -> None:
    res = sf.query("SELECT Id, Email, Username, Name, IsActive FROM User ORDER BY Email")
    assert res["totalSize"] == len(USERS) == 8
    assert all(r["Email"].endswith("@acme.example") for r in res["records"])
    assert [r["Email"] for r in res["records"] if not r["IsActive"]] == ["tom@acme.example"]


def test_query_pages_over_2000_rows(emu: SalesforceEmulator, sf: Salesforce) -> None:
    for i in range(4500):
        emu.add_record(
            "Opportunity", {"Name": f"Bulk {i}", "StageName": "Prospecting", "CloseDate": "2025-06-30"}
        )
    soql = "SELECT Id, Name FROM Opportunity WHERE Name LIKE 'Bulk %'"
    first = sf.query(soql)
    assert first["totalSize"] == 4500 and not first["done"] and len(first["records"]) == 2000
    assert re.fullmatch(r"/services/data/v59\.0/query/01g\w+-2000", first["nextRecordsUrl"])
    everything = sf.query_all(soql)
    assert everything["totalSize"] == 4500 and len({r["Id"] for r in everything["records"]}) == 4500
    small = sf.query(soql, headers={"Sforce-Query-Options": "batchSize=500"})
    assert len(small["records"]) == 500 and small["nextRecordsUrl"].endswith("-500")
    assert emu.requests.matching("GET", "/services/data/v59.0/query/01g") == 2


def test_where_clauses_relationships_and_semi_joins(sf: Salesforce) -> None:
    res = sf.query(
        "SELECT Name, StageName, Amount FROM Opportunity WHERE StageName IN ('Closed Won', 'Closed Lost') "
        "AND Amount != null ORDER BY Amount DESC LIMIT 3"
    )
    amounts = names(res, "Amount")
    assert len(amounts) == 3 and amounts == sorted(amounts, reverse=True)
    assert sf.query("SELECT COUNT() FROM Opportunity WHERE IsWon = true")["totalSize"] == 4
    fp = sf.query(
        "SELECT Field, PermissionsEdit, Parent.Name, Parent.Label FROM FieldPermissions "
        "WHERE Parent.Name = 'Sales_Rep' AND Field = 'Opportunity.Amount'"
    )["records"]
    assert fp[0]["Parent"]["Label"] == "Sales Rep" and fp[0]["PermissionsEdit"] is True
    assert fp[0]["Parent"]["attributes"]["type"] == "PermissionSet"
    assigned = sf.query(
        "SELECT Assignee.Email FROM PermissionSetAssignment WHERE PermissionSet.IsOwnedByProfile = false "
        "AND PermissionSetId IN (SELECT Id FROM PermissionSet WHERE Name = 'Sales_Manager')"
    )
    assert sorted(r["Assignee"]["Email"] for r in assigned["records"]) == [
        "lena@acme.example",
        "maria@acme.example",
    ]
    by_profile = sf.query("SELECT COUNT() FROM PermissionSet WHERE IsOwnedByProfile = true")
    assert by_profile["totalSize"] == 2


def test_aggregates(sf: Salesforce) -> None:
    res = sf.query("SELECT StageName, COUNT(Id) n FROM Opportunity GROUP BY StageName")
    rows = {r["StageName"]: r["n"] for r in res["records"]}
    assert res["records"][0]["attributes"] == {"type": "AggregateResult"}
    assert sum(rows.values()) == 40 and rows["Closed Won"] == 4
    total = sf.query("SELECT COUNT(Id), SUM(Amount) FROM Opportunity")["records"][0]
    assert total["expr0"] == 40 and total["expr1"] > 0


def test_soql_errors_use_salesforce_codes(sf: Salesforce) -> None:
    cases = {
        "SELECT Id FROM": "MALFORMED_QUERY",
        "SELECT Id FROM Nope__c": "INVALID_TYPE",
        "SELECT Bogus FROM Opportunity": "INVALID_FIELD",
        "SELECT Id FROM Opportunity WHERE": "MALFORMED_QUERY",
        "SELECT Id FROM FlowDefinition": "INVALID_TYPE",
    }  # FlowDefinition is tooling-only
    for soql, code in cases.items():
        with pytest.raises(SalesforceMalformedRequest) as err:
            sf.query(soql)
        assert err.value.status == 400 and err.value.content[0]["errorCode"] == code, soql


def test_query_all_returns_deleted_records(sf: Salesforce) -> None:
    opp = sf.query("SELECT Id FROM Opportunity LIMIT 1")["records"][0]["Id"]
    sf.Opportunity.delete(opp)
    soql = f"SELECT Id, IsDeleted FROM Opportunity WHERE Id = '{opp}'"
    assert sf.query(soql)["totalSize"] == 0
    assert sf.query_all(soql, include_deleted=True)["records"][0]["IsDeleted"] is True


# ---------------------------------------------------------------------------------------------
# sObjects, Tooling, Collections, Composite
# ---------------------------------------------------------------------------------------------


def test_sobject_crud_and_validation(emu: SalesforceEmulator, sf: Salesforce) -> None:
    created = sf.Opportunity.create(
        {"Name": "Hooli expansion", "StageName": "Qualification", "CloseDate": "2025-03-31", "Amount": 42000}
    )
    assert created["success"] and created["id"].startswith("006") and len(created["id"]) == 18
    got = sf.Opportunity.get(created["id"])
    assert (
        got["Probability"] == 10.0 and got["ForecastCategoryName"] == "Pipeline" and got["IsClosed"] is False
    )
    assert sf.Opportunity.update(created["id"], {"StageName": "Closed Won"}) == 204
    assert sf.Opportunity.get(created["id"])["IsWon"] is True
    with pytest.raises(SalesforceMalformedRequest) as err:
        sf.Opportunity.create({"Name": "No dates", "StageName": "Prospecting"})
    assert err.value.content[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    with pytest.raises(SalesforceMalformedRequest) as err:
        sf.Opportunity.update(created["id"], {"IsWon": False})
    assert err.value.content[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    with pytest.raises(SalesforceMalformedRequest) as err:
        sf.Opportunity.update(created["id"], {"Deal_Type__c": "Upsell"})
    assert err.value.content[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    # The seeded validation rule: an amount is required from Proposal/Price Quote on.
    emu.add_record(
        "Opportunity", {"Name": "No amount", "StageName": "Prospecting", "CloseDate": "2025-01-01"}
    )
    bare = sf.query("SELECT Id FROM Opportunity WHERE Name = 'No amount'")["records"][0]["Id"]
    with pytest.raises(SalesforceMalformedRequest) as err:
        sf.Opportunity.update(bare, {"StageName": "Proposal/Price Quote"})
    assert err.value.content[0] == {
        "message": "Amount is required from Proposal/Price Quote on.",
        "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "fields": ["Amount"],
    }
    with pytest.raises(SalesforceResourceNotFound):
        sf.Opportunity.get("006000000000000AAA")


def test_tooling_flow_activation_moves_every_view(sf: Salesforce) -> None:
    soql = (
        "SELECT Id, DeveloperName, ActiveVersionId, LatestVersionId, ActiveVersion.VersionNumber, "
        "LatestVersion.VersionNumber FROM FlowDefinition WHERE DeveloperName = 'Opportunity_Stage_Follow_Up'"
    )
    fd = sf.restful("tooling/query/", params={"q": soql})["records"][0]
    assert (fd["ActiveVersion"]["VersionNumber"], fd["LatestVersion"]["VersionNumber"]) == (2, 3)
    assert (
        sf.toolingexecute(
            f"sobjects/FlowDefinition/{fd['Id']}",
            method="PATCH",
            data={"Metadata": {"activeVersionNumber": 3}},
        )
        == ""
    )
    view = sf.query(
        "SELECT IsActive, IsOutOfDate, ActiveVersionId, LastModifiedBy FROM FlowDefinitionView "
        "WHERE ApiName = 'Opportunity_Stage_Follow_Up'"
    )["records"][0]
    assert view["IsActive"] and not view["IsOutOfDate"] and view["ActiveVersionId"] == fd["LatestVersionId"]
    assert view["LastModifiedBy"] == "Maria Lopez"
    statuses = sf.restful(
        "tooling/query/",
        params={
            "q": "SELECT VersionNumber, Status FROM Flow WHERE "
            "Definition.DeveloperName = 'Opportunity_Stage_Follow_Up' "
            "ORDER BY VersionNumber"
        },
    )
    assert names(statuses, "Status") == ["Obsolete", "Obsolete", "Active"]
    assert sf.mdapi.Flow.read(["Opportunity_Stage_Follow_Up"]).status == "Active"
    sf.restful(
        f"tooling/sobjects/FlowDefinition/{fd['Id']}",
        method="PATCH",
        json={"Metadata": {"activeVersionNumber": 0}},
    )
    assert sf.toolingexecute(f"sobjects/FlowDefinition/{fd['Id']}")["Metadata"]["activeVersionNumber"] is None
    assert (
        sf.query("SELECT IsActive FROM FlowDefinitionView WHERE ApiName = 'Opportunity_Stage_Follow_Up'")[
            "records"
        ][0]["IsActive"]
        is False
    )
    with pytest.raises(SalesforceMalformedRequest):
        sf.restful(
            f"tooling/sobjects/FlowDefinition/{fd['Id']}",
            method="PATCH",
            json={"Metadata": {"activeVersionNumber": 9}},
        )


def test_collections_update_partial_and_all_or_none(emu: SalesforceEmulator, sf: Salesforce) -> None:
    opps = sf.query("SELECT Id FROM Opportunity WHERE StageName = 'Needs Analysis'")["records"]
    body = {
        "allOrNone": False,
        "records": [
            {"attributes": {"type": "Opportunity"}, "id": o["Id"], "StageName": "Value Proposition"}
            for o in opps
        ],
    }
    res = sf.restful("composite/sobjects", method="PATCH", json=body)
    assert [r["success"] for r in res] == [True] * len(opps) == [True] * 4
    assert sf.query("SELECT COUNT() FROM Opportunity WHERE StageName = 'Needs Analysis'")["totalSize"] == 0

    emu.faults.inject("partial", path=r"/composite/sobjects$")
    body["records"] = [dict(r, StageName="Needs Analysis") for r in body["records"]]
    res = sf.restful("composite/sobjects", method="PATCH", json=body)
    assert [r["success"] for r in res] == [True, False, True, False]
    assert res[1]["errors"][0]["statusCode"] == "UNABLE_TO_LOCK_ROW" and res[1]["id"] == opps[1]["Id"]

    bad = {
        "allOrNone": True,
        "records": [
            {"attributes": {"type": "Opportunity"}, "id": opps[1]["Id"], "StageName": "Needs Analysis"},
            {"attributes": {"type": "Opportunity"}, "id": opps[3]["Id"], "StageName": "No Such Stage"},
        ],
    }
    res = sf.restful("composite/sobjects", method="PATCH", json=bad)
    assert [e["errors"][0]["statusCode"] for e in res] == [
        "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
    ]
    assert sf.Opportunity.get(opps[1]["Id"])["StageName"] == "Value Proposition"  # rolled back
    with pytest.raises(SalesforceMalformedRequest) as err:
        sf.restful("composite/sobjects", method="PATCH", json={"records": [bad["records"][0]] * 201})
    assert err.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_composite_references_and_rollback(sf: Salesforce) -> None:
    base = "/services/data/v59.0"
    res = sf.restful(
        "composite",
        method="POST",
        json={
            "allOrNone": True,
            "compositeRequest": [
                {
                    "method": "POST",
                    "url": f"{base}/sobjects/Account",
                    "referenceId": "acct",
                    "body": {"Name": "NewCo"},
                },
                {
                    "method": "POST",
                    "url": f"{base}/sobjects/Opportunity",
                    "referenceId": "opp",
                    "body": {
                        "Name": "NewCo deal",
                        "AccountId": "@{acct.id}",
                        "StageName": "Prospecting",
                        "CloseDate": "2025-01-01",
                    },
                },
                {
                    "method": "GET",
                    "url": f"{base}/query/?q=SELECT+Account.Name+FROM+Opportunity+WHERE+Id='@{{opp.id}}'",
                    "referenceId": "check",
                },
            ],
        },
    )
    parts = res["compositeResponse"]
    assert [p["httpStatusCode"] for p in parts] == [201, 201, 200]
    assert parts[0]["httpHeaders"]["Location"].startswith(f"{base}/sobjects/Account/001")
    assert parts[2]["body"]["records"][0]["Account"]["Name"] == "NewCo"

    res = sf.restful(
        "composite",
        method="POST",
        json={
            "allOrNone": True,
            "compositeRequest": [
                {
                    "method": "POST",
                    "url": f"{base}/sobjects/Account",
                    "referenceId": "a2",
                    "body": {"Name": "Ghost Co"},
                },
                {
                    "method": "POST",
                    "url": f"{base}/sobjects/Opportunity",
                    "referenceId": "bad",
                    "body": {"Name": "x"},
                },
            ],
        },
    )
    parts = res["compositeResponse"]
    assert parts[0]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert parts[1]["body"][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert sf.query("SELECT COUNT() FROM Account WHERE Name = 'Ghost Co'")["totalSize"] == 0


# ---------------------------------------------------------------------------------------------
# Metadata API
# ---------------------------------------------------------------------------------------------


def test_read_every_seeded_component_with_its_type(sf: Salesforce) -> None:
    md = sf.mdapi
    bp = md.BusinessProcess.read(["Opportunity.New_Business"])
    prospecting = next(v for v in bp.values if v.fullName == "Prospecting")
    assert type(bp).__name__ == "BusinessProcess" and prospecting.default
    assert "Proposal%2FPrice Quote" in [v.fullName for v in bp.values]  # values come back URL-encoded
    rt = md.RecordType.read(["Opportunity.New_Business"])
    assert (rt.label, rt.businessProcess, rt.active) == ("New Business", "New_Business", True)
    fields = list_names(sf, "CustomField")
    assert len(fields) == 15 and "Opportunity.Lead_Source_Detail__c" in fields
    read = read_all(sf, "CustomField", fields)
    assert [f.fullName for f in read] == fields
    lsd = next(f for f in read if f.fullName == "Opportunity.Lead_Source_Detail__c")
    assert [v.fullName for v in lsd.valueSet.valueSetDefinition.value] == [
        "Inbound",
        "Outbound",
        "Partner",
        "Event",
    ]
    assert md.GlobalValueSet.read(["Segment"]).customValue[2].fullName == "Enterprise"
    vr = md.ValidationRule.read(["Opportunity.Amount_Required_For_Proposal"])
    assert vr.active and "ISPICKVAL(StageName" in vr.errorConditionFormula
    flows = list_names(sf, "Flow")
    assert len(flows) == 6
    by_name = {f.fullName: f for f in read_all(sf, "Flow", flows)}
    assert by_name["Route_Inbound_Leads"].start.triggerType == "RecordAfterSave"
    assert by_name["Closed_Won_Handoff"].status == "Draft"
    assert by_name["Legacy_Discount_Approval"].status == "Obsolete"
    assert by_name["New_Customer_Onboarding"].processType == "Flow"
    assert md.WorkflowRule.read(["Opportunity.Big_Deal_Alert"]).active is True
    ps = md.PermissionSet.read(["Sales_Rep", "Sales_Manager", "Support_Agent"])
    assert [p.label for p in ps] == ["Sales Rep", "Sales Manager", "Support Agent"]
    assert sum(len(p.fieldPermissions) for p in ps) >= 200
    missing = md.CustomField.read(["Opportunity.Nope__c", "Opportunity.Discount__c"])
    assert missing[0].fullName is None and missing[1].type == "Percent"


SUPPORTED_TYPES = (
    "FlowDefinition",
    "StandardValueSet",
    "GlobalValueSet",
    "CustomField",
    "BusinessProcess",
    "RecordType",
    "ValidationRule",
    "Flow",
    "WorkflowRule",
    "PermissionSet",
)


def test_every_seeded_component_round_trips_unchanged(emu: SalesforceEmulator, sf: Salesforce) -> None:
    """A no-op apply: upserting each component exactly as read changes nothing (no new flow versions)."""
    def state() -> dict[str, Any]:
        out = {t: canonical(copy.deepcopy(emu.metadata(t))) for t in SUPPORTED_TYPES}
        for bp in out["BusinessProcess"].values():  # a process keeps no order of its values
            bp["values"].sort(key=lambda v: v["fullName"])
        return out

    before = state()
    versions = sf.restful("tooling/query/", params={"q": "SELECT COUNT() FROM Flow"})["totalSize"]
    for type_name in SUPPORTED_TYPES:
        components = read_all(sf, type_name, list_names(sf, type_name))
        for i in range(0, len(components), 10):
            getattr(sf.mdapi, type_name).upsert(components[i : i + 10])
    assert state() == before
    assert sf.restful("tooling/query/", params={"q": "SELECT COUNT() FROM Flow"})["totalSize"] == versions


def test_list_metadata_file_properties(sf: Salesforce) -> None:
    query = sf.mdapi._client.get_type("ns0:ListMetadataQuery")
    props = sf.mdapi.list_metadata([query(type="PermissionSet"), query(type="WorkflowRule")])
    by_name = {p.fullName: p for p in props}
    assert set(by_name) == {
        "Sales_Rep",
        "Sales_Manager",
        "Support_Agent",
        "Opportunity.Big_Deal_Alert",
        "Lead.Stale_Lead_Reminder",
    }
    rep = by_name["Sales_Rep"]
    assert (rep.fileName, rep.type, rep.lastModifiedByName) == (
        "permissionsets/Sales_Rep.permissionset",
        "PermissionSet",
        "Devon Park",
    )
    assert rep.id.startswith("0PS") and rep.lastModifiedDate.year == 2024
    assert by_name["Opportunity.Big_Deal_Alert"].fileName == "workflows/Opportunity.workflow"
    with pytest.raises(zeep.exceptions.Fault):
        sf.mdapi.list_metadata([query(type="Flow")] * 4)


def test_standard_value_set_update_deactivates_omitted_values(sf: Salesforce) -> None:
    md = sf.mdapi
    stages = md.StandardValueSet.read(["OpportunityStage"])
    stages.standardValue = [v for v in stages.standardValue if v.fullName != "Perception Analysis"]
    stages.standardValue.insert(
        1,
        md.StandardValue(
            fullName="Discovery",
            label="Discovery",
            default=False,
            probability=15,
            forecastCategory="Pipeline",
            closed=False,
            won=False,
        ),
    )
    md.StandardValueSet.update([stages])
    rows = sf.query("SELECT ApiName, IsActive, DefaultProbability FROM OpportunityStage ORDER BY SortOrder")
    assert names(rows)[:3] == ["Prospecting", "Discovery", "Qualification"]
    assert {r["ApiName"]: r["IsActive"] for r in rows["records"]}["Perception Analysis"] is False
    back = md.StandardValueSet.read(["OpportunityStage"]).standardValue
    assert [(v.fullName, v.isActive) for v in back][-1] == ("Perception Analysis", False)
    with pytest.raises(Exception, match="INVALID_OPERATION"):
        md.StandardValueSet.upsert(
            [
                md.StandardValueSet(
                    fullName="MadeUp",
                    sorted=False,
                    standardValue=[md.StandardValue(fullName="A", default=False)],
                )
            ]
        )
    with pytest.raises(Exception, match="Cannot delete StandardValueSet"):
        md.StandardValueSet.delete(["CaseStatus"])
    assert md.BusinessProcess.read(["Opportunity.New_Business"]).isActive is True


def test_custom_field_lifecycle_and_values_in_use(emu: SalesforceEmulator, sf: Salesforce) -> None:
    md = sf.mdapi
    picklist = {
        "valueSetDefinition": {
            "sorted": False,
            "value": [{"fullName": v, "default": False, "label": v} for v in ("North", "South", "West")],
        }
    }
    md.CustomField.create(
        [
            md.CustomField(
                fullName="Opportunity.Territory__c", label="Territory", type="Picklist", valueSet=picklist
            )
        ]
    )
    # Created through the Metadata API: no field-level security yet, so describe hides it; listMetadata does not.
    assert "Territory__c" not in [f["name"] for f in sf.Opportunity.describe()["fields"]]
    assert "Opportunity.Territory__c" in list_names(sf, "CustomField")
    emu.add_record(
        "Opportunity",
        {
            "Name": "Uses South",
            "StageName": "Prospecting",
            "CloseDate": "2025-02-01",
            "Territory__c": "South",
        },
    )
    picklist["valueSetDefinition"]["value"] = picklist["valueSetDefinition"]["value"][:2]  # drop unused West
    md.CustomField.update(
        [
            md.CustomField(
                fullName="Opportunity.Territory__c", label="Territory", type="Picklist", valueSet=picklist
            )
        ]
    )
    assert [
        v["fullName"]
        for v in emu.metadata("CustomField")["Opportunity.Territory__c"]["valueSet"]["valueSetDefinition"][
            "value"
        ]
    ] == ["North", "South"]
    picklist["valueSetDefinition"]["value"] = picklist["valueSetDefinition"]["value"][
        :1
    ]  # drop South: in use
    with pytest.raises(Exception, match=r"'South' of Opportunity\.Territory__c is in use by 1 record"):
        md.CustomField.upsert(
            [
                md.CustomField(
                    fullName="Opportunity.Territory__c", label="Territory", type="Picklist", valueSet=picklist
                )
            ]
        )
    with pytest.raises(Exception, match="Must specify 'defaultValue' for a CustomField of type Checkbox"):
        md.CustomField.create([md.CustomField(fullName="Lead.Hot__c", label="Hot", type="Checkbox")])
    with pytest.raises(Exception, match="DUPLICATE_DEVELOPER_NAME"):
        md.CustomField.create(
            [md.CustomField(fullName="Opportunity.Competitor__c", label="Competitor", type="Text", length=80)]
        )
    md.CustomField.delete(["Opportunity.Discount__c"])
    assert (
        sf.query("SELECT COUNT() FROM FieldPermissions WHERE Field = 'Opportunity.Discount__c'")["totalSize"]
        == 0
    )
    with pytest.raises(SalesforceMalformedRequest):
        sf.query("SELECT Discount__c FROM Opportunity")


def test_business_process_and_record_type_rules(sf: Salesforce) -> None:
    md = sf.mdapi
    values = [
        md.PicklistValue(fullName=s, default=s == "Prospecting")
        for s in ("Prospecting", "Negotiation/Review", "Closed Won", "Closed Lost")
    ]
    md.BusinessProcess.upsert(
        [md.BusinessProcess(fullName="Opportunity.Renewals", isActive=True, values=values)]
    )
    md.RecordType.upsert(
        [
            md.RecordType(
                fullName="Opportunity.Renewal", label="Renewal", active=True, businessProcess="Renewals"
            )
        ]
    )
    rt = sf.query(
        "SELECT Name, DeveloperName, BusinessProcess.Name FROM RecordType WHERE SobjectType = "
        "'Opportunity' AND DeveloperName = 'Renewal'"
    )["records"][0]
    assert rt["BusinessProcess"]["Name"] == "Renewals"
    with pytest.raises(Exception, match="Picklist value: Contract Signed in business process"):
        md.BusinessProcess.upsert(
            [
                md.BusinessProcess(
                    fullName="Opportunity.Bad",
                    values=[md.PicklistValue(fullName="Contract Signed", default=False)],
                )
            ]
        )
    with pytest.raises(Exception, match=r"no BusinessProcess named Opportunity\.Missing found"):
        md.RecordType.upsert(
            [md.RecordType(fullName="Opportunity.X", label="X", active=True, businessProcess="Missing")]
        )
    with pytest.raises(Exception, match="used by record type"):
        md.BusinessProcess.delete(["Opportunity.Renewals"])


def test_validation_rule_upsert_enforced_on_records(sf: Salesforce) -> None:
    md = sf.mdapi
    rule = md.ValidationRule(
        fullName="Opportunity.Next_Step_At_Negotiation",
        active=True,
        errorConditionFormula='AND(ISPICKVAL(StageName, "Negotiation/Review"), ISBLANK(NextStep))',
        errorMessage="Next step is required in negotiation.",
        errorDisplayField="NextStep",
    )
    md.ValidationRule.upsert([rule])
    opp = sf.query(
        "SELECT Id FROM Opportunity WHERE StageName = 'Value Proposition' AND NextStep = null LIMIT 1"
    )
    with pytest.raises(SalesforceMalformedRequest, match="Next step is required"):
        sf.Opportunity.update(opp["records"][0]["Id"], {"StageName": "Negotiation/Review"})
    tooling = sf.restful(
        "tooling/query/",
        params={
            "q": "SELECT ValidationName, Active, EntityDefinition."
            "QualifiedApiName FROM ValidationRule WHERE Active = true"
        },
    )
    assert ("Next_Step_At_Negotiation", "Opportunity") in {
        (r["ValidationName"], r["EntityDefinition"]["QualifiedApiName"]) for r in tooling["records"]
    }
    rule.errorConditionFormula = "AND(ISPICKVAL(StageName, 'X'), ISBLANK(Amount)"
    with pytest.raises(Exception, match=r"Syntax error\. Missing '\)'"):
        md.ValidationRule.upsert([rule])
    rule.errorConditionFormula = "ISBLANK(Budget__c)"
    with pytest.raises(Exception, match="Field Budget__c does not exist"):
        md.ValidationRule.upsert([rule])


def test_flow_deploys_create_versions(emu: SalesforceEmulator, sf: Salesforce) -> None:
    emu.org.flow_deploy_activates = True  # a sandbox: status Active activates on deploy (production: see the rules)
    md = sf.mdapi
    start = md.FlowStart(
        locationX=0,
        locationY=0,
        object="Opportunity",
        triggerType="RecordAfterSave",
        recordTriggerType="Update",
        connector={"targetReference": "Notify"},
    )
    action = md.FlowActionCall(
        name="Notify",
        label="Notify",
        locationX=0,
        locationY=100,
        actionName="emailSimple",
        actionType="emailSimple",
    )
    flow = md.Flow(
        fullName="Proposal_Follow_Up",
        label="Proposal Follow Up",
        processType="AutoLaunchedFlow",
        status="Active",
        start=start,
        actionCalls=[action],
        description="Follow up on proposals",
    )
    md.Flow.upsert([flow])
    view = sf.query(
        "SELECT Label, IsActive, ProcessType, TriggerType, RecordTriggerType, TriggerObjectOrEventLabel "
        "FROM FlowDefinitionView WHERE ApiName = 'Proposal_Follow_Up'"
    )["records"][0]
    assert (view["IsActive"], view["TriggerType"], view["RecordTriggerType"]) == (
        True,
        "RecordAfterSave",
        "Update",
    )
    flow.description, flow.status = "Draft change", "Draft"
    md.Flow.upsert([flow])
    versions = sf.restful(
        "tooling/query/",
        params={
            "q": "SELECT VersionNumber, Status FROM Flow WHERE "
            "Definition.DeveloperName = 'Proposal_Follow_Up'"
        },
    )
    assert sorted((r["VersionNumber"], r["Status"]) for r in versions["records"]) == [
        (1, "Active"),
        (2, "Draft"),
    ]
    listed = {
        p.fullName: p
        for p in sf.mdapi.list_metadata([md._client.get_type("ns0:ListMetadataQuery")(type="Flow")])
    }
    assert listed["Proposal_Follow_Up"].lastModifiedByName == "Maria Lopez"
    flow.start.connector = {"targetReference": "Nowhere"}
    with pytest.raises(Exception, match='references "Nowhere"'):
        md.Flow.upsert([flow])
    with pytest.raises(Exception, match="active version"):
        md.Flow.delete(["Proposal_Follow_Up"])
    md.Flow.delete(["Closed_Won_Handoff"])
    assert "Closed_Won_Handoff" not in list_names(sf, "Flow")
    # Pre-44.0 style: versioned names and the FlowDefinition type.
    assert md.Flow.read(["Opportunity_Stage_Follow_Up-1"]).status == "Obsolete"
    definition = md.FlowDefinition.read(["Opportunity_Stage_Follow_Up"])
    assert definition.activeVersionNumber == 2
    definition.activeVersionNumber = 3
    md.FlowDefinition.upsert([definition])
    view = sf.query(
        "SELECT ActiveVersionId, LatestVersionId FROM FlowDefinitionView WHERE "
        "ApiName = 'Opportunity_Stage_Follow_Up'"
    )["records"][0]
    assert view["ActiveVersionId"] == view["LatestVersionId"]
    # API 44.0+: redeploying the active flow with status Obsolete deactivates it, without a new version.
    router = md.Flow.read(["Route_Inbound_Leads"])
    router.status = "Obsolete"
    md.Flow.upsert([router])
    view = sf.query(
        "SELECT IsActive, VersionNumber FROM FlowDefinitionView WHERE ApiName = 'Route_Inbound_Leads'"
    )
    assert (view["records"][0]["IsActive"], view["records"][0]["VersionNumber"]) == (False, 1)


def test_workflow_rules_only_switch_active(sf: Salesforce) -> None:
    md = sf.mdapi
    rule = md.WorkflowRule.read(["Opportunity.Big_Deal_Alert"])
    rule.active = False
    md.WorkflowRule.update([rule])
    assert md.WorkflowRule.read(["Opportunity.Big_Deal_Alert"]).active is False
    rule.description = "edited"
    with pytest.raises(Exception, match="only 'active' can be changed"):
        md.WorkflowRule.update([rule])
    with pytest.raises(Exception, match="retired"):
        md.WorkflowRule.upsert(
            [
                md.WorkflowRule(
                    fullName="Opportunity.New_Rule", active=True, triggerType="onCreateOnly", formula="true"
                )
            ]
        )


def test_permission_set_upsert_replaces_and_syncs_soql(emu: SalesforceEmulator, sf: Salesforce) -> None:
    md = sf.mdapi
    obj = md.PermissionSetObjectPermissions
    field = md.PermissionSetFieldPermissions
    md.PermissionSet.upsert(
        [
            md.PermissionSet(
                fullName="Sales_Rep",
                label="Sales Rep",
                objectPermissions=[
                    obj(
                        object="Lead",  # Opportunity would need Read on Accounts (test_salesforce_org_rules.py)
                        allowCreate=True,
                        allowRead=True,
                        allowEdit=True,
                        allowDelete=False,
                        viewAllRecords=False,
                        modifyAllRecords=False,
                    )
                ],
                fieldPermissions=[
                    field(field="Opportunity.Amount", editable=True, readable=True),
                    field(field="Opportunity.Discount__c", editable=False, readable=True),
                ],
            )
        ]
    )
    rows = sf.query(
        "SELECT Field, PermissionsRead, PermissionsEdit FROM FieldPermissions "
        "WHERE Parent.Name = 'Sales_Rep' ORDER BY Field"
    )["records"]
    assert [(r["Field"], r["PermissionsEdit"]) for r in rows] == [
        ("Opportunity.Amount", True),
        ("Opportunity.Discount__c", False),
    ]
    objects = sf.query("SELECT SobjectType FROM ObjectPermissions WHERE Parent.Name = 'Sales_Rep'")
    assert names(objects, "SobjectType") == ["Lead"]
    # The REST face of the same permission set writes back into the metadata.
    sf.FieldPermissions.update(
        sf.query(
            "SELECT Id FROM FieldPermissions WHERE Parent.Name = 'Sales_Rep' AND "
            "Field = 'Opportunity.Discount__c'"
        )["records"][0]["Id"],
        {"PermissionsEdit": True},
    )
    assert {
        f["field"]: f["editable"] for f in emu.metadata("PermissionSet")["Sales_Rep"]["fieldPermissions"]
    }["Opportunity.Discount__c"] is True
    with pytest.raises(Exception, match=r"You cannot deploy to a required field: Opportunity\.StageName"):
        md.PermissionSet.upsert(
            [
                md.PermissionSet(
                    fullName="Ops",
                    label="Ops",
                    fieldPermissions=[field(field="Opportunity.StageName", editable=True, readable=True)],
                )
            ]
        )
    with pytest.raises(Exception, match=r"no CustomField named Opportunity\.Nope__c found"):
        md.PermissionSet.upsert(
            [
                md.PermissionSet(
                    fullName="Ops",
                    label="Ops",
                    fieldPermissions=[field(field="Opportunity.Nope__c", editable=False, readable=True)],
                )
            ]
        )
    with pytest.raises(Exception, match="depends on permission"):
        md.PermissionSet.upsert(
            [
                md.PermissionSet(
                    fullName="Ops",
                    label="Ops",
                    objectPermissions=[
                        obj(
                            object="Case",
                            allowCreate=False,
                            allowRead=False,
                            allowEdit=True,
                            allowDelete=False,
                            viewAllRecords=False,
                            modifyAllRecords=False,
                        )
                    ],
                )
            ]
        )
    with pytest.raises(Exception, match="assigned to 3 user"):
        md.PermissionSet.delete(["Sales_Rep"])


def test_more_than_ten_components_is_a_fault(sf: Salesforce) -> None:
    with pytest.raises(zeep.exceptions.Fault) as fault:
        sf.mdapi.CustomField.read([f"Opportunity.F{i}__c" for i in range(11)])
    assert fault.value.code == "sf:EXCEEDED_ID_LIMIT"
    with pytest.raises(zeep.exceptions.Fault) as fault:  # a type name the org doesn't know
        sf.mdapi._service.readMetadata("NoSuchType", ["x"], _soapheaders=[sf.mdapi._session_header])
    assert fault.value.code == "sf:INVALID_TYPE"


# ---------------------------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------------------------


def test_rest_faults(emu: SalesforceEmulator, sf: Salesforce) -> None:
    emu.faults.inject("rate_limit", path=r"/query")
    with pytest.raises(SalesforceRefusedRequest) as err:
        sf.query("SELECT Id FROM User")
    assert err.value.status == 403 and err.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    emu.faults.inject("server_error", methods=("GET",))
    with pytest.raises(SalesforceGeneralError) as err:
        sf.query("SELECT Id FROM User")
    assert err.value.status == 500 and err.value.content[0]["errorCode"] == "UNKNOWN_EXCEPTION"
    assert sf.query("SELECT COUNT() FROM User")["totalSize"] == 8  # rules are consumed
    assert emu.faults.pending() == 0


def test_soap_faults_target_one_operation(emu: SalesforceEmulator, sf: Salesforce) -> None:
    emu.faults.inject("rate_limit", path=r"#upsertMetadata$")
    assert sf.mdapi.GlobalValueSet.read(["Region"]).masterLabel == "Region"  # reads are not matched
    with pytest.raises(zeep.exceptions.Fault) as fault:
        sf.mdapi.GlobalValueSet.upsert(
            [
                sf.mdapi.GlobalValueSet(
                    fullName="Tier",
                    masterLabel="Tier",
                    sorted=False,
                    customValue=[{"fullName": "Gold", "default": False}],
                )
            ]
        )
    assert fault.value.code == "sf:REQUEST_LIMIT_EXCEEDED"
    assert "Tier" not in emu.metadata("GlobalValueSet")
    emu.faults.inject("server_error", path=r"#readMetadata$")
    with pytest.raises(zeep.exceptions.Fault) as fault:
        sf.mdapi.GlobalValueSet.read(["Region"])
    assert fault.value.code == "sf:UNKNOWN_EXCEPTION"


def test_expired_session(emu: SalesforceEmulator, sf: Salesforce) -> None:
    emu.expire_session()
    with pytest.raises(SalesforceExpiredSession) as err:
        sf.query("SELECT Id FROM User")
    assert err.value.content == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    with pytest.raises(zeep.exceptions.Fault) as fault:
        sf.mdapi.StandardValueSet.read(["OpportunityStage"])
    assert fault.value.code == "sf:INVALID_SESSION_ID"


def test_drop_timeout_and_applied_effect(emu: SalesforceEmulator, sf: Salesforce) -> None:
    emu.faults.timeout_stall_s = 0.3
    emu.faults.inject("drop", path=r"/query")
    with pytest.raises(requests.exceptions.ConnectionError):
        sf.query("SELECT Id FROM User")
    emu.faults.inject("timeout", path=r"/query")
    with pytest.raises(requests.exceptions.Timeout):
        sf.query("SELECT Id FROM User", timeout=0.1)
    opp = sf.query("SELECT Id FROM Opportunity WHERE StageName = 'Prospecting' LIMIT 1")["records"][0]["Id"]
    emu.faults.inject("drop", methods=("PATCH",), applied_effect=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        sf.Opportunity.update(opp, {"StageName": "Qualification"})
    assert sf.Opportunity.get(opp)["StageName"] == "Qualification"  # the change landed, the answer did not
    emu.faults.inject("server_error", path=r"#upsertMetadata$", applied_effect=True)
    with pytest.raises(zeep.exceptions.Fault):
        sf.mdapi.GlobalValueSet.upsert(
            [
                sf.mdapi.GlobalValueSet(
                    fullName="Tier",
                    masterLabel="Tier",
                    sorted=False,
                    customValue=[{"fullName": "Gold", "default": False}],
                )
            ]
        )
    assert "Tier" in emu.metadata("GlobalValueSet")


def test_partial_upsert_fails_every_second_component(emu: SalesforceEmulator, sf: Salesforce) -> None:
    emu.faults.inject("partial", path=r"#upsertMetadata$")
    fields = [
        sf.mdapi.CustomField(fullName=f"Lead.Partial_{i}__c", label=f"Partial {i}", type="Text", length=20)
        for i in range(4)
    ]
    with pytest.raises(Exception, match=r"Lead.Partial_1__c: \(UNKNOWN_EXCEPTION"):
        sf.mdapi.CustomField.upsert(fields)
    assert sorted(n for n in emu.metadata("CustomField") if "Partial" in n) == [
        "Lead.Partial_0__c",
        "Lead.Partial_2__c",
    ]


def test_latency_applies_to_every_request(emu: SalesforceEmulator, sf: Salesforce) -> None:
    emu.faults.latency_s = 0.05
    began = time.perf_counter()
    sf.query("SELECT Id FROM User LIMIT 1")
    sf.mdapi.StandardValueSet.read(["CaseStatus"])
    assert time.perf_counter() - began >= 0.1


# ---------------------------------------------------------------------------------------------
# Scale, standalone, acceptance
# ---------------------------------------------------------------------------------------------


def test_seed_scale_counts(emu: SalesforceEmulator, sf: Salesforce) -> None:
    before = sf.query("SELECT COUNT() FROM FieldPermissions")["totalSize"]
    seed_scale(emu, custom_fields=60, flows=20, permission_sets=10, field_permissions=1200)
    assert sf.query("SELECT COUNT() FROM FieldPermissions")["totalSize"] == before + 1200
    assert (
        sf.query("SELECT COUNT() FROM FlowDefinitionView WHERE ApiName LIKE 'Scale_Flow_%'")["totalSize"]
        == 20
    )
    assert (
        sf.query("SELECT COUNT() FROM FlowDefinitionView WHERE IsActive = true AND ApiName LIKE 'Scale%'")[
            "totalSize"
        ]
        == 10
    )
    assert sf.query("SELECT COUNT() FROM PermissionSet WHERE Name LIKE 'Scale_PermSet_%'")["totalSize"] == 10
    assert len(list_names(sf, "CustomField")) == 15 + 60
    rows = sf.query_all("SELECT Id, Field FROM FieldPermissions")
    assert rows["totalSize"] == before + 1200 and len({r["Id"] for r in rows["records"]}) == before + 1200
    with pytest.raises(ValueError, match="permissionable fields"):
        seed_scale(emu, custom_fields=0, flows=0, permission_sets=1, field_permissions=100000)


def test_standalone_process_prints_working_urls() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.emulators.salesforce", "--port", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        info = dict(proc.stdout.readline().strip().split("=", 1) for _ in range(3))
        assert set(info) == {"instance_url", "ca_bundle", "session_id"}
        res = requests.get(
            f"{info['instance_url']}/services/data/v59.0/query/",
            params={"q": "SELECT COUNT() FROM User"},
            verify=info["ca_bundle"],
            timeout=10,
            headers={"Authorization": f"Bearer {info['session_id']}"},
        )
        assert res.status_code == 200 and res.json()["totalSize"] == 8
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0 and err == ""


def test_strict_wsdl_accepts_every_reply(emu: SalesforceEmulator, sf: Salesforce) -> None:
    """Acceptance: one of each Metadata operation, type, error result and fault, all parsed strictly."""
    md = sf.mdapi
    query = md._client.get_type("ns0:ListMetadataQuery")
    for type_name in SUPPORTED_TYPES:
        listed = [p.fullName for p in md.list_metadata([query(type=type_name)])]
        read_all(sf, type_name, [*listed, "Missing.Component"])
    md.describe_metadata()
    md.GlobalValueSet.upsert(
        [
            md.GlobalValueSet(
                fullName="Tier",
                masterLabel="Tier",
                sorted=False,
                customValue=[{"fullName": "Gold", "default": False}],
            )
        ]
    )
    md.GlobalValueSet.create(
        [
            md.GlobalValueSet(
                fullName="Tier2",
                masterLabel="Tier 2",
                sorted=False,
                customValue=[{"fullName": "Gold", "default": False}],
            )
        ]
    )
    with pytest.raises(Exception, match="at least one value"):
        md.GlobalValueSet.update([md.GlobalValueSet(fullName="Tier", masterLabel="Tier", sorted=False)])
    md.GlobalValueSet.delete(["Tier2"])
    with pytest.raises(Exception, match="INVALID_CROSS_REFERENCE_KEY"):
        md.GlobalValueSet.delete(["Tier2"])
    for kind in ("rate_limit", "server_error"):
        emu.faults.inject(kind, path=r"#listMetadata$")
        with pytest.raises(zeep.exceptions.Fault):
            md.list_metadata([query(type="Flow")])
    raw = requests.post(
        f"{emu.instance_url}/services/Soap/m/59.0/",
        data=b"<not-xml",
        verify=emu.ca_path,
        headers={"Content-Type": "text/xml", "SOAPAction": '""'},
        timeout=5,
    )
    assert raw.status_code == 500 and b"soapenv:Client" in raw.content
    operations = {ex.operation for ex in emu.soap_exchanges}
    assert {
        "readMetadata",
        "listMetadata",
        "describeMetadata",
        "upsertMetadata",
        "createMetadata",
        "updateMetadata",
        "deleteMetadata",
    } <= operations
    assert len(emu.soap_exchanges) >= 25
    check_exchanges(emu)  # also runs at teardown; here to fail inside the acceptance test itself


def test_an_unchanged_flow_upserted_again_adds_no_version(emu: SalesforceEmulator, sf: Salesforce) -> None:
    """upsertMetadata keys on the full name: the same flow sent twice (two applies) stays one flow, one version."""
    md = sf.mdapi
    start = md.FlowStart(locationX=0, locationY=0, object="Opportunity", triggerType="RecordAfterSave",
                         recordTriggerType="Update", connector={"targetReference": "Notify"})
    action = md.FlowActionCall(name="Notify", label="Notify", locationX=0, locationY=100, actionName="emailSimple",
                               actionType="emailSimple")
    flow = md.Flow(fullName="Twice_Sent", label="Twice Sent", processType="AutoLaunchedFlow", status="Draft",
                   start=start, actionCalls=[action], description="Sent by two applies")
    md.Flow.upsert([flow])
    md.Flow.upsert([flow])
    versions = sf.restful("tooling/query/", params={
        "q": "SELECT VersionNumber FROM Flow WHERE Definition.DeveloperName = 'Twice_Sent'"})["records"]
    assert [r["VersionNumber"] for r in versions] == [1]
    assert list(emu.metadata("Flow")).count("Twice_Sent") == 1
