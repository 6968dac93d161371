"""Spec names <-> Salesforce names and types: the one place the vocabulary is translated.

The scheme (documented in docs/providers/salesforce.md):
- objects: deal -> Opportunity, contact -> Contact, company -> Account, lead -> Lead, ticket -> Case;
- a custom spec field `lead_source` is `Lead_Source__c`; going back, an API name is lower-cased
  without `__c`, and Salesforce matches API names case-insensitively, so `LinkedIn_URL__c` and
  spec `linkedin_url` are the same field. Standard fields map through STANDARD (never created);
- pipelines, permission sets: `new_business` <-> `New_Business` (BusinessProcess + RecordType,
  PermissionSet API names); compiled flows are `crmconf_<automation name>`;
- a stage *is* its Salesforce picklist value: the spec label is the value's API name.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from crmconf.spec.model import FieldType, parse_duration

OBJECTS: dict[str, str] = {
    "deal": "Opportunity",
    "contact": "Contact",
    "company": "Account",
    "lead": "Lead",
    "ticket": "Case",
}
SPEC_OBJECTS: dict[str, str] = {v: k for k, v in OBJECTS.items()}

# Spec standard fields (crmconf/spec/standard.py) -> Salesforce standard API names. None: no such field.
STANDARD: dict[str, dict[str, str | None]] = {
    "deal": {
        "name": "Name",
        "amount": "Amount",
        "close_date": "CloseDate",
        "stage": "StageName",
        "pipeline": "RecordTypeId",
        "owner": "OwnerId",
        "description": "Description",
        "next_step": "NextStep",
    },
    "contact": {
        "first_name": "FirstName",
        "last_name": "LastName",
        "email": "Email",
        "phone": "Phone",
        "job_title": "Title",
        "owner": "OwnerId",
        "lifecycle_stage": None,  # Salesforce tracks lifecycle on leads (Lead Status), not contacts
        "lead_source": "LeadSource",
    },
    "company": {
        "name": "Name",
        "domain": "Website",
        "industry": "Industry",
        "phone": "Phone",
        "owner": "OwnerId",
        "employees": "NumberOfEmployees",
        "annual_revenue": "AnnualRevenue",
    },
    "ticket": {
        "subject": "Subject",
        "description": "Description",
        "priority": "Priority",
        "status": "Status",
        "owner": "OwnerId",
    },
    "lead": {
        "first_name": "FirstName",
        "last_name": "LastName",
        "email": "Email",
        "company": "Company",
        "status": "Status",
        "owner": "OwnerId",
        "lead_source": "LeadSource",
    },
}
_STANDARD_BACK: dict[str, dict[str, str]] = {
    OBJECTS[obj]: {api.lower(): name for name, api in fields.items() if api} for obj, fields in STANDARD.items()
}

IDENT = re.compile(r"^[a-z][a-z0-9_]*$")
# Salesforce developer names: a letter first, letters/digits/single underscores, no trailing underscore.
_DEV_NAME = re.compile(r"^[A-Za-z](?:[A-Za-z0-9]|_(?!_))*$")
MAX_FIELD_NAME = 40  # without the __c suffix
MAX_RULE_NAME = 40


def title_name(spec_name: str) -> str:
    """`new_business` -> `New_Business` (double/trailing underscores collapse: API names forbid them)."""
    return "_".join(part[:1].upper() + part[1:] for part in spec_name.split("_") if part)


def snake(text: str, limit: int = 64) -> str:
    """Any Salesforce name or label -> a spec identifier (`Proposal/Price Quote` -> `proposal_price_quote`)."""
    out = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if not out or not out[0].isalpha():
        out = "x_" + out
    return out[:limit].rstrip("_")


def is_dev_name(name: str) -> bool:
    return bool(_DEV_NAME.match(name)) and not name.endswith("_")


def humanize(spec_name: str) -> str:
    return " ".join(part.capitalize() for part in spec_name.split("_") if part)


# --- fields -------------------------------------------------------------------------------------


def custom_api_name(name: str) -> str:
    return title_name(name) + "__c"


def field_api(obj: str, name: str) -> str | None:
    """The API name of a spec field (standard or custom) on the Salesforce object."""
    standard = STANDARD.get(obj, {})
    if name in standard:
        return standard[name]
    return custom_api_name(name)


def is_standard(obj: str, name: str) -> bool:
    return name in STANDARD.get(obj, {})


def spec_field_name(sobject: str, api: str) -> str | None:
    """The spec name of a Salesforce field, or None when the spec language cannot name it."""
    standard = _STANDARD_BACK.get(sobject, {}).get(api.lower())
    if standard:
        return standard
    if not api.endswith("__c"):
        return None  # a standard field the spec language has no name for
    base = api[:-3]
    if "__" in base:
        return None  # a managed package's field (namespace__Name__c): not ours to manage
    name = base.lower()
    if not IDENT.match(name) or name in STANDARD.get(SPEC_OBJECTS.get(sobject, ""), {}):
        return None
    return name


# spec type -> (Salesforce type, extra attributes a new field needs)
FIELD_TYPES: dict[str, tuple[str, dict[str, object]]] = {
    "text": ("Text", {"length": 255}),
    "textarea": ("LongTextArea", {"length": 32768, "visibleLines": 3}),
    "number": ("Number", {"precision": 18, "scale": 2}),
    "currency": ("Currency", {"precision": 18, "scale": 2}),
    "percent": ("Percent", {"precision": 5, "scale": 2}),
    "date": ("Date", {}),
    "datetime": ("DateTime", {}),
    "boolean": ("Checkbox", {"defaultValue": "false"}),
    "picklist": ("Picklist", {}),
    "multipicklist": ("MultiselectPicklist", {"visibleLines": 4}),
    "email": ("Email", {}),
    "phone": ("Phone", {}),
    "url": ("Url", {}),
}
SPEC_TYPES: dict[str, FieldType] = {
    "Text": "text",
    "TextArea": "textarea",
    "LongTextArea": "textarea",
    "Html": "textarea",
    "Number": "number",
    "Currency": "currency",
    "Percent": "percent",
    "Date": "date",
    "DateTime": "datetime",
    "Checkbox": "boolean",
    "Picklist": "picklist",
    "MultiselectPicklist": "multipicklist",
    "Email": "email",
    "Phone": "phone",
    "Url": "url",
}
# REST describe types -> spec types (for fields only read through describe: the unmanaged ones)
DESCRIBE_TYPES: dict[str, str] = {
    "string": "text",
    "textarea": "textarea",
    "double": "number",
    "int": "number",
    "currency": "currency",
    "percent": "percent",
    "date": "date",
    "datetime": "datetime",
    "boolean": "boolean",
    "picklist": "picklist",
    "multipicklist": "multipicklist",
    "email": "email",
    "phone": "phone",
    "url": "url",
}
UNIQUE_TYPES = ("text", "number", "email")


def spec_type(sf_type: str | None, formula: str | None = None) -> str:
    """A Salesforce field type in spec words; `salesforce:<Type>` when the spec cannot express it."""
    if formula:
        return "salesforce:formula"
    return SPEC_TYPES.get(sf_type or "", f"salesforce:{sf_type}")


# --- pipelines ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Family:
    """A Salesforce object whose processes pick values from one standard value set."""

    sobject: str
    value_set: str
    field: str  # the picklist the value set backs
    spec_object: str


FAMILIES: dict[str, Family] = {
    "Opportunity": Family("Opportunity", "OpportunityStage", "StageName", "deal"),
    "Case": Family("Case", "CaseStatus", "Status", "ticket"),
    "Lead": Family("Lead", "LeadStatus", "Status", "lead"),
}
VALUE_SET_FAMILY: dict[str, Family] = {f.value_set: f for f in FAMILIES.values()}


# The spec's forecast categories -> Salesforce's ForecastCategories enum ("Commit" is `Forecast` there).
FORECAST_CATEGORIES: dict[str, str] = {
    "omitted": "Omitted",
    "pipeline": "Pipeline",
    "best_case": "BestCase",
    "most_likely": "MostLikely",
    "commit": "Forecast",
    "closed": "Closed",
}
SPEC_FORECAST: dict[str, str] = {v: k for k, v in FORECAST_CATEGORIES.items()}


def default_forecast(outcome: str | None) -> str:
    """The forecast category Salesforce gives a new stage of this type: Closed Won -> Closed, Closed
    Lost -> Omitted, open -> Pipeline (its own stages: Negotiation/Review at 90 % is still Pipeline).
    The probability plays no part; only the spec's `forecast_category` puts an open stage elsewhere."""
    if outcome == "won":
        return "closed"
    if outcome in ("lost", "closed"):
        return "omitted"
    return "pipeline"


def default_probability(outcome: str | None) -> int:
    return 100 if outcome == "won" else 0 if outcome in ("lost", "closed") else 10


# --- permissions --------------------------------------------------------------------------------

ACCESS_FLAGS: dict[str, str] = {
    "read": "allowRead",
    "create": "allowCreate",
    "edit": "allowEdit",
    "delete": "allowDelete",
    "view_all": "viewAllRecords",
    "modify_all": "modifyAllRecords",
}
SOQL_ACCESS: dict[str, str] = {
    "read": "PermissionsRead",
    "create": "PermissionsCreate",
    "edit": "PermissionsEdit",
    "delete": "PermissionsDelete",
    "view_all": "PermissionsViewAllRecords",
    "modify_all": "PermissionsModifyAllRecords",
}
# What Salesforce requires alongside each permission (Create needs Read, Modify All needs Delete and
# View All, ...): a spec that lists only `edit` gets `read` too, as Setup would insist.
IMPLIES: dict[str, tuple[str, ...]] = {
    "create": ("read",),
    "edit": ("read",),
    "delete": ("edit", "read"),
    "view_all": ("read",),
    "modify_all": ("delete", "edit", "read", "view_all"),
}
ACCESS_ORDER = ("read", "create", "edit", "delete", "view_all", "modify_all")
# Any access to the key object needs Read on these (Salesforce: "Permission Read Opportunities depends
# on permission(s): Read Accounts"). In spec words.
CROSS_OBJECT: dict[str, tuple[str, ...]] = {"deal": ("company",), "contact": ("company",)}


def closed_access(access: list[str] | tuple[str, ...]) -> list[str]:
    full = set(access)
    for a in access:
        full.update(IMPLIES.get(a, ()))
    return [a for a in ACCESS_ORDER if a in full]


# --- automations --------------------------------------------------------------------------------

FLOW_PREFIX = "crmconf_"


def flow_api_name(automation: str) -> str:
    return FLOW_PREFIX + automation


def days(duration: str) -> int:
    """A spec duration as whole days (hours round up: a task is due on a date)."""
    delta = parse_duration(duration)
    return math.ceil(delta.total_seconds() / 86400) if delta.total_seconds() >= 0 else -math.ceil(
        -delta.total_seconds() / 86400
    )
