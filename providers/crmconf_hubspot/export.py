"""A Snapshot as spec sections, for `crmconf import`: the exact inverse of compile for what it exports.

Exported: custom properties (HubSpot's own are the platform, not configuration, except the
enumerations whose options the importing workspace already manages), deal and ticket
pipelines with their stages, every workflow as a *bound* automation (owner, purpose and review date
are for the import command to ask for), and the permission sets' names (what they grant has no API).
Not exported, because the spec could not say it back exactly: enumeration properties without
options, and properties whose internal name is not a spec identifier (longer than 64 characters).
"""

from __future__ import annotations

import re
from typing import Any

from crmconf import address as addr
from crmconf.engine.resource import LiveObject, Snapshot
from crmconf_hubspot.mapping import DEFAULT_GROUPS, compiled_name, slug, unique

IDENT = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def export(snapshot: Snapshot, provider: str = "hubspot") -> dict[str, Any]:
    objects = sorted(snapshot.objects.values(), key=lambda o: o.address)
    fields: dict[str, list[dict[str, Any]]] = {}
    for live in objects:
        if live.kind == "field":
            item = _standard(live) if live.meta.get("hubspot_defined") else _field(live)
            if item is not None:
                fields.setdefault(str(live.meta["object"]), []).append(item)
    pipelines = [_pipeline(live, objects) for live in objects if live.kind == "pipeline"]
    taken: set[str] = set()
    automations = [_automation(live, taken, provider) for live in objects if live.kind == "automation"]
    roles: set[str] = set()
    permissions = [{"name": unique(slug(role), roles), "label": role} for role in snapshot.facts.get("roles") or []]
    return {"fields": fields, "pipelines": pipelines, "automations": automations, "permissions": permissions}


def _field(live: LiveObject) -> dict[str, Any] | None:
    name, obj, attrs = str(live.meta["name"]), str(live.meta["object"]), live.attrs
    if not IDENT.match(name) or (attrs["type"] in ("picklist", "multipicklist") and not attrs["options"]):
        return None
    item: dict[str, Any] = {"name": name, "label": attrs["label"] or name, "type": attrs["type"]}
    if attrs["help_text"]:
        item["help_text"] = attrs["help_text"]
    if attrs["options"] is not None:
        item["options"] = _options(attrs["options"])
    if attrs["group"] != DEFAULT_GROUPS[obj]:
        item["group"] = attrs["group"]
    if attrs["unique"]:
        item["unique"] = True
    return item


def _standard(live: LiveObject) -> dict[str, Any] | None:
    """A HubSpot-defined enumeration the spec manages the options of (present when the importing
    workspace names it): exported under its spec name, so its options stay managed."""
    options = live.attrs.get("options")
    if live.meta.get("type") not in ("picklist", "multipicklist") or not options:
        return None
    return {"name": addr.name_of(live.address), "label": live.label, "type": live.meta["type"],
            "options": _options(options)}


def _options(options: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"value": o["value"], **({"label": o["label"]} if o["label"] != o["value"] else {}),
             **({"hidden": True} if o["hidden"] else {})} for o in options]


def _pipeline(live: LiveObject, objects: list[LiveObject]) -> dict[str, Any]:
    obj = str(live.attrs["object"])
    stages = sorted((o for o in objects if o.kind == "stage" and o.parent == live.address),
                    key=lambda o: int(o.attrs["position"]))
    return {
        "name": addr.name_of(live.address), "object": obj, "label": live.attrs["label"],
        "stages": [{"name": addr.name_of(s.address), "label": s.attrs["label"],
                    **({"probability": s.attrs["probability"]} if obj == "deal" else {}),
                    **({"outcome": s.attrs["outcome"]} if s.attrs["outcome"] else {})} for s in stages],
    }


def _automation(live: LiveObject, taken: set[str], provider: str) -> dict[str, Any]:
    name = unique(compiled_name(live.label) or slug(live.label), taken)
    item: dict[str, Any] = {"name": name, "binds": {provider: str(live.meta["id"])}, "status": live.attrs["status"]}
    if live.attrs.get("object") in DEFAULT_GROUPS:
        item["object"] = live.attrs["object"]
    if live.attrs.get("description"):
        item["description"] = live.attrs["description"]
    return item
