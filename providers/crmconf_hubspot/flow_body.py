"""A normalised automation as a complete, schema-conformant v4 flow body (POST; a PUT drops create-only keys).

Every body carries what HubSpot's schema requires ([spec] API*FlowCreateRequest): type, flowType,
objectTypeId, isEnabled, actions, blockedDates, timeWindows, customProperties, dataSources, and for
contact flows canEnrollFromSalesforce and suppressionListIds. Enrollment is list-based; every
property filter carries filterType, property and an operation with operationType, operator and
includeObjectsWithNoValueSet. Triggers that fire again (a stage entered, a field changed, a date
moved, a deal stalling again) turn re-enrolment on AND list the property changes that re-enrol a
record (`reEnrollmentTriggersFilterBranches`: `hs_name` is the property, `hs_value` its new value),
since HubSpot re-enrols only on those.

    stage_entered    stage property IS_ANY_OF [stage id]        re-enrols when the stage becomes it again
    record_created   hs_object_id IS_KNOWN and each `where`     never re-enrols
    field_changed    the field equal to `to` (or known)         re-enrols when the field changes to it
    stale_in_stage   pipeline is P and the stage property NOT_UPDATED_IN_LAST_X_DAYS n; re-enrols on a stage change
    date_reached     the date field is known, then a "delay until date property" action (0-35) by the offset
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from crmconf.errors import ProviderError
from crmconf_hubspot.flow_dsl import JSON, STAGE_PROPERTIES, duration
from crmconf_hubspot.mapping import OBJECT_TYPE_IDS, PIPELINE_PROPERTIES, flow_name, property_name

# The association type from a task to the record it is about (HubSpot-defined).
TASK_ASSOCIATIONS = {"contact": 204, "company": 192, "deal": 216, "ticket": 230}
TIME_UNITS = {"h": "HOURS", "d": "DAYS", "w": "WEEKS"}
ACTION_TYPES = {"create_task": "0-3", "set_field": "0-5", "notify": "0-9", "assign_round_robin": "0-11",
                "delay_until": "0-35"}
OWNER = "hubspot_owner_id"
# [spec] on create only: a PUT (full replace with the current revisionId) must not carry these.
CREATE_ONLY = ("objectTypeId", "flowType", "dataSources")


@dataclass(frozen=True)
class Lookups:
    """Live ids the flow body needs, and their inverses for reading flows back."""

    stage_id: Callable[[str], str | None]  # "pipeline.stage" -> stage id (lifecycle stages too)
    stage_ref: Callable[[str, str], str | None]  # (object, stage id) -> "pipeline.stage"
    owner_id: Mapping[str, str]  # e-mail -> owner id
    owner_email: Mapping[str, str]
    user_id: Mapping[str, str]  # e-mail -> user id
    user_email: Mapping[str, str]
    team_id: Mapping[str, str]  # team name -> id
    team_name: Mapping[str, str]
    property_type: Callable[[str, str], str | None]  # (object, HubSpot property) -> HubSpot type
    pipeline_id: Callable[[str], str | None] = lambda name: None  # spec pipeline name -> id
    pipeline_name: Callable[[str, str], str | None] = lambda obj, pid: None


def need(found: str | None, what: str) -> str:
    if not found:
        raise ProviderError(f"{what} does not exist in HubSpot", context="hubspot: compile workflow")
    return found


def operation(operation_type: str, operator: str, **values: Any) -> JSON:
    return {"operationType": operation_type, "operator": operator, "includeObjectsWithNoValueSet": False, **values}


KNOWN = operation("ALL_PROPERTY", "IS_KNOWN")


def prop_filter(prop: str, op: JSON) -> JSON:
    return {"filterType": "PROPERTY", "property": prop, "operation": op}


def and_branch(filters: list[JSON]) -> JSON:
    return {"filterBranchType": "AND", "filterBranchOperator": "AND", "filterBranches": [], "filters": filters}


def changed_to(prop: str, op: JSON) -> JSON:
    """A re-enrolment trigger: `prop` changed, its new value meeting `op`."""
    return and_branch([prop_filter("hs_name", operation("STRING", "IS_EQUAL_TO", value=prop)),
                       prop_filter("hs_value", op)])


def value_operation(hs_type: str | None, value: str | None) -> JSON:
    if value is None:
        return operation("ALL_PROPERTY", "IS_UNKNOWN")
    if hs_type == "enumeration":
        return operation("ENUMERATION", "IS_ANY_OF", values=[value])
    if hs_type == "bool":
        return operation("BOOL", "IS_EQUAL_TO", value=value == "true")
    if hs_type == "number":
        return operation("NUMBER", "IS_EQUAL_TO", value=float(value))
    return operation("STRING", "IS_EQUAL_TO", value=value)


def criteria(filters: list[JSON], re_enrol: list[JSON]) -> JSON:
    return {"type": "LIST_BASED", "shouldReEnroll": bool(re_enrol), "unEnrollObjectsNotMeetingCriteria": False,
            "listFilterBranch": {"filterBranchType": "OR", "filterBranchOperator": "OR", "filters": [],
                                 "filterBranches": [and_branch(filters)]},
            "reEnrollmentTriggersFilterBranches": re_enrol}


def enrollment(obj: str, trigger: Mapping[str, Any], ids: Lookups) -> JSON:
    kind, args = next(iter(trigger.items()))
    if kind == "stage_entered":
        stage = operation("ENUMERATION", "IS_ANY_OF", values=[need(ids.stage_id(args), f"stage {args}")])
        return criteria([prop_filter(STAGE_PROPERTIES[obj], stage)], [changed_to(STAGE_PROPERTIES[obj], stage)])
    if kind == "record_created":
        filters = [prop_filter("hs_object_id", KNOWN)]
        for field, value in sorted(args["where"].items()):
            prop = property_name(obj, field)
            filters.append(prop_filter(prop, value_operation(ids.property_type(obj, prop), value)))
        return criteria(filters, [])
    if kind == "field_changed":
        changed = property_name(obj, args["field"])
        to = value_operation(ids.property_type(obj, changed), args["to"]) if args["to"] is not None else KNOWN
        return criteria([prop_filter(changed, to)], [changed_to(changed, to)])
    if kind == "stale_in_stage":
        stage_prop = STAGE_PROPERTIES[obj]
        filters = []
        if args["pipeline"] is not None and obj in PIPELINE_PROPERTIES:
            pid = need(ids.pipeline_id(args["pipeline"]), f"pipeline {args['pipeline']}")
            filters.append(prop_filter(PIPELINE_PROPERTIES[obj][0], operation("ENUMERATION", "IS_ANY_OF", values=[pid])))
        filters.append(prop_filter(stage_prop, operation("ROLLING_PROPERTY_UPDATED", "NOT_UPDATED_IN_LAST_X_DAYS",
                                                         numberOfDays=int(args["days"]))))
        return criteria(filters, [changed_to(stage_prop, KNOWN)])
    date = property_name(obj, args["field"])  # date_reached
    return criteria([prop_filter(date, KNOWN)], [changed_to(date, KNOWN)])


def due_time(due_in: str) -> JSON:
    amount, unit = duration(due_in)
    return {"delta": amount, "timeUnit": TIME_UNITS[unit], "timeOfDay": {"hour": 9, "minute": 0}, "daysOfWeek": []}


def _owner(assignee: str, ids: Lookups) -> JSON:
    if assignee == "record_owner":
        return {"type": "OBJECT_PROPERTY", "propertyName": OWNER}
    return {"type": "STATIC_VALUE", "staticValue": need(ids.owner_id.get(assignee.lower()), f"owner {assignee}")}


def action_fields(name: str, obj: str, action: Mapping[str, Any], ids: Lookups) -> tuple[str, JSON]:
    kind, args = next(iter(action.items()))
    if kind == "create_task":
        return ACTION_TYPES[kind], {
            "task_type": "TODO", "subject": args["subject"], "body": "", "priority": "NONE",
            "associations": [{"target": {"associationCategory": "HUBSPOT_DEFINED",
                                         "associationTypeId": TASK_ASSOCIATIONS[obj]},
                              "value": {"type": "ENROLLED_OBJECT"}}],
            "use_explicit_associations": "true", "owner_assignment": {"type": "CUSTOM", "value": _owner(
                args["assign_to"], ids)},
            "due_time": due_time(args["due_in"])}
    if kind == "set_field":
        return ACTION_TYPES[kind], {"property_name": property_name(obj, args["field"]),
                                    "value": {"type": "STATIC_VALUE", "staticValue": args["value"] or ""}}
    if kind == "assign_round_robin":
        return ACTION_TYPES[kind], {
            "team_ids": [need(ids.team_id.get(args["team"]), f"team {args['team']}")],
            "user_ids": sorted(need(ids.owner_id.get(e), f"owner {e}") for e in args["among"]),
            "target_property": OWNER, "overwrite_current_owner": "false"}
    to = args["to"]
    return ACTION_TYPES["notify"], {
        "user_ids": sorted(need(ids.user_id.get(t.lower()), f"user {t}") for t in to if "@" in t),
        "team_ids": sorted(need(ids.team_id.get(t[5:]), f"team {t[5:]}") for t in to if t.startswith("team:")),
        "owner_properties": [OWNER] if "record_owner" in to else [],
        "delivery_method": "APP", "subject": name, "body": args["message"]}


def steps(name: str, obj: str, attrs: Mapping[str, Any], ids: Lookups) -> list[tuple[str, JSON]]:
    """(actionTypeId, fields) in execution order; a date trigger starts with its delay."""
    found: list[tuple[str, JSON]] = []
    trigger = attrs["trigger"]
    if "date_reached" in trigger:
        amount, unit = duration(trigger["date_reached"]["offset"])
        found.append((ACTION_TYPES["delay_until"], {
            "date": {"type": "OBJECT_PROPERTY", "propertyName": property_name(obj, trigger["date_reached"]["field"])},
            "delta": str(amount), "time_unit": TIME_UNITS[unit], "time_of_day": {"hour": 9, "minute": 0}}))
    found += [action_fields(name, obj, action, ids) for action in attrs["actions"]]
    return found


def flow_body(name: str, attrs: Mapping[str, Any], ids: Lookups) -> JSON:
    """The v4 create body for a compiled automation, before crmconf's mark (flows.to_flow adds it)."""
    obj = str(attrs["object"])
    actions: list[JSON] = []
    chain = steps(name, obj, attrs, ids)
    for i, (type_id, fields) in enumerate(chain, start=1):
        step: JSON = {"type": "SINGLE_CONNECTION", "actionId": str(i), "actionTypeVersion": 0,
                      "actionTypeId": type_id, "fields": fields}
        if i < len(chain):
            step["connection"] = {"edgeType": "STANDARD", "nextActionId": str(i + 1)}
        actions.append(step)
    body: JSON = {
        "name": flow_name(name), "type": "CONTACT_FLOW" if obj == "contact" else "PLATFORM_FLOW",
        "flowType": "WORKFLOW", "objectTypeId": OBJECT_TYPE_IDS[obj], "isEnabled": attrs["status"] == "active",
        "description": attrs.get("description") or "", "startActionId": "1", "actions": actions,
        "enrollmentCriteria": enrollment(obj, attrs["trigger"], ids),
        "blockedDates": [], "timeWindows": [], "customProperties": {}, "dataSources": [],
    }
    if obj == "contact":
        body.update(canEnrollFromSalesforce=False, suppressionListIds=[])
    return body


# crmconf's mark in a flow's customProperties: a digest of what it wrote, decoded without any lookups (so
# the same with or without the portal's ids, and whatever defaults HubSpot stores) plus the flow's own
# schedule settings. A flow still carrying the digest of what it now is was last written by crmconf
# (flows.written_by_crmconf), which the audit does not count as a change since review.
MARK = "crmconf.digest"
SCHEDULE_KEYS = ("blockedDates", "timeWindows", "enrollmentSchedule", "suppressionFilterBranch", "goalFilterBranch",
                 "unEnrollmentSetting")


def digest(attrs: Mapping[str, Any], flow: Mapping[str, Any]) -> str:
    payload = {"attrs": dict(attrs), "schedule": {k: flow.get(k) for k in SCHEDULE_KEYS if flow.get(k)}}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:24]


# [spec] API*FlowPutRequest: what a PUT may carry.
PUT_KEYS = ("actions", "blockedDates", "customProperties", "isEnabled", "timeWindows", "type", "description",
            "enrollmentCriteria", "enrollmentSchedule", "name", "startActionId", "suppressionFilterBranch", "uuid",
            "canEnrollFromSalesforce", "suppressionListIds", "eventAnchor", "goalFilterBranch", "unEnrollmentSetting")


def for_put(body: Mapping[str, Any], revision: str) -> JSON:
    """A full replace: the keys a PUT takes, with the revision it replaces."""
    return {**{k: v for k, v in body.items() if k in PUT_KEYS}, "revisionId": revision}
