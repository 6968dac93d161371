"""A live org as spec sections, for `crmconf import`: the exact inverse of compile for what it writes.

Only what compiles back to the same attributes is written, so the imported workspace plans empty:
- custom fields whose type the spec language has (formula, lookup, ... fields stay unmanaged);
- processes (deal, ticket and lead pipelines) whose stages make a valid spec pipeline; a stage's
  label is its Salesforce API value (the identity compile uses), its requirements come from the
  crmconf validation rule of that stage when regenerating the rule gives it back unchanged;
- every flow and legacy workflow rule as a *bound* automation (flows crmconf compiled, named
  `crmconf_*`, are left out: their spec lives elsewhere, and they show as unmanaged);
- permission sets with the object and field access the spec language can name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crmconf import address as addr
from crmconf.engine.resource import LiveObject, Snapshot
from crmconf.spec.standard import STANDARD_FIELDS
from crmconf_salesforce import formulas
from crmconf_salesforce.mapping import (
    FAMILIES,
    FLOW_PREFIX,
    IDENT,
    OBJECTS,
    SPEC_TYPES,
    humanize,
    snake,
    spec_field_name,
)


def export(snapshot: Snapshot) -> dict[str, Any]:
    fields = _fields(snapshot)
    return {
        "fields": fields,
        "pipelines": _pipelines(snapshot, fields),
        "automations": _automations(snapshot),
        "permissions": _permissions(snapshot, fields),
    }


def _fields(snapshot: Snapshot) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    spec_types = set(SPEC_TYPES.values())
    for address, obj in sorted(snapshot.objects.items()):
        if obj.kind != "field" or "restricted" not in obj.meta:  # only fields read in depth
            continue
        _, spec_object, name = address.split(".", 2)
        a = obj.attrs
        if not IDENT.match(name) or a.get("type") not in spec_types:
            continue
        entry: dict[str, Any] = {"name": name, "label": a["label"], "type": a["type"]}
        if a.get("required"):
            entry["required"] = True
        if a.get("help_text"):
            entry["help_text"] = a["help_text"]
        if a.get("unique"):
            entry["unique"] = True
        if a["type"] in ("picklist", "multipicklist"):
            if not a.get("options"):
                continue
            entry["options"] = [_option(o) for o in a["options"]]
        out.setdefault(spec_object, []).append(entry)
    return {obj: out[obj] for obj in OBJECTS if obj in out}


def _option(o: Mapping[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"value": o["value"]}
    if o.get("label") and o["label"] != o["value"]:
        entry["label"] = o["label"]
    if o.get("hidden"):
        entry["hidden"] = True
    return entry


def _pipelines(snapshot: Snapshot, fields: Mapping[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    out = []
    for address, p in sorted(snapshot.objects.items()):
        if p.kind != "pipeline":
            continue
        children = {str(o.meta.get("full_name")): o for o in snapshot.objects.values()
                    if o.kind == "stage" and o.parent == address}
        stages = [_stage(snapshot, p, children[v], fields) for v in p.attrs.get("stages") or [] if v in children]
        if not stages or not _valid(str(p.attrs["object"]), stages):
            continue
        entry: dict[str, Any] = {"name": addr.name_of(address), "object": p.attrs["object"],
                                 "label": p.attrs.get("label") or humanize(addr.name_of(address))}
        if p.attrs.get("description"):
            entry["description"] = p.attrs["description"]
        entry["stages"] = stages
        out.append(entry)
    return out


def _valid(obj: str, stages: list[dict[str, Any]]) -> bool:
    outcomes = [s.get("outcome") for s in stages]
    if obj == "deal":
        return outcomes.count("won") == 1 and "lost" in outcomes
    return True


def _stage(snapshot: Snapshot, pipeline: LiveObject, stage: LiveObject,
           fields: Mapping[str, list[dict[str, Any]]]) -> dict[str, Any]:
    value = str(stage.meta["full_name"])
    entry: dict[str, Any] = {"name": addr.name_of(stage.address), "label": value}
    if stage.attrs.get("probability") is not None:
        entry["probability"] = stage.attrs["probability"]
    if stage.attrs.get("outcome"):
        entry["outcome"] = stage.attrs["outcome"]
    rule = snapshot.objects.get(f"{stage.address}.rule")
    if rule is not None and rule.attrs.get("formula"):
        require = _requirements(rule, pipeline, value, fields)
        if require:
            entry["require"] = require
    return entry


def _requirements(rule: LiveObject, pipeline: LiveObject, value: str,
                  fields: Mapping[str, list[dict[str, Any]]]) -> list[str] | None:
    """The spec names a crmconf rule requires, if compiling them back gives the very same rule."""
    family = next(f for f in FAMILIES.values() if f.spec_object == pipeline.attrs["object"])
    parsed = formulas.parse(str(rule.attrs["formula"]))
    if parsed is None or parsed[0] != family.field or parsed[1] != value:
        return None
    obj = family.spec_object
    declared = {f["name"]: f for f in fields.get(obj, [])}
    names, required = [], []
    for api in parsed[2]:
        name = spec_field_name(family.sobject, api)
        if name is None:
            return None
        spec = declared.get(name)
        ftype = spec["type"] if spec else STANDARD_FIELDS.get(obj, {}).get(name)
        if ftype is None:
            return None
        kind = "picklist" if ftype == "picklist" else "boolean" if ftype == "boolean" else "other"
        label = spec["label"] if spec else humanize(name)
        names.append(name)
        required.append(formulas.Required(api, kind, label))
    pipeline_name = addr.name_of(pipeline.address)
    again = {
        "name": f"{family.sobject}.{formulas.rule_name(pipeline_name, value)}",
        "formula": formulas.formula(family.field, value, required),
        "message": formulas.message(value, required),
        "display_field": required[0].api,
        "active": True,
        "description": formulas.description(value, pipeline_name),
    }
    same = all(str(rule.attrs.get(k) or "").lower() == str(v).lower() if k == "name" else rule.attrs.get(k) == v
               for k, v in again.items())
    return names if same else None


def _automations(snapshot: Snapshot) -> list[dict[str, Any]]:
    out = []
    used: set[str] = set()
    for _address, a in sorted(snapshot.objects.items()):
        if a.kind != "automation":
            continue
        api = str(a.meta.get("api_name") or "")
        if not api or api.startswith(FLOW_PREFIX):
            continue
        name = snake(api.replace(".", "_"))
        while name in used:
            name += "_2"
        used.add(name)
        entry: dict[str, Any] = {"name": name, "binds": {"salesforce": api}, "status": a.attrs.get("status", "active")}
        if a.attrs.get("description") and a.meta.get("kind") == "flow":
            entry["description"] = a.attrs["description"]
        out.append(entry)
    return out


def _permissions(snapshot: Snapshot, fields: Mapping[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Permission sets; field access only on fields the exported spec has (standard or written above)."""
    known = {f"{obj}.{name}" for obj, names in STANDARD_FIELDS.items() for name in names}
    known |= {f"{obj}.{f['name']}" for obj, fs in fields.items() for f in fs}
    out = []
    for address, p in sorted(snapshot.objects.items()):
        if p.kind != "permission":
            continue
        entry: dict[str, Any] = {"name": addr.name_of(address), "label": p.attrs.get("label")}
        if p.attrs.get("description"):
            entry["description"] = p.attrs["description"]
        objects = {k.removeprefix("objects."): v for k, v in p.attrs.items() if k.startswith("objects.") and v}
        access = {k.removeprefix("fields."): v for k, v in p.attrs.items()
                  if k.startswith("fields.") and v and k.removeprefix("fields.") in known}
        if objects:
            entry["objects"] = {obj: list(objects[obj]) for obj in OBJECTS if obj in objects}
        if access:
            entry["fields"] = dict(sorted(access.items()))
        out.append(entry)
    return out
