"""Every name a spec uses points at something defined: fields, stages, pipelines, objects."""

from __future__ import annotations

from collections.abc import Iterator

from crmconf import address as addr
from crmconf.spec.checks.context import CheckContext
from crmconf.spec.diagnostics import Diagnostic, error, warning
from crmconf.spec.model import (
    Automation,
    DateReached,
    FieldChanged,
    RecordCreated,
    SetField,
    StageEntered,
    StaleInStage,
)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    yield from _stage_requirements(ctx)
    yield from _automation_references(ctx)
    yield from _permission_references(ctx)
    yield from _bindings(ctx)
    yield from _default_target(ctx)


def _default_target(ctx: CheckContext) -> Iterator[Diagnostic]:
    config = ctx.spec.config
    if config.default_target not in config.targets:
        where = next(
            (
                s.locate(("default_target",))
                for n, s in ctx.sources.files.items()
                if n.startswith("crmconf.y")
            ),
            None,
        )
        yield error(
            "R313",
            f"default_target {config.default_target!r} is not one of the targets",
            where,
            hint=ctx.suggest(config.default_target, list(config.targets))
            or "targets: " + ", ".join(sorted(config.targets)),
        )


def _stage_requirements(ctx: CheckContext) -> Iterator[Diagnostic]:
    for pipeline in ctx.spec.pipelines:
        known = ctx.field_types.get(pipeline.object, {})
        for stage in pipeline.stages:
            address = addr.stage(pipeline.name, stage.name)
            for index, name in enumerate(stage.require):
                if name not in known:
                    yield error(
                        "R302",
                        f"stage {pipeline.name}.{stage.name} requires {name!r}, which is not a {pipeline.object} field",
                        ctx.at(address, "require", index),
                        hint=ctx.suggest(name, list(known)) or f"declare it under fields.{pipeline.object}",
                    )


def _automation_references(ctx: CheckContext) -> Iterator[Diagnostic]:
    for automation in ctx.spec.automations:
        if automation.binds is None and automation.object is not None:
            yield from _trigger_references(ctx, automation)
            yield from _action_references(ctx, automation)


def _trigger_references(ctx: CheckContext, automation: Automation) -> Iterator[Diagnostic]:
    address = addr.automation(automation.name)
    trigger = automation.trigger
    obj = automation.object or ""
    if isinstance(trigger, StageEntered):
        pipeline_name, _, stage_name = trigger.stage_entered.partition(".")
        pipeline = ctx.spec.pipeline(pipeline_name)
        where = ctx.at(address, "trigger", "stage_entered")
        if pipeline is None:
            yield error(
                "R303",
                f"trigger names pipeline {pipeline_name!r}, which is not defined",
                where,
                hint=ctx.suggest(pipeline_name, [p.name for p in ctx.spec.pipelines]),
            )
        elif stage_name not in {s.name for s in pipeline.stages}:
            yield error(
                "R303",
                f"trigger names stage {trigger.stage_entered!r}, but pipeline {pipeline_name!r} has no such stage",
                where,
                hint=ctx.suggest(stage_name, [s.name for s in pipeline.stages]),
            )
        elif pipeline.object != obj:
            yield error(
                "R303",
                f"automation is on {obj} but pipeline {pipeline_name!r} is a {pipeline.object} pipeline",
                ctx.at(address, "object"),
            )
    elif isinstance(trigger, StaleInStage) and trigger.stale_in_stage.pipeline:
        name = trigger.stale_in_stage.pipeline
        where = ctx.at(address, "trigger", "stale_in_stage", "pipeline")
        named = ctx.spec.pipeline(name)
        if named is None:
            yield error(
                "R303",
                f"trigger names pipeline {name!r}, which is not defined",
                where,
                hint=ctx.suggest(name, [p.name for p in ctx.spec.pipelines]),
            )
        elif named.object != obj:
            yield error(
                "R303", f"automation is on {obj} but pipeline {name!r} is a {named.object} pipeline", where
            )
    elif isinstance(trigger, FieldChanged | DateReached):
        args = trigger.field_changed if isinstance(trigger, FieldChanged) else trigger.date_reached
        key = "field_changed" if isinstance(trigger, FieldChanged) else "date_reached"
        yield from _field_exists(ctx, obj, args.field, ctx.at(address, "trigger", key, "field"))
        ftype = ctx.field_types.get(obj, {}).get(args.field)
        if isinstance(trigger, DateReached) and ftype is not None and ftype not in ("date", "datetime"):
            yield error(
                "R310",
                f"date_reached needs a date field, but {obj}.{args.field} is {ftype}",
                ctx.at(address, "trigger", key, "field"),
            )
    elif isinstance(trigger, RecordCreated) and trigger.record_created.where:
        for name in trigger.record_created.where:
            yield from _field_exists(
                ctx, obj, name, ctx.at(address, "trigger", "record_created", "where", name, key=True)
            )


def _action_references(ctx: CheckContext, automation: Automation) -> Iterator[Diagnostic]:
    obj = automation.object or ""
    for index, action in enumerate(automation.actions):
        if isinstance(action, SetField):
            where = ctx.at(addr.automation(automation.name), "actions", index, "set_field", "field")
            yield from _field_exists(ctx, obj, action.set_field.field, where)


def _field_exists(ctx: CheckContext, obj: str, name: str, where: object) -> Iterator[Diagnostic]:
    known = ctx.field_types.get(obj, {})
    if name not in known:
        yield error(
            "R304",
            f"{obj} has no field {name!r}",
            where,  # type: ignore[arg-type]
            hint=ctx.suggest(name, list(known)) or f"declare it under fields.{obj}",
        )


def _permission_references(ctx: CheckContext) -> Iterator[Diagnostic]:
    for perm in ctx.spec.permissions:
        for ref in perm.fields:
            obj, _, name = ref.partition(".")
            where = ctx.at(addr.permission(perm.name), "fields", ref, key=True)
            if obj not in ctx.field_types:
                yield error(
                    "R304",
                    f"permission {perm.name} names unknown object {obj!r}",
                    where,
                    hint=ctx.suggest(obj, list(ctx.field_types)),
                )
            else:
                yield from _field_exists(ctx, obj, name, where)
            if obj in ctx.field_types and obj not in perm.objects:
                yield warning(
                    "R314",
                    f"permission {perm.name} sets field access on {ref} but grants no access to {obj}",
                    where,
                    hint=f"add `{obj}: [read]` under objects",
                )


def _bindings(ctx: CheckContext) -> Iterator[Diagnostic]:
    providers = {t.provider for t in ctx.spec.config.targets.values()}
    for automation in ctx.spec.automations:
        for provider in automation.binds or {}:
            if provider not in providers:
                yield warning(
                    "R312",
                    f"automation {automation.name} binds to provider {provider!r}, which no target uses",
                    ctx.at(addr.automation(automation.name), "binds", provider, key=True),
                    hint="targets use: " + ", ".join(sorted(providers)),
                )
