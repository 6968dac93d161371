"""A pilot on Salesforce: a compiled flow that acts only for the pilot's users (permission set assignment),
widened by removing one line. Through the CLI and the real client against the emulated org."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import CLI
from tests.emulators.salesforce import SalesforceEmulator
from tests.providers.salesforce.conftest import TARGET, converging_specs, edit

FLOW = "crmconf_proposal_follow_up"
PERMISSION = "crmconf_pilot_proposal_follow_up"
PURPOSE = "    purpose: Proposals that hear nothing for a week close at half the rate; keep them warm.\n"


def pilot_line(*users: str) -> str:
    return f"    pilot: {{users: [{', '.join(users)}]}}\n"


def assignees(emu: SalesforceEmulator) -> list[str]:
    ps = {r["Id"]: r["Name"] for r in emu.records("PermissionSet")}
    users = {u["Id"]: u["Email"] for u in emu.records("User")}
    return sorted(users[a["AssigneeId"]] for a in emu.records("PermissionSetAssignment")
                  if ps.get(a["PermissionSetId"]) == PERMISSION)


def decision(emu: SalesforceEmulator) -> dict[str, Any] | None:
    body = emu.org.flows[FLOW].latest.metadata
    return next((d for d in body.get("decisions") or [] if d.get("name") == "crmconf_pilot"), None)


def apply(cli: CLI, ws: Path) -> None:
    ran = cli("apply", "-w", ws, "--target", TARGET, "--auto-approve", "--allow-destroy")
    assert ran.code == 0, ran.err
    assert cli("plan", "-w", ws, "--target", TARGET, "--detailed-exitcode").code == 0  # converged


def test_a_pilot_reaches_its_users_then_everyone(cli: CLI, emu: SalesforceEmulator, tmp_path: Path) -> None:
    ws = converging_specs(tmp_path / "ws", emu)
    spec = ws / "automations.yaml"
    edit(spec, PURPOSE, PURPOSE + pilot_line("maria.lopez@acme.example", "sam.okafor@acme.example"))
    apply(cli, ws)
    # The flow lets through only holders of the custom permission, which one permission set grants to the pilot.
    found = decision(emu)
    assert found is not None
    [rule] = found["rules"]
    assert rule["conditions"][0]["leftValueReference"] == f"$Permission.{PERMISSION}"
    assert emu.metadata("CustomPermission")[PERMISSION]["label"] == "Pilot: proposal_follow_up"
    assert emu.metadata("PermissionSet")[PERMISSION]["customPermissions"] == [{"name": PERMISSION, "enabled": True}]
    assert assignees(emu) == ["maria.lopez@acme.example", "sam.okafor@acme.example"]
    # Its permission set belongs to the automation: never listed as an unmanaged permission set of the org.
    unmanaged = json.loads(cli("plan", "-w", ws, "--target", TARGET, "--format", "json").out)["unmanaged"]
    assert not [u for u in unmanaged if "crmconf_pilot" in json.dumps(u)], unmanaged

    # Who is in the pilot changes: assignments only, the flow is not redeployed.
    versions = len(emu.org.flows[FLOW].versions)
    edit(spec, pilot_line("maria.lopez@acme.example", "sam.okafor@acme.example"),
         pilot_line("maria.lopez@acme.example", "devon.price@acme.example"))
    planned = json.loads(cli("plan", "-w", ws, "--target", TARGET, "--format", "json").out)
    assert [(c["address"], c["changed"]) for c in planned["changes"]] == [
        ("automation.proposal_follow_up", ["pilot"])]
    apply(cli, ws)
    assert assignees(emu) == ["devon.price@acme.example", "maria.lopez@acme.example"]
    assert len(emu.org.flows[FLOW].versions) == versions

    # One line removed: everyone. The flow no longer reads the permission, and crmconf removes what it made.
    edit(spec, pilot_line("maria.lopez@acme.example", "devon.price@acme.example"), "")
    apply(cli, ws)
    assert decision(emu) is None and emu.org.flows[FLOW].active is not None
    assert PERMISSION not in emu.metadata("PermissionSet") and PERMISSION not in emu.metadata("CustomPermission")
    assert assignees(emu) == []


def test_a_pilot_naming_someone_who_is_not_a_user_fails_that_automation_only(
        cli: CLI, emu: SalesforceEmulator, tmp_path: Path) -> None:
    ws = converging_specs(tmp_path / "ws", emu)
    edit(ws / "automations.yaml", PURPOSE, PURPOSE + pilot_line("nobody@acme.example"))
    ran = cli("apply", "-w", ws, "--target", TARGET, "--auto-approve", "--allow-destroy")
    assert ran.code == 1
    assert "not active Salesforce users: nobody@acme.example" in ran.err
    assert FLOW not in emu.org.flows  # never deployed to reach everyone instead


def test_a_bound_flow_cannot_be_a_pilot(cli: CLI, emu: SalesforceEmulator, tmp_path: Path) -> None:
    ws = converging_specs(tmp_path / "ws", emu)
    edit(ws / "automations.yaml", "    purpose: First-week onboarding e-mails; activation in week one predicts renewal.\n",
         "    purpose: First-week onboarding e-mails; activation in week one predicts renewal.\n"
         + pilot_line("maria.lopez@acme.example"))
    ran = cli("plan", "-w", ws, "--target", TARGET)
    assert ran.code == 1 and "P501" in ran.err and "New_Customer_Onboarding" in ran.err


def test_a_flow_on_a_scheduled_path_cannot_be_a_pilot(cli: CLI, emu: SalesforceEmulator, tmp_path: Path) -> None:
    # 30 days before the renewal date the flow runs as the Automated Process user: nobody whose pilot to check.
    ws = converging_specs(tmp_path / "ws", emu)
    with (ws / "automations.yaml").open("a") as out:
        out.write("""
  - name: renewal_prep
    object: company
    trigger: {date_reached: {field: renewal_date, offset: -30d}}
    actions: [{create_task: {subject: Prepare the renewal, due_in: 1w, assign_to: lena.fischer@acme.example}}]
    owner: sam.okafor@acme.example
    team: customer-success
    purpose: Time to prepare the renewal.
    reviewed: 2026-11-02
    pilot: {users: [maria.lopez@acme.example]}
""")
    ran = cli("plan", "-w", ws, "--target", TARGET)
    assert ran.code == 1 and "P501" in ran.err and "renewal_prep" in ran.err and "scheduled path" in ran.err
