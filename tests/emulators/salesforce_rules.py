"""Rules a real org enforces that a first emulator let through, kept apart from the per-type code.

Each rule is listed in tests/emulators/RULES-salesforce.md with its source and the tests that prove
it: installed (namespaced) components are read-only, field-level security hides fields from the API
user, names and labels have lengths, a field other components use cannot be deleted or retyped,
object permissions depend on other objects, and record-triggered scheduled paths have a shape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tests.emulators.salesforce_org import Org

Err = tuple[str, str, list[str]]  # statusCode, message, fields (as salesforce_mdtypes.Err)

# --- installed packages ---------------------------------------------------------------------------


def namespace_of(org: Org, full_name: str) -> str | None:
    """The installed package's namespace a component belongs to (`acmecpq__Quote_Total__c`), or None.

    The org's own components have no namespace; a prefix counts only when a package installed it.
    """
    local = full_name.rpartition(".")[2]
    prefix, sep, rest = local.partition("__")
    if sep and rest and prefix.lower() in {n.lower() for n in org.namespaces}:
        return next(n for n in org.namespaces if n.lower() == prefix.lower())
    return None


def managed_refusal(org: Org, type_name: str, full_name: str, *, delete: bool = False) -> Err | None:
    """Salesforce refuses to change or delete what a package installed (its owner ships it)."""
    ns = namespace_of(org, full_name)
    if ns is None:
        return None
    if delete:
        return ("CANNOT_DELETE_MANAGED_OBJECT",
                f"Cannot delete managed object: entity={type_name}, component={full_name}, state=installed", [])
    return ("CANNOT_MODIFY_MANAGED_OBJECT",
            f"Cannot modify managed object: entity={type_name}, component={full_name}, state=installed", [])


# --- field-level security -------------------------------------------------------------------------


def readable_fields(org: Org) -> set[str]:
    """`object.field` (lower case) the API user may read: its profile's grants and its permission sets'."""
    user = org.table("User").get(org.api_user_id) or {}
    profile = next((p["Name"] for p in org.static_rows.get("Profile", []) if p["Id"] == user.get("ProfileId")), "")
    out = set(org.profile_fields.get(profile, ()))
    assigned = {a["PermissionSetId"] for a in org.table("PermissionSetAssignment").values()
                if a.get("AssigneeId") == org.api_user_id and not a.get("IsDeleted")}
    for name, comp in org.components("PermissionSet").items():
        if org.info("PermissionSet", name).id in assigned:
            out.update(str(fp["field"]).lower() for fp in comp.get("fieldPermissions") or []
                       if fp.get("readable") or fp.get("editable"))
    return out


# --- names and labels -----------------------------------------------------------------------------

MAX_FIELD_NAME = 40  # characters before __c
MAX_FIELD_LABEL = 40
MAX_RULE_NAME = 40
MAX_RULE_MESSAGE = 255
MAX_FORMULA = 3900


def custom_field_length_errors(comp: dict[str, Any]) -> list[Err]:
    name = str(comp.get("fullName", "")).partition(".")[2].removesuffix("__c")
    local = name.partition("__")[2] if "__" in name else name  # a namespace prefix does not count
    errors: list[Err] = []
    if len(local) > MAX_FIELD_NAME:
        errors.append(("STRING_TOO_LONG", f"Field Name: data value too large: {local} (max length={MAX_FIELD_NAME})",
                       ["fullName"]))
    if len(str(comp.get("label") or "")) > MAX_FIELD_LABEL:
        errors.append(("STRING_TOO_LONG", f"Field Label: data value too large: {comp['label']} "
                       f"(max length={MAX_FIELD_LABEL})", ["label"]))
    return errors


def validation_rule_length_errors(comp: dict[str, Any]) -> list[Err]:
    name = str(comp.get("fullName", "")).partition(".")[2]
    errors: list[Err] = []
    if len(name) > MAX_RULE_NAME:
        errors.append(("STRING_TOO_LONG", f"Rule Name: data value too large: {name} (max length={MAX_RULE_NAME})",
                       ["fullName"]))
    if len(str(comp.get("errorMessage") or "")) > MAX_RULE_MESSAGE:
        errors.append(("STRING_TOO_LONG", f"Error Message: data value too large (max length={MAX_RULE_MESSAGE})",
                       ["errorMessage"]))
    if len(str(comp.get("errorConditionFormula") or "")) > MAX_FORMULA:
        errors.append(("FIELD_INTEGRITY_EXCEPTION", f"Formula: the formula is too long (maximum {MAX_FORMULA} "
                       "characters)", ["errorConditionFormula"]))
    return errors


# --- what uses a field ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """A component that names a custom field."""

    type: str  # ValidationRule, CustomField (a formula), Flow, WorkflowRule
    full_name: str  # Opportunity.Rule, Opportunity.Total__c, Flow_Name, Opportunity.Rule
    id: str
    blocks: bool  # Salesforce refuses to delete or retype the field while this one names it

    @property
    def describe(self) -> str:
        kind = {"ValidationRule": "Validation Rule", "CustomField": "Formula Field",
                "WorkflowRule": "Workflow Rule"}.get(self.type, self.type)
        return f"{kind} {self.full_name}"


_CUSTOM = re.compile(r"(?<![\w.$])([A-Za-z]\w*__c)(?!\w)", re.I)


def _custom_names(text: str) -> set[str]:
    """The custom field API names a formula or a flow body mentions, lower case."""
    return {m.lower() for m in _CUSTOM.findall(text)}


def _flow_objects(flow: dict[str, Any]) -> set[str]:
    out = {str((flow.get("start") or {}).get("object") or "")}
    for items in flow.values():
        for node in items if isinstance(items, list) else ():
            if isinstance(node, dict) and node.get("object"):
                out.add(str(node["object"]))
    return {o for o in out if o}


def _uses(org: Org) -> dict[tuple[str, str], list[Reference]]:
    """(object, field API name), lower case -> the components naming it: one pass over the org."""
    index: dict[tuple[str, str], list[Reference]] = {}

    def add(obj: str, names: set[str], ref: Reference) -> None:
        for name in names:
            index.setdefault((obj.lower(), name), []).append(ref)

    for name, rule in org.components("ValidationRule").items():
        # An inactive rule does not stop a delete (it is left naming a field that is gone).
        ref = Reference("ValidationRule", name, org.info("ValidationRule", name).id, bool(rule.get("active")))
        shown = str(rule.get("errorDisplayField") or "")
        add(name.partition(".")[0], _custom_names(str(rule.get("errorConditionFormula") or "") + " " + shown), ref)
    for name, comp in org.components("CustomField").items():
        if comp.get("formula"):
            own = name.partition(".")[2].lower()
            ref = Reference("CustomField", name, org.info("CustomField", name).id, True)
            add(name.partition(".")[0], _custom_names(str(comp["formula"])) - {own}, ref)
    for flow in org.flows.values():  # every version counts, active or not
        ref = Reference("Flow", flow.name, flow.id, True)
        seen: set[tuple[str, str]] = set()
        for version in flow.versions:
            names = _custom_names(json.dumps(version.metadata))
            for obj in _flow_objects(version.metadata):
                fresh = {n for n in names if (obj.lower(), n) not in seen}
                seen |= {(obj.lower(), n) for n in fresh}
                add(obj, fresh, ref)
    for name, wf in org.components("WorkflowRule").items():
        obj = name.partition(".")[0]
        criteria = " ".join(str(c.get("field") or "").partition(".")[2] for c in wf.get("criteriaItems") or [])
        ref = Reference("WorkflowRule", name, org.info("WorkflowRule", name).id, True)
        add(obj, _custom_names(str(wf.get("formula") or "") + " " + criteria), ref)
    return index


def references(org: Org, field_full_name: str) -> list[Reference]:
    """Every component of the org that names the field (same object; Salesforce's dependency rules)."""
    obj, _, api = field_full_name.partition(".")
    return list(_uses(org).get((obj.lower(), api.lower()), []))


def reference_errors(org: Org, field_full_name: str, *, retype: bool) -> list[Err]:
    blocking = [r.describe for r in references(org, field_full_name) if r.blocks]
    if not blocking:
        return []
    if retype:
        return [("CANNOT_CHANGE_FIELD_TYPE_OF_REFERENCED_FIELD",
                 f"Cannot change the type of field {field_full_name}: it is referenced by {', '.join(blocking)}",
                 ["type"])]
    return [("DELETE_FAILED", "This custom field is referenced elsewhere in salesforce.com. : "
             + ", ".join(blocking), [])]


def dependency_rows(org: Org) -> list[dict[str, Any]]:
    """Tooling MetadataComponentDependency: one row per (component, custom field it uses)."""
    rows = []
    uses = _uses(org)
    for field_name in list(org.components("CustomField")):
        field_id = org.info("CustomField", field_name).id
        field_ns = namespace_of(org, field_name)
        obj, _, api = field_name.partition(".")
        for ref in uses.get((obj.lower(), api.lower()), []):
            local = ref.full_name.rpartition(".")[2]
            rows.append({
                "Id": org.ids.stable("000", ("dependency", ref.id, field_id)),
                "MetadataComponentId": ref.id,
                "MetadataComponentName": local.removesuffix("__c") if ref.type == "CustomField" else local,
                "MetadataComponentNamespace": namespace_of(org, ref.full_name),
                "MetadataComponentType": ref.type,
                "RefMetadataComponentId": field_id,
                "RefMetadataComponentName": field_name.partition(".")[2].removesuffix("__c"),
                "RefMetadataComponentNamespace": field_ns,
                "RefMetadataComponentType": "CustomField",
            })
    return rows


# --- object permissions across objects ------------------------------------------------------------

# Granting any access to the key object needs Read on each listed one (Setup ticks it for you; the
# Metadata API refuses the permission set instead).
CROSS_OBJECT: dict[str, tuple[str, ...]] = {"Opportunity": ("Account",), "Contact": ("Account",)}
_PLURAL = {"Opportunity": "Opportunities", "Account": "Accounts", "Contact": "Contacts"}
_ACCESS = (("allowRead", "Read"), ("allowCreate", "Create"), ("allowEdit", "Edit"), ("allowDelete", "Delete"),
           ("viewAllRecords", "View All"), ("modifyAllRecords", "Modify All"))


def cross_object_errors(object_permissions: Iterable[dict[str, Any]]) -> list[Err]:
    by_object = {str(op.get("object")): op for op in object_permissions}
    errors: list[Err] = []
    for obj, needs in CROSS_OBJECT.items():
        op = by_object.get(obj) or {}
        for flag, label in _ACCESS:
            if not op.get(flag):
                continue
            missing = [n for n in needs if not (by_object.get(n) or {}).get("allowRead")]
            if missing:
                errors.append(("FIELD_INTEGRITY_EXCEPTION", f"Permission {label} {_PLURAL[obj]} depends on "
                               f"permission(s): {', '.join('Read ' + _PLURAL[m] for m in missing)}",
                               ["objectPermissions"]))
    return errors


# --- flows ----------------------------------------------------------------------------------------


def scheduled_path_errors(start: dict[str, Any]) -> list[Err]:
    """A scheduled path runs at an offset from a time source; an asynchronous path has neither. A
    record-triggered flow that runs on update may schedule paths only when it runs once a record is
    updated to meet its conditions (not on every update that keeps meeting them)."""
    errors: list[Err] = []
    paths = start.get("scheduledPaths") or []
    for path in paths:
        name = path.get("name") or path.get("label") or "?"
        timed = [k for k in ("offsetNumber", "offsetUnit", "recordField", "timeSource") if path.get(k) is not None]
        if path.get("pathType") == "AsyncAfterCommit":
            if timed:
                errors.append(("FIELD_INTEGRITY_EXCEPTION", f"The asynchronous path {name} can't have "
                               f"{', '.join(timed)}: it runs as soon as the record is saved", ["scheduledPaths"]))
            continue
        missing = [k for k in ("offsetNumber", "offsetUnit", "timeSource") if path.get(k) is None]
        if path.get("timeSource") == "RecordField" and not path.get("recordField"):
            missing.append("recordField")
        if missing:
            errors.append(("REQUIRED_FIELD_MISSING", f"The scheduled path {name} needs {', '.join(missing)}",
                           ["scheduledPaths"]))
    timed_paths = [p for p in paths if p.get("pathType") != "AsyncAfterCommit"]
    on_update = start.get("recordTriggerType") in ("Update", "CreateAndUpdate")
    if timed_paths and on_update and not start.get("doesRequireRecordChangedToMeetCriteria"):
        errors.append(("FIELD_INTEGRITY_EXCEPTION", "A record-triggered flow that runs when a record is updated "
                       "can have scheduled paths only if it runs when a record is updated to meet the condition "
                       "requirements (doesRequireRecordChangedToMeetCriteria)", ["start"]))
    return errors
