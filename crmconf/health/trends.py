"""This run joined with the history: trends, how long each figure has been below target, escalation.

Pure: the report and the past runs in, the report with trends and escalations out. A figure escalates
when it has been below target in every run for at least `escalate_after` (an unmeasured run neither
breaks nor extends the streak: it proves nothing either way).
"""

from __future__ import annotations

from datetime import datetime

from crmconf.health.history import Past, Run
from crmconf.health.model import Cell, Escalation, HealthReport, KpiResult, Point

TREND_RUNS = 30  # runs drawn in a trend (the file keeps them all)


def attach(report: HealthReport, runs: list[Run]) -> HealthReport:
    return report.with_kpis(tuple(_kpi(k, runs, report.at) for k in report.kpis))


def _kpi(k: KpiResult, runs: list[Run], now: datetime) -> KpiResult:
    past = [(r.at, r.kpis.get(k.name, {})) for r in runs if r.at < now]
    trend = tuple(Point(at, fig.value, fig.status) for at, cells in past[-(TREND_RUNS - 1):]
                  if (fig := cells.get(k.overall.key)) is not None)
    trend += (Point(now, k.overall.value, k.overall.status),)
    streaks = {c.key: since for c in (k.overall, *k.cells) if c.scope != "owner"
               and (since := _since(c, past, now)) is not None}
    below_since = streaks.get(k.overall.key)
    late = [key for key, since in streaks.items() if (now - since).total_seconds() / 86400 >= k.escalate_after_days]
    escalation = _escalation(k, late, streaks, now) if late else None
    return k.with_history(trend, below_since, escalation)


def _since(c: Cell, past: list[tuple[datetime, dict[str, Past]]], now: datetime) -> datetime | None:
    """The first run of the unbroken streak below target that ends with this run (None: not below)."""
    if c.status != "below":
        return None
    since = now
    for at, cells in reversed(past):
        fig = cells.get(c.key)
        if fig is None or fig.status in ("unmeasured",):
            continue
        if fig.status != "below":
            break
        since = at
    return since


def _escalation(k: KpiResult, late: list[str], streaks: dict[str, datetime], now: datetime) -> Escalation:
    cells = {c.key: c for c in (k.overall, *k.cells)}
    since = min(streaks[key] for key in late)
    teams = list(k.notify)
    for key in late:
        c = cells[key]
        if c.team:
            teams.append(c.team)
        if c.scope == "all":  # the whole KPI: every team with a figure below target is accountable
            teams += [x.team for x in k.cells if x.team and x.status == "below" and x.scope != "owner"]
    people = [c.name for c in k.cells if c.scope == "owner" and c.status == "below" and "@" in c.name]
    return Escalation(since, round((now - since).total_seconds() / 86400, 1), tuple(sorted(late)),
                      tuple(dict.fromkeys(teams)), tuple(sorted(set(people))))
