"""Two applies of one workspace against one Salesforce org at the same moment: one applies, the other exits 1
naming the run that holds the apply lock (a private StaticResource created with createMetadata, which
refuses a second one of that name) and nothing is made twice; after the first race the losing machine plans
empty (it reads the one managed record in the org). See tests/providers/race.py."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import CLI
from tests.emulators.salesforce import SalesforceEmulator
from tests.providers.race import LATENCY_S, RUNS, check, machines, race
from tests.providers.salesforce.conftest import CA_ENV, SESSION_ENV, TARGET, add_spec_owners, small_workspace
from tests.providers.salesforce.test_idempotent_creates import census

SPEC = """\
fields:
  deal:
    - {name: seats, label: Seats, type: number}
pipelines:
  - name: partner
    object: deal
    label: Partner
    stages:
      - {name: sourced, label: Sourced, probability: 10, require: [seats]}
      - {name: closed_won, label: Closed Won, probability: 100, outcome: won}
      - {name: closed_lost, label: Closed Lost, probability: 0, outcome: lost}
automations:
  - name: partner_follow_up
    description: Call the partner when a deal is sourced
    object: deal
    trigger: {stage_entered: partner.sourced}
    actions: [{create_task: {subject: Call the partner, due_in: 2d, assign_to: record_owner}}]
    purpose: Keep partner deals moving
    reviewed: 2026-11-01
"""


def test_concurrent_applies_one_wins_the_other_names_it_nothing_twice(emu: SalesforceEmulator, tmp_path: Path,
                                                                      cli: CLI) -> None:
    env = {SESSION_ENV: emu.session_id, CA_ENV: emu.ca_path}
    problems: list[str] = []
    expected: dict[str, object] | None = None
    for run in range(RUNS):
        emu.reset()
        add_spec_owners(emu)
        emu.faults.latency_s = LATENCY_S
        emu.faults.gather(2, methods=("POST",), path=r"^/services/Soap/m/")  # both lock creates at once
        template = small_workspace(tmp_path / f"race-{run}" / "template", emu, SPEC)
        finished = race(machines(template, tmp_path / f"race-{run}"), TARGET, env)
        found = check(finished)
        emu.faults.latency_s = 0
        now = census(emu)
        expected = expected or now  # every race leaves the org exactly as the first did
        if now != expected:
            found.append(f"the org differs from the first race's: {now}")
        if any(name.startswith("crmconf_") and name.endswith("_lock") for name in emu.metadata("StaticResource")):
            found.append("a lock was left behind")
        loser = finished[-1].root  # it never applied, yet reads the one record in the CRM: nothing left to do
        if run == 0 and (code := cli("plan", "-w", loser, "-t", TARGET, "--detailed-exitcode").code) != 0:
            found.append(f"a plan from the losing machine after the race exits {code}")
        problems += [f"race {run}: {p}" for p in found]
    assert not problems, "\n".join(problems)
