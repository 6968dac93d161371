"""The audit as Markdown (a wiki page or an issue): summary table first, then every automation."""

from __future__ import annotations

from crmconf.audit.model import AuditReport
from crmconf.render.audit_cells import COLUMNS, cells, notes, outcome, summary, title
from crmconf.render.markdown_util import cell


def render(report: AuditReport) -> str:
    out = [
        f"## {cell(title(report))}",
        "",
        f"**{cell(summary(report))}**",
        "",
        f"**{cell(outcome(report))}**",
        "",
    ]
    out.extend(f"> {cell(n)}" for n in notes(report))
    if notes(report):
        out.append("")
    fail = set(report.fail_on)
    out += ["| Verdict | Automations | Fails the audit |", "|---|---:|---|"]
    out += [f"| {v.value} | {n} | {'yes' if v in fail else 'no'} |" for v, n in report.counts.items()]
    out.append("")
    if not report.rows:
        return "\n".join([*out, "No automations in the spec or live.", ""])
    out.append("| " + " | ".join(h for _, h in COLUMNS) + " |")
    out.append("|" + "---|" * len(COLUMNS))
    for row in report.rows:
        c = cells(row)
        values = [cell(c[k]) for k, _ in COLUMNS]
        values[0] = f"**{values[0]}**"
        out.append("| " + " | ".join(values) + " |")
    return "\n".join([*out, ""])
