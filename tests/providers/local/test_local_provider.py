"""The local provider's own guarantees: user-only files, paths kept inside the workspace, locking."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from crmconf_local import org as store
from crmconf_local import state as local_state

from tests.conftest import CLI


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_org_and_journal_are_user_only(cli: CLI, workspace: Path) -> None:
    assert cli("apply", "-w", workspace, "--auto-approve").code == 0
    state = workspace / ".crmconf"
    assert mode(state / "local-org.json") == 0o600
    assert mode(state / "journal.jsonl") == 0o600
    assert mode(state) == 0o700


def test_org_path_cannot_escape_the_workspace(cli: CLI, workspace: Path) -> None:
    config = workspace / "crmconf.yaml"
    config.write_text(
        config.read_text().replace(
            "local: {provider: local}", "local: {provider: local, settings: {path: ../../etc/org.json}}"
        )
    )
    ran = cli("plan", workspace)
    assert ran.code == 1 and "leads outside the workspace" in ran.err


def test_unknown_settings_are_refused_with_their_location(cli: CLI, workspace: Path) -> None:
    config = workspace / "crmconf.yaml"
    config.write_text(
        config.read_text().replace(
            "local: {provider: local}", "local: {provider: local, settings: {token: abc}}"
        )
    )
    ran = cli("plan", workspace)
    assert ran.code == 1 and "S210" in ran.err and "crmconf.yaml:5" in ran.err


def test_a_second_apply_waits_for_nobody(cli: CLI, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local_state, "LOCK_WAIT", 0.2)  # how long a state write waits is not what is tested
    org = workspace / ".crmconf" / "local-org.json"
    with store.locked(org):
        ran = cli("apply", "-w", workspace, "--auto-approve")
    assert ran.code == 1 and "holds the lock" in ran.err
    assert not org.exists()


def test_a_corrupt_org_is_a_plain_error(cli: CLI, workspace: Path) -> None:
    org = workspace / ".crmconf" / "local-org.json"
    org.parent.mkdir()
    org.write_text("{not json")
    ran = cli("plan", workspace)
    assert ran.code == 1 and "cannot read the local org" in ran.err


def test_a_stage_forecast_category_is_planned_applied_and_imported(cli: CLI, workspace: Path, tmp_path: Path) -> None:
    pipelines = workspace / "pipelines.yaml"
    pipelines.write_text(pipelines.read_text().replace(
        "{name: proposal, label: Proposal Sent, probability: 60,",
        "{name: proposal, label: Proposal Sent, probability: 60, forecast_category: best_case,"))
    planned = cli("plan", workspace)
    assert '+ forecast_category: "best_case"' in planned.out
    assert cli("apply", "-w", workspace, "--auto-approve").code == 0
    out = tmp_path / "imported"
    assert cli("import", "-w", workspace, "--out", out).code == 0
    assert "forecast_category: best_case" in (out / "pipelines.yaml").read_text()
    assert cli("plan", workspace, "--detailed-exitcode").code == 0
