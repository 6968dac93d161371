"""The health report as one self-contained HTML page (inline CSS and SVG charts; nothing is fetched)."""

from __future__ import annotations

from html import escape

from crmconf.health.model import HealthReport, KpiResult
from crmconf.render import health_cells as hc
from crmconf.render.health_svg import chart
from crmconf.render.html_page import page

CSS = """
.kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); gap: 16px; }
.kpi { border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; }
.kpi h3 { margin: 0 0 4px; }
.value { font-size: 26px; font-weight: 600; }
.s-ok { color: #2f855a; } .s-below { color: #c53030; } .s-unmeasured { color: #b7791f; } .s-empty { color: #718096; }
.escalated { background: #fff5f5; border-color: #feb2b2; }
.flag { font-weight: 600; color: #c53030; }
details { margin: 8px 0 0; } summary { cursor: pointer; color: var(--muted); }
"""


def render(report: HealthReport) -> str:
    teams, people = hc.notify_list(report)
    body = [f"<h1>{escape(hc.headline(report))}</h1>", f'<p class="meta">{escape(hc.summary(report))}</p>']
    if report.escalated:
        who = "; ".join(x for x in ("teams " + ", ".join(teams) if teams else "",
                                    "people " + ", ".join(people) if people else "") if x)
        body.append(f'<p class="flag">{len(report.escalated)} KPI(s) escalate. Notify: {escape(who or "-")}</p>')
    body.append('<div class="kpis">')
    body += [_card(k, report) for k in report.kpis]
    body.append("</div>")
    body += [f'<p class="meta">{escape(n)}</p>' for n in report.notes]
    body.append("<h2>Details</h2>")
    body += [_table(k) for k in report.kpis]
    return page(hc.headline(report), "\n".join(body), css=CSS)


def _card(k: KpiResult, report: HealthReport) -> str:
    status = k.overall.status
    parts = [f'<section class="kpi{" escalated" if k.escalation else ""}">',
             f"<h3>{escape(k.title)}</h3>",
             f'<div class="value s-{status}">{escape(hc.figure(k, k.overall))}</div>',
             f'<p class="meta">target {escape(hc.target(k))}: {escape(hc.STATUS_WORDS[status])}'
             + (f"; {escape(hc.below_for(k, report.at))}" if k.below_since else "") + "</p>",
             chart(k)]
    if k.escalation is not None:
        parts.append(f'<p class="flag">{escape(hc.escalation(k))}</p>')
    parts.append(f'<p class="meta">{escape(k.meaning)} Measures: {escape(k.practice)}</p>')
    parts.append("</section>")
    return "\n".join(parts)


def _table(k: KpiResult) -> str:
    rows = [f"<h3>{escape(k.title)}</h3>", "<table><tr><th>Where</th><th>Team</th><th>Value</th><th>Status</th>"
            "<th>Detail</th></tr>"]
    for c in [k.overall, *hc.ordered(k)]:
        rows.append(f"<tr><td>{escape(hc.label(c))}</td><td>{escape(c.team or '')}</td>"
                    f'<td class="num">{escape(hc.figure(k, c))}</td>'
                    f'<td class="s-{c.status}">{escape(hc.STATUS_WORDS[c.status])}</td>'
                    f"<td>{escape(hc.detail(k, c))}</td></tr>")
    rows.append("</table>")
    return "\n".join(rows)
