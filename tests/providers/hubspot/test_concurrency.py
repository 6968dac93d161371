"""Two applies of one workspace against one HubSpot portal at the same moment (the reported failure: the
same workflow created twice, both enabled, both runs exiting 0). Each race: one run applies, the other
exits 1 naming the run that holds the apply lock and nothing is created twice; after the first race the
losing machine plans empty (it reads the one managed record in the portal). See tests/providers/race.py."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import CLI
from tests.emulators.hubspot import HubSpotEmulator
from tests.emulators.hubspot_files import files_of
from tests.providers.hubspot.conftest import FAST_SEARCH, TARGET, duplicates
from tests.providers.race import LATENCY_S, RUNS, check, machines, race

SPEC = """\
fields:
  deal:
    - {name: seats, label: Seats, type: number}
pipelines:
  - name: partner
    object: deal
    label: Partner
    stages:
      - {name: sourced, label: Sourced, probability: 10}
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


def workspace(root: Path, emu: HubSpotEmulator) -> Path:
    root.mkdir(parents=True)
    (root / "crmconf.yaml").write_text(
        f"version: 1\ndefault_target: {TARGET}\ntargets:\n  {TARGET}:\n    provider: hubspot\n    settings:\n"
        f"      token_env: HUBSPOT_TOKEN\n      base_url: {emu.base_url}\n      strict_decoding: true\n"
        f"      timeout: 10\n      search_per_second: {FAST_SEARCH}\n      lock_settle: 0.3\n"
        "      retry: {base_delay: 0.01, max_delay: 0.05}\npolicies: {require_automation_owner: false}\n")
    (root / "spec.yaml").write_text(SPEC)
    return root


def test_concurrent_applies_one_wins_the_other_names_it_nothing_twice(emu: HubSpotEmulator, tmp_path: Path,
                                                                      cli: CLI) -> None:
    problems: list[str] = []
    for run in range(RUNS):
        emu.reset()
        emu.faults.latency_s = LATENCY_S
        emu.faults.gather(2, methods=("POST",), path=r"^/files/v3/files$")  # both lock uploads at once
        template = workspace(tmp_path / f"race-{run}" / "template", emu)
        finished = race(machines(template, tmp_path / f"race-{run}"), TARGET, {"HUBSPOT_TOKEN": emu.token})
        found = check(finished)
        emu.faults.latency_s = 0
        if dup := duplicates(emu):
            found.append(f"created twice: {dup}")
        if len([f for f in emu.flows() if f["name"] == "[crmconf] partner_follow_up"]) != 1:
            found.append("the workflow is not there exactly once")
        if found_lock := [f.path for f in files_of(emu.portal).by_id.values() if not f.archived and "-lock" in f.name]:
            found.append(f"a lock was left behind: {found_lock}")
        loser = finished[-1].root  # it never applied, yet reads the one record in the CRM: nothing left to do
        if run == 0 and (code := cli("plan", "-w", loser, "-t", TARGET, "--detailed-exitcode").code) != 0:
            found.append(f"a plan from the losing machine after the race exits {code}")
        problems += [f"race {run}: {p}" for p in found]
    assert not problems, "\n".join(problems)
