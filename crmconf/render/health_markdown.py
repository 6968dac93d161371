"""The health report as Markdown, for a scheduled job's issue or chat post: every CRM value escaped."""

from __future__ import annotations

from crmconf.health.model import HealthReport, KpiResult
from crmconf.render import health_cells as hc
from crmconf.render.markdown_util import cell, code

_MARK = {"ok": "ok", "below": "**below**", "unmeasured": "not measured", "empty": "-", "escalated": "**ESCALATED**"}


def render(report: HealthReport) -> str:
    out = [f"## {cell(hc.headline(report))}", "", f"**{cell(hc.summary(report))}**", ""]
    out += ["| KPI | Value | Target | Status | Trend |", "|---|---:|---|---|---|"]
    for k in report.kpis:
        out.append(f"| {cell(k.title)} | {cell(hc.figure(k, k.overall))} | {cell(hc.target(k))} | "
                   f"{_MARK[k.status]} | {cell(hc.spark(k.trend))} |")
    out.append("")
    teams, people = hc.notify_list(report)
    if report.escalated:
        out.append(f"**{len(report.escalated)} KPI(s) escalate.** Notify: "
                   + cell("; ".join(x for x in ("teams " + ", ".join(teams) if teams else "",
                                                "people " + ", ".join(people) if people else "") if x) or "-"))
        out.append("")
    for k in report.kpis:
        out += _kpi(k, report)
    out += [f"> {cell(n)}" for n in report.notes]
    return "\n".join([*out, ""])


def _kpi(k: KpiResult, report: HealthReport) -> list[str]:
    out = [f"### {cell(k.title)}: {cell(hc.figure(k, k.overall))} ({cell(hc.STATUS_WORDS[k.overall.status])})", "",
           f"{cell(k.meaning)} Measures: {cell(k.practice)} Target {cell(hc.target(k))}.", ""]
    if since := hc.below_for(k, report.at):
        out += [cell(since), ""]
    if k.escalation is not None:
        out += [f"**{cell(hc.escalation(k))}**", ""]
    if k.cells:
        out += ["| Where | Value | Status | Detail |", "|---|---:|---|---|"]
        for c in hc.ordered(k):
            where = f"{c.scope} {code(c.name)}" + (f" ({cell(c.team)})" if c.team and c.scope in ("stage", "owner")
                                                    else "")
            out.append(f"| {where} | {cell(hc.figure(k, c))} | {_MARK[c.status]} | {cell(hc.detail(k, c))} |")
        out.append("")
    return out
