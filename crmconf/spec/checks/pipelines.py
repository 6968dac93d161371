"""A pipeline is a process: unique stages, sane probabilities, defined outcomes, and fields' options."""

from __future__ import annotations

from collections.abc import Iterator

from crmconf import address as addr
from crmconf.spec.checks.context import CheckContext
from crmconf.spec.diagnostics import Diagnostic, error, warning
from crmconf.spec.model import CHOICE_TYPES, Pipeline


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    for pipeline in ctx.spec.pipelines:
        yield from _unique_stages(ctx, pipeline)
        yield from _outcomes(ctx, pipeline)
        yield from _probabilities(ctx, pipeline)
        yield from _migrations(ctx, pipeline)
        yield from _branches(ctx, pipeline)
    yield from _unique_options(ctx)


def _unique_stages(ctx: CheckContext, pipeline: Pipeline) -> Iterator[Diagnostic]:
    address = addr.pipeline(pipeline.name)
    seen: dict[str, int] = {}
    labels: dict[str, int] = {}
    for index, stage in enumerate(pipeline.stages):
        if stage.name in seen:
            first = ctx.at(address, "stages", seen[stage.name])
            yield error(
                "R306",
                f"stage {stage.name!r} appears twice in pipeline {pipeline.name}",
                ctx.at(address, "stages", index, "name"),
                hint="stage names must be unique within a pipeline",
                related=(first,) if first else (),
            )
        seen.setdefault(stage.name, index)
        if stage.label.casefold() in labels:
            yield warning(
                "R307",
                f"stage label {stage.label!r} is used twice in pipeline {pipeline.name}",
                ctx.at(address, "stages", index, "label"),
                hint="people pick stages by label: make each one distinct",
            )
        labels.setdefault(stage.label.casefold(), index)


def _outcomes(ctx: CheckContext, pipeline: Pipeline) -> Iterator[Diagnostic]:
    address = addr.pipeline(pipeline.name)
    outcomes = [s.outcome for s in pipeline.stages]
    if pipeline.object == "deal":
        # Several won stages are common in real orgs ("Closed Won", "Closed Won - Renewal"): one at least.
        if outcomes.count("won") < 1:
            yield error(
                "R305",
                f"deal pipeline {pipeline.name} needs at least one stage with `outcome: won`",
                ctx.at(address, "stages"),
                hint="mark the closed-won stage with `outcome: won`",
            )
        if outcomes.count("lost") < 1:
            yield error(
                "R305",
                f"deal pipeline {pipeline.name} needs at least one stage with `outcome: lost`",
                ctx.at(address, "stages"),
                hint="mark the closed-lost stage with `outcome: lost`",
            )
    for index, stage in enumerate(pipeline.stages):
        if pipeline.object == "deal" and stage.outcome == "closed":
            yield error(
                "R305",
                "deal stages close as `won` or `lost`, not `closed`",
                ctx.at(address, "stages", index, "outcome"),
            )
        elif pipeline.object != "deal" and stage.outcome in ("won", "lost"):
            yield error(
                "R305",
                f"only deal stages are won or lost; a {pipeline.object} stage closes with `outcome: closed`",
                ctx.at(address, "stages", index, "outcome"),
            )


def _probabilities(ctx: CheckContext, pipeline: Pipeline) -> Iterator[Diagnostic]:
    address = addr.pipeline(pipeline.name)
    for index, stage in enumerate(pipeline.stages):
        where = ctx.at(address, "stages", index, "probability")
        if pipeline.object != "deal" and stage.forecast_category is not None:
            yield warning(
                "R308",
                f"forecast_category only applies to deal stages; {pipeline.object} stages ignore it",
                ctx.at(address, "stages", index, "forecast_category"),
            )
        if pipeline.object != "deal":
            if stage.probability is not None:
                yield warning(
                    "R308",
                    f"probability only applies to deal stages; {pipeline.object} stages ignore it",
                    where,
                )
            continue
        if stage.probability is None:
            yield error(
                "R308",
                f"deal stage {pipeline.name}.{stage.name} needs a probability (0-100)",
                ctx.at(address, "stages", index),
                hint="add `probability: <0-100>`",
            )
        elif stage.outcome == "won" and stage.probability != 100:
            yield warning(
                "R308", f"the won stage {stage.name} has probability {stage.probability}; expected 100", where
            )
        elif stage.outcome == "lost" and stage.probability != 0:
            yield warning(
                "R308", f"the lost stage {stage.name} has probability {stage.probability}; expected 0", where
            )


def _migrations(ctx: CheckContext, pipeline: Pipeline) -> Iterator[Diagnostic]:
    address = addr.pipeline(pipeline.name)
    names = [s.name for s in pipeline.stages]
    for old, new in pipeline.migrate_to.items():
        if old in names:
            yield error(
                "R309",
                f"migrate_to moves records out of {old!r}, but {old!r} is still a stage of {pipeline.name}",
                ctx.at(address, "migrate_to", old, key=True),
                hint="migrate_to lists removed stages; delete the entry or remove the stage",
            )
        if new not in names:
            yield error(
                "R309",
                f"migrate_to sends {old!r} records to {new!r}, which is not a stage of {pipeline.name}",
                ctx.at(address, "migrate_to", old),
                hint=ctx.suggest(new, names),
            )


def _branches(ctx: CheckContext, pipeline: Pipeline) -> Iterator[Diagnostic]:
    """`branch_from` names an open stage of the main path: a side path hangs off the main one."""
    address = addr.pipeline(pipeline.name)
    stages = {s.name: s for s in pipeline.stages}
    for index, stage in enumerate(pipeline.stages):
        parent = stage.branch_from
        if parent is None:
            continue
        where = ctx.at(address, "stages", index, "branch_from")
        other = stages.get(parent)
        why = ""
        if stage.outcome:
            why = f"{stage.name} is a closing stage; closing stages already branch off the last open stage"
        elif other is None:
            why = f"{parent!r} is not a stage of {pipeline.name}"
        elif parent == stage.name:
            why = f"{stage.name} cannot branch from itself"
        elif other.outcome:
            why = f"{parent!r} is a closing stage: nothing leaves it"
        elif other.branch_from:
            why = f"{parent!r} is itself a branch (of {other.branch_from!r}): branch from the main path"
        if why:
            yield error("R315", f"branch_from: {why}", where,
                        hint=ctx.suggest(parent, [s.name for s in pipeline.stages]) if other is None else None)


def _unique_options(ctx: CheckContext) -> Iterator[Diagnostic]:
    for obj, specs in ctx.spec.fields.items():
        for spec_field in specs:
            if spec_field.type not in CHOICE_TYPES or not spec_field.options:
                continue
            seen: dict[str, int] = {}
            for index, option in enumerate(spec_field.options):
                value = option.value.casefold()
                if value in seen:
                    yield error(
                        "R311",
                        f"option {option.value!r} appears twice in {obj}.{spec_field.name}",
                        ctx.at(addr.field(obj, spec_field.name), "options", index),
                        hint="picklist options must be unique (case-insensitive)",
                    )
                seen.setdefault(value, index)
