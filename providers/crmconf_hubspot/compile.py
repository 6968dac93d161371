"""A Spec as HubSpot resources and manual steps (pure: no I/O).

Returns, besides `Compiled`, a `Desired` index that fetch uses to name live objects with spec names
(labels -> pipeline/stage names, bound flow ids) and to read only what the plan needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crmconf import address as addr
from crmconf.engine.native import automation_address, automation_refs
from crmconf.engine.resource import Compiled, ManualStep, Resource
from crmconf.spec.diagnostics import Diagnostic, error, warning
from crmconf.spec.model import CHOICE_TYPES, Automation, FieldSpec, Notify, PermissionSet, Pipeline, Spec
from crmconf.spec.workspace import Sources
from crmconf_hubspot import flows
from crmconf_hubspot.mapping import (
    DEFAULT_GROUPS,
    OBJECT_TYPES,
    PIPELINE_OBJECTS,
    PLURAL_LABELS,
    collapsed_type,
    flow_name,
    pipelines_path,
    property_label,
    property_name,
    property_path,
    record_form_path,
    standard,
    ui_path,
)

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
    for p in spec.pipelines:
        if p.object in PIPELINE_OBJECTS:
            pipelines[p.name] = p
            resources.extend(_pipeline(p, sources))
            diagnostics.extend(_outcome_probabilities(p, sources))
            step = _stage_requirements(p, spec_fields.get(p.object, {}), sources)
            if step:
                manual.append(step)
        elif p.object == "contact":
            manual.append(_lifecycle(p, spec_fields.get("contact", {}), sources))
        else:
            where = sources.locate(addr.pipeline(p.name))
            diagnostics.append(warning("P402", f"pipeline {p.name}: HubSpot has no pipelines for {p.object} records",
                                       where, hint="model it as a picklist field instead"))

    bound: dict[str, str] = {}
    compiled: set[str] = set()
    teams = False
    declared = {addr.field(o, f.name) for o, fs in spec.fields.items() for f in fs}
    for a in spec.automations:
        if a.binds is not None:
            bound_address = automation_address(a, PROVIDER)
            if bound_address is not None:
                bound[a.binds[PROVIDER]] = a.name
                resources.append(_bound(a, bound_address, sources))
            continue
        reason = flows.unsupported(a)
        if reason is not None:
            manual.append(_manual_automation(a, reason, sources))
            continue
        compiled.add(a.name)
        teams = teams or any(isinstance(act, Notify) and any(t.startswith("team:") for t in act.notify.to)
                             for act in a.actions)
        resources.append(Resource(addr.automation(a.name), "automation", flows.normalise(a),
                                  depends_on=automation_refs(a, declared), source=sources.locate(addr.automation(a.name)),
                                  owners=tuple(x for x in (a.team, a.owner) if x), label=flow_name(a.name),
                                  replace_on=("object",)))  # a flow's object type is fixed at creation

    manual.extend(_permission(p, spec_fields, sources) for p in spec.permissions)
    desired = Desired(
        resources={r.address: r for r in resources}, pipelines=pipelines, standard=standard_index, bound=bound,
        compiled=frozenset(compiled), prune=frozenset(spec.config.policies.prune), teams=teams,
        permissions=bool(spec.permissions), known=True,
    )
    return Compiled(tuple(resources), tuple(manual), tuple(diagnostics)), desired


# --- fields -----------------------------------------------------------------------------------------

def spec_options(f: FieldSpec) -> list[dict[str, Any]] | None:
    if f.type not in CHOICE_TYPES or not f.options:
        return None
    return [{"value": o.value, "label": o.display, "hidden": o.hidden} for o in f.options]


def field_attrs(obj: str, f: FieldSpec) -> dict[str, Any]:
    """What HubSpot can hold of a custom field, in the vocabulary fetch reads back."""
    return {"label": f.label, "type": collapsed_type(f.type), "help_text": f.help_text or None,
            "options": spec_options(f), "group": f.group or DEFAULT_GROUPS[obj], "unique": f.unique}


def _field(obj: str, f: FieldSpec, sources: Sources, standard_index: dict[tuple[str, str], str]) -> Resource | None:
    address = addr.field(obj, f.name)
    std = standard(obj, f.name)
    if std is None:
        return Resource(address, "field", field_attrs(obj, f), source=sources.locate(address), owners=f.owners,
                        label=f.label)
    # A HubSpot-defined property: its definition is read-only; only some enumerations' options move.
    if std.options_managed and f.type in CHOICE_TYPES:
        standard_index[(obj, std.name)] = f.name
        return Resource(address, "field", {"options": spec_options(f)}, source=sources.locate(address),
                        owners=f.owners, label=f.label)
    return None


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
    if f.format == "e164":
        steps.append(ManualStep(
            address, f"Validate {shown} as an international phone number",
            f"In {ui_path(property_path(obj, f.label), 'Rules')}, require a valid phone number in E.164 format "
            "(+14155550123); the properties API cannot set validation rules.", where, f.owners, topic="e164"))
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


def _outcome_probabilities(p: Pipeline, sources: Sources) -> list[Diagnostic]:
    """HubSpot has no won/lost flag: a closed deal stage is won at a probability of 50 % or more and lost
    below (`mapping.deal_outcome`), so any other pairing reads back as the opposite outcome and the plan
    never converges. An error, not a warning: applying it would rewrite the stage on every run."""
    if p.object != "deal":
        return []
    found = []
    for s in p.stages:
        if (s.outcome == "won" and (s.probability or 0) < 50) or (s.outcome == "lost" and (s.probability or 0) >= 50):
            found.append(error(
                "P403", f"stage {p.name}.{s.name} is {s.outcome} with probability {s.probability}, which HubSpot "
                        f"reads as {'lost' if s.outcome == 'won' else 'won'}: it tells a closed stage's outcome "
                        "only by its probability", sources.locate(addr.stage(p.name, s.name)),
                hint="a won stage needs probability 50-100 (usually 100), a lost one 0-49 (usually 0)"))
    return found


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
    stages = ", ".join(s.label + (" (closed)" if s.outcome else "") for s in p.stages)
    required = "; ".join(f"{s.label}: " + ", ".join(property_label("contact", r, spec_fields) for r in s.require)
                         for s in p.stages if s.require)
    text = (f"HubSpot keeps the contact lifecycle in its own Lifecycle Stage property, whose default stages "
            f"crmconf does not rewrite. In {ui_path('Settings', 'Objects', 'Contacts', 'Lifecycle stages')}, "
            f"set the stages, in "
            f"this order: {stages}.")
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
