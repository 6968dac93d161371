"""`crmconf audit` counts workflow runs on HubSpot: enrolments from the workflow performance API, read
through the real client over HTTP from the emulated portal (seeded in tests/emulators/hubspot_seed.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLI
from tests.emulators.hubspot import HubSpotEmulator
from tests.providers.hubspot.conftest import TARGET, edit

# welcome_sequence is bound to one seeded workflow at a time; the window is the 90-day review interval up to
# CRMCONF_TODAY (2026-11-23): September to November 2026.
CASES = [
    # onboarding enrols 3 contacts every week of autumn: 12 weeks in the window -> 36 runs
    pytest.param("1500003", 36, [], id="runs-counted"),
    # enabled, but its last enrolment was in March: nothing in the window -> unused
    pytest.param("1500002", 0, ["unused"], id="unused"),
    # a disabled workflow that never ran is not `unused`: nobody expects it to run
    pytest.param("1500004", 0, [], id="inactive-not-unused"),
]


def audit(cli: CLI, ws: Path) -> tuple[int, dict[str, Any], dict[str, Any]]:
    ran = cli("audit", "-w", ws, "-t", TARGET, "--format", "json")
    assert ran.code in (0, 3), ran.err
    report = json.loads(ran.out)
    return ran.code, report, {r["name"]: r for r in report["rows"]}


@pytest.mark.parametrize(("flow", "runs", "run_verdicts"), CASES)
def test_runs_come_from_workflow_performance(cli: CLI, emu: HubSpotEmulator, ws: Path, flow: str, runs: int,
                                             run_verdicts: list[str]) -> None:
    edit(ws / "automations.yaml", 'hubspot: "1500003"', f'hubspot: "{flow}"')
    _, report, rows = audit(cli, ws)
    row = rows["welcome_sequence"]
    assert (row["runs"], row["failed_runs"], row["runs_unknown"]) == (runs, None, None)
    assert [v for v in row["verdicts"] if v in ("unused", "failing")] == run_verdicts
    assert report["runs_days"] == 90 and report["runs_note"] is None
    # HubSpot keeps no failure series: `failing` is never claimed, and no row says it failed.
    assert all(r["failed_runs"] is None for r in report["rows"])
    # Asked only for the workflows the spec names: one id mapping for all, one performance read each.
    assert emu.requests.matching("POST", "/automation/v4/workflow-id-mappings/batch/read") == 1
    named = sum(1 for r in report["rows"] if r["kind"] != "unmanaged" and r["live_status"] != "absent")
    assert emu.requests.matching("GET", "/automation/v3/performance/workflow/") == named


def test_a_refused_performance_read_leaves_runs_unknown_and_the_audit_goes_on(
        cli: CLI, emu: HubSpotEmulator, ws: Path) -> None:
    # HubSpot keeps failing the performance read (every retry): that workflow's runs are unknown, said plainly.
    emu.faults.inject("server_error", times=50, path=r"/automation/v3/performance/workflow/")
    code, _, rows = audit(cli, ws)
    row = rows["welcome_sequence"]
    assert row["runs"] is None and "did not report the performance of workflow" in row["runs_unknown"]
    assert "unused" not in row["verdicts"] and code in (0, 3)
    text = cli("audit", "-w", ws, "-t", TARGET)
    assert "runs unknown for some automations: HubSpot did not report the performance" in text.out
