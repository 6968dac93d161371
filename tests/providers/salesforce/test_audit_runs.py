"""`crmconf audit` counts flow runs on Salesforce: interviews from FlowInterviewLog, read through the real
client (one Composite Batch) from the emulated org, whose logs each case writes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLI
from tests.emulators.salesforce import SalesforceEmulator
from tests.emulators.salesforce_interviews import log_interviews
from tests.providers.salesforce.conftest import TARGET, converging_specs, copy_specs, edit

ONBOARDING = "New_Customer_Onboarding"  # the active screen flow welcome_sequence binds
IN_WINDOW = "2026-10-{:02d}T09:00:00.000+0000"  # the window: the 90 days up to CRMCONF_TODAY (2026-11-23)

# (case, interviews as (day, status), runs, failed, verdicts among unused/failing)
CASES = [
    pytest.param([], 0, 0, ["unused"], id="no-interview-in-the-window-is-unused"),
    pytest.param([(d, "Completed") for d in range(1, 21)], 20, 0, [], id="runs-counted"),
    pytest.param([(d, "Completed") for d in range(1, 19)] + [(19, "Error"), (20, "Error")], 20, 2, ["failing"],
                 id="failures-over-the-threshold-are-failing"),
    pytest.param([(d, "Completed") for d in range(1, 21)] + [(21, "Error")], 21, 1, [],
                 id="failures-under-the-threshold"),
    pytest.param([(d, "Running") for d in range(1, 3)], 2, 0, [], id="interviews-still-running-count-as-runs"),
]


def audit(cli: CLI, ws: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    ran = cli("audit", "-w", ws, "--target", TARGET, "--format", "json")
    assert ran.code in (0, 3), ran.err
    report = json.loads(ran.out)
    return report, {r["name"]: r for r in report["rows"]}


@pytest.mark.parametrize(("logs", "runs", "failed", "run_verdicts"), CASES)
def test_runs_come_from_the_flow_interview_log(cli: CLI, emu: SalesforceEmulator, tmp_path: Path,
                                               logs: list[tuple[int, str]], runs: int, failed: int,
                                               run_verdicts: list[str]) -> None:
    ws = copy_specs(tmp_path / "ws", emu)
    emu.org.table("FlowInterviewLog").clear()
    log_interviews(emu.org, ONBOARDING, "New Customer Onboarding", [(IN_WINDOW.format(d), s) for d, s in logs])
    # Outside the window: in March, and another flow's: neither counts.
    log_interviews(emu.org, ONBOARDING, "New Customer Onboarding", [("2026-03-02T09:00:00.000+0000", "Error")])
    log_interviews(emu.org, "Legacy_Discount_Approval", "Legacy Discount Approval", [(IN_WINDOW.format(3), "Error")])
    emu.requests.reset()
    report, rows = audit(cli, ws)
    row = rows["welcome_sequence"]
    assert (row["runs"], row["failed_runs"], row["runs_unknown"]) == (runs, failed, None)
    assert [v for v in row["verdicts"] if v in ("unused", "failing")] == run_verdicts
    assert report["runs_note"] is None and report["runs_days"] == 90
    # One Composite Batch reads the automations, one more counts their interviews with the user's permission.
    batches = sum(n for (method, path), n in emu.requests.counts.items() if path.endswith("/composite/batch"))
    assert batches == 2, emu.requests.counts


def test_the_seeded_onboarding_flow_runs_and_compiled_flows_say_why_they_are_not_counted(
        cli: CLI, emu: SalesforceEmulator, tmp_path: Path) -> None:
    ws = converging_specs(tmp_path / "ws", emu)
    applied = cli("apply", "-w", ws, "--target", TARGET, "--auto-approve", "--allow-destroy")
    assert applied.code == 0, applied.err
    report, rows = audit(cli, ws)
    assert (rows["welcome_sequence"]["runs"], rows["welcome_sequence"]["failed_runs"]) == (21, 1)
    compiled = [r for r in report["rows"] if r["kind"] == "compiled" and r["live_status"] == "active"]
    assert compiled, "the apply built no flow"
    for row in compiled:  # record-triggered flows leave no interview log: unknown, never `unused`
        assert row["runs"] is None and "screen flows only" in row["runs_unknown"]
        assert "unused" not in row["verdicts"]


def test_without_view_all_data_runs_are_unknown_and_the_audit_says_why(
        cli: CLI, emu: SalesforceEmulator, tmp_path: Path) -> None:
    ws = copy_specs(tmp_path / "ws", emu)
    emu.org.view_all_data = False  # Salesforce would show it only its own interviews: none here
    report, rows = audit(cli, ws)
    assert rows["welcome_sequence"]["runs"] is None and "unused" not in rows["welcome_sequence"]["verdicts"]
    assert "View All Data is not granted" in report["runs_note"]
    text = cli("audit", "-w", ws, "--target", TARGET)
    assert text.code in (0, 3) and "runs unknown on salesforce: the integration user's View All Data" in text.out


def test_a_workflow_rule_has_no_run_log(cli: CLI, emu: SalesforceEmulator, tmp_path: Path) -> None:
    ws = copy_specs(tmp_path / "ws", emu)
    edit(ws / "automations.yaml", f"salesforce: {ONBOARDING}", "salesforce: Opportunity.Big_Deal_Alert")
    _, rows = audit(cli, ws)
    assert rows["welcome_sequence"]["runs"] is None
    assert rows["welcome_sequence"]["runs_unknown"] == "Salesforce keeps no run log of workflow rules"


def test_crmconf_own_apply_is_not_a_change_since_review_and_a_later_hand_edit_is(
        cli: CLI, emu: SalesforceEmulator, tmp_path: Path) -> None:
    ws = converging_specs(tmp_path / "ws", emu)
    applied = cli("apply", "-w", ws, "--target", TARGET, "--auto-approve", "--allow-destroy")
    assert applied.code == 0, applied.err
    _, rows = audit(cli, ws)
    built = rows["proposal_follow_up"]  # compiled and deployed by this apply, after its review date
    assert built["live_status"] == "active" and built["updated_at"][:10] > built["reviewed"]
    assert "changed-since-review" not in built["verdicts"]
    # A person switches it off in Setup a minute later: that is a change outside crmconf.
    person = next(uid for uid, u in emu.org.table("User").items() if u["Email"].startswith("devon.price@"))
    emu.org.activate_flow("crmconf_proposal_follow_up", 0, when=datetime.now(UTC) + timedelta(minutes=1), by=person)
    _, rows = audit(cli, ws)
    assert "changed-since-review" in rows["proposal_follow_up"]["verdicts"]
    assert rows["proposal_follow_up"]["updated_by"] == "Devon Price"
