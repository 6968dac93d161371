"""The record KPIs: lead source filled, active owners, values outside the picklists, duplicates."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import replace

from crmconf.health.kpis import CATALOGUE, Context, cell, counts, reason, rollup, unmeasured
from crmconf.health.model import Cell, KpiResult, Status, Target, Unit
from crmconf.health.query import NO_ACTIVE_OWNER, Answer, Match, Measured, Query, Unmeasured
from crmconf.spec.model import OBJECTS
from crmconf.spec.standard import STANDARD_FIELDS

# The keys every CRM deduplicates on, used by default for the objects a spec works with.
NATURAL_KEYS = (("contact", "email"), ("company", "domain"), ("lead", "email"))


def records_owner(obj: str) -> Query:
    return Query(f"records:{obj}:owner", obj, by="owner")


def records_active(obj: str) -> Query:
    """Records of an object, owned by an active user or not (owner coverage, and every total)."""
    return Query(f"records:{obj}:active", obj, by="active_owner")


def _field_exists(ctx: Context, obj: str, name: str) -> bool:
    return ctx.spec.field(obj, name) is not None or name in STANDARD_FIELDS.get(obj, {})


# --- lead source ------------------------------------------------------------------------------------

def lead_source_objects(ctx: Context) -> tuple[str, ...]:
    setting = ctx.settings("lead_source_coverage")
    if setting.objects is not None:
        return tuple(setting.objects)
    return tuple(o for o in OBJECTS if ctx.spec.field(o, setting.field) is not None)


def plan_lead_source(ctx: Context) -> list[Query]:
    field = ctx.settings("lead_source_coverage").field
    queries: list[Query] = []
    for obj in lead_source_objects(ctx):
        queries += [records_active(obj), Query(f"blank:{obj}.{field}", obj, (Match(blank=(field,)),))]
        if ctx.health.by_owner:
            queries += [records_owner(obj), Query(f"blank:{obj}.{field}:owner", obj, (Match(blank=(field,)),),
                                                  by="owner")]
    return queries


def compute_lead_source(ctx: Context, measured: Measured) -> KpiResult:
    name = "lead_source_coverage"
    info, target = CATALOGUE[name], ctx.target(name)
    field = ctx.settings(name).field
    objects: list[Cell] = []
    per_owner: list[tuple[Mapping[str, int], Mapping[str, int]]] = []
    for obj in lead_source_objects(ctx):
        records, blank = measured.answer(f"records:{obj}:active"), measured.answer(f"blank:{obj}.{field}")
        if isinstance(records, Unmeasured) or isinstance(blank, Unmeasured):
            objects.append(unmeasured("object", f"{obj}.{field}", reason(records, blank)))
            continue
        objects.append(cell("object", f"{obj}.{field}", blank.total, records.total, info.unit, target))
        owned, by_owner = measured.answer(f"records:{obj}:owner"), measured.answer(f"blank:{obj}.{field}:owner")
        if ctx.health.by_owner and isinstance(owned, Answer) and isinstance(by_owner, Answer):
            per_owner.append((owned.counts, by_owner.counts))
    owners = _owner_cells(ctx, per_owner, info.unit, target)
    return _result(ctx, name, rollup("all", "", objects, info.unit, target), (*objects, *_teams(owners, info.unit, target),
                                                                             *owners))


# --- owners -----------------------------------------------------------------------------------------

def owner_objects(ctx: Context) -> tuple[str, ...]:
    setting = ctx.settings("owner_coverage")
    return tuple(setting.objects) if setting.objects is not None else ctx.objects_used()


def plan_owners(ctx: Context) -> list[Query]:
    return [records_active(obj) for obj in owner_objects(ctx)]


def compute_owners(ctx: Context, measured: Measured) -> KpiResult:
    name = "owner_coverage"
    info, target = CATALOGUE[name], ctx.target(name)
    objects = []
    for obj in owner_objects(ctx):
        answer = measured.answer(f"records:{obj}:active")
        if isinstance(answer, Unmeasured):
            objects.append(unmeasured("object", obj, answer.reason))
            continue
        objects.append(cell("object", obj, answer.counts.get(NO_ACTIVE_OWNER, 0), answer.total, info.unit, target))
    return _result(ctx, name, rollup("all", "", objects, info.unit, target), tuple(objects))


# --- values outside the picklists -----------------------------------------------------------------

def picklists(ctx: Context) -> list[tuple[str, str, tuple[str, ...]]]:
    """(object, field, allowed values) of every single-choice picklist the KPI measures.

    Multi-select picklists are left out: no vendor can count "holds a value outside the list" for them
    with an aggregate query (SOQL cannot group or filter them that way)."""
    setting = ctx.settings("off_list_values")
    wanted = None if setting.fields is None else {tuple(ref.split(".", 1)) for ref in setting.fields}
    found = []
    for obj in OBJECTS:
        for f in ctx.spec.fields.get(obj, ()):  # type: ignore[call-overload]
            if f.type == "picklist" and f.options and (wanted is None or (obj, f.name) in wanted):
                found.append((obj, f.name, tuple(o.value for o in f.options)))
    return found


def plan_off_list(ctx: Context) -> list[Query]:
    queries: list[Query] = []
    for obj, field, allowed in picklists(ctx):
        outside = (Match(outside=((field, allowed),)),)
        ref = f"{obj}.{field}"
        queries += [Query(f"filled:{ref}", obj, (Match(filled=(field,)),)),
                    Query(f"off:{ref}", obj, outside),
                    Query(f"off:{ref}:values", obj, outside, by="value", field=field)]
        if ctx.health.by_owner:
            queries.append(Query(f"off:{ref}:owner", obj, outside, by="owner"))
    return queries


def compute_off_list(ctx: Context, measured: Measured) -> KpiResult:
    name = "off_list_values"
    info, target = CATALOGUE[name], ctx.target(name)
    fields: list[Cell] = []
    owners: dict[str, int] = defaultdict(int)
    for obj, field, _ in picklists(ctx):
        ref = f"{obj}.{field}"
        filled, off = measured.answer(f"filled:{ref}"), measured.answer(f"off:{ref}")
        if isinstance(filled, Unmeasured) or isinstance(off, Unmeasured):
            fields.append(unmeasured("field", ref, reason(filled, off)))
            continue
        values = counts(measured.answer(f"off:{ref}:values")) or {}
        detail = tuple(sorted(values.items(), key=lambda kv: (-kv[1], kv[0])))
        fields.append(cell("field", ref, off.total, filled.total, info.unit, target, detail=detail))
        by_owner = counts(measured.answer(f"off:{ref}:owner"))
        for owner, n in (by_owner or {}).items():
            owners[owner] += n
    overall = rollup("all", "", fields, info.unit, target)
    owner_cells = tuple(_blame(cell("owner", o or "(no active owner)", n, None, info.unit, target,
                                    team=ctx.team_of.get(o)), overall)
                        for o, n in sorted(owners.items(), key=lambda kv: (kv[0] == NO_ACTIVE_OWNER, kv[0])) if n)
    return _result(ctx, name, overall, (*fields, *_teams(owner_cells, info.unit, target), *owner_cells))


# --- duplicates -------------------------------------------------------------------------------------

def dedup_keys(ctx: Context) -> list[tuple[str, str]]:
    setting = ctx.settings("duplicates")
    if setting.keys is not None:
        return [(ref.split(".", 1)[0], ref.split(".", 1)[1]) for ref in setting.keys]
    used = set(ctx.objects_used())
    keys = [(obj, f.name) for obj in OBJECTS for f in ctx.spec.fields.get(obj, ())  # type: ignore[call-overload]
            if f.unique]
    keys += [(obj, name) for obj, name in NATURAL_KEYS if obj in used and (obj, name) not in keys]
    return keys


def plan_duplicates(ctx: Context) -> list[Query]:
    return [Query(f"dup:{obj}.{field}", obj, (Match(filled=(field,)),), field=field, distinct=True)
            for obj, field in dedup_keys(ctx)]


def compute_duplicates(ctx: Context, measured: Measured) -> KpiResult:
    name = "duplicates"
    info, target = CATALOGUE[name], ctx.target(name)
    keys = []
    for obj, field in dedup_keys(ctx):
        answer = measured.answer(f"dup:{obj}.{field}")
        ref = f"{obj}.{field}"
        if isinstance(answer, Unmeasured) or answer.distinct is None:
            keys.append(unmeasured("key", ref, answer.reason if isinstance(answer, Unmeasured) else "no distinct count"))
            continue
        keys.append(cell("key", ref, answer.total - answer.distinct, answer.total, info.unit, target, note=answer.note))
    return _result(ctx, name, rollup("all", "", keys, info.unit, target), tuple(keys))


# --- shared -----------------------------------------------------------------------------------------

def _owner_cells(ctx: Context, parts: list[tuple[Mapping[str, int], Mapping[str, int]]], unit: Unit,
                 target: Target) -> tuple[Cell, ...]:
    totals: dict[str, int] = defaultdict(int)
    bad: dict[str, int] = defaultdict(int)
    for have, lacking in parts:
        for owner, n in have.items():
            totals[owner] += n
        for owner, n in lacking.items():
            bad[owner] += n
    return tuple(cell("owner", o or "(no active owner)", bad.get(o, 0), totals[o], unit, target,
                      team=ctx.team_of.get(o))
                 for o in sorted(totals, key=lambda o: (o == NO_ACTIVE_OWNER, o)))


def _teams(owners: Iterable[Cell], unit: Unit, target: Target) -> tuple[Cell, ...]:
    """Team cells from the owners' teams (known when the spec declares its teams' members)."""
    by_team: dict[str, list[Cell]] = defaultdict(list)
    for c in owners:
        if c.team:
            by_team[c.team].append(c)
    if unit == "count":
        return tuple(_team_count(team, parts, unit, target) for team, parts in sorted(by_team.items()))
    return tuple(rollup("team", team, parts, unit, target, team=team) for team, parts in sorted(by_team.items()))


def _team_count(team: str, parts: list[Cell], unit: Unit, target: Target) -> Cell:
    bad = sum(c.bad or 0 for c in parts)
    status: Status = "below" if any(c.status == "below" for c in parts) else "ok"
    return replace(cell("team", team, bad, None, unit, target, team=team), status=status)


def _blame(owner: Cell, overall: Cell) -> Cell:
    status: Status = "below" if overall.status == "below" and (owner.bad or 0) > 0 else "ok"
    return replace(owner, status=status)


def _result(ctx: Context, name: str, overall: Cell, cells: tuple[Cell, ...]) -> KpiResult:
    info = CATALOGUE[name]
    return KpiResult(name, info.title, info.unit, ctx.target(name), info.meaning, info.practice, overall, cells,
                     ctx.escalate_days(name), ctx.notify(name))
