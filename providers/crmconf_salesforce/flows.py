"""The automation DSL as record-triggered Flow metadata, and the words a plan shows for a flow.

What compiles (everything else becomes a manual step that says why):
- triggers: record_created (Create, entry conditions from `where`), stage_entered (CreateAndUpdate,
  StageName/Status equals the stage, only when the record starts to match), field_changed (Update,
  IsChanged plus the optional target value), date_reached (a scheduled path relative to the date
  field, offset in hours or days, run once the date is set);
- actions: create_task (a Task on the record, due TODAY()+N days, owned by the record owner or a
  user looked up by e-mail) and set_field (an update of the triggering record).
Not compiled: stale_in_stage (a flow cannot see "no stage change for N days" without a helper
field), notify (custom notifications need a notification type made in Setup), assign_round_robin
(Salesforce does this with assignment rules or Omni-Channel), and tasks for a `team:` (tasks are
owned by users).

A compiled flow is compared by its whole definition: `definition` is the canonical flow body and
`trigger`/`actions` are sentences derived from it by the same functions on both sides, so a plan
reads well and converges exactly.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from crmconf.spec.model import (
    AssignRoundRobin,
    Automation,
    CreateTask,
    DateReached,
    FieldChanged,
    Notify,
    RecordCreated,
    SetField,
    StageEntered,
    StaleInStage,
    parse_duration,
)
from crmconf_salesforce.mapping import OBJECTS, days, humanize

# Keys that are not part of the compared body: they are attributes of their own.
_OUTSIDE = ("fullName", "status", "description")
_WHO_OBJECTS = ("Contact", "Lead")
# Flow lists that hold resources (values), not elements that run.
_RESOURCES = ("formulas", "variables", "constants", "textTemplates", "choices", "dynamicChoiceSets",
              "processMetadataValues")  # tasks link to people through WhoId, to everything else through WhatId


@dataclass
class FlowContext:
    """What the compiler needs from the rest of the spec."""

    field_api: Callable[[str, str], str | None]  # (spec object, field) -> API name
    stage_value: Callable[[str], tuple[str, str] | None]  # "pipeline.stage" -> (sobject, API value)
    api_version: str


@dataclass
class Compiled:
    definition: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)


def _value(v: str | int | float | bool | None) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"booleanValue": v}
    if isinstance(v, int | float):
        return {"numberValue": float(v)}
    if v is None:
        return {}
    return {"stringValue": str(v)}


def _filter(api: str, operator: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"field": api, "operator": operator, "value": value}


def compile_flow(a: Automation, ctx: FlowContext) -> Compiled:
    out = Compiled()
    sobject = OBJECTS.get(a.object or "")
    if sobject is None or a.trigger is None:
        out.problems.append("it has no object or trigger")
        return out
    start: dict[str, Any] = {"locationX": 50, "locationY": 0, "object": sobject, "triggerType": "RecordAfterSave"}
    _trigger(a, ctx, sobject, start, out.problems)
    nodes = _actions(a, ctx, sobject, out.problems)
    if out.problems:
        return out
    body: dict[str, Any] = {
        "label": humanize(a.name),
        "processType": "AutoLaunchedFlow",
        "apiVersion": float(ctx.api_version),
        "start": start,
    }
    chain = [name for _, name, _ in nodes]
    first = {"targetReference": chain[0]}
    if start.get("scheduledPaths"):
        start["scheduledPaths"][0]["connector"] = first
    else:
        start["connector"] = first
    for i, (group, name, node) in enumerate(nodes):
        node.update({"name": name, "locationX": 176, "locationY": 158 + 120 * i})
        if i + 1 < len(chain):
            node["connector"] = {"targetReference": chain[i + 1]}
        body.setdefault(group, []).append(node)
    formulas = [f for _, _, n in nodes for f in n.pop("_formulas", [])]
    if formulas:
        body["formulas"] = formulas
    out.definition = clean(body)
    return out


def _trigger(a: Automation, ctx: FlowContext, sobject: str, start: dict[str, Any], problems: list[str]) -> None:
    obj = a.object or ""
    t = a.trigger
    if isinstance(t, RecordCreated):
        start["recordTriggerType"] = "Create"
        filters = []
        for name, v in t.record_created.where.items():
            api = ctx.field_api(obj, name)
            if api is None:
                problems.append(f"{obj}.{name} has no Salesforce field")
                continue
            filters.append(_filter(api, "EqualTo", _value(v)))
        if filters:
            start.update(filterLogic="and", filters=filters)
    elif isinstance(t, StageEntered):
        found = ctx.stage_value(t.stage_entered)
        if found is None or found[0] != sobject:
            problems.append(f"stage {t.stage_entered} is not a Salesforce {sobject} stage value")
            return
        stage_field = {"Opportunity": "StageName"}.get(sobject, "Status")
        start.update(
            recordTriggerType="CreateAndUpdate",
            doesRequireRecordChangedToMeetCriteria=True,
            filterLogic="and",
            filters=[_filter(stage_field, "EqualTo", {"stringValue": found[1]})],
        )
    elif isinstance(t, FieldChanged):
        api = ctx.field_api(obj, t.field_changed.field)
        if api is None:
            problems.append(f"{obj}.{t.field_changed.field} has no Salesforce field")
            return
        filters = [_filter(api, "IsChanged", {"booleanValue": True})]
        if t.field_changed.to is not None:
            filters.append(_filter(api, "EqualTo", _value(t.field_changed.to)))
        start.update(recordTriggerType="Update", filterLogic="and", filters=filters)
    elif isinstance(t, DateReached):
        api = ctx.field_api(obj, t.date_reached.field)
        if api is None:
            problems.append(f"{obj}.{t.date_reached.field} has no Salesforce field")
            return
        delta = parse_duration(t.date_reached.offset)
        hours = int(delta.total_seconds() // 3600)
        number, unit = (hours // 24, "Days") if hours % 24 == 0 else (hours, "Hours")
        # A scheduled path (an offset from a date field: no pathType, which would make it the
        # asynchronous path, which takes no offset). On updates, Salesforce allows one only when the
        # flow runs as the record comes to meet its condition (the date gets set), not on every save.
        start.update(
            recordTriggerType="CreateAndUpdate",
            doesRequireRecordChangedToMeetCriteria=True,
            filterLogic="and",
            filters=[_filter(api, "IsNull", {"booleanValue": False})],
            scheduledPaths=[
                {
                    "name": "When_" + api.removesuffix("__c"),
                    "label": f"{t.date_reached.offset} from {api}",
                    "offsetNumber": number,
                    "offsetUnit": unit,
                    "recordField": api,
                    "timeSource": "RecordField",
                }
            ],
        )
    elif isinstance(t, StaleInStage):
        problems.append(
            "stale_in_stage needs to know when the stage last changed, which a flow cannot see "
            "without a helper date field (build it with a scheduled path on that field)"
        )


def _actions(
    a: Automation, ctx: FlowContext, sobject: str, problems: list[str]
) -> list[tuple[str, str, dict[str, Any]]]:
    obj = a.object or ""
    nodes: list[tuple[str, str, dict[str, Any]]] = []
    for i, action in enumerate(a.actions, 1):
        if isinstance(action, CreateTask):
            args = action.create_task
            owner: dict[str, Any]
            if args.assign_to == "record_owner":
                owner = {"elementReference": "$Record.OwnerId"}
            elif args.assign_to.startswith("team:"):
                problems.append(f"create_task assigns to {args.assign_to}, but Salesforce tasks are owned by users")
                continue
            else:
                lookup = f"Get_User_{i}"
                nodes.append(("recordLookups", lookup, {
                    "label": f"Find {args.assign_to}",
                    "object": "User",
                    "filterLogic": "and",
                    "filters": [_filter("Email", "EqualTo", {"stringValue": args.assign_to}),
                                _filter("IsActive", "EqualTo", {"booleanValue": True})],
                    "getFirstRecordOnly": True,
                    "storeOutputAutomatically": True,
                }))
                owner = {"elementReference": f"{lookup}.Id"}
            due = days(args.due_in)
            due_name = f"Due_Date_{i}"
            expression = "TODAY()" if due == 0 else f"TODAY() {'+' if due > 0 else '-'} {abs(due)}"
            link = "WhoId" if sobject in _WHO_OBJECTS else "WhatId"
            nodes.append(("recordCreates", f"Create_Task_{i}", {
                "label": f"Create task: {args.subject}"[:80],
                "object": "Task",
                "inputAssignments": [
                    {"field": "Subject", "value": {"stringValue": args.subject}},
                    {"field": "ActivityDate", "value": {"elementReference": due_name}},
                    {"field": "OwnerId", "value": owner},
                    {"field": link, "value": {"elementReference": "$Record.Id"}},
                ],
                "_formulas": [{"name": due_name, "dataType": "Date", "expression": expression}],
            }))
        elif isinstance(action, SetField):
            api = ctx.field_api(obj, action.set_field.field)
            if api is None:
                problems.append(f"{obj}.{action.set_field.field} has no Salesforce field")
                continue
            assignment: dict[str, Any] = {"field": api}
            if action.set_field.value is not None:
                assignment["value"] = _value(action.set_field.value)
            nodes.append(("recordUpdates", f"Set_{api.removesuffix('__c')}_{i}", {
                "label": f"Set {api}",
                "inputReference": "$Record",
                "inputAssignments": [assignment],
            }))
        elif isinstance(action, Notify):
            problems.append("notify needs a custom notification type set up in Salesforce Setup")
        elif isinstance(action, AssignRoundRobin):
            problems.append("assign_round_robin is done in Salesforce by assignment rules or Omni-Channel queues")
    return nodes


# --- comparing -----------------------------------------------------------------------------------


def canonical(value: Any) -> Any:
    """Without empty values (zeep echoes absent elements as None or [])."""
    if isinstance(value, Mapping):
        return {k: canonical(v) for k, v in value.items() if v not in (None, [], "", {})}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    return value


def clean(component: Mapping[str, Any]) -> dict[str, Any]:
    """A component (a dict) without its empty values."""
    return {k: canonical(v) for k, v in component.items() if v not in (None, [], "", {})}


def body_of(flow: Mapping[str, Any]) -> dict[str, Any]:
    """The compared body of a flow read back from Salesforce (or compiled here)."""
    return clean({k: v for k, v in flow.items() if k not in _OUTSIDE})


def _render(value: Mapping[str, Any] | None) -> str:
    if not value:
        return "null"
    for key in ("stringValue", "numberValue", "booleanValue", "elementReference"):
        if key in value:
            v = value[key]
            return f"{{!{v}}}" if key == "elementReference" else json.dumps(v)
    return json.dumps(value, sort_keys=True)


def _conditions(node: Mapping[str, Any]) -> str:
    parts = [f"{f.get('field')} {f.get('operator')} {_render(f.get('value'))}" for f in node.get("filters") or []]
    return f" {str(node.get('filterLogic') or 'and').upper()} ".join(parts)


def describe_trigger(body: Mapping[str, Any]) -> str:
    start = body.get("start") or {}
    when = {"Create": "created", "Update": "updated", "CreateAndUpdate": "created or updated",
            "Delete": "deleted"}.get(str(start.get("recordTriggerType")), str(start.get("recordTriggerType")))
    text = f"{start.get('object')} {when}"
    conditions = _conditions(start)
    if conditions:
        text += f" when {conditions}"
    if start.get("doesRequireRecordChangedToMeetCriteria"):
        text += " (only when the record starts to match)"
    for path in start.get("scheduledPaths") or []:
        text += f", then {path.get('offsetNumber')} {str(path.get('offsetUnit')).lower()} from {path.get('recordField')}"
    return text


def describe_actions(body: Mapping[str, Any]) -> list[str]:
    """One sentence per element, in the order the connectors run them."""
    elements: dict[str, tuple[str, Mapping[str, Any]]] = {}
    for group, items in body.items():
        if isinstance(items, list) and group not in _RESOURCES:
            for item in items:
                if isinstance(item, Mapping) and item.get("name"):
                    elements[str(item["name"])] = (group, item)
    start = body.get("start") or {}
    paths = start.get("scheduledPaths") or []
    target = ((paths[0] if paths else start).get("connector") or {}).get("targetReference")
    out: list[str] = []
    seen: set[str] = set()
    while target and target in elements and target not in seen:
        seen.add(target)
        group, node = elements[target]
        out.append(_sentence(group, node))
        target = (node.get("connector") or {}).get("targetReference")
    out.extend(_sentence(g, n) for name, (g, n) in elements.items() if name not in seen)  # unreachable: still shown
    return out


def _sentence(group: str, node: Mapping[str, Any]) -> str:
    sets = ", ".join(f"{a.get('field')}={_render(a.get('value'))}" for a in node.get("inputAssignments") or [])
    if group == "recordCreates":
        return f"create {node.get('object')}: {sets}"
    if group == "recordUpdates":
        return f"update {node.get('inputReference') or node.get('object')}: {sets}"
    if group == "recordLookups":
        return f"find {node.get('object')} where {_conditions(node)}"
    return f"{group} {node.get('name')}"


def attrs_of(body: Mapping[str, Any]) -> dict[str, Any]:
    """The compared attributes of a flow body: readable sentences plus the body itself."""
    return {"trigger": describe_trigger(body), "actions": describe_actions(body), "definition": dict(body)}
