"""Processes, their stage values and crmconf's stage rules, read back as compile writes them.

Real orgs shape what is read here:
- a BusinessProcess's values come back URL-encoded (`Negotiation%2FReview`) and not in the order
  written: they are decoded, and a pipeline's stages are in the order of its standard value set
  (the one order Salesforce keeps, shown on every record's path);
- stages carry their forecast category (spec words: `commit` is Salesforce's `Forecast`);
- a process nobody reaches through a record type, or one a package installed, is still listed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from crmconf import address as addr
from crmconf.engine import pool
from crmconf.engine.resource import LiveObject
from crmconf_salesforce import formulas
from crmconf_salesforce.client import SalesforceClient
from crmconf_salesforce.compile import State
from crmconf_salesforce.mapping import FAMILIES, SPEC_FORECAST, Family, snake


@dataclass
class PipelineRead:
    objects: dict[str, LiveObject] = field(default_factory=dict)
    pipeline_values: dict[str, tuple[str, Family, list[str]]] = field(default_factory=dict)  # name -> process
    value_sets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # set -> [{value, active}] in order
    stage_at: dict[tuple[str, str], str] = field(default_factory=dict)  # (pipeline, value) -> stage address

    def add(self, obj: LiveObject) -> None:
        self.objects[obj.address] = obj


def stage_attrs(family: Family, v: Mapping[str, Any]) -> dict[str, Any]:
    attrs: dict[str, Any] = {"value_set": family.value_set}
    if family.sobject == "Opportunity":
        attrs["probability"] = int(v["probability"]) if v.get("probability") is not None else None
        attrs["outcome"] = ("won" if v.get("won") else "lost") if v.get("closed") else None
        category = v.get("forecastCategory")
        attrs["forecast_category"] = SPEC_FORECAST.get(str(category), category) if category else None
    elif family.sobject == "Case":
        attrs["outcome"] = "closed" if v.get("closed") else None
    else:
        attrs["outcome"] = "closed" if v.get("converted") else None
    attrs["active"] = v.get("isActive") is not False
    return attrs


def read_pipelines(client: SalesforceClient, state: State | None, results: Mapping[str, Any],
                   taken: set[str]) -> PipelineRead:
    """Every process of the three families; `taken` holds addresses other kinds already use."""
    out = PipelineRead()
    processes = [r for r in results["processes"]["records"] if r.get("TableEnumOrId") in FAMILIES]
    full_names = [f"{r['TableEnumOrId']}.{r['Name']}" for r in processes]
    sets, read = pool.together(  # independent reads: at once
        lambda: client.md_read("StandardValueSet", [f.value_set for f in FAMILIES.values()]),
        lambda: client.md_read("BusinessProcess", full_names), workers=client.settings.read_concurrency)
    ordered = {f.value_set: list((s or {}).get("standardValue") or []) for f, s in zip(FAMILIES.values(), sets, strict=True)}
    values = {name: {str(v["fullName"]).lower(): v for v in vs} for name, vs in ordered.items()}
    rank = {name: {str(v["fullName"]).lower(): i for i, v in enumerate(vs)} for name, vs in ordered.items()}
    out.value_sets = {name: [{"value": str(v["fullName"]), "active": v.get("isActive") is not False} for v in vs]
                      for name, vs in ordered.items()}
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
        if addr.pipeline(name) in out.objects or addr.pipeline(name) in taken:
            name = snake(f"{family.sobject}_{row['Name']}")
        rts = [rt for rt in record_types if rt.get("BusinessProcessId") == row["Id"]]
        rt = next((r for r in rts if str(r.get("DeveloperName")).lower() == str(row["Name"]).lower()),
                  rts[0] if rts else None)
        order = rank[family.value_set]
        decoded = [unquote(str(v["fullName"])) for v in comp.get("values") or []]
        stage_values = sorted(decoded, key=lambda v: order.get(v.lower(), len(order)))
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
        out.add(LiveObject(address, "pipeline", attrs, meta=meta, label=str(attrs["label"] or row["Name"])))
        out.pipeline_values[name] = (full, family, stage_values)
        _stages(out, state, name, family, values[family.value_set], stage_values, counts, meta)
    return out


def _stages(out: PipelineRead, state: State | None, name: str, family: Family, values: Mapping[str, Any],
            stage_values: list[str], counts: Mapping[tuple[str, str | None, str], int],
            pipeline_meta: Mapping[str, Any]) -> None:
    address = addr.pipeline(name)
    rt_ids = list(pipeline_meta["record_type_ids"])
    hints = state.stage_names.get(name, {}) if state else {}
    taken = set(hints.values())

    def add(stage: str, v: Mapping[str, Any], records: int) -> None:
        out.add(LiveObject(
            addr.child(address, "stage", stage), "stage", stage_attrs(family, v), parent=address,
            meta={"value_set": family.value_set, "full_name": v["fullName"], "process": pipeline_meta["full_name"],
                  "sobject": family.sobject, "field": family.field, "record_type_ids": rt_ids},
            usage={"records": records}, label=str(v.get("label") or v["fullName"])))

    for value in stage_values:
        v = values.get(value.lower())
        if v is None:
            continue
        stage = hints.get(value.lower())
        if stage is None:
            stage = snake(value)
            while stage in taken:  # never mistake a live value for a different spec stage
                stage += "_live"
        taken.add(stage)
        out.stage_at[(name, value)] = addr.child(address, "stage", stage)
        add(stage, v, sum(counts.get((family.sobject, rid, value.lower()), 0) for rid in rt_ids))
    listed = {value.lower() for value in stage_values}
    for value, stage in hints.items():
        # A stage is its picklist value: one the spec gives this pipeline that exists in the set
        # but is not (yet) in the process is there, and only the pipeline's `stages` differ (an
        # apply that created the value but failed to write the process).
        v = values.get(value)
        if value in listed or v is None or addr.child(address, "stage", stage) in out.objects:
            continue
        add(stage, v, 0)


def own_rules(listed: list[dict[str, Any]]) -> list[str]:
    """The listed validation rules crmconf wrote (its prefix): the ones read in depth."""
    return [str(p["fullName"]) for p in listed if str(p["fullName"]).partition(".")[2].startswith(formulas.PREFIX)]


def read_rules(client: SalesforceClient, listed: list[dict[str, Any]], pipes: PipelineRead,
               meta_of: Mapping[str, Mapping[str, Any]],
               components: list[dict[str, Any] | None] | None = None) -> list[LiveObject]:
    """Validation rules: crmconf's (read in depth, children of their stage's pipeline) and the rest.

    `meta_of` adds what the listing knows (namespace) to each rule's meta, by lower-case full name;
    `components`: crmconf's rules already read (own_rules' order), else they are read here.
    """
    ours = own_rules(listed)
    found = components if components is not None else client.md_read("ValidationRule", ours)
    read = dict(zip((n.lower() for n in ours), found, strict=True))
    owners: dict[str, tuple[str, str]] = {}
    for name, (_full, family, stage_values) in pipes.pipeline_values.items():
        for value in stage_values:
            stage = pipes.stage_at.get((name, value))
            if stage:
                owners[f"{family.sobject}.{formulas.rule_name(name, value)}".lower()] = (addr.pipeline(name), stage)
    out = []
    for props in listed:
        full = str(props["fullName"])
        comp = read.get(full.lower())
        owner = owners.get(full.lower())
        attrs: dict[str, Any] = {}
        if comp is not None:
            attrs = {"name": full, "formula": comp.get("errorConditionFormula"), "message": comp.get("errorMessage"),
                     "display_field": comp.get("errorDisplayField"), "active": bool(comp.get("active")),
                     "description": comp.get("description")}
        meta = {"full_name": full, "id": props.get("id"), "updated_at": iso(props.get("lastModifiedDate")),
                "updated_by": props.get("lastModifiedByName"), **meta_of.get(full.lower(), {})}
        if owner is not None:
            out.append(LiveObject(f"{owner[1]}.rule", "validation_rule", attrs, parent=owner[0], meta=meta))
        else:
            out.append(LiveObject(addr.join("validation_rule", full), "validation_rule", attrs, meta=meta))
    return out


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
