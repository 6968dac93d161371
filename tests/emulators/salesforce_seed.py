"""The seeded org: a realistic mid-size sales org, and a generator for scale benchmarks.

Names a provider author can count on are listed in the module constants below (stages, users,
custom fields, flows, permission sets). Components are written straight into the org (no
validation, fixed timestamps in 2024) so the seed is fast and deterministic.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.emulators.salesforce_interviews import log_interviews
from tests.emulators.salesforce_org import PREFIX, Org, rest_datetime
from tests.emulators.salesforce_records import derive_fields
from tests.emulators.salesforce_sobjects import CUSTOMIZABLE, permissionable_fields

SEED_TIME = datetime(2024, 1, 15, 9, 30, tzinfo=UTC)

# (API name, probability, forecastCategory, closed, won) — Salesforce's default sales stages.
OPPORTUNITY_STAGES = [
    ("Prospecting", 10, "Pipeline", False, False),
    ("Qualification", 10, "Pipeline", False, False),
    ("Needs Analysis", 20, "Pipeline", False, False),
    ("Value Proposition", 50, "Pipeline", False, False),
    ("Id. Decision Makers", 60, "Pipeline", False, False),
    ("Perception Analysis", 70, "Pipeline", False, False),
    ("Proposal/Price Quote", 75, "Pipeline", False, False),
    ("Negotiation/Review", 90, "Pipeline", False, False),
    ("Closed Won", 100, "Closed", True, True),
    ("Closed Lost", 0, "Omitted", True, False),
]
CASE_STATUSES = [("New", False), ("Working", False), ("Escalated", False), ("Closed", True)]
LEAD_STATUSES = [
    ("Open - Not Contacted", False),
    ("Working - Contacted", False),
    ("Closed - Converted", True),
    ("Closed - Not Converted", False),
]
LEAD_SOURCES = ["Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"]
OPPORTUNITY_TYPES = [
    "Existing Customer - Upgrade",
    "Existing Customer - Replacement",
    "Existing Customer - Downgrade",
    "New Customer",
]

# (first, last, email, profile, active, title); the session belongs to the first user.
USERS = [
    ("Maria", "Lopez", "maria@acme.example", "System Administrator", True, "Revenue Operations Manager"),
    ("Devon", "Park", "devon@acme.example", "System Administrator", True, "Salesforce Administrator"),
    ("Priya", "Shah", "priya@acme.example", "Standard User", True, "Account Executive"),
    ("Sam", "Okafor", "sam@acme.example", "Standard User", True, "Sales Development Representative"),
    ("Lena", "Novak", "lena@acme.example", "Standard User", True, "Sales Manager"),
    ("Aisha", "Khan", "aisha@acme.example", "Standard User", True, "Support Agent"),
    ("Tom", "Becker", "tom@acme.example", "Standard User", False, "Account Executive"),
    ("Integration", "User", "integration@acme.example", "System Administrator", True, "Integration"),
]
PROFILES = ["System Administrator", "Standard User"]

BUSINESS_PROCESS = "Opportunity.New_Business"
RECORD_TYPE = "Opportunity.New_Business"
NEW_BUSINESS_STAGES = [
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
]

GLOBAL_VALUE_SETS = {
    "Region": ["AMER", "EMEA", "APAC", "LATAM"],
    "Segment": ["SMB", "Mid-Market", "Enterprise"],
}


def _picklist(values: list[str], restricted: bool = False) -> dict[str, Any]:
    return {
        "restricted": restricted,
        "valueSetDefinition": {
            "sorted": False,
            "value": [{"fullName": v, "default": False, "label": v, "isActive": True} for v in values],
        },
    }


CUSTOM_FIELDS: dict[str, dict[str, Any]] = {
    "Opportunity.Lead_Source_Detail__c": {
        "label": "Lead Source Detail",
        "type": "Picklist",
        "valueSet": _picklist(["Inbound", "Outbound", "Partner", "Event"]),
    },
    "Opportunity.Discount__c": {"label": "Discount", "type": "Percent", "precision": 5, "scale": 2},
    "Opportunity.Next_Step_Date__c": {"label": "Next Step Date", "type": "Date"},
    "Opportunity.Competitor__c": {"label": "Competitor", "type": "Text", "length": 80},
    "Opportunity.Deal_Type__c": {
        "label": "Deal Type",
        "type": "Picklist",
        "valueSet": _picklist(["New Business", "Expansion", "Renewal"], restricted=True),
    },
    "Opportunity.Exit_Criteria_Met__c": {
        "label": "Exit Criteria Met",
        "type": "Checkbox",
        "defaultValue": "false",
    },
    "Account.Segment__c": {"label": "Segment", "type": "Picklist", "valueSet": {"valueSetName": "Segment"}},
    "Account.Region__c": {"label": "Region", "type": "Picklist", "valueSet": {"valueSetName": "Region"}},
    "Account.Annual_Contract_Value__c": {
        "label": "Annual Contract Value",
        "type": "Currency",
        "precision": 18,
        "scale": 2,
    },
    "Contact.Preferred_Channel__c": {
        "label": "Preferred Channel",
        "type": "Picklist",
        "valueSet": _picklist(["Email", "Phone", "SMS"]),
    },
    "Contact.LinkedIn_URL__c": {"label": "LinkedIn URL", "type": "Url"},
    "Lead.Lead_Score__c": {"label": "Lead Score", "type": "Number", "precision": 3, "scale": 0},
    "Lead.Demo_Requested__c": {"label": "Demo Requested", "type": "Checkbox", "defaultValue": "false"},
    "Case.Escalation_Reason__c": {
        "label": "Escalation Reason",
        "type": "Picklist",
        "valueSet": _picklist(["Outage", "Billing", "Security", "Other"]),
    },
    "Case.SLA_Breached__c": {"label": "SLA Breached", "type": "Checkbox", "defaultValue": "false"},
}

VALIDATION_RULES: dict[str, dict[str, Any]] = {
    "Opportunity.Amount_Required_For_Proposal": {
        "active": True,
        "description": "Deals need an amount once a proposal goes out",
        "errorConditionFormula": 'AND(ISPICKVAL(StageName, "Proposal/Price Quote"), ISBLANK(Amount))',
        "errorDisplayField": "Amount",
        "errorMessage": "Amount is required from Proposal/Price Quote on.",
    },
    "Opportunity.Loss_Reason_Required": {
        "active": False,
        "description": "Explain why a deal was lost",
        "errorConditionFormula": 'AND(ISPICKVAL(StageName, "Closed Lost"), ISBLANK(Description))',
        "errorDisplayField": "Description",
        "errorMessage": "Describe why the deal was lost.",
    },
    "Case.Escalation_Reason_Required": {
        "active": True,
        "errorConditionFormula": 'AND(ISPICKVAL(Status, "Escalated"), ISBLANK(TEXT(Escalation_Reason__c)))',
        "errorDisplayField": "Escalation_Reason__c",
        "errorMessage": "Pick an escalation reason.",
    },
}


def _node(name: str, label: str, x: int, y: int, **extra: Any) -> dict[str, Any]:
    return {"name": name, "label": label, "locationX": x, "locationY": y, **extra}


def _record_flow(
    label: str, obj: str, trigger: str, when: str, description: str, **elements: Any
) -> dict[str, Any]:
    first = next(iter(elements.values()))[0]["name"]
    return {
        "label": label,
        "processType": "AutoLaunchedFlow",
        "description": description,
        "apiVersion": 59.0,
        "start": {
            "locationX": 50,
            "locationY": 0,
            "object": obj,
            "triggerType": trigger,
            "recordTriggerType": when,
            "connector": {"targetReference": first},
        },
        **elements,
    }


def _screen_flow(label: str, description: str) -> dict[str, Any]:
    return {
        "label": label,
        "processType": "Flow",
        "description": description,
        "apiVersion": 59.0,
        "start": {"locationX": 50, "locationY": 0, "connector": {"targetReference": "Welcome"}},
        "screens": [
            _node(
                "Welcome",
                "Welcome",
                176,
                158,
                allowBack=True,
                allowFinish=True,
                allowPause=False,
                showFooter=True,
                showHeader=True,
            )
        ],
    }


_TASK = _node(
    "Create_Follow_Up_Task",
    "Create follow-up task",
    176,
    323,
    object="Task",
    inputAssignments=[
        {"field": "Subject", "value": {"stringValue": "Follow up on proposal"}},
        {"field": "WhatId", "value": {"elementReference": "$Record.Id"}},
        {"field": "OwnerId", "value": {"elementReference": "$Record.OwnerId"}},
    ],
)

# name -> list of (status, component) versions, oldest first; deployed in order.
FLOWS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "Route_Inbound_Leads": [
        (
            "Active",
            _record_flow(
                "Route Inbound Leads",
                "Lead",
                "RecordAfterSave",
                "Create",
                "5-minute SLA routing of demo requests",
                actionCalls=[
                    _node(
                        "Assign_Owner",
                        "Run assignment rules",
                        176,
                        323,
                        actionName="invocableApplyLeadAssignmentRules",
                        actionType="invocableApplyLeadAssignmentRules",
                    )
                ],
            ),
        )
    ],
    "Opportunity_Stage_Follow_Up": [
        (
            "Active",
            _record_flow(
                "Opportunity Stage Follow-Up",
                "Opportunity",
                "RecordAfterSave",
                "CreateAndUpdate",
                "Creates a follow-up task when a proposal is sent",
                recordCreates=[_TASK],
            ),
        ),
        (
            "Active",
            _record_flow(
                "Opportunity Stage Follow-Up",
                "Opportunity",
                "RecordAfterSave",
                "CreateAndUpdate",
                "Creates a follow-up task three days after a proposal is sent",
                recordCreates=[_TASK],
            ),
        ),
        (
            "Draft",
            _record_flow(
                "Opportunity Stage Follow-Up",
                "Opportunity",
                "RecordAfterSave",
                "CreateAndUpdate",
                "Draft: also notify the manager",
                recordCreates=[_TASK],
            ),
        ),
    ],
    "Case_Escalation_Alert": [
        (
            "Active",
            _record_flow(
                "Case Escalation Alert",
                "Case",
                "RecordAfterSave",
                "Update",
                "Emails the support lead on escalation",
                actionCalls=[
                    _node(
                        "Send_Escalation_Email",
                        "Send escalation email",
                        176,
                        323,
                        actionName="emailSimple",
                        actionType="emailSimple",
                    )
                ],
            ),
        )
    ],
    "Closed_Won_Handoff": [
        (
            "Draft",
            _record_flow(
                "Closed Won Handoff",
                "Opportunity",
                "RecordAfterSave",
                "Update",
                "Hands won deals to onboarding",
                recordCreates=[_TASK],
            ),
        )
    ],
    "New_Customer_Onboarding": [
        ("Active", _screen_flow("New Customer Onboarding", "Guided onboarding checklist"))
    ],
    "Legacy_Discount_Approval": [
        ("Active", _screen_flow("Legacy Discount Approval", "Replaced by approvals"))
    ],
}
DEACTIVATED_FLOWS = ["Legacy_Discount_Approval"]

WORKFLOW_RULES: dict[str, dict[str, Any]] = {
    "Opportunity.Big_Deal_Alert": {
        "actions": [{"name": "Notify_Sales_VP", "type": "Alert"}],
        "active": True,
        "description": "Emails the VP of Sales when a deal over 100k is created",
        "formula": "Amount > 100000",
        "triggerType": "onCreateOrTriggeringUpdate",
    },
    "Lead.Stale_Lead_Reminder": {
        "actions": [{"name": "Follow_Up_Task", "type": "Task"}],
        "active": False,
        "criteriaItems": [{"field": "Lead.Status", "operation": "equals", "value": "Open - Not Contacted"}],
        "triggerType": "onCreateOnly",
    },
}

# name -> (label, {object: "CREDVM" letters}, field rule); field rule picks (readable, editable) per field.
PERMISSION_SETS = {
    "Sales_Rep": (
        "Sales Rep",
        {"Opportunity": "CRE", "Account": "CRE", "Contact": "CRE", "Lead": "CRE", "Case": "R"},
        "sales_rep",
    ),
    "Sales_Manager": (
        "Sales Manager",
        {"Opportunity": "CREDV", "Account": "CRED", "Contact": "CRED", "Lead": "CRED", "Case": "R"},
        "manager",
    ),
    "Support_Agent": ("Support Agent", {"Case": "CRE", "Account": "R", "Contact": "RE"}, "support"),
}
ASSIGNMENTS = {
    "Sales_Rep": ["priya", "sam", "tom"],
    "Sales_Manager": ["lena", "maria"],
    "Support_Agent": ["aisha"],
}

ACCOUNTS = [
    "Globex",
    "Initech",
    "Umbrella",
    "Stark Industries",
    "Wayne Enterprises",
    "Hooli",
    "Soylent",
    "Vandelay Industries",
]


def _object_permission(obj: str, letters: str) -> dict[str, Any]:
    return {
        "object": obj,
        "allowCreate": "C" in letters,
        "allowRead": "R" in letters,
        "allowEdit": "E" in letters,
        "allowDelete": "D" in letters,
        "viewAllRecords": "V" in letters,
        "modifyAllRecords": "M" in letters,
    }


def _field_access(rule: str, field_name: str) -> tuple[bool, bool] | None:
    obj = field_name.split(".")[0]
    if rule == "manager":
        return True, True
    if rule == "sales_rep":
        if obj == "Case":
            return True, False
        return True, field_name not in (
            "Opportunity.Discount__c",
            "Opportunity.Probability",
            "Account.Annual_Contract_Value__c",
        )
    if obj == "Case":
        return True, True
    return (True, obj == "Contact") if obj in ("Account", "Contact") else None


# ---------------------------------------------------------------------------------------------


def seed_core(org: Org) -> None:
    """What every org has, even an "empty" one: users, profiles, standard value sets."""
    _seed_users(org)
    org.api_user_id = _user_id(org, "maria")
    admin = _user_id(org, "devon")
    _put_value_set(
        org,
        "OpportunityStage",
        [
            {
                "fullName": n,
                "label": n,
                "default": False,
                "isActive": True,
                "closed": c,
                "won": w,
                "probability": p,
                "forecastCategory": f,
            }
            for n, p, f, c, w in OPPORTUNITY_STAGES
        ],
        admin,
    )
    _put_value_set(
        org,
        "CaseStatus",
        [
            {"fullName": n, "label": n, "default": n == "New", "isActive": True, "closed": c}
            for n, c in CASE_STATUSES
        ],
        admin,
    )
    _put_value_set(
        org,
        "LeadStatus",
        [
            {"fullName": n, "label": n, "default": i == 0, "isActive": True, "converted": c}
            for i, (n, c) in enumerate(LEAD_STATUSES)
        ],
        admin,
    )
    _put_value_set(
        org,
        "LeadSource",
        [{"fullName": n, "label": n, "default": False, "isActive": True} for n in LEAD_SOURCES],
        admin,
    )
    _put_value_set(
        org,
        "OpportunityType",
        [{"fullName": n, "label": n, "default": False, "isActive": True} for n in OPPORTUNITY_TYPES],
        admin,
    )


def seed_org(org: Org) -> None:
    """The full realistic org."""
    seed_core(org)
    admin = _user_id(org, "devon")
    for name, values in GLOBAL_VALUE_SETS.items():
        org.put(
            "GlobalValueSet",
            {
                "fullName": name,
                "masterLabel": name,
                "sorted": False,
                "customValue": [
                    {"fullName": v, "default": False, "label": v, "isActive": True} for v in values
                ],
            },
            when=SEED_TIME,
            by=admin,
        )
    for full_name, comp in CUSTOM_FIELDS.items():
        org.put("CustomField", {"fullName": full_name, **comp}, when=SEED_TIME, by=admin)
    # Made in Setup by an admin who ticked "visible" for the profiles: the API user (an admin) sees
    # them. Fields created later through the Metadata API get no field-level security at all.
    grant_profile_fls(org, ADMIN_PROFILE, CUSTOM_FIELDS)
    _seed_processes(org, admin)
    for full_name, comp in VALIDATION_RULES.items():
        org.put(
            "ValidationRule", {"fullName": full_name, **comp}, when=SEED_TIME + timedelta(days=3), by=admin
        )
    for full_name, comp in WORKFLOW_RULES.items():
        org.put(
            "WorkflowRule", {"fullName": full_name, **comp}, when=SEED_TIME - timedelta(days=400), by=admin
        )
    _seed_flows(org, admin)
    _seed_permission_sets(org, admin)
    _seed_records(org)


ADMIN_PROFILE = "System Administrator"


def grant_profile_fls(org: Org, profile: str, fields: Iterable[str]) -> None:
    """Field-level security a profile gives on custom fields ("Object.Field__c")."""
    org.profile_fields.setdefault(profile, set()).update(f.lower() for f in fields)


def _seed_users(org: Org) -> None:
    profile_ids = {}
    for name in PROFILES:
        pid = org.ids.new(PREFIX["Profile"])
        profile_ids[name] = pid
        org.static_rows.setdefault("Profile", []).append(
            {"Id": pid, "Name": name, "UserType": "Standard", "Description": None}
        )
        # Every profile owns a hidden permission set; SOQL shows it with IsOwnedByProfile = true.
        ps_id = org.ids.new(PREFIX["PermissionSet"])
        org.static_rows.setdefault("PermissionSet", []).append(
            {
                "Id": ps_id,
                "Name": "X" + pid[:15],
                "Label": name,
                "Description": None,
                "IsOwnedByProfile": True,
                "IsCustom": False,
                "Type": "Profile",
                "ProfileId": pid,
                "NamespacePrefix": None,
                "LicenseId": None,
                "HasActivationRequired": False,
                "PermissionSetGroupId": None,
                **_audit_fields(org, None),
            }
        )
        for obj in CUSTOMIZABLE:
            letters = "CREDVM" if name == "System Administrator" else "CRE"
            perms = _object_permission(obj, letters)
            org.static_rows.setdefault("ObjectPermissions", []).append(
                {
                    "Id": org.ids.new(PREFIX["ObjectPermissions"]),
                    "ParentId": ps_id,
                    "SobjectType": obj,
                    "PermissionsCreate": perms["allowCreate"],
                    "PermissionsRead": True,
                    "PermissionsEdit": perms["allowEdit"],
                    "PermissionsDelete": perms["allowDelete"],
                    "PermissionsViewAllRecords": perms["viewAllRecords"],
                    "PermissionsModifyAllRecords": perms["modifyAllRecords"],
                    "PermissionsViewAllFields": False,
                    **_audit_fields(org, None),
                }
            )
    for i, (first, last, email, profile, active, title) in enumerate(USERS):
        rec = org.insert(
            "User",
            {
                "Username": email,
                "Email": email,
                "FirstName": first,
                "LastName": last,
                "Name": f"{first} {last}",
                "Alias": (first[0] + last[:4]).lower(),
                "IsActive": active,
                "Title": title,
                "Department": None,
                "ProfileId": profile_ids[profile],
                "UserType": "Standard",
                "TimeZoneSidKey": "America/Los_Angeles",
                "LastLoginDate": rest_datetime(SEED_TIME + timedelta(days=300 - i * 20)) if active else None,
            },
        )
        rec["CreatedDate"] = rec["LastModifiedDate"] = rest_datetime(SEED_TIME - timedelta(days=700 - i))
        ps_row = org.static_rows["PermissionSet"][PROFILES.index(profile)]
        org.insert(
            "PermissionSetAssignment",
            {
                "AssigneeId": rec["Id"],
                "PermissionSetId": ps_row["Id"],
                "IsActive": True,
                "PermissionSetGroupId": None,
            },
        )


def _audit_fields(org: Org, user: str | None) -> dict[str, Any]:
    stamp = rest_datetime(SEED_TIME - timedelta(days=700))
    return {
        "CreatedDate": stamp,
        "CreatedById": user,
        "LastModifiedDate": stamp,
        "LastModifiedById": user,
        "SystemModstamp": stamp,
    }


def _user_id(org: Org, email_prefix: str) -> str:
    return next(uid for uid, u in org.table("User").items() if u["Email"].startswith(email_prefix + "@"))


def _put_value_set(org: Org, name: str, values: list[dict[str, Any]], by: str) -> None:
    org.put(
        "StandardValueSet",
        {"fullName": name, "sorted": False, "standardValue": values},
        when=SEED_TIME - timedelta(days=700),
        by=by,
    )


def _seed_processes(org: Org, admin: str) -> None:
    org.put(
        "BusinessProcess",
        {
            "fullName": BUSINESS_PROCESS,
            "description": "New business sales process",
            "isActive": True,
            "values": [{"fullName": s, "default": s == "Prospecting"} for s in NEW_BUSINESS_STAGES],
        },
        when=SEED_TIME,
        by=admin,
    )
    org.put(
        "RecordType",
        {
            "fullName": RECORD_TYPE,
            "active": True,
            "businessProcess": "New_Business",
            "description": "Net-new logo deals",
            "label": "New Business",
            "picklistValues": [
                {"picklist": "Type", "values": [{"fullName": "New Customer", "default": True}]}
            ],
        },
        when=SEED_TIME,
        by=admin,
    )
    org.put(
        "BusinessProcess",
        {
            "fullName": "Case.Standard_Support",
            "isActive": True,
            "values": [{"fullName": s, "default": s == "New"} for s, _ in CASE_STATUSES],
        },
        when=SEED_TIME,
        by=admin,
    )
    org.put(
        "RecordType",
        {
            "fullName": "Case.Support_Case",
            "active": True,
            "businessProcess": "Standard_Support",
            "label": "Support Case",
        },
        when=SEED_TIME,
        by=admin,
    )


def _seed_flows(org: Org, admin: str) -> None:
    for i, (name, versions) in enumerate(FLOWS.items()):
        for j, (status, comp) in enumerate(versions):
            when = SEED_TIME + timedelta(days=10 * i + 30 * j)
            org.save_flow_version({"fullName": name, "status": status, **_copy(comp)}, when=when, by=admin,
                                  activates=True)
        if name in DEACTIVATED_FLOWS:
            org.activate_flow(name, 0, when=SEED_TIME + timedelta(days=200), by=admin)
    # The onboarding screen flow ran twice a week through autumn 2026, one run in 21 failing.
    days = [SEED_TIME.replace(year=2026, month=9, day=1) + timedelta(days=3.5 * k) for k in range(21)]
    log_interviews(org, "New_Customer_Onboarding", "New Customer Onboarding",
                   [(rest_datetime(d), "Error" if k == 10 else "Completed") for k, d in enumerate(days)], owner=admin)


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _seed_permission_sets(org: Org, admin: str) -> None:
    fields = permissionable_fields(org)
    for name, (label, objects, rule) in PERMISSION_SETS.items():
        field_perms = []
        for f in fields:
            access = _field_access(rule, f)
            if access is not None:
                field_perms.append({"field": f, "readable": access[0], "editable": access[1]})
        org.put(
            "PermissionSet",
            {
                "fullName": name,
                "label": label,
                "description": f"{label} access",
                "hasActivationRequired": False,
                "objectPermissions": [_object_permission(o, letters) for o, letters in objects.items()],
                "fieldPermissions": field_perms,
            },
            when=SEED_TIME + timedelta(days=5),
            by=admin,
        )
        ps_id = org.info("PermissionSet", name).id
        for who in ASSIGNMENTS[name]:
            org.insert(
                "PermissionSetAssignment",
                {
                    "AssigneeId": _user_id(org, who),
                    "PermissionSetId": ps_id,
                    "IsActive": True,
                    "PermissionSetGroupId": None,
                },
            )


def _seed_records(org: Org) -> None:
    rnd = random.Random(20240115)
    owners = [_user_id(org, u) for u in ("priya", "sam", "lena", "tom")]
    accounts = [
        org.insert(
            "Account",
            {
                "Name": n,
                "Type": "Customer",
                "Industry": rnd.choice(["Technology", "Manufacturing", "Retail", "Finance"]),
                "OwnerId": rnd.choice(owners),
                "Segment__c": rnd.choice(GLOBAL_VALUE_SETS["Segment"]),
                "Region__c": rnd.choice(GLOBAL_VALUE_SETS["Region"]),
            },
        )
        for n in ACCOUNTS
    ]
    for i, acct in enumerate(accounts):
        org.insert(
            "Contact",
            {
                "FirstName": f"Contact{i}",
                "LastName": acct["Name"].split()[0],
                "Name": f"Contact{i} {acct['Name'].split()[0]}",
                "AccountId": acct["Id"],
                "Email": f"contact{i}@{acct['Name'].split()[0].lower()}.example",
                "Preferred_Channel__c": rnd.choice(["Email", "Phone", "SMS"]),
            },
        )
        org.insert(
            "Lead",
            {
                "FirstName": f"Lead{i}",
                "LastName": "Prospect",
                "Name": f"Lead{i} Prospect",
                "Company": f"Prospect {i} Inc",
                "Status": LEAD_STATUSES[i % 4][0],
                "LeadSource": LEAD_SOURCES[i % 5],
                "Lead_Score__c": float(rnd.randint(1, 99)),
            },
        )
    rt_id = org.info("RecordType", RECORD_TYPE).id
    stages = [s[0] for s in OPPORTUNITY_STAGES]
    for i in range(40):
        stage = stages[i % len(stages)]
        acct = accounts[i % len(accounts)]
        rec = {
            "Name": f"{acct['Name']} - Deal {i + 1}",
            "StageName": stage,
            "AccountId": acct["Id"],
            "CloseDate": (SEED_TIME + timedelta(days=30 + 7 * i)).date().isoformat(),
            "OwnerId": owners[i % 4],
            "Amount": None
            if stage in ("Prospecting", "Qualification") and i % 3 == 0
            else float(rnd.randrange(5000, 250000, 500)),
            "RecordTypeId": rt_id if i % 2 == 0 else None,
            "LeadSource": LEAD_SOURCES[i % 5],
            "Type": OPPORTUNITY_TYPES[i % 4],
            "Lead_Source_Detail__c": ["Inbound", "Outbound", "Partner", "Event"][i % 4],
            "Deal_Type__c": ["New Business", "Expansion", "Renewal"][i % 3],
        }
        derive_fields(org, "Opportunity", rec, rec)
        org.insert("Opportunity", rec)
    statuses = [s[0] for s in CASE_STATUSES]
    for i in range(15):
        status = statuses[i % 4]
        rec = {
            "Subject": f"Case {i + 1}: {rnd.choice(['Login issue', 'Invoice question', 'Outage report'])}",
            "Status": status,
            "Priority": ["Low", "Medium", "High"][i % 3],
            "Origin": ["Email", "Phone", "Web"][i % 3],
            "AccountId": accounts[i % len(accounts)]["Id"],
            "CaseNumber": f"{1001 + i:08d}",
            "OwnerId": _user_id(org, "aisha"),
            "Escalation_Reason__c": "Outage" if status == "Escalated" else None,
        }
        derive_fields(org, "Case", rec, rec)
        org.insert("Case", rec)


# ---------------------------------------------------------------------------------------------


def seed_scale(
    org: Org, *, custom_fields: int, flows: int, permission_sets: int, field_permissions: int
) -> None:
    """Add a synthetic load: custom fields, flows, permission sets and FieldPermissions rows.

    The field_permissions rows are spread over the new permission sets; each (set, field) pair is
    distinct, so it needs permission_sets * permissionable fields >= field_permissions.
    """
    with org.lock:
        for i in range(custom_fields):
            obj = CUSTOMIZABLE[i % len(CUSTOMIZABLE)]
            comp: dict[str, Any] = {"fullName": f"{obj}.Scale_Field_{i:05d}__c", "label": f"Scale Field {i}"}
            comp.update(
                {"type": "Text", "length": 255}
                if i % 2 == 0
                else {"type": "Number", "precision": 18, "scale": 2}
            )
            org.put("CustomField", comp)
            grant_profile_fls(org, ADMIN_PROFILE, [comp["fullName"]])
        for i in range(flows):
            status = "Active" if i % 2 == 0 else "Draft"
            comp = _record_flow(
                f"Scale Flow {i}",
                CUSTOMIZABLE[i % len(CUSTOMIZABLE)],
                "RecordAfterSave",
                "CreateAndUpdate",
                "Synthetic load",
                recordCreates=[_copy(_TASK)],
            )
            org.save_flow_version({"fullName": f"Scale_Flow_{i:05d}", "status": status, **comp}, activates=True)
        _scale_permission_sets(org, permission_sets, field_permissions)


def _scale_permission_sets(org: Org, count: int, rows: int) -> None:
    if rows and not count:
        raise ValueError("field_permissions needs permission_sets >= 1 to hold the rows")
    fields = permissionable_fields(org)
    per_set, extra = divmod(rows, count) if count else (0, 0)
    if per_set + (1 if extra else 0) > len(fields):
        raise ValueError(
            f"{rows} FieldPermissions rows over {count} permission sets need "
            f"{per_set + (1 if extra else 0)} distinct fields per set; the org has {len(fields)} "
            "permissionable fields: raise custom_fields or permission_sets"
        )
    for i in range(count):
        n = per_set + (1 if i < extra else 0)
        start = (i * 7) % len(fields)
        chosen = (fields[start:] + fields[:start])[:n]
        org.put(
            "PermissionSet",
            {
                "fullName": f"Scale_PermSet_{i:04d}",
                "label": f"Scale Permission Set {i}",
                "objectPermissions": [_object_permission(o, "R") for o in CUSTOMIZABLE],
                "fieldPermissions": [
                    {"field": f, "readable": True, "editable": j % 2 == 0} for j, f in enumerate(chosen)
                ],
            },
        )
