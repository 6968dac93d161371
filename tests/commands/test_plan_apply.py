"""plan / apply / drift through the CLI on the local provider: exit codes and safety rails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crmconf.engine import journal
from tests.conftest import CLI

STAGES_WITH_DEMO = """\
pipelines:
  - name: new_business
    object: deal
    label: New Business
    owners: [sales]
    stages:
      - {name: discovery, label: Discovery, probability: 10, require: [amount]}
      - {name: demo, label: Demo, probability: 30}
      - {name: closed_won, label: Closed Won, probability: 100, outcome: won}
      - {name: closed_lost, label: Closed Lost, probability: 0, outcome: lost}
"""


def org(root: Path) -> dict:
    return json.loads((root / ".crmconf" / "local-org.json").read_text())


def write_org(root: Path, data: dict) -> None:
    (root / ".crmconf" / "local-org.json").write_text(json.dumps(data))


def test_plan_exit_codes(cli: CLI, workspace: Path) -> None:
    assert cli("plan", workspace).code == 0
    changes = cli("plan", workspace, "--detailed-exitcode")
    assert changes.code == 2
    assert "Plan: 10 to add, 0 to change, 0 to destroy." in changes.out
    assert cli("apply", "-w", workspace, "--auto-approve").code == 0
    clean = cli("plan", workspace, "--detailed-exitcode")
    assert (clean.code, clean.out.strip()) == (0, "No changes. The live CRM matches the spec.")
    (workspace / "fields.yaml").write_text("fields: {deal: [{name: x}]}\n")
    assert cli("plan", workspace, "--detailed-exitcode").code == 1


def test_plan_json_and_markdown(cli: CLI, workspace: Path) -> None:
    data = json.loads(cli("plan", workspace, "--format", "json").out)
    assert data["format_version"] == 1
    assert data["summary"] == {
        "add": 10, "change": 0, "destroy": 0, "destructive_change": 0, "forget": 0, "open_steps": 0
    }
    entry = next(c for c in data["changes"] if c["address"] == "pipeline.new_business.stage.proposal")
    assert entry["actions"] == ["create"] and entry["after"]["probability"] == 60 and entry["before"] is None
    md = cli("plan", workspace, "--format", "markdown").out
    assert "needs sign-off from: **owner@example.com**, **sales**" in md
    assert md.index("**Plan: 10 to add") < md.index("<details>") < md.index("```diff")


def test_unknown_target_is_a_plain_error(cli: CLI, workspace: Path) -> None:
    ran = cli("plan", workspace, "--target", "nope")
    assert ran.code == 1 and "unknown target 'nope'" in ran.err


def test_apply_refuses_without_terminal(cli: CLI, workspace: Path) -> None:
    ran = cli("apply", "-w", workspace)
    assert ran.code == 1 and "--auto-approve" in ran.err
    assert not (workspace / ".crmconf" / "local-org.json").exists()


def test_destroy_is_refused_without_flag_and_records_move(cli: CLI, workspace: Path) -> None:
    (workspace / "pipelines.yaml").write_text(STAGES_WITH_DEMO)
    (workspace / "automations.yaml").unlink()
    assert cli("apply", "-w", workspace, "--auto-approve").code == 0
    data = org(workspace)
    data["records"] = {
        "deal": [{"id": f"d{i}", "pipeline": "new_business", "stage": "demo"} for i in range(3)]
    }
    write_org(workspace, data)
    text = STAGES_WITH_DEMO.replace("      - {name: demo, label: Demo, probability: 30}\n", "")
    (workspace / "pipelines.yaml").write_text(text)

    blocked = cli("apply", "-w", workspace, "--auto-approve")
    assert blocked.code == 1 and "P201" in blocked.err  # records with nowhere to go: a plan error

    (workspace / "pipelines.yaml").write_text(text + "    migrate_to: {demo: discovery}\n")
    refused = cli("apply", "-w", workspace, "--auto-approve")
    assert refused.code == 1 and "--allow-destroy" in refused.err and "3 record(s) move to" in refused.err
    assert "pipeline.new_business.stage.demo" in org(workspace)["objects"]

    assert cli("apply", "-w", workspace, "--auto-approve", "--allow-destroy").code == 0
    after = org(workspace)
    assert "pipeline.new_business.stage.demo" not in after["objects"]
    assert {r["stage"] for r in after["records"]["deal"]} == {"discovery"}
    assert cli("plan", workspace, "--detailed-exitcode").code == 0


def test_saved_plan_applies_exactly_and_refuses_when_stale(cli: CLI, workspace: Path, tmp_path: Path) -> None:
    planfile = tmp_path / "plan.json"
    assert cli("plan", workspace, "--out", planfile).code == 0
    assert cli("apply", planfile, "-w", workspace).code == 0
    assert cli("plan", workspace, "--detailed-exitcode").code == 0

    (workspace / "fields.yaml").write_text(
        (workspace / "fields.yaml").read_text().replace("Amount", "Deal Amount")
    )
    assert cli("plan", workspace, "--out", planfile).code == 0
    data = org(workspace)
    data["objects"]["field.deal.amount"]["attrs"]["label"] = "Edited by hand"
    write_org(workspace, data)
    live_moved = cli("apply", planfile, "-w", workspace)
    assert (
        live_moved.code == 1
        and "live CRM changed" in live_moved.err
        and "field.deal.amount" in live_moved.err
    )
    assert org(workspace)["objects"]["field.deal.amount"]["attrs"]["label"] == "Edited by hand"

    assert cli("plan", workspace, "--out", planfile).code == 0
    (workspace / "terminology.yaml").write_text((workspace / "terminology.yaml").read_text() + "\n# edited\n")
    spec_moved = cli("apply", planfile, "-w", workspace)
    assert spec_moved.code == 1 and "specs changed" in spec_moved.err


def test_partial_failure_skips_dependents_and_journals_exactly(
    cli: CLI, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRMCONF_LOCAL_FAULTS", "pipeline.new_business")
    ran = cli("apply", "-w", workspace, "--auto-approve")
    assert ran.code == 1
    runs = journal.read(workspace / ".crmconf" / "journal.jsonl")
    outcomes = {r["address"]: r["outcome"] for r in runs if r["event"] == "change"}
    assert outcomes["pipeline.new_business"] == "failed"
    stages = [a for a in outcomes if a.startswith("pipeline.new_business.stage.")]
    assert len(stages) == 4 and all(outcomes[a] == "skipped" for a in stages)
    assert outcomes["automation.proposal_follow_up"] == "skipped"  # triggers on a stage that was skipped
    applied = {a for a, o in outcomes.items() if o == "applied"}
    assert applied == {"term.deal", "field.deal.amount", "field.deal.lead_source", "permission.sales_rep"}
    assert set(org(workspace)["objects"]) == applied
    assert [r["event"] for r in runs if r["event"] != "intent"] == ["begin", *["change"] * 10, "end"]
    announced: set[str] = set()  # write-ahead: what was sent was announced before its outcome
    for r in runs:
        announced |= {c["address"] for c in r.get("changes", ())} if r["event"] == "intent" else set()
        if r["event"] == "change" and r["outcome"] in ("applied", "failed"):
            assert r["address"] in announced
    assert not announced & {a for a, o in outcomes.items() if o == "skipped"}  # skipped: never sent
    assert runs[-1]["counts"] == {"applied": 4, "failed": 1, "skipped": 5, "not-attempted": 0}

    monkeypatch.delenv("CRMCONF_LOCAL_FAULTS")
    left = json.loads(cli("plan", workspace, "--format", "json").out)
    assert {c["address"] for c in left["changes"]} == {a for a, o in outcomes.items() if o != "applied"}
    assert cli("apply", "-w", workspace, "--auto-approve").code == 0
    assert cli("plan", workspace, "--detailed-exitcode").code == 0


def test_drift_reports_unmanaged_and_changes(cli: CLI, workspace: Path) -> None:
    assert cli("apply", "-w", workspace, "--auto-approve").code == 0
    assert cli("drift", workspace).code == 0
    data = org(workspace)
    data["objects"]["automation.shadow_router"] = {
        "kind": "automation",
        "attrs": {"status": "active", "description": "Opp router"},
        "label": "Opp router",
        "version": 1,
    }
    write_org(workspace, data)
    ran = cli("drift", workspace, "--format", "markdown")
    assert ran.code == 2
    assert "automation.shadow_router" in ran.out and "Terminology violations found live (1)" in ran.out


def test_providers_lists_local(cli: CLI) -> None:
    data = json.loads(cli("providers", "--format", "json").out)
    assert set(data["providers"]["local"].values()) == {"managed"}
