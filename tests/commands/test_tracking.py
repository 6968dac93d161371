"""One way to name the workspace, saved plans that find it, manual steps done by people, honest plans."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import CLI


def _org(ws: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((ws / ".crmconf" / "local-org.json").read_text())


def _save_org(ws: Path, org: dict) -> None:  # type: ignore[type-arg]
    (ws / ".crmconf" / "local-org.json").write_text(json.dumps(org))


# --- naming the workspace -------------------------------------------------------------------------


def test_every_command_takes_w_and_the_old_spellings_warn(cli: CLI, workspace: Path) -> None:
    for args in (["validate"], ["plan"], ["drift"], ["audit", "--offline"], ["docs", "--out", str(workspace / "hb")]):
        ran = cli(*args, "-w", workspace)
        assert "deprecated" not in ran.err, args
    old = cli("plan", workspace)
    assert old.code == 0 and "warning: naming the workspace as an argument" in old.err and f"-w {workspace}" in old.err
    old = cli("apply", "--dir", workspace, "--auto-approve")
    assert old.code == 0 and "warning: --dir is deprecated" in old.err
    clash = cli("plan", workspace, "-w", workspace.parent)
    assert clash.code == 1 and "named twice" in clash.err


def test_a_saved_plan_applies_from_anywhere(cli: CLI, workspace: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    plans = tmp_path / "plans"
    plans.mkdir()
    assert cli("plan", "-w", workspace, "--out", plans / "plan.json").code == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # not the workspace, not the plan's folder: the plan names its workspace
    ran = cli("apply", plans / "plan.json")
    assert ran.code == 0, ran.err
    assert "Apply: 10 applied." in ran.err and (workspace / ".crmconf" / "local-org.json").exists()
    assert not (elsewhere / ".crmconf").exists()


def test_a_saved_plan_stays_bound_to_its_workspace(cli: CLI, workspace: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    plan = tmp_path / "plan.json"
    assert cli("plan", "-w", workspace, "--out", plan).code == 0
    moved = tmp_path / "moved"
    shutil.move(workspace, moved)
    ran = cli("apply", plan, "-w", moved)
    assert ran.code == 1 and f"was made in the workspace '{workspace}'" in ran.err


def test_a_saved_plan_is_refused_once_the_managed_record_moved(cli: CLI, workspace: Path) -> None:
    assert cli("apply", "-w", workspace, "--auto-approve").code == 0
    fields = workspace / "fields.yaml"
    fields.write_text(fields.read_text() + "    - {name: region, label: Region, type: text}\n")
    plan = workspace.parent / "plan.json"
    assert cli("plan", "-w", workspace, "--out", plan).code == 0
    org = _org(workspace)  # another machine applied meanwhile: the record's version moved on
    record = json.loads(org["state"]["managed"])
    record["serial"] += 1
    org["state"]["managed"] = json.dumps(record)
    _save_org(workspace, org)
    ran = cli("apply", plan)
    assert ran.code == 1 and "E400" in ran.err and "managed record" in ran.err and "changed since" in ran.err


# --- what plans say -------------------------------------------------------------------------------


def test_destructive_updates_are_counted_and_effects_shown(cli: CLI, workspace: Path) -> None:
    assert cli("apply", "-w", workspace, "--auto-approve").code == 0
    org = _org(workspace)
    org["records"] = {"deal": [{"id": "d1", "lead_source": "Event", "pipeline": "new_business", "stage": "proposal"}]}
    _save_org(workspace, org)
    fields = workspace / "fields.yaml"
    fields.write_text(fields.read_text().replace("Partner, Event]", "Partner]"))
    pipelines = workspace / "pipelines.yaml"
    pipelines.write_text(pipelines.read_text().replace("probability: 60", "probability: 70"))
    ran = cli("plan", "-w", workspace)
    assert "Plan: 0 to add, 2 to change (1 of them destructive), 0 to destroy." in ran.out
    assert "1 destructive change(s): applying needs --allow-destroy." in ran.out
    assert "> forecast: 1 record(s) in it weigh 70% instead of 60% in weighted pipeline" in ran.out
    data = json.loads(cli("plan", "-w", workspace, "--format", "json").out)
    assert data["summary"]["destructive_change"] == 1
    assert data["effects"]["pipeline.new_business.stage.proposal"][0].startswith("forecast:")
    refused = cli("apply", "-w", workspace, "--auto-approve")
    assert refused.code == 1 and "E401" in refused.err


def test_two_items_with_one_address_are_a_located_error(cli: CLI, workspace: Path) -> None:
    terms = workspace / "terminology.yaml"
    terms.write_text(terms.read_text() + "  - {term: Deal Stage, definition: Where a deal is.}\n"
                     "  - {term: Deal-Stage, definition: The same words apart.}\n")
    ran = cli("plan", "-w", workspace)
    assert ran.code == 1
    assert "terminology.yaml:8:5: error P205: two spec items compile to the same address term.deal_stage" in ran.out
    assert "(the other is at terminology.yaml:7:5)" in ran.out


def test_unmanaged_entries_are_checked(cli: CLI, workspace: Path) -> None:
    config = workspace / "crmconf.yaml"
    config.write_text(config.read_text() + "unmanaged: [field.deal.amount, field.deal.not_there]\n")
    ran = cli("plan", "-w", workspace)
    assert ran.code == 1
    assert "error P206: field.deal.amount is listed under `unmanaged` but the spec declares it" in ran.out
    assert "warning P207: `unmanaged` lists field.deal.not_there, which does not exist" in ran.out


# --- manual steps ---------------------------------------------------------------------------------


@pytest.fixture
def rehearsal(workspace: Path) -> Path:
    config = workspace / "crmconf.yaml"
    config.write_text(config.read_text().replace("local: {provider: local}",
                                                 "local: {provider: local, settings: {manual: [stage_requirements]}}"))
    return workspace


def test_done_is_recorded_and_holds_only_for_what_was_asked(cli: CLI, rehearsal: Path) -> None:
    step = "pipeline.new_business:stage-requirements"
    assert cli("apply", "-w", rehearsal, "--auto-approve").code == 0
    assert cli("drift", "-w", rehearsal).code == 2
    assert cli("done", step, "--by", "maria@acme.example", "-w", rehearsal, "--note", "both stages").code == 0
    record = (rehearsal / "manual-steps.yaml").read_text()
    assert f"step: {step}" in record and "done_by: maria@acme.example" in record and "note: both stages" in record
    assert "The live CRM matches the spec." in cli("plan", "-w", rehearsal).out
    assert cli("drift", "-w", rehearsal).code == 0
    again = cli("done", step, "--by", "sam@acme.example", "-w", rehearsal)  # re-recording replaces, never duplicates
    assert again.code == 0 and (rehearsal / "manual-steps.yaml").read_text().count("step:") == 1
    pipelines = rehearsal / "pipelines.yaml"  # the spec now asks for something else: the step opens again
    pipelines.write_text(pipelines.read_text().replace("require: [amount, close_date]", "require: [amount]"))
    ran = cli("plan", "-w", rehearsal)
    assert "for earlier instructions; what it asks has changed since" in ran.out
    assert "1 manual step(s) still open" in ran.out and "matches the spec" not in ran.out


def test_done_refuses_what_it_cannot_record(cli: CLI, rehearsal: Path) -> None:
    unknown = cli("done", "pipeline.new_business:stage-requirement", "--by", "m@acme.example", "-w", rehearsal)
    assert unknown.code == 1 and "did you mean 'pipeline.new_business:stage-requirements'" in unknown.err
    email = cli("done", "pipeline.new_business:stage-requirements", "--by", "maria", "-w", rehearsal)
    assert email.code == 1 and "not an e-mail address" in email.err
    future = cli("done", "pipeline.new_business:stage-requirements", "--by", "m@acme.example", "--on", "2030-01-01",
                 "-w", rehearsal)
    assert future.code == 1 and "in the future" in future.err
    assert not (rehearsal / "manual-steps.yaml").exists()
