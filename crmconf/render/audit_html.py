"""The audit as one self-contained HTML file: inline CSS, an inline SVG chart, no external resource at all."""

from __future__ import annotations

from html import escape

from crmconf.audit.model import AuditReport, AuditRow, Verdict
from crmconf.render.audit_cells import cells, notes, outcome, summary, title
from crmconf.render.html_page import FONT, page

COLORS = {
    Verdict.OK: "#2f9e44",
    Verdict.DUE_SOON: "#f08c00",
    Verdict.OVERDUE: "#e8590c",
    Verdict.UNOWNED: "#c2255c",
    Verdict.ORPHAN: "#862e9c",
    Verdict.MISSING: "#c92a2a",
    Verdict.CHANGED: "#1971c2",
    Verdict.UNUSED: "#5c940d",
    Verdict.FAILING: "#e03131",
}

CSS = """
table.rows { table-layout: fixed; }
table.rows col.what { width: 21%; } table.rows col.verdicts { width: 13%; } table.rows col.owner { width: 17%; }
table.rows col.purpose { width: 17%; } table.rows col.review { width: 16%; } table.rows col.live { width: 16%; }
table.rows td { overflow-wrap: anywhere; }
td div.sub { color: var(--muted); font-size: 12px; }
svg.chart { max-width: 100%; }
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  body { font-size: 12px; }
  main { max-width: none; padding: 0; }
  th { position: static; }
  tr, svg.chart { break-inside: avoid; }
  span.badge { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
p.outcome { font-weight: 600; padding: 8px 12px; border-radius: 4px; }
p.outcome.pass { background: #ebfbee; color: #2b8a3e; }
p.outcome.fail { background: #fff5f5; color: #c92a2a; }
span.badge { display: inline-block; padding: 0 6px; margin: 1px 2px 1px 0; border-radius: 9px; color: #fff;
             font-size: 12px; white-space: nowrap; }
tr.finding td:first-child { border-left: 4px solid #c92a2a; }
"""

_BAR_H, _GAP, _LABEL_W, _BAR_W, _NUM_W = 22, 8, 170, 360, 50


def e(text: str) -> str:
    return escape(text, quote=True)


def chart(report: AuditReport) -> str:
    """Horizontal bars, one per verdict, drawn to scale of the largest count."""
    counts = list(report.counts.items())
    top = max([n for _, n in counts] + [1])
    width = _LABEL_W + _BAR_W + _NUM_W
    height = len(counts) * (_BAR_H + _GAP) + _GAP
    parts = [
        f'<svg class="chart" role="img" aria-labelledby="chart-title" font-family="{FONT}" width="{width}" '
        f'height="{height}" '
        f'viewBox="0 0 {width} {height}">',
        '<title id="chart-title">Automations per verdict</title>',
    ]
    for i, (verdict, n) in enumerate(counts):
        y = _GAP + i * (_BAR_H + _GAP)
        bar = round(_BAR_W * n / top) if n else 0
        mid = y + _BAR_H / 2 + 5
        parts.append(
            f'<text x="{_LABEL_W - 8}" y="{mid}" text-anchor="end" font-size="13" fill="#1f2933">'
            f"{e(verdict.value)}</text>"
        )
        parts.append(
            f'<rect x="{_LABEL_W}" y="{y}" width="{max(bar, 1)}" height="{_BAR_H}" rx="3" '
            f'fill="{COLORS[verdict]}" fill-opacity="{1 if n else 0.25}"></rect>'
        )
        parts.append(
            f'<text x="{_LABEL_W + max(bar, 1) + 6}" y="{mid}" font-size="13" fill="#1f2933">{n}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _badges(row: AuditRow) -> str:
    return "".join(
        f'<span class="badge" style="background:{COLORS[v]}">{e(v.value)}</span>' for v in row.verdicts
    )


# The HTML groups the audit's columns (crmconf.render.audit_cells.COLUMNS) into six, verdicts second, so the
# whole table fits a 1,280 px window and an A4 landscape page; CSV and Markdown keep one column per value.
GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("what", "Automation", ("name", "kind", "object", "source")),
    ("verdicts", "Verdicts", ("verdicts",)),
    ("owner", "Owner", ("owner", "owner_active", "team")),
    ("purpose", "Purpose", ("purpose",)),
    ("review", "Review", ("reviewed", "next_review", "last_review")),
    ("live", "Live", ("live_status", "updated_at", "updated_by", "runs")),
)
_LABELS = {
    "kind": "", "object": "object", "source": "", "owner_active": "active", "team": "team",
    "reviewed": "last", "next_review": "next", "last_review": "decision", "live_status": "",
    "updated_at": "modified", "updated_by": "by", "runs": "runs",
}


def _cell(row: AuditRow, keys: tuple[str, ...]) -> str:
    c = cells(row)
    if keys == ("verdicts",):
        return _badges(row)
    head, *rest = keys
    first = f"<code>{e(c[head])}</code>" if head == "name" else e(c[head])
    subs = [
        f'<div class="sub">{e(_LABELS[k] + ": " if _LABELS[k] else "")}'
        + (f"<code>{e(c[k])}</code>" if k == "source" else e(c[k])) + "</div>"
        for k in rest if c[k]
    ]
    return first + "".join(subs)


def _rows(report: AuditReport) -> str:
    fail = set(report.fail_on)
    out = [
        '<table class="rows">',
        "<colgroup>" + "".join(f'<col class="{css}">' for css, _, _ in GROUPS) + "</colgroup>",
        "<thead><tr>" + "".join(f"<th>{e(h)}</th>" for _, h, _ in GROUPS) + "</tr></thead>",
        "<tbody>",
    ]
    for row in report.rows:
        tds = "".join(f"<td>{_cell(row, keys)}</td>" for _, _, keys in GROUPS)
        css = ' class="finding"' if fail.intersection(row.verdicts) else ""
        out.append(f"<tr{css}>{tds}</tr>")
    out += ["</tbody>", "</table>"]
    return "\n".join(out)


def render(report: AuditReport) -> str:
    fail = set(report.fail_on)
    body = [
        f"<h1>{e(title(report))}</h1>",
        f'<p class="meta">{e(summary(report))}</p>',
        f'<p class="outcome {"fail" if report.failed else "pass"}">{e(outcome(report))}</p>',
        *(f'<p class="meta">{e("note: " + n)}</p>' for n in notes(report)),
        "<h2>Summary</h2>",
        chart(report),
        "<table>",
        "<thead><tr><th>Verdict</th><th>Automations</th><th>Fails the audit</th></tr></thead>",
        "<tbody>",
        *(
            f'<tr><td>{e(v.value)}</td><td class="num">{n}</td><td>{"yes" if v in fail else "no"}</td></tr>'
            for v, n in report.counts.items()
        ),
        "</tbody>",
        "</table>",
        "<h2>Automations</h2>",
        _rows(report) if report.rows else "<p>No automations in the spec or live.</p>",
    ]
    return page(title(report), "\n".join(body), css=CSS)
