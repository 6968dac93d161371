"""In-memory state of the emulated HubSpot portal and the rules HubSpot's API enforces on it.

Everything here is stored in wire shape (the JSON HubSpot sends) so that answering a request is a
deep copy, and every method raises `HubSpotError` with HubSpot's own status/category when the real
API would refuse. No HTTP here: `hubspot.py` maps routes onto these methods.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from tests.emulators import hubspot_flows as flows
from tests.emulators.hubspot_errors import (
    JSON,
    HubSpotError,
    batch_reply,
    invalid,
    item_error,
    not_found,
    now_iso,
    transient_item_error,
)
from tests.emulators.hubspot_validations import Validations

OBJECT_TYPE_IDS = {"contacts": "0-1", "companies": "0-2", "deals": "0-3", "tickets": "0-5"}
# [docs] activities ("engagements") are CRM objects too: records with an owner and `hs_timestamp`, searchable.
ENGAGEMENT_TYPE_IDS = {"calls": "0-48", "emails": "0-49", "meetings": "0-47", "notes": "0-46", "tasks": "0-27"}
RECORD_TYPE_IDS = {**OBJECT_TYPE_IDS, **ENGAGEMENT_TYPE_IDS}
_OBJECT_ALIASES = {
    **{type_id: name for name, type_id in RECORD_TYPE_IDS.items()},
    **{name: name for name in RECORD_TYPE_IDS},
    "contact": "contacts", "company": "companies", "deal": "deals", "ticket": "tickets",
}
PIPELINE_OBJECTS = ("deals", "tickets")
# Contacts and companies move through one lifecycle pipeline each, readable through the pipelines API;
# `lifecyclestage` lists its stages as options, like `dealstage` ([3p] records carry hs_pipeline).
LIFECYCLE_OBJECTS = ("contacts", "companies")
LIFECYCLE_PIPELINES = {"contacts": "contacts-lifecycle-pipeline", "companies": "companies-lifecycle-pipeline"}
# `dataSensitivity` query values -> the level a property carries ([spec] none/standard/high).
SENSITIVITY = {"non_sensitive": "none", "sensitive": "standard", "highly_sensitive": "high"}
SEARCH_RESULT_CAP = 10_000  # [docs] a search query never pages past 10,000 results
# [docs] changelog, August 2024: at most 5 filterGroups, 10 filters in a group, 25 in all (were 3, 3 and 9).
SEARCH_GROUPS, SEARCH_GROUP_FILTERS, SEARCH_FILTERS = 5, 10, 25
# The record properties that place a record in a pipeline and stage.
PIPELINE_PROPS = {"deals": ("pipeline", "dealstage"), "tickets": ("hs_pipeline", "hs_pipeline_stage")}
# Properties HubSpot always returns on a record, besides the requested ones.
_ALWAYS_RETURNED = ("createdate", "hs_object_id")
DEFAULT_RECORD_PROPS = {
    "contacts": ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
    "companies": ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    "deals": ("amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate",
              "hs_object_id", "pipeline"),
    "tickets": ("content", "createdate", "hs_lastmodifieddate", "hs_object_id", "hs_pipeline",
                "hs_pipeline_stage", "hs_ticket_category", "hs_ticket_priority", "subject"),
    **dict.fromkeys(ENGAGEMENT_TYPE_IDS, ("hs_createdate", "hs_lastmodifieddate", "hs_object_id", "hs_timestamp")),
}
EPOCH = "1970-01-01T00:00:00Z"

PROPERTY_TYPES = ("string", "number", "date", "datetime", "enumeration", "bool")
# Which fieldType each property type accepts (HubSpot rejects the other combinations).
FIELD_TYPES = {
    "string": {"text", "textarea", "file", "html", "phonenumber"},
    "number": {"number", "calculation_equation"},
    "date": {"date"},
    "datetime": {"date"},
    "enumeration": {"select", "radio", "checkbox", "booleancheckbox"},
    "bool": {"booleancheckbox"},
}
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
_BATCH_MAX = 100
_SEARCH_MAX_LIMIT = 200


def _require(body: Any, *keys: str) -> JSON:
    if not isinstance(body, dict):
        raise invalid("Invalid input JSON: expected an object")
    missing = [k for k in keys if body.get(k) is None]
    if missing:
        raise invalid(f"Some required fields were not set: [{', '.join(missing)}]")
    return body


def _inputs(body: Any, *, limit: int = _BATCH_MAX) -> list[Any]:
    inputs = _require(body, "inputs")["inputs"]
    if not isinstance(inputs, list):
        raise invalid("inputs must be an array")
    if len(inputs) > limit:
        raise invalid(f"Batch input limit of {limit} exceeded ({len(inputs)} inputs)")
    return inputs


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise invalid(f"{name} must be an integer", field=name)
    return int(value)


def _number(raw: Any) -> float | None:
    """A number, or a date/datetime as epoch milliseconds: [docs] search compares dates as instants
    (filter values in milliseconds), while records carry them as ISO 8601 text."""
    try:
        return float(raw)
    except (TypeError, ValueError):
        pass
    try:
        at = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        return None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp() * 1000


def _bool_flag(value: str | None, default: bool) -> bool:
    return default if value is None else value.lower() == "true"


def _entered(obj: str, values: JSON, current: JSON, stamp: str) -> dict[str, str]:
    """[docs] HubSpot keeps, per deal stage, when a deal entered it: `hs_date_entered_<stage id>`."""
    stage = values.get("dealstage") if obj == "deals" else None
    if not stage or stage == current.get("dealstage"):
        return {}
    return {f"hs_date_entered_{stage}": stamp}


def page(items: list[JSON], limit: int, after: str | None, link: str) -> JSON:
    """Forward paging HubSpot-style: `after` is an opaque cursor, here an offset; no `paging` at the end."""
    if limit < 1:
        raise invalid("limit must be a positive integer", field="limit")
    start = int(after) if after and after.isdigit() else 0
    body: JSON = {"results": items[start:start + limit]}
    if start + limit < len(items):
        nxt = str(start + limit)
        body["paging"] = {"next": {"after": nxt, "link": f"{link}?after={nxt}&limit={limit}"}}
    return body


class Portal:
    """One HubSpot account: pipelines, properties, records, workflows, users."""

    def __init__(self) -> None:
        self.pipelines: dict[str, dict[str, JSON]] = {o: {} for o in (*PIPELINE_OBJECTS, *LIFECYCLE_OBJECTS)}
        self.validations = Validations()
        self._indexes: dict[tuple[str, str], dict[str, set[str]]] = {}  # search speed only (see _candidates)
        self.properties: dict[str, dict[str, JSON]] = {o: {} for o in RECORD_TYPE_IDS}
        self.groups: dict[str, dict[str, JSON]] = {o: {} for o in RECORD_TYPE_IDS}
        self.records: dict[str, dict[str, JSON]] = {o: {} for o in RECORD_TYPE_IDS}
        self.flows: dict[str, JSON] = {}
        # Run counts per flow id and day (hubspot_performance): {"1500003": {"2026-11-02": {"ENROLLED": 4}}}.
        self.performance: dict[str, dict[str, dict[str, int]]] = {}
        self.users: dict[str, JSON] = {}
        self.roles: dict[str, JSON] = {}
        self.teams: dict[str, JSON] = {}
        self.owners: dict[str, JSON] = {}
        # HubSpot's v3 pipeline API validates deletes only when asked; the settings UI and the
        # 2026-09 API always do. Default on, so a provider that strands records is caught; a test
        # can switch it off to reproduce v3's documented default.
        self.validate_deletes_by_default = True
        # When flows are stamped as updated; a test sets it to move "today" (the audit compares dates).
        self.clock: Callable[[], str] = now_iso
        self._ids: dict[str, Iterator[int]] = {
            "pipeline": itertools.count(75_000_001), "stage": itertools.count(150_000_001),
            "record": itertools.count(30_000_001), "flow": itertools.count(1_500_101),
            "user": itertools.count(9_100_001), "owner": itertools.count(41_000_001),
        }

    def next_id(self, kind: str) -> str:
        return str(next(self._ids[kind]))

    # ---- object types -------------------------------------------------------------------------

    @staticmethod
    def object_type(raw: str, allowed: Iterable[str] = RECORD_TYPE_IDS) -> str:
        name = _OBJECT_ALIASES.get(raw.lower())
        if name is None or name not in allowed:
            raise HubSpotError(400, "VALIDATION_ERROR", f"Unable to infer object type from: {raw}")
        return name

    # ---- pipelines ----------------------------------------------------------------------------

    @staticmethod
    def _render_pipeline(pipeline: JSON) -> JSON:
        """The wire form: archived stages are gone, stages in display order."""
        out = copy.deepcopy(pipeline)
        out["stages"] = sorted((s for s in out["stages"] if not s["archived"]),
                               key=lambda s: (s["displayOrder"], s["label"]))
        return out

    def list_pipelines(self, obj: str) -> list[JSON]:
        live = [p for p in self.pipelines[obj].values() if not p["archived"]]
        return [self._render_pipeline(p) for p in sorted(live, key=lambda p: (p["displayOrder"], p["label"]))]

    def _pipeline(self, obj: str, pid: str, *, archived_ok: bool = False) -> JSON:
        pipeline = self.pipelines[obj].get(pid)
        if pipeline is None or (pipeline["archived"] and not archived_ok):
            raise not_found(f"Unable to find pipeline {pid} for object type {obj}")
        return pipeline

    def get_pipeline(self, obj: str, pid: str) -> JSON:
        return self._render_pipeline(self._pipeline(obj, pid))

    def _check_label_free(self, obj: str, label: str, own_id: str | None = None) -> None:
        for other in self.pipelines[obj].values():
            if not other["archived"] and other["id"] != own_id and other["label"] == label:
                raise HubSpotError(409, "CONFLICT", f"A pipeline with label {label} already exists",
                                   context={"label": [label]})

    def _stage_from_input(self, obj: str, raw: Any, stamp: str, existing: JSON | None = None) -> JSON:
        raw = _require(raw, "label", "displayOrder")
        stage = copy.deepcopy(existing) if existing else {
            "id": self.next_id("stage"), "createdAt": stamp, "archived": False,
            "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT"}
        stage.update(label=str(raw["label"]), displayOrder=_int(raw["displayOrder"], "displayOrder"),
                     updatedAt=stamp, metadata=self._stage_metadata(obj, raw.get("metadata") or {}))
        return stage

    @staticmethod
    def _stage_metadata(obj: str, raw: Any) -> dict[str, str]:
        if not isinstance(raw, dict):
            raise invalid("metadata must be a map of strings")
        meta = {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in raw.items()}
        if obj == "deals":
            if "probability" not in meta:
                raise invalid("Deal stages require a probability in metadata", field="metadata.probability")
            try:
                probability = float(meta["probability"])
            except ValueError:
                raise invalid("probability must be a number between 0.0 and 1.0") from None
            # [docs] 0.0 to 1.0 in steps of 0.1 (0.0 closed lost, 1.0 closed won): nothing else is accepted.
            if not 0.0 <= probability <= 1.0 or abs(probability * 10 - round(probability * 10)) > 1e-9:
                raise invalid("probability must be between 0.0 and 1.0 in steps of 0.1",
                              field="metadata.probability")
            meta["probability"] = str(probability)
            meta["isClosed"] = "true" if meta.get("isClosed", "false").lower() == "true" else "false"
        else:
            state = meta.setdefault("ticketState", "OPEN")
            if state not in ("OPEN", "CLOSED"):
                raise invalid("ticketState must be one of OPEN, CLOSED")
        return meta

    @staticmethod
    def _check_stage_labels(stages: list[JSON]) -> None:
        labels = [s["label"] for s in stages if not s["archived"]]
        if len(labels) != len(set(labels)):
            raise invalid("Stage labels must be unique within a pipeline")
        if not labels:
            raise invalid("A pipeline must have at least one stage")

    def create_pipeline(self, obj: str, raw: Any) -> JSON:
        raw = _require(raw, "label", "displayOrder", "stages")
        if not isinstance(raw["stages"], list):
            raise invalid("stages must be an array")
        stamp = now_iso()
        self._check_label_free(obj, str(raw["label"]))
        stages = [self._stage_from_input(obj, s, stamp) for s in raw["stages"]]
        self._check_stage_labels(stages)
        pipeline: JSON = {"id": self.next_id("pipeline"), "label": str(raw["label"]),
                          "displayOrder": _int(raw["displayOrder"], "displayOrder"), "stages": stages,
                          "archived": False, "createdAt": stamp, "updatedAt": stamp}
        self.pipelines[obj][pipeline["id"]] = pipeline
        return self._render_pipeline(pipeline)

    def records_in(self, obj: str, pid: str, sid: str | None = None) -> int:
        pipe_prop, stage_prop = PIPELINE_PROPS[obj]
        return sum(1 for r in self.records[obj].values() if not r["archived"]
                   and r["properties"].get(pipe_prop) == pid
                   and (sid is None or r["properties"].get(stage_prop) == sid))

    def _validate_flag(self, obj: str, query: dict[str, str]) -> bool:
        name = "validateDealStageUsagesBeforeDelete" if obj == "deals" else "validateReferencesBeforeDelete"
        return _bool_flag(query.get(name), self.validate_deletes_by_default)

    def _refuse_if_stage_used(self, obj: str, pid: str, sid: str) -> None:
        used = self.records_in(obj, pid, sid)
        if used:
            raise HubSpotError(
                400, "VALIDATION_ERROR",
                f"Stage {sid} in pipeline {pid} is in use by {used} {obj} and cannot be deleted. "
                f"Move the {obj} to another stage before deleting it.",
                context={"pipelineId": [pid], "stageId": [sid], "count": [str(used)]})

    def replace_pipeline(self, obj: str, pid: str, raw: Any, query: dict[str, str]) -> JSON:
        pipeline = self._pipeline(obj, pid)
        raw = _require(raw, "label", "displayOrder", "stages")
        self._check_label_free(obj, str(raw["label"]), pid)
        stamp = now_iso()
        # Stage inputs carry no id in client 12.0.0; keep a stage's id when the input names it
        # (newer API versions send `stageId`) or when the label matches an existing stage.
        current = {s["id"]: s for s in pipeline["stages"] if not s["archived"]}
        by_label = {s["label"]: s for s in current.values()}
        stages = []
        for item in raw["stages"]:
            item = _require(item, "label", "displayOrder")
            named = str(item.get("stageId") or item.get("id") or "")
            match = current.get(named) or by_label.get(item["label"])
            stages.append(self._stage_from_input(obj, item, stamp, match))
        self._check_stage_labels(stages)
        kept = {s["id"] for s in stages}
        if self._validate_flag(obj, query):
            for sid in current.keys() - kept:
                self._refuse_if_stage_used(obj, pid, sid)
        pipeline.update(label=str(raw["label"]), displayOrder=_int(raw["displayOrder"], "displayOrder"),
                        stages=stages, updatedAt=stamp)
        return self._render_pipeline(pipeline)

    def update_pipeline(self, obj: str, pid: str, raw: Any, query: dict[str, str]) -> JSON:
        pipeline = self._pipeline(obj, pid, archived_ok=True)
        raw = _require(raw)
        if "archived" in raw:
            # HubSpot: `archived` may only be sent to restore an archived pipeline.
            if raw["archived"] is not False or not pipeline["archived"]:
                raise invalid("archived can only be set to false, to restore an archived pipeline")
            self._check_label_free(obj, pipeline["label"], pid)
            pipeline.update(archived=False)
            pipeline.pop("archivedAt", None)
        elif pipeline["archived"]:
            raise not_found(f"Unable to find pipeline {pid} for object type {obj}")
        if "label" in raw:
            self._check_label_free(obj, str(raw["label"]), pid)
            pipeline["label"] = str(raw["label"])
        if "displayOrder" in raw:
            pipeline["displayOrder"] = _int(raw["displayOrder"], "displayOrder")
        pipeline["updatedAt"] = now_iso()
        return self._render_pipeline(pipeline)

    def archive_pipeline(self, obj: str, pid: str, query: dict[str, str]) -> None:
        pipeline = self._pipeline(obj, pid)
        if len(self.list_pipelines(obj)) == 1:
            raise invalid(f"Pipeline {pid} is the only {obj} pipeline; an account needs at least one")
        used = self.records_in(obj, pid)
        if used and self._validate_flag(obj, query):
            raise HubSpotError(
                400, "VALIDATION_ERROR",
                f"Pipeline {pid} is in use by {used} {obj} and cannot be deleted. "
                f"Move the {obj} to another pipeline before deleting it.",
                context={"pipelineId": [pid], "count": [str(used)]})
        stamp = now_iso()
        pipeline.update(archived=True, archivedAt=stamp, updatedAt=stamp)

    # ---- stages -------------------------------------------------------------------------------

    def _stage(self, obj: str, pid: str, sid: str) -> tuple[JSON, JSON]:
        pipeline = self._pipeline(obj, pid)
        for stage in pipeline["stages"]:
            if stage["id"] == sid and not stage["archived"]:
                return pipeline, stage
        raise not_found(f"Unable to find stage {sid} in pipeline {pid}")

    def list_stages(self, obj: str, pid: str) -> list[JSON]:
        stages = [s for s in self._pipeline(obj, pid)["stages"] if not s["archived"]]
        return copy.deepcopy(sorted(stages, key=lambda s: (s["displayOrder"], s["label"])))

    def get_stage(self, obj: str, pid: str, sid: str) -> JSON:
        return copy.deepcopy(self._stage(obj, pid, sid)[1])

    def create_stage(self, obj: str, pid: str, raw: Any) -> JSON:
        pipeline = self._pipeline(obj, pid)
        stage = self._stage_from_input(obj, raw, now_iso())
        self._check_stage_labels([*pipeline["stages"], stage])
        pipeline["stages"].append(stage)
        pipeline["updatedAt"] = stage["updatedAt"]
        return copy.deepcopy(stage)

    def replace_stage(self, obj: str, pid: str, sid: str, raw: Any) -> JSON:
        pipeline, stage = self._stage(obj, pid, sid)
        updated = self._stage_from_input(obj, raw, now_iso(), stage)
        self._check_stage_labels([updated if s is stage else s for s in pipeline["stages"]])
        stage.clear()
        stage.update(updated)
        return copy.deepcopy(stage)

    def update_stage(self, obj: str, pid: str, sid: str, raw: Any) -> JSON:
        _, stage = self._stage(obj, pid, sid)
        raw = _require(raw)
        if raw.get("archived") is True:
            raise invalid("archived can only be set to false, to restore an archived stage")
        merged = {"label": raw.get("label", stage["label"]),
                  "displayOrder": raw.get("displayOrder", stage["displayOrder"]),
                  "metadata": {**stage.get("metadata", {}), **(raw.get("metadata") or {})}}
        return self.replace_stage(obj, pid, sid, merged)

    def archive_stage(self, obj: str, pid: str, sid: str, query: dict[str, str]) -> None:
        pipeline, stage = self._stage(obj, pid, sid)
        if sum(1 for s in pipeline["stages"] if not s["archived"]) == 1:
            raise invalid(f"Stage {sid} is the last stage of pipeline {pid}; a pipeline needs at least one")
        if self._validate_flag(obj, query):
            self._refuse_if_stage_used(obj, pid, sid)
        stamp = now_iso()
        stage.update(archived=True, archivedAt=stamp, updatedAt=stamp)
        pipeline["updatedAt"] = stamp

    # ---- properties and groups ----------------------------------------------------------------

    def _render_property(self, obj: str, prop: JSON) -> JSON:
        out = copy.deepcopy(prop)
        if obj in LIFECYCLE_OBJECTS and prop["name"] == "lifecyclestage":
            stages = self.list_pipelines(obj)[0]["stages"] if self.pipelines[obj] else []
            out["options"] = [{"label": s["label"], "value": s["id"], "displayOrder": s["displayOrder"],
                               "hidden": False, "description": ""} for s in stages]
        if obj in PIPELINE_OBJECTS and prop["name"] in PIPELINE_PROPS[obj]:
            # The pipeline and stage properties list the live pipelines/stages as their options.
            pipe_prop, stage_prop = PIPELINE_PROPS[obj]
            pipelines = self.list_pipelines(obj)
            if prop["name"] == pipe_prop:
                out["options"] = [{"label": p["label"], "value": p["id"], "displayOrder": p["displayOrder"],
                                   "hidden": False, "description": ""} for p in pipelines]
            elif prop["name"] == stage_prop:
                out["options"] = [{"label": s["label"], "value": s["id"], "displayOrder": s["displayOrder"],
                                   "hidden": False, "description": f"{p['label']}"}
                                  for p in pipelines for s in p["stages"] if not s["archived"]]
        return out

    def _property(self, obj: str, name: str, *, archived: bool = False) -> JSON:
        prop = self.properties[obj].get(name)
        if prop is None or bool(prop.get("archived")) != archived:
            raise not_found(f"Property {name} does not exist")
        return prop

    def list_properties(self, obj: str, archived: bool, sensitivity: str | None = None) -> list[JSON]:
        """Sensitive properties are listed only when `dataSensitivity` asks for their level ([spec])."""
        level = SENSITIVITY.get(sensitivity or "non_sensitive")
        if level is None:
            raise invalid(f"dataSensitivity must be one of {', '.join(SENSITIVITY)}")
        return [self._render_property(obj, p) for p in self.properties[obj].values()
                if bool(p.get("archived")) == archived and p.get("dataSensitivity", "none") == level]

    def get_property(self, obj: str, name: str, archived: bool = False) -> JSON:
        return self._render_property(obj, self._property(obj, name, archived=archived))

    def _group_exists(self, obj: str, name: str) -> bool:
        group = self.groups[obj].get(name)
        return group is not None and not group["archived"]

    @staticmethod
    def _options(raw: Any) -> list[JSON]:
        if not isinstance(raw, list):
            raise invalid("options must be an array")
        options, seen = [], set()
        for i, opt in enumerate(raw):
            opt = _require(opt, "label", "value")
            value = str(opt["value"])
            if value in seen:
                raise invalid(f"Duplicate option value: {value}", option=value)
            seen.add(value)
            options.append({"label": str(opt["label"]), "value": value,
                            "displayOrder": _int(opt.get("displayOrder", i), "displayOrder"),
                            "hidden": bool(opt.get("hidden", False)),
                            "description": str(opt.get("description") or "")})
        return options

    def _check_type(self, ptype: Any, field_type: Any) -> None:
        if ptype not in PROPERTY_TYPES:
            raise invalid(f"type must be one of {', '.join(PROPERTY_TYPES)}", field="type")
        if field_type not in FIELD_TYPES[ptype]:
            raise invalid(f"fieldType {field_type} is not valid for properties of type {ptype}",
                          field="fieldType")

    def _new_property(self, obj: str, raw: Any) -> JSON:
        raw = _require(raw, "name", "label", "type", "fieldType", "groupName")
        name = str(raw["name"])
        if not _NAME_RE.match(name):
            raise invalid(f"Property name {name} is invalid: it must start with a lowercase letter and "
                          "contain only lowercase letters, digits and underscores", name=name)
        if name in self.properties[obj]:
            raise HubSpotError(409, "OBJECT_ALREADY_EXISTS", f"Property named '{name}' already exists.",
                               context={"name": [name]})
        self._check_type(raw["type"], raw["fieldType"])
        group = str(raw["groupName"])
        if not self._group_exists(obj, group):
            raise invalid(f"Property group {group} does not exist", groupName=group)
        options = self._options(raw.get("options") or [])
        if raw["type"] == "bool" and not options:
            options = self._options([{"label": "Yes", "value": "true"}, {"label": "No", "value": "false"}])
        elif raw["type"] not in ("enumeration", "bool"):
            options = []
        stamp = now_iso()
        meta: JSON = {"archivable": True, "readOnlyDefinition": False, "readOnlyValue": False}
        if raw["type"] == "enumeration":
            meta["readOnlyOptions"] = False
        return {
            "name": name, "label": str(raw["label"]), "type": raw["type"], "fieldType": raw["fieldType"],
            "groupName": str(raw["groupName"]), "description": str(raw.get("description") or ""),
            "options": options, "displayOrder": _int(raw.get("displayOrder", -1), "displayOrder"),
            "hidden": bool(raw.get("hidden", False)), "formField": bool(raw.get("formField", False)),
            "hasUniqueValue": bool(raw.get("hasUniqueValue", False)), "calculated": False,
            "externalOptions": bool(raw.get("externalOptions", False)), "hubspotDefined": False,
            "archived": False, "createdAt": stamp, "updatedAt": stamp, "modificationMetadata": meta,
            **({"referencedObjectType": raw["referencedObjectType"]}
               if raw.get("referencedObjectType") else {}),
        }

    def create_property(self, obj: str, raw: Any) -> JSON:
        prop = self._new_property(obj, raw)
        self.properties[obj][prop["name"]] = prop
        return self._render_property(obj, prop)

    def update_property(self, obj: str, name: str, raw: Any) -> JSON:
        prop = self._property(obj, name)
        raw = _require(raw)
        meta = prop.get("modificationMetadata", {})
        definition = {"label", "type", "fieldType", "groupName", "description", "calculationFormula"}
        if meta.get("readOnlyDefinition") and definition & {k for k, v in raw.items() if v != prop.get(k)}:
            raise invalid(f"The definition of HubSpot-defined property {name} is read-only", name=name)
        if "options" in raw and meta.get("readOnlyOptions"):
            raise invalid(f"The options of property {name} are read-only", name=name)
        ptype, field_type = raw.get("type", prop["type"]), raw.get("fieldType", prop["fieldType"])
        self._check_type(ptype, field_type)
        if "groupName" in raw and not self._group_exists(obj, str(raw["groupName"])):
            raise invalid(f"Property group {raw['groupName']} does not exist")
        for key in ("label", "groupName", "description", "calculationFormula"):
            if key in raw:
                prop[key] = str(raw[key])
        for key in ("hidden", "formField"):
            if key in raw:
                prop[key] = bool(raw[key])
        if "displayOrder" in raw:
            prop["displayOrder"] = _int(raw["displayOrder"], "displayOrder")
        if "options" in raw:
            prop["options"] = self._options(raw["options"])
        prop.update(type=ptype, fieldType=field_type, updatedAt=now_iso())
        return self._render_property(obj, prop)

    def _archive_refusal(self, obj: str, name: str) -> HubSpotError | None:
        prop = self.properties[obj].get(name)
        if prop is None or prop.get("archived"):
            return not_found(f"Property {name} does not exist")
        if not prop.get("modificationMetadata", {}).get("archivable", True):
            return invalid(f"Property {name} is a HubSpot-defined property and cannot be archived", name=name)
        return None

    def archive_property(self, obj: str, name: str) -> None:
        refusal = self._archive_refusal(obj, name)
        if refusal:
            raise refusal
        stamp = now_iso()
        self.properties[obj][name].update(archived=True, archivedAt=stamp, updatedAt=stamp)
        self.validations.drop_property(obj, name)

    def batch_read_properties(self, obj: str, raw: Any) -> tuple[int, JSON]:
        started, archived = now_iso(), bool((raw or {}).get("archived", False))
        results, errors = [], []
        for item in _inputs(raw):
            name = str(_require(item, "name")["name"])
            try:
                results.append(self.get_property(obj, name, archived))
            except HubSpotError as err:
                errors.append(item_error(err.category, err.message, name=name))
        return batch_reply(results, errors, started, 200)

    def batch_create_properties(self, obj: str, raw: Any, partial: bool) -> tuple[int, JSON]:
        started, results, errors = now_iso(), [], []
        for i, item in enumerate(_inputs(raw)):
            name = str(item.get("name")) if isinstance(item, dict) else "?"
            if partial and i % 2 == 1:
                errors.append(transient_item_error(name=name))
                continue
            try:
                results.append(self.create_property(obj, item))
            except HubSpotError as err:
                errors.append(item_error(err.category, err.message, name=name))
        return batch_reply(results, errors, started, 201)

    def batch_archive_properties(self, obj: str, raw: Any, partial: bool) -> tuple[int, JSON | None]:
        started, errors = now_iso(), []
        for i, item in enumerate(_inputs(raw)):
            name = str(_require(item, "name")["name"])
            refusal = self._archive_refusal(obj, name)
            if partial and i % 2 == 1:
                errors.append(transient_item_error(name=name))
            elif refusal:
                errors.append(item_error(refusal.category, refusal.message, name=name))
            else:
                self.archive_property(obj, name)
        if not errors:
            return 204, None
        return batch_reply([], errors, started, 200)

    def list_groups(self, obj: str) -> list[JSON]:
        return copy.deepcopy([g for g in self.groups[obj].values() if not g["archived"]])

    def _group(self, obj: str, name: str) -> JSON:
        if not self._group_exists(obj, name):
            raise not_found(f"Property group {name} does not exist")
        return self.groups[obj][name]

    def get_group(self, obj: str, name: str) -> JSON:
        return copy.deepcopy(self._group(obj, name))

    def create_group(self, obj: str, raw: Any) -> JSON:
        raw = _require(raw, "name", "label")
        name = str(raw["name"])
        if not _NAME_RE.match(name):
            raise invalid(f"Property group name {name} is invalid", name=name)
        if self._group_exists(obj, name):
            raise HubSpotError(409, "OBJECT_ALREADY_EXISTS", f"Property group '{name}' already exists.")
        group = {"name": name, "label": str(raw["label"]),
                 "displayOrder": _int(raw.get("displayOrder", -1), "displayOrder"), "archived": False}
        self.groups[obj][name] = group
        return copy.deepcopy(group)

    def update_group(self, obj: str, name: str, raw: Any) -> JSON:
        group, raw = self._group(obj, name), _require(raw)
        if "label" in raw:
            group["label"] = str(raw["label"])
        if "displayOrder" in raw:
            group["displayOrder"] = _int(raw["displayOrder"], "displayOrder")
        return copy.deepcopy(group)

    def archive_group(self, obj: str, name: str) -> None:
        group = self._group(obj, name)
        members = [p["name"] for p in self.properties[obj].values()
                   if p["groupName"] == name and not p.get("archived")]
        if members:
            raise invalid(f"Property group {name} still contains {len(members)} properties "
                          f"({', '.join(members[:5])}); move or archive them first", groupName=name)
        group["archived"] = True

    # ---- CRM records --------------------------------------------------------------------------

    def _record(self, obj: str, rid: str) -> JSON:
        record = self.records[obj].get(rid)
        if record is None or record["archived"]:
            raise not_found(f"Object not found.  objectId are usually numeric. ({obj} {rid})")
        return record

    def _invalid_values(self, obj: str, values: JSON, current: JSON,
                        allowed_options: dict[str, set[str]] | None = None) -> list[JSON]:
        problems = []
        cache = {} if allowed_options is None else allowed_options
        for name, value in values.items():
            prop = self.properties[obj].get(name)
            if prop is None or prop.get("archived"):
                problems.append({"isValid": False, "message": f'Property "{name}" does not exist',
                                 "error": "PROPERTY_DOESNT_EXIST", "name": name})
            elif prop.get("modificationMetadata", {}).get("readOnlyValue"):
                problems.append({"isValid": False, "message": f'Property "{name}" is read-only',
                                 "error": "READ_ONLY_VALUE", "name": name})
            elif value not in (None, "") and prop["type"] == "enumeration":
                if name not in cache:
                    cache[name] = {o["value"] for o in self._render_property(obj, prop)["options"]}
                allowed = cache[name]
                tokens = str(value).split(";") if prop["fieldType"] == "checkbox" else [str(value)]
                bad = [t for t in tokens if t not in allowed and not prop.get("externalOptions")]
                if bad:
                    problems.append({"isValid": False, "error": "INVALID_OPTION", "name": name,
                                     "message": f"{bad[0]} was not one of the allowed options"})
        problems.extend(self._invalid_stage(obj, {**current, **values}, values))
        return problems

    def _invalid_stage(self, obj: str, merged: JSON, values: JSON) -> list[JSON]:
        if obj not in PIPELINE_PROPS or not set(PIPELINE_PROPS[obj]) & values.keys():
            return []
        pipe_prop, stage_prop = PIPELINE_PROPS[obj]
        pid, sid = merged.get(pipe_prop), merged.get(stage_prop)
        pipeline = self.pipelines[obj].get(str(pid))
        if pipeline is None or pipeline["archived"]:
            return [{"isValid": False, "error": "INVALID_OPTION", "name": pipe_prop,
                     "message": f"{pid} was not one of the allowed options"}]
        if sid not in {s["id"] for s in pipeline["stages"] if not s["archived"]}:
            return [{"isValid": False, "error": "INVALID_OPTION", "name": stage_prop,
                     "message": f"{sid} is not a valid stage of pipeline {pid}"}]
        return []

    def _check_values(self, obj: str, values: Any, current: JSON,
                      allowed_options: dict[str, set[str]] | None = None) -> dict[str, str | None]:
        """Values as HubSpot stores them (strings; None clears) or a 400 listing every problem."""
        if not isinstance(values, dict):
            raise invalid("properties must be a map of strings")
        checked: dict[str, str | None] = {
            str(k): (None if v is None else str(v).lower() if isinstance(v, bool) else str(v))
            for k, v in values.items()}
        problems = self._invalid_values(obj, checked, current, allowed_options)
        if problems:
            raise HubSpotError(400, "VALIDATION_ERROR",
                               f"Property values were not valid: {json.dumps(problems)}")
        return checked

    def _check_identity(self, obj: str, values: JSON, own_id: str | None) -> None:
        """[3p] a second contact with an e-mail another has: 409 CONFLICT "Contact already exists"; [docs] a
        property with `hasUniqueValue` takes no value another record holds (the refusal's shape is [choice])."""
        for name, value in values.items():
            if value in (None, ""):
                continue
            unique = self.properties[obj].get(name, {}).get("hasUniqueValue")
            if not unique and (obj, name) != ("contacts", "email"):
                continue
            holders = self._index(obj, name).get(str(value).lower(), set()) - {own_id}
            holders = {h for h in holders if not self.records[obj][h]["archived"]}
            if not holders:
                continue
            if (obj, name) == ("contacts", "email"):
                raise HubSpotError(409, "CONFLICT", f"Contact already exists. Existing ID: {min(holders)}")
            problem = {"isValid": False, "name": name, "error": "DUPLICATE_VALUE",
                       "message": f"{value} is already the value of {name} on record {min(holders)}"}
            raise HubSpotError(400, "VALIDATION_ERROR", f"Property values were not valid: {json.dumps([problem])}")

    def _stamp(self, obj: str, record: JSON, stamp: str) -> None:
        record["updatedAt"] = stamp
        modified = "lastmodifieddate" if obj == "contacts" else "hs_lastmodifieddate"
        record["properties"][modified] = stamp

    def create_record(self, obj: str, values: Any, *, validate: bool = True) -> JSON:
        if obj in PIPELINE_PROPS and isinstance(values, dict):
            values = self._default_pipeline_placement(obj, dict(values))
        values = self._check_values(obj, values, {}) if validate else dict(values)
        if validate:
            self._check_identity(obj, values, None)
        rid, stamp = self.next_id("record"), now_iso()
        record = {"id": rid, "properties": {"createdate": stamp, **_entered(obj, values, {}, stamp), **values,
                                            "hs_object_id": rid},
                  "createdAt": stamp, "updatedAt": stamp, "archived": False}
        self._stamp(obj, record, stamp)
        self.records[obj][rid] = record
        self._reindex(obj, record, record["properties"])
        return record

    def _default_pipeline_placement(self, obj: str, values: JSON) -> JSON:
        """HubSpot puts a record without a pipeline in the default (first) pipeline."""
        pipe_prop, stage_prop = PIPELINE_PROPS[obj]
        if values.get(stage_prop) and not values.get(pipe_prop):
            owning = [p["id"] for p in self.list_pipelines(obj)
                      if values[stage_prop] in {s["id"] for s in p["stages"]}]
            values[pipe_prop] = owning[0] if owning else ""
        return values

    def update_record(self, obj: str, rid: str, values: Any,
                      allowed_options: dict[str, set[str]] | None = None) -> JSON:
        record = self._record(obj, rid)
        values = self._check_values(obj, values, record["properties"], allowed_options)
        self._check_identity(obj, values, rid)
        values = {**_entered(obj, values, record["properties"], now_iso()), **values}
        self._unindex(obj, record, values)
        record["properties"].update(values)
        self._reindex(obj, record, values)
        self._stamp(obj, record, now_iso())
        return record

    def render_record(self, obj: str, record: JSON, wanted: list[str] | None) -> JSON:
        names = list(wanted) if wanted else list(DEFAULT_RECORD_PROPS[obj])
        modified = "lastmodifieddate" if obj == "contacts" else "hs_lastmodifieddate"
        names += [n for n in (*_ALWAYS_RETURNED, modified) if n not in names]
        return {"id": record["id"], "properties": {n: record["properties"].get(n) for n in names},
                "createdAt": record["createdAt"], "updatedAt": record["updatedAt"],
                "archived": record["archived"]}

    def list_records(self, obj: str, *, limit: int, after: str | None, wanted: list[str] | None,
                     archived: bool, link: str) -> JSON:
        if not 1 <= limit <= 100:
            raise invalid("limit must be between 1 and 100")
        records = sorted((r for r in self.records[obj].values() if r["archived"] == archived),
                         key=lambda r: int(r["id"]))
        return page([self.render_record(obj, r, wanted) for r in records], limit, after, link)

    def get_record(self, obj: str, rid: str, wanted: list[str] | None) -> JSON:
        return self.render_record(obj, self._record(obj, rid), wanted)

    def search(self, obj: str, raw: Any, link: str) -> JSON:
        raw = raw or {}
        limit = _int(raw.get("limit", 10), "limit")
        if not 0 < limit <= _SEARCH_MAX_LIMIT:
            raise invalid(f"limit must be between 1 and {_SEARCH_MAX_LIMIT}")
        groups = raw.get("filterGroups") or []
        if len(groups) > SEARCH_GROUPS or sum(len(g.get("filters") or []) for g in groups) > SEARCH_FILTERS:
            raise invalid(f"Too many filters: at most {SEARCH_GROUPS} filterGroups and {SEARCH_FILTERS} filters in total")
        matches = self._matching(obj, groups)
        after = str(raw.get("after") or "")
        if (int(after) if after.isdigit() else 0) + limit > SEARCH_RESULT_CAP:
            raise invalid(f"Search results are limited to {SEARCH_RESULT_CAP:,}: narrow the query instead of paging "
                          "past them")
        matches = self._sorted(obj, matches, raw.get("sorts") or [])
        body = page(matches, limit, after, link)  # records rendered for the page only
        body["results"] = [self.render_record(obj, r, raw.get("properties")) for r in body["results"]]
        body["total"] = len(matches)
        if "paging" in body:
            body["paging"]["next"].pop("link")  # search pages carry only the cursor
        return body

    def _sorted(self, obj: str, records: list[JSON], sorts: list[Any]) -> list[JSON]:
        records = sorted(records, key=lambda r: int(r["id"]))
        if not sorts:
            return records
        sort = sorts[0]
        name = sort.get("propertyName") if isinstance(sort, dict) else str(sort).lstrip("-")
        descending = (sort.get("direction") == "DESCENDING") if isinstance(sort, dict) \
            else str(sort).startswith("-")
        numeric = self.properties[obj].get(str(name), {}).get("type") == "number"

        def key(record: JSON) -> tuple[bool, float | str]:
            value = record["properties"].get(name)
            if numeric:
                return value is None, float(value) if value not in (None, "") else 0.0
            return value is None, value or ""

        return sorted(records, key=key, reverse=descending)

    def _matching(self, obj: str, groups: list[Any]) -> list[JSON]:
        if not groups:
            return [r for r in self.records[obj].values() if not r["archived"]]
        found: dict[str, JSON] = {}
        for group in groups:
            test = self._group_predicate(obj, group)
            for record in self._candidates(obj, group):
                if not record["archived"] and record["id"] not in found and test(record):
                    found[record["id"]] = record
        return list(found.values())

    def _candidates(self, obj: str, group: JSON) -> Iterable[JSON]:
        """The records a group can match: those holding its first equality filter's value (an index kept
        as records change), else every record. Only speed: every filter still runs on each candidate."""
        for flt in group.get("filters") or []:
            name, value = str(flt.get("propertyName")), flt.get("value")
            if flt.get("operator") == "EQ" and value is not None \
                    and self.properties[obj].get(name, {}).get("fieldType") != "checkbox":
                ids = self._index(obj, name).get(str(value).lower(), set())
                return [self.records[obj][rid] for rid in ids]
        return list(self.records[obj].values())

    def _index(self, obj: str, name: str) -> dict[str, set[str]]:
        key = (obj, name)
        if key not in self._indexes:
            index: dict[str, set[str]] = {}
            for rid, record in self.records[obj].items():
                raw = record["properties"].get(name)
                if raw not in (None, ""):
                    index.setdefault(str(raw).lower(), set()).add(rid)
            self._indexes[key] = index
        return self._indexes[key]

    def _unindex(self, obj: str, record: JSON, values: JSON) -> None:
        for (o, name), index in self._indexes.items():
            raw = record["properties"].get(name)
            if o == obj and name in values and raw not in (None, ""):
                index.get(str(raw).lower(), set()).discard(record["id"])

    def _reindex(self, obj: str, record: JSON, values: JSON) -> None:
        for (o, name), index in self._indexes.items():
            if o != obj or name not in values:
                continue
            raw = record["properties"].get(name)
            if raw not in (None, ""):
                index.setdefault(str(raw).lower(), set()).add(record["id"])

    def _group_predicate(self, obj: str, group: JSON) -> Callable[[JSON], bool]:
        filters = group.get("filters") or []
        if len(filters) > SEARCH_GROUP_FILTERS:
            raise invalid(f"Too many filters in a filterGroup: at most {SEARCH_GROUP_FILTERS}")
        tests = [self._predicate(obj, f) for f in filters]
        return lambda record: all(test(record) for test in tests)

    def _predicate(self, obj: str, flt: JSON) -> Callable[[JSON], bool]:
        """One filter as a test of a record (built once per search, then run on every record)."""
        name, op = flt.get("propertyName"), flt.get("operator")
        checkbox = self.properties[obj].get(str(name), {}).get("fieldType") == "checkbox"
        wanted = {str(v).lower() for v in (flt.get("values") or [flt.get("value")]) if v is not None}
        value, high = flt.get("value"), flt.get("highValue")
        if op not in ("EQ", "NEQ", "IN", "NOT_IN", "HAS_PROPERTY", "NOT_HAS_PROPERTY", "CONTAINS_TOKEN",
                      "NOT_CONTAINS_TOKEN", "LT", "LTE", "GT", "GTE", "BETWEEN"):
            raise invalid(f"Unsupported filter operator {op} for property {name}")

        def tokens(record: JSON) -> set[str]:
            raw = record["properties"].get(name)
            if raw in (None, ""):
                return set()
            return {t.lower() for t in str(raw).split(";")} if checkbox else {str(raw).lower()}

        def contains(record: JSON) -> bool:
            return any(w.strip("*") in t for t in tokens(record) for w in wanted)

        if op in ("LT", "LTE", "GT", "GTE", "BETWEEN"):
            return lambda record: bool(self._numeric_match(op, record["properties"].get(name), value, high))
        tests: dict[str, Callable[[JSON], bool]] = {
            "EQ": lambda r: bool(tokens(r) & wanted), "IN": lambda r: bool(tokens(r) & wanted),
            "NEQ": lambda r: not tokens(r) & wanted, "NOT_IN": lambda r: not tokens(r) & wanted,
            "HAS_PROPERTY": lambda r: bool(tokens(r)), "NOT_HAS_PROPERTY": lambda r: not tokens(r),
            "CONTAINS_TOKEN": contains, "NOT_CONTAINS_TOKEN": lambda r: not contains(r)}
        return tests[str(op)]

    @staticmethod
    def _numeric_match(op: Any, raw: Any, value: Any, high: Any) -> bool | None:
        if op not in ("LT", "LTE", "GT", "GTE", "BETWEEN"):
            return None
        x, v = _number(raw), _number(value)
        if x is None or v is None:
            return False
        if op == "BETWEEN":
            h = _number(high)
            return h is not None and v <= x <= h
        return {"LT": x < v, "LTE": x <= v, "GT": x > v, "GTE": x >= v}[op]

    def batch_update_records(self, obj: str, raw: Any, partial: bool) -> tuple[int, JSON]:
        started, inputs = now_iso(), _inputs(raw)
        ids = [str(_require(item, "id", "properties")["id"]) for item in inputs]
        if len(ids) != len(set(ids)):
            raise invalid("Duplicate IDs found in batch input")
        # HubSpot validates every input's values before writing any of them.
        allowed: dict[str, set[str]] = {}  # option values per property, rendered once for the whole batch
        for item in inputs:
            record = self.records[obj].get(str(item["id"]))
            if record is not None and not record["archived"]:
                self._check_values(obj, item["properties"], record["properties"], allowed)
        results, errors = [], []
        for i, item in enumerate(inputs):
            rid = str(item["id"])
            if partial and i % 2 == 1:
                errors.append(transient_item_error(ids=rid))
            elif rid not in self.records[obj] or self.records[obj][rid]["archived"]:
                errors.append(item_error("OBJECT_NOT_FOUND", f"Could not find {obj} with id {rid}", ids=rid))
            else:
                record = self.update_record(obj, rid, item["properties"], allowed)
                results.append(self.render_record(obj, record, list(item["properties"])))
        return batch_reply(results, errors, started, 200)

    # ---- workflows (automation v4) --------------------------------------------------------------

    def _flow(self, fid: str) -> JSON:
        flow = self.flows.get(fid)
        if flow is None:
            raise not_found(f"Flow {fid} not found")
        return flow

    @staticmethod
    def flow_summary(flow: JSON) -> JSON:
        keys = ("id", "revisionId", "isEnabled", "flowType", "objectTypeId", "createdAt", "updatedAt",
                "name", "uuid")
        return {k: flow[k] for k in keys if k in flow}

    def list_flows(self, limit: int, after: str | None, link: str) -> JSON:
        if not 1 <= limit <= 100:
            raise invalid("limit must be between 1 and 100")
        flows = sorted(self.flows.values(), key=lambda f: int(f["id"]))
        return page([self.flow_summary(f) for f in flows], limit, after, link)

    def get_flow(self, fid: str) -> JSON:
        return copy.deepcopy(self._flow(fid))

    def create_flow(self, raw: Any) -> JSON:
        flow, stamp = flows.stored(flows.check_create(raw)), self.clock()
        flow.update(id=self.next_id("flow"), revisionId="1", createdAt=stamp, updatedAt=stamp,
                    crmObjectCreationStatus="COMPLETE")
        flow.setdefault("uuid", str(uuid.uuid4()))
        self.flows[flow["id"]] = flow
        return copy.deepcopy(flow)

    def replace_flow(self, fid: str, raw: Any) -> JSON:
        current = self._flow(fid)
        revision = _require(raw, "revisionId")["revisionId"]
        if str(revision) != current["revisionId"]:
            raise HubSpotError(
                409, "CONFLICT",
                f"The flow {fid} has been updated since revision {revision}; the latest revision is "
                f"{current['revisionId']}. Fetch the flow again and resend the update.",
                context={"flowId": [fid], "revisionId": [current["revisionId"]]})
        body = {k: v for k, v in flows.check_put(raw, current).items() if k != "revisionId"}
        # What a PUT cannot carry stays as it was created.
        flow = flows.stored({**body, **{k: current[k] for k in flows.PUT_FORBIDDEN if k in current}})
        flow.update(id=fid, revisionId=str(int(current["revisionId"]) + 1), createdAt=current["createdAt"],
                    updatedAt=self.clock(), uuid=current["uuid"], crmObjectCreationStatus="COMPLETE")
        self.flows[fid] = flow
        return copy.deepcopy(flow)

    def delete_flow(self, fid: str) -> None:
        self._flow(fid)
        del self.flows[fid]

    def batch_read_flows(self, raw: Any) -> tuple[int, JSON]:
        started, results, errors = now_iso(), [], []
        for item in _inputs(raw):
            fid = str(_require(item, "flowId")["flowId"])
            if fid in self.flows:
                results.append(self.get_flow(fid))
            else:
                errors.append(item_error("OBJECT_NOT_FOUND", f"Flow {fid} not found", flowId=fid))
        return batch_reply(results, errors, started, 200)

    # ---- users, roles, teams, owners ---------------------------------------------------------

    def list_users(self, limit: int, after: str | None, link: str) -> JSON:
        users = sorted(self.users.values(), key=lambda u: int(u["id"]))
        return page(copy.deepcopy(users), limit, after, link)

    def get_user(self, uid: str, id_property: str | None) -> JSON:
        for user in self.users.values():
            if (user["email"] if id_property == "EMAIL" else user["id"]) == uid:
                return copy.deepcopy(user)
        raise not_found(f"User {uid} not found")

    def list_owners(self, *, email: str | None, archived: bool, limit: int, after: str | None,
                    link: str) -> JSON:
        if not 1 <= limit <= 500:
            raise invalid("limit must be between 1 and 500")
        owners = [o for o in sorted(self.owners.values(), key=lambda o: int(o["id"]))
                  if o["archived"] == archived
                  and (email is None or o.get("email", "").lower() == email.lower())]
        return page(copy.deepcopy(owners), limit, after, link)

    def get_owner(self, oid: str, id_property: str | None, archived: bool) -> JSON:
        for owner in self.owners.values():
            key = str(owner.get("userId")) if id_property == "userId" else owner["id"]
            if key == oid and owner["archived"] == archived:
                return copy.deepcopy(owner)
        raise not_found(f"Owner {oid} not found")
