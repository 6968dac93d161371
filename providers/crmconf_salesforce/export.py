"""A live org as spec sections, for `crmconf import`: the exact inverse of compile for what it writes.

Only what compiles back to the same attributes is written, so the imported workspace plans empty:
- custom fields whose type the spec language has (formula, lookup, ... fields stay unmanaged);
- processes (deal, ticket and lead pipelines) reached through a record type whose stages make a
  valid spec pipeline (a deal process needs a won and a lost stage; several of each are fine); a
  stage's label is its Salesforce API value (the identity compile uses), its stages come in the
  value set's order, its forecast category is written when it is not the default for its outcome,
  and its requirements come from the crmconf validation rule of that stage when regenerating the
  rule gives it back unchanged;
- every flow and legacy workflow rule as a *bound* automation (flows crmconf compiled, named
  `crmconf_*`, are left out: their spec lives elsewhere, and they show as unmanaged);
- permission sets with the object and field access the spec language can name.
Everything else the org holds is listed under `skipped`, with why: what a package installed
(read-only), hand-made validation rules, stage values no process uses, fields of types the spec
language has no word for, grants on fields the spec does not hold. Nothing is dropped silently.
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
    default_forecast,
    humanize,
    snake,
    spec_field_name,
)

Skipped = list[dict[str, str]]


def export(snapshot: Snapshot) -> dict[str, Any]:
    skipped: Skipped = []
    fields = _fields(snapshot, skipped)
    pipelines, rules = _pipelines(snapshot, fields, skipped)
    out = {
        "fields": fields,
        "pipelines": pipelines,
        "automations": _automations(snapshot, skipped),
        "permissions": _permissions(snapshot, fields, skipped),
    }
    value_set = {f.spec_object: f.value_set for f in FAMILIES.values()}
    _left_over(snapshot, rules, {(value_set[p["object"]], s["label"]) for p in pipelines for s in p["stages"]}, skipped)
    return {**out, "skipped": sorted(skipped, key=lambda s: s["what"])}


def _skip(skipped: Skipped, what: str, why: str, address: str = "") -> None:
    skipped.append({"what": what, "why": why, **({"address": address} if address else {})})


def _fields(snapshot: Snapshot, skipped: Skipped) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    spec_types = set(SPEC_TYPES.values())
    for address, obj in sorted(snapshot.objects.items()):
        if obj.kind != "field":
            continue
        api = str(obj.meta.get("api_name") or address)
        if obj.meta.get("read_only"):
            _skip(skipped, f"field {api}", str(obj.meta["read_only"]), address)
            continue
        if "restricted" not in obj.meta:  # only fields read in depth (with no spec, every field of the org)
            _skip(skipped, f"field {api}", "it could not be read in depth", address)
            continue
        _, spec_object, name = address.split(".", 2)
        a = obj.attrs
        if not IDENT.match(name):
            _skip(skipped, f"field {api}", f"its API name cannot be a spec name ({name})", address)
            continue
        if a.get("type") not in spec_types:
            _skip(skipped, f"field {api}", f"the spec language has no type for a {a.get('type')} field", address)
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
                _skip(skipped, f"field {api}", "a picklist without values", address)
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


def _pipelines(snapshot: Snapshot, fields: Mapping[str, list[dict[str, Any]]],
               skipped: Skipped) -> tuple[list[dict[str, Any]], set[str]]:
    """The pipelines, and the addresses of the validation rules they carry as `require`."""
    out = []
    rules: set[str] = set()
    for address, p in sorted(snapshot.objects.items()):
        if p.kind != "pipeline":
            continue
        what = f"pipeline {p.meta.get('full_name') or address}"
        children = {str(o.meta.get("full_name")): o for o in snapshot.objects.values()
                    if o.kind == "stage" and o.parent == address}
        stages = [_stage(snapshot, p, children[v], fields) for v in p.attrs.get("stages") or [] if v in children]
        problem = _problem(p, stages)
        if problem:
            _skip(skipped, what, problem, address)
            continue
        rules |= {addr.child(address, "stage", s['name']) + ".rule" for s in stages if s.get("require")}
        entry: dict[str, Any] = {"name": addr.name_of(address), "object": p.attrs["object"],
                                 "label": p.attrs.get("label") or humanize(addr.name_of(address))}
        if p.attrs.get("description"):
            entry["description"] = p.attrs["description"]
        entry["stages"] = stages
        out.append(entry)
    return out, rules


def _problem(pipeline: LiveObject, stages: list[dict[str, Any]]) -> str:
    """Why a live process cannot be a spec pipeline ("" when it can)."""
    if not pipeline.meta.get("record_type"):
        return ("no record type uses this process: crmconf manages a pipeline as a process and its record "
                "type (activate one in Setup, or leave the process out)")
    if not stages:
        return "none of its stages is a value of its standard value set"
    outcomes = [s.get("outcome") for s in stages]
    if pipeline.attrs["object"] == "deal" and ("won" not in outcomes or "lost" not in outcomes):
        return "a deal pipeline needs a won stage and a lost stage (R305); this process lacks " + (
            "both" if "won" not in outcomes and "lost" not in outcomes else "won" if "won" not in outcomes else "lost")
    return ""


def _stage(snapshot: Snapshot, pipeline: LiveObject, stage: LiveObject,
           fields: Mapping[str, list[dict[str, Any]]]) -> dict[str, Any]:
    value = str(stage.meta["full_name"])
    entry: dict[str, Any] = {"name": addr.name_of(stage.address), "label": value}
    if stage.attrs.get("probability") is not None:
        entry["probability"] = stage.attrs["probability"]
    category = stage.attrs.get("forecast_category")
    if category and category != default_forecast(stage.attrs.get("outcome")):
        entry["forecast_category"] = category
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


def _automations(snapshot: Snapshot, skipped: Skipped) -> list[dict[str, Any]]:
    out = []
    used: set[str] = set()
    for address, a in sorted(snapshot.objects.items()):
        if a.kind != "automation":
            continue
        api = str(a.meta.get("api_name") or "")
        what = f"{'workflow rule' if a.meta.get('kind') == 'workflow_rule' else 'flow'} {api}"
        if a.meta.get("read_only"):
            _skip(skipped, what, str(a.meta["read_only"]), address)
            continue
        if not api or api.startswith(FLOW_PREFIX):
            _skip(skipped, what, "crmconf compiled it: its spec is the workspace that compiled it (it stays unmanaged)",
                  address)
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


def _permissions(snapshot: Snapshot, fields: Mapping[str, list[dict[str, Any]]],
                 skipped: Skipped) -> list[dict[str, Any]]:
    """Permission sets; field access only on fields the exported spec has (standard or written above)."""
    known = {f"{obj}.{name}" for obj, names in STANDARD_FIELDS.items() for name in names}
    known |= {f"{obj}.{f['name']}" for obj, fs in fields.items() for f in fs}
    out = []
    for address, p in sorted(snapshot.objects.items()):
        if p.kind != "permission":
            continue
        what = f"permission set {p.meta.get('api_name') or address}"
        if p.meta.get("read_only"):
            _skip(skipped, what, str(p.meta["read_only"]), address)
            continue
        unknown = sorted(k.removeprefix("fields.") for k, v in p.attrs.items()
                         if k.startswith("fields.") and v and k.removeprefix("fields.") not in known)
        unknown += [str(f) for f in p.meta.get("unnamed_fields") or []]
        if unknown:
            _skip(skipped, f"{what}: access to {', '.join(unknown)}",
                  "those fields are not in the imported spec; the grants stay in the org as they are")
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


def _left_over(snapshot: Snapshot, rules: set[str], labels: set[tuple[str, str]], skipped: Skipped) -> None:
    """Validation rules no exported stage carries, and stage values no exported pipeline uses."""
    for address, obj in sorted(snapshot.objects.items()):
        if obj.kind == "validation_rule" and address not in rules:
            name = str(obj.meta.get("full_name") or address)
            why = str(obj.meta.get("read_only") or (
                "a crmconf rule that no longer reads as a stage's `require` (edited by hand?)"
                if name.partition(".")[2].startswith(formulas.PREFIX) else
                "a hand-made rule: the spec language holds only the required-at-stage rules crmconf "
                "generates; it stays in the org, listed as unmanaged"))
            _skip(skipped, f"validation rule {name}", why, address)
    sets = snapshot.facts.get("stage_values")
    in_process = {(str(o.meta.get("value_set")), str(o.meta.get("full_name"))) for o in snapshot.objects.values()
                  if o.kind == "stage"}
    for value_set, values in sorted(sets.items()) if isinstance(sets, Mapping) else ():
        for v in values:
            if (value_set, v["value"]) in labels:
                continue
            why = ("inactive" if not v["active"] else "in no process" if (value_set, v["value"]) not in in_process
                   else "its processes were not imported (above)")
            _skip(skipped, f"stage value {value_set}.{v['value']}",
                  f"{why}: a stage exists in the spec only inside a pipeline; the value stays in the org as it is")
