"""A drift report for scheduled runs: changes made outside crmconf, unmanaged objects, live terminology."""

from __future__ import annotations

from crmconf.engine.changes import Plan
from crmconf.render.markdown_util import cell, code, fence
from crmconf.render.plan_text import change_lines


def render(plan: Plan) -> str:
    out = [f"## crmconf drift report: `{plan.target}` ({plan.provider})", ""]
    if not plan.changes and not plan.unmanaged and not plan.diagnostics:
        return "\n".join([*out, "No drift: the live CRM matches the spec.", ""])
    out += [f"### Differences from the spec ({len(plan.changes)})", ""]
    if plan.changes:
        out += [*fence([line.strip() for c in plan.changes for line in change_lines(c)], "diff"), ""]
    else:
        out += ["None.", ""]
    out += [f"### Unmanaged objects ({len(plan.unmanaged)})", ""]
    out += [f"- {code(u.address)}" + (f" {cell(u.label)}" if u.label else "") for u in plan.unmanaged] or ["None."]
    terms = [d for d in plan.diagnostics if d.code.startswith("T")]
    out += ["", f"### Terminology violations found live ({len(terms)})", ""]
    out += [f"- {cell(d.message)}" for d in terms] or ["None."]
    other = [d for d in plan.diagnostics if not d.code.startswith("T")]
    if other:
        out += ["", "### Other findings", ""]
        out += [f"- {d.severity.value} `{d.code}`: {cell(d.message)}" for d in other]
    return "\n".join([*out, ""])
