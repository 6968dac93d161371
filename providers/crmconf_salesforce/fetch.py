"""Live Salesforce state as LiveObjects, in the same vocabulary compile.py writes, in few requests.

The reads, for a whole plan (each within the limits a real org enforces):
1. one Composite Batch request (25 independent GETs each: a /composite may hold only 5 queries)
   carrying the five object describes (labels and types of the fields the API user can see), the
   users, FlowDefinitionView, business processes, record types, stage usage counts, permission sets
   and their object/field permissions (SOQL; pages beyond the first followed through nextRecordsUrl,
   2,000 rows a page);
2. one listMetadata call naming every custom field (field-level security hides fields from describe
   and SOQL, including every field crmconf creates, but not from the Metadata API), validation rule
   and workflow rule, with who changed each last and its namespace;
3. Metadata reads, 10 components a call, only where SOQL cannot tell: the three standard value sets
   (one call), the business processes' stage lists, the custom fields the spec manages, crmconf's
   validation rules and flows, and the legacy workflow rules;
4. only when the plan may delete or retype fields: who uses them (references.py, Tooling); only for
   the managed picklists whose live values the spec drops: records per value (Composite Batch).
Reads that do not depend on each other go out concurrently (1. with 2.; then each kind's reads of 3.
and 4., reads.py), within the client's gate: a plan waits for its longest chain of dependent
requests, not for every request in turn.

With the State compile left (`hinted`), only what the spec manages is read in depth; without it
(audit, import) everything is, so `export` can write the whole org as a spec. Components a package
installed (a namespace) are read-only: listed, marked so, never written (engine error P203).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from crmconf import address as addr
from crmconf.engine import pool
from crmconf.engine.resource import LiveObject, Snapshot
from crmconf_salesforce import flows, pilots
from crmconf_salesforce.client import COMPOSITE_BATCH, SalesforceClient
from crmconf_salesforce.compile import State
from crmconf_salesforce.fetch_pipelines import iso
from crmconf_salesforce.mapping import (
    DESCRIBE_TYPES,
    FAMILIES,
    FLOW_PREFIX,
    OBJECTS,
    SOQL_ACCESS,
    SPEC_OBJECTS,
    snake,
    spec_field_name,
    spec_type,
)
from crmconf_salesforce.reads import read_kinds
from crmconf_salesforce.references import as_references

KINDS = frozenset({"field", "pipeline", "stage", "validation_rule", "automation", "permission"})
_PIPELINE_KINDS = {"pipeline", "stage", "validation_rule"}
NO_FLS = "the API user has no field-level security on the field, so SOQL cannot count its values"


def _soql_list(names: Iterable[str]) -> str:
    return ", ".join("'" + n.replace("\\", "\\\\").replace("'", "\\'") + "'" for n in sorted(names))


def installed(namespace: Any) -> str:
    return f"installed by the package with namespace {namespace}: Salesforce lets only the package change it"


def _read_only_label(label: str, namespace: Any) -> str:
    return f"{label} (installed: {namespace}, read-only)"


class Reader:
    def __init__(self, client: SalesforceClient, state: State | None) -> None:
        self.client = client
        self.state = state  # None: read everything in depth (no spec to narrow it)
        self.objects: dict[str, LiveObject] = {}
        self.field_ids: dict[str, str] = {}  # field id -> API name, for fields a plan may delete or retype
        self.facts: dict[str, Any] = {}

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
        results, listed = pool.together(lambda: self.client.batch_get(gets, optional=optional),
                                        lambda: self._listed(kinds), workers=self.client.settings.read_concurrency)
        found = read_kinds(self, kinds, results, listed, _namespaces)  # every kind's reads, at once (reads.py)
        if found.fields is not None:
            self.objects.update(found.fields.objects)
            self.field_ids.update(found.fields.field_ids)
        if found.pipelines is not None:
            self.objects.update(found.pipelines.objects)
            self.facts["stage_values"] = found.pipelines.value_sets
            for rule in found.rules:
                self.add(_marked(rule))
        for part in (found.flows, found.workflow_rules, found.permissions):
            if part is not None:
                self.objects.update(part.objects)
        if self.field_ids:
            self._uses(found.uses)
        results.settle()  # every query's pages are in, or its failure is raised
        users = {str(u["Email"]).lower(): bool(u["IsActive"]) for u in results["users"]["records"] if u.get("Email")}
        objects = {a: o for a, o in self.objects.items() if o.kind in kinds}
        facts = {**self.facts, "users": users, "salesforce_depth": "managed" if self.hinted else "all"}
        return Snapshot(objects, kinds, facts=facts, requests=self.client.requests - start)

    def _gets(self, kinds: frozenset[str]) -> tuple[dict[str, str], set[str]]:
        c = self.client
        gets = {"users": c.query_url("SELECT Email, IsActive FROM User")}
        optional: set[str] = set()
        if "field" in kinds:
            for sobject in OBJECTS.values():
                gets[f"describe:{sobject}"] = c.describe_url(sobject)
        if kinds & _PIPELINE_KINDS:
            gets["processes"] = c.query_url(
                "SELECT Id, Name, TableEnumOrId, IsActive, Description, NamespacePrefix FROM BusinessProcess")
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
                "ActiveVersionId, LatestVersionId, VersionNumber, NamespacePrefix, LastModifiedDate, LastModifiedBy "
                "FROM FlowDefinitionView")
            if self.state is not None and self.state.pilots:  # who each pilot reaches (crmconf_salesforce/pilots.py)
                gets["pilot_assignments"] = c.query_url(pilots.assignments_soql())
        if "permission" in kinds:
            gets["permission_sets"] = c.query_url(
                "SELECT Id, Name, Label, Description, NamespacePrefix, IsCustom, LastModifiedDate FROM PermissionSet "
                "WHERE IsOwnedByProfile = false")
            where = "Parent.IsOwnedByProfile = false"
            if self.state is not None:
                where += f" AND Parent.Name IN ({_soql_list(self.state.permission_sets)})"
            if self.state is None or self.state.permission_sets:
                gets["object_permissions"] = c.query_url(
                    "SELECT ParentId, SobjectType, " + ", ".join(SOQL_ACCESS.values())
                    + f" FROM ObjectPermissions WHERE {where}")
                gets["field_permissions"] = c.query_url(
                    f"SELECT ParentId, Field, PermissionsRead, PermissionsEdit FROM FieldPermissions WHERE {where}")
        usage = self._usage_gets() if "field" in kinds else {}
        if len(gets) + len(usage) <= -(-len(gets) // COMPOSITE_BATCH) * COMPOSITE_BATCH:
            # Room in the Composite Batch requests this read sends anyway: every managed picklist's usage
            # now, for no request more. Else only the picklists whose values the spec drops, once read
            # (_counted). A field that does not exist yet, or that field-level security hides, answers 400.
            gets.update(usage)
            optional.update(usage)
        return gets, optional

    def _usage_gets(self, only: Iterable[str] | None = None) -> dict[str, str]:
        """Records per value of managed picklists (destroy protection), by `usage:<field>`."""
        picklists = [n for n, t in (self.state.fields.items() if self.state else ()) if t == "picklist"]
        gets = {}
        for full in sorted(picklists if only is None else set(picklists) & set(only)):
            sobject, _, api = full.partition(".")
            gets[f"usage:{full}"] = self.client.query_url(
                f"SELECT {api}, COUNT(Id) n FROM {_proper(sobject)} GROUP BY {api}")
        return gets

    def _listed(self, kinds: frozenset[str]) -> dict[str, list[dict[str, Any]]]:
        types = (["CustomField"] if "field" in kinds else []) + (
            ["ValidationRule"] if "validation_rule" in kinds else []) + (
            ["WorkflowRule"] if "automation" in kinds else [])  # three types: one call
        out: dict[str, list[dict[str, Any]]] = {t: [] for t in types}
        for props in self.client.md_list(types) if types else []:
            out.setdefault(str(props["type"]), []).append(props)
        return out

    # --- fields ----------------------------------------------------------------------------------

    def _fields(self, results: Mapping[str, Any], listed: list[dict[str, Any]]) -> None:
        """Every custom field of the five objects, from listMetadata (which field-level security does
        not hide); labels of the ones the API user may see from describe; the managed ones (or, with
        no spec, all the org's own) read in depth."""
        described = {f"{sobject}.{f['name']}".lower(): f for sobject in OBJECTS.values()
                     for f in results[f"describe:{sobject}"]["fields"] if f.get("custom")}
        fields = sorted((p for p in listed if str(p["fullName"]).partition(".")[0] in SPEC_OBJECTS),
                        key=lambda p: str(p["fullName"]))
        deep = [str(p["fullName"]) for p in fields if not p.get("namespacePrefix") and (
            self.state is None or str(p["fullName"]).lower() in self.state.fields)]
        read = dict(zip((n.lower() for n in deep), self.client.md_read("CustomField", deep), strict=True))
        global_sets = self._global_value_sets(c for c in read.values() if c)
        live = {str(p["fullName"]).lower(): _field_attrs(c, global_sets, self.state.options.get(str(
            p["fullName"]).lower()) if self.state else None) for p in fields if (c := read.get(str(p["fullName"]).lower()))}
        counted = self._counted(live, results)
        for props in fields:
            full = str(props["fullName"])
            sobject, _, api = full.partition(".")
            name = spec_field_name(sobject, api)
            address = addr.field(SPEC_OBJECTS[sobject], name or api.lower())
            comp, shown = live.get(full.lower()), described.get(full.lower())
            meta: dict[str, Any] = {"api_name": full, "id": props.get("id")}
            if comp is not None:
                attrs, extra = comp
                meta.update(extra)
            elif shown is not None:
                attrs = _described_attrs(shown)
            else:
                attrs = {}  # hidden by field-level security and not managed: its name is all a plan needs
            if shown is None:
                meta["fls"] = False
            usage = _usage(counted.get(f"usage:{full.lower()}"), api)
            if f"usage:{full.lower()}" in counted and shown is None:
                meta["uncounted"] = NO_FLS
            label = str(attrs.get("label") or (shown or {}).get("label") or "")
            if props.get("namespacePrefix"):
                meta["read_only"] = installed(props["namespacePrefix"])
                label = _read_only_label(label or api, props["namespacePrefix"])
            elif self._may_lose(full, attrs):
                self.field_ids[str(props.get("id"))] = full
            self.add(LiveObject(address, "field", attrs, meta=meta, usage=usage, label=label))

    def _counted(self, live: Mapping[str, tuple[dict[str, Any], dict[str, Any]]],
                 results: Mapping[str, Any]) -> dict[str, Any]:
        """Records per value of managed picklists: those the first read counted (`_gets`), and, when it
        had no room for them, those whose live values the spec drops (destroy protection: the plan says
        which dropped value records still hold), in Composite Batch requests once the fields are read."""
        counted = {key: results[key] for key in results if key.startswith("usage:")}
        if self.state is None:
            return counted
        dropping = [full for full, (attrs, _) in live.items() if f"usage:{full}" not in counted
                    and {str(o["value"]).lower() for o in attrs.get("options") or ()} - self.state.options.get(full, set())]
        gets = self._usage_gets(dropping)
        return {**counted, **self.client.batch_get(gets, optional=set(gets))} if gets else counted

    def _may_lose(self, full: str, attrs: Mapping[str, Any]) -> bool:
        """Whether this plan may delete or retype the field: its spec type differs, or it is not in the
        spec under `prune: [field]`. Only those fields' users are read (references.py)."""
        if self.state is None:
            return False
        wanted = self.state.fields.get(full.lower())
        if wanted is None:
            return "field" in self.state.prune
        return bool(attrs) and attrs.get("type") != wanted

    def _global_value_sets(self, comps: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        names = sorted({str(vs["valueSetName"]) for c in comps if (vs := c.get("valueSet") or {}).get("valueSetName")})
        if not names:
            return {}
        read = self.client.md_read("GlobalValueSet", names)
        return {n.lower(): list((g or {}).get("customValue") or []) for n, g in zip(names, read, strict=True)}

    def _uses(self, uses: Mapping[str, list[dict[str, Any]]]) -> None:
        """Who uses the fields a plan may delete or retype (read with the fields, reads.py), named."""
        for field_id, rows in uses.items():
            full = self.field_ids.get(field_id)
            live = next((o for o in self.objects.values() if o.kind == "field" and o.meta.get("api_name") == full), None)
            if live is not None and full:
                meta = {**live.meta, "referenced_by": as_references(rows, full, self.objects)}
                self.add(replace(live, meta=meta))

    # --- automations -----------------------------------------------------------------------------

    def _flows(self, results: Mapping[str, Any]) -> None:
        """Flows from FlowDefinitionView (label, state, description, who changed it last and when)."""
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
                if "pilot_assignments" in results and pilots.is_piloted(body):
                    reached = pilots.audience(results["pilot_assignments"]["records"])
                    attrs["pilot"] = {"users": reached.get(pilots.permission_of(api).lower(), [])}
            # `compiled`: crmconf built it (its name says so), so crmconf may also retire it under `prune`.
            meta: dict[str, Any] = {
                "kind": "flow", "compiled": api.lower().startswith(FLOW_PREFIX), "api_name": api,
                "definition_id": r.get("DurableId"), "process_type": r.get("ProcessType"),
                "active_version_id": r.get("ActiveVersionId"), "latest_version_id": r.get("LatestVersionId"),
                "updated_at": iso(r.get("LastModifiedDate")), "updated_by": _user(r.get("LastModifiedBy"))}
            label = str(r.get("Label") or api)
            if r.get("NamespacePrefix"):
                meta["read_only"] = installed(r["NamespacePrefix"])
                label = _read_only_label(label, r["NamespacePrefix"])
            self.add(LiveObject(address, "automation", attrs, version=str(r.get("LatestVersionId") or ""),
                                meta=meta, label=label))

    def _workflow_rules(self, listed: Mapping[str, list[dict[str, Any]]]) -> None:
        props = listed.get("WorkflowRule", [])
        names = [str(p["fullName"]) for p in props]
        for p, comp in zip(props, self.client.md_read("WorkflowRule", names), strict=True):
            if comp is None:
                continue
            attrs = {"status": "active" if comp.get("active") else "inactive", "description": comp.get("description")}
            meta = {"kind": "workflow_rule", "api_name": p["fullName"], "updated_at": iso(p.get("lastModifiedDate")),
                    "updated_by": p.get("lastModifiedByName")}
            self.add(_marked(LiveObject(addr.automation(str(p['fullName'])), "automation", attrs,
                                        meta={**meta, **_namespaces([p]).get(str(p["fullName"]).lower(), {})})))

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
        unnamed: dict[str, list[str]] = {}  # grants on fields the spec language cannot name (a package's)
        for row in (results.get("field_permissions") or {}).get("records", []):
            attrs = by_id.get(row.get("ParentId", ""))
            sobject, _, api = str(row.get("Field")).partition(".")
            obj = SPEC_OBJECTS.get(sobject)
            name = spec_field_name(sobject, api) if obj else None
            if attrs is not None and name is None and obj and api.endswith("__c"):
                unnamed.setdefault(str(row.get("ParentId")), []).append(str(row.get("Field")))
            if attrs is None or name is None:
                continue
            if row.get("PermissionsEdit"):
                attrs[f"fields.{obj}.{name}"] = "edit"
            elif row.get("PermissionsRead"):
                attrs[f"fields.{obj}.{name}"] = "read"
        for r in sets:
            if str(r["Name"]).lower().startswith(pilots.PREFIX) and not r.get("NamespacePrefix"):
                continue  # a pilot's audience: part of its automation (crmconf_salesforce/pilots.py), never a spec's
            namespace = r.get("NamespacePrefix")
            api = f"{namespace}__{r['Name']}" if namespace else str(r["Name"])
            meta: dict[str, Any] = {"api_name": api, "id": r["Id"], "updated_at": iso(r.get("LastModifiedDate"))}
            if unnamed.get(r["Id"]):
                meta["unnamed_fields"] = sorted(unnamed[r["Id"]])
            label = str(r.get("Label") or api)
            if namespace or r.get("IsCustom") is False:
                # A package's or Salesforce's own permission set (sfdcInternalInt__...): never crmconf's.
                # Its address keeps the API name, which no spec name can equal.
                meta["read_only"] = installed(namespace) if namespace else "a standard permission set Salesforce owns"
                label = _read_only_label(label, namespace or "salesforce")
                address = addr.permission(api)
            else:
                address = addr.permission(snake(api))
            self.add(LiveObject(address, "permission", by_id[r["Id"]], meta=meta, label=label))


def _namespaces(props: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Read-only marks for listed components a package installed, by lower-case full name."""
    return {str(p["fullName"]).lower(): {"read_only": installed(p["namespacePrefix"]), "namespace": p["namespacePrefix"]}
            for p in props if p.get("namespacePrefix")}


def _marked(obj: LiveObject) -> LiveObject:
    namespace = obj.meta.get("namespace")
    if not namespace:
        return obj
    return replace(obj, label=_read_only_label(obj.label or addr.name_of(obj.address), namespace))


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


def _described_attrs(f: Mapping[str, Any]) -> dict[str, Any]:
    """An unmanaged field as describe shows it (the API user can see it)."""
    options = [{"value": v["value"], "label": v.get("label") or v["value"], "hidden": not v.get("active", True)}
               for v in f.get("picklistValues") or []]
    return {
        "label": f.get("label"),
        "type": DESCRIBE_TYPES.get(str(f.get("type")), f"salesforce:{f.get('type')}"),
        "required": not f.get("nillable", True),
        "options": options or None,
    }


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
    meta = {"global_value_set": gvs, "restricted": bool(vs.get("restricted"))}
    return attrs, meta
