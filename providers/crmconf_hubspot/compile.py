"""A Spec as HubSpot resources and manual steps (pure: no I/O).

Returns, besides `Compiled`, a `Desired` index that fetch uses to name live objects with spec names
(labels -> pipeline/stage names, bound flow ids) and to read only what the plan needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from crmconf import address as addr
from crmconf.engine.native import automation_address, automation_refs
from crmconf.engine.resource import Compiled, ManualStep, Resource
from crmconf.spec.diagnostics import Diagnostic, warning
from crmconf.spec.model import CHOICE_TYPES, Automation, FieldSpec, PermissionSet, Pipeline, Spec
from crmconf.spec.workspace import Sources
from crmconf_hubspot import flows, scopes
from crmconf_hubspot.mapping import (
    DEFAULT_GROUPS,
    LIFECYCLE_OBJECTS,
    OBJECT_TYPES,
    PIPELINE_OBJECTS,
    PLURAL_LABELS,
    collapsed_type,
    flow_name,
    pipelines_path,
    property_label,
    property_name,
    record_form_path,
    standard,
    ui_path,
)
from crmconf_hubspot.scopes import Need

PROVIDER = "hubspot"


@dataclass(frozen=True)
class Desired:
    """What the spec names, indexed the way fetch and apply look things up."""

    resources: Mapping[str, Resource] = field(default_factory=dict)
    pipelines: Mapping[str, Pipeline] = field(default_factory=dict)  # spec name -> deal/ticket pipeline
    standard: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (object, HubSpot name) -> spec name
    bound: Mapping[str, str] = field(default_factory=dict)  # flow id -> automation name
    compiled: frozenset[str] = frozenset()  # automation names compiled into flows
    prune: frozenset[str] = frozenset()
    teams: bool = False  # compiled flows notify teams: fetch must read them
    permissions: bool = False
    known: bool = False  # False: nothing was compiled (import, audit): fetch reads everything
    # What the plan must read, so a token needs only the scopes of the concerns the spec uses:
    field_objects: frozenset[str] = frozenset()  # properties listed per object
    pipeline_objects: frozenset[str] = frozenset()  # deal/ticket pipelines
    lifecycle_objects: frozenset[str] = frozenset()  # contact/company lifecycle pipelines
    lifecycle: Mapping[str, str] = field(default_factory=dict)  # spec pipeline name -> contact/company
    lifecycle_specs: Mapping[str, Pipeline] = field(default_factory=dict)
    automations: bool = False  # flows, users and owners
    needs: tuple[Need, ...] = ()

    def removed_options(self, address: str, live: list[dict[str, Any]]) -> list[str]:
        resource = self.resources.get(address)
        if resource is None or resource.attrs.get("options") is None:
            return []
        kept = {o["value"] for o in resource.attrs["options"]}
        return [o["value"] for o in live if o["value"] not in kept]


def compile_spec(spec: Spec, sources: Sources) -> tuple[Compiled, Desired]:
    resources: list[Resource] = []
    manual: list[ManualStep] = []
    diagnostics: list[Diagnostic] = []
    standard_index: dict[tuple[str, str], str] = {}
    spec_fields: dict[str, dict[str, FieldSpec]] = {obj: {f.name: f for f in fs} for obj, fs in spec.fields.items()}

    for obj, fields in spec.fields.items():
        for f in fields:
            address = addr.field(obj, f.name)
            if obj not in OBJECT_TYPES:
                diagnostics.append(warning("P401", f"{address}: the HubSpot provider does not manage {obj} fields",
                                           sources.locate(address), hint="HubSpot keeps leads as contacts"))
                continue
            resource = _field(obj, f, sources, standard_index)
            if resource is not None:
                resources.append(resource)
            manual.extend(_field_steps(obj, f, address, sources))

    pipelines: dict[str, Pipeline] = {}
    lifecycle: dict[str, str] = {}
    for p in spec.pipelines:
        if p.object in PIPELINE_OBJECTS:
            pipelines[p.name] = p
            resources.extend(_pipeline(p, sources))
            step = _stage_requirements(p, spec_fields.get(p.object, {}), sources)
            if step:
                manual.append(step)
        elif p.object in LIFECYCLE_OBJECTS:
            lifecycle[p.name] = p.object
            manual.append(_lifecycle(p, spec_fields.get(p.object, {}), sources))
        else:
            where = sources.locate(addr.pipeline(p.name))
            diagnostics.append(warning("P402", f"pipeline {p.name}: HubSpot has no pipelines for {p.object} records",
                                       where, hint="model it as a picklist field instead"))

    automations = _automations(spec, sources, lifecycle)
    resources.extend(automations.resources)
    manual.extend(automations.manual)
    manual.extend(_permission(p, spec_fields, sources) for p in spec.permissions)
    desired = Desired(
        resources={r.address: r for r in resources}, pipelines=pipelines, standard=standard_index,
        bound=automations.bound, compiled=frozenset(automations.compiled), prune=frozenset(spec.config.policies.prune),
        teams=automations.teams, permissions=bool(spec.permissions), known=True, lifecycle=lifecycle,
        lifecycle_specs={p.name: p for p in spec.pipelines if p.name in lifecycle},
        automations=bool(spec.automations),
    )
    return Compiled(tuple(resources), tuple(manual), tuple(diagnostics)), reads(spec, sources, desired)


@dataclass
class _Automations:
    resources: list[Resource] = field(default_factory=list)
    manual: list[ManualStep] = field(default_factory=list)
    bound: dict[str, str] = field(default_factory=dict)
    compiled: set[str] = field(default_factory=set)
    teams: bool = False


def _automations(spec: Spec, sources: Sources, lifecycle: Mapping[str, str]) -> _Automations:
    out = _Automations()
    declared = {addr.field(o, f.name) for o, fs in spec.fields.items() for f in fs}
    for a in spec.automations:
        if a.binds is not None:
            bound_address = automation_address(a, PROVIDER)
            if bound_address is not None:
                out.bound[a.binds[PROVIDER]] = a.name
                out.resources.append(_bound(a, bound_address, sources))
            continue
        reason = flows.unsupported(a, lifecycle)
        if reason is not None:
            out.manual.append(_manual_automation(a, reason, sources))
            continue
        out.compiled.add(a.name)
        out.teams = out.teams or flows.uses_teams(a)
        out.resources.append(Resource(
            addr.automation(a.name), "automation", flows.normalise(a), depends_on=automation_refs(a, declared),
            source=sources.locate(addr.automation(a.name)), owners=tuple(x for x in (a.team, a.owner) if x),
            label=flow_name(a.name), replace_on=("object",)))  # a flow's object type is fixed at creation
    return out


def reads(spec: Spec, sources: Sources, desired: Desired) -> Desired:
    """What a plan of this spec reads, and the scopes that needs (see scopes.py)."""
    needs: list[Need] = []
    fields: set[str] = {obj for obj in spec.fields if obj in OBJECT_TYPES}
    for obj in sorted(fields):
        first = spec.fields[obj][0]  # type: ignore[index]
        needs += scopes.for_fields(obj, sources.locate(addr.field(obj, first.name)))
    pipelines: set[str] = {p.object for p in desired.pipelines.values()}
    lifecycles: set[str] = set(desired.lifecycle.values())
    compiled = [a for a in spec.automations if a.name in desired.compiled]
    for a in compiled:
        fields.add(str(a.object))  # property types for the workflow's filters
        if flows.reads_stages(a):
            (pipelines if a.object in PIPELINE_OBJECTS else lifecycles).add(str(a.object))
    for name, pipeline in desired.pipelines.items():
        needs += scopes.for_pipelines(pipeline.object, sources.locate(addr.pipeline(name)))
    for name, obj in desired.lifecycle.items():
        needs += scopes.for_lifecycle(obj, sources.locate(addr.pipeline(name)))
    if spec.automations:
        needs += scopes.for_automations(sources.locate(addr.automation(spec.automations[0].name)), desired.teams)
    if spec.permissions:
        needs += scopes.for_permissions(sources.locate(addr.permission(spec.permissions[0].name)))
    prune = desired.prune
    if "field" in prune:
        fields |= set(OBJECT_TYPES)
        needs += [n for obj in OBJECT_TYPES for n in scopes.for_fields(obj, None)]
    if "pipeline" in prune:
        pipelines |= set(PIPELINE_OBJECTS)
        needs += [n for obj in PIPELINE_OBJECTS for n in scopes.for_pipelines(obj, None)]
    automations = desired.automations or "automation" in prune
    if automations and not spec.automations:
        needs += scopes.for_automations(None, teams=False)
    needs += scopes.for_record()  # every plan reads the managed record; every apply writes it and the lock
    return replace(desired, field_objects=frozenset(fields), pipeline_objects=frozenset(pipelines),
                   lifecycle_objects=frozenset(lifecycles), automations=automations, needs=tuple(needs))


# --- fields -----------------------------------------------------------------------------------------

def spec_options(f: FieldSpec) -> list[dict[str, Any]] | None:
    if f.type not in CHOICE_TYPES or not f.options:
        return None
    return [{"value": o.value, "label": o.display, "hidden": o.hidden} for o in f.options]


def field_attrs(obj: str, f: FieldSpec) -> dict[str, Any]:
    """What HubSpot can hold of a custom field, in the vocabulary fetch reads back."""
    attrs = {"label": f.label, "type": collapsed_type(f.type), "help_text": f.help_text or None,
             "options": spec_options(f), "group": f.group or DEFAULT_GROUPS[obj], "unique": f.unique}
    if f.format is not None:
        # Managed through HubSpot's property validation rules; declared only when the spec sets it, since
        # the API has no way to remove a rule (dropping `format` leaves the rule to remove by hand).
        attrs["format"] = f.format
    return attrs


def _field(obj: str, f: FieldSpec, sources: Sources, standard_index: dict[tuple[str, str], str]) -> Resource | None:
    address = addr.field(obj, f.name)
    std = standard(obj, f.name)
    if std is None:
        return Resource(address, "field", field_attrs(obj, f), source=sources.locate(address), owners=f.owners,
                        label=f.label)
    # A HubSpot-defined property: its definition is read-only; some enumerations' options move, and any
    # property can carry validation rules (phone format).
    attrs: dict[str, Any] = {}
    if std.options_managed and f.type in CHOICE_TYPES:
        attrs["options"] = spec_options(f)
    if f.format is not None:
        attrs["format"] = f.format
    if not attrs:
        return None
    standard_index[(obj, std.name)] = f.name
    return Resource(address, "field", attrs, source=sources.locate(address), owners=f.owners, label=f.label)


def _field_steps(obj: str, f: FieldSpec, address: str, sources: Sources) -> list[ManualStep]:
    steps = []
    where = sources.locate(address)
    shown = f"{f.label} ({property_name(obj, f.name)})"
    if f.required:
        steps.append(ManualStep(
            address, f"Make {shown} required",
            f"HubSpot properties have no 'required' setting in the API. In {record_form_path(obj)}, "
            f"mark {shown} as required (and on any forms that create {PLURAL_LABELS[obj].lower()}).",
            where, f.owners, topic="required"))
    return steps


# --- pipelines --------------------------------------------------------------------------------------

def _pipeline(p: Pipeline, sources: Sources) -> list[Resource]:
    address = addr.pipeline(p.name)
    owners = tuple(dict.fromkeys([*p.owners, *(s.owner_team for s in p.stages if s.owner_team)]))
    pipeline = Resource(
        address, "pipeline", {"object": p.object, "label": p.label}, source=sources.locate(address), owners=owners,
        replace_on=("object",), label=p.label,
        migrations={addr.child(address, "stage", old): addr.child(address, "stage", new) for old, new in p.migrate_to.items()},
    )
    stages = [
        Resource(addr.child(address, "stage", s.name), "stage",
                 {"label": s.label, "position": i, "probability": s.probability if p.object == "deal" else None,
                  "outcome": s.outcome},
                 depends_on=(address,), source=sources.locate(addr.child(address, "stage", s.name)), owners=owners,
                 parent=address, label=s.label)
        for i, s in enumerate(p.stages)
    ]
    return [pipeline, *stages]


def _stage_requirements(p: Pipeline, spec_fields: Mapping[str, FieldSpec], sources: Sources) -> ManualStep | None:
    required = [(s, s.require) for s in p.stages if s.require]
    if not required:
        return None
    lines = "; ".join(f"{s.label}: " + ", ".join(property_label(p.object, r, spec_fields) for r in req)
                      for s, req in required)
    return ManualStep(
        addr.pipeline(p.name), f"Set the properties each stage of {p.label} requires",
        f"HubSpot has no API for stage-required properties. In "
        f"{ui_path(pipelines_path(p.object, p.label), 'Edit stage properties')}, require: {lines}.",
        sources.locate(addr.pipeline(p.name)), p.owners, topic="stage-requirements")


def _lifecycle(p: Pipeline, spec_fields: Mapping[str, FieldSpec], sources: Sources) -> ManualStep:
    """HubSpot's lifecycle stages are a pipeline (contacts-lifecycle-pipeline), readable through the API,
    which crmconf reads to compile workflows on them, but the API cannot add, rename or reorder them."""
    plural = PLURAL_LABELS[p.object]
    stages = ", ".join(s.label + (" (closed)" if s.outcome else "") for s in p.stages)
    required = "; ".join(f"{s.label}: " + ", ".join(property_label(p.object, r, spec_fields) for r in s.require)
                         for s in p.stages if s.require)
    text = (f"HubSpot keeps {p.object} lifecycle stages in its lifecycle pipeline, which its API can read but not "
            f"change. In {ui_path('Settings', 'Objects', plural, 'Lifecycle stages')}, set the stages, in this "
            f"order: {stages}. Workflows that name these stages compile once they exist there.")
    if required:
        text += f" Then, per stage, require: {required}."
    return ManualStep(addr.pipeline(p.name), f"Set up the {p.label} as HubSpot lifecycle stages", text,
                      sources.locate(addr.pipeline(p.name)), p.owners, topic="lifecycle-stages")


# --- automations ------------------------------------------------------------------------------------

def _bound(a: Automation, address: str, sources: Sources) -> Resource:
    # Only what the spec says is managed: a bound workflow without a description keeps its own.
    attrs: dict[str, Any] = {"status": a.status}
    if a.description:
        attrs["description"] = a.description
    return Resource(address, "automation", attrs, source=sources.locate(addr.automation(a.name)),
                    owners=tuple(x for x in (a.team, a.owner) if x), label=a.name)


def _manual_automation(a: Automation, reason: str, sources: Sources) -> ManualStep:
    trigger = a.trigger.model_dump(mode="json") if a.trigger else {}
    actions = [act.model_dump(mode="json") for act in a.actions]
    return ManualStep(
        addr.automation(a.name), f"Build the workflow {flow_name(a.name)} by hand",
        f"crmconf cannot generate it ({reason}). In {ui_path('Automation', 'Workflows')}, create a "
        f"{a.object}-based workflow "
        f"named exactly '{flow_name(a.name)}' (so plans and audits recognise it) with trigger {trigger} and "
        f"actions {actions}; turn it {'on' if a.status == 'active' else 'off'}.",
        sources.locate(addr.automation(a.name)), tuple(x for x in (a.team, a.owner) if x), topic="build-workflow",
        protects=(addr.automation(a.name),),  # the workflow people build from this step: never pruned
        # HubSpot lists workflows by name: the one asked for either exists, in the state asked, or not.
        check={"kind": "automation", "label": flow_name(a.name), "attrs": {"status": a.status}})


# --- permissions ------------------------------------------------------------------------------------

def _permission(p: PermissionSet, spec_fields: Mapping[str, Mapping[str, FieldSpec]], sources: Sources) -> ManualStep:
    objects = "; ".join(f"{PLURAL_LABELS[o]}: {', '.join(acc)}" for o, acc in sorted(p.objects.items())) or "none"
    shown = []
    for ref, access in sorted(p.fields.items()):
        obj, name = ref.split(".", 1)
        shown.append(f"{property_label(obj, name, spec_fields.get(obj, {}))} on {obj}: {access}")
    fields = "; ".join(shown)
    text = (f"HubSpot's API can list permission sets but not define them. In "
            f"{ui_path('Settings', 'Users & Teams', 'Permission sets')}, create or edit '{p.label}' and grant: {objects}.")
    if fields:
        text += (f" Field-level access (each property's Field permissions in {ui_path('Settings', 'Properties')}): "
                 f"{fields}.")
    return ManualStep(addr.permission(p.name), f"Set up the permission set {p.label}", text,
                      sources.locate(addr.permission(p.name)), topic="permission-set",
                      check={"role": p.label, "name": p.name})  # its grants are unreadable: absence refutes
