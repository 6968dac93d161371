"""The rules a real org enforces that the first emulator let through (tests/emulators/RULES-salesforce.md).

Each test drives the real simple-salesforce client (REST over requests, Metadata SOAP over zeep)
against the emulator and shows one rule refusing what a real org refuses, and accepting what it
accepts. Every SOAP exchange is checked against the bundled metadata.wsdl after each test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from tests.emulators.salesforce import SalesforceEmulator, connect
from tests.emulators.salesforce_seed import ADMIN_PROFILE, grant_profile_fls
from tests.emulators.salesforce_wsdl import check_exchanges


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[SalesforceEmulator, Salesforce]]:
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


def q(soql: str) -> str:
    return f"v59.0/query/?q={soql.replace(' ', '+')}"


# --- R1, R2: Composite and Composite Batch --------------------------------------------------------


def test_r1_composite_takes_at_most_five_queries(emu: SalesforceEmulator, sf: Salesforce) -> None:
    def composite(n_queries: int) -> dict[str, Any]:
        subs = [{"method": "GET", "url": "/services/data/v59.0/query/?q=SELECT+Id+FROM+User", "referenceId": f"q{i}"}
                for i in range(n_queries)]
        subs += [{"method": "GET", "url": f"/services/data/v59.0/sobjects/{o}/describe", "referenceId": o}
                 for o in ("Account", "Contact", "Lead", "Opportunity", "Case")]  # describes are not capped
        return {"allOrNone": False, "compositeRequest": subs}

    reply = sf.restful("composite", method="POST", json=composite(5))
    assert [p["httpStatusCode"] for p in reply["compositeResponse"]] == [200] * 10
    before = emu.api_usage
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.restful("composite", method="POST", json=composite(6))
    assert refused.value.content[0]["errorCode"] == "LIMIT_EXCEEDED" and "up to 5 query" in refused.value.content[0]["message"]
    assert emu.api_usage == before + 1  # refused whole: one call, no subrequest ran


def test_r2_composite_batch_takes_25_independent_queries_each_counted(emu: SalesforceEmulator, sf: Salesforce) -> None:
    body = {"batchRequests": [{"method": "GET", "url": q("SELECT Id FROM User")} for _ in range(20)]}
    body["batchRequests"].append({"method": "GET", "url": "v59.0/sobjects/Opportunity/describe"})
    before = emu.api_usage
    reply = sf.restful("composite/batch", method="POST", json=body)
    assert reply["hasErrors"] is False and len(reply["results"]) == 21
    assert reply["results"][0]["result"]["totalSize"] == 8
    assert emu.api_usage == before + 21  # every subrequest counts against the daily limit
    with pytest.raises(SalesforceMalformedRequest, match="INVALID_BATCH_REQUEST"):  # no Tooling in a batch
        sf.restful("composite/batch", method="POST",
                   json={"batchRequests": [{"method": "GET", "url": "v59.0/tooling/query/?q=SELECT+Id+FROM+Flow"}]})
    halted = sf.restful("composite/batch", method="POST", json={"haltOnError": True, "batchRequests": [
        {"method": "GET", "url": q("SELECT Nope FROM User")}, {"method": "GET", "url": q("SELECT Id FROM User")}]})
    assert halted["hasErrors"] and [r["statusCode"] for r in halted["results"]] == [400, 412]


# --- R3: field-level security ---------------------------------------------------------------------


def test_r3_a_field_without_field_level_security_is_hidden_from_describe_soql_and_writes(
    emu: SalesforceEmulator, sf: Salesforce
) -> None:
    md = sf.mdapi
    md.CustomField.create([md.CustomField(fullName="Opportunity.Margin__c", label="Margin", type="Number",
                                          precision=18, scale=2)])
    assert "Margin__c" not in [f["name"] for f in sf.Opportunity.describe()["fields"]]
    with pytest.raises(SalesforceMalformedRequest) as hidden:
        sf.query("SELECT Margin__c FROM Opportunity")
    assert hidden.value.content[0]["errorCode"] == "INVALID_FIELD" and "No such column 'Margin__c'" in str(hidden.value)
    with pytest.raises(SalesforceMalformedRequest, match="No such column 'Margin__c'"):
        sf.Opportunity.create({"Name": "x", "StageName": "Prospecting", "CloseDate": "2026-01-01", "Margin__c": 1})
    query = md._client.get_type("ns0:ListMetadataQuery")(type="CustomField")
    assert "Opportunity.Margin__c" in [p.fullName for p in md.list_metadata([query])]  # the Metadata API sees it
    # A permission set granting it, assigned to the API user, makes it visible; so does the profile.
    md.PermissionSet.create([md.PermissionSet(fullName="Margins", label="Margins", fieldPermissions=[
        md.PermissionSetFieldPermissions(field="Opportunity.Margin__c", readable=True, editable=True)])])
    set_id = next(r["Id"] for r in emu.records("PermissionSet") if r["Name"] == "Margins")
    emu.add_record("PermissionSetAssignment", {"AssigneeId": emu.org.api_user_id, "PermissionSetId": set_id})
    assert "Margin__c" in [f["name"] for f in sf.Opportunity.describe()["fields"]]
    assert sf.query("SELECT Margin__c FROM Opportunity LIMIT 1")["totalSize"] == 1
    md.CustomField.create([md.CustomField(fullName="Lead.Fit__c", label="Fit", type="Text", length=20)])
    grant_profile_fls(emu.org, ADMIN_PROFILE, ["Lead.Fit__c"])
    assert sf.query("SELECT Fit__c FROM Lead LIMIT 1")["totalSize"] == 1


# --- R4, R5: how components read back -------------------------------------------------------------


def test_r4_business_process_values_read_url_encoded_and_not_in_written_order(sf: Salesforce) -> None:
    md = sf.mdapi
    values = [md.PicklistValue(fullName=v, default=i == 0) for i, v in enumerate(
        ["Prospecting", "Proposal/Price Quote", "Id%2E Decision Makers", "Closed Won", "Closed Lost"])]
    md.BusinessProcess.upsert([md.BusinessProcess(fullName="Opportunity.Channel", isActive=True, values=values)])
    read = md.BusinessProcess.read(["Opportunity.Channel"])
    assert [v.fullName for v in read.values] == [
        "Closed Lost", "Closed Won", "Id%2E Decision Makers", "Proposal%2FPrice Quote", "Prospecting"]
    stored = [v["fullName"] for v in md.BusinessProcess.read(["Opportunity.Channel"]).values]
    assert "Proposal%2FPrice Quote" in stored  # plain and encoded input name the same value


def test_r5_a_missing_component_is_an_empty_record_of_its_type(sf: Salesforce) -> None:
    missing, found = sf.mdapi.ValidationRule.read(["Opportunity.Nope", "Opportunity.Loss_Reason_Required"])
    assert type(missing).__name__ == "ValidationRule" and missing.fullName is None
    assert found.fullName == "Opportunity.Loss_Reason_Required"


# --- R6, R7: names, lengths and formulas ----------------------------------------------------------


@pytest.mark.parametrize(("component", "expected"), [
    ({"fullName": "Opportunity." + "A" * 41 + "__c", "label": "Long", "type": "Date"}, "Field Name: data value too large"),
    ({"fullName": "Opportunity.Short__c", "label": "L" * 41, "type": "Date"}, "Field Label: data value too large"),
])
def test_r6_custom_field_names_and_labels_have_40_characters(sf: Salesforce, component: dict[str, Any],
                                                             expected: str) -> None:
    with pytest.raises(Exception, match=expected):
        sf.mdapi.CustomField.create([sf.mdapi.CustomField(**component)])
    sf.mdapi.CustomField.create([sf.mdapi.CustomField(fullName="Opportunity." + "A" * 40 + "__c", label="L" * 40,
                                                      type="Date")])


@pytest.mark.parametrize(("change", "expected"), [
    ({"fullName": "Opportunity." + "R" * 41}, "Rule Name: data value too large"),
    ({"errorMessage": "m" * 256}, "Error Message: data value too large"),
    ({"errorConditionFormula": "ISBLANK(Amount) && " + " && ".join(["ISBLANK(Amount)"] * 300)}, "too long"),
])
def test_r6_validation_rule_lengths(sf: Salesforce, change: dict[str, Any], expected: str) -> None:
    rule = {"fullName": "Opportunity.Length_Check", "active": True, "errorConditionFormula": "ISBLANK(Amount)",
            "errorMessage": "Amount please"}
    sf.mdapi.ValidationRule.upsert([sf.mdapi.ValidationRule(**rule)])
    with pytest.raises(Exception, match=expected):
        sf.mdapi.ValidationRule.upsert([sf.mdapi.ValidationRule(**{**rule, **change})])


@pytest.mark.parametrize(("formula", "refusal"), [
    ('ISBLANK(StageName)', "Field StageName is a picklist field"),
    ('StageName = "Closed Won"', "Field StageName is a picklist field"),
    ('NOT(Name)', "Incorrect parameter type for function 'NOT()'. Expected Boolean, received Text"),
    ('NOT(Amount)', "Expected Boolean, received Number"),
    ('AND(ISPICKVAL(StageName, "Closed Won"), ISBLANK(Amount))', None),
    ('AND(ISCHANGED(StageName), ISPICKVAL(PRIORVALUE(StageName), "Closed Won"))', None),
    ('AND(NOT(ISBLANK(NextStep)), NOT(REGEX(NextStep, "[A-Z].*")))', None),
    ('AND($User.Title <> "Sales Manager", ISBLANK(TEXT(Type)))', None),
    ('AND(RecordType.DeveloperName = "New_Business", ISBLANK(Amount))', None),
    ('ISBLANK(Lead_Source_Detail__c)', "Field Lead_Source_Detail__c is a picklist field"),
    ('NOT(Exit_Criteria_Met__c)', None),
])
def test_r7_formula_type_rules_on_save(sf: Salesforce, formula: str, refusal: str | None) -> None:
    rule = sf.mdapi.ValidationRule(fullName="Opportunity.Formula_Check", active=True, errorConditionFormula=formula,
                                   errorMessage="no")
    if refusal is None:
        sf.mdapi.ValidationRule.upsert([rule])
    else:
        with pytest.raises(Exception, match=refusal.replace("(", r"\(").replace(")", r"\)")):
            sf.mdapi.ValidationRule.upsert([rule])


def test_r7_user_record_type_and_regex_are_evaluated_on_record_writes(emu: SalesforceEmulator, sf: Salesforce) -> None:
    md = sf.mdapi
    md.ValidationRule.upsert([md.ValidationRule(
        fullName="Opportunity.Managers_Only", active=True, errorMessage="Only sales managers close New Business",
        errorConditionFormula='AND(RecordType.DeveloperName = "New_Business", ISPICKVAL(StageName, "Closed Won"), '
                              '$User.Title <> "Sales Manager")')])
    md.ValidationRule.upsert([md.ValidationRule(
        fullName="Opportunity.Next_Step_Format", active=True, errorMessage="Start the next step with a verb",
        errorConditionFormula='AND(NOT(ISBLANK(NextStep)), NOT(REGEX(NextStep, "[A-Z][a-z]+ .*")))')])
    rt = next(r["Id"] for r in emu.records("RecordType") if r["DeveloperName"] == "New_Business")
    deal = {"Name": "Rules", "CloseDate": "2026-01-01", "RecordTypeId": rt}
    with pytest.raises(SalesforceMalformedRequest, match="Only sales managers"):  # the API user is RevOps
        sf.Opportunity.create({**deal, "StageName": "Closed Won"})
    assert sf.Opportunity.create({**deal, "RecordTypeId": None, "StageName": "Closed Won"})["success"]
    with pytest.raises(SalesforceMalformedRequest, match="Start the next step"):
        sf.Opportunity.create({**deal, "StageName": "Prospecting", "NextStep": "call them"})
    assert sf.Opportunity.create({**deal, "StageName": "Prospecting", "NextStep": "Call them"})["success"]


# --- R8: references block a delete or a retype ----------------------------------------------------


def test_r8_a_field_in_use_cannot_be_deleted_or_retyped(emu: SalesforceEmulator, sf: Salesforce) -> None:
    md = sf.mdapi
    md.CustomField.create([md.CustomField(fullName="Opportunity.Risk__c", label="Risk", type="Number", precision=3,
                                          scale=0)])
    rule = md.ValidationRule(fullName="Opportunity.Risk_Set", active=True, errorConditionFormula="ISBLANK(Risk__c)",
                             errorMessage="Set the risk")
    md.ValidationRule.upsert([rule])
    with pytest.raises(Exception, match=r"DELETE_FAILED.*Validation Rule Opportunity\.Risk_Set"):
        md.CustomField.delete(["Opportunity.Risk__c"])
    with pytest.raises(Exception, match="CANNOT_CHANGE_FIELD_TYPE_OF_REFERENCED_FIELD"):
        md.CustomField.upsert([md.CustomField(fullName="Opportunity.Risk__c", label="Risk", type="Text", length=10)])
    uses = sf.restful("tooling/query/", params={"q": "SELECT MetadataComponentName, MetadataComponentType FROM "
                                                     "MetadataComponentDependency WHERE RefMetadataComponentName = 'Risk'"})
    assert [(r["MetadataComponentName"], r["MetadataComponentType"]) for r in uses["records"]] == [
        ("Risk_Set", "ValidationRule")]
    rule.active = False  # an inactive rule does not stop a delete (it is left naming a field that is gone)
    md.ValidationRule.upsert([rule])
    md.CustomField.delete(["Opportunity.Risk__c"])
    assert "Opportunity.Risk__c" not in emu.metadata("CustomField")


def test_r8_formula_fields_flows_and_workflow_rules_block_too(emu: SalesforceEmulator, sf: Salesforce) -> None:
    md = sf.mdapi
    md.CustomField.create([md.CustomField(fullName="Opportunity.Net__c", label="Net", type="Currency", precision=18,
                                          scale=2, formula="Amount * (1 - Discount__c)")])
    with pytest.raises(Exception, match=r"Formula Field Opportunity\.Net__c"):
        md.CustomField.delete(["Opportunity.Discount__c"])
    start = md.FlowStart(locationX=0, locationY=0, object="Opportunity", triggerType="RecordAfterSave",
                         recordTriggerType="Update", filterLogic="and", connector={"targetReference": "Notify"},
                         filters=[md.FlowRecordFilter(field="Competitor__c", operator="IsChanged",
                                                      value=md.FlowElementReferenceOrValue(booleanValue=True))])
    notify = md.FlowActionCall(name="Notify", label="Notify", locationX=0, locationY=100, actionName="emailSimple",
                               actionType="emailSimple")
    md.Flow.upsert([md.Flow(fullName="Competitor_Watch", label="Competitor Watch", processType="AutoLaunchedFlow",
                            status="Draft", start=start, actionCalls=[notify])])  # a draft blocks as much
    with pytest.raises(Exception, match="Flow Competitor_Watch"):
        md.CustomField.delete(["Opportunity.Competitor__c"])
    emu.org.put("WorkflowRule", {"fullName": "Opportunity.Next_Step_Reminder", "active": False,
                                 "triggerType": "onCreateOnly", "criteriaItems": [
                                     {"field": "Opportunity.Next_Step_Date__c", "operation": "notEqual", "value": ""}]})
    with pytest.raises(Exception, match=r"Workflow Rule Opportunity\.Next_Step_Reminder"):  # inactive, still blocks
        md.CustomField.delete(["Opportunity.Next_Step_Date__c"])


# --- R9: object permissions depend on other objects -----------------------------------------------


def test_r9_access_to_opportunities_or_contacts_needs_read_on_accounts(emu: SalesforceEmulator, sf: Salesforce) -> None:
    md = sf.mdapi

    def grant(obj: str, read: bool = True, edit: bool = False) -> Any:
        return md.PermissionSetObjectPermissions(object=obj, allowCreate=False, allowRead=read, allowEdit=edit,
                                                 allowDelete=False, viewAllRecords=False, modifyAllRecords=False)

    with pytest.raises(Exception, match=r"Permission Read Opportunities depends on permission\(s\): Read Accounts"):
        md.PermissionSet.create([md.PermissionSet(fullName="Deals", label="Deals", objectPermissions=[grant("Opportunity")])])
    with pytest.raises(Exception, match=r"Permission Edit Contacts depends on permission\(s\): Read Accounts"):
        md.PermissionSet.create([md.PermissionSet(fullName="People", label="People", objectPermissions=[
            grant("Contact", edit=True), grant("Account", read=False)])])
    md.PermissionSet.create([md.PermissionSet(fullName="Deals", label="Deals", objectPermissions=[
        grant("Opportunity"), grant("Account")])])
    rows = sf.query("SELECT SobjectType FROM ObjectPermissions WHERE Parent.Name = 'Deals' ORDER BY SobjectType")
    assert [r["SobjectType"] for r in rows["records"]] == ["Account", "Opportunity"]


# --- R10, R11: flows ------------------------------------------------------------------------------


def _follow_up(md: Any, status: str, **start: Any) -> Any:
    begin = md.FlowStart(locationX=0, locationY=0, object="Opportunity", triggerType="RecordAfterSave",
                         connector={"targetReference": "Notify"}, **{"recordTriggerType": "Update", **start})
    notify = md.FlowActionCall(name="Notify", label="Notify", locationX=0, locationY=100, actionName="emailSimple",
                               actionType="emailSimple")
    return md.Flow(fullName="Follow_Up", label="Follow Up", processType="AutoLaunchedFlow", status=status,
                   start=begin, actionCalls=[notify])


def view(sf: Salesforce, name: str) -> dict[str, Any]:
    return dict(sf.query(f"SELECT IsActive, VersionNumber, DurableId FROM FlowDefinitionView WHERE ApiName = '{name}'")
                ["records"][0])


def test_r10_production_deploys_flows_inactive_and_tooling_activates_them(emu: SalesforceEmulator, sf: Salesforce) -> None:
    md = sf.mdapi
    md.Flow.upsert([_follow_up(md, "Active")])
    assert view(sf, "Follow_Up")["IsActive"] is False  # status Active in a production deploy: saved inactive
    md.Flow.upsert([_follow_up(md, "Active")])  # the same body again: nothing new, still inactive
    assert (view(sf, "Follow_Up")["IsActive"], view(sf, "Follow_Up")["VersionNumber"]) == (False, 1)
    sf.toolingexecute(f"sobjects/FlowDefinition/{view(sf, 'Follow_Up')['DurableId']}", method="PATCH",
                      data={"Metadata": {"activeVersionNumber": 1}})
    assert view(sf, "Follow_Up")["IsActive"] is True
    emu.org.flow_deploy_activates = True  # a sandbox (or "Deploy processes and flows as active" on)
    md.Flow.upsert([_follow_up(md, "Active", filterLogic="and", filters=[md.FlowRecordFilter(
        field="Amount", operator="IsChanged", value=md.FlowElementReferenceOrValue(booleanValue=True))])])
    assert view(sf, "Follow_Up")["VersionNumber"] == 2 and view(sf, "Follow_Up")["IsActive"]


def _path(md: Any, **fields: Any) -> Any:
    return md.FlowScheduledPath(name="Later", label="Later", connector={"targetReference": "Notify"}, **fields)


@pytest.mark.parametrize(("start", "refusal"), [
    ({"recordTriggerType": "CreateAndUpdate", "scheduledPaths": "async+offset"}, "asynchronous path Later can't have"),
    ({"recordTriggerType": "CreateAndUpdate", "scheduledPaths": "scheduled"}, "doesRequireRecordChangedToMeetCriteria"),
    ({"recordTriggerType": "CreateAndUpdate", "scheduledPaths": "no offset",
      "doesRequireRecordChangedToMeetCriteria": True}, "needs offsetNumber, offsetUnit"),
    ({"recordTriggerType": "CreateAndUpdate", "scheduledPaths": "scheduled",
      "doesRequireRecordChangedToMeetCriteria": True}, None),
    ({"recordTriggerType": "Create", "scheduledPaths": "scheduled"}, None),  # on create: nothing to re-run
    ({"recordTriggerType": "CreateAndUpdate", "scheduledPaths": "async"}, None),
])
def test_r11_scheduled_and_asynchronous_paths(sf: Salesforce, start: dict[str, Any], refusal: str | None) -> None:
    md = sf.mdapi
    timed = {"offsetNumber": -3, "offsetUnit": "Days", "recordField": "CloseDate", "timeSource": "RecordField"}
    paths = {"async+offset": _path(md, pathType="AsyncAfterCommit", **timed), "scheduled": _path(md, **timed),
             "no offset": _path(md, recordField="CloseDate"), "async": _path(md, pathType="AsyncAfterCommit")}
    filters = [md.FlowRecordFilter(field="CloseDate", operator="IsNull", value=md.FlowElementReferenceOrValue(
        booleanValue=False))]
    flow = _follow_up(md, "Draft", filterLogic="and", filters=filters,
                      **{**start, "scheduledPaths": [paths[start["scheduledPaths"]]]})
    flow.start.connector = None
    if refusal is None:
        md.Flow.upsert([flow])
    else:
        with pytest.raises(Exception, match=refusal):
            md.Flow.upsert([flow])


# --- R12: installed packages ----------------------------------------------------------------------


def test_r12_what_a_package_installed_is_read_only(emu: SalesforceEmulator, sf: Salesforce) -> None:
    md = sf.mdapi
    emu.org.namespaces["acmecpq"] = "Acme CPQ"
    emu.org.put("CustomField", {"fullName": "Opportunity.acmecpq__Quote_Total__c", "label": "Quote Total",
                                "type": "Currency", "precision": 18, "scale": 2})
    emu.org.put("PermissionSet", {"fullName": "acmecpq__CPQ_User", "label": "CPQ User"})
    with pytest.raises(Exception, match="CANNOT_MODIFY_MANAGED_OBJECT"):
        md.CustomField.upsert([md.CustomField(fullName="Opportunity.acmecpq__Quote_Total__c", label="Total",
                                              type="Currency", precision=18, scale=2)])
    with pytest.raises(Exception, match="CANNOT_MODIFY_MANAGED_OBJECT"):
        md.PermissionSet.upsert([md.PermissionSet(fullName="acmecpq__CPQ_User", label="Mine now")])
    with pytest.raises(Exception, match="CANNOT_DELETE_MANAGED_OBJECT"):
        md.PermissionSet.delete(["acmecpq__CPQ_User"])
    listing = md._client.get_type("ns0:ListMetadataQuery")
    props = {p.fullName: p for p in md.list_metadata([listing(type="PermissionSet"), listing(type="CustomField")])}
    cpq = props["acmecpq__CPQ_User"]
    assert (cpq.namespacePrefix, cpq.manageableState) == ("acmecpq", "installed")
    assert props["Sales_Rep"].namespacePrefix is None and props["Sales_Rep"].manageableState == "unmanaged"
    row = sf.query("SELECT Name, NamespacePrefix, IsCustom FROM PermissionSet WHERE NamespacePrefix = 'acmecpq'")
    assert row["records"][0]["Name"] == "CPQ_User" and row["records"][0]["IsCustom"] is False


def test_the_rules_catalogue_names_tests_that_exist() -> None:
    """Every test RULES-salesforce.md cites is a test of the module its column names."""
    here = Path(__file__).parent
    modules = {"E": here / "test_salesforce_org_rules.py", "EE": here / "test_salesforce_emulator.py"}
    providers = here.parent / "providers" / "salesforce"
    modules.update({"P": providers / "test_real_org.py", "M": providers / "test_messy_org.py",
                    "PP": providers / "test_provider.py", "C": providers / "test_compile.py",
                    "F": providers / "test_convergence_fuzz.py"})
    modules.update({"A": here / "test_salesforce_aggregates.py", "H": providers / "test_health.py"})
    modules.update({"I": here / "test_salesforce_interview_rules.py", "AR": providers / "test_audit_runs.py",
                    "CP": here / "test_salesforce_custom_permission_rules.py", "PL": providers / "test_pilots.py"})
    text = (here / "RULES-salesforce.md").read_text()
    cited = re.findall(r"\b(EE|E|PP|P|M|CP|C|F|AR|A|H|I|PL): ((?:`test_\w+`(?:, | and )?)+)", text)
    assert len(cited) >= 20
    for module, names in cited:
        source = modules[module].read_text()
        for name in re.findall(r"`(test_\w+)`", names):
            assert f"def {name}(" in source, (module, name)
    assert {f"R{i}" for i in range(1, 14)} <= set(re.findall(r"\| (R\d+) \|", text))
    storage = text.partition("## Managed record storage")[2]  # its tests are in test_state_storage.py
    named = re.findall(r"`(test_\w+)", storage)
    assert named and all(f"def {n}(" in (here / "test_state_storage.py").read_text() for n in named), named
