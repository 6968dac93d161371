"""A population written into the HubSpot emulator's portal, as a real portal would hold it.

Deals and tickets sit in the pipelines `crmconf apply` created (stage ids found by label), with
`hs_date_entered_<stage id>` when they entered their stage; contacts in lifecycle stages the people set
up by hand (the manual step HubSpot leaves them: its lifecycle stages relabelled as the spec says);
activities are calls, e-mails, meetings, tasks and notes with `hs_timestamp`. Owners who left are
archived owners. Values a picklist no longer allows are written straight into the record, as a deleted
option leaves them.
"""

from __future__ import annotations

from typing import Any

from crmconf_hubspot.mapping import OBJECT_TYPES, property_name, slug

from crmconf.spec.model import Spec
from tests.emulators.hubspot import HubSpotEmulator
from tests.emulators.hubspot_seed import add_user
from tests.emulators.hubspot_state import LIFECYCLE_PIPELINES, PIPELINE_PROPS
from tests.health.population import Population, Record

ENGAGEMENT = {"call": "calls", "email": "emails", "meeting": "meetings", "task": "tasks", "note": "notes"}


def _text(value: Any) -> str | None:
    if value is None or value == []:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(value)
    return str(value)


def lifecycle_done_by_hand(emu: HubSpotEmulator, spec: Spec) -> None:
    """The manual step: the portal's contact lifecycle stages made the spec's (HubSpot has no API for it)."""
    for p in spec.pipelines:
        if p.object != "contact":
            continue
        pipeline = emu.portal.pipelines["contacts"][LIFECYCLE_PIPELINES["contacts"]]
        template = pipeline["stages"][0]
        pipeline["stages"] = [{**template, "id": slug(s.label), "label": s.label, "displayOrder": i}
                              for i, s in enumerate(p.stages)]


def seed(emu: HubSpotEmulator, spec: Spec, pop: Population) -> None:
    """The portal's records become exactly the population's (owners for its users are added)."""
    portal = emu.portal
    with emu._lock:
        for records in portal.records.values():
            records.clear()
        portal._indexes.clear()
        lifecycle_done_by_hand(emu, spec)
        known = {str(o["email"]).lower() for o in portal.owners.values() if o.get("email")}
        for email, active in pop.users.items():
            if email not in known:
                add_user(portal, email, active=active)
        owners = {str(o["email"]).lower(): str(o["id"]) for o in portal.owners.values() if o.get("email")}
        stages = _stage_ids(emu, spec)
        for r in pop.records:
            obj, values = _record(spec, r, owners, stages)
            portal.create_record(obj, values, validate=False)


def _stage_ids(emu: HubSpotEmulator, spec: Spec) -> dict[str, tuple[str, str]]:
    """"<pipeline>.<stage>" -> (pipeline id, stage id), by label, as the provider finds them."""
    found: dict[str, tuple[str, str]] = {}
    for p in spec.pipelines:
        kind = OBJECT_TYPES[p.object]
        for live in emu.portal.pipelines[kind].values():
            if p.object == "contact" or live["label"] == p.label:
                by_label = {s["label"]: s["id"] for s in live["stages"] if not s.get("archived")}
                for s in p.stages:
                    if s.label in by_label:
                        found[f"{p.name}.{s.name}"] = (str(live["id"]), str(by_label[s.label]))
    return found


def _record(spec: Spec, r: Record, owners: dict[str, str], stages: dict[str, tuple[str, str]]) -> tuple[str, dict[str, Any]]:
    if r.object == "activity":
        obj = ENGAGEMENT[str(r.values["type"])]
        return obj, {"hs_timestamp": r.created_at.isoformat(), "hubspot_owner_id": owners[str(r.owner)]}
    obj = OBJECT_TYPES[r.object]
    values: dict[str, Any] = {"createdate": r.created_at.isoformat()}
    for name, value in r.values.items():
        text = _text(value)
        if text is not None and name != "owner":
            values[property_name(r.object, name)] = text
    if r.owner is not None:
        values["hubspot_owner_id"] = owners[r.owner]
    if r.pipeline is not None:
        pid, sid = stages[f"{r.pipeline}.{r.stage}"]
        if obj in PIPELINE_PROPS:
            pipe_prop, stage_prop = PIPELINE_PROPS[obj]
            values[pipe_prop], values[stage_prop] = pid, sid
        else:
            values["lifecyclestage"] = sid
        if r.object == "deal" and r.stage_entered_at is not None:
            values[f"hs_date_entered_{sid}"] = r.stage_entered_at.isoformat()
    return obj, values
