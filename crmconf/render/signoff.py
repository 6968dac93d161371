"""Who must sign off a change (and, in a pull request, who has): text, Markdown or JSON. Never computes."""

from __future__ import annotations

import json

from crmconf.council.approvals import Outcome, PartyStatus, State
from crmconf.council.signoff import Reason, Requirement, Signoff
from crmconf.render.markdown_util import cell, code

FORMAT_VERSION = 1
MARKER = "<!-- crmconf-signoff -->"
_SHOWN = {
    State.APPROVED: "signed off",
    State.WAITING: "waiting",
    State.CHANGES_REQUESTED: "changes requested",
    State.NOBODY: "nobody can approve",
}


def _status_of(outcome: Outcome | None, requirement: Requirement) -> PartyStatus | None:
    if outcome is None:
        return None
    return next((p for p in outcome.parties if p.requirement.party == requirement.party), None)


def _who(status: PartyStatus | None) -> str:
    if status is None:
        return ""
    if status.state is State.APPROVED:
        via = f" for the council ({status.stand_in})" if status.stand_in else ""
        return f"{_SHOWN[status.state]} by {', '.join(status.approved_by)}{via}"
    if status.state is State.CHANGES_REQUESTED:
        return f"{_SHOWN[status.state]} by {', '.join(status.objected_by)}"
    return _SHOWN[status.state]


def _reason(r: Reason) -> str:
    return f"{r.address}: {r.what}" + (f"  ({r.source})" if r.source else "")


def text(signoff: Signoff, outcome: Outcome | None = None) -> str:
    if not signoff.requirements:
        lines = [f"No sign-off needed (compared with {signoff.base})."]
    else:
        lines = [f"Sign-off needed (compared with {signoff.base}):"]
    for req in signoff.requirements:
        status = _status_of(outcome, req)
        kind = "team" if req.kind == "team" else "automation owner"
        lines.append(f"  {req.party} ({kind})" + (f": {_who(status)}" if status else ""))
        lines.extend(f"      {_reason(r)}" for r in req.reasons)
    lines.extend(f"note: {n}" for n in signoff.notes)
    if outcome is not None:
        lines.append(f"Sign-off: {outcome.summary()}.")
    return "\n".join(lines)


def markdown(signoff: Signoff, outcome: Outcome | None = None) -> str:
    lines = [MARKER, f"### crmconf sign-off (compared with {code(signoff.base)})", ""]
    if not signoff.requirements:
        lines.append("No team's sign-off is needed.")
    else:
        lines += ["| who | status | what changed |", "|---|---|---|"]
        for req in signoff.requirements:
            changed = "<br>".join(f"{code(r.address)}: {cell(r.what)}" for r in req.reasons)
            lines.append(f"| **{cell(req.party)}** | {cell(_who(_status_of(outcome, req)) or '-')} | {changed} |")
    lines += ["", *(f"> {cell(n)}" for n in signoff.notes)]
    if outcome is not None:
        lines.append(f"**{cell(outcome.summary())}**")
    return "\n".join(lines).rstrip() + "\n"


def as_json(signoff: Signoff, outcome: Outcome | None = None) -> str:
    def reason(r: Reason) -> dict[str, object]:
        where = {"file": r.source.file, "line": r.source.line, "column": r.source.column} if r.source else None
        return {"address": r.address, "what": r.what, "source": where}

    needs = []
    for req in signoff.requirements:
        entry: dict[str, object] = {"party": req.party, "kind": req.kind, "reasons": [reason(r) for r in req.reasons]}
        status = _status_of(outcome, req)
        if status is not None:
            entry |= {"state": status.state.value, "approved_by": list(status.approved_by),
                      "objected_by": list(status.objected_by), "stand_in": status.stand_in}
        needs.append(entry)
    data: dict[str, object] = {
        "format_version": FORMAT_VERSION,
        "base": signoff.base,
        "needs_signoff": [req.party for req in signoff.requirements],
        "needs": needs,
        "unowned": [reason(r) for r in signoff.unowned],
        "notes": list(signoff.notes),
    }
    if outcome is not None:
        data |= {"state": outcome.state.value, "passed": outcome.passed, "summary": outcome.summary()}
    return json.dumps(data, indent=2, ensure_ascii=False)
