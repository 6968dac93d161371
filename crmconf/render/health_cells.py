"""The health report's words and figures, shared by every format (so they all say the same thing)."""

from __future__ import annotations

from datetime import datetime

from crmconf.health.model import SCOPE_ORDER, Cell, HealthReport, KpiResult, Point

STATUS_WORDS = {"ok": "on target", "below": "below target", "unmeasured": "not measured",
                "empty": "nothing to measure", "escalated": "ESCALATED"}
CELLS_NAMED = 4  # an escalation names this many of its figures, then counts the rest
_FAULTS = {
    "required_field_completion": "lack a required field",
    "stale_deals": "open deals are stale",
    "off_list_values": "hold a value outside the list",
    "lead_source_coverage": "have no lead source",
    "owner_coverage": "have no active owner",
    "duplicates": "repeat a key",
}
SPARKS = "▁▂▃▄▅▆▇█"


def moment(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M %Z").strip()


def day(at: datetime) -> str:
    return at.strftime("%Y-%m-%d")


def figure(k: KpiResult, c: Cell) -> str:
    if c.value is None:
        return "-"
    if k.unit == "percent":
        return f"{c.value:.2f}%".replace(".00%", "%")
    if k.unit == "per_user":
        return f"{c.value:g}"
    text = f"{c.value:g}"
    if k.target.percent is not None and c.total:
        text += f" ({100.0 * (c.bad or 0) / c.total:.1f}%)"
    return text


def target(k: KpiResult) -> str:
    if k.unit == "percent":
        return f">= {k.target.text}"
    if k.unit == "per_user":
        return f">= {k.target.text}"
    return f"<= {k.target.text}"


def detail(k: KpiResult, c: Cell) -> str:
    """What the figure is made of, in words: "22 of 100 lack a required field"."""
    parts = []
    if k.unit == "per_user":
        if c.scope == "owner":
            parts.append(f"{c.total or 0} {'activity' if c.total == 1 else 'activities'}")
    elif c.bad is not None and c.total is not None:
        parts.append(f"{c.bad} of {c.total} {_FAULTS.get(k.name, 'faulty')}")
    elif c.bad is not None:
        parts.append(f"{c.bad} {_FAULTS.get(k.name, 'faulty').replace('hold', 'holding').replace('have', 'with')}")
    if c.detail:
        parts.append("values: " + ", ".join(f"{value!r} ({n})" for value, n in c.detail[:10])
                     + (f", and {len(c.detail) - 10} more" if len(c.detail) > 10 else ""))
    if c.note:
        parts.append(c.note)
    return "; ".join(parts)


def label(c: Cell) -> str:
    if c.scope == "all":
        return "overall"
    return f"{c.scope} {c.name}" + (f" [{c.team}]" if c.team and c.scope in ("stage", "owner") else "")


def ordered(k: KpiResult) -> list[Cell]:
    rank = {s: i for i, s in enumerate(SCOPE_ORDER)}
    return sorted(k.cells, key=lambda c: rank[c.scope])


def spark(points: tuple[Point, ...]) -> str:
    values = [p.value for p in points]
    known = [v for v in values if v is not None]
    if len(known) < 2:
        return ""
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    return "".join(" " if v is None else SPARKS[round((v - low) / span * (len(SPARKS) - 1))] for v in values)


def below_for(k: KpiResult, now: datetime) -> str:
    if k.below_since is None:
        return ""
    days = (now - k.below_since).total_seconds() / 86400
    return f"below target since {day(k.below_since)} ({days:.0f} days)" if days >= 1 else "below target since this run"


def escalation(k: KpiResult) -> str:
    e = k.escalation
    if e is None:
        return ""
    who = []
    if e.teams:
        who.append("teams " + ", ".join(e.teams))
    if e.people:
        who.append("people " + ", ".join(e.people))
    named = ["overall" if key == "all:" else key.replace(":", " ", 1) for key in e.cells]
    cells = ", ".join(named[:CELLS_NAMED]) + (f" and {len(named) - CELLS_NAMED} more" if len(named) > CELLS_NAMED
                                               else "")
    return (f"ESCALATED: below target since {day(e.since)} ({e.days:g} days; escalates after "
            f"{k.escalate_after_days:g}) in {cells}; notify " + ("; ".join(who) or "nobody named in the spec"))


def headline(report: HealthReport) -> str:
    return f"crmconf health: target {report.target} ({report.provider}), {moment(report.at)}"


def summary(report: HealthReport) -> str:
    below, escalated = len(report.below), len(report.escalated)
    measured = sum(1 for k in report.kpis if k.overall.status != "unmeasured")
    text = f"{len(report.kpis)} KPIs ({measured} measured): {below} below target, {escalated} escalated"
    return text + (f"; {report.requests} request(s) to the CRM" if report.requests else "")


def notify_list(report: HealthReport) -> tuple[list[str], list[str]]:
    teams: list[str] = []
    people: list[str] = []
    for k in report.escalated:
        assert k.escalation is not None
        teams += k.escalation.teams
        people += k.escalation.people
    return list(dict.fromkeys(teams)), sorted(set(people))
