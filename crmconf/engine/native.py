"""The vendor-neutral compile: a Spec as resources in crmconf's own vocabulary.

The local provider stores exactly these, and `crmconf diff --base` compares two of them, so a
spec-vs-spec review and a plan against the local org read the same way.
"""

from __future__ import annotations

import re
from typing import Any

from crmconf import address as addr
from crmconf.engine.resource import Resource
from crmconf.spec.model import (
    Automation,
    FieldChanged,
    FieldSpec,
    PermissionSet,
    Pipeline,
    SetField,
    Spec,
    StageEntered,
    Term,
)
from crmconf.spec.workspace import Sources


def term_key(term: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", term.casefold()).strip("_")


def compile_spec(spec: Spec, sources: Sources, *, provider: str = "local") -> list[Resource]:
    resources: list[Resource] = []
    resources.extend(_term(t, sources) for t in spec.terminology)
    for obj, fields in spec.fields.items():
        resources.extend(_field(obj, f, sources) for f in fields)
    declared = {addr.field(obj, f.name) for obj, fs in spec.fields.items() for f in fs}
    for pipeline in spec.pipelines:
        resources.extend(_pipeline(pipeline, sources, declared))
    for automation in spec.automations:
        resource = _automation(automation, sources, declared, provider, spec)
        if resource is not None:
            resources.append(resource)
    resources.extend(_permission(p, sources, declared) for p in spec.permissions)
    return resources


def _term(term: Term, sources: Sources) -> Resource:
    address = addr.term(term_key(term.term))
    return Resource(
        address,
        "term",
        {
            "term": term.term,
            "definition": term.definition,
            "owners": list(term.owners),
            "avoid": list(term.avoid),
        },
        source=sources.locate(addr.join("term", term.term.lower())),
        owners=term.owners,
        label=term.term,
    )


def field_attrs(f: FieldSpec) -> dict[str, Any]:
    return {
        "label": f.label,
        "type": f.type,
        "required": f.required,
        "help_text": f.help_text,
        "options": [o.model_dump() | {"label": o.display} for o in f.options] if f.options else None,
        "format": f.format,
        "group": f.group,
        "unique": f.unique,
    }


def _field(obj: str, f: FieldSpec, sources: Sources) -> Resource:
    address = addr.field(obj, f.name)
    return Resource(
        address,
        "field",
        field_attrs(f),
        source=sources.locate(address),
        owners=f.owners,
        replace_on=("type",),
        label=f.label,
    )


def _pipeline(p: Pipeline, sources: Sources, declared: set[str]) -> list[Resource]:
    address = addr.pipeline(p.name)
    owners = tuple(dict.fromkeys([*p.owners, *(s.owner_team for s in p.stages if s.owner_team)]))
    pipeline = Resource(
        address,
        "pipeline",
        {
            "object": p.object,
            "label": p.label,
            "description": p.description,
            "stages": [s.name for s in p.stages],
        },
        source=sources.locate(address),
        owners=owners,
        replace_on=("object",),
        label=p.label,
        migrations={addr.stage(p.name, old): addr.stage(p.name, new) for old, new in p.migrate_to.items()},
    )
    stages = [
        Resource(
            addr.stage(p.name, s.name),
            "stage",
            {
                "label": s.label,
                "probability": s.probability,
                "forecast_category": s.forecast_category,
                "outcome": s.outcome,
                "owner_team": s.owner_team,
                "exit_criteria": s.exit_criteria,
                "require": list(s.require),
                "description": s.description,
                "position": i,
            },
            depends_on=(
                address,
                *(addr.field(p.object, r) for r in s.require if addr.field(p.object, r) in declared),
            ),
            source=sources.locate(addr.stage(p.name, s.name)),
            owners=owners,
            parent=address,
            label=s.label,
        )
        for i, s in enumerate(p.stages)
    ]
    return [pipeline, *stages]


def automation_address(a: Automation, provider: str) -> str | None:
    if a.binds is None:
        return addr.automation(a.name)
    bound = a.binds.get(provider)
    return addr.automation(bound) if bound else None


def automation_refs(a: Automation, declared: set[str]) -> tuple[str, ...]:
    refs: list[str] = []
    if isinstance(a.trigger, StageEntered):
        pipeline, _, stage = a.trigger.stage_entered.partition(".")
        refs.append(addr.stage(pipeline, stage))
    if isinstance(a.trigger, FieldChanged):
        refs.append(addr.field(str(a.object), a.trigger.field_changed.field))
    refs.extend(
        addr.field(str(a.object), act.set_field.field) for act in a.actions if isinstance(act, SetField)
    )
    return tuple(r for r in dict.fromkeys(refs) if not r.startswith("field.") or r in declared)


def pilot_users(spec: Spec, a: Automation) -> list[str]:
    """The e-mails a pilot reaches: its users and the members of its teams, sorted, lower case."""
    assert a.pilot is not None
    found = {u.lower() for u in a.pilot.users}
    for name in a.pilot.teams:
        team = spec.team(name)
        found.update(m.email.lower() for m in (team.members if team else ()) if m.email)
    return sorted(found)


def _automation(
    a: Automation, sources: Sources, declared: set[str], provider: str, spec: Spec
) -> Resource | None:
    address = automation_address(a, provider)
    if address is None:
        return None
    attrs: dict[str, Any] = {"status": a.status, "description": a.description}
    # None reaches everyone: removing the `pilot:` line widens it (an org that never had one reads as None).
    attrs["pilot"] = {"users": pilot_users(spec, a)} if a.pilot is not None else None
    if a.binds is None:
        attrs |= {
            "object": a.object,
            "trigger": a.trigger.model_dump(mode="json") if a.trigger else None,
            "actions": [act.model_dump(mode="json") for act in a.actions],
        }
    owners = tuple(x for x in (a.team, a.owner) if x)
    return Resource(
        address,
        "automation",
        attrs,
        depends_on=automation_refs(a, declared),
        source=sources.locate(addr.automation(a.name)),
        owners=owners,
        label=a.name,
    )


def _permission(p: PermissionSet, sources: Sources, declared: set[str]) -> Resource:
    address = addr.permission(p.name)
    fields = {ref: access for ref, access in sorted(p.fields.items())}
    return Resource(
        address,
        "permission",
        {
            "label": p.label,
            "description": p.description,
            "objects": {obj: sorted(acc) for obj, acc in sorted(p.objects.items())},
            "fields": fields,
        },
        depends_on=tuple(
            addr.field(*ref.split(".", 1)) for ref in fields if addr.field(*ref.split(".", 1)) in declared
        ),
        source=sources.locate(address),
        owners=p.owners,
        label=p.label,
    )
