"""The `health` section names fields that exist and can be measured the way the KPI measures them."""

from __future__ import annotations

from collections.abc import Iterator

from crmconf.health.kpis import KPI_NAMES
from crmconf.spec.checks.context import CheckContext
from crmconf.spec.diagnostics import Diagnostic, error
from crmconf.spec.model import CHOICE_TYPES

# A dedup key is a value people type once per record; these hold no such value.
NOT_KEYS = ("boolean", "multipicklist", "textarea")


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    health = ctx.spec.health
    yield from _notified(ctx)
    yield from _picklists(ctx, health.off_list_values.fields or ())
    yield from _keys(ctx, health.duplicates.keys or ())
    yield from _lead_source(ctx, health.lead_source_coverage.field, health.lead_source_coverage.objects or ())


def _notified(ctx: CheckContext) -> Iterator[Diagnostic]:
    """A team told about escalations is a declared team (G601, as every team the spec names)."""
    declared = [team.name for team in ctx.spec.teams]
    places: list[tuple[str, tuple[str | int, ...]]] = [
        (team, ("notify", i)) for i, team in enumerate(ctx.spec.health.notify)]
    for kpi in KPI_NAMES:
        places += [(team, (kpi, "notify", i)) for i, team in enumerate(getattr(ctx.spec.health, kpi).notify)]
    for team, path in places:
        if team not in declared:
            yield error("G601", f"team {team!r} is not declared in a `teams` section", ctx.at("health", *path),
                        hint=(ctx.suggest(team, declared) if declared else None)
                        or "declare it under `teams:` (name and members), so its members can be told")


def _split(ref: str) -> tuple[str, str]:
    obj, _, name = ref.partition(".")
    return obj, name


def _picklists(ctx: CheckContext, refs: tuple[str, ...]) -> Iterator[Diagnostic]:
    for index, ref in enumerate(refs):
        obj, name = _split(ref)
        declared = ctx.declared.get((obj, name))
        if declared is not None and declared.type == "picklist":
            continue
        why = (f"{ref} is a {declared.type} field" if declared is not None
               else f"the spec declares no field {ref}")
        yield error(
            "H701",
            f"off_list_values can only measure a picklist field with `options`: {why}",
            ctx.at("health", "off_list_values", "fields", index),
            hint="list declared single-choice picklist fields (multi-select picklists cannot be counted this way)"
            if declared is None or declared.type not in CHOICE_TYPES else "multi-select picklists cannot be counted "
            "by aggregate queries; leave it out",
        )


def _keys(ctx: CheckContext, refs: tuple[str, ...]) -> Iterator[Diagnostic]:
    for index, ref in enumerate(refs):
        obj, name = _split(ref)
        kind = ctx.field_types.get(obj, {}).get(name)
        if kind is not None and kind not in NOT_KEYS:
            continue
        known = sorted(ctx.field_types.get(obj, {}))
        yield error(
            "H702",
            f"duplicates.keys: {ref} " + ("is not a field of " + obj if kind is None else f"is a {kind} field, "
                                          "which holds no value people type once per record"),
            ctx.at("health", "duplicates", "keys", index),
            hint=(ctx.suggest(name, known) or "a key is a declared or standard field, e.g. contact.email")
            if kind is None else "use a text, e-mail, phone, url, number or picklist field",
        )


def _lead_source(ctx: CheckContext, field: str, objects: tuple[str, ...]) -> Iterator[Diagnostic]:
    for index, obj in enumerate(objects):
        if field in ctx.field_types.get(obj, {}):
            continue
        yield error(
            "H703",
            f"lead_source_coverage: {obj} has no field {field!r} to count",
            ctx.at("health", "lead_source_coverage", "objects", index),
            hint=f"declare {obj}.{field} in `fields`, or leave {obj} out of `objects`",
        )
