"""Record writes through REST, with the validation Salesforce applies.

Unknown and read-only fields, required fields, restricted picklists, active validation rules
(evaluated by salesforce_formula), derived fields (stage -> probability/forecast category), and
writes to PermissionSet / ObjectPermissions / FieldPermissions, which are folded back into the
PermissionSet metadata component because Salesforce keeps both faces of one object.
"""

from __future__ import annotations

from typing import Any

from tests.emulators.salesforce_formula import FormulaError, compile_formula, evaluate
from tests.emulators.salesforce_mdtypes import permission_set_errors
from tests.emulators.salesforce_org import Org, rest_datetime, to_18
from tests.emulators.salesforce_sobjects import (
    FORECAST_NAMES,
    OBJECT_PERMISSION_COLUMNS,
    field_def,
    lookup,
    object_fields,
    permission_set_rows,
    picklist_values,
    visible_field,
)


class RestError(Exception):
    """A Salesforce REST error: HTTP status, errorCode, message, fields."""

    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or []

    def body(self) -> list[dict[str, Any]]:
        out: dict[str, Any] = {"message": self.message, "errorCode": self.code}
        if self.fields:
            out["fields"] = self.fields
        return [out]


def _restricted(org: Org, sobject: str, field_name: str) -> bool:
    if (sobject, field_name) == ("Opportunity", "StageName"):
        return True  # stage drives probability/forecast: the emulator insists on a known stage
    comp = org.get("CustomField", f"{sobject}.{field_name}")
    vs = (comp or {}).get("valueSet") or {}
    return bool(vs.get("restricted") or vs.get("valueSetName"))


def _check_fields(org: Org, sobject: str, values: dict[str, Any]) -> dict[str, Any]:
    canon: dict[str, Any] = {}
    readonly = []
    for key, val in values.items():
        if key == "attributes":
            continue
        f = visible_field(org, sobject, key)  # a field the user has no field-level security on is not there
        if f is None:
            raise RestError(400, "INVALID_FIELD", f"No such column '{key}' on sobject of type {sobject}")
        if f.readonly and f.name != "Id":
            readonly.append(f.name)
        canon[f.name] = val
    if readonly:
        raise RestError(
            400,
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            f"Unable to create/update fields: {', '.join(readonly)}. Please check the security settings "
            "of this field and verify that it is read/write for your profile or permission set.",
            readonly,
        )
    for name, val in canon.items():
        if val in (None, "") or not _restricted(org, sobject, name):
            continue
        allowed = {v["fullName"].lower() for v in picklist_values(org, sobject, name) or []}
        if any(c.lower() not in allowed for c in str(val).split(";")):
            message = f"bad value for restricted picklist field: {val}"
            raise RestError(400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", message, [name])
    return canon


def derive_fields(org: Org, sobject: str, rec: dict[str, Any], changed: dict[str, Any]) -> None:
    """Fields Salesforce computes from others (stage -> probability/forecast, names)."""
    if sobject == "Opportunity" and "StageName" in changed:
        stage = next(
            (
                v
                for v in picklist_values(org, "Opportunity", "StageName") or []
                if v["fullName"].lower() == str(rec.get("StageName", "")).lower()
            ),
            None,
        )
        if stage:
            if "Probability" not in changed:
                rec["Probability"] = float(stage.get("probability") or 0)
            category = stage.get("forecastCategory") or "Pipeline"
            rec.update(
                IsClosed=bool(stage.get("closed")),
                IsWon=bool(stage.get("won")),
                ForecastCategory=category,
                ForecastCategoryName=FORECAST_NAMES.get(category, category),
            )
    if sobject == "Opportunity" and rec.get("Amount") is not None:
        rec["ExpectedRevenue"] = round(float(rec["Amount"]) * float(rec.get("Probability") or 0) / 100, 2)
    if sobject == "Case" and "Status" in changed:
        status = next(
            (v for v in picklist_values(org, "Case", "Status") or [] if v["fullName"] == rec.get("Status")),
            None,
        )
        rec["IsClosed"] = bool(status and status.get("closed"))
    if sobject in ("Contact", "Lead", "User") and ({"FirstName", "LastName"} & changed.keys()):
        rec["Name"] = " ".join(p for p in (rec.get("FirstName"), rec.get("LastName")) if p)


def _run_validation_rules(org: Org, sobject: str, rec: dict[str, Any], is_new: bool) -> None:
    for full_name, rule in org.components("ValidationRule").items():
        if not full_name.startswith(sobject + ".") or not rule.get("active"):
            continue
        try:
            node = compile_formula(rule.get("errorConditionFormula", ""), lambda n: True)
            fires = evaluate(node, lambda n: _formula_value(org, sobject, rec, n), is_new)
        except FormulaError:
            continue
        if fires:
            where = [rule["errorDisplayField"]] if rule.get("errorDisplayField") else []
            raise RestError(400, "FIELD_CUSTOM_VALIDATION_EXCEPTION", rule.get("errorMessage", ""), where)


def _formula_value(org: Org, sobject: str, rec: dict[str, Any], name: str) -> Any:
    """A value a formula names: a field of the record, `$User.<field>` (the API user), `RecordType.<field>`."""
    scope, _, field_name = name.partition(".")
    if scope == "$User":
        user = org.table("User").get(org.api_user_id) or {}
        return next((v for k, v in user.items() if k.lower() == field_name.lower()), None)
    if scope == "RecordType" and field_name:
        rt = next((r for r in lookup("RecordType", "data").rows(org, False)  # type: ignore[union-attr]
                   if r["Id"] == rec.get("RecordTypeId")), {})
        return next((v for k, v in rt.items() if k.lower() == field_name.lower()), None)
    return rec.get(_canonical(org, sobject, name))


def _canonical(org: Org, sobject: str, name: str) -> str:
    f = field_def(org, sobject, name)
    return f.name if f else name


def create_record(org: Org, sobject: str, values: dict[str, Any]) -> str:
    d = lookup(sobject, "data")
    if d is None:
        raise RestError(404, "NOT_FOUND", "The requested resource does not exist")
    if not d.createable:
        raise RestError(400, "INVALID_TYPE_FOR_OPERATION", f"entity type {d.name} does not support insert")
    if d.name in _VIEW_WRITERS:
        return str(_VIEW_WRITERS[d.name].create(org, values))
    canon = _check_fields(org, d.name, values)
    missing = [f.name for f in object_fields(org, d.name) if f.required and canon.get(f.name) in (None, "")]
    if missing:
        raise RestError(
            400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", missing
        )
    if d.name == "PermissionSetAssignment":
        _check_assignment(org, canon)
    rec: dict[str, Any] = (
        {"OwnerId": org.api_user_id} if any(f.name == "OwnerId" for f in object_fields(org, d.name)) else {}
    )
    rec.update(canon)
    if d.name == "Case":
        rec.setdefault("Status", "New")
        rec["CaseNumber"] = f"{len(org.table('Case')) + 1001:08d}"
    derive_fields(org, d.name, rec, rec)
    _run_validation_rules(org, d.name, rec, True)
    record_id = str(org.insert(d.name, rec)["Id"])
    org.log("record-create", d.name, record_id)
    return record_id


def _check_assignment(org: Org, canon: dict[str, Any]) -> None:
    user = org.table("User").get(canon["AssigneeId"])
    ps_ids = {r["Id"] for r in permission_set_rows(org)}
    if user is None or canon["PermissionSetId"] not in ps_ids:
        raise RestError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
    if not user.get("IsActive"):
        raise RestError(400, "INACTIVE_OWNER_OR_USER", "operation performed with inactive user")
    for a in org.table("PermissionSetAssignment").values():
        if (
            not a.get("IsDeleted")
            and a["AssigneeId"] == canon["AssigneeId"]
            and a["PermissionSetId"] == canon["PermissionSetId"]
        ):
            raise RestError(
                400,
                "DUPLICATE_VALUE",
                f"Duplicate PermissionSetAssignment. Assignee: "
                f"{canon['AssigneeId']}; Permission Set: {canon['PermissionSetId']}",
            )


def _live(org: Org, sobject: str, record_id: str) -> dict[str, Any]:
    table = org.table(sobject)
    rec = table.get(record_id) or (table.get(to_18(record_id)) if len(record_id) == 15 else None)
    if rec is None or rec.get("IsDeleted"):
        if rec is not None:
            raise RestError(404, "ENTITY_IS_DELETED", "entity is deleted")
        raise RestError(
            404, "NOT_FOUND", f"Provided external ID field does not exist or is not accessible: {record_id}"
        )
    return rec


def update_record(org: Org, sobject: str, record_id: str, values: dict[str, Any]) -> None:
    d = lookup(sobject, "data") or lookup(sobject, "tooling")
    if d is None:
        raise RestError(404, "NOT_FOUND", "The requested resource does not exist")
    if d.name in _VIEW_WRITERS:
        _VIEW_WRITERS[d.name].update(org, record_id, values)
        return
    if not d.updateable:
        raise RestError(400, "INVALID_TYPE_FOR_OPERATION", f"entity type {d.name} does not support update")
    rec = _live(org, d.name, record_id)
    canon = _check_fields(org, d.name, {k: v for k, v in values.items() if k.lower() != "id"})
    updated = dict(rec, **canon)
    derive_fields(org, d.name, updated, canon)
    _run_validation_rules(org, d.name, updated, False)
    now = rest_datetime(org.clock())
    if d.name == "Opportunity" and str(canon.get("StageName", rec.get("StageName"))) != str(rec.get("StageName")):
        updated["LastStageChangeDate"] = now  # [docs] Opportunity.LastStageChangeDate: the last stage change
    org.log("record-update", d.name, str(rec["Id"]), ", ".join(f"{k}={v}" for k, v in sorted(canon.items())))
    rec.update(updated, LastModifiedDate=now, SystemModstamp=now, LastModifiedById=org.api_user_id)


def delete_record(org: Org, sobject: str, record_id: str) -> None:
    d = lookup(sobject, "data")
    if d is None:
        raise RestError(404, "NOT_FOUND", "The requested resource does not exist")
    if d.name in _VIEW_WRITERS:
        _VIEW_WRITERS[d.name].delete(org, record_id)
        return
    if not d.deletable:
        raise RestError(400, "INVALID_TYPE_FOR_OPERATION", f"entity type {d.name} does not support delete")
    rec = _live(org, d.name, record_id)
    org.log("record-delete", d.name, str(rec["Id"]))
    if d.name == "PermissionSetAssignment":
        del org.table(d.name)[rec["Id"]]  # assignments are hard-deleted, no recycle bin
        return
    rec["IsDeleted"] = True  # to the recycle bin: queryAll still returns it


def get_view_row(org: Org, sobject: str, record_id: str, api: str) -> dict[str, Any]:
    d = lookup(sobject, api)
    if d is None:
        raise RestError(404, "NOT_FOUND", "The requested resource does not exist")
    row = next(
        (
            r
            for r in d.rows(org, True)
            if r.get("Id") in (record_id, to_18(record_id) if len(record_id) == 15 else record_id)
        ),
        None,
    )
    if row is None or row.get("IsDeleted"):
        raise RestError(404, "NOT_FOUND", "The requested resource does not exist")
    names = [f.name for f in d.fields(org)]
    return {n: row.get(n) for n in names}


# ---------------------------------------------------------------------------------------------
# Writes to the permission views, folded into the PermissionSet component
# ---------------------------------------------------------------------------------------------


class _PermissionSetWriter:
    def _find(self, org: Org, record_id: str) -> str:
        for name in org.components("PermissionSet"):
            if org.info("PermissionSet", name).id == record_id:
                return name
        raise RestError(404, "NOT_FOUND", "The requested resource does not exist")

    def create(self, org: Org, values: dict[str, Any]) -> str:
        name, label = values.get("Name"), values.get("Label")
        if not name or not label:
            missing = [k for k in ("Name", "Label") if not values.get(k)]
            raise RestError(
                400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", missing
            )
        if org.get("PermissionSet", name):
            raise RestError(
                400, "DUPLICATE_DEVELOPER_NAME", "The API Name you entered is already in use.", ["Name"]
            )
        comp = {"fullName": name, "label": label}
        if values.get("Description"):
            comp["description"] = values["Description"]
        org.put("PermissionSet", comp)
        return org.info("PermissionSet", name).id

    def update(self, org: Org, record_id: str, values: dict[str, Any]) -> None:
        comp = org.components("PermissionSet")[self._find(org, record_id)]
        for key, attr in (("Label", "label"), ("Description", "description")):
            if key in values:
                comp[attr] = values[key]
        org.put("PermissionSet", comp)

    def delete(self, org: Org, record_id: str) -> None:
        name = self._find(org, record_id)
        if any(a["PermissionSetId"] == record_id for a in org.table("PermissionSetAssignment").values()):
            raise RestError(400, "DELETE_FAILED", "Permission set is assigned to users and can't be deleted.")
        org.remove("PermissionSet", name)


class _ChildPermissionWriter:
    """ObjectPermissions / FieldPermissions rows <-> PermissionSet objectPermissions / fieldPermissions."""

    def __init__(self, sobject: str, attr: str, key: str, prefix: str) -> None:
        self.sobject, self.attr, self.key, self.prefix = sobject, attr, key, prefix

    def _parent(self, org: Org, parent_id: str) -> dict[str, Any]:
        for name, comp in org.components("PermissionSet").items():
            if org.info("PermissionSet", name).id == parent_id:
                return comp
        raise RestError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ["ParentId"])

    def _entry(self, values: dict[str, Any]) -> dict[str, Any]:
        if self.sobject == "FieldPermissions":
            return {
                "field": values["Field"],
                "readable": bool(values.get("PermissionsRead")),
                "editable": bool(values.get("PermissionsEdit")),
            }
        return {
            "object": values["SobjectType"],
            **{k: bool(values.get(c)) for c, k in OBJECT_PERMISSION_COLUMNS},
        }

    def _row_values(self, entry: dict[str, Any]) -> dict[str, Any]:
        if self.sobject == "FieldPermissions":
            return {
                "Field": entry["field"],
                "SobjectType": entry["field"].split(".")[0],
                "PermissionsRead": entry.get("readable"),
                "PermissionsEdit": entry.get("editable"),
            }
        return {"SobjectType": entry["object"], **{c: entry.get(k) for c, k in OBJECT_PERMISSION_COLUMNS}}

    def create(self, org: Org, values: dict[str, Any]) -> str:
        needed = ["ParentId", "SobjectType"] + (["Field"] if self.sobject == "FieldPermissions" else [])
        missing = [k for k in needed if not values.get(k)]
        if missing:
            message = f"Required fields are missing: [{', '.join(missing)}]"
            raise RestError(400, "REQUIRED_FIELD_MISSING", message, missing)
        parent = self._parent(org, values.get("ParentId", ""))
        if (
            self.sobject == "FieldPermissions"
            and "SobjectType" in values
            and "Field" in values
            and not values["Field"].startswith(values["SobjectType"] + ".")
        ):
            raise RestError(400, "FIELD_INTEGRITY_EXCEPTION", "Field and SobjectType don't match", ["Field"])
        entry = self._entry(values)
        entries = parent.setdefault(self.attr, [])
        if any(e[self.key].lower() == entry[self.key].lower() for e in entries):
            raise RestError(
                400, "DUPLICATE_VALUE", f"duplicate value found: {self.key} duplicates value on record"
            )
        errors = permission_set_errors(org, {self.attr: [entry]})
        if errors:
            raise RestError(400, errors[0][0], errors[0][1])
        entries.append(entry)
        org.put("PermissionSet", parent)
        return org.ids.stable(self.prefix, (parent["fullName"].lower(), entry[self.key].lower()))

    def _locate(self, org: Org, record_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        key = org.ids.key_of(record_id if len(record_id) != 15 else to_18(record_id))
        comp = org.get("PermissionSet", key[0]) if key else None
        entry = next(
            (e for e in (comp or {}).get(self.attr, []) if key and e[self.key].lower() == key[1]), None
        )
        if comp is None or entry is None:
            raise RestError(404, "NOT_FOUND", "The requested resource does not exist")
        return comp, entry

    def update(self, org: Org, record_id: str, values: dict[str, Any]) -> None:
        comp, entry = self._locate(org, record_id)
        merged = self._entry(
            {**self._row_values(entry), **{k: v for k, v in values.items() if k != "attributes"}}
        )
        errors = permission_set_errors(org, {self.attr: [merged]})
        if errors:
            raise RestError(400, errors[0][0], errors[0][1])
        entry.update(merged)
        org.put("PermissionSet", comp)

    def delete(self, org: Org, record_id: str) -> None:
        comp, entry = self._locate(org, record_id)
        comp[self.attr].remove(entry)
        org.put("PermissionSet", comp)


_VIEW_WRITERS: dict[str, Any] = {
    "PermissionSet": _PermissionSetWriter(),
    "ObjectPermissions": _ChildPermissionWriter("ObjectPermissions", "objectPermissions", "object", "110"),
    "FieldPermissions": _ChildPermissionWriter("FieldPermissions", "fieldPermissions", "field", "01k"),
}
