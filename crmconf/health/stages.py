"""The stage KPIs: required fields filled per stage, and deals gone stale in a stage (plan and compute)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import timedelta

from crmconf.health.kpis import CATALOGUE, Context, cell, counts, missing, reason, rollup, unmeasured
from crmconf.health.model import Cell, KpiResult, Status, Target, Unit
from crmconf.health.query import NO_ACTIVE_OWNER, Answer, Match, Measured, Query, Unmeasured
from crmconf.spec.model import Pipeline, Stage, StaleInStage, parse_duration

DEFAULT_STALE = timedelta(days=14)  # when neither the KPI nor an automation says when a deal is stale


def _lead(p: Pipeline) -> str | None:
    """The team accountable for a pipeline: its first owner."""
    return p.owners[0] if p.owners else None


def team_of_stage(p: Pipeline, s: Stage) -> str | None:
    """The team accountable for a stage: its owner_team, else the pipeline's."""
    return s.owner_team or _lead(p)


def stage_totals_key(p: Pipeline) -> str:
    return f"stage-totals:{p.name}"


def stage_totals(p: Pipeline) -> Query:
    """Records per stage of a pipeline: shared by both stage KPIs."""
    return Query(stage_totals_key(p), p.object, (Match(p.name, tuple(s.name for s in p.stages)),), by="stage")


# --- required fields filled -------------------------------------------------------------------------

def _required(p: Pipeline) -> list[Stage]:
    return [s for s in p.stages if s.require]


def _complete_groups(p: Pipeline) -> tuple[Match, ...]:
    return tuple(Match(p.name, (s.name,), filled=s.require) for s in _required(p))


def plan_completion(ctx: Context) -> list[Query]:
    queries: list[Query] = []
    for p in ctx.spec.pipelines:
        stages = _required(p)
        if not stages:
            continue
        queries += [stage_totals(p), Query(f"complete:{p.name}:stage", p.object, _complete_groups(p), by="stage")]
        if ctx.health.by_owner:
            names = tuple(s.name for s in stages)
            queries += [Query(f"required:{p.name}:owner", p.object, (Match(p.name, names),), by="owner"),
                        Query(f"complete:{p.name}:owner", p.object, _complete_groups(p), by="owner")]
    return queries


def compute_completion(ctx: Context, measured: Measured) -> KpiResult:
    name = "required_field_completion"
    info, target = CATALOGUE[name], ctx.target(name)
    stage_cells: list[Cell] = []
    pipeline_cells: list[Cell] = []
    owner_parts: list[tuple[str, Mapping[str, int], Mapping[str, int]]] = []
    for p in ctx.spec.pipelines:
        stages = _required(p)
        if not stages:
            continue
        totals, complete = measured.answer(stage_totals_key(p)), measured.answer(f"complete:{p.name}:stage")
        cells = [_stage_cell(p, s, totals, complete, info.unit, target) for s in stages]
        stage_cells += cells
        pipeline_cells.append(rollup("pipeline", p.name, cells, info.unit, target, team=_lead(p)))
        if ctx.health.by_owner:
            owner_parts.append(_owner_part(p, measured, "required", "complete"))
    owners, owner_note = _owner_cells(ctx, owner_parts, info.unit, target, bad_is_shortfall=True)
    every = (*pipeline_cells, *stage_cells, *_team_cells(stage_cells, info.unit, target), *owners)
    overall = rollup("all", "", pipeline_cells, info.unit, target)
    if owner_note:
        overall = _noted(overall, owner_note)
    return KpiResult(name, info.title, info.unit, target, info.meaning, info.practice, overall, every,
                     ctx.escalate_days(name), ctx.notify(name))


def _stage_cell(p: Pipeline, s: Stage, totals: Answer | Unmeasured, complete: Answer | Unmeasured,
                unit: Unit, target: Target) -> Cell:
    key, team = f"{p.name}.{s.name}", team_of_stage(p, s)
    why = missing(totals, key) or missing(complete, key)
    if why:
        return unmeasured("stage", key, why, team)
    have, done = counts(totals), counts(complete)
    assert have is not None and done is not None
    total = have.get(key, 0)
    return cell("stage", key, total - done.get(key, 0), total, unit, target, team=team)


# --- stale deals ------------------------------------------------------------------------------------

def stale_after(ctx: Context, p: Pipeline) -> timedelta:
    """The KPI's `after`, else the pipeline's stale rule: the earliest stale_in_stage automation on it."""
    setting = ctx.settings("stale_deals")
    if setting.after:
        return parse_duration(setting.after)
    days = [a.trigger.stale_in_stage.days for a in ctx.spec.automations
            if isinstance(a.trigger, StaleInStage) and a.object in (None, p.object)
            and a.trigger.stale_in_stage.pipeline in (None, p.name)]
    return timedelta(days=min(days)) if days else DEFAULT_STALE


def _open(p: Pipeline) -> list[Stage]:
    return [s for s in p.stages if s.outcome is None]


def _stale_groups(ctx: Context, p: Pipeline) -> tuple[Match, ...]:
    cutoff = ctx.now - stale_after(ctx, p)
    return tuple(Match(p.name, (s.name,), entered_stage_before=cutoff) for s in _open(p))


def _deal_pipelines(ctx: Context) -> list[Pipeline]:
    return [p for p in ctx.spec.pipelines if p.object == "deal" and _open(p)]


def plan_stale(ctx: Context) -> list[Query]:
    queries: list[Query] = []
    for p in _deal_pipelines(ctx):
        queries += [stage_totals(p), Query(f"stale:{p.name}:stage", "deal", _stale_groups(ctx, p), by="stage")]
        if ctx.health.by_owner:
            names = tuple(s.name for s in _open(p))
            queries += [Query(f"open:{p.name}:owner", "deal", (Match(p.name, names),), by="owner"),
                        Query(f"stale:{p.name}:owner", "deal", _stale_groups(ctx, p), by="owner")]
    return queries


def compute_stale(ctx: Context, measured: Measured) -> KpiResult:
    name = "stale_deals"
    info, target = CATALOGUE[name], ctx.target(name)
    stage_cells: list[Cell] = []
    pipeline_cells: list[Cell] = []
    owner_parts: list[tuple[str, Mapping[str, int], Mapping[str, int]]] = []
    for p in _deal_pipelines(ctx):
        totals, stale = measured.answer(stage_totals_key(p)), measured.answer(f"stale:{p.name}:stage")
        cells = []
        for s in _open(p):
            key, team = f"{p.name}.{s.name}", team_of_stage(p, s)
            why = missing(totals, key) or missing(stale, key)
            have, late = counts(totals), counts(stale)
            if why or have is None or late is None:
                cells.append(unmeasured("stage", key, why or reason(totals, stale), team))
            else:
                cells.append(cell("stage", key, late.get(key, 0), have.get(key, 0), info.unit, target, team=team))
        stage_cells += cells
        days = stale_after(ctx, p).total_seconds() / 86400
        pipeline_cells.append(_noted(rollup("pipeline", p.name, cells, info.unit, target, team=_lead(p)),
                                     f"stale after {days:g} days in a stage"))
        if ctx.health.by_owner:
            owner_parts.append(_owner_part(p, measured, "open", "stale"))
    owners, owner_note = _owner_cells(ctx, owner_parts, info.unit, target, bad_is_shortfall=False)
    overall = rollup("all", "", pipeline_cells, info.unit, target)
    if owner_note:
        overall = _noted(overall, owner_note)
    owners = tuple(_blame(o, overall) for o in owners)
    cells_all = (*pipeline_cells, *stage_cells, *_team_cells(stage_cells, info.unit, target), *owners)
    return KpiResult(name, info.title, info.unit, target, info.meaning, info.practice, overall, cells_all,
                     ctx.escalate_days(name), ctx.notify(name))


# --- shared: teams and owners ------------------------------------------------------------------------

def _team_cells(stage_cells: Iterable[Cell], unit: Unit, target: Target) -> tuple[Cell, ...]:
    by_team: dict[str, list[Cell]] = defaultdict(list)
    for c in stage_cells:
        if c.team:
            by_team[c.team].append(c)
    return tuple(rollup("team", team, parts, unit, target, team=team) for team, parts in sorted(by_team.items()))


def _owner_part(p: Pipeline, measured: Measured, total_kind: str,
                bad_kind: str) -> tuple[str, Mapping[str, int], Mapping[str, int]]:
    """(why not, totals per owner, counts per owner) of one pipeline."""
    totals = measured.answer(f"{total_kind}:{p.name}:owner")
    part = measured.answer(f"{bad_kind}:{p.name}:owner")
    if isinstance(totals, Unmeasured) or isinstance(part, Unmeasured):
        return f"{p.name}: {reason(totals, part)}", {}, {}
    if part.missing or totals.missing:
        left = ", ".join(sorted({**totals.missing, **part.missing}))
        return f"{p.name} (per owner, {left} cannot be counted)", {}, {}
    return "", totals.counts, part.counts


def _owner_cells(ctx: Context, parts: list[tuple[str, Mapping[str, int], Mapping[str, int]]], unit: Unit,
                 target: Target, *, bad_is_shortfall: bool) -> tuple[tuple[Cell, ...], str | None]:
    """Owner cells summed over pipelines. For completion the owner query counts complete records, so
    the fault is the shortfall; for stale deals it counts the faults themselves."""
    totals: dict[str, int] = defaultdict(int)
    found: dict[str, int] = defaultdict(int)
    left_out = [why for why, _, _ in parts if why]
    for why, have, got in parts:
        if why:
            continue
        for owner, n in have.items():
            totals[owner] += n
        for owner, n in got.items():
            found[owner] += n
    cells = []
    for owner in sorted(totals, key=lambda o: (o == NO_ACTIVE_OWNER, o)):
        bad = totals[owner] - found.get(owner, 0) if bad_is_shortfall else found.get(owner, 0)
        shown = owner or "(no active owner)"
        cells.append(cell("owner", shown, bad, totals[owner], unit, target, team=ctx.team_of.get(owner)))
    note = f"per owner without {'; '.join(left_out)}" if left_out else None
    return tuple(cells), note


def _blame(owner: Cell, overall: Cell) -> Cell:
    """A count KPI's target is for the whole org; an owner holding faults while it is missed is below it."""
    status: Status = "below" if overall.status == "below" and (owner.bad or 0) > 0 else "ok"
    return replace(owner, status=status)


def _noted(c: Cell, note: str) -> Cell:
    return replace(c, note=f"{c.note}; {note}" if c.note else note)
