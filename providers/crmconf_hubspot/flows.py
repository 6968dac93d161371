"""The automation DSL <-> HubSpot v4 workflows (flows).

Three views of one automation:
- `normalise(automation)`: the DSL as compared in plans, in a form both sides can produce exactly
  (values as HubSpot stores them: strings; `notify.to` sorted, since HubSpot keeps users, teams and
  owners in separate lists);
- `to_flow(...)`: the v4 body crmconf sends (POST, or PUT with the current revisionId);
- `from_flow(...)`: a live flow read back into the normalised DSL, so hand edits in HubSpot show up
  in the plan. Whatever is outside the compiled subset decompiles to `{"unrecognised": ...}`.

Compiled subset: triggers stage_entered, record_created (with `where`), field_changed (with `to`);
actions create_task (assigned to the record owner or a user), set_field, notify. The rest
(stale_in_stage, date_reached, assign_round_robin, tasks for a team) become manual steps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from crmconf.errors import ProviderError
from crmconf.spec.model import (
    Automation,
    CreateTask,
    FieldChanged,
    Notify,
    RecordCreated,
    SetField,
    StageEntered,
)
from crmconf_hubspot.mapping import (
    OBJECT_TYPE_IDS,
    OBJECTS_BY_TYPE_ID,
    PIPELINE_PROPERTIES,
    flow_name,
    property_name,
    spec_field_name,
)

JSON = dict[str, Any]
# The association type from a task to the record it is about (HubSpot-defined).
TASK_ASSOCIATIONS = {"contact": 204, "company": 192, "deal": 216, "ticket": 230}
TIME_UNITS = {"h": "HOURS", "d": "DAYS", "w": "WEEKS"}
ACTION_TYPES = {"create_task": "0-3", "set_field": "0-5", "notify": "0-9"}


def value_str(value: Any) -> str | None:
    """A DSL value as HubSpot stores it (every property value is a string)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    return str(value)


def unsupported(a: Automation) -> str | None:
    """Why this automation cannot be compiled to a HubSpot workflow (None: it can)."""
    if a.object not in OBJECT_TYPE_IDS:
        return f"crmconf does not manage HubSpot workflows on {a.object} records"
    trigger = a.trigger
    if isinstance(trigger, FieldChanged):
        if trigger.field_changed.to is None:
            return "a field_changed trigger without `to` has no HubSpot list filter; give the value"
        if a.object in PIPELINE_PROPERTIES and property_name(a.object, trigger.field_changed.field) in \
                PIPELINE_PROPERTIES[a.object]:
            return "use stage_entered for stage changes"
    elif not isinstance(trigger, StageEntered | RecordCreated):
        kind = next(iter(type(trigger).model_fields)) if trigger else "none"
        return f"the {kind} trigger has no v4 workflow equivalent crmconf can generate"
    for action in a.actions:
        if isinstance(action, CreateTask) and action.create_task.assign_to.startswith("team:"):
            return "HubSpot assigns tasks to users, not teams"
        if not isinstance(action, CreateTask | SetField | Notify):
            kind = next(iter(type(action).model_fields))
            return f"the {kind} action has no v4 workflow equivalent crmconf can generate"
    return None


def normalise(a: Automation) -> JSON:
    """The compared attributes of a compiled automation (see the module docstring)."""
    trigger = a.trigger
    normal: JSON
    if isinstance(trigger, StageEntered):
        normal = {"stage_entered": trigger.stage_entered}
    elif isinstance(trigger, RecordCreated):
        normal = {"record_created": {"where": {k: value_str(v) for k, v in sorted(trigger.record_created.where.items())}}}
    elif isinstance(trigger, FieldChanged):
        normal = {"field_changed": {"field": trigger.field_changed.field, "to": value_str(trigger.field_changed.to)}}
    else:  # unsupported() keeps these out
        raise ValueError(f"cannot normalise trigger {trigger!r}")
    actions: list[JSON] = []
    for action in a.actions:
        if isinstance(action, CreateTask):
            t = action.create_task
            actions.append({"create_task": {"subject": t.subject, "due_in": t.due_in, "assign_to": t.assign_to}})
        elif isinstance(action, SetField):
            actions.append({"set_field": {"field": action.set_field.field, "value": value_str(action.set_field.value)}})
        elif isinstance(action, Notify):
            actions.append({"notify": {"to": sorted(action.notify.to), "message": action.notify.message}})
    return {"status": a.status, "description": a.description or None, "object": a.object, "trigger": normal,
            "actions": actions}


@dataclass(frozen=True)
class Lookups:
    """Live ids the flow body needs, and their inverses for reading flows back."""

    stage_id: Callable[[str], str | None]  # "pipeline.stage" -> stage id
    stage_ref: Callable[[str, str], str | None]  # (object, stage id) -> "pipeline.stage"
    owner_id: Mapping[str, str]  # e-mail -> owner id
    owner_email: Mapping[str, str]
    user_id: Mapping[str, str]  # e-mail -> user id
    user_email: Mapping[str, str]
    team_id: Mapping[str, str]  # team name -> id
    team_name: Mapping[str, str]
    property_type: Callable[[str, str], str | None]  # (object, HubSpot property) -> HubSpot type


def _need(found: str | None, what: str) -> str:
    if not found:
        raise ProviderError(f"{what} does not exist in HubSpot", context="hubspot: compile workflow")
    return found


def _filter(prop: str, operation: JSON) -> JSON:
    return {"filterType": "PROPERTY", "property": prop, "operation": operation}


def _value_operation(hs_type: str | None, value: str | None) -> JSON:
    if value is None:
        return {"operationType": "ALL_PROPERTY", "operator": "IS_UNKNOWN"}
    if hs_type == "enumeration":
        return {"operationType": "ENUMERATION", "operator": "IS_ANY_OF", "includeObjectsWithNoValueSet": False,
                "values": [value]}
    if hs_type == "bool":
        return {"operationType": "BOOL", "operator": "IS_EQUAL_TO", "value": value == "true"}
    if hs_type == "number":
        return {"operationType": "NUMBER", "operator": "IS_EQUAL_TO", "includeObjectsWithNoValueSet": False,
                "value": float(value)}
    return {"operationType": "STRING", "operator": "IS_EQUAL_TO", "includeObjectsWithNoValueSet": False,
            "value": value}


def _criteria(filters: list[JSON], re_enroll: bool) -> JSON:
    return {"type": "LIST_BASED", "shouldReEnroll": re_enroll, "unEnrollObjectsNotMeetingCriteria": False,
            "listFilterBranch": {"filterBranchType": "OR", "filterBranchOperator": "OR", "filters": [],
                                 "filterBranches": [{"filterBranchType": "AND", "filterBranchOperator": "AND",
                                                     "filterBranches": [], "filters": filters}]},
            "reEnrollmentTriggersFilterBranches": []}


def _enrollment(obj: str, trigger: JSON, ids: Lookups) -> JSON:
    if "stage_entered" in trigger:
        ref = trigger["stage_entered"]
        sid = _need(ids.stage_id(ref), f"stage {ref}")
        operation = {"operationType": "ENUMERATION", "operator": "IS_ANY_OF", "includeObjectsWithNoValueSet": False,
                     "values": [sid]}
        return _criteria([_filter(PIPELINE_PROPERTIES[obj][1], operation)], re_enroll=True)
    if "record_created" in trigger:
        filters = [_filter("hs_object_id", {"operationType": "ALL_PROPERTY", "operator": "IS_KNOWN"})]
        for field, value in sorted(trigger["record_created"]["where"].items()):
            prop = property_name(obj, field)
            filters.append(_filter(prop, _value_operation(ids.property_type(obj, prop), value)))
        return _criteria(filters, re_enroll=False)
    changed = trigger["field_changed"]
    prop = property_name(obj, changed["field"])
    return _criteria([_filter(prop, _value_operation(ids.property_type(obj, prop), changed["to"]))], re_enroll=True)


def _due_time(due_in: str) -> JSON:
    return {"delta": int(due_in[:-1]), "timeUnit": TIME_UNITS[due_in[-1]], "timeOfDay": {"hour": 9, "minute": 0},
            "daysOfWeek": []}


def _action_fields(name: str, obj: str, action: JSON, ids: Lookups) -> tuple[str, JSON]:
    kind, args = next(iter(action.items()))
    if kind == "create_task":
        assignee = args["assign_to"]
        owner: JSON = ({"type": "OBJECT_PROPERTY", "propertyName": "hubspot_owner_id"} if assignee == "record_owner"
                       else {"type": "STATIC_VALUE",
                             "staticValue": _need(ids.owner_id.get(assignee.lower()), f"owner {assignee}")})
        return ACTION_TYPES[kind], {
            "task_type": "TODO", "subject": args["subject"], "body": "", "priority": "NONE",
            "associations": [{"target": {"associationCategory": "HUBSPOT_DEFINED",
                                         "associationTypeId": TASK_ASSOCIATIONS[obj]},
                              "value": {"type": "ENROLLED_OBJECT"}}],
            "use_explicit_associations": "true", "owner_assignment": {"type": "CUSTOM", "value": owner},
            "due_time": _due_time(args["due_in"])}
    if kind == "set_field":
        return ACTION_TYPES[kind], {"property_name": property_name(obj, args["field"]),
                                    "value": {"type": "STATIC_VALUE", "staticValue": args["value"] or ""}}
    to = args["to"]
    return ACTION_TYPES[kind], {
        "user_ids": [_need(ids.user_id.get(t.lower()), f"user {t}") for t in to if "@" in t],
        "team_ids": [_need(ids.team_id.get(t[5:]), f"team {t[5:]}") for t in to if t.startswith("team:")],
        "owner_properties": ["hubspot_owner_id"] if "record_owner" in to else [],
        "delivery_method": "APP", "subject": f"{name}", "body": args["message"]}


def to_flow(name: str, attrs: Mapping[str, Any], ids: Lookups) -> JSON:
    """The v4 body for a compiled automation (without id/revisionId: the caller adds them on PUT)."""
    obj = str(attrs["object"])
    actions: list[JSON] = []
    for i, action in enumerate(attrs["actions"], start=1):
        type_id, fields = _action_fields(name, obj, action, ids)
        step: JSON = {"type": "SINGLE_CONNECTION", "actionId": str(i), "actionTypeVersion": 0,
                      "actionTypeId": type_id, "fields": fields}
        if i < len(attrs["actions"]):
            step["connection"] = {"edgeType": "STANDARD", "nextActionId": str(i + 1)}
        actions.append(step)
    return {
        "name": flow_name(name), "type": "CONTACT_FLOW" if obj == "contact" else "PLATFORM_FLOW",
        "flowType": "WORKFLOW", "objectTypeId": OBJECT_TYPE_IDS[obj], "isEnabled": attrs["status"] == "active",
        "description": attrs.get("description") or "", "startActionId": "1",
        "nextAvailableActionId": str(len(actions) + 1), "actions": actions,
        "enrollmentCriteria": _enrollment(obj, attrs["trigger"], ids),
    }


# --- reading flows back -----------------------------------------------------------------------------

def _operation_value(operation: Mapping[str, Any]) -> str | None:
    if operation.get("operator") == "IS_UNKNOWN":
        return None
    if "values" in operation:
        values = operation.get("values") or []
        return str(values[0]) if len(values) == 1 else None
    return value_str(operation.get("value"))


def _trigger(obj: str, criteria: Mapping[str, Any], ids: Lookups) -> JSON:
    branches = ((criteria.get("listFilterBranch") or {}).get("filterBranches") or []) \
        if criteria.get("type") == "LIST_BASED" else []
    if len(branches) != 1:
        return {"unrecognised": str(criteria.get("type") or "no enrollment criteria")}
    filters = [(str(f.get("property")), f.get("operation") or {}) for f in branches[0].get("filters") or []]
    created = [f for f in filters if f[0] == "hs_object_id" and f[1].get("operator") == "IS_KNOWN"]
    if created and not criteria.get("shouldReEnroll"):
        where = {spec_field_name(obj, p): _operation_value(op) for p, op in filters if (p, op) not in created}
        return {"record_created": {"where": dict(sorted(where.items()))}}
    if len(filters) == 1:
        prop, operation = filters[0]
        if obj in PIPELINE_PROPERTIES and prop == PIPELINE_PROPERTIES[obj][1]:
            sid = _operation_value(operation)
            ref = ids.stage_ref(obj, sid) if sid else None
            return {"stage_entered": ref or f"unknown stage {sid}"}
        if criteria.get("shouldReEnroll"):
            return {"field_changed": {"field": spec_field_name(obj, prop), "to": _operation_value(operation)}}
    return {"unrecognised": "enrollment criteria crmconf did not generate"}


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


def _action(obj: str, action: Mapping[str, Any], ids: Lookups) -> JSON:
    fields = action.get("fields") or {}
    type_id = action.get("actionTypeId")
    if type_id == ACTION_TYPES["create_task"]:
        owner = (fields.get("owner_assignment") or {}).get("value") or {}
        if owner.get("type") == "OBJECT_PROPERTY" and owner.get("propertyName") == "hubspot_owner_id":
            assignee = "record_owner"
        else:
            oid = str(owner.get("staticValue") or "")
            assignee = ids.owner_email.get(oid, f"owner:{oid}")
        due = fields.get("due_time") or {}
        unit = {v: k for k, v in TIME_UNITS.items()}.get(str(due.get("timeUnit")), "d")
        return {"create_task": {"subject": fields.get("subject"), "due_in": f"{int(due.get('delta') or 0)}{unit}",
                                "assign_to": assignee}}
    if type_id == ACTION_TYPES["set_field"]:
        value = (fields.get("value") or {}).get("staticValue")
        return {"set_field": {"field": spec_field_name(obj, str(fields.get("property_name"))),
                              "value": value_str(value)}}
    if type_id == ACTION_TYPES["notify"]:
        to = [ids.user_email.get(str(u), f"user:{u}") for u in fields.get("user_ids") or []]
        to += [f"team:{ids.team_name.get(str(t), t)}" for t in fields.get("team_ids") or []]
        to += ["record_owner"] if "hubspot_owner_id" in (fields.get("owner_properties") or []) else []
        return {"notify": {"to": sorted(to), "message": fields.get("body")}}
    return {"unrecognised": f"action type {type_id}"}


def from_flow(flow: Mapping[str, Any], ids: Lookups) -> JSON:
    """A live flow as the normalised DSL (the inverse of `to_flow` on everything it generates)."""
    obj = OBJECTS_BY_TYPE_ID.get(str(flow.get("objectTypeId")), str(flow.get("objectTypeId")))
    return {
        "status": "active" if flow.get("isEnabled") else "inactive",
        "description": flow.get("description") or None,
        "object": obj,
        "trigger": _trigger(obj, flow.get("enrollmentCriteria") or {}, ids),
        "actions": [_action(obj, a, ids) for a in _chain(flow)],
    }
