"""Every trigger and action of the spec language, applied to the emulator (which validates each body as HubSpot's
schema does and stores it with HubSpot's defaults): the next plan is empty, a later apply writes nothing, and
the audit does not take crmconf's own writes for changes made since the review."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from crmconf.audit.model import Verdict
from crmconf.commands.audit import build as audit
from tests.emulators.hubspot import HubSpotEmulator
from tests.providers.hubspot.conftest import TODAY, Engine, failures

TRIGGERS = {
    "stage": "{stage_entered: new_business.proposal}",
    "created": "{record_created: {where: {lead_source: inbound, seats: 10, budget_confirmed: true}}}",
    "changed_to": "{field_changed: {field: seats, to: 100}}",
    "changed": "{field_changed: {field: deal_type}}",
    "stale": "{stale_in_stage: {days: 14, pipeline: new_business}}",
    "date": "{date_reached: {field: contract_end_date, offset: -90d}}",
}
ACTIONS = {
    "owner_task": "{create_task: {subject: Follow up, due_in: 3d}}",
    "user_task": "{create_task: {subject: Call the CFO, due_in: 12h, assign_to: maria.lopez@acme.example}}",
    "set": "{set_field: {field: lead_source, value: partner}}",
    "clear": "{set_field: {field: discount_percent, value: null}}",
    "notify": "{notify: {to: ['team:sales', record_owner, sam.okafor@acme.example], message: Look}}",
    "rotate": "{assign_round_robin: {team: sdr, among: [priya@acme.example, jo@acme.example]}}",
}


def every_combination() -> str:
    lines = ["automations:"]
    for (t, trigger), status in zip(TRIGGERS.items(), ("active", "inactive") * 3, strict=True):
        for a, action in ACTIONS.items():
            lines += [f"  - name: {t}_{a}", "    object: deal", f"    description: {t} then {a}",
                      f"    trigger: {trigger}", f"    actions: [{action}]", f"    status: {status}",
                      "    owner: maria.lopez@acme.example", "    purpose: Every trigger with every action.",
                      "    reviewed: 2026-11-01"]  # reviewed before crmconf first writes them
    return "\n".join(lines) + "\n"


def test_every_trigger_and_action_applies_and_converges(emu: HubSpotEmulator, ws: Path) -> None:
    (ws / "automations.yaml").write_text(every_combination())
    emu.portal.clock = lambda: f"{TODAY.isoformat()}T10:00:00.000Z"
    engine = Engine(ws)
    assert not failures(engine.apply())
    compiled = [f for f in emu.flows() if f["name"].startswith("[crmconf] ")]
    assert len(compiled) == len(TRIGGERS) * len(ACTIONS)
    assert engine.plan().changes == ()

    # Written after the review, but by crmconf from the reviewed spec: not a change since review. The next
    # day nothing is re-written either (every read-back matched).
    emu.portal.clock = lambda: "2026-11-24T10:00:00.000Z"
    emu.clear_logs()
    assert not engine.apply().results and not emu.mutations()
    report = audit(ws, target="hubspot-prod", offline=False, as_of=date(2026, 11, 24), today=TODAY)
    rows = {r.name: r for r in report.rows if r.kind != "unmanaged"}
    assert len(rows) == len(compiled) and {r.updated_by for r in rows.values()} == {"crmconf"}
    assert not [n for n, r in rows.items() if Verdict.CHANGED in r.verdicts or Verdict.MISSING in r.verdicts]

    # A hand edit in HubSpot is seen: the plan puts the workflow back, and the audit flags it.
    flow = next(f for f in compiled if f["name"] == "[crmconf] stage_notify")
    flow["actions"][0]["fields"]["body"] = "Edited in HubSpot"
    emu.portal.replace_flow(flow["id"], {k: v for k, v in flow.items()
                                         if k not in ("objectTypeId", "flowType", "dataSources")})
    (change,) = engine.plan().changes
    assert change.address == "automation.stage_notify" and [a.name for a in change.attrs] == ["actions"]
    report = audit(ws, target="hubspot-prod", offline=False, as_of=date(2026, 11, 24), today=TODAY)
    assert Verdict.CHANGED in next(r for r in report.rows if r.name == "stage_notify").verdicts
