"""What a fresh (slightly used) HubSpot portal holds, and the bench-scale portal.

The default deal pipeline, its stage ids and the default ticket pipeline are HubSpot's own; the
rest (properties, records, workflows, users) is a small realistic company, "Acme", so providers
have something to read, diff and move.
"""

from __future__ import annotations

import uuid
from typing import Any

from tests.emulators.hubspot_flows import stored
from tests.emulators.hubspot_state import EPOCH, JSON, LIFECYCLE_PIPELINES, Portal

# ---- properties ------------------------------------------------------------------------------

_SEED_STAMP = "2023-03-14T09:26:53.589Z"


def _options(*pairs: tuple[str, str]) -> list[JSON]:
    return [{"label": label, "value": value, "displayOrder": i, "hidden": False, "description": ""}
            for i, (value, label) in enumerate(pairs)]


def _prop(name: str, label: str, ptype: str, field_type: str, group: str, *,
          options: list[JSON] | None = None, hubspot: bool = True, read_only_value: bool = False,
          read_only_options: bool | None = None, description: str = "", **extra: Any) -> JSON:
    meta: JSON = {"archivable": not hubspot, "readOnlyDefinition": hubspot, "readOnlyValue": read_only_value}
    if ptype == "enumeration":
        meta["readOnlyOptions"] = bool(read_only_options)
    return {"name": name, "label": label, "type": ptype, "fieldType": field_type, "groupName": group,
            "description": description, "options": options or [], "displayOrder": -1, "hidden": False,
            "formField": not read_only_value and hubspot, "hasUniqueValue": False, "calculated": False,
            "externalOptions": False, "hubspotDefined": hubspot, "archived": False,
            "createdAt": _SEED_STAMP, "updatedAt": _SEED_STAMP, "modificationMetadata": meta, **extra}


def _system_props(group: str, modified: str) -> list[JSON]:
    """Read-only properties every object has."""
    return [
        _prop("createdate", "Create Date", "datetime", "date", group, read_only_value=True),
        _prop(modified, "Last Modified Date", "datetime", "date", group, read_only_value=True),
        _prop("hs_object_id", "Record ID", "number", "number", group, read_only_value=True),
        _prop("hubspot_owner_id", "Owner", "enumeration", "select", group, referencedObjectType="OWNER",
              externalOptions=True),
    ]


LIFECYCLE_STAGES = _options(
    ("subscriber", "Subscriber"), ("lead", "Lead"), ("marketingqualifiedlead", "Marketing Qualified Lead"),
    ("salesqualifiedlead", "Sales Qualified Lead"), ("opportunity", "Opportunity"), ("customer", "Customer"),
    ("evangelist", "Evangelist"), ("other", "Other"))

LEAD_STATUSES = _options(
    ("NEW", "New"), ("OPEN", "Open"), ("IN_PROGRESS", "In Progress"), ("OPEN_DEAL", "Open Deal"),
    ("UNQUALIFIED", "Unqualified"), ("ATTEMPTED_TO_CONTACT", "Attempted to Contact"),
    ("CONNECTED", "Connected"), ("BAD_TIMING", "Bad Timing"))


def _contact_props() -> list[JSON]:
    g = "contactinformation"
    return [
        _prop("email", "Email", "string", "text", g),
        _prop("firstname", "First Name", "string", "text", g),
        _prop("lastname", "Last Name", "string", "text", g),
        _prop("phone", "Phone Number", "string", "phonenumber", g),
        _prop("company", "Company Name", "string", "text", g),
        _prop("jobtitle", "Job Title", "string", "text", g),
        # Options are the lifecycle pipeline's stages (computed on read), like dealstage's.
        _prop("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", g, read_only_options=True,
              description="The qualification of contacts to sales readiness."),
        _prop("hs_lead_status", "Lead Status", "enumeration", "radio", "sales_properties",
              options=LEAD_STATUSES, description="The contact's sales, prospecting or outreach status"),
        *_system_props(g, "lastmodifieddate"),
        _prop("preferred_channel", "Preferred channel", "enumeration", "select", g, hubspot=False,
              options=_options(("email", "Email"), ("phone", "Phone"), ("sms", "SMS"))),
        _prop("nps_score", "NPS score", "number", "number", g, hubspot=False),
        # A sensitive property: listed only with dataSensitivity=sensitive (Enterprise "sensitive data").
        _prop("passport_number", "Passport number", "string", "text", g, hubspot=False,
              dataSensitivity="standard"),
    ]


def _company_props() -> list[JSON]:
    g = "companyinformation"
    return [
        _prop("name", "Company name", "string", "text", g),
        _prop("domain", "Company Domain Name", "string", "text", g),
        _prop("industry", "Industry", "enumeration", "select", g, options=_options(
            ("ACCOUNTING", "Accounting"), ("COMPUTER_SOFTWARE", "Computer Software"),
            ("FINANCIAL_SERVICES", "Financial Services"), ("HOSPITAL_HEALTH_CARE", "Hospital & Health Care"),
            ("INFORMATION_TECHNOLOGY_AND_SERVICES", "Information Technology and Services"),
            ("MARKETING_AND_ADVERTISING", "Marketing and Advertising"), ("RETAIL", "Retail"))),
        _prop("phone", "Phone Number", "string", "phonenumber", g),
        _prop("city", "City", "string", "text", g),
        _prop("country", "Country/Region", "string", "text", g),
        _prop("numberofemployees", "Number of Employees", "number", "number", g),
        _prop("annualrevenue", "Annual Revenue", "number", "number", g),
        _prop("type", "Type", "enumeration", "select", g, options=_options(
            ("PROSPECT", "Prospect"), ("PARTNER", "Partner"), ("RESELLER", "Reseller"), ("VENDOR", "Vendor"),
            ("OTHER", "Other"))),
        _prop("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", g, read_only_options=True),
        *_system_props(g, "hs_lastmodifieddate"),
        _prop("tier", "Tier", "enumeration", "select", g, hubspot=False,
              options=_options(("tier_1", "Tier 1"), ("tier_2", "Tier 2"), ("tier_3", "Tier 3"))),
        _prop("partner_since", "Partner since", "date", "date", g, hubspot=False),
    ]


def _deal_props() -> list[JSON]:
    g = "dealinformation"
    return [
        _prop("dealname", "Deal Name", "string", "text", g),
        _prop("amount", "Amount", "number", "number", g, showCurrencySymbol=True),
        _prop("closedate", "Close Date", "datetime", "date", g),
        # Options of pipeline/dealstage are the live pipelines and stages (computed on read).
        _prop("pipeline", "Pipeline", "enumeration", "select", g, read_only_options=True),
        _prop("dealstage", "Deal Stage", "enumeration", "radio", g, read_only_options=True),
        _prop("dealtype", "Deal Type", "enumeration", "radio", g, options=_options(
            ("newbusiness", "New Business"), ("existingbusiness", "Existing Business"))),
        _prop("description", "Deal Description", "string", "textarea", g),
        _prop("hs_priority", "Priority", "enumeration", "select", g, options=_options(
            ("low", "Low"), ("medium", "Medium"), ("high", "High"))),
        *_system_props(g, "hs_lastmodifieddate"),
        _prop("contract_length_months", "Contract length (months)", "number", "number", g, hubspot=False),
        _prop("lead_source_detail", "Lead source detail", "string", "text", g, hubspot=False),
        _prop("competitor", "Main competitor", "enumeration", "checkbox", g, hubspot=False, options=_options(
            ("globex", "Globex"), ("initech", "Initech"), ("umbrella", "Umbrella"))),
    ]


def _ticket_props() -> list[JSON]:
    g = "ticketinformation"
    return [
        _prop("subject", "Ticket name", "string", "text", g),
        _prop("content", "Ticket description", "string", "textarea", g),
        _prop("hs_pipeline", "Pipeline", "enumeration", "select", g, read_only_options=True),
        _prop("hs_pipeline_stage", "Ticket status", "enumeration", "select", g, read_only_options=True),
        _prop("hs_ticket_priority", "Priority", "enumeration", "select", g, options=_options(
            ("LOW", "Low"), ("MEDIUM", "Medium"), ("HIGH", "High"), ("URGENT", "Urgent"))),
        _prop("hs_ticket_category", "Category", "enumeration", "checkbox", g, options=_options(
            ("PRODUCT_ISSUE", "Product issue"), ("BILLING_ISSUE", "Billing issue"),
            ("FEATURE_REQUEST", "Feature request"), ("GENERAL_INQUIRY", "General inquiry"))),
        _prop("source_type", "Source", "enumeration", "select", g, options=_options(
            ("EMAIL", "Email"), ("CHAT", "Chat"), ("PHONE", "Phone"), ("FORM", "Form"))),
        *_system_props(g, "hs_lastmodifieddate"),
        _prop("escalation_reason", "Escalation reason", "enumeration", "select", g, hubspot=False,
              options=_options(("sla_breach", "SLA breach"), ("vip", "VIP customer"), ("outage", "Outage"))),
        _prop("product_area", "Product area", "string", "text", g, hubspot=False),
    ]


GROUPS = {
    "contacts": [("contactinformation", "Contact information"), ("sales_properties", "Sales properties")],
    "companies": [("companyinformation", "Company information")],
    "deals": [("dealinformation", "Deal information")],
    "tickets": [("ticketinformation", "Ticket information")],
}
PROPERTIES = {"contacts": _contact_props, "companies": _company_props, "deals": _deal_props,
              "tickets": _ticket_props}

# ---- pipelines -------------------------------------------------------------------------------

DEFAULT_DEAL_STAGES = (  # HubSpot's own ids for a new portal's "default" deal pipeline
    ("appointmentscheduled", "Appointment Scheduled", "0.2"), ("qualifiedtobuy", "Qualified To Buy", "0.4"),
    ("presentationscheduled", "Presentation Scheduled", "0.6"),
    ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8"), ("contractsent", "Contract Sent", "0.9"),
    ("closedwon", "Closed Won", "1.0"), ("closedlost", "Closed Lost", "0.0"),
)
DEFAULT_TICKET_STAGES = (("1", "New", "OPEN"), ("2", "Waiting on contact", "OPEN"),
                         ("3", "Waiting on us", "OPEN"), ("4", "Closed", "CLOSED"))


def _stage(sid: str, label: str, order: int, metadata: dict[str, str]) -> JSON:
    return {"id": sid, "label": label, "displayOrder": order, "metadata": metadata, "archived": False,
            "createdAt": EPOCH, "updatedAt": EPOCH, "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT"}


def _seed_pipelines(portal: Portal) -> None:
    deal_stages = [_stage(sid, label, i, {"isClosed": str(sid.startswith("closed")).lower(),
                                          "probability": p})
                   for i, (sid, label, p) in enumerate(DEFAULT_DEAL_STAGES)]
    ticket_stages = [_stage(sid, label, i, {"ticketState": state})
                     for i, (sid, label, state) in enumerate(DEFAULT_TICKET_STAGES)]
    portal.pipelines["deals"]["default"] = {
        "id": "default", "label": "Sales Pipeline", "displayOrder": 0, "stages": deal_stages,
        "archived": False, "createdAt": EPOCH, "updatedAt": EPOCH}
    portal.pipelines["tickets"]["0"] = {
        "id": "0", "label": "Support Pipeline", "displayOrder": 0, "stages": ticket_stages,
        "archived": False, "createdAt": EPOCH, "updatedAt": EPOCH}
    for obj, pid in LIFECYCLE_PIPELINES.items():
        stages = [_stage(str(o["value"]), str(o["label"]), i, {}) for i, o in enumerate(LIFECYCLE_STAGES)]
        portal.pipelines[obj][pid] = {"id": pid, "label": "Lifecycle Stage Pipeline", "displayOrder": 0,
                                      "stages": stages, "archived": False, "createdAt": EPOCH, "updatedAt": EPOCH}


# ---- records ---------------------------------------------------------------------------------

SEED_RECORDS: dict[str, list[dict[str, str]]] = {
    "contacts": [
        {"email": "ana.lima@globex.example", "firstname": "Ana", "lastname": "Lima", "lifecyclestage": "lead",
         "hs_lead_status": "NEW", "preferred_channel": "email"},
        {"email": "ben.okafor@initech.example", "firstname": "Ben", "lastname": "Okafor",
         "lifecyclestage": "marketingqualifiedlead", "hs_lead_status": "OPEN"},
        {"email": "chen.wei@umbrella.example", "firstname": "Chen", "lastname": "Wei",
         "lifecyclestage": "customer", "preferred_channel": "phone", "nps_score": "9"},
        {"email": "dana.ross@hooli.example", "firstname": "Dana", "lastname": "Ross",
         "lifecyclestage": "opportunity", "hs_lead_status": "IN_PROGRESS"},
        {"email": "eli.novak@vandelay.example", "firstname": "Eli", "lastname": "Novak",
         "lifecyclestage": "subscriber"},
    ],
    "companies": [
        {"name": "Globex", "domain": "globex.example", "industry": "COMPUTER_SOFTWARE", "tier": "tier_1"},
        {"name": "Initech", "domain": "initech.example", "industry": "FINANCIAL_SERVICES",
         "type": "PROSPECT"},
        {"name": "Umbrella", "domain": "umbrella.example", "industry": "HOSPITAL_HEALTH_CARE",
         "tier": "tier_2"},
    ],
    "deals": [
        {"dealname": "Globex platform", "amount": "48000", "pipeline": "default",
         "dealstage": "appointmentscheduled", "dealtype": "newbusiness"},
        {"dealname": "Initech pilot", "amount": "12000", "pipeline": "default",
         "dealstage": "appointmentscheduled", "dealtype": "newbusiness", "competitor": "globex;umbrella"},
        {"dealname": "Umbrella expansion", "amount": "30000", "pipeline": "default",
         "dealstage": "qualifiedtobuy", "dealtype": "existingbusiness"},
        {"dealname": "Hooli renewal", "amount": "22000", "pipeline": "default", "dealstage": "contractsent",
         "dealtype": "existingbusiness"},
        {"dealname": "Vandelay imports", "amount": "9000", "pipeline": "default", "dealstage": "closedwon",
         "dealtype": "newbusiness"},
        {"dealname": "Soylent trial", "amount": "4000", "pipeline": "default", "dealstage": "closedlost"},
    ],
    "tickets": [
        {"subject": "Cannot log in", "hs_pipeline": "0", "hs_pipeline_stage": "1",
         "hs_ticket_priority": "HIGH", "hs_ticket_category": "PRODUCT_ISSUE"},
        {"subject": "Invoice question", "hs_pipeline": "0", "hs_pipeline_stage": "1",
         "hs_ticket_priority": "LOW", "hs_ticket_category": "BILLING_ISSUE"},
        {"subject": "Export to CSV", "hs_pipeline": "0", "hs_pipeline_stage": "2",
         "hs_ticket_priority": "MEDIUM", "hs_ticket_category": "FEATURE_REQUEST"},
        {"subject": "Password reset", "hs_pipeline": "0", "hs_pipeline_stage": "4",
         "hs_ticket_priority": "LOW", "source_type": "EMAIL"},
    ],
}

# ---- users, roles, teams ---------------------------------------------------------------------

ROLES = (("7001", "Sales Rep"), ("7002", "Sales Manager"), ("7003", "Customer Success"))
TEAMS = (("8001", "sales"), ("8002", "sdr"), ("8003", "customer-success"), ("8004", "marketing"),
         ("8005", "revops"), ("8006", "sales-managers"))
# email, first, last, role id, primary team id, secondary team ids, active
USERS: tuple[tuple[str, str, str, str | None, str | None, tuple[str, ...], bool], ...] = (
    ("alex.admin@acme.example", "Alex", "Admin", None, "8005", (), True),
    ("sam.seller@acme.example", "Sam", "Seller", "7001", "8001", (), True),
    ("riley.rep@acme.example", "Riley", "Rep", "7001", "8002", ("8001",), True),
    ("morgan.manager@acme.example", "Morgan", "Manager", "7002", "8001", ("8002",), True),
    ("casey.care@acme.example", "Casey", "Care", "7003", "8003", (), True),
    ("jordan.marketing@acme.example", "Jordan", "Marketing", None, "8004", (), True),
    ("taylor.ops@acme.example", "Taylor", "Ops", None, "8005", ("8001", "8003"), True),
    ("pat.former@acme.example", "Pat", "Former", "7001", "8001", (), False),
)


def add_user(portal: Portal, email: str, *, first: str = "", last: str = "", role_id: str | None = None,
             primary_team: str | None = None, secondary_teams: tuple[str, ...] = (), active: bool = True,
             super_admin: bool = False) -> str:
    """A user and the CRM owner HubSpot keeps for it.

    A deactivated user is gone from the users API and survives only as an archived owner."""
    uid, stamp = portal.next_id("user"), "2023-05-02T08:00:00.000Z"
    if active:
        user: JSON = {"id": uid, "email": email, "roleIds": [role_id] if role_id else [],
                      "secondaryTeamIds": list(secondary_teams), "superAdmin": super_admin}
        if role_id:
            user["roleId"] = role_id
        if primary_team:
            user["primaryTeamId"] = primary_team
        portal.users[uid] = user
        for tid in filter(None, (primary_team, *secondary_teams)):
            key = "userIds" if tid == primary_team else "secondaryUserIds"
            portal.teams[tid][key].append(uid)
    teams = [{"id": tid, "name": portal.teams[tid]["name"], "primary": tid == primary_team}
             for tid in filter(None, (primary_team, *secondary_teams)) if tid in portal.teams]
    oid = portal.next_id("owner")
    portal.owners[oid] = {"id": oid, "email": email, "firstName": first, "lastName": last, "type": "PERSON",
                          "userId": int(uid), "userIdIncludingInactive": int(uid), "archived": not active,
                          "createdAt": stamp, "updatedAt": stamp, "teams": teams}
    return uid


def _seed_people(portal: Portal) -> None:
    for rid, name in ROLES:
        portal.roles[rid] = {"id": rid, "name": name, "requiresBillingWrite": False}
    for tid, name in TEAMS:
        portal.teams[tid] = {"id": tid, "name": name, "userIds": [], "secondaryUserIds": []}
    for email, first, last, role, team, secondary, active in USERS:
        add_user(portal, email, first=first, last=last, role_id=role, primary_team=team,
                 secondary_teams=secondary, active=active, super_admin=email.startswith("alex."))


# ---- workflows -------------------------------------------------------------------------------

def _action(aid: str, type_id: str, fields: JSON, nxt: str | None = None) -> JSON:
    action: JSON = {"type": "SINGLE_CONNECTION", "actionId": aid, "actionTypeVersion": 0,
                    "actionTypeId": type_id, "fields": fields}
    if nxt:
        action["connection"] = {"edgeType": "STANDARD", "nextActionId": nxt}
    return action


def _list_criteria(prop: str, values: list[str], operation_type: str = "ENUMERATION",
                   operator: str = "IS_ANY_OF") -> JSON:
    operation: JSON = {"operator": operator, "includeObjectsWithNoValueSet": False,
                       "operationType": operation_type}
    if operation_type == "NUMBER":
        operation["value"] = float(values[0])
    elif operation_type != "ALL_PROPERTY":
        operation["values"] = values
    return {"type": "LIST_BASED", "shouldReEnroll": False, "unEnrollObjectsNotMeetingCriteria": False,
            "listFilterBranch": {
                "filterBranchType": "OR", "filterBranchOperator": "OR", "filters": [],
                "filterBranches": [{
                    "filterBranchType": "AND", "filterBranchOperator": "AND", "filterBranches": [],
                    "filters": [{"filterType": "PROPERTY", "property": prop, "operation": operation}]}]},
            "reEnrollmentTriggersFilterBranches": []}


def _form_criteria() -> JSON:
    return {"type": "EVENT_BASED", "shouldReEnroll": True, "listMembershipFilterBranches": [],
            "eventFilterBranches": [{"eventTypeId": "4-1639801", "operator": "HAS_COMPLETED",
                                     "filterBranchType": "UNIFIED_EVENTS", "filterBranchOperator": "AND",
                                     "filterBranches": [], "filters": []}]}


def _flow(fid: str, name: str, object_type_id: str, enabled: bool, revision: str, updated: str,
          actions: list[JSON], criteria: JSON, description: str = "") -> JSON:
    contact = object_type_id == "0-1"
    flow: JSON = {
        "id": fid, "type": "CONTACT_FLOW" if contact else "PLATFORM_FLOW", "flowType": "WORKFLOW",
        "objectTypeId": object_type_id, "isEnabled": enabled, "revisionId": revision, "name": name,
        "description": description, "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"acme-flow-{fid}")),
        "createdAt": "2024-01-09T14:02:11.118Z", "updatedAt": updated,
        "startActionId": actions[0]["actionId"],
        "nextAvailableActionId": str(len(actions) + 1), "actions": actions, "enrollmentCriteria": criteria,
        "customProperties": {}, "dataSources": [], "crmObjectCreationStatus": "COMPLETE"}
    if contact:
        flow.update(timeWindows=[], blockedDates=[], suppressionListIds=[], canEnrollFromSalesforce=False)
    return flow


def seed_flows() -> list[JSON]:
    return [
        _flow("1500001", "Lead nurture - new subscribers", "0-1", True, "7", "2024-06-03T10:15:00.000Z", [
            _action("1", "0-1", {"delta": "1440", "time_unit": "MINUTES"}, "2"),
            _action("2", "0-4", {"content_id": "113782603056"})], _form_criteria(),
            "Welcome email a day after a form submission"),
        _flow("1500002", "Route new MQLs", "0-1", True, "3", "2024-07-19T08:40:00.000Z", [
            _action("1", "0-5", {"property_name": "hs_lead_status",
                                 "value": {"type": "STATIC_VALUE", "staticValue": "OPEN"}}, "2"),
            _action("2", "0-9", {"user_ids": [], "team_ids": ["8002"], "delivery_method": "APP",
                                 "subject": "New MQL", "body": "A new MQL needs follow-up"})],
            _list_criteria("lifecyclestage", ["marketingqualifiedlead"])),
        _flow("1500003", "Closed won - onboarding task", "0-3", True, "5", "2024-08-22T16:05:00.000Z", [
            _action("1", "0-3", {"task_type": "TODO", "subject": "Kick off onboarding", "priority": "HIGH",
                                 "use_explicit_associations": "true", "associations": []})],
            _list_criteria("dealstage", ["closedwon"])),
        _flow("1500004", "Stale deal reminder", "0-3", False, "2", "2023-11-30T12:00:00.000Z", [
            _action("1", "0-1", {"delta": "20160", "time_unit": "MINUTES"}, "2"),
            _action("2", "0-8", {"user_ids": [], "owner_properties": ["hubspot_owner_id"],
                                 "subject": "Deal is stale", "body": "No activity for two weeks"})],
            _list_criteria("dealstage", ["contractsent"])),
        _flow("1500005", "Escalate high priority tickets", "0-5", True, "4", "2024-09-10T09:30:00.000Z", [
            _action("1", "0-5", {"property_name": "escalation_reason",
                                 "value": {"type": "STATIC_VALUE", "staticValue": "vip"}}, "2"),
            _action("2", "0-9", {"user_ids": [], "team_ids": ["8003"], "delivery_method": "APP",
                                 "subject": "Escalated ticket", "body": "A high priority ticket arrived"})],
            _list_criteria("hs_ticket_priority", ["HIGH", "URGENT"])),
        _flow("1500006", "Company tiering", "0-2", False, "1", "2023-09-01T07:45:00.000Z", [
            _action("1", "0-5", {"property_name": "tier",
                                 "value": {"type": "STATIC_VALUE", "staticValue": "tier_1"}})],
            _list_criteria("numberofemployees", ["1000"], "NUMBER", "IS_GREATER_THAN_OR_EQUAL_TO")),
    ]


def _seed_properties(portal: Portal, *, custom: bool) -> None:
    for obj, groups in GROUPS.items():
        for order, (name, label) in enumerate(groups):
            portal.groups[obj][name] = {"name": name, "label": label, "displayOrder": order,
                                        "archived": False}
        for prop in PROPERTIES[obj]():
            if custom or prop["hubspotDefined"]:
                portal.properties[obj][prop["name"]] = prop


def seed_performance() -> dict[str, dict[str, dict[str, int]]]:
    """Daily run counts of the seeded workflows (hubspot_performance): onboarding and ticket escalation run
    every week of autumn 2026; "Route new MQLs", though enabled, last enrolled anyone in March 2026."""
    weekly = [f"2026-{m:02d}-{d:02d}" for m in (9, 10, 11) for d in (2, 9, 16, 23)]
    return {
        "1500003": {day: {"ENROLLED": 3, "COMPLETED": 3} for day in weekly},
        "1500005": {day: {"ENROLLED": 5, "COMPLETED": 4, "UNENROLLED": 1} for day in weekly},
        "1500002": {"2026-03-10": {"ENROLLED": 12, "COMPLETED": 12}},
    }


def seed_default_portal(portal: Portal) -> None:
    _seed_properties(portal, custom=True)
    _seed_pipelines(portal)
    for obj, records in SEED_RECORDS.items():
        for values in records:
            portal.create_record(obj, values)
    for flow in seed_flows():
        portal.flows[flow["id"]] = stored(flow)
    portal.performance.update(seed_performance())
    _seed_people(portal)


def seed_minimal_portal(portal: Portal) -> None:
    """What every account has even when nothing else is wanted: HubSpot's properties and pipelines."""
    _seed_properties(portal, custom=False)
    _seed_pipelines(portal)


# ---- bench scale -----------------------------------------------------------------------------

_BENCH_TYPES = (("string", "text"), ("number", "number"), ("enumeration", "select"), ("date", "date"))


def seed_scale_portal(portal: Portal, *, properties: int, pipelines: int, flows: int) -> None:
    """Adds `properties` custom properties (round-robin over the four objects), `pipelines` deal
    pipelines of five stages, and `flows` workflows, all with deterministic names."""
    objects = list(GROUPS)
    for i in range(properties):
        obj = objects[i % len(objects)]
        ptype, field_type = _BENCH_TYPES[i % len(_BENCH_TYPES)]
        options = [{"label": f"Option {k}", "value": f"option_{k}"} for k in range(3)] \
            if ptype == "enumeration" else []
        portal.create_property(obj, {"name": f"bench_prop_{i:05d}", "label": f"Bench property {i:05d}",
                                     "type": ptype, "fieldType": field_type, "groupName": GROUPS[obj][0][0],
                                     "options": options})
    for i in range(pipelines):
        portal.create_pipeline("deals", {
            "label": f"Bench pipeline {i:05d}", "displayOrder": i + 1,
            "stages": [{"label": f"Stage {k}", "displayOrder": k,
                        "metadata": {"probability": ("0.1", "0.3", "0.5", "0.8", "1.0")[k],
                                     "isClosed": str(k == 4).lower()}}
                       for k in range(5)]})
    object_ids = ("0-1", "0-2", "0-3", "0-5")
    for i in range(flows):
        type_id = object_ids[i % len(object_ids)]
        portal.create_flow({
            "name": f"Bench flow {i:05d}", "type": "CONTACT_FLOW" if type_id == "0-1" else "PLATFORM_FLOW",
            "objectTypeId": type_id, "flowType": "WORKFLOW", "isEnabled": i % 3 != 0, "blockedDates": [],
            "timeWindows": [], "customProperties": {}, "dataSources": [],
            **({"canEnrollFromSalesforce": False, "suppressionListIds": []} if type_id == "0-1" else {}),
            "actions": [_action("1", "0-1", {"delta": "60", "time_unit": "MINUTES"}, "2"),
                        _action("2", "0-9", {"user_ids": [], "subject": f"Bench {i}", "body": "x",
                                             "delivery_method": "APP"})],
            "enrollmentCriteria": _list_criteria("hs_object_id", [], "ALL_PROPERTY", "IS_KNOWN")})
