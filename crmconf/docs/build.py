"""Spec -> Handbook: the terminology, a process map per pipeline and the automation inventory. Pure."""

from __future__ import annotations

from datetime import date

from crmconf.docs.layout import edges
from crmconf.docs.model import Edge, Handbook, InventoryEntry, ProcessMap, StageStep, TermEntry
from crmconf.spec.checks.inventory import next_review
from crmconf.spec.model import (
    Action,
    AssignRoundRobin,
    Automation,
    CreateTask,
    DateReached,
    FieldChanged,
    Notify,
    Pipeline,
    RecordCreated,
    SetField,
    Spec,
    StageEntered,
    StaleInStage,
    Trigger,
)


def build(spec: Spec, today: date, *, title: str = "CRM handbook") -> Handbook:
    terms = tuple(
        TermEntry(t.term, t.definition, t.owners, t.avoid, t.examples)
        for t in sorted(spec.terminology, key=lambda t: t.term.casefold())
    )
    processes = tuple(process_map(p, spec) for p in spec.pipelines)
    policies = spec.config.policies
    automations = tuple(_entry(a, next_review(a, policies)) for a in spec.automations)
    return Handbook(title, today, terms, processes, automations)


def process_map(pipeline: Pipeline, spec: Spec) -> ProcessMap:
    steps = tuple(
        StageStep(
            name=s.name,
            label=s.label,
            probability=s.probability,
            required=tuple(_field_name(spec, pipeline.object, r) for r in s.require),
            exit_criteria=s.exit_criteria,
            owner_team=s.owner_team,
            outcome=s.outcome,
            branch_from=s.branch_from,
        )
        for s in pipeline.stages
    )
    return ProcessMap(
        pipeline.name,
        pipeline.label,
        pipeline.object,
        pipeline.description,
        pipeline.owners,
        steps,
        flow(steps),
    )


def flow(steps: tuple[StageStep, ...]) -> tuple[Edge, ...]:
    """The agreed path through the stages (crmconf.docs.layout.edges)."""
    return edges(steps)


def _field_name(spec: Spec, obj: str, name: str) -> str:
    field = spec.field(obj, name)
    if field is None or field.label.casefold().replace(" ", "_") == name:
        return field.label if field is not None else name
    return f"{field.label} ({name})"


def _entry(a: Automation, due: date | None) -> InventoryEntry:
    return InventoryEntry(
        name=a.name,
        kind=a.kind,
        object=a.object,
        trigger=describe_trigger(a.trigger) if a.trigger is not None else "",
        actions=tuple(describe_action(x) for x in a.actions),
        binds=tuple(sorted((a.binds or {}).items())),
        owner=a.owner,
        team=a.team,
        purpose=a.purpose,
        description=a.description,
        reviewed=a.reviewed,
        next_review=due,
        status=a.status,
    )


def describe_trigger(trigger: Trigger) -> str:
    if isinstance(trigger, StageEntered):
        return f"enters stage {trigger.stage_entered}"
    if isinstance(trigger, RecordCreated):
        where = ", ".join(f"{k} = {v}" for k, v in trigger.record_created.where.items())
        return "record created" + (f" where {where}" if where else "")
    if isinstance(trigger, FieldChanged):
        to = trigger.field_changed.to
        return f"{trigger.field_changed.field} changes" + (f" to {to}" if to is not None else "")
    if isinstance(trigger, StaleInStage):
        stale = trigger.stale_in_stage
        return f"{stale.days} days in one stage" + (f" of {stale.pipeline}" if stale.pipeline else "")
    if isinstance(trigger, DateReached):
        reached = trigger.date_reached
        return f"{reached.field} reached" + (f" (offset {reached.offset})" if reached.offset != "0d" else "")
    return str(trigger)


def describe_action(action: Action) -> str:
    if isinstance(action, CreateTask):
        a = action.create_task
        return f"create task “{a.subject}” for {a.assign_to}, due in {a.due_in}"
    if isinstance(action, Notify):
        return f"notify {', '.join(action.notify.to)}"
    if isinstance(action, SetField):
        return f"set {action.set_field.field} = {action.set_field.value}"
    if isinstance(action, AssignRoundRobin):
        return f"assign round robin in team {action.assign_round_robin.team}"
    return str(action)
