"""The automation DSL as crmconf compares it for HubSpot: normal forms, and what has no workflow form.

`normalise(automation)` is what a plan compares; `flows.from_flow` reads a live workflow back into the
same form. Values are as HubSpot stores them (strings), durations are re-spelt canonically ("-0d" is
"0d"), and lists HubSpot keeps unordered (notification recipients, rotation users) are sorted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
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
)
from crmconf_hubspot.mapping import OBJECT_TYPE_IDS, PIPELINE_PROPERTIES, property_name

JSON = dict[str, Any]
# The property that holds a record's stage: a pipeline stage, or the lifecycle stage.
STAGE_PROPERTIES = {"deal": "dealstage", "ticket": "hs_pipeline_stage", "contact": "lifecyclestage",
                    "company": "lifecyclestage"}


def value_str(value: Any) -> str | None:
    """A DSL value as HubSpot stores it (every property value is a string)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    return str(value)


def duration(text: str) -> tuple[int, str]:
    match = re.fullmatch(r"(-?[0-9]+)([hdw])", text)
    if match is None:
        raise ValueError(f"not a duration: {text!r}")
    return int(match.group(1)), match.group(2)


def duration_str(text: str) -> str:
    amount, unit = duration(text)
    return f"{amount}{unit}"


def unsupported(a: Automation, lifecycle: Mapping[str, str] | None = None) -> str | None:
    """Why this automation cannot be compiled to a HubSpot workflow (None: it can)."""
    if a.object not in OBJECT_TYPE_IDS:
        return f"crmconf does not manage HubSpot workflows on {a.object} records"
    trigger = a.trigger
    if isinstance(trigger, FieldChanged):
        if property_name(a.object, trigger.field_changed.field) in (*PIPELINE_PROPERTIES.get(a.object, ()),
                                                                      STAGE_PROPERTIES[a.object]):
            return "use stage_entered for stage changes"
    elif isinstance(trigger, StageEntered):
        pipeline = trigger.stage_entered.partition(".")[0]
        on_lifecycle = (lifecycle or {}).get(pipeline)
        if on_lifecycle is not None and on_lifecycle != a.object:
            return f"{pipeline} holds {on_lifecycle} lifecycle stages; the workflow is on {a.object} records"
    elif trigger is None:
        return "it has no trigger"
    for action in a.actions:
        if isinstance(action, CreateTask) and action.create_task.assign_to.startswith("team:"):
            return "HubSpot assigns tasks to users, not teams"
    return None


def uses_teams(a: Automation) -> bool:
    return any((isinstance(act, Notify) and any(t.startswith("team:") for t in act.notify.to))
               or isinstance(act, AssignRoundRobin) for act in a.actions)


def reads_stages(a: Automation) -> bool:
    """The workflow names stage or pipeline ids, which fetch must read."""
    return isinstance(a.trigger, StageEntered | StaleInStage)


def _trigger(a: Automation) -> JSON:
    trigger = a.trigger
    if isinstance(trigger, StageEntered):
        return {"stage_entered": trigger.stage_entered}
    if isinstance(trigger, RecordCreated):
        return {"record_created": {"where": {k: value_str(v) for k, v in sorted(trigger.record_created.where.items())}}}
    if isinstance(trigger, FieldChanged):
        return {"field_changed": {"field": trigger.field_changed.field, "to": value_str(trigger.field_changed.to)}}
    if isinstance(trigger, StaleInStage):
        # Contacts and companies have one lifecycle pipeline: naming it adds nothing to the workflow.
        pipeline = trigger.stale_in_stage.pipeline if a.object in PIPELINE_PROPERTIES else None
        return {"stale_in_stage": {"days": trigger.stale_in_stage.days, "pipeline": pipeline}}
    if isinstance(trigger, DateReached):
        return {"date_reached": {"field": trigger.date_reached.field,
                                 "offset": duration_str(trigger.date_reached.offset)}}
    raise ValueError(f"cannot normalise trigger {trigger!r}")  # unsupported() keeps the rest out


def _action(action: Any) -> JSON:
    if isinstance(action, CreateTask):
        t = action.create_task
        return {"create_task": {"subject": t.subject, "due_in": duration_str(t.due_in), "assign_to": t.assign_to}}
    if isinstance(action, SetField):
        return {"set_field": {"field": action.set_field.field, "value": value_str(action.set_field.value)}}
    if isinstance(action, Notify):
        return {"notify": {"to": sorted(action.notify.to), "message": action.notify.message}}
    if isinstance(action, AssignRoundRobin):
        r = action.assign_round_robin
        return {"assign_round_robin": {"team": r.team, "among": sorted(e.lower() for e in r.among)}}
    raise ValueError(f"cannot normalise action {action!r}")


def normalise(a: Automation) -> JSON:
    """The compared attributes of a compiled automation."""
    return {"status": a.status, "description": a.description or None, "object": a.object, "trigger": _trigger(a),
            "actions": [_action(act) for act in a.actions]}
