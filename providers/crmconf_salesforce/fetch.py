"""Live Salesforce state as LiveObjects, in the same vocabulary compile.py writes, in few requests.

The reads, for a whole plan:
1. one Composite request (25 GETs each) carrying the five object describes (every field's label, type
   and picklist values), the users, FlowDefinitionView, business processes, record types, stage and
   picklist usage counts, permission sets and their object/field permissions (SOQL; pages beyond the
   first followed through nextRecordsUrl, 2,000 rows a page);
2. Metadata reads, 10 components a call, only where SOQL cannot tell: the three standard value sets
   (one call), the business processes' stage lists, the custom fields the spec manages, crmconf's
   validation rules and flows, and the legacy workflow rules; one listMetadata call names the
   validation rules, workflow rules and flows (with who changed each last, and when).

With the State compile left (`hinted`), only what the spec manages is read in depth; without it
(audit, import) everything is, so `export` can write the whole org as a spec.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from crmconf import address as addr
from crmconf.engine.resource import LiveObject, Snapshot
from crmconf_salesforce import flows, formulas
from crmconf_salesforce.client import SalesforceClient
from crmconf_salesforce.compile import State
from crmconf_salesforce.mapping import (
    DESCRIBE_TYPES,
    FAMILIES,
    FLOW_PREFIX,
    OBJECTS,
    SOQL_ACCESS,
    SPEC_OBJECTS,
    Family,
    snake,
    spec_field_name,
    spec_type,
)

KINDS = frozenset({"field", "pipeline", "stage", "validation_rule", "automation", "permission"})
_PIPELINE_KINDS = {"pipeline", "stage", "validation_rule"}


def iso(value: Any) -> str | None:
    """A Salesforce timestamp (REST `...000+0000` or a SOAP datetime) as an ISO string."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    try:
        return datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S.%f%z").isoformat()
    except ValueError:
        return str(value)


def _soql_list(names: Iterable[str]) -> str:
    return ", ".join("'" + n.replace("\\", "\\\\").replace("'", "\\'") + "'" for n in sorted(names))


class Reader:
    def __init__(self, client: SalesforceClient, state: State | None) -> None:
        self.client = client
        self.state = state  # None: read everything in depth (no spec to narrow it)
        self.objects: dict[str, LiveObject] = {}
        self.pipeline_values: dict[str, tuple[str, Family, list[str]]] = {}  # pipeline -> process, values
        self.stage_at: dict[tuple[str, str], str] = {}  # (pipeline, stage value) -> stage address

    @property
    def hinted(self) -> bool:
        return self.state is not None

    def add(self, obj: LiveObject) -> None:
        self.objects[obj.address] = obj

    # --- the whole read --------------------------------------------------------------------------

    def fetch(self, kinds: frozenset[str]) -> Snapshot:
        kinds = (kinds & KINDS) or KINDS
        start = self.client.requests
        gets, optional = self._gets(kinds)
        results = self.client.composite_get(gets, optional=optional)
        if "field" in kinds:
            self._fields(results)
        if kinds & _PIPELINE_KINDS:
            self._pipelines(results, kinds)
        listed = self._listed(kinds)
        if "validation_rule" in kinds:
            self._rules(listed)
        if "automation" in kinds:
            self._flows(results, listed)
            self._workflow_rules(listed)
        if "permission" in kinds:
            self._permissions(results)
        users = {str(u["Email"]).lower(): bool(u["IsActive"]) for u in results["users"]["records"] if u.get("Email")}
        objects = {a: o for a, o in self.objects.items() if o.kind in kinds}
        facts = {"users": users, "salesforce_depth": "managed" if self.hinted else "all"}
        return Snapshot(objects, kinds, facts=facts, requests=self.client.requests - start)

    def _gets(self, kinds: frozenset[str]) -> tuple[dict[str, str], set[str]]:
        c = self.client
        gets = {"users": c.query_url("SELECT Email, IsActive FROM User")}
        optional: set[str] = set()
        if "field" in kinds:
            for sobject in OBJECTS.values():
                gets[f"describe:{sobject}"] = c.describe_url(sobject)
            picklists = [n for n, t in (self.state.fields.items() if self.state else ()) if t == "picklist"]
            for full in sorted(picklists):
                # Usage of each managed picklist's values (destroy protection); a field that does not
                # exist yet answers 400, which only means "no usage".
                sobject, _, api = full.partition(".")
                key = f"usage:{full}"
                gets[key] = c.query_url(f"SELECT {api}, COUNT(Id) n FROM {_proper(sobject)} GROUP BY {api}")
                optional.add(key)
        if kinds & _PIPELINE_KINDS:
            gets["processes"] = c.query_url(
                "SELECT Id, Name, TableEnumOrId, IsActive, Description FROM BusinessProcess")
            gets["record_types"] = c.query_url(
                "SELECT Id, Name, DeveloperName, SobjectType, IsActive, Description, BusinessProcessId FROM RecordType")
            for family in FAMILIES.values():
                # Records per (record type, stage): a stage's records are those of its process's record
                # types. An org without record types on the object answers 400: no usage to protect.
                key = f"stages:{family.sobject}"
                gets[key] = c.query_url(f"SELECT RecordTypeId, {family.field}, COUNT(Id) n FROM {family.sobject} "
                                        f"GROUP BY RecordTypeId, {family.field}")
                optional.add(key)
        if "automation" in kinds:
            gets["flows"] = c.query_url(
                "SELECT DurableId, ApiName, Label, Description, IsActive, ProcessType, TriggerType, "
                "ActiveVersionId, LatestVersionId, VersionNumber, LastModifiedDate, LastModifiedBy "
                "FROM FlowDefinitionView")
        if "permission" in kinds:
            gets["permission_sets"] = c.query_url(
                "SELECT Id, Name, Label, Description, LastModifiedDate FROM PermissionSet WHERE IsOwnedByProfile = false")
            where = "Parent.IsOwnedByProfile = false"
            if self.state is not None:
                where += f" AND Parent.Name IN ({_soql_list(self.state.permission_sets)})"
            if self.state is None or self.state.permission_sets:
                gets["object_permissions"] = c.query_url(
                    "SELECT ParentId, SobjectType, " + ", ".join(SOQL_ACCESS.values())
                    + f" FROM ObjectPermissions WHERE {where}")
                gets["field_permissions"] = c.query_url(
                    f"SELECT ParentId, Field, PermissionsRead, PermissionsEdit FROM FieldPermissions WHERE {where}")
        return gets, optional

    def _listed(self, kinds: frozenset[str]) -> dict[str, list[dict[str, Any]]]:
        types = (["ValidationRule"] if "validation_rule" in kinds else []) + (
            ["WorkflowRule", "Flow"] if "automation" in kinds else [])  # three types: still one call
        out: dict[str, list[dict[str, Any]]] = {t: [] for t in types}
        for props in self.client.md_list(types) if types else []:
            out.setdefault(str(props["type"]), []).append(props)
        return out

    # --- fields ----------------------------------------------------------------------------------

    def _fields(self, results: Mapping[str, Any]) -> None:
        described = [(sobject, f) for sobject in OBJECTS.values()
                     for f in results[f"describe:{sobject}"]["fields"] if f.get("custom")]
        to_read = [f"{sobject}.{f['name']}" for sobject, f in described
                   if self.state is None or f"{sobject}.{f['name']}".lower() in self.state.fields]
        read = dict(zip((n.lower() for n in to_read), self.client.md_read("CustomField", to_read), strict=True))
        global_sets = self._global_value_sets(c for c in read.values() if c)
        for sobject, f in described:
            api = str(f["name"])
            full = f"{sobject}.{api}".lower()
            name = spec_field_name(sobject, api)
            address = addr.field(SPEC_OBJECTS[sobject], name or api.lower())
            comp = read.get(full)
            if comp is None:
                options = [{"value": v["value"], "label": v.get("label") or v["value"], "hidden": not v.get("active", True)}
                           for v in f.get("picklistValues") or []]
                attrs: dict[str, Any] = {
                    "label": f.get("label"),
                    "type": DESCRIBE_TYPES.get(str(f.get("type")), f"salesforce:{f.get('type')}"),
                    "required": not f.get("nillable", True),
                    "options": options or None,
                }
                meta: dict[str, Any] = {"api_name": f"{sobject}.{api}"}
            else:
                attrs, meta = _field_attrs(comp, global_sets, self.state.options.get(full) if self.state else None)
            self.add(LiveObject(address, "field", attrs, meta=meta, usage=_usage(results.get(f"usage:{full}"), api),
                                label=str(attrs.get("label") or "")))

    def _global_value_sets(self, comps: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        names = sorted({str(vs["valueSetName"]) for c in comps if (vs := c.get("valueSet") or {}).get("valueSetName")})
        if not names:
            return {}
        read = self.client.md_read("GlobalValueSet", names)
        return {n.lower(): list((g or {}).get("customValue") or []) for n, g in zip(names, read, strict=True)}

    # --- pipelines -------------------------------------------------------------------------------

    def _pipelines(self, results: Mapping[str, Any], kinds: frozenset[str]) -> None:
        sets = self.client.md_read("StandardValueSet", [f.value_set for f in FAMILIES.values()])
        values = {
            f.value_set: {str(v["fullName"]).lower(): v for v in (s or {}).get("standardValue") or []}
            for f, s in zip(FAMILIES.values(), sets, strict=True)
        }
        processes = [r for r in results["processes"]["records"] if r.get("TableEnumOrId") in FAMILIES]
        full_names = [f"{r['TableEnumOrId']}.{r['Name']}" for r in processes]
        read = self.client.md_read("BusinessProcess", full_names)
        record_types = results["record_types"]["records"]
        counts: dict[tuple[str, str | None, str], int] = {}
        for family in FAMILIES.values():
            for row in (results.get(f"stages:{family.sobject}") or {}).get("records", []):
                value = str(row.get(family.field) or "").lower()
                counts[(family.sobject, row.get("RecordTypeId"), value)] = int(row.get("n") or 0)
        for row, full, comp in zip(processes, full_names, read, strict=True):
            if comp is None:
                continue
            family = FAMILIES[row["TableEnumOrId"]]
            name = snake(str(row["Name"]))
            if addr.pipeline(name) in self.objects:
                name = snake(f"{family.sobject}_{row['Name']}")
            rts = [rt for rt in record_types if rt.get("BusinessProcessId") == row["Id"]]
            rt = next((r for r in rts if str(r.get("DeveloperName")).lower() == str(row["Name"]).lower()),
                      rts[0] if rts else None)
            stage_values = [str(v["fullName"]) for v in comp.get("values") or []]
            address = addr.pipeline(name)
            description = comp.get("description")
            if rt and rt.get("Description") and description and rt["Description"] != description:
                # apply writes a pipeline's description to both; a record type left behind (its write
                # failed after the process's) shows, so the next plan writes both again.
                description = rt["Description"]
            attrs: dict[str, Any] = {"object": family.spec_object, "label": rt.get("Name") if rt else None,
                                     "description": description, "stages": stage_values}
            rt_ids = [r["Id"] for r in rts]
            meta = {"full_name": full, "record_type": f"{family.sobject}.{rt['DeveloperName']}" if rt else None,
                    "record_type_ids": rt_ids, "sobject": family.sobject}
            self.add(LiveObject(address, "pipeline", attrs, meta=meta, label=str(attrs["label"] or row["Name"])))
            self.pipeline_values[name] = (full, family, stage_values)
            hints = (self.state.stage_names.get(name, {}) if self.state else {})
            taken = set(hints.values())
            for value in stage_values:
                v = values[family.value_set].get(value.lower())
                if v is None:
                    continue
                stage = hints.get(value.lower())
                if stage is None:
                    stage = snake(value)
                    while stage in taken:  # never mistake a live value for a different spec stage
                        stage += "_live"
                taken.add(stage)
                self.stage_at[(name, value)] = addr.child(address, "stage", stage)
                records = sum(counts.get((family.sobject, rid, value.lower()), 0) for rid in rt_ids)
                self.add(LiveObject(
                    addr.child(address, "stage", stage), "stage", _stage_attrs(family, v), parent=address,
                    meta={"value_set": family.value_set, "full_name": v["fullName"], "process": full,
                          "sobject": family.sobject, "field": family.field, "record_type_ids": rt_ids},
                    usage={"records": records}, label=str(v.get("label") or v["fullName"])))
            listed = {value.lower() for value in stage_values}
            for value, stage in hints.items():
                # A stage is its picklist value: one the spec gives this pipeline that exists in the
                # set but is not (yet) in the process is there, and only the pipeline's `stages`
                # differ (an apply that created the value but failed to write the process).
                v = values[family.value_set].get(value)
                if value in listed or v is None or addr.child(address, "stage", stage) in self.objects:
                    continue
                self.add(LiveObject(
                    addr.child(address, "stage", stage), "stage", _stage_attrs(family, v), parent=address,
                    meta={"value_set": family.value_set, "full_name": v["fullName"], "process": full,
                          "sobject": family.sobject, "field": family.field, "record_type_ids": rt_ids},
                    usage={"records": 0}, label=str(v.get("label") or v["fullName"])))

    def _rules(self, listed: Mapping[str, list[dict[str, Any]]]) -> None:
        rules = listed.get("ValidationRule", [])
        ours = [str(p["fullName"]) for p in rules if str(p["fullName"]).partition(".")[2].startswith(formulas.PREFIX)]
        read = dict(zip((n.lower() for n in ours), self.client.md_read("ValidationRule", ours), strict=True))
        owners: dict[str, tuple[str, str]] = {}
        for name, (_full, family, stage_values) in self.pipeline_values.items():
            for value in stage_values:
                stage = self.stage_at.get((name, value))
                if stage:
                    owners[f"{family.sobject}.{formulas.rule_name(name, value)}".lower()] = (addr.pipeline(name), stage)
        for props in rules:
            full = str(props["fullName"])
            comp = read.get(full.lower())
            owner = owners.get(full.lower())
            if comp is not None:
                attrs = {"name": full, "formula": comp.get("errorConditionFormula"), "message": comp.get("errorMessage"),
                         "display_field": comp.get("errorDisplayField"), "active": bool(comp.get("active")),
                         "description": comp.get("description")}
            else:
                attrs = {}
            meta = {"full_name": full, "updated_at": iso(props.get("lastModifiedDate")),
                    "updated_by": props.get("lastModifiedByName")}
            if owner is not None:
                self.add(LiveObject(f"{owner[1]}.rule", "validation_rule", attrs, parent=owner[0], meta=meta))
            else:
                self.add(LiveObject(addr.join("validation_rule", full), "validation_rule", attrs, meta=meta))

    # --- automations -----------------------------------------------------------------------------

    def _flows(self, results: Mapping[str, Any], listed: Mapping[str, list[dict[str, Any]]]) -> None:
        """Flows from FlowDefinitionView (label, state, description), stamped by listMetadata's
        last-modified date and user (the Metadata API's record of who changed the flow last)."""
        stamps = {str(p["fullName"]).lower(): p for p in listed.get("Flow", [])}
        rows = results["flows"]["records"]
        ours = [str(r["ApiName"]) for r in rows if self.state is not None and str(r["ApiName"]).lower() in self.state.flows]
        bodies = dict(zip((n.lower() for n in ours), self.client.md_read("Flow", ours), strict=True))
        for r in rows:
            api = str(r["ApiName"])
            address = addr.automation(api.removeprefix(FLOW_PREFIX) if api.startswith(FLOW_PREFIX) else api)
            attrs: dict[str, Any] = {"status": "active" if r.get("IsActive") else "inactive",
                                     "description": r.get("Description")}
            body = bodies.get(api.lower())
            if body is not None:
                attrs["description"] = body.get("description")
                attrs.update(flows.attrs_of(flows.body_of(body)))
            # `compiled`: crmconf built it (its name says so), so crmconf may also retire it under `prune`.
            meta = {"kind": "flow", "compiled": api.lower().startswith(FLOW_PREFIX), "api_name": api,
                    "definition_id": r.get("DurableId"),
                    "active_version_id": r.get("ActiveVersionId"), "latest_version_id": r.get("LatestVersionId"),
                    "updated_at": iso(r.get("LastModifiedDate")), "updated_by": _user(r.get("LastModifiedBy"))}
            stamp = stamps.get(api.lower())
            if stamp is not None:
                meta.update(updated_at=iso(stamp.get("lastModifiedDate")) or meta["updated_at"],
                            updated_by=stamp.get("lastModifiedByName") or meta["updated_by"])
            self.add(LiveObject(address, "automation", attrs, version=str(r.get("LatestVersionId") or ""),
                                meta=meta, label=str(r.get("Label") or api)))

    def _workflow_rules(self, listed: Mapping[str, list[dict[str, Any]]]) -> None:
        props = listed.get("WorkflowRule", [])
        names = [str(p["fullName"]) for p in props]
        for p, comp in zip(props, self.client.md_read("WorkflowRule", names), strict=True):
            if comp is None:
                continue
            attrs = {"status": "active" if comp.get("active") else "inactive", "description": comp.get("description")}
            meta = {"kind": "workflow_rule", "api_name": p["fullName"], "updated_at": iso(p.get("lastModifiedDate")),
                    "updated_by": p.get("lastModifiedByName")}
            self.add(LiveObject(addr.automation(p['fullName']), "automation", attrs, meta=meta))

    # --- permissions -----------------------------------------------------------------------------

    def _permissions(self, results: Mapping[str, Any]) -> None:
        sets = results["permission_sets"]["records"]
        by_id: dict[str, dict[str, Any]] = {}
        for r in sets:
            by_id[r["Id"]] = {"label": r.get("Label"), "description": r.get("Description")}
        for row in (results.get("object_permissions") or {}).get("records", []):
            obj = SPEC_OBJECTS.get(str(row.get("SobjectType")))
            attrs = by_id.get(row.get("ParentId", ""))
            if obj is None or attrs is None:
                continue
            access = [a for a, col in SOQL_ACCESS.items() if row.get(col)]
            if access:
                attrs[f"objects.{obj}"] = access
        for row in (results.get("field_permissions") or {}).get("records", []):
            attrs = by_id.get(row.get("ParentId", ""))
            sobject, _, api = str(row.get("Field")).partition(".")
            obj = SPEC_OBJECTS.get(sobject)
            name = spec_field_name(sobject, api) if obj else None
            if attrs is None or name is None:
                continue
            if row.get("PermissionsEdit"):
                attrs[f"fields.{obj}.{name}"] = "edit"
            elif row.get("PermissionsRead"):
                attrs[f"fields.{obj}.{name}"] = "read"
        for r in sets:
            self.add(LiveObject(
                addr.permission(snake(str(r['Name']))), "permission", by_id[r["Id"]],
                meta={"api_name": r["Name"], "id": r["Id"], "updated_at": iso(r.get("LastModifiedDate"))},
                label=str(r.get("Label") or r["Name"])))


def _proper(sobject_lower: str) -> str:
    return next(s for s in OBJECTS.values() if s.lower() == sobject_lower)


def _user(value: Any) -> str | None:
    if isinstance(value, Mapping):
        return str(value.get("Name")) if value.get("Name") else None
    return str(value) if value else None


def _usage(result: Any, api: str) -> dict[str, int]:
    if not isinstance(result, Mapping):
        return {}
    out: dict[str, int] = {}
    for row in result.get("records", []):
        value = next((v for k, v in row.items() if k.lower() == api.lower()), None)
        if value not in (None, ""):
            out[f"option:{value}"] = int(row.get("n") or 0)
    return out


def _field_attrs(comp: Mapping[str, Any], global_sets: Mapping[str, list[dict[str, Any]]],
                 spec_values: set[str] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    vs = comp.get("valueSet") or {}
    gvs = vs.get("valueSetName")
    if gvs:
        raw = global_sets.get(str(gvs).lower(), [])
    else:
        raw = (vs.get("valueSetDefinition") or {}).get("value") or []
        if spec_values is not None:
            # An inactive value the spec does not name is one crmconf retired (apply deactivates a
            # dropped value, as records may still hold it): it is gone as far as the spec is concerned.
            raw = [v for v in raw if v.get("isActive") is not False or str(v["fullName"]).lower() in spec_values]
    options = [{"value": str(v["fullName"]), "label": str(v.get("label") or v["fullName"]),
                "hidden": v.get("isActive") is False} for v in raw] or None
    attrs = {
        "label": comp.get("label"),
        "type": spec_type(comp.get("type"), comp.get("formula")),
        "required": bool(comp.get("required")),
        "help_text": comp.get("inlineHelpText"),
        "options": options,
        "unique": bool(comp.get("unique")),
    }
    meta = {"api_name": comp["fullName"], "global_value_set": gvs, "restricted": bool(vs.get("restricted"))}
    return attrs, meta


def _stage_attrs(family: Family, v: Mapping[str, Any]) -> dict[str, Any]:
    attrs: dict[str, Any] = {"value_set": family.value_set}
    if family.sobject == "Opportunity":
        attrs["probability"] = int(v["probability"]) if v.get("probability") is not None else None
        attrs["outcome"] = ("won" if v.get("won") else "lost") if v.get("closed") else None
    elif family.sobject == "Case":
        attrs["outcome"] = "closed" if v.get("closed") else None
    else:
        attrs["outcome"] = "closed" if v.get("converted") else None
    attrs["active"] = v.get("isActive") is not False
    return attrs
