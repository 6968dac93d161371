"""Activity logged per user: what each deal owner logged in the last window, against the target."""

from __future__ import annotations

from collections import defaultdict

from crmconf.health.kpis import CATALOGUE, Context, cell, unmeasured
from crmconf.health.model import Cell, KpiResult, Scope
from crmconf.health.query import ACTIVITY, NO_ACTIVE_OWNER, Answer, Match, Measured, Query
from crmconf.health.records import records_owner
from crmconf.spec.model import parse_duration

NAME = "activity_per_user"


def _window(ctx: Context) -> Match:
    return Match(created_since=ctx.now - parse_duration(ctx.settings(NAME).per))


def plan_activity(ctx: Context) -> list[Query]:
    queries = [Query("activity:owner", ACTIVITY, (_window(ctx),), by="owner")]
    if "deal" in ctx.objects_used():
        queries.append(records_owner("deal"))  # who the reps are: the active owners of deals
    return queries


def _reps(ctx: Context, measured: Measured) -> list[str]:
    """Active owners of deals (a rep with no activity at all still counts, as zero); without deals in
    the spec, every active user."""
    deals = measured.answer("records:deal:owner") if "deal" in ctx.objects_used() else None
    if isinstance(deals, Answer):
        return sorted(o for o, n in deals.counts.items() if n and o != NO_ACTIVE_OWNER)
    return sorted(email for email, active in measured.users.items() if active)


def compute_activity(ctx: Context, measured: Measured) -> KpiResult:
    info, target = CATALOGUE[NAME], ctx.target(NAME)
    answer = measured.answer("activity:owner")
    notify = ctx.notify(NAME)
    if not isinstance(answer, Answer):
        overall = unmeasured("all", "", answer.reason)
        return KpiResult(NAME, info.title, info.unit, target, info.meaning, info.practice, overall, (),
                         ctx.escalate_days(NAME), notify)
    reps = _reps(ctx, measured)
    owners = tuple(cell("owner", rep, None, answer.counts.get(rep, 0), info.unit, target, team=ctx.team_of.get(rep))
                   for rep in reps)
    teams: dict[str, list[Cell]] = defaultdict(list)
    for c in owners:
        if c.team:
            teams[c.team].append(c)
    team_cells = tuple(_mean("team", team, parts, ctx) for team, parts in sorted(teams.items()))
    overall = _mean("all", "", list(owners), ctx)
    return KpiResult(NAME, info.title, info.unit, target, info.meaning, info.practice, overall,
                     (*team_cells, *owners), ctx.escalate_days(NAME), notify)


def _mean(scope: Scope, name: str, parts: list[Cell], ctx: Context) -> Cell:
    """Activities per user over `parts`: the mean (each owner's own figure is in their cell)."""
    info, target = CATALOGUE[NAME], ctx.target(NAME)
    team = name if scope == "team" else None
    if not parts:
        return Cell(scope, name, None, 0, None, "empty", team, "no active deal owners to measure")
    total = sum(c.total or 0 for c in parts)
    mean = round(total / len(parts), 2)
    short = sum(1 for c in parts if c.status == "below")
    return cell(scope, name, short, total, info.unit, target, value=mean, team=team,
                note=f"{len(parts)} user(s), {short} below {target.count:g}")
