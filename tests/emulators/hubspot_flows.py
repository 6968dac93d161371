"""What the emulated v4 flows API accepts, and how it stores a flow (see RULES-hubspot.md, "Flows").

HubSpot validates flow bodies against its published schema (required fields differ between create
and PUT), knows its built-in action types and the inputs each needs, checks the shape of every
filter, and stores a flow with its defaults filled in, so a read-back is not byte-equal to what
was sent. Pure functions over JSON; `hubspot_state.Portal` calls them.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from tests.emulators.hubspot_errors import JSON, invalid

FLOW_TYPES = ("CONTACT_FLOW", "PLATFORM_FLOW")
# [spec] APIPlatformFlowCreateRequest / APIContactFlowCreateRequest: required on create.
CREATE_REQUIRED = ("type", "flowType", "objectTypeId", "isEnabled", "actions", "blockedDates", "timeWindows",
                   "customProperties", "dataSources")
CONTACT_REQUIRED = ("canEnrollFromSalesforce", "suppressionListIds")
# [spec] API*FlowPutRequest: a full replace with the current revision; no objectTypeId/flowType/dataSources.
PUT_REQUIRED = ("type", "isEnabled", "actions", "blockedDates", "timeWindows", "customProperties", "revisionId")
PUT_FORBIDDEN = ("objectTypeId", "flowType", "dataSources")
# [spec] the criteria schemas' required fields.
CRITERIA_REQUIRED = {
    "LIST_BASED": ("listFilterBranch", "reEnrollmentTriggersFilterBranches", "shouldReEnroll",
                   "unEnrollObjectsNotMeetingCriteria"),
    "EVENT_BASED": ("eventFilterBranches", "listMembershipFilterBranches", "shouldReEnroll"),
    "MANUAL": ("shouldReEnroll",),
}
# [docs] action-enrollment-reference, [3p] flows read back from real portals: built-in action types and the
# inputs every one of them carries. Ids above 0-999 are app-defined (integration actions): not checked.
ACTION_TYPES: dict[str, tuple[str, ...]] = {
    "0-1": ("delta", "time_unit"),  # delay
    "0-3": ("task_type", "subject"),  # create task
    "0-4": ("content_id",),  # send marketing email
    "0-5": ("property_name", "value"),  # set property value
    "0-8": ("subject", "body"),  # internal e-mail notification
    "0-9": ("delivery_method", "subject", "body"),  # in-app notification
    "0-11": ("target_property",),  # rotate record to owner
    "0-35": ("date", "delta", "time_unit"),  # delay until a date property
}
# What HubSpot fills into an action's fields when a flow is stored ([3p]: stored flows carry them).
ACTION_DEFAULTS: dict[str, JSON] = {
    "0-3": {"body": "", "priority": "NONE"},
    "0-9": {"user_ids": [], "team_ids": [], "owner_properties": []},
    "0-11": {"overwrite_current_owner": "false"},
}
# [spec] Public*PropertyOperation: keys each operation type requires (every one also needs
# operationType, operator and includeObjectsWithNoValueSet).
OPERATION_KEYS: dict[str, tuple[str, ...]] = {
    "ENUMERATION": ("values",), "STRING": ("value",), "BOOL": ("value",), "NUMBER": ("value",),
    "ALL_PROPERTY": (), "ROLLING_PROPERTY_UPDATED": ("numberOfDays",), "MULTISTRING": ("values",),
}
BRANCH_TYPES = ("OR", "AND", "NOT_ALL", "NOT_ANY", "RESTRICTED", "UNIFIED_EVENTS", "PROPERTY_ASSOCIATION",
                "ASSOCIATION")


def _missing(body: JSON, keys: Iterable[str], where: str = "") -> None:
    absent = [k for k in keys if k not in body or body[k] is None]
    if absent:
        prefix = f"{where}: " if where else ""
        raise invalid(f"{prefix}Some required fields were not set: [{', '.join(absent)}]")


def _object(raw: Any, where: str) -> JSON:
    if not isinstance(raw, dict):
        raise invalid(f"{where} must be an object")
    return raw


def check_create(raw: Any) -> JSON:
    body = _object(raw, "Invalid input JSON: the flow")
    _missing(body, CREATE_REQUIRED)
    if body["type"] == "CONTACT_FLOW":
        _missing(body, CONTACT_REQUIRED)
    _check_common(body)
    if body["flowType"] not in ("WORKFLOW", "ACTION_SET"):
        raise invalid("flowType must be one of WORKFLOW, ACTION_SET")
    if (body["type"] == "CONTACT_FLOW") != (body["objectTypeId"] == "0-1"):
        raise invalid("CONTACT_FLOW is for contacts (0-1); use PLATFORM_FLOW for other objects")
    if not isinstance(body["dataSources"], list):
        raise invalid("dataSources must be an array")
    return body


def check_put(raw: Any, current: JSON) -> JSON:
    body = _object(raw, "Invalid input JSON: the flow")
    _missing(body, PUT_REQUIRED)
    sent = [k for k in PUT_FORBIDDEN if k in body]
    if sent:
        raise invalid(f"Unrecognized field(s) for an update: [{', '.join(sent)}]; a flow's object type, flow "
                      "type and data sources are fixed at creation")
    if body["type"] == "CONTACT_FLOW":
        _missing(body, CONTACT_REQUIRED)
    _check_common(body)
    if body["type"] != current["type"]:
        raise invalid("A flow's type cannot be changed")
    return body


def as_put(flow: JSON) -> JSON:
    """A read flow as a valid PUT body (what a hand edit in HubSpot's editor sends)."""
    return {k: v for k, v in flow.items() if k not in PUT_FORBIDDEN}


def _check_common(body: JSON) -> None:
    if body["type"] not in FLOW_TYPES:
        raise invalid("type must be one of CONTACT_FLOW, PLATFORM_FLOW")
    if not isinstance(body["isEnabled"], bool):
        raise invalid("isEnabled must be a boolean")
    for key in ("blockedDates", "timeWindows", "actions"):
        if not isinstance(body[key], list):
            raise invalid(f"{key} must be an array")
    if not isinstance(body["customProperties"], dict):
        raise invalid("customProperties must be a map of strings")
    if "enrollmentCriteria" in body:
        check_criteria(_object(body["enrollmentCriteria"], "enrollmentCriteria"))
    check_actions(body)


def check_criteria(criteria: JSON) -> None:
    kind = criteria.get("type")
    if kind not in CRITERIA_REQUIRED:
        raise invalid(f"enrollmentCriteria.type must be one of {', '.join(CRITERIA_REQUIRED)}")
    _missing(criteria, CRITERIA_REQUIRED[kind], "enrollmentCriteria")
    if kind == "LIST_BASED":
        root = _object(criteria["listFilterBranch"], "listFilterBranch")
        # [docs] lists/filters: the root branch is OR, its children AND branches.
        if root.get("filterBranchType") != "OR":
            raise invalid("listFilterBranch must be an OR branch (of AND branches)")
        check_branch(root, "listFilterBranch")
        triggers = criteria["reEnrollmentTriggersFilterBranches"]
        if not isinstance(triggers, list):
            raise invalid("reEnrollmentTriggersFilterBranches must be an array")
        for i, branch in enumerate(triggers):
            check_branch(_object(branch, "a re-enrollment trigger"), f"reEnrollmentTriggersFilterBranches[{i}]")
        if triggers and not criteria["shouldReEnroll"]:
            raise invalid("reEnrollmentTriggersFilterBranches need shouldReEnroll: true")
    elif kind == "EVENT_BASED":
        for i, branch in enumerate(criteria["eventFilterBranches"] or []):
            check_branch(_object(branch, "an event branch"), f"eventFilterBranches[{i}]")


def check_branch(branch: JSON, where: str) -> None:
    _missing(branch, ("filterBranchType", "filterBranchOperator", "filterBranches", "filters"), where)
    if branch["filterBranchType"] not in BRANCH_TYPES:
        raise invalid(f"{where}: unknown filterBranchType {branch['filterBranchType']}")
    for i, child in enumerate(branch["filterBranches"]):
        check_branch(_object(child, "a filter branch"), f"{where}.filterBranches[{i}]")
    for i, flt in enumerate(branch["filters"]):
        check_filter(_object(flt, "a filter"), f"{where}.filters[{i}]")


def check_filter(flt: JSON, where: str) -> None:
    _missing(flt, ("filterType",), where)
    if flt["filterType"] != "PROPERTY":
        return
    _missing(flt, ("property", "operation"), where)
    operation = _object(flt["operation"], f"{where}.operation")
    _missing(operation, ("operationType", "operator", "includeObjectsWithNoValueSet"), f"{where}.operation")
    keys = OPERATION_KEYS.get(str(operation["operationType"]), ())
    _missing(operation, keys, f"{where}.operation")
    if operation["operationType"] == "ENUMERATION" and not isinstance(operation["values"], list):
        raise invalid(f"{where}.operation.values must be an array")
    if operation["operationType"] == "BOOL" and not isinstance(operation["value"], bool):
        raise invalid(f"{where}.operation.value must be a boolean")
    if operation["operationType"] == "NUMBER" and (isinstance(operation["value"], bool)
                                                   or not isinstance(operation["value"], int | float)):
        raise invalid(f"{where}.operation.value must be a number")


def check_actions(flow: JSON) -> None:
    actions = flow["actions"]
    ids = [str(_missing(_object(a, "an action"), ("actionId", "type")) or a["actionId"]) for a in actions]
    if len(ids) != len(set(ids)):
        raise invalid("actionId values must be unique within a flow")
    for action in actions:
        if action["type"] == "SINGLE_CONNECTION":
            _missing(action, ("actionTypeId", "actionTypeVersion", "fields"), f"action {action['actionId']}")
            _check_inputs(action)
        targets = [action.get("connection") or {}, action.get("defaultBranch") or {}]
        targets += [b.get("connection") or {} for b in action.get("staticBranches") or []]
        targets += [b.get("connection") or {} for b in action.get("listBranches") or []]
        for target in targets:
            nxt = target.get("nextActionId")
            if nxt is not None and str(nxt) not in ids:
                raise invalid(f"Action {action['actionId']} connects to unknown action {nxt}")
    start = flow.get("startActionId")
    if ids and start is not None and str(start) not in ids:
        raise invalid(f"startActionId {start} is not an action of this flow")
    numeric = [int(i) for i in ids if i.isdigit()]
    nxt = flow.get("nextAvailableActionId")
    if numeric and nxt is not None and (not str(nxt).isdigit() or int(nxt) <= max(numeric)):
        raise invalid("nextAvailableActionId must be greater than every actionId")


def _check_inputs(action: JSON) -> None:
    type_id = str(action["actionTypeId"])
    fields = _object(action["fields"], f"action {action['actionId']} fields")
    builtin, _, number = type_id.partition("-")
    if builtin == "0" and number.isdigit() and int(number) < 1000:
        if type_id not in ACTION_TYPES:
            raise invalid(f"Unknown action type {type_id} in action {action['actionId']}")
        _missing(fields, ACTION_TYPES[type_id], f"action {action['actionId']} ({type_id}) fields")


def _normalise_operation(operation: JSON) -> None:
    kind = operation.get("operationType")
    if kind == "NUMBER" and isinstance(operation.get("value"), int):
        operation["value"] = float(operation["value"])
    if kind == "ENUMERATION" and isinstance(operation.get("values"), list):
        operation["values"] = sorted({str(v) for v in operation["values"]})


def _normalise_branch(branch: JSON) -> None:
    for child in branch.get("filterBranches") or []:
        _normalise_branch(child)
    for flt in branch.get("filters") or []:
        if isinstance(flt.get("operation"), dict):
            _normalise_operation(flt["operation"])


def stored(raw: JSON) -> JSON:
    """A flow as HubSpot keeps it: defaults filled in, numbers as doubles, enumeration values deduplicated
    and sorted, action fields completed with their defaults."""
    flow = copy.deepcopy(raw)
    flow.setdefault("description", "")
    flow.setdefault("customProperties", {})
    flow.setdefault("dataSources", [])
    flow.setdefault("blockedDates", [])
    flow.setdefault("timeWindows", [])
    if flow["type"] == "CONTACT_FLOW":
        flow.setdefault("suppressionListIds", [])
        flow.setdefault("canEnrollFromSalesforce", False)
    actions = [a for a in flow["actions"] if isinstance(a, dict)]
    numeric = [int(a["actionId"]) for a in actions if str(a.get("actionId", "")).isdigit()]
    flow.setdefault("nextAvailableActionId", str(max(numeric, default=0) + 1))
    if actions:
        flow.setdefault("startActionId", str(actions[0].get("actionId")))
    for action in actions:
        defaults = ACTION_DEFAULTS.get(str(action.get("actionTypeId")))
        if defaults and isinstance(action.get("fields"), dict):
            for key, value in defaults.items():
                action["fields"].setdefault(key, copy.deepcopy(value))
    criteria = flow.get("enrollmentCriteria")
    if isinstance(criteria, dict):
        for key in ("listFilterBranch",):
            if isinstance(criteria.get(key), dict):
                _normalise_branch(criteria[key])
        for key in ("reEnrollmentTriggersFilterBranches", "eventFilterBranches"):
            for branch in criteria.get(key) or []:
                _normalise_branch(branch)
    return flow
