"""Per-type behaviour of the metadata the emulator supports.

Each `Kind` says how a component is named, validated, stored and deleted, with Salesforce's rules
where a configuration tool meets them: standard value sets cannot be created or deleted and an
update deactivates omitted values; a picklist value still used by records cannot be dropped from
a custom field or global value set; business processes must name active stages; workflow rules
(retired) accept only a change of `active`; permission sets are replaced whole, as a deploy does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote, unquote

from tests.emulators import salesforce_permissions_custom as custom_permissions
from tests.emulators import salesforce_rules as rules
from tests.emulators.salesforce_formula import FormulaError, compile_formula
from tests.emulators.salesforce_org import MdInfo, Org, canonical, soap_datetime
from tests.emulators.salesforce_sobjects import CUSTOMIZABLE, field_def
from tests.emulators.salesforce_xsd import schema

Err = tuple[str, str, list[str]]  # statusCode, message, fields
_API_NAME = re.compile(r"^[A-Za-z](?:[A-Za-z0-9]|_(?!_))*$")
_BP_SETS = {"Opportunity": "OpportunityStage", "Case": "CaseStatus", "Lead": "LeadStatus"}


@dataclass
class WriteResult:
    full_name: str
    success: bool
    created: bool = False
    errors: list[Err] = field(default_factory=list)

    @classmethod
    def failed(cls, name: str, code: str, message: str, fields: list[str] | None = None) -> WriteResult:
        return cls(name, False, False, [(code, message, fields or [])])

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "fullName": self.full_name,
            "success": self.success,
            "errors": [{"fields": f, "message": m, "statusCode": c} for c, m, f in self.errors],
        }


def _err(code: str, message: str, *fields: str) -> Err:
    return (code, message, list(fields))


def _records_using(org: Org, sobject: str, field_name: str, value: str) -> int:
    """Live records whose (multi-)picklist field holds value."""
    n = 0
    for rec in org.table(sobject).values():
        held = rec.get(field_name)
        if (
            not rec.get("IsDeleted")
            and isinstance(held, str)
            and value.lower() in (v.lower() for v in held.split(";"))
        ):
            n += 1
    return n


class Kind:
    type_name = ""
    directory = ""
    suffix = ""
    creatable = True
    deletable = True
    parents: tuple[str, ...] = ()  # objects that may prefix the fullName ("Opportunity.X"); () for top-level
    free_name = False  # BusinessProcess names are labels ("Opportunity.New Business" is legal)

    # -- naming --------------------------------------------------------------------------------
    def file_name(self, full_name: str) -> str:
        base = full_name.split(".")[0] if self.parents else full_name
        return f"{self.directory}/{base}.{self.suffix}"

    def name_errors(self, full_name: str) -> list[Err]:
        obj, dot, name = full_name.partition(".") if self.parents else ("", "", full_name)
        if self.parents and (not dot or not name):
            return [
                _err(
                    "FIELD_INTEGRITY_EXCEPTION", f"{self.type_name} fullName must be Object.Name", "fullName"
                )
            ]
        if self.parents and obj not in self.parents:
            message = f"In field: fullName - no CustomObject named {obj} found"
            return [_err("INVALID_CROSS_REFERENCE_KEY", message, "fullName")]
        if self.free_name or (_API_NAME.match(name) and not name.endswith("_")):
            return []
        message = (
            f"The name '{name}' can only contain underscores and alphanumeric characters, must begin with a "
            "letter, not end with an underscore, and not contain two consecutive underscores."
        )
        return [_err("FIELD_INTEGRITY_EXCEPTION", message, "fullName")]

    # -- reads ---------------------------------------------------------------------------------
    def names(self, org: Org) -> list[str]:
        return list(org.components(self.type_name))

    def info(self, org: Org, full_name: str) -> MdInfo:
        """Id and audit stamps for listMetadata."""
        return org.info(self.type_name, full_name)

    def read(self, org: Org, full_name: str) -> dict[str, Any] | None:
        return org.get(self.type_name, full_name)

    # -- writes --------------------------------------------------------------------------------
    def write(self, org: Org, comp: dict[str, Any], operation: str) -> WriteResult:
        name = str(comp.get("fullName") or "")
        if not name:
            return WriteResult.failed(
                name, "REQUIRED_FIELD_MISSING", "Required field is missing: fullName", ["fullName"]
            )
        existing = self.read(org, name)
        if operation == "createMetadata" and existing is not None:
            return WriteResult.failed(
                name,
                "DUPLICATE_DEVELOPER_NAME",
                f"There is already a {self.type_name} named {name}.",
                ["fullName"],
            )
        if operation == "updateMetadata" and existing is None:
            return WriteResult.failed(
                name,
                "INVALID_CROSS_REFERENCE_KEY",
                f"In field: fullName - no {self.type_name} named {name} found",
                ["fullName"],
            )
        if existing is None and not self.creatable:
            return WriteResult.failed(name, "INVALID_OPERATION", self.create_refusal(name))
        managed = rules.managed_refusal(org, self.type_name, name)
        if managed is not None:
            return WriteResult(name, False, False, [managed])
        errors = (self.name_errors(name) or self.required_errors(comp)) or self.validate(org, comp, existing)
        if errors:
            return WriteResult(name, False, False, errors)
        created = self.store(org, comp, existing)
        return WriteResult(str(comp["fullName"]), True, created)

    def create_refusal(self, name: str) -> str:
        return f"Cannot create a new {self.type_name}: {name}"

    def required_errors(self, comp: dict[str, Any]) -> list[Err]:
        return [
            _err("REQUIRED_FIELD_MISSING", f"Required field is missing: {f.name}", f.name)
            for f in schema().fields(self.type_name)
            if f.required and comp.get(f.name) in (None, [])
        ]

    def validate(self, org: Org, comp: dict[str, Any], existing: dict[str, Any] | None) -> list[Err]:
        return []

    def store(self, org: Org, comp: dict[str, Any], existing: dict[str, Any] | None) -> bool:
        return org.put(self.type_name, comp)

    # -- deletes -------------------------------------------------------------------------------
    def delete(self, org: Org, full_name: str) -> WriteResult:
        existing = self.read(org, full_name)
        if existing is None:
            return WriteResult.failed(
                full_name,
                "INVALID_CROSS_REFERENCE_KEY",
                f"In field: fullName - no {self.type_name} named {full_name} found",
            )
        if not self.deletable:
            return WriteResult.failed(
                full_name, "INVALID_OPERATION", f"Cannot delete {self.type_name} {full_name}"
            )
        managed = rules.managed_refusal(org, self.type_name, existing["fullName"], delete=True)
        errors = [managed] if managed else self.delete_errors(org, existing)
        if errors:
            return WriteResult(full_name, False, False, errors)
        self.remove(org, existing)
        return WriteResult(existing["fullName"], True)

    def delete_errors(self, org: Org, comp: dict[str, Any]) -> list[Err]:
        return []

    def remove(self, org: Org, comp: dict[str, Any]) -> None:
        org.remove(self.type_name, comp["fullName"])


# ---------------------------------------------------------------------------------------------
# Picklists
# ---------------------------------------------------------------------------------------------


class StandardValueSetKind(Kind):
    type_name, directory, suffix = "StandardValueSet", "standardValueSets", "standardValueSet"
    creatable = deletable = False

    def info(self, org: Org, full_name: str) -> MdInfo:
        return replace(org.info(self.type_name, full_name), id="")  # standard sets have no record id

    def create_refusal(self, name: str) -> str:
        return f"StandardValueSet {name} doesn't exist; standard value sets can't be created"

    def validate(self, org: Org, comp: dict[str, Any], existing: dict[str, Any] | None) -> list[Err]:
        values = comp.get("standardValue") or []
        if not values:
            return [
                _err(
                    "FIELD_INTEGRITY_EXCEPTION",
                    "A standard value set must contain at least one value",
                    "standardValue",
                )
            ]
        errors, seen = [], set()
        categories = schema().enum("ForecastCategories")
        for v in values:
            key = str(v.get("fullName", "")).lower()
            if not key:
                errors.append(
                    _err("REQUIRED_FIELD_MISSING", "Required field is missing: fullName", "standardValue")
                )
            elif key in seen:
                errors.append(_err("DUPLICATE_VALUE", f"Duplicate value: {v['fullName']}", "standardValue"))
            seen.add(key)
            if v.get("won") and not v.get("closed"):
                errors.append(
                    _err(
                        "FIELD_INTEGRITY_EXCEPTION",
                        f"Stage {v.get('fullName')}: a won stage must be closed",
                        "standardValue",
                    )
                )
            prob = v.get("probability")
            if prob is not None and not 0 <= prob <= 100:
                errors.append(
                    _err(
                        "FIELD_INTEGRITY_EXCEPTION",
                        f"Stage {v.get('fullName')}: probability must be between 0 and 100",
                        "standardValue",
                    )
                )
            if v.get("forecastCategory") is not None and v["forecastCategory"] not in categories:
                errors.append(
                    _err(
                        "FIELD_INTEGRITY_EXCEPTION",
                        f"bad value for forecastCategory: {v['forecastCategory']}",
                        "standardValue",
                    )
                )
        return errors

    def store(self, org: Org, comp: dict[str, Any], existing: dict[str, Any] | None) -> bool:
        assert existing is not None
        given = [self._normalize(comp["fullName"], v) for v in comp["standardValue"]]
        names = {v["fullName"].lower() for v in given}
        # Salesforce never drops a standard value: values left out of an update become inactive.
        kept = [
            dict(v, isActive=False, default=False)
            for v in existing.get("standardValue", [])
            if v["fullName"].lower() not in names
        ]
        comp["standardValue"] = given + kept
        comp.setdefault("sorted", False)
        return org.put(self.type_name, comp)

    @staticmethod
    def _normalize(set_name: str, v: dict[str, Any]) -> dict[str, Any]:
        out = dict(v)
        out.setdefault("label", out["fullName"])
        out.setdefault("default", False)
        out.setdefault("isActive", True)
        if set_name == "OpportunityStage":
            out.setdefault("closed", False)
            out.setdefault("won", False)
            out.setdefault("probability", 100 if out["won"] else 0 if out["closed"] else 10)
            out.setdefault(
                "forecastCategory", "Closed" if out["won"] else "Omitted" if out["closed"] else "Pipeline"
            )
        if set_name == "CaseStatus":
            out.setdefault("closed", False)
        return out


def _value_removal_errors(org: Org, removed: list[str], users: list[tuple[str, str]], what: str) -> list[Err]:
    """Refuse to drop picklist values that records still hold (they must be replaced first)."""
    errors = []
    for value in removed:
        count = sum(_records_using(org, obj, fld, value) for obj, fld in users)
        if count:
            errors.append(
                _err(
                    "FIELD_INTEGRITY_EXCEPTION",
                    f"Picklist value '{value}' of {what} is in use by "
                    f"{count} record(s); replace it on those records or mark it inactive "
                    "(isActive=false) instead of removing it",
                    "valueSet",
                )
            )
    return errors


def _removed(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[str]:
    keep = {str(v.get("fullName", "")).lower() for v in new}
    return [v["fullName"] for v in old if v["fullName"].lower() not in keep]


class GlobalValueSetKind(Kind):
    type_name, directory, suffix = "GlobalValueSet", "globalValueSets", "globalValueSet"

    def _users(self, org: Org, name: str) -> list[tuple[str, str]]:
        return [
            (fn.partition(".")[0], fn.partition(".")[2])
            for fn, c in org.components("CustomField").items()
            if ((c.get("valueSet") or {}).get("valueSetName") or "").lower() == name.lower()
        ]

    def validate(self, org: Org, comp: dict[str, Any], existing: dict[str, Any] | None) -> list[Err]:
        if not comp.get("customValue"):
            return [
                _err(
                    "FIELD_INTEGRITY_EXCEPTION",
                    "A global value set must have at least one value",
                    "customValue",
                )
            ]
        if existing is None:
            return []
        removed = _removed(existing.get("customValue", []), comp["customValue"])
        return _value_removal_errors(
            org, removed, self._users(org, comp["fullName"]), f"global value set {comp['fullName']}"
        )

    def store(self, org: Org, comp: dict[str, Any], existing: dict[str, Any] | None) -> bool:
        for v in comp["customValue"]:
            v.setdefault("default", False)
            v.setdefault("label", v["fullName"])
            v.setdefault("isActive", True)
        return org.put(self.type_name, comp)

    def delete_errors(self, org: Org, comp: dict[str, Any]) -> list[Err]:
        users = [".".join(u) for u in self._users(org, comp["fullName"])]
        return (
            [
                _err(
                    "DELETE_FAILED",
                    f"Cannot delete global value set {comp['fullName']}: it is used by {', '.join(users)}",
                )
            ]
            if users
            else []
        )


# ---------------------------------------------------------------------------------------------
# Object children: fields, business processes, record types, validation rules
# ---------------------------------------------------------------------------------------------


_NUMERIC = ("Number", "Currency", "Percent")


def _encode_value(value: str) -> str:
    """A picklist value as Salesforce writes it inside a BusinessProcess (percent-encoded, '.' too)."""
    return quote(value, safe=" -_&'()+,").replace(".", "%2E")


class CustomFieldKind(Kind):
    type_name, directory, suffix, parents = "CustomField", "objects", "object", CUSTOMIZABLE
    free_name = True  # checked below: the "__c" suffix is the one double underscore allowed

    def name_errors(self, full_name: str) -> list[Err]:
        errors = super().name_errors(full_name)
        name = full_name.partition(".")[2]
        if not errors and (not name.endswith("__c") or not _API_NAME.match(name[:-3])):
            errors.append(
                _err(
                    "FIELD_INTEGRITY_EXCEPTION",
                    f"Custom field names must end with '__c' and be a valid API name: {name}",
                    "fullName",
                )
            )
        return errors

    def validate(self, org: Org, comp: dict[str, Any], existing: dict[str, Any] | None) -> list[Err]:
        typ = comp.get("type")
        if not comp.get("label"):
            return [_err("REQUIRED_FIELD_MISSING", "Required field is missing: label", "label")]
        if typ not in schema().enum("FieldType"):
            return [_err("FIELD_INTEGRITY_EXCEPTION", f"Must specify a valid field type, got: {typ}", "type")]
        errors = rules.custom_field_length_errors(comp) or self._type_errors(org, comp, typ)
        if not errors and existing is not None and existing.get("type") != typ:
            errors = rules.reference_errors(org, existing["fullName"], retype=True)
        if not errors and existing is not None and typ in ("Picklist", "MultiselectPicklist"):
            old = ((existing.get("valueSet") or {}).get("valueSetDefinition") or {}).get("value", [])
            new = ((comp.get("valueSet") or {}).get("valueSetDefinition") or {}).get("value", [])
            obj, _, name = comp["fullName"].partition(".")
            errors = _value_removal_errors(org, _removed(old, new), [(obj, name)], comp["fullName"])
        return errors

    @staticmethod
    def _type_errors(org: Org, comp: dict[str, Any], typ: str) -> list[Err]:
        if typ == "Checkbox" and comp.get("defaultValue") is None:
            return [
                _err(
                    "FIELD_INTEGRITY_EXCEPTION",
                    "Must specify 'defaultValue' for a CustomField of type Checkbox",
                    "defaultValue",
                )
            ]
        if typ in ("Text", "LongTextArea", "Html") and not 0 < int(comp.get("length") or 0) <= 131072:
            return [
                _err(
                    "FIELD_INTEGRITY_EXCEPTION",
                    f"Length is required for a CustomField of type {typ}",
                    "length",
                )
            ]
        if typ in _NUMERIC:
            precision, scale = comp.get("precision"), comp.get("scale")
            if precision is None or scale is None or not (0 < precision <= 18 and 0 <= scale <= precision):
                return [
                    _err(
                        "FIELD_INTEGRITY_EXCEPTION",
                        f"Precision (1-18) and scale (0-precision) are required "
                        f"for a CustomField of type {typ}",
                        "precision",
                    )
                ]
        if typ in ("Lookup", "MasterDetail") and not (
            comp.get("referenceTo") and comp.get("relationshipName")
        ):
            return [
                _err(
                    "FIELD_INTEGRITY_EXCEPTION",
                    f"referenceTo and relationshipName are required for a CustomField of type {typ}",
                    "referenceTo",
                )
            ]
        if typ in ("Picklist", "MultiselectPicklist"):
            vs = comp.get("valueSet") or {}
            if vs.get("valueSetName"):
                if org.get("GlobalValueSet", vs["valueSetName"]) is None:
                    return [
                        _err(
                            "INVALID_CROSS_REFERENCE_KEY",
                            f"In field: valueSetName - no GlobalValueSet named {vs['valueSetName']} found",
                            "valueSet",
                        )
                    ]
            elif not (vs.get("valueSetDefinition") or {}).get("value"):
                return [
                    _err(
                        "FIELD_INTEGRITY_EXCEPTION",
                        "Picklist fields need a valueSet with at least one value",
                        "valueSet",
                    )
                ]
        return []

    def store(self, org: Org, comp: dict[str, Any], existing: dict[str, Any] | None) -> bool:
        definition = (comp.get("valueSet") or {}).get("valueSetDefinition")
        if definition is not None:
            definition.setdefault("sorted", False)
            for v in definition.get("value", []):
                v.setdefault("default", False)
                v.setdefault("label", v["fullName"])
                v.setdefault("isActive", True)
        return org.put(self.type_name, comp)

    def delete_errors(self, org: Org, comp: dict[str, Any]) -> list[Err]:
        return rules.reference_errors(org, comp["fullName"], retype=False)

    def remove(self, org: Org, comp: dict[str, Any]) -> None:
        # Deleting a field takes its data and its field-level security with it.
        obj, _, name = comp["fullName"].partition(".")
        for rec in org.table(obj).values():
            rec.pop(name, None)
        for ps in org.components("PermissionSet").values():
            ps["fieldPermissions"] = [
                fp for fp in ps.get("fieldPermissions", []) if fp["field"].lower() != comp["fullName"].lower()
            ]
        super().remove(org, comp)


class BusinessProcessKind(Kind):
    """Values read back URL-encoded (`Negotiation%2FReview`, `Id%2E Decision Makers`) and not in the
    order written (here: alphabetical); written values may be plain or encoded."""

    type_name, directory, suffix, parents = "BusinessProcess", "objects", "object", tuple(_BP_SETS)
    free_name = True

    def read(self, org: Org, full_name: str) -> dict[str, Any] | None:
        comp = super().read(org, full_name)
        if comp is None:
            return None
        values = sorted(comp.get("values") or [], key=lambda v: str(v["fullName"]).lower())
        return dict(comp, values=[dict(v, fullName=_encode_value(str(v["fullName"]))) for v in values])

    def write(self, org: Org, comp: dict[str, Any], operation: str) -> WriteResult:
        for v in comp.get("values") or []:
            if isinstance(v.get("fullName"), str):
                v["fullName"] = unquote(v["fullName"])
        return super().write(org, comp, operation)

    def validate(self, org: Org, comp: dict[str, Any], existing: dict[str, Any] | None) -> list[Err]:
        obj = comp["fullName"].partition(".")[0]
        values = comp.get("values") or []
        if not values:
            return [
                _err(
                    "FIELD_INTEGRITY_EXCEPTION",
                    "A business process must include at least one value",
                    "values",
                )
            ]
        active = {
            v["fullName"].lower()
            for v in (org.get("StandardValueSet", _BP_SETS[obj]) or {}).get("standardValue", [])
            if v.get("isActive") is not False
        }
        return [
            _err(
                "FIELD_INTEGRITY_EXCEPTION",
                f"Picklist value: {v.get('fullName')} in business process: "
                f"{comp['fullName']} not found or inactive in {_BP_SETS[obj]}",
                "values",
            )
            for v in values
            if str(v.get("fullName", "")).lower() not in active
        ]

    def store(self, org: Org, comp: dict[str, Any], existing: dict[str, Any] | None) -> bool:
        comp.setdefault("isActive", True)
        for v in comp["values"]:
            v.setdefault("default", False)
        return org.put(self.type_name, comp)

    def delete_errors(self, org: Org, comp: dict[str, Any]) -> list[Err]:
        obj, _, name = comp["fullName"].partition(".")
        users = [
            fn
            for fn, rt in org.components("RecordType").items()
            if fn.startswith(obj + ".") and (rt.get("businessProcess") or "").lower() == name.lower()
        ]
        return (
            [_err("DELETE_FAILED", f"This business process is used by record type(s): {', '.join(users)}")]
            if users
            else []
        )


class RecordTypeKind(Kind):
    type_name, directory, suffix, parents = "RecordType", "objects", "object", CUSTOMIZABLE

    def validate(self, org: Org, comp: dict[str, Any], existing: dict[str, Any] | None) -> list[Err]:
        obj = comp["fullName"].partition(".")[0]
        bp = comp.get("businessProcess")
        if obj in _BP_SETS and not bp:
            return [
                _err(
                    "FIELD_INTEGRITY_EXCEPTION",
                    f"{obj} record types require a businessProcess",
                    "businessProcess",
                )
            ]
        if bp and org.get("BusinessProcess", f"{obj}.{bp}") is None:
            return [
                _err(
                    "INVALID_CROSS_REFERENCE_KEY",
                    f"In field: businessProcess - no BusinessProcess named {obj}.{bp} found",
                    "businessProcess",
                )
            ]
        from tests.emulators.salesforce_sobjects import picklist_values

        errors = []
        for pv in comp.get("picklistValues") or []:
            allowed = picklist_values(org, obj, pv.get("picklist", ""))
            if allowed is None:
                errors.append(
                    _err(
                        "INVALID_CROSS_REFERENCE_KEY",
                        f"In field: picklist - no picklist field named {obj}.{pv.get('picklist')} found",
                        "picklistValues",
                    )
                )
                continue
            names = {v["fullName"].lower() for v in allowed}
            errors += [
                _err(
                    "FIELD_INTEGRITY_EXCEPTION",
                    f"Picklist value {v.get('fullName')} not found in {obj}.{pv['picklist']}",
                    "picklistValues",
                )
                for v in pv.get("values") or []
                if str(v.get("fullName", "")).lower() not in names
            ]
        return errors

    def delete_errors(self, org: Org, comp: dict[str, Any]) -> list[Err]:
        obj = comp["fullName"].partition(".")[0]
        if comp.get("active"):
            return [
                _err(
                    "DELETE_FAILED",
                    f"Cannot delete active record type {comp['fullName']}; deactivate it first",
                )
            ]
        rt_id = org.info("RecordType", comp["fullName"]).id
        used = sum(
            1 for r in org.table(obj).values() if r.get("RecordTypeId") == rt_id and not r.get("IsDeleted")
        )
        return (
            [_err("DELETE_FAILED", f"Record type {comp['fullName']} is in use by {used} record(s)")]
            if used
            else []
        )


class ValidationRuleKind(Kind):
    type_name, directory, suffix, parents = "ValidationRule", "objects", "object", CUSTOMIZABLE

    def validate(self, org: Org, comp: dict[str, Any], existing: dict[str, Any] | None) -> list[Err]:
        obj = comp["fullName"].partition(".")[0]
        lengths = rules.validation_rule_length_errors(comp)
        if lengths:
            return lengths

        def field_type(name: str) -> str | None:
            found = field_def(org, obj, name)
            return found.type if found else None

        try:
            compile_formula(comp.get("errorConditionFormula", ""), lambda n: field_type(n) is not None, field_type)
        except FormulaError as exc:
            return [_err("FIELD_INTEGRITY_EXCEPTION", f"Error: {exc}", "errorConditionFormula")]
        shown = comp.get("errorDisplayField")
        if shown and field_def(org, obj, shown) is None:
            return [
                _err(
                    "FIELD_INTEGRITY_EXCEPTION",
                    f"Error display field {shown} doesn't exist on {obj}",
                    "errorDisplayField",
                )
            ]
        return []


# ---------------------------------------------------------------------------------------------
# Automation
# ---------------------------------------------------------------------------------------------

_RECORD_TRIGGERS = ("RecordBeforeSave", "RecordAfterSave", "RecordBeforeDelete")


class FlowKind(Kind):
    type_name, directory, suffix = "Flow", "flows", "flow"

    def read(self, org: Org, full_name: str) -> dict[str, Any] | None:
        """ "Name" reads the latest version; legacy "Name-3" (pre-API 44.0 names) reads version 3."""
        base, dash, number = full_name.rpartition("-")
        flow = org.flows.get(base) if dash and number.isdigit() else None
        version = flow.version(int(number)) if flow else None
        if version is not None:
            return dict(version.metadata, fullName=full_name)
        return super().read(org, full_name)

    def validate(self, org: Org, comp: dict[str, Any], existing: dict[str, Any] | None) -> list[Err]:
        errors = [
            _err("FIELD_INTEGRITY_EXCEPTION", f"bad value for {key}: {comp[key]}", key)
            for key, enum in (("status", "FlowVersionStatus"), ("processType", "FlowProcessType"))
            if comp.get(key) is not None and comp[key] not in schema().enum(enum)
        ]
        return (errors + self._start_errors(comp.get("start") or {}) + self._connector_errors(comp)
                + custom_permissions.flow_errors(org, comp))

    @staticmethod
    def _start_errors(start: dict[str, Any]) -> list[Err]:
        if start.get("triggerType") not in _RECORD_TRIGGERS:
            return []
        errors = []
        if start.get("object") not in CUSTOMIZABLE:
            message = f"A record-triggered flow needs a valid start object, got: {start.get('object')}"
            errors.append(_err("FIELD_INTEGRITY_EXCEPTION", message, "start"))
        if not start.get("recordTriggerType") and start.get("triggerType") != "RecordBeforeDelete":
            errors.append(
                _err(
                    "FIELD_INTEGRITY_EXCEPTION", "A record-triggered flow needs a recordTriggerType", "start"
                )
            )
        return errors + rules.scheduled_path_errors(start)

    @staticmethod
    def _connector_errors(comp: dict[str, Any]) -> list[Err]:
        """Every connector must target an element of the flow (elements are the named list entries)."""
        elements = [
            e for items in comp.values() if isinstance(items, list) for e in items if isinstance(e, dict)
        ]
        names = {e["name"] for e in elements if e.get("name")}
        errors = []
        for owner, node in [("start", comp.get("start") or {}), *((e.get("name", "?"), e) for e in elements)]:
            for conn in ("connector", "faultConnector"):
                target = (node.get(conn) or {}).get("targetReference")
                if target and target not in names:
                    message = f'The element "{owner}" references "{target}", which doesn\'t exist.'
                    errors.append(_err("FIELD_INTEGRITY_EXCEPTION", message, conn))
        return errors

    def store(self, org: Org, comp: dict[str, Any], existing: dict[str, Any] | None) -> bool:
        comp.setdefault("processType", "AutoLaunchedFlow")
        return org.save_flow_version(comp)

    def delete_errors(self, org: Org, comp: dict[str, Any]) -> list[Err]:
        flow = org.flows.get(comp["fullName"])
        if flow is not None and flow.active is not None:
            return [
                _err(
                    "DELETE_FAILED",
                    f"Cannot delete flow {comp['fullName']}: it has an active version. Deactivate it first.",
                )
            ]
        return []

    def remove(self, org: Org, comp: dict[str, Any]) -> None:
        org.delete_flow(comp["fullName"])


class FlowDefinitionKind(Kind):
    """Pre-API 44.0 activation: activeVersionNumber N activates version N, 0 (or none) deactivates."""

    type_name, directory, suffix = "FlowDefinition", "flowDefinitions", "flowDefinition"
    creatable = deletable = False  # created with their flow, deleted with it

    def names(self, org: Org) -> list[str]:
        return list(org.flows)

    def read(self, org: Org, full_name: str) -> dict[str, Any] | None:
        flow = next((f for n, f in org.flows.items() if n.lower() == full_name.lower()), None)
        if flow is None:
            return None
        latest = flow.latest.metadata
        return {
            "fullName": flow.name,
            "activeVersionNumber": flow.active_number or None,
            "description": latest.get("description"),
            "masterLabel": latest.get("label"),
        }

    def create_refusal(self, name: str) -> str:
        return f"FlowDefinition {name} doesn't exist: deploy the Flow first"

    def info(self, org: Org, full_name: str) -> MdInfo:
        flow = org.flows[full_name]
        return replace(org.info("Flow", flow.name), id=flow.id)

    def validate(self, org: Org, comp: dict[str, Any], existing: dict[str, Any] | None) -> list[Err]:
        number = comp.get("activeVersionNumber") or 0
        flow = org.flows[str((existing or {}).get("fullName"))]
        if number and flow.version(number) is None:
            message = f"The flow version you specified ({number}) doesn't exist for flow {flow.name}"
            return [_err("FIELD_INTEGRITY_EXCEPTION", message, "activeVersionNumber")]
        return []

    def store(self, org: Org, comp: dict[str, Any], existing: dict[str, Any] | None) -> bool:
        assert existing is not None
        org.activate_flow(existing["fullName"], comp.get("activeVersionNumber") or 0)
        return False


class WorkflowRuleKind(Kind):
    """Workflow rules are retired: they can be read and switched off (or on), nothing else."""

    type_name, directory, suffix, parents = "WorkflowRule", "workflows", "workflow", CUSTOMIZABLE
    creatable = deletable = False

    def create_refusal(self, name: str) -> str:
        return f"Workflow rules are retired: {name} can't be created. Build a record-triggered flow instead."

    def validate(self, org: Org, comp: dict[str, Any], existing: dict[str, Any] | None) -> list[Err]:
        assert existing is not None
        before = {k: v for k, v in existing.items() if k != "active"}
        after = {k: v for k, v in comp.items() if k != "active"}
        if canonical(before) != canonical(after):
            return [
                _err(
                    "INVALID_OPERATION", "Workflow rules are retired: only 'active' can be changed", "active"
                )
            ]
        return []

    def store(self, org: Org, comp: dict[str, Any], existing: dict[str, Any] | None) -> bool:
        assert existing is not None
        existing["active"] = bool(comp["active"])
        return org.put(self.type_name, existing)


# ---------------------------------------------------------------------------------------------
# Permissions
# ---------------------------------------------------------------------------------------------

_OBJECT_DEPENDENCIES = (
    ("allowCreate", "allowRead", "Create", "Read"),
    ("allowEdit", "allowRead", "Edit", "Read"),
    ("allowDelete", "allowEdit", "Delete", "Edit"),
    ("viewAllRecords", "allowRead", "View All", "Read"),
    ("modifyAllRecords", "allowDelete", "Modify All", "Delete"),
    ("modifyAllRecords", "viewAllRecords", "Modify All", "View All"),
)


def permission_set_errors(org: Org, comp: dict[str, Any]) -> list[Err]:
    """Object and field permission rules (shared with REST writes to ObjectPermissions/FieldPermissions)."""
    errors: list[Err] = rules.cross_object_errors(comp.get("objectPermissions") or [])
    errors += custom_permissions.permission_set_errors(org, comp)
    seen: set[str] = set()
    for op in comp.get("objectPermissions") or []:
        obj = op.get("object", "")
        if obj not in CUSTOMIZABLE:
            errors.append(
                _err(
                    "INVALID_CROSS_REFERENCE_KEY",
                    f"In field: object - no CustomObject named {obj} found",
                    "objectPermissions",
                )
            )
            continue
        for perm, needs, perm_label, needs_label in _OBJECT_DEPENDENCIES:
            if op.get(perm) and not op.get(needs):
                errors.append(
                    _err(
                        "FIELD_INTEGRITY_EXCEPTION",
                        f"Permission {perm_label} {obj} depends on permission(s): {needs_label} {obj}",
                        "objectPermissions",
                    )
                )
        seen.add("o:" + obj.lower())
    for fp in comp.get("fieldPermissions") or []:
        name = fp.get("field", "")
        obj, _, fld = name.partition(".")
        fdef = field_def(org, obj, fld) if obj in CUSTOMIZABLE else None
        if fdef is None:
            errors.append(
                _err(
                    "INVALID_CROSS_REFERENCE_KEY",
                    f"In field: field - no CustomField named {name} found",
                    "fieldPermissions",
                )
            )
        elif not fdef.permissionable:
            errors.append(
                _err(
                    "FIELD_INTEGRITY_EXCEPTION",
                    f"You cannot deploy to a required field: {name}",
                    "fieldPermissions",
                )
            )
        elif fp.get("editable") and fp.get("readable") is False:
            errors.append(
                _err(
                    "FIELD_INTEGRITY_EXCEPTION",
                    f"Permission Edit on {name} depends on permission Read",
                    "fieldPermissions",
                )
            )
        if "f:" + name.lower() in seen:
            errors.append(_err("DUPLICATE_VALUE", f"Duplicate field permission: {name}", "fieldPermissions"))
        seen.add("f:" + name.lower())
    return errors


class PermissionSetKind(Kind):
    type_name, directory, suffix = "PermissionSet", "permissionsets", "permissionset"

    def validate(self, org: Org, comp: dict[str, Any], existing: dict[str, Any] | None) -> list[Err]:
        return permission_set_errors(org, comp)

    def store(self, org: Org, comp: dict[str, Any], existing: dict[str, Any] | None) -> bool:
        # A deploy replaces the permission set whole (API 40.0+): whatever is left out is revoked.
        for fp in comp.get("fieldPermissions", []):
            fp["readable"] = bool(fp.get("readable") or fp.get("editable"))
        return org.put(self.type_name, comp)

    def delete_errors(self, org: Org, comp: dict[str, Any]) -> list[Err]:
        ps_id = org.info("PermissionSet", comp["fullName"]).id
        n = sum(1 for a in org.table("PermissionSetAssignment").values() if a["PermissionSetId"] == ps_id)
        return (
            [
                _err(
                    "DELETE_FAILED",
                    f"Permission set {comp['fullName']} is assigned to {n} user(s) and can't be "
                    "deleted. Remove the assignments first.",
                )
            ]
            if n
            else []
        )


class CustomPermissionKind(Kind):
    """A custom permission: a name a permission set grants and a flow reads (salesforce_permissions_custom)."""

    type_name, directory, suffix = "CustomPermission", "customPermissions", "customPermission"


KINDS: dict[str, Kind] = {
    k.type_name: k
    for k in (
        StandardValueSetKind(),
        GlobalValueSetKind(),
        CustomFieldKind(),
        BusinessProcessKind(),
        RecordTypeKind(),
        ValidationRuleKind(),
        FlowKind(),
        FlowDefinitionKind(),
        WorkflowRuleKind(),
        PermissionSetKind(),
        CustomPermissionKind(),
    )
}


def file_properties(org: Org, kind: Kind) -> list[dict[str, Any]]:
    """listMetadata FileProperties for every component of one kind."""
    out = []
    for name in kind.names(org):
        info = kind.info(org, name)
        namespace = rules.namespace_of(org, name)
        out.append(
            {
                "createdById": info.created_by,
                "createdByName": _user_name(org, info.created_by),
                "createdDate": soap_datetime(info.created),
                "fileName": kind.file_name(name),
                "fullName": name,
                "id": info.id,
                "lastModifiedById": info.modified_by,
                "lastModifiedByName": _user_name(org, info.modified_by),
                "lastModifiedDate": soap_datetime(info.modified),
                "manageableState": "installed" if namespace else "unmanaged",
                "namespacePrefix": namespace,
                "type": kind.type_name,
            }
        )
    return out


def _user_name(org: Org, user_id: str) -> str:
    user = org.table("User").get(user_id)
    return str(user.get("Name")) if user else ""


def describe_objects() -> list[dict[str, Any]]:
    children = [
        "CustomField",
        "BusinessProcess",
        "RecordType",
        "ValidationRule",
        "ListView",
        "CompactLayout",
        "WebLink",
        "FieldSet",
        "SharingReason",
        "Index",
    ]
    return [
        {
            "childXmlNames": children,
            "directoryName": "objects",
            "inFolder": False,
            "metaFile": False,
            "suffix": "object",
            "xmlName": "CustomObject",
        },
        {
            "directoryName": "standardValueSets",
            "inFolder": False,
            "metaFile": False,
            "suffix": "standardValueSet",
            "xmlName": "StandardValueSet",
        },
        {
            "directoryName": "globalValueSets",
            "inFolder": False,
            "metaFile": False,
            "suffix": "globalValueSet",
            "xmlName": "GlobalValueSet",
        },
        {"directoryName": "flows", "inFolder": False, "metaFile": False, "suffix": "flow", "xmlName": "Flow"},
        {
            "directoryName": "flowDefinitions",
            "inFolder": False,
            "metaFile": False,
            "suffix": "flowDefinition",
            "xmlName": "FlowDefinition",
        },
        {
            "childXmlNames": ["WorkflowFieldUpdate", "WorkflowTask", "WorkflowAlert", "WorkflowRule"],
            "directoryName": "workflows",
            "inFolder": False,
            "metaFile": False,
            "suffix": "workflow",
            "xmlName": "Workflow",
        },
        {
            "directoryName": "permissionsets",
            "inFolder": False,
            "metaFile": False,
            "suffix": "permissionset",
            "xmlName": "PermissionSet",
        },
    ]
