"""The health report for a terminal: one line per KPI, then each KPI's cells below target (or all with -v)."""

from __future__ import annotations

from crmconf.health.model import HealthReport, KpiResult
from crmconf.render import health_cells as hc
from crmconf.render.paint import paint
from crmconf.render.table import grid

_PAINT = {"ok": "green", "below": "red", "unmeasured": "yellow", "empty": "dim", "escalated": "red"}


def _paint(text: str, status: str, color: bool) -> str:
    return paint(text, _PAINT[status], color)


def render(report: HealthReport, *, color: bool = False, everything: bool = False) -> str:
    out = [hc.headline(report), hc.summary(report), ""]
    rows = [["KPI", "VALUE", "TARGET", "STATUS", "TREND"]]
    rows += [[k.title, hc.figure(k, k.overall), hc.target(k), hc.STATUS_WORDS[k.status], hc.spark(k.trend)]
             for k in report.kpis]
    out += grid(rows, styles=[[], *([None, None, None, _PAINT[k.status]] for k in report.kpis)], color=color)
    for k in report.kpis:
        out += ["", *_kpi(k, report, color=color, everything=everything)]
    out += ["", *_outcome(report)]
    out += [f"note: {n}" for n in report.notes]
    return "\n".join(out)


def _kpi(k: KpiResult, report: HealthReport, *, color: bool, everything: bool) -> list[str]:
    lines = [f"{k.title}: {hc.figure(k, k.overall)} ({hc.STATUS_WORDS[k.overall.status]}; target {hc.target(k)})",
             f"  {k.meaning}", f"  Measures: {k.practice}"]
    if k.overall.note or hc.detail(k, k.overall):
        lines.append(f"  {hc.detail(k, k.overall)}")
    if since := hc.below_for(k, report.at):
        lines.append(f"  {since}")
    if k.escalation is not None:
        lines.append("  " + _paint(hc.escalation(k), "below", color))
    shown = [c for c in hc.ordered(k) if everything or c.status in ("below", "unmeasured")]
    hidden = len(k.cells) - len(shown)
    width = max((len(hc.label(c)) for c in shown), default=0)
    for c in shown:
        word = _paint(hc.STATUS_WORDS[c.status], c.status, color)
        lines.append(f"    {hc.label(c).ljust(width)}  {hc.figure(k, c):>10}  {word}  {hc.detail(k, c)}".rstrip())
    if hidden:
        lines.append(f"    ({hidden} more on target; --verbose lists them)")
    return lines


def _outcome(report: HealthReport) -> list[str]:
    if not report.escalated:
        return ["No KPI escalates." if not report.below else "Below target, not yet long enough to escalate."]
    teams, people = hc.notify_list(report)
    lines = [f"{len(report.escalated)} KPI(s) escalate."]
    if teams:
        lines.append("Notify teams: " + ", ".join(teams))
    if people:
        lines.append("Notify people: " + ", ".join(people))
    return lines
