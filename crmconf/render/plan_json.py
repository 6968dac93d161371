"""A plan as stable, versioned JSON (`format_version`), for scripts and for `apply PLANFILE`."""

from __future__ import annotations

from crmconf import files
from crmconf.engine.changes import Action, Plan
from crmconf.engine.plan import plan_to_dict

ACTIONS = {
    Action.CREATE: ["create"],
    Action.UPDATE: ["update"],
    Action.DELETE: ["delete"],
    Action.REPLACE: ["delete", "create"],
}


def render(plan: Plan) -> str:
    data = plan_to_dict(plan)
    for entry, change in zip(data["changes"], plan.changes, strict=True):
        entry["actions"] = ACTIONS[change.action]
    data["has_changes"] = plan.has_changes
    data["needs_signoff"] = list(plan.signoff())
    # Through files.dumps: secrets masked, and a non-finite number from the live CRM (a vendor answer
    # that Python's json read as NaN) is a plain error, never invalid JSON for the scripts that read this.
    return files.dumps(data, indent=2)
