"""The automation DSL <-> HubSpot v4 workflows (flows): reading a live flow back.

Three views of one automation:
- `normalise(automation)` (flow_dsl): the DSL as compared in plans;
- `to_flow(...)` (flow_body): the complete v4 body crmconf sends;
- `from_flow(...)`: a live flow read back into the normalised DSL.

HubSpot stores a flow with its defaults filled in (task priority and body, empty recipient lists,
blocked dates, time windows, doubles for numbers, sorted values), so a read-back is never byte-equal
to what was sent. `from_flow` therefore decodes the flow into the DSL, compiles that DSL again, and
checks that the live flow *covers* the body crmconf would send: every key crmconf sets is there with an
equal value (numbers compared as numbers, lists of values as sets), whatever HubSpot added. What does
not match, like a filter or an action edited in HubSpot, reads back as `{"unrecognised": ...}` and so
shows in the plan, while crmconf's own writes read back exactly and plans stay empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crmconf.errors import ProviderError
from crmconf_hubspot.flow_body import (
    ACTION_TYPES,
    CREATE_ONLY,
    MARK,
    OWNER,
    TIME_UNITS,
    Lookups,
    action_fields,
    digest,
    enrollment,
    flow_body,
    for_put,
    steps,
)
from crmconf_hubspot.flow_dsl import (
    JSON,
    STAGE_PROPERTIES,
    normalise,
    reads_stages,
    unsupported,
    uses_teams,
    value_str,
)
from crmconf_hubspot.mapping import OBJECTS_BY_TYPE_ID, PIPELINE_PROPERTIES, spec_field_name

__all__ = ["CREATE_ONLY", "JSON", "Lookups", "covers", "for_put", "from_flow", "normalise", "reads_stages",
           "to_flow", "unsupported", "uses_teams", "written_by_crmconf"]
UNITS = {v: k for k, v in TIME_UNITS.items()}


def covers(sent: Any, live: Any) -> bool:
    """Whether `live` holds everything `sent` says (HubSpot's additions ignored)."""
    if isinstance(sent, Mapping):
        return isinstance(live, Mapping) and all(k in live and covers(v, live[k]) for k, v in sent.items())
    if isinstance(sent, list):
        if not isinstance(live, list) or len(sent) != len(live):
            return False
        if all(not isinstance(x, Mapping | list) for x in (*sent, *live)):
            return sorted(map(str, sent)) == sorted(map(str, live))  # HubSpot may reorder values
        return all(covers(a, b) for a, b in zip(sent, live, strict=True))
    if isinstance(sent, bool) or isinstance(live, bool):
        return sent is live
    if isinstance(sent, int | float) and isinstance(live, int | float):
        return float(sent) == float(live)
    return bool(sent == live)


# --- decoding -----------------------------------------------------------------------------------

def _operation_value(op: Mapping[str, Any]) -> str | None:
    if op.get("operator") == "IS_UNKNOWN":
        return None
    if "values" in op:
        values = op.get("values") or []
        return str(values[0]) if len(values) == 1 else None
    return value_str(op.get("value"))


def _filters(criteria: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]] | None:
    root = criteria.get("listFilterBranch") or {}
    branches = root.get("filterBranches") or []
    if criteria.get("type") != "LIST_BASED" or len(branches) != 1 or root.get("filters"):
        return None
    return [(str(f.get("property")), f.get("operation") or {}) for f in branches[0].get("filters") or []]


def _decode_trigger(obj: str, criteria: Mapping[str, Any], first: Mapping[str, Any] | None, ids: Lookups) -> JSON:
    filters = _filters(criteria)
    if filters is None:
        return {"unrecognised": str(criteria.get("type") or "no enrollment criteria")}
    props = [p for p, _ in filters]
    stage = STAGE_PROPERTIES.get(obj)
    rolling = [(p, op) for p, op in filters if op.get("operationType") == "ROLLING_PROPERTY_UPDATED"]
    if rolling and rolling[0][0] == stage:
        pipeline = next((_operation_value(op) for p, op in filters if obj in PIPELINE_PROPERTIES
                         and p == PIPELINE_PROPERTIES[obj][0]), None)
        name = ids.pipeline_name(obj, pipeline) if pipeline else None
        return {"stale_in_stage": {"days": int(rolling[0][1].get("numberOfDays") or 0),
                                   "pipeline": name or (f"unknown pipeline {pipeline}" if pipeline else None)}}
    if "hs_object_id" in props and not criteria.get("shouldReEnroll"):
        where = {spec_field_name(obj, p): _operation_value(op) for p, op in filters if p != "hs_object_id"}
        return {"record_created": {"where": dict(sorted(where.items()))}}
    if len(filters) != 1:
        return {"unrecognised": "enrollment criteria crmconf did not generate"}
    prop, op = filters[0]
    if prop == stage:
        sid = _operation_value(op)
        ref = ids.stage_ref(obj, sid) if sid else None
        return {"stage_entered": ref or f"unknown stage {sid}"}
    date = (first or {}).get("fields", {}).get("date") if first else None
    if first is not None and first.get("actionTypeId") == ACTION_TYPES["delay_until"] \
            and isinstance(date, Mapping) and date.get("propertyName") == prop:
        fields = first.get("fields") or {}
        offset = f"{int(str(fields.get('delta') or 0))}{UNITS.get(str(fields.get('time_unit')), 'd')}"
        return {"date_reached": {"field": spec_field_name(obj, prop), "offset": offset}}
    to = None if op.get("operator") == "IS_KNOWN" else _operation_value(op)
    return {"field_changed": {"field": spec_field_name(obj, prop), "to": to}}


def _chain(flow: Mapping[str, Any]) -> list[JSON]:
    """Actions in execution order (following the connections from startActionId)."""
    by_id = {str(a.get("actionId")): a for a in flow.get("actions") or [] if isinstance(a, dict)}
    order: list[JSON] = []
    current = str(flow.get("startActionId") or "")
    while current in by_id and len(order) < len(by_id):
        action = by_id[current]
        order.append(action)
        current = str(((action.get("connection") or {}).get("nextActionId")) or "")
    return order


def _decode_action(obj: str, action: Mapping[str, Any], ids: Lookups) -> JSON:
    fields = action.get("fields") or {}
    type_id = action.get("actionTypeId")
    if type_id == ACTION_TYPES["create_task"]:
        owner = (fields.get("owner_assignment") or {}).get("value") or {}
        if owner.get("type") == "OBJECT_PROPERTY" and owner.get("propertyName") == OWNER:
            assignee = "record_owner"
        else:
            oid = str(owner.get("staticValue") or "")
            assignee = ids.owner_email.get(oid, f"owner:{oid}")
        due = fields.get("due_time") or {}
        unit = UNITS.get(str(due.get("timeUnit")), "d")
        return {"create_task": {"subject": fields.get("subject"), "due_in": f"{int(due.get('delta') or 0)}{unit}",
                                "assign_to": assignee}}
    if type_id == ACTION_TYPES["set_field"]:
        value = (fields.get("value") or {}).get("staticValue")
        return {"set_field": {"field": spec_field_name(obj, str(fields.get("property_name"))),
                              "value": value_str(value)}}
    if type_id == ACTION_TYPES["notify"]:
        to = [ids.user_email.get(str(u), f"user:{u}") for u in fields.get("user_ids") or []]
        to += [f"team:{ids.team_name.get(str(t), t)}" for t in fields.get("team_ids") or []]
        to += ["record_owner"] if OWNER in (fields.get("owner_properties") or []) else []
        return {"notify": {"to": sorted(to), "message": fields.get("body")}}
    if type_id == ACTION_TYPES["assign_round_robin"]:
        teams = [ids.team_name.get(str(t), f"team {t}") for t in fields.get("team_ids") or []]
        among = sorted(ids.owner_email.get(str(o), f"owner:{o}") for o in fields.get("user_ids") or [])
        return {"assign_round_robin": {"team": teams[0] if len(teams) == 1 else ",".join(teams), "among": among}}
    return {"unrecognised": f"action type {type_id}"}


NO_IDS = Lookups(stage_id=lambda ref: None, stage_ref=lambda obj, sid: None, owner_id={}, owner_email={},
                 user_id={}, user_email={}, team_id={}, team_name={}, property_type=lambda obj, prop: None)


def to_flow(name: str, attrs: Mapping[str, Any], ids: Lookups) -> JSON:
    """The v4 create body for a compiled automation, marked with the digest of what it is (a PUT:
    `for_put(body, revision)`)."""
    body = flow_body(name, attrs, ids)
    body["customProperties"] = {MARK: digest(_decode(body, NO_IDS), body)}
    return body


def written_by_crmconf(flow: Mapping[str, Any]) -> bool:
    """Whether the flow is exactly what crmconf last wrote: it carries the digest of what it now is."""
    mark = (flow.get("customProperties") or {}).get(MARK)
    return bool(mark) and mark == digest(_decode(flow, NO_IDS), flow)


def _decode(flow: Mapping[str, Any], ids: Lookups) -> JSON:
    obj = OBJECTS_BY_TYPE_ID.get(str(flow.get("objectTypeId")), str(flow.get("objectTypeId")))
    chain = _chain(flow)
    criteria = flow.get("enrollmentCriteria") or {}
    trigger = _decode_trigger(obj, criteria, chain[0] if chain else None, ids)
    if "date_reached" in trigger:
        chain = chain[1:]
    return {
        "status": "active" if flow.get("isEnabled") else "inactive",
        "description": flow.get("description") or None,
        "object": obj,
        "trigger": trigger,
        "actions": [_decode_action(obj, a, ids) for a in chain],
    }


def from_flow(flow: Mapping[str, Any], ids: Lookups) -> JSON:
    """A live flow as the normalised DSL; parts HubSpot holds differently from crmconf's body are marked."""
    return _verified(_decode(flow, ids), flow, ids)


def _verified(decoded: JSON, flow: Mapping[str, Any], ids: Lookups) -> JSON:
    """Compile the decoded DSL again: what the live flow does not cover was edited in HubSpot."""
    obj = decoded["object"]
    if obj not in STAGE_PROPERTIES:
        return decoded
    name = str(flow.get("name") or "").removeprefix("[crmconf] ")
    live = _chain(flow)
    skip = len(live) - len(decoded["actions"])  # the delay a date trigger starts with
    if "unrecognised" not in decoded["trigger"]:
        try:
            criteria = enrollment(obj, decoded["trigger"], ids)
            delay = steps(name, obj, {"trigger": decoded["trigger"], "actions": []}, ids)
        except (ProviderError, KeyError, ValueError):
            return decoded  # an id it names is gone: the decoded form already differs from the spec
        if not covers(criteria, flow.get("enrollmentCriteria")) or any(
                live[i].get("actionTypeId") != t or not covers(f, live[i].get("fields")) for i, (t, f) in
                enumerate(delay)):
            decoded["trigger"] = {"unrecognised": "enrollment criteria edited in HubSpot"}
    for i, action in enumerate(decoded["actions"]):
        if "unrecognised" in action:
            continue
        try:
            type_id, fields = action_fields(name, obj, action, ids)
        except (ProviderError, KeyError, ValueError):
            continue
        found = live[skip + i]
        if found.get("actionTypeId") != type_id or not covers(fields, found.get("fields")):
            decoded["actions"][i] = {"unrecognised": f"action {i + 1} edited in HubSpot"}
    return decoded
