"""The audit for a terminal: the summary on top, then one aligned line per automation."""

from __future__ import annotations

from crmconf.audit.model import AuditReport, Verdict
from crmconf.render.audit_cells import cells, notes, outcome, summary, title
from crmconf.render.paint import paint

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


def _paint(text: str, style: str, color: bool) -> str:
    return paint(text, style, color)


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
    widths = [max(len(r[i]) for r in [headers, *table]) for i in range(len(headers))]

    def line(values: list[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    out.append(line(headers))
    for row, values in zip(report.rows, table, strict=True):
        text = line(values)
        if color:  # paint after aligning, so escape codes do not count as width
            first = values[0]
            code = _PAINT.get(row.verdicts[0], "red") if len(row.verdicts) == 1 else "red"
            text = _paint(first, code, color) + text[len(first) :]
        out.append(text)
    if not report.rows:
        out.append("(no automations in the spec or live)")
    out += ["", outcome(report)]
    return "\n".join(out)
