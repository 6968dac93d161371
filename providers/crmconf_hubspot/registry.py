"""Spec addresses <-> HubSpot ids, kept from the last fetch for apply, and live properties as plain data."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from crmconf import address as addr
from crmconf.engine.resource import JSON
from crmconf_hubspot.flow_body import Lookups
from crmconf_hubspot.mapping import options_of, spec_type


@dataclass
class PipelineRef:
    id: str
    obj: str
    label: str


@dataclass
class StageRef:
    id: str
    pipeline: str  # the pipeline's address
    obj: str
    label: str
    fresh: bool = False  # just created with its pipeline, from the very attributes its own change wants
    display_order: int | None = None  # HubSpot's raw displayOrder (None: written by this apply)


@dataclass
class Registry:
    """Spec addresses -> HubSpot ids (and back), from the last fetch plus what apply created since."""

    pipelines: dict[str, PipelineRef] = field(default_factory=dict)
    stages: dict[str, StageRef] = field(default_factory=dict)
    properties: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (object, name) -> raw
    groups: set[tuple[str, str]] = field(default_factory=set)
    workflows: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> full flow (or its summary)
    owners: dict[str, str] = field(default_factory=dict)  # e-mail -> owner id (active owners)
    users: dict[str, str] = field(default_factory=dict)  # e-mail -> user id
    teams: dict[str, str] = field(default_factory=dict)  # name -> id
    # Lifecycle stages: "pipeline.<spec name>.stage.<stage name>" -> stage id (read-only in HubSpot).
    lifecycle: dict[str, StageRef] = field(default_factory=dict)
    # Objects whose sensitive properties this token could not list (no sensitive scope).
    unread_sensitive: set[str] = field(default_factory=set)
    rules: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (object, property) -> rule types

    def stage_address(self, obj: str, sid: str) -> str | None:
        found = next((a for a, s in self.stages.items() if s.obj == obj and s.id == sid), None)
        return found or next((a for a, s in self.lifecycle.items() if s.obj == obj and s.id == sid), None)

    def stage_id(self, ref: str) -> str | None:
        pipeline, _, stage = ref.partition(".")
        address = addr.stage(pipeline, stage)
        found = self.stages.get(address) or self.lifecycle.get(address)
        return found.id if found else None

    def lookups(self) -> Lookups:
        def stage_ref(obj: str, sid: str) -> str | None:
            address = self.stage_address(obj, sid)
            found = addr.stage_of(address) if address else None
            return ".".join(found) if found else None

        def property_type(obj: str, prop: str) -> str | None:
            raw = self.properties.get((obj, prop))
            return str(raw["type"]) if raw else None

        def pipeline_id(name: str) -> str | None:
            ref = self.pipelines.get(addr.pipeline(name))
            return ref.id if ref else None

        def pipeline_name(obj: str, pid: str) -> str | None:
            return next((addr.name_of(a) for a, p in self.pipelines.items()
                         if p.obj == obj and p.id == pid), None)

        return Lookups(
            stage_id=self.stage_id, stage_ref=stage_ref,
            owner_id=self.owners, owner_email={v: k for k, v in self.owners.items()},
            user_id=self.users, user_email={v: k for k, v in self.users.items()},
            team_id=self.teams, team_name={v: k for k, v in self.teams.items()},
            property_type=property_type, pipeline_id=pipeline_id, pipeline_name=pipeline_name,
        )


def option_dicts(options: Iterable[Any] | None) -> list[dict[str, Any]]:
    return [{"value": o.value, "label": o.label, "hidden": bool(o.hidden), "displayOrder": o.display_order,
             "description": o.description or ""} for o in options or ()]


def property_record(prop: Any) -> dict[str, Any]:
    """The parts of an SDK Property crmconf uses, as plain data (kept in the registry)."""
    return {"name": prop.name, "label": prop.label, "type": prop.type, "fieldType": prop.field_type,
            "groupName": prop.group_name, "description": prop.description or "",
            "options": option_dicts(prop.options), "hubspotDefined": bool(prop.hubspot_defined),
            "hasUniqueValue": bool(prop.has_unique_value), "updatedAt": str(prop.updated_at or "")}


def raw_property_record(prop: dict[str, Any]) -> dict[str, Any]:
    """The same from the raw JSON of an API the SDK lacks (`dataSensitivity` listings)."""
    options = [{"value": o.get("value"), "label": o.get("label"), "hidden": bool(o.get("hidden")),
                "displayOrder": o.get("displayOrder"), "description": o.get("description") or ""}
               for o in prop.get("options") or []]
    return {"name": prop["name"], "label": prop["label"], "type": prop["type"], "fieldType": prop["fieldType"],
            "groupName": prop["groupName"], "description": prop.get("description") or "", "options": options,
            "hubspotDefined": bool(prop.get("hubspotDefined")), "hasUniqueValue": bool(prop.get("hasUniqueValue")),
            "updatedAt": str(prop.get("updatedAt") or ""), "sensitive": True}


def field_live_attrs(raw: dict[str, Any], rules: list[str] | None = None) -> dict[str, JSON]:
    """A custom property in the vocabulary compile uses (see compile.field_attrs)."""
    choice = raw["type"] == "enumeration"
    return {"label": raw["label"], "type": spec_type(raw["type"], raw["fieldType"]),
            "help_text": raw["description"] or None, "options": options_of(raw["options"]) if choice else None,
            "group": raw["groupName"], "unique": raw["hasUniqueValue"],
            "format": "e164" if "PHONE_NUMBER_WITH_EXPLICIT_COUNTRY_CODE" in (rules or []) else None}
