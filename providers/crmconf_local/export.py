"""The local org as spec sections: the exact inverse of the neutral compile (crmconf.engine.native)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crmconf import address as addr
from crmconf.engine.resource import LiveObject, Snapshot


def _clean(data: Mapping[str, Any]) -> dict[str, Any]:
    """Drop what the spec language would default anyway, so the YAML reads like a person wrote it."""
    defaults: dict[str, Any] = {
        "required": False,
        "unique": False,
        "hidden": False,
        "require": [],
        "owners": [],
        "avoid": [],
    }
    return {k: v for k, v in data.items() if v is not None and not (k in defaults and v == defaults[k])}


def _field(obj: LiveObject) -> dict[str, Any]:
    attrs = dict(obj.attrs)
    options = attrs.pop("options", None)
    name = addr.name_of(obj.address)
    out = {"name": name, **_clean(attrs)}
    if options:
        out["options"] = [
            _clean(
                {
                    "value": o["value"],
                    "label": o["label"] if o["label"] != o["value"] else None,
                    "hidden": o.get("hidden", False),
                }
            )
            for o in options
        ]
    return out


def _pipeline(obj: LiveObject, stages: dict[str, LiveObject]) -> dict[str, Any]:
    name = addr.name_of(obj.address)
    ordered = [
        stages[addr.stage(name, s)]
        for s in obj.attrs["stages"]
        if addr.stage(name, s) in stages
    ]
    return {
        "name": name,
        **_clean({k: obj.attrs[k] for k in ("object", "label", "description")}),
        "stages": [
            {
                "name": addr.name_of(s.address),
                **_clean({k: v for k, v in s.attrs.items() if k != "position"}),
            }
            for s in ordered
        ],
    }


def _automation(obj: LiveObject) -> dict[str, Any]:
    name = addr.name_of(obj.address)
    attrs = dict(obj.attrs)
    if attrs.get("trigger") is None:
        return {
            "name": name,
            "binds": {"local": name},
            **_clean({k: attrs.get(k) for k in ("status", "description")}),
        }
    return {
        "name": name,
        **_clean({k: attrs.get(k) for k in ("description", "object", "trigger", "actions", "status")}),
    }


def export(snapshot: Snapshot) -> dict[str, Any]:
    objects = sorted(snapshot.objects.values(), key=lambda o: o.address)
    stages = {o.address: o for o in objects if o.kind == "stage"}
    fields: dict[str, list[dict[str, Any]]] = {}
    for o in objects:
        if o.kind == "field":
            fields.setdefault((addr.field_of(o.address) or ("", ""))[0], []).append(_field(o))
    return {
        "terminology": [_clean(dict(o.attrs)) for o in objects if o.kind == "term"],
        "fields": fields,
        "pipelines": [_pipeline(o, stages) for o in objects if o.kind == "pipeline"],
        "automations": [_automation(o) for o in objects if o.kind == "automation"],
        "permissions": [
            {"name": addr.name_of(o.address), **_clean(dict(o.attrs))}
            for o in objects
            if o.kind == "permission"
        ],
    }
