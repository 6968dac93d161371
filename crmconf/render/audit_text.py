"""The audit for a terminal: the summary on top, then one aligned line per automation."""

from __future__ import annotations

from crmconf.audit.model import AuditReport, Verdict
from crmconf.render.audit_cells import cells, notes, outcome, summary, title
from crmconf.render.table import grid

# The terminal table drops the long columns (purpose, source); every other format has them all.
TEXT_COLUMNS = (
    ("verdicts", "VERDICTS"),
    ("name", "AUTOMATION"),
    ("kind", "KIND"),
    ("owner", "OWNER"),
    ("owner_active", "ACTIVE"),
    ("reviewed", "REVIEWED"),
    ("next_review", "NEXT REVIEW"),
    ("live_status", "LIVE"),
    ("modified", "LAST MODIFIED"),
)
_PAINT = {Verdict.OK: "green", Verdict.DUE_SOON: "yellow"}  # everything else is a finding: red


def render(report: AuditReport, *, color: bool = False) -> str:
    out = [title(report), summary(report)]
    out.extend(f"note: {n}" for n in notes(report))
    out.append("")
    table = []
    for row in report.rows:
        c = cells(row)
        c["modified"] = " by ".join(x for x in (c["updated_at"][:10], c["updated_by"]) if x)
        table.append([c[key] or "-" for key, _ in TEXT_COLUMNS])
    headers = [h for _, h in TEXT_COLUMNS]
    # The first cell says the verdict: green when fine, yellow when due soon, red for any finding.
    verdict = [[_PAINT.get(row.verdicts[0], "red") if len(row.verdicts) == 1 else "red"] for row in report.rows]
    out += grid([headers, *table], styles=[[], *verdict], color=color)
    if not report.rows:
        out.append("(no automations in the spec or live)")
    out += ["", outcome(report)]
    return "\n".join(out)
