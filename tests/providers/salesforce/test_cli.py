"""End to end through the CLI: plan, apply, converge, resume after the API limit, import. The real client only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crmconf.engine.journal import read
from tests.conftest import CLI, Ran
from tests.emulators.salesforce import SalesforceEmulator
from tests.providers.salesforce.conftest import TARGET, converging_specs, copy_specs, edit


def assert_no_secret(emu: SalesforceEmulator, root: Path, *runs: Ran) -> None:
    """The session id is in no output, saved plan, journal or state file."""
    for ran in runs:
        assert emu.session_id not in ran.out + ran.err
    for path in root.rglob("*"):
        if path.is_file():
            assert emu.session_id not in path.read_text(errors="replace"), path


def test_plan_apply_then_nothing_left(cli: CLI, emu: SalesforceEmulator, tmp_path: Path) -> None:
    ws = converging_specs(tmp_path / "ws", emu)
    saved = ws / "plan.json"
    planned = cli("plan", "-w", ws, "--target", TARGET, "--out", saved)
    assert planned.code == 0, planned.out + planned.err
    text = planned.out
    for line in ("+ pipeline.renewals  ", "+ pipeline.new_business.stage.discovery  ",
                 "~ pipeline.new_business.stage.negotiation", "~ probability: 90 -> 80",
                 "~ pipeline.new_business  ", "+ pipeline.new_business.stage.proposal.rule",
                 '+ formula: "AND(ISPICKVAL(StageName, \\"Proposal Sent\\"), OR(ISBLANK(Amount), ISBLANK(CloseDate), '
                 "ISBLANK(Seats__c)", "+ pipeline.support  ", "+ field.deal.lead_source  ",
                 "~ permission.sales_manager", "~ automation.New_Customer_Onboarding",
                 '~ status: "active" -> "inactive"', "+ automation.proposal_follow_up",
                 "- pipeline.new_business.stage.prospecting", "! 4 record(s) move to pipeline.new_business.stage.discovery"):
        assert line in text, line
    changes = json.loads(saved.read_text())["changes"]
    applied = cli("apply", saved, "-w", ws, "--allow-destroy")
    assert applied.code == 0, applied.err
    assert f"Apply: {len(changes)} applied." in applied.err and "Not verified" not in applied.err

    # The org now says what the spec says.
    stages = {v["fullName"]: v for v in emu.metadata("StandardValueSet")["OpportunityStage"]["standardValue"]}
    assert (stages["Negotiation/Review"]["probability"], stages["Proposal Sent"]["probability"]) == (80, 60)
    assert not stages["Prospecting"]["isActive"]  # retired: no process lists it, no record holds it
    assert stages["Qualification"]["isActive"]  # retired from the process, but records outside it still hold it
    assert stages["Perception Analysis"]["isActive"]  # never crmconf's: untouched
    process = [v["fullName"] for v in emu.metadata("BusinessProcess")["Opportunity.New_Business"]["values"]]
    assert process == ["Discovery", "Demo & Evaluation", "Proposal Sent", "Negotiation/Review", "Closed Won",
                       "Closed Lost"]
    rt = next(r["Id"] for r in emu.records("RecordType") if r["DeveloperName"] == "New_Business")
    in_process = [o["StageName"] for o in emu.records("Opportunity") if o.get("RecordTypeId") == rt]
    retired = {"Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Proposal/Price Quote"}
    assert not retired & set(in_process) and in_process.count("Discovery") == 4  # their records moved first
    assert "Opportunity.crmconf_new_business_proposal_sent" in emu.metadata("ValidationRule")
    views = {r["ApiName"]: r for r in emu.records("FlowDefinitionView")}
    assert views["crmconf_proposal_follow_up"]["IsActive"] and not views["New_Customer_Onboarding"]["IsActive"]
    assert views["New_Customer_Onboarding"]["Description"].startswith("Enrol the customer's contacts")
    manager = {o["object"]: o for o in emu.metadata("PermissionSet")["Sales_Manager"]["objectPermissions"]}
    assert not manager["Account"]["allowDelete"] and manager["Account"]["viewAllRecords"]

    again = cli("plan", "-w", ws, "--target", TARGET, "--detailed-exitcode")
    assert again.code == 0, again.out
    assert "No changes." in again.out

    # The audit reads the same automations without a plan: compiled and bound ones are found live.
    audit = cli("audit", "-w", ws, "--target", TARGET, "--format", "json")
    rows = {r["name"]: r for r in json.loads(audit.out)["rows"]}
    assert rows["proposal_follow_up"]["live_status"] == "active" and "missing" not in rows["proposal_follow_up"]["verdicts"]
    assert rows["welcome_sequence"]["live_status"] == "inactive"
    assert rows["welcome_sequence"]["updated_by"] == "Maria Lopez"  # the session's user changed it just now
    assert rows["automation.Route_Inbound_Leads"]["verdicts"] == ["orphan"]
    assert "missing" in rows["stalled_deal_alert"]["verdicts"]  # a manual step: nobody built it yet

    # What crmconf built imports back as the same spec: processes, stage requirements, fields, grants.
    out = tmp_path / "imported"
    imported = cli("import", "-w", ws, "--target", TARGET, "--out", out)
    assert imported.code == 0, imported.err
    pipelines = (out / "pipelines.yaml").read_text()
    assert "label: Proposal Sent" in pipelines and "- contract_term_months" in pipelines  # a `require` list
    # The flow crmconf compiled cannot be imported; the new workspace shares the target's managed record,
    # so its plan would delete that flow, and import says so.
    assert "the imported workspace does not declare under the same address (automation.proposal_follow_up" in imported.err
    assert "Both workspaces would share that record" in imported.err
    planned_import = cli("plan", out, "--format", "json")
    planned_changes = [(c["action"], c["address"]) for c in json.loads(planned_import.out)["changes"]]
    assert planned_changes == [("delete", "automation.proposal_follow_up")], planned_import.out
    assert_no_secret(emu, ws, planned, applied, again, audit, imported, planned_import)
    assert_no_secret(emu, out)


def test_an_interrupted_apply_reports_exactly_and_the_next_resumes(
    cli: CLI, emu: SalesforceEmulator, tmp_path: Path
) -> None:
    ws = converging_specs(tmp_path / "ws", emu)
    emu.faults.inject("rate_limit", path=r"#upsertMetadata$", skip=3)  # the 4th Metadata write hits the limit
    stopped = cli("apply", "-w", ws, "--target", TARGET, "--auto-approve", "--allow-destroy")
    assert stopped.code == 1
    assert "Stopped early: API limit" in stopped.err and "Not verified" not in stopped.err
    journal = read(ws / ".crmconf" / "journal.jsonl")
    begin = next(e for e in journal if e["event"] == "begin")
    outcomes = [e for e in journal if e["event"] == "change"]
    by = {k: [e for e in outcomes if e["outcome"] == k] for k in ("applied", "failed", "not-attempted", "skipped")}
    assert len(outcomes) == begin["changes"]
    assert by["applied"] and by["failed"] and by["not-attempted"]
    assert all(e["detail"].startswith("API limit: salesforce upsertMetadata") for e in by["failed"])
    assert len(by["failed"]) <= 10  # one Metadata call: at most one batch of ten
    end = next(e for e in journal if e["event"] == "end")
    assert end["counts"]["applied"] == len(by["applied"]) and end["verified"]

    left = cli("plan", "-w", ws, "--target", TARGET, "--format", "json")
    remaining = {c["address"] for c in json.loads(left.out)["changes"]}
    # Exactly what did not happen is left: nothing applied is planned again, nothing unapplied is lost.
    assert remaining == {e["address"] for e in by["failed"] + by["not-attempted"]}
    resumed = cli("apply", "-w", ws, "--target", TARGET, "--auto-approve", "--allow-destroy")
    assert resumed.code == 0, resumed.err
    assert cli("plan", "-w", ws, "--target", TARGET, "--detailed-exitcode").code == 0
    assert_no_secret(emu, ws, stopped, left, resumed)


def test_import_then_plan_is_empty(cli: CLI, emu: SalesforceEmulator, tmp_path: Path) -> None:
    ws = copy_specs(tmp_path / "ws", emu)
    out = tmp_path / "imported"
    imported = cli("import", "-w", ws, "--target", TARGET, "--out", out)
    assert imported.code == 0, imported.err
    pipelines = (out / "pipelines.yaml").read_text()
    assert "name: new_business" in pipelines and "label: Proposal/Price Quote" in pipelines
    assert "salesforce: Route_Inbound_Leads" in (out / "automations.yaml").read_text()
    assert "name: lead_source_detail" in (out / "fields.yaml").read_text()
    assert cli("validate", out).code == 0
    planned = cli("plan", out, "--detailed-exitcode")
    assert planned.code == 0, planned.out
    assert_no_secret(emu, out, imported, planned)


@pytest.mark.parametrize("pasted", [
    'session_env: "{secret}"',  # the secret where its variable's name goes
    "session_id: {secret}\n      session_env: SF_SESSION_ID",  # the secret under a key of its own
    "session_env: SF_SESSION_ID\n      jwt_key_env: {secret}",  # a second login method, and a secret
])
def test_a_secret_pasted_into_the_settings_is_refused_and_never_echoed(
    cli: CLI, emu: SalesforceEmulator, tmp_path: Path, pasted: str
) -> None:
    ws = copy_specs(tmp_path / "ws", emu)
    secret = "s3cr3t-Value-that-looks-like-nothing-known"
    edit(ws / "crmconf.yaml", "session_env: SF_SESSION_ID", pasted.format(secret=secret))
    for command in (("plan", ws, "--target", TARGET), ("validate", ws, "--format", "json"),
                    ("plan", ws, "--target", TARGET, "--format", "json")):
        ran = cli(*command)
        assert secret not in ran.out + ran.err, command
    ran = cli("plan", "-w", ws, "--target", TARGET)
    assert ran.code == 1 and "S210" in ran.err and "Traceback" not in ran.err, ran.err
