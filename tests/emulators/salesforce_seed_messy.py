"""A messy org: what a real company's Salesforce looks like after years of use.

`SalesforceEmulator(seed=seed_messy)`. Everything crmconf must survive at first contact:
- stages: several won and several lost ones, values whose API names are URL-encoded inside a
  process (`Demo/Trial`, `Id. Decision Makers`, `Verbal Commit (90%)`), forecast categories set by
  hand (Commit at 90 %, Best Case), inactive stages, values in no process;
- three Opportunity processes with their record types (one process name with a space), an old
  process no record type uses, a support process and a lead process;
- custom fields of every kind, three of them without field-level security for the API user, a
  formula and a lookup, a picklist on a global value set, a retired picklist value;
- a managed package (namespace `acmecpq`): fields, a permission set, a flow, a validation rule;
  and Salesforce's own `sfdcInternalInt__sfdc_scrt2` permission set;
- flows of several process types: record-triggered (one with a scheduled path and three
  versions), screen, Process Builder (Workflow, deactivated), schedule-triggered, a never-activated
  draft, and one crmconf compiled in an earlier life;
- hand-made validation rules (ISCHANGED, PRIORVALUE, REGEX, $User, RecordType), legacy workflow rules,
  permission sets with grants on fields the spec language cannot name.
Components are written straight into the org (no validation), as salesforce_seed.py does.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from tests.emulators.salesforce_org import Org
from tests.emulators.salesforce_records import derive_fields
from tests.emulators.salesforce_seed import (
    ADMIN_PROFILE,
    SEED_TIME,
    grant_profile_fls,
    seed_core,
)

NAMESPACE = "acmecpq"

# (API name, probability, forecastCategory, closed, won, active)
STAGES = [
    ("Prospecting", 10, "Pipeline", False, False, True),
    ("Discovery", 15, "Pipeline", False, False, True),
    ("Qualification", 20, "Pipeline", False, False, False),  # retired years ago
    ("Needs Analysis", 20, "Pipeline", False, False, True),
    ("Id. Decision Makers", 30, "Pipeline", False, False, True),
    ("Demo/Trial", 40, "Pipeline", False, False, True),
    ("Value Proposition", 50, "Pipeline", False, False, True),
    ("Perception Analysis", 70, "Pipeline", False, False, False),
    ("Renewal Pending", 60, "Pipeline", False, False, True),
    ("Proposal/Price Quote", 75, "BestCase", False, False, True),
    ("Legal & Procurement", 80, "BestCase", False, False, True),
    ("Negotiation/Review", 90, "Forecast", False, False, True),
    ("Verbal Commit (90%)", 95, "MostLikely", False, False, True),
    ("Closed Won", 100, "Closed", True, True, True),
    ("Closed Won - Expansion", 100, "Closed", True, True, True),
    ("Closed Won - Renewal", 100, "Closed", True, True, True),
    ("Closed Lost", 0, "Omitted", True, False, True),
    ("Closed Lost - No Budget", 0, "Omitted", True, False, True),
    ("Closed Lost - Competitor", 0, "Omitted", True, False, True),
    ("Closed - Duplicate", 0, "Omitted", True, False, True),  # in no process
    ("Legacy Stage 2019", 30, "Pipeline", False, False, False),
]
# process Name -> (record type DeveloperName, record type label, description, values)
PROCESSES: dict[str, tuple[str | None, str, str, list[str]]] = {
    "Enterprise Sales": ("Enterprise_Deal", "Enterprise Deal", "Six-figure deals with a buying committee", [
        "Prospecting", "Discovery", "Needs Analysis", "Id. Decision Makers", "Demo/Trial", "Proposal/Price Quote",
        "Legal & Procurement", "Negotiation/Review", "Verbal Commit (90%)", "Closed Won", "Closed Won - Expansion",
        "Closed Lost", "Closed Lost - Competitor"]),
    "SMB_Sales": ("SMB_Deal", "SMB Deal", "Transactional deals closed in a month", [
        "Prospecting", "Demo/Trial", "Proposal/Price Quote", "Closed Won", "Closed Lost", "Closed Lost - No Budget"]),
    "Renewals": ("Renewal", "Renewal", "Existing customers at term end", [
        "Renewal Pending", "Negotiation/Review", "Closed Won - Renewal", "Closed Lost"]),
    "Old_Partner_Process": (None, "", "Channel deals before 2021", ["Prospecting", "Closed Won", "Closed Lost"]),
}
CASE_STATUSES = [("New", False), ("Working", False), ("Waiting on Customer", False), ("Escalated", False),
                 ("Closed", True), ("Closed - Duplicate", True)]
LEAD_STATUSES = [("Open - Not Contacted", False), ("Working - Contacted", False), ("Nurturing", False),
                 ("Closed - Converted", True), ("Closed - Not Converted", False)]


def _values(values: list[str], inactive: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"restricted": True, "valueSetDefinition": {"sorted": False, "value": [
        {"fullName": v, "default": False, "label": v, "isActive": v not in inactive} for v in values]}}


CUSTOM_FIELDS: dict[str, dict[str, Any]] = {
    "Opportunity.Deal_Type__c": {"label": "Deal Type", "type": "Picklist",
                                 "valueSet": _values(["New Logo", "Expansion", "Renewal", "Legacy"], ("Legacy",))},
    "Opportunity.Region__c": {"label": "Region", "type": "Picklist", "valueSet": {"valueSetName": "Region"}},
    "Opportunity.Forecast_Notes__c": {"label": "Forecast Notes", "type": "LongTextArea", "length": 32768,
                                      "visibleLines": 3, "inlineHelpText": "What would move this deal a stage"},
    "Opportunity.Next_Steps_Date__c": {"label": "Next Steps Date", "type": "Date"},
    "Opportunity.Competitors__c": {"label": "Competitors", "type": "MultiselectPicklist", "visibleLines": 4,
                                   "valueSet": _values(["Globex", "Initech", "Hooli"])},
    "Opportunity.Budget_Confirmed__c": {"label": "Budget Confirmed", "type": "Checkbox", "defaultValue": "false"},
    "Opportunity.Margin__c": {"label": "Margin", "type": "Percent", "precision": 5, "scale": 2},  # no FLS
    "Opportunity.Legacy_Score__c": {"label": "Legacy Score", "type": "Number", "precision": 3, "scale": 0},  # no FLS
    "Opportunity.Weighted_Amount__c": {"label": "Weighted Amount", "type": "Currency", "precision": 18, "scale": 2,
                                       "formula": "Amount * Probability"},
    "Opportunity.Partner_Account__c": {"label": "Partner Account", "type": "Lookup", "referenceTo": "Account",
                                       "relationshipName": "Partner_Deals"},
    f"Opportunity.{NAMESPACE}__Quote_Total__c": {"label": "Quote Total", "type": "Currency", "precision": 18,
                                                 "scale": 2},
    f"Opportunity.{NAMESPACE}__Discount_Tier__c": {"label": "Discount Tier", "type": "Picklist",
                                                   "valueSet": _values(["None", "Silver", "Gold"])},
    "Account.Tier__c": {"label": "Tier", "type": "Picklist", "valueSet": _values(["Strategic", "Core", "Long Tail"])},
    "Account.Employees_Band__c": {"label": "Employees Band", "type": "Text", "length": 40},
    "Account.ARR__c": {"label": "ARR", "type": "Currency", "precision": 18, "scale": 2, "unique": False},  # no FLS
    "Contact.Preferred_Channel__c": {"label": "Preferred Channel", "type": "Picklist",
                                     "valueSet": _values(["Email", "Phone", "SMS"])},
    "Contact.LinkedIn_URL__c": {"label": "LinkedIn URL", "type": "Url"},
    "Lead.Lead_Score__c": {"label": "Lead Score", "type": "Number", "precision": 3, "scale": 0},
    f"Lead.{NAMESPACE}__Quote_Requested__c": {"label": "Quote Requested", "type": "Checkbox", "defaultValue": "false"},
    "Case.Escalation_Reason__c": {"label": "Escalation Reason", "type": "Picklist",
                                  "valueSet": _values(["Outage", "Billing", "Security"])},
    "Case.SLA_Breached__c": {"label": "SLA Breached", "type": "Checkbox", "defaultValue": "false"},
}
NO_FLS = ("Opportunity.Margin__c", "Opportunity.Legacy_Score__c", "Account.ARR__c")

VALIDATION_RULES: dict[str, dict[str, Any]] = {
    "Opportunity.Close_Date_Not_In_Past": {
        "active": True, "errorConditionFormula": "AND(ISCHANGED(CloseDate), CloseDate < TODAY())",
        "errorDisplayField": "CloseDate", "errorMessage": "A close date cannot move into the past."},
    "Opportunity.Low_Margin_Needs_VP": {
        "active": True, "errorConditionFormula": 'AND(Margin__c < 0.1, $User.Title <> "VP Sales")',
        "errorMessage": "Deals under 10% margin need the VP of Sales."},
    "Opportunity.No_Reopening_Won_Deals": {
        "active": True, "errorConditionFormula":
            'AND(ISCHANGED(StageName), ISPICKVAL(PRIORVALUE(StageName), "Closed Won"))',
        "errorMessage": "Won deals stay won: open a new deal instead."},
    "Opportunity.Enterprise_Needs_Amount": {
        "active": False, "description": "Switched off during the 2023 migration",
        "errorConditionFormula": 'AND(RecordType.DeveloperName = "Enterprise_Deal", ISBLANK(Amount))',
        "errorMessage": "Enterprise deals need an amount."},
    "Lead.Email_Looks_Real": {
        "active": True, "errorConditionFormula": 'AND(NOT(ISBLANK(Email)), NOT(REGEX(Email, "[^@ ]+@[^@ ]+")))',
        "errorDisplayField": "Email", "errorMessage": "That is not an e-mail address."},
    f"Opportunity.{NAMESPACE}__Quote_Total_Positive": {
        "active": True, "errorConditionFormula": f"{NAMESPACE}__Quote_Total__c < 0",
        "errorMessage": "A quote total cannot be negative."},
}
WORKFLOW_RULES: dict[str, dict[str, Any]] = {
    "Opportunity.Big_Deal_Alert": {"actions": [{"name": "Notify_VP", "type": "Alert"}], "active": True,
                                   "formula": "Amount > 250000", "triggerType": "onCreateOrTriggeringUpdate"},
    "Lead.Stale_Lead_Reminder": {"active": False, "triggerType": "onCreateOnly", "criteriaItems": [
        {"field": "Lead.Status", "operation": "equals", "value": "Open - Not Contacted"}]},
}


def _start(obj: str | None = None, **extra: Any) -> dict[str, Any]:
    start: dict[str, Any] = {"locationX": 50, "locationY": 0, "connector": {"targetReference": "Step_1"}}
    if obj:
        start.update(object=obj, triggerType="RecordAfterSave", recordTriggerType="Create")
    start.update(extra)
    return start


def _task(subject: str) -> dict[str, Any]:
    return {"name": "Step_1", "label": subject, "locationX": 176, "locationY": 200, "object": "Task",
            "inputAssignments": [{"field": "Subject", "value": {"stringValue": subject}},
                                 {"field": "OwnerId", "value": {"elementReference": "$Record.OwnerId"}}]}


def _flow(label: str, process: str, start: dict[str, Any], description: str, **elements: Any) -> dict[str, Any]:
    return {"label": label, "processType": process, "apiVersion": 58.0, "description": description,
            "start": start, **elements}


# name -> versions [(status, component)], oldest first
FLOWS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "Route_Inbound_Leads": [("Active", _flow("Route Inbound Leads", "AutoLaunchedFlow", _start("Lead"),
                                             "Round-robin by region", recordCreates=[_task("Call the lead")]))],
    "Won_Deal_Handoff": [
        ("Active", _flow("Won Deal Handoff", "AutoLaunchedFlow", _start("Opportunity"), "v1",
                         recordCreates=[_task("Kick-off call")])),
        ("Active", _flow("Won Deal Handoff", "AutoLaunchedFlow", _start(
            "Opportunity", recordTriggerType="CreateAndUpdate", doesRequireRecordChangedToMeetCriteria=True,
            filterLogic="and", filters=[{"field": "StageName", "operator": "EqualTo",
                                         "value": {"stringValue": "Closed Won"}}],
            connector=None, scheduledPaths=[{
                "name": "A_week_after_close", "label": "A week after close", "offsetNumber": 7,
                "offsetUnit": "Days", "recordField": "CloseDate", "timeSource": "RecordField",
                "connector": {"targetReference": "Step_1"}}]), "Hand won deals to onboarding a week later",
            recordCreates=[_task("Onboarding kick-off")])),
        ("Draft", _flow("Won Deal Handoff", "AutoLaunchedFlow", _start("Opportunity"), "Draft: also ping CS",
                        recordCreates=[_task("Onboarding kick-off")])),
    ],
    "Quote_Wizard": [("Active", _flow("Quote Wizard", "Flow", _start(), "Guided quote for reps", screens=[
        {"name": "Step_1", "label": "Quote", "locationX": 176, "locationY": 200, "allowBack": True,
         "allowFinish": True, "allowPause": False, "showFooter": True, "showHeader": True}]))],
    "Stage_Change_Process": [("Active", _flow("Stage Change Process", "Workflow", _start("Opportunity"),
                                              "Process Builder, 2018", recordUpdates=[{
                                                  "name": "Step_1", "label": "Touch", "locationX": 176,
                                                  "locationY": 200, "inputReference": "$Record",
                                                  "inputAssignments": [{"field": "NextStep", "value": {
                                                      "stringValue": "Review"}}]}]))],
    "Nightly_Cleanup": [("Active", _flow("Nightly Cleanup", "AutoLaunchedFlow", _start(
        triggerType="Scheduled", schedule={"frequency": "Daily", "startDate": "2023-01-01",
                                           "startTime": "02:00:00.000Z"}), "Closes stale tasks",
        recordCreates=[_task("Stale task sweep")]))],
    "Idea_Never_Shipped": [("Draft", _flow("Idea Never Shipped", "AutoLaunchedFlow", _start("Account"),
                                           "A draft nobody activated", recordCreates=[_task("Say hi")]))],
    f"{NAMESPACE}__Quote_Sync": [("Active", _flow("Quote Sync", "AutoLaunchedFlow", _start("Opportunity"),
                                                   "Installed with Acme CPQ", recordCreates=[_task("Sync")]))],
    "crmconf_old_follow_up": [("Active", _flow("Old Follow Up", "AutoLaunchedFlow", _start("Opportunity"),
                                               "Compiled by crmconf in another workspace",
                                               recordCreates=[_task("Follow up")]))],
}
DEACTIVATED = ("Stage_Change_Process",)


def _object(obj: str, letters: str) -> dict[str, Any]:
    return {"object": obj, "allowCreate": "C" in letters, "allowRead": "R" in letters, "allowEdit": "E" in letters,
            "allowDelete": "D" in letters, "viewAllRecords": "V" in letters, "modifyAllRecords": "M" in letters}


def _fields(*grants: tuple[str, bool]) -> list[dict[str, Any]]:
    return [{"field": f, "readable": True, "editable": e} for f, e in grants]


PERMISSION_SETS: dict[str, dict[str, Any]] = {
    "Sales_Rep": {"label": "Sales Rep", "description": "AEs and SDRs", "objectPermissions": [
        _object("Opportunity", "CRE"), _object("Account", "CRE"), _object("Contact", "CRE"), _object("Lead", "CRE")],
        "fieldPermissions": _fields(("Opportunity.Amount", True), ("Opportunity.Deal_Type__c", True),
                                    ("Opportunity.Competitors__c", True), (f"Opportunity.{NAMESPACE}__Quote_Total__c", False))},
    "Deal_Desk_v2": {"label": "Deal Desk", "objectPermissions": [_object("Opportunity", "REV"), _object("Account", "R")],
                     "fieldPermissions": _fields(("Opportunity.Margin__c", True), ("Opportunity.Amount", True))},
    "Support_Agent": {"label": "Support Agent", "objectPermissions": [_object("Case", "CRE"), _object("Account", "R"),
                                                                      _object("Contact", "RE")],
                      "fieldPermissions": _fields(("Case.Escalation_Reason__c", True))},
    f"{NAMESPACE}__CPQ_User": {"label": "CPQ User", "objectPermissions": [_object("Opportunity", "RE"),
                                                                          _object("Account", "R")],
                               "fieldPermissions": _fields((f"Opportunity.{NAMESPACE}__Quote_Total__c", True))},
    "sfdcInternalInt__sfdc_scrt2": {"label": "sfdc_scrt2"},
}


def seed_messy(org: Org) -> None:
    seed_core(org)
    org.namespaces.update({NAMESPACE: "Acme CPQ", "sfdcInternalInt": "Salesforce"})
    admin = next(uid for uid, u in org.table("User").items() if u["Email"].startswith("devon@"))
    put = lambda type_, comp, days=0: org.put(type_, comp, when=SEED_TIME + timedelta(days=days), by=admin)  # noqa: E731
    put("StandardValueSet", {"fullName": "OpportunityStage", "sorted": False, "standardValue": [
        {"fullName": n, "label": n, "default": False, "isActive": a, "closed": c, "won": w, "probability": p,
         "forecastCategory": f} for n, p, f, c, w, a in STAGES]})
    put("StandardValueSet", {"fullName": "CaseStatus", "sorted": False, "standardValue": [
        {"fullName": n, "label": n, "default": n == "New", "isActive": True, "closed": c} for n, c in CASE_STATUSES]})
    put("StandardValueSet", {"fullName": "LeadStatus", "sorted": False, "standardValue": [
        {"fullName": n, "label": n, "default": i == 0, "isActive": True, "converted": c}
        for i, (n, c) in enumerate(LEAD_STATUSES)]})
    put("GlobalValueSet", {"fullName": "Region", "masterLabel": "Region", "sorted": False, "customValue": [
        {"fullName": v, "default": False, "label": v, "isActive": True} for v in ("AMER", "EMEA", "APAC")]})
    for full_name, comp in CUSTOM_FIELDS.items():
        put("CustomField", {"fullName": full_name, **comp}, 30)
    grant_profile_fls(org, ADMIN_PROFILE, [n for n in CUSTOM_FIELDS if n not in NO_FLS and f".{NAMESPACE}__" not in n])
    for name, (rt, label, description, values) in PROCESSES.items():
        put("BusinessProcess", {"fullName": f"Opportunity.{name}", "description": description, "isActive": True,
                                "values": [{"fullName": v, "default": i == 0} for i, v in enumerate(values)]}, 40)
        if rt:
            put("RecordType", {"fullName": f"Opportunity.{rt}", "active": True, "label": label,
                               "businessProcess": name, "description": description}, 40)
    put("BusinessProcess", {"fullName": "Case.Support", "isActive": True, "values": [
        {"fullName": s, "default": s == "New"} for s, _ in CASE_STATUSES]}, 40)
    put("RecordType", {"fullName": "Case.Support_Case", "active": True, "label": "Support Case",
                       "businessProcess": "Support"}, 40)
    put("BusinessProcess", {"fullName": "Lead.Inbound", "isActive": True, "values": [
        {"fullName": s, "default": i == 0} for i, (s, _) in enumerate(LEAD_STATUSES)]}, 40)
    put("RecordType", {"fullName": "Lead.Inbound_Lead", "active": True, "label": "Inbound Lead",
                       "businessProcess": "Inbound"}, 40)
    for full_name, comp in VALIDATION_RULES.items():
        put("ValidationRule", {"fullName": full_name, **comp}, 60)
    for full_name, comp in WORKFLOW_RULES.items():
        put("WorkflowRule", {"fullName": full_name, **comp}, -400)
    for i, (name, versions) in enumerate(FLOWS.items()):
        for j, (status, comp) in enumerate(versions):
            org.save_flow_version({"fullName": name, "status": status, **comp}, by=admin, activates=True,
                                  when=SEED_TIME + timedelta(days=90 + 7 * i + 30 * j))
        if name in DEACTIVATED:
            org.activate_flow(name, 0, when=SEED_TIME + timedelta(days=500), by=admin)
    for name, comp in PERMISSION_SETS.items():
        put("PermissionSet", {"fullName": name, **comp}, 70)
    _records(org)


def _records(org: Org) -> None:
    rnd = random.Random(2019)
    owners = [uid for uid, u in org.table("User").items() if u.get("IsActive")]
    accounts = [org.insert("Account", {"Name": n, "OwnerId": rnd.choice(owners), "Tier__c": rnd.choice(
        ["Strategic", "Core"])}) for n in ("Globex", "Initech", "Hooli", "Umbrella")]
    for i, (name, (rt, _label, _description, values)) in enumerate(PROCESSES.items()):
        rt_id = org.info("RecordType", f"Opportunity.{rt}").id if rt else None
        for j, stage in enumerate(values):
            rec = {"Name": f"{name} deal {j}", "StageName": stage, "AccountId": accounts[(i + j) % 4]["Id"],
                   "CloseDate": (SEED_TIME + timedelta(days=20 * j)).date().isoformat(), "RecordTypeId": rt_id,
                   "OwnerId": rnd.choice(owners), "Amount": float(1000 * (j + 1)),
                   "Deal_Type__c": ["New Logo", "Expansion", "Renewal", "Legacy"][j % 4]}
            derive_fields(org, "Opportunity", rec, rec)
            org.insert("Opportunity", rec)
    for i, (status, _) in enumerate(CASE_STATUSES):
        rec = {"Subject": f"Case {i}", "Status": status, "AccountId": accounts[i % 4]["Id"],
               "RecordTypeId": org.info("RecordType", "Case.Support_Case").id}
        derive_fields(org, "Case", rec, rec)
        org.insert("Case", rec)
    for i, (status, _) in enumerate(LEAD_STATUSES):
        org.insert("Lead", {"LastName": f"Lead {i}", "Company": f"Prospect {i}", "Status": status,
                            "RecordTypeId": org.info("RecordType", "Lead.Inbound_Lead").id})
