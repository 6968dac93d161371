"""Who uses a custom field, read only when a plan may delete or retype it.

Salesforce refuses to delete or change the type of a field that an active validation rule, a
formula field, a flow (any version), a workflow rule or Apex uses (page layouts, reports and list
views do not stop it: the field simply drops out of them). Tooling `MetadataComponentDependency`
lists the users by the field's id; an inactive validation rule does not block, so the rules found are
checked for `Active` in a second Tooling query. Each use becomes a `referenced_by` entry of the
field's live object (crmconf/engine/references.py): the plan names it, orders its removal first, or
refuses (P202) when it stays.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from crmconf.engine.resource import LiveObject
from crmconf_salesforce.client import SalesforceClient

# What keeps Salesforce from deleting or retyping a field (MetadataComponentType values).
BLOCKING = ("ValidationRule", "CustomField", "Flow", "WorkflowRule", "ApexClass", "ApexTrigger")
IDS_PER_QUERY = 100  # ids in one IN (...) list: keeps the query URL short
_WORDS = {"ValidationRule": "validation rule", "CustomField": "formula field", "Flow": "flow",
          "WorkflowRule": "workflow rule", "ApexClass": "Apex class", "ApexTrigger": "Apex trigger"}


def _ids(values: Iterable[str]) -> str:
    return ", ".join("'" + v.replace("'", "") + "'" for v in values)


def read_uses(client: SalesforceClient, fields: Mapping[str, str]) -> dict[str, list[dict[str, Any]]]:
    """field id -> the components that block its delete or retype (rows of MetadataComponentDependency)."""
    ids = sorted(fields)
    rows: list[dict[str, Any]] = []
    for i in range(0, len(ids), IDS_PER_QUERY):
        rows += client.query(
            "SELECT MetadataComponentId, MetadataComponentName, MetadataComponentNamespace, MetadataComponentType, "
            f"RefMetadataComponentId FROM MetadataComponentDependency WHERE RefMetadataComponentId IN "
            f"({_ids(ids[i:i + IDS_PER_QUERY])})", tooling=True)
    rows = [r for r in rows if r.get("MetadataComponentType") in BLOCKING]
    rules = sorted({str(r["MetadataComponentId"]) for r in rows if r["MetadataComponentType"] == "ValidationRule"})
    inactive: set[str] = set()
    for i in range(0, len(rules), IDS_PER_QUERY):
        found = client.query(f"SELECT Id, Active FROM ValidationRule WHERE Id IN ({_ids(rules[i:i + IDS_PER_QUERY])})",
                             tooling=True)
        inactive |= {str(r["Id"]) for r in found if not r.get("Active")}
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if str(r["MetadataComponentId"]) not in inactive:
            out.setdefault(str(r["RefMetadataComponentId"]), []).append(r)
    return out


def as_references(rows: list[dict[str, Any]], field_api: str, objects: Mapping[str, LiveObject]) -> list[dict[str, Any]]:
    """`referenced_by` entries: a name for the plan, the user's address when crmconf reads it, and the
    text by which it names the field (its API name), so an update that drops it is recognised."""
    sobject, _, api = field_api.partition(".")
    by_name: dict[tuple[str, str], str] = {}
    for where, obj in objects.items():
        name = str(obj.meta.get("full_name") or obj.meta.get("api_name") or "").lower()
        if name:
            by_name[(obj.kind, name)] = where
    out = []
    for r in rows:
        kind = str(r["MetadataComponentType"])
        local = str(r["MetadataComponentName"])
        if r.get("MetadataComponentNamespace"):
            local = f"{r['MetadataComponentNamespace']}__{local}"
        full = {"ValidationRule": f"{sobject}.{local}", "CustomField": f"{sobject}.{local}__c",
                "WorkflowRule": f"{sobject}.{local}"}.get(kind, local)
        live_kind = {"ValidationRule": "validation_rule", "CustomField": "field"}.get(kind, "automation")
        found = by_name.get((live_kind, full.lower()))
        out.append({"name": found or f"{_WORDS.get(kind, kind)} {full}", "address": found, "mentions": api})
    return out
