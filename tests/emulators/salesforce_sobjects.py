"""The sObjects of the emulated org: field catalogs, SOQL views derived from metadata, and writes.

Views (OpportunityStage, PermissionSet, FieldPermissions, FlowDefinitionView, RecordType, ...)
are computed from the metadata components on every query, so an upsertMetadata is visible in
SOQL at once. Record writes live in salesforce_records.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.emulators import salesforce_interviews as interviews
from tests.emulators.salesforce_org import Org, rest_datetime
from tests.emulators.salesforce_rules import dependency_rows, namespace_of, readable_fields
from tests.emulators.salesforce_soql import Relation, SObjectSchema

# name:type, with markers  * permissionable (field-level security)  ! required on create
# ~ read-only (system or computed).
_STANDARD = {
    "Account": (
        "Id:id~ IsDeleted:boolean~ Name:string! Type:picklist* ParentId:reference* AccountNumber:string* "
        "Site:string* BillingStreet:textarea* BillingCity:string* BillingState:string* "
        "BillingPostalCode:string* BillingCountry:string* ShippingCity:string* ShippingCountry:string* "
        "Phone:phone* Fax:phone* Website:url* Industry:picklist* AnnualRevenue:currency* "
        "NumberOfEmployees:int* Description:textarea* Rating:picklist* OwnerId:reference"
    ),
    "Contact": (
        "Id:id~ IsDeleted:boolean~ AccountId:reference* LastName:string! FirstName:string "
        "Salutation:picklist Name:string~ Title:string* Department:string* Email:email* Phone:phone* "
        "MobilePhone:phone* HomePhone:phone* AssistantName:string* MailingCity:string* "
        "MailingCountry:string* LeadSource:picklist* Birthdate:date* Description:textarea* "
        "OwnerId:reference"
    ),
    "Lead": (
        "Id:id~ IsDeleted:boolean~ LastName:string! FirstName:string Name:string~ Company:string! "
        "Title:string* Email:email* Phone:phone* MobilePhone:phone* Website:url* Status:picklist! "
        "LeadSource:picklist* Industry:picklist* Rating:picklist* AnnualRevenue:currency* "
        "NumberOfEmployees:int* City:string* Country:string* Description:textarea* IsConverted:boolean~ "
        "OwnerId:reference"
    ),
    "Opportunity": (
        "Id:id~ IsDeleted:boolean~ AccountId:reference* RecordTypeId:reference Name:string! "
        "Description:textarea* StageName:picklist! Amount:currency* Probability:percent* "
        "ExpectedRevenue:currency~ TotalOpportunityQuantity:double* CloseDate:date! Type:picklist* "
        "NextStep:string* LeadSource:picklist* IsClosed:boolean~ IsWon:boolean~ ForecastCategory:picklist~ "
        "ForecastCategoryName:picklist* CampaignId:reference* OwnerId:reference LastStageChangeDate:datetime~"
    ),
    "Case": (
        "Id:id~ IsDeleted:boolean~ CaseNumber:string~ ContactId:reference* AccountId:reference* "
        "RecordTypeId:reference SuppliedName:string* SuppliedEmail:email* Type:picklist* Status:picklist "
        "Reason:picklist* Origin:picklist* Subject:string* Priority:picklist* Description:textarea* "
        "IsClosed:boolean~ IsEscalated:boolean* OwnerId:reference"
    ),
    "User": (
        "Id:id~ Username:string! Email:email! FirstName:string LastName:string! Name:string~ Alias:string "
        "IsActive:boolean Title:string Department:string ProfileId:reference UserType:picklist~ "
        "TimeZoneSidKey:picklist LastLoginDate:datetime~"
    ),
    "PermissionSetAssignment": (
        "Id:id~ AssigneeId:reference! PermissionSetId:reference! PermissionSetGroupId:reference "
        "IsActive:boolean~ ExpirationDate:datetime"
    ),
    # Activities (health counts what reps log): a task or a logged call/e-mail, and a meeting.
    "Task": (
        "Id:id~ IsDeleted:boolean~ Subject:string ActivityDate:date Status:picklist! Priority:picklist! "
        "Type:picklist TaskSubtype:picklist~ WhoId:reference WhatId:reference Description:textarea "
        "IsClosed:boolean~ OwnerId:reference"
    ),
    "Event": (
        "Id:id~ IsDeleted:boolean~ Subject:string ActivityDateTime:datetime StartDateTime:datetime "
        "EndDateTime:datetime DurationInMinutes:int Type:picklist WhoId:reference WhatId:reference "
        "Description:textarea OwnerId:reference"
    ),
}
_AUDIT = (
    "CreatedDate:datetime~ CreatedById:reference~ LastModifiedDate:datetime~ LastModifiedById:reference~ "
    "SystemModstamp:datetime~"
)
DATA_OBJECTS = ("Account", "Contact", "Lead", "Opportunity", "Case", "User", "PermissionSetAssignment", "Task",
                "Event")
CUSTOMIZABLE = ("Account", "Contact", "Lead", "Opportunity", "Case")
_REFS = {
    "AccountId": "Account",
    "ContactId": "Contact",
    "OwnerId": "User",
    "CreatedById": "User",
    "LastModifiedById": "User",
    "RecordTypeId": "RecordType",
    "ProfileId": "Profile",
    "AssigneeId": "User",
    "PermissionSetId": "PermissionSet",
    "BusinessProcessId": "BusinessProcess",
}
_CUSTOM_TYPES = {
    "Text": "string",
    "TextArea": "textarea",
    "LongTextArea": "textarea",
    "Html": "textarea",
    "Number": "double",
    "Currency": "currency",
    "Percent": "percent",
    "Checkbox": "boolean",
    "Date": "date",
    "DateTime": "datetime",
    "Email": "email",
    "Phone": "phone",
    "Url": "url",
    "Picklist": "picklist",
    "MultiselectPicklist": "multipicklist",
    "Lookup": "reference",
    "MasterDetail": "reference",
    "AutoNumber": "string",
    "Time": "time",
}
FORECAST_NAMES = {
    "Omitted": "Omitted",
    "Pipeline": "Pipeline",
    "BestCase": "Best Case",
    "MostLikely": "Most Likely",
    "Forecast": "Commit",
    "Closed": "Closed",
}
# Which standard value set backs which picklist field (for validation and describe).
VALUE_SETS = {
    ("Opportunity", "StageName"): "OpportunityStage",
    ("Case", "Status"): "CaseStatus",
    ("Lead", "Status"): "LeadStatus",
    ("Lead", "LeadSource"): "LeadSource",
    ("Opportunity", "LeadSource"): "LeadSource",
    ("Contact", "LeadSource"): "LeadSource",
    ("Opportunity", "Type"): "OpportunityType",
}


@dataclass(frozen=True)
class FieldDef:
    name: str
    type: str
    label: str
    permissionable: bool = False
    required: bool = False
    readonly: bool = False
    custom: bool = False
    long: bool = False  # a long text area (every standard textarea is one): a WHERE may not name it


def _parse_spec(spec: str) -> list[FieldDef]:
    out = []
    for item in spec.split():
        name, _, typ = item.partition(":")
        typ = typ or ("id" if name == "Id" else "string")
        flags = "".join(c for c in typ if c in "*!~")
        typ = typ.strip("*!~")
        label = "".join(" " + c if c.isupper() and i else c for i, c in enumerate(name)).replace(" Id", " ID")
        out.append(FieldDef(name, typ, label, "*" in flags, "!" in flags, "~" in flags, long=typ == "textarea"))
    return out


_STANDARD_FIELDS = {obj: _parse_spec(spec + " " + _AUDIT) for obj, spec in _STANDARD.items()}


def object_fields(org: Org, sobject: str) -> list[FieldDef]:
    fields = list(_STANDARD_FIELDS.get(sobject, []))
    for full_name, comp in org.components("CustomField").items():
        obj, _, name = full_name.partition(".")
        if obj == sobject:
            typ = _CUSTOM_TYPES.get(comp.get("type", ""), "string")
            fields.append(
                FieldDef(
                    name,
                    typ,
                    comp.get("label") or name,
                    not comp.get("required"),
                    bool(comp.get("required")),
                    comp.get("type") in ("AutoNumber",) or bool(comp.get("formula")),
                    True,
                    long=comp.get("type") in ("LongTextArea", "Html"),
                )
            )
    return fields


def visible_fields(org: Org, sobject: str) -> list[FieldDef]:
    """The fields the API user sees through describe, SOQL and record writes: field-level security
    hides every permissionable custom field no profile or permission set of the user grants."""
    fields = object_fields(org, sobject)
    if sobject not in CUSTOMIZABLE:
        return fields
    readable = readable_fields(org)
    return [f for f in fields if not (f.custom and f.permissionable) or f"{sobject}.{f.name}".lower() in readable]


def visible_field(org: Org, sobject: str, name: str) -> FieldDef | None:
    lower = name.lower()
    return next((f for f in visible_fields(org, sobject) if f.name.lower() == lower), None)


def field_def(org: Org, sobject: str, name: str) -> FieldDef | None:
    lower = name.lower()
    return next((f for f in object_fields(org, sobject) if f.name.lower() == lower), None)


def permissionable_fields(org: Org) -> list[str]:
    """Every "Object.Field" a FieldPermissions row may name."""
    return [f"{obj}.{f.name}" for obj in CUSTOMIZABLE for f in object_fields(org, obj) if f.permissionable]


# ---------------------------------------------------------------------------------------------
# Views derived from metadata
# ---------------------------------------------------------------------------------------------

Row = dict[str, Any]


def _audit(org: Org, type_: str, name: str) -> Row:
    info = org.info(type_, name)
    return {
        "CreatedDate": rest_datetime(info.created),
        "CreatedById": info.created_by,
        "LastModifiedDate": rest_datetime(info.modified),
        "LastModifiedById": info.modified_by,
        "SystemModstamp": rest_datetime(info.modified),
    }


def _value_set_rows(org: Org, set_name: str) -> Iterator[tuple[int, dict[str, Any], Row]]:
    for i, v in enumerate((org.get("StandardValueSet", set_name) or {}).get("standardValue", []), 1):
        row = {
            "Id": org.ids.stable("01J", (set_name, v["fullName"].lower())),
            "MasterLabel": v.get("label") or v["fullName"],
            "ApiName": v["fullName"],
            "SortOrder": i,
            "IsDefault": bool(v.get("default")),
        }
        row.update(_audit(org, "StandardValueSet", set_name))
        yield i, v, row


def _stage_rows(org: Org) -> list[Row]:
    rows = []
    for _, v, row in _value_set_rows(org, "OpportunityStage"):
        category = v.get("forecastCategory") or "Pipeline"
        row.update(
            IsActive=v.get("isActive") is not False,
            IsClosed=bool(v.get("closed")),
            IsWon=bool(v.get("won")),
            DefaultProbability=float(v.get("probability") or 0),
            ForecastCategory=category,
            ForecastCategoryName=FORECAST_NAMES.get(category, category),
            Description=v.get("description"),
        )
        rows.append(row)
    return rows


def _case_status_rows(org: Org) -> list[Row]:
    return [
        dict(row, IsClosed=bool(v.get("closed")))
        for _, v, row in _value_set_rows(org, "CaseStatus")
        if v.get("isActive") is not False
    ]


def _lead_status_rows(org: Org) -> list[Row]:
    return [
        dict(row, IsConverted=bool(v.get("converted")))
        for _, v, row in _value_set_rows(org, "LeadStatus")
        if v.get("isActive") is not False
    ]


def permission_set_rows(org: Org) -> list[Row]:
    rows = list(org.static_rows.get("PermissionSet", []))
    for name, comp in org.components("PermissionSet").items():
        namespace = namespace_of(org, name)
        rows.append(
            {
                "Id": org.info("PermissionSet", name).id,
                "Name": name.partition("__")[2] if namespace else name,  # the prefix is a column of its own
                "Label": comp.get("label"),
                "Description": comp.get("description"),
                "IsOwnedByProfile": False,
                "IsCustom": namespace is None,
                "Type": "Regular",
                "ProfileId": None,
                "NamespacePrefix": namespace,
                "LicenseId": None,
                "HasActivationRequired": bool(comp.get("hasActivationRequired")),
                "PermissionSetGroupId": None,
                **_audit(org, "PermissionSet", name),
            }
        )
    return rows


OBJECT_PERMISSION_COLUMNS = (
    ("PermissionsCreate", "allowCreate"),
    ("PermissionsRead", "allowRead"),
    ("PermissionsEdit", "allowEdit"),
    ("PermissionsDelete", "allowDelete"),
    ("PermissionsViewAllRecords", "viewAllRecords"),
    ("PermissionsModifyAllRecords", "modifyAllRecords"),
    ("PermissionsViewAllFields", "viewAllFields"),
)


def _object_permission_rows(org: Org) -> list[Row]:
    rows = list(org.static_rows.get("ObjectPermissions", []))
    for name, comp in org.components("PermissionSet").items():
        parent, audit = org.info("PermissionSet", name).id, _audit(org, "PermissionSet", name)
        for op in comp.get("objectPermissions", []):
            if not any(op.get(k) for _, k in OBJECT_PERMISSION_COLUMNS):
                continue  # Salesforce keeps no row for an object with no access
            row = {
                "Id": org.ids.stable("110", (name.lower(), op["object"].lower())),
                "ParentId": parent,
                "SobjectType": op["object"],
                **{col: bool(op.get(key)) for col, key in OBJECT_PERMISSION_COLUMNS},
                **audit,
            }
            rows.append(row)
    return rows


def _field_permission_rows(org: Org) -> list[Row]:
    rows = []
    for name, comp in org.components("PermissionSet").items():
        parent, audit = org.info("PermissionSet", name).id, _audit(org, "PermissionSet", name)
        for fp in comp.get("fieldPermissions", []):
            readable, editable = bool(fp.get("readable")), bool(fp.get("editable"))
            if not (readable or editable):
                continue
            rows.append(
                {
                    "Id": org.ids.stable("01k", (name.lower(), fp["field"].lower())),
                    "ParentId": parent,
                    "SobjectType": fp["field"].split(".")[0],
                    "Field": fp["field"],
                    "PermissionsRead": readable or editable,
                    "PermissionsEdit": editable,
                    **audit,
                }
            )
    return rows


def _user_name(org: Org, user_id: str) -> str | None:
    user = org.table("User").get(user_id)
    return user.get("Name") if user else None


def _flow_view_rows(org: Org) -> list[Row]:
    rows = []
    for flow in org.flows.values():
        latest, active = flow.latest, flow.active
        md, start = latest.metadata, latest.metadata.get("start") or {}
        info = org.info("Flow", flow.name)
        rows.append(
            {
                "Id": flow.id,
                "DurableId": flow.id,
                "ApiName": flow.name,
                "Label": md.get("label"),
                "Description": md.get("description"),
                "IsActive": active is not None,
                "IsOutOfDate": active is not None and active.number != latest.number,
                "ProcessType": md.get("processType") or "AutoLaunchedFlow",
                "TriggerType": start.get("triggerType"),
                "RecordTriggerType": start.get("recordTriggerType"),
                "TriggerObjectOrEventId": start.get("object"),
                "TriggerObjectOrEventLabel": start.get("object"),
                "TriggerOrder": md.get("triggerOrder"),
                "ActiveVersionId": active.id if active else None,
                "LatestVersionId": latest.id,
                "VersionNumber": (active or latest).number,
                "NamespacePrefix": namespace_of(org, flow.name),
                "ManageableState": "installed" if namespace_of(org, flow.name) else "unmanaged",
                "InstalledPackageName": org.namespaces.get(namespace_of(org, flow.name) or ""),
                "Builder": "Flow Builder",
                "IsTemplate": False,
                "LastModifiedDate": rest_datetime(info.modified),
                "LastModifiedBy": _user_name(org, info.modified_by),
                # Not selectable (LastModifiedBy is a name); backs the LastModifiedBy.Name relation.
                "LastModifiedById": info.modified_by,
            }
        )
    return rows


def _flow_definition_rows(org: Org) -> list[Row]:
    rows = []
    for flow in org.flows.values():
        first, latest, active = flow.versions[0], flow.latest, flow.active
        rows.append(
            {
                "Id": flow.id,
                "DeveloperName": flow.name,
                "MasterLabel": latest.metadata.get("label"),
                "Description": latest.metadata.get("description"),
                "ActiveVersionId": active.id if active else None,
                "LatestVersionId": latest.id,
                "NamespacePrefix": None,
                "ManageableState": "unmanaged",
                "CreatedDate": rest_datetime(first.created),
                "CreatedById": org.info("Flow", flow.name).created_by,
                "LastModifiedDate": rest_datetime(latest.modified),
                "LastModifiedById": latest.modified_by,
            }
        )
    return rows


def _flow_version_rows(org: Org) -> list[Row]:
    return [
        {
            "Id": v.id,
            "DefinitionId": flow.id,
            "MasterLabel": v.metadata.get("label"),
            "VersionNumber": v.number,
            "Status": v.status,
            "ProcessType": v.metadata.get("processType") or "AutoLaunchedFlow",
            "Description": v.metadata.get("description"),
            "ApiVersion": v.metadata.get("apiVersion"),
            "RunInMode": v.metadata.get("runInMode") or "DefaultMode",
            "CreatedDate": rest_datetime(v.created),
            "CreatedById": v.modified_by,
            "LastModifiedDate": rest_datetime(v.modified),
            "LastModifiedById": v.modified_by,
        }
        for flow in org.flows.values()
        for v in flow.versions
    ]


def _validation_rule_rows(org: Org) -> list[Row]:
    rows = []
    for full_name, comp in org.components("ValidationRule").items():
        obj, _, name = full_name.partition(".")
        rows.append(
            {
                "Id": org.info("ValidationRule", full_name).id,
                "ValidationName": name,
                "Active": comp.get("active"),
                "Description": comp.get("description"),
                "ErrorDisplayField": comp.get("errorDisplayField"),
                "ErrorMessage": comp.get("errorMessage"),
                "EntityDefinitionId": obj,
                "NamespacePrefix": namespace_of(org, full_name),
                "ManageableState": "installed" if namespace_of(org, full_name) else "unmanaged",
                **_audit(org, "ValidationRule", full_name),
            }
        )
    return rows


def _entity_rows(org: Org) -> list[Row]:
    from tests.emulators.salesforce_org import PREFIX

    return [
        {
            "Id": "000000000000000AAA",
            "DurableId": obj,
            "QualifiedApiName": obj,
            "DeveloperName": obj,
            "Label": obj,
            "PluralLabel": obj + ("es" if obj.endswith("s") else "s"),
            "KeyPrefix": PREFIX.get(obj),
            "IsCustomizable": obj in CUSTOMIZABLE,
            "NamespacePrefix": None,
        }
        for obj in DATA_OBJECTS
    ]


def _record_type_rows(org: Org) -> list[Row]:
    rows = []
    for full_name, comp in org.components("RecordType").items():
        obj, _, dev = full_name.partition(".")
        bp = comp.get("businessProcess")
        bp_comp = org.get("BusinessProcess", f"{obj}.{bp}") if bp else None
        rows.append(
            {
                "Id": org.info("RecordType", full_name).id,
                "Name": comp.get("label"),
                "DeveloperName": dev,
                "SobjectType": obj,
                "IsActive": bool(comp.get("active")),
                "Description": comp.get("description"),
                "BusinessProcessId": org.info("BusinessProcess", bp_comp["fullName"]).id if bp_comp else None,
                "NamespacePrefix": None,
                "IsPersonType": False,
                **_audit(org, "RecordType", full_name),
            }
        )
    return rows


def _business_process_rows(org: Org) -> list[Row]:
    return [
        {
            "Id": org.info("BusinessProcess", fn).id,
            "Name": fn.partition(".")[2],
            "TableEnumOrId": fn.partition(".")[0],
            "IsActive": comp.get("isActive") is not False,
            "Description": comp.get("description"),
            "NamespacePrefix": None,
            **_audit(org, "BusinessProcess", fn),
        }
        for fn, comp in org.components("BusinessProcess").items()
    ]


# ---------------------------------------------------------------------------------------------
# The catalog
# ---------------------------------------------------------------------------------------------


@dataclass
class SObjectDef:
    name: str
    fields: Callable[[Org], list[FieldDef]]
    rows: Callable[[Org, bool], list[Row]]
    apis: frozenset[str] = frozenset({"data"})
    relations: dict[str, Relation] = field(default_factory=dict)
    createable: bool = False
    updateable: bool = False
    deletable: bool = False


def _view(spec: str) -> Callable[[Org], list[FieldDef]]:
    parsed = [FieldDef(f.name, f.type, f.label, readonly=True) for f in _parse_spec(spec)]
    return lambda _org: parsed


def _rels(**targets: str) -> dict[str, Relation]:
    out = {}
    for name, target in targets.items():
        fk, _, key = target.partition("@")
        target_obj, _, fk_field = fk.partition(":")
        out[name.lower()] = Relation(name, fk_field or name + "Id", target_obj, key or "Id")
    return out


def _data_rows(name: str) -> Callable[[Org, bool], list[Row]]:
    return lambda org, deleted: [r for r in org.table(name).values() if deleted or not r.get("IsDeleted")]


def _auto_rels(org_fields: list[FieldDef], sobject: str) -> dict[str, Relation]:
    rels: dict[str, Relation] = {}
    for f in org_fields:
        target = _REFS.get(f.name) or ("Account" if (sobject, f.name) == ("Account", "ParentId") else None)
        if f.type == "reference" and target:
            name = "Parent" if f.name == "ParentId" else f.name[:-2]
            rels[name.lower()] = Relation(name, f.name, target)
    return rels


_STD_AUDIT = " " + _AUDIT


def _fields_of(sobject: str) -> Callable[[Org], list[FieldDef]]:
    return lambda org: object_fields(org, sobject)


CATALOG: dict[str, SObjectDef] = {}
for _obj in DATA_OBJECTS:
    CATALOG[_obj] = SObjectDef(
        _obj,
        _fields_of(_obj),
        _data_rows(_obj),
        frozenset({"data", "tooling"}) if _obj == "User" else frozenset({"data"}),
        _auto_rels(_STANDARD_FIELDS[_obj], _obj),
        createable=_obj != "User",
        updateable=_obj != "PermissionSetAssignment",
        deletable=_obj != "User",
    )
CATALOG.update(
    {
        "Profile": SObjectDef(
            "Profile",
            _view("Id Name UserType Description" + _STD_AUDIT),
            lambda org, _d: list(org.static_rows.get("Profile", [])),
            frozenset({"data", "tooling"}),
        ),
        "OpportunityStage": SObjectDef(
            "OpportunityStage",
            _view(
                "Id MasterLabel ApiName IsActive:boolean IsClosed:boolean IsWon:boolean "
                "DefaultProbability:percent ForecastCategory ForecastCategoryName SortOrder:int Description"
                + _STD_AUDIT
            ),
            lambda org, _d: _stage_rows(org),
        ),
        "CaseStatus": SObjectDef(
            "CaseStatus",
            _view("Id MasterLabel ApiName IsClosed:boolean IsDefault:boolean SortOrder:int" + _STD_AUDIT),
            lambda org, _d: _case_status_rows(org),
        ),
        "LeadStatus": SObjectDef(
            "LeadStatus",
            _view("Id MasterLabel ApiName IsConverted:boolean IsDefault:boolean SortOrder:int" + _STD_AUDIT),
            lambda org, _d: _lead_status_rows(org),
        ),
        "PermissionSet": SObjectDef(
            "PermissionSet",
            _view(
                "Id Name Label Description IsOwnedByProfile:boolean IsCustom:boolean Type ProfileId "
                "NamespacePrefix LicenseId HasActivationRequired:boolean PermissionSetGroupId" + _STD_AUDIT
            ),
            lambda org, _d: permission_set_rows(org),
            relations=_rels(Profile="Profile", CreatedBy="User", LastModifiedBy="User"),
            createable=True,
            updateable=True,
            deletable=True,
        ),
        "ObjectPermissions": SObjectDef(
            "ObjectPermissions",
            _view(
                "Id ParentId SobjectType PermissionsCreate:boolean PermissionsRead:boolean "
                "PermissionsEdit:boolean PermissionsDelete:boolean PermissionsViewAllRecords:boolean "
                "PermissionsModifyAllRecords:boolean PermissionsViewAllFields:boolean" + _STD_AUDIT
            ),
            lambda org, _d: _object_permission_rows(org),
            relations=_rels(Parent="PermissionSet:ParentId"),
            createable=True,
            updateable=True,
            deletable=True,
        ),
        "FieldPermissions": SObjectDef(
            "FieldPermissions",
            _view(
                "Id ParentId SobjectType Field PermissionsRead:boolean PermissionsEdit:boolean" + _STD_AUDIT
            ),
            lambda org, _d: _field_permission_rows(org),
            relations=_rels(Parent="PermissionSet:ParentId"),
            createable=True,
            updateable=True,
            deletable=True,
        ),
        "FlowDefinitionView": SObjectDef(
            "FlowDefinitionView",
            _view(
                "Id DurableId ApiName Label Description IsActive:boolean IsOutOfDate:boolean ProcessType "
                "TriggerType RecordTriggerType TriggerObjectOrEventId TriggerObjectOrEventLabel "
                "TriggerOrder:int ActiveVersionId LatestVersionId VersionNumber:int NamespacePrefix "
                "ManageableState InstalledPackageName Builder IsTemplate:boolean LastModifiedDate:datetime "
                "LastModifiedBy"
            ),
            lambda org, _d: _flow_view_rows(org),
            relations=_rels(LastModifiedBy="User"),
        ),
        "RecordType": SObjectDef(
            "RecordType",
            _view(
                "Id Name DeveloperName SobjectType IsActive:boolean Description BusinessProcessId "
                "NamespacePrefix IsPersonType:boolean" + _STD_AUDIT
            ),
            lambda org, _d: _record_type_rows(org),
            frozenset({"data", "tooling"}),
            relations=_rels(BusinessProcess="BusinessProcess"),
        ),
        "BusinessProcess": SObjectDef(
            "BusinessProcess",
            _view("Id Name TableEnumOrId IsActive:boolean Description NamespacePrefix" + _STD_AUDIT),
            lambda org, _d: _business_process_rows(org),
            frozenset({"data", "tooling"}),
        ),
        "EntityDefinition": SObjectDef(
            "EntityDefinition",
            _view(
                "Id DurableId QualifiedApiName DeveloperName Label PluralLabel KeyPrefix "
                "IsCustomizable:boolean NamespacePrefix"
            ),
            lambda org, _d: _entity_rows(org),
            frozenset({"data", "tooling"}),
        ),
        "FlowDefinition": SObjectDef(
            "FlowDefinition",
            _view(
                "Id DeveloperName MasterLabel Description ActiveVersionId LatestVersionId NamespacePrefix "
                "ManageableState" + _STD_AUDIT.replace(" SystemModstamp:datetime~", "")
            ),
            lambda org, _d: _flow_definition_rows(org),
            frozenset({"tooling"}),
            _rels(ActiveVersion="Flow", LatestVersion="Flow", CreatedBy="User", LastModifiedBy="User"),
            updateable=True,
        ),
        "Flow": SObjectDef(
            "Flow",
            _view(
                "Id DefinitionId MasterLabel VersionNumber:int Status ProcessType Description "
                "ApiVersion:double RunInMode" + _STD_AUDIT.replace(" SystemModstamp:datetime~", "")
            ),
            lambda org, _d: _flow_version_rows(org),
            frozenset({"tooling"}),
            _rels(Definition="FlowDefinition", CreatedBy="User", LastModifiedBy="User"),
        ),
        "ValidationRule": SObjectDef(
            "ValidationRule",
            _view(
                "Id ValidationName Active:boolean Description ErrorDisplayField ErrorMessage "
                "EntityDefinitionId NamespacePrefix ManageableState" + _STD_AUDIT
            ),
            lambda org, _d: _validation_rule_rows(org),
            frozenset({"tooling"}),
            _rels(EntityDefinition="EntityDefinition@DurableId", CreatedBy="User", LastModifiedBy="User"),
        ),
    }
)
# Flow interview logs and the session user's permissions (salesforce_interviews).
CATALOG["FlowInterviewLog"] = SObjectDef(
    "FlowInterviewLog", _view(interviews.INTERVIEW_LOG_FIELDS + _STD_AUDIT),
    lambda org, _d: interviews.interview_log_rows(org), relations=_rels(Owner="User:OwnerId"))
CATALOG["UserPermissionAccess"] = SObjectDef(
    "UserPermissionAccess", _view(interviews.USER_PERMISSION_FIELDS),
    lambda org, _d: interviews.user_permission_rows(org))
CATALOG["MetadataComponentDependency"] = SObjectDef(
    "MetadataComponentDependency",
    _view(
        "Id MetadataComponentId MetadataComponentName MetadataComponentNamespace MetadataComponentType "
        "RefMetadataComponentId RefMetadataComponentName RefMetadataComponentNamespace RefMetadataComponentType"
    ),
    lambda org, _d: dependency_rows(org),
    frozenset({"tooling"}),
)
# PermissionSetAssignment: Assignee / PermissionSet relations named after their id fields.
CATALOG["PermissionSetAssignment"].relations.update(_rels(Assignee="User", PermissionSet="PermissionSet"))
CATALOG["User"].relations.update(_rels(Profile="Profile"))


def lookup(name: str, api: str) -> SObjectDef | None:
    lower = name.lower()
    found = next((d for n, d in CATALOG.items() if n.lower() == lower), None)
    return found if found is not None and api in found.apis else None


class OrgSource:
    """The SOQL engine's view of the org for one API ("data" or "tooling")."""

    def __init__(self, org: Org, api: str) -> None:
        self.org, self.api = org, api

    def schema(self, sobject: str) -> SObjectSchema | None:
        d = lookup(sobject, self.api)
        if d is None:
            return None
        data = self.api == "data" and d.name in CUSTOMIZABLE
        shown = visible_fields(self.org, d.name) if data else d.fields(self.org)
        fields = {f.name.lower(): f.name for f in shown}
        rels = dict(d.relations)
        if d.name in CUSTOMIZABLE:
            rels.update(_custom_relations(self.org, d.name))
        types = {f.name: f.type for f in shown}
        return SObjectSchema(d.name, fields, rels, types, frozenset(f.name for f in shown if f.long))

    def rows(self, sobject: str, include_deleted: bool) -> list[Row]:
        d = lookup(sobject, self.api)
        return d.rows(self.org, include_deleted) if d else []


def _custom_relations(org: Org, sobject: str) -> dict[str, Relation]:
    rels = {}
    for f in object_fields(org, sobject):
        comp = org.get("CustomField", f"{sobject}.{f.name}") if f.custom else None
        if comp and comp.get("referenceTo"):
            name = f.name[:-3] + "__r"
            rels[name.lower()] = Relation(name, f.name, comp["referenceTo"])
    return rels


# ---------------------------------------------------------------------------------------------
# Picklists
# ---------------------------------------------------------------------------------------------


def picklist_values(org: Org, sobject: str, field_name: str) -> list[dict[str, Any]] | None:
    """The value list of a picklist (standard value set, custom valueSet or global value set)."""
    std = VALUE_SETS.get((sobject, field_name))
    if std:
        return list((org.get("StandardValueSet", std) or {}).get("standardValue", []))
    comp = org.get("CustomField", f"{sobject}.{field_name}")
    if not comp or comp.get("type") not in ("Picklist", "MultiselectPicklist"):
        return None
    vs = comp.get("valueSet") or {}
    if vs.get("valueSetName"):
        return list((org.get("GlobalValueSet", vs["valueSetName"]) or {}).get("customValue", []))
    return list((vs.get("valueSetDefinition") or {}).get("value", []))
