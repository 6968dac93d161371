"""HubSpot's manual steps are tracked: verified where the portal shows the result, refuted where it shows
the opposite, and otherwise open until a person records them done."""

from __future__ import annotations

from pathlib import Path

from crmconf.engine.steps import Status
from tests.conftest import CLI
from tests.emulators.hubspot import HubSpotEmulator
from tests.providers.hubspot.conftest import TARGET, Engine


def _states(engine: Engine) -> dict[str, tuple[Status, str]]:
    plan = engine.plan()
    return {s.id: (s.status, s.detail) for s in plan.steps}


def test_steps_are_verified_refuted_or_left_to_people(emu: HubSpotEmulator, engine: Engine, cli: CLI,
                                                      ws: Path) -> None:
    states = _states(engine)
    build = "automation.renewal_kickoff:build-workflow"
    assert states[build] == (Status.OPEN, "no automation labelled '[crmconf] renewal_kickoff' exists in the CRM yet")
    # The role exists, but HubSpot cannot show what it grants: only a person can say it is done.
    assert states["permission.sales_rep:permission-set"][0] is Status.OPEN
    assert "crmconf cannot read this" in states["permission.sales_rep:permission-set"][1]

    with emu._lock:  # an admin builds the workflow by hand, named as the step asks
        emu.portal.create_flow({"type": "PLATFORM_FLOW", "objectTypeId": "0-2", "flowType": "WORKFLOW",
                                "isEnabled": True, "actions": [], "name": "[crmconf] renewal_kickoff",
                                "blockedDates": [], "timeWindows": [], "customProperties": {}, "dataSources": []})
        del emu.portal.roles["7002"]  # and someone deletes a role a permission-set step needs
    assert cli("done", "permission.sales_manager:permission-set", "permission.sales_rep:permission-set",
               "--by", "maria.lopez@acme.example", "-w", ws, "-t", TARGET).code == 0
    states = _states(engine)
    assert states[build] == (Status.VERIFIED, "crmconf read automation.renewal_kickoff in the CRM")
    assert states["permission.sales_rep:permission-set"][0] is Status.DONE
    manager = states["permission.sales_manager:permission-set"]
    assert manager[0] is Status.OPEN  # the CRM shows it is not done, whatever the record says
    assert manager[1].startswith("no role named 'Sales Manager' exists in the CRM yet (recorded done by")
