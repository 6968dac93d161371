"""A drift report for scheduled runs: changes made outside crmconf, unmanaged objects, open manual
steps, live terminology."""

from __future__ import annotations

from crmconf.engine.changes import Plan
from crmconf.render.markdown_util import cell, code, fence
from crmconf.render.plan_text import change_lines


def render(plan: Plan) -> str:
    out = [f"## crmconf drift report: `{plan.target}` ({plan.provider})", ""]
    unaccepted = plan.unaccepted
    accepted = len(plan.unmanaged) - len(unaccepted)
    opened = plan.open_steps
    if not plan.has_changes and not unaccepted and not opened and not plan.diagnostics:
        note = f" ({accepted} unmanaged object(s) accepted under `unmanaged:`)" if accepted else ""
        return "\n".join([*out, f"No drift: the live CRM matches the spec{note}.", ""])
    out += [f"### Differences from the spec ({len(plan.changes)})", ""]
    if plan.changes:
        lines = [line.strip() for c in plan.changes for line in change_lines(c, effects=plan.effects.get(c.address, ()))]
        out += [*fence(lines, "diff"), ""]
    else:
        out += ["None.", ""]
    if plan.membership and plan.membership.forget:
        out += [f"- forget {code(a)} (stays in the CRM, no longer managed)" for a in plan.membership.forget] + [""]
    out += [f"### Manual steps still open ({len(opened)} of {len(plan.manual)})", ""]
    out += [
        f"- {code(m.id)} {cell(m.title)}" + (f": {cell(s.detail)}" if s and s.detail else "") for m, s in opened
    ] or ["None."]
    out += ["", f"### Unmanaged objects ({len(unaccepted)} not accepted, {accepted} accepted)", ""]
    out += [f"- {code(u.address)}" + (f" {cell(u.label)}" if u.label else "") for u in unaccepted] or ["None."]
    terms = [d for d in plan.diagnostics if d.code.startswith("T")]
    out += ["", f"### Terminology violations found live ({len(terms)})", ""]
    out += [f"- {cell(d.message)}" for d in terms] or ["None."]
    other = [d for d in plan.diagnostics if not d.code.startswith("T")]
    if other:
        out += ["", "### Other findings", ""]
        out += [f"- {d.severity.value} `{d.code}`: {cell(d.message)}" for d in other]
    return "\n".join([*out, ""])
