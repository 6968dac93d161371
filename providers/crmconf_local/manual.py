"""Rehearsing a vendor's limits offline: concerns the local org leaves to people (`settings.manual`).

A team moving to HubSpot can try its spec on the local org with `manual: [permissions,
stage_requirements]`: those concerns become manual steps, exactly as HubSpot would need, and the plan
tracks them. The local org can read a permission set someone made by hand, so that step is verified by
reading the org; stage requirements it cannot show, so a person records them with `crmconf done`.
"""

from __future__ import annotations

from dataclasses import replace

from crmconf.engine.resource import ManualStep, Resource

CONCERNS = ("permissions", "stage_requirements")


def split(resources: list[Resource], manual: frozenset[str]) -> tuple[list[Resource], list[ManualStep]]:
    kept: list[Resource] = []
    steps: list[ManualStep] = []
    requirements: dict[str, list[tuple[Resource, list[str]]]] = {}
    pipelines = {r.address: r for r in resources if r.kind == "pipeline"}
    for r in resources:
        if r.kind == "permission" and "permissions" in manual:
            steps.append(_permission(r))
            continue
        if r.kind == "stage" and "stage_requirements" in manual:
            required = list(r.attrs.get("require") or [])
            if required and r.parent:
                requirements.setdefault(r.parent, []).append((r, required))
            r = replace(r, attrs={k: v for k, v in r.attrs.items() if k != "require"})
        kept.append(r)
    for pipeline, stages in requirements.items():
        steps.append(_requirements(pipelines[pipeline], stages))
    return kept, steps


def _permission(r: Resource) -> ManualStep:
    objects = "; ".join(f"{o}: {', '.join(a)}" for o, a in (r.attrs.get("objects") or {}).items()) or "no objects"
    fields = "; ".join(f"{f}: {a}" for f, a in (r.attrs.get("fields") or {}).items())
    return ManualStep(
        r.address,
        f"Set up the permission set {r.label} by hand",
        f"This target leaves permission sets to people (settings.manual). Create '{r.label}' granting "
        f"{objects}" + (f"; field access {fields}" if fields else "") + ". crmconf checks it in the org.",
        r.source,
        r.owners,
        topic="permission-set",
        check={"live": r.address, "attrs": dict(r.attrs)},
    )


def _requirements(pipeline: Resource, stages: list[tuple[Resource, list[str]]]) -> ManualStep:
    lines = "; ".join(f"{s.label}: {', '.join(req)}" for s, req in stages)
    return ManualStep(
        pipeline.address,
        f"Set the fields each stage of {pipeline.label} requires",
        f"This target leaves stage requirements to people (settings.manual), as HubSpot has no API for "
        f"them. In the pipeline's stage settings, require: {lines}.",
        pipeline.source,
        pipeline.owners,
        topic="stage-requirements",
    )
