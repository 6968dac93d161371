"""Compiling the example workspace (specs/) for Salesforce: resources, manual steps, diagnostics. No network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from crmconf_salesforce import SalesforceProvider

from crmconf.engine.resource import Compiled
from crmconf.providers import ProviderContext
from crmconf.spec.workspace import load_workspace
from crmconf.validation import require_valid
from tests.providers.salesforce.conftest import REPO, TODAY


def compiled() -> Compiled:
    ws = require_valid(REPO / "specs", TODAY)
    settings = {"instance_url": "https://acme.my.salesforce.com", "session_env": "SF_SESSION_ID"}
    provider = SalesforceProvider(ProviderContext("salesforce-prod", settings, Path(REPO / "specs")))
    return provider.compile(ws.spec, ws.sources)


def test_the_example_workspace_compiles_to_salesforce_vocabulary() -> None:
    result = compiled()
    by = {r.address: r for r in result.resources}
    assert by["field.deal.arr"].attrs["type"] == "currency" and "field.deal.amount" not in by  # standard: never made
    assert by["pipeline.new_business"].attrs["stages"][:3] == ["Discovery", "Demo & Evaluation", "Proposal Sent"]
    assert set(by["pipeline.new_business"].depends_on) >= {"pipeline.new_business.stage.discovery"}
    stage = by["pipeline.new_business.stage.proposal"]
    assert stage.attrs == {"value_set": "OpportunityStage", "active": True, "probability": 60, "outcome": None,
                           "forecast_category": "pipeline"}  # always sent: Salesforce never derives it
    assert stage.parent == "pipeline.new_business"
    assert by["pipeline.support.stage.resolved"].attrs == {"value_set": "CaseStatus", "active": True, "outcome": "closed"}
    rule = by["pipeline.new_business.stage.proposal.rule"]
    assert rule.attrs["name"] == "Opportunity.crmconf_new_business_proposal_sent"
    assert rule.attrs["formula"].startswith('AND(ISPICKVAL(StageName, "Proposal Sent"), OR(ISBLANK(Amount), ')
    assert "field.deal.seats" in rule.depends_on and rule.parent == "pipeline.new_business"
    flow = by["automation.proposal_follow_up"]
    assert flow.attrs["definition"]["start"]["object"] == "Opportunity"
    assert "pipeline.new_business.stage.proposal" in flow.depends_on
    bound = by["automation.New_Customer_Onboarding"]
    assert set(bound.attrs) == {"status", "description"}
    perm = by["permission.sales_manager"]
    assert perm.attrs["objects.deal"] == ["read", "create", "edit", "delete", "view_all", "modify_all"]
    assert perm.attrs["fields.deal.amount"] == "edit"


def test_what_salesforce_cannot_take_is_a_manual_step_or_a_diagnostic() -> None:
    result = compiled()
    manual = {m.id: m for m in result.manual}  # stable ids: the address the step is about, and its topic
    assert "Contacts have no lifecycle status" in manual["pipeline.lifecycle:build-pipeline"].instructions
    assert "assignment rules" in manual["automation.inbound_lead_routing:build-flow"].instructions
    assert "stale_in_stage" in manual["automation.stalled_deal_alert:build-flow"].instructions
    assert "REGEX(Mobile_Phone__c" in manual["field.contact.mobile_phone:e164"].instructions
    assert "Amount" in manual["field.deal:standard-fields"].instructions  # standard fields are set up in Setup
    assert not [d for d in result.diagnostics if d.is_error]


def test_access_to_a_required_field_is_left_out_with_a_warning(tmp_path: Path) -> None:
    result, _ = compile_body(tmp_path / "ws", """
fields:
  company:
    - {name: renewal_date, label: Renewal Date, type: date, required: true}
permissions:
  - {name: csm, label: CSM, objects: {company: [read, edit]}, fields: {company.renewal_date: edit}}
""")
    [warned] = [d for d in result.diagnostics if d.code == "V603"]
    assert warned.message.startswith("permission csm: company.renewal_date is left out: it is required")



def compile_body(tmp: Path, body: str) -> tuple[Compiled, Any]:
    """A one-file workspace compiled for Salesforce (no request is made): resources and the State."""
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "crmconf.yaml").write_text(
        "version: 1\ndefault_target: sf\ntargets:\n  sf:\n    provider: salesforce\n    settings: "
        "{instance_url: 'https://x.my.salesforce.com', session_env: SF_SESSION_ID}\n"
        "policies: {require_automation_owner: false}\n")
    (tmp / "spec.yaml").write_text(body)
    # Loaded without validate, which would refuse the vendor errors these tests look at (check_spec).
    ws = load_workspace(tmp)
    assert ws.spec is not None, ws.diagnostics
    provider = SalesforceProvider(ProviderContext("sf", dict(ws.spec.config.targets["sf"].settings), tmp))
    return provider.compile(ws.spec, ws.sources), provider.state


DEALS = """
pipelines:
  - name: direct
    object: deal
    label: Direct
    stages:
      - {name: intro, label: Intro, probability: 10}
      - {name: demo, label: Demo, probability: 40}
      - {name: commit, label: Commit, probability: 90, forecast_category: commit}
      - {name: won, label: Closed Won, probability: 100, outcome: won}
      - {name: won_renewal, label: Closed Won - Renewal, probability: 100, outcome: won}
      - {name: lost, label: Closed Lost, probability: 0, outcome: lost}
  - name: partner
    object: deal
    label: Partner
    stages:
      - {name: intro, label: Intro, probability: 10}
      - {name: pilot, label: Pilot, probability: 30}
      - {name: demo, label: Demo, probability: 40}
      - {name: won, label: Closed Won, probability: 100, outcome: won}
      - {name: lost, label: Closed Lost, probability: 0, outcome: lost}
"""


def test_stages_carry_their_forecast_category_and_pipelines_merge_into_one_stage_order(tmp_path: Path) -> None:
    result, state = compile_body(tmp_path / "ws", DEALS)
    by = {r.address: r for r in result.resources}
    categories = {a.rsplit(".", 1)[1]: r.attrs["forecast_category"] for a, r in by.items()
                  if a.startswith("pipeline.direct.stage.")}
    assert categories == {"intro": "pipeline", "demo": "pipeline", "commit": "commit", "won": "closed",
                          "won_renewal": "closed", "lost": "omitted"}  # two won stages are fine
    assert state.value_order["OpportunityStage"] == [
        "Intro", "Pilot", "Demo", "Commit", "Closed Won", "Closed Won - Renewal", "Closed Lost"]
    assert not [d for d in result.diagnostics if d.is_error]


def test_pipelines_ordering_shared_stages_differently_are_refused_where_written(tmp_path: Path) -> None:
    body = DEALS.replace("      - {name: pilot, label: Pilot, probability: 30}\n      - {name: demo, label: Demo, "
                         "probability: 40}\n", "      - {name: demo, label: Demo, probability: 40}\n"
                         "      - {name: pilot, label: Pilot, probability: 30}\n")
    body = body.replace("      - {name: intro, label: Intro, probability: 10}\n      - {name: demo, label: Demo, "
                        "probability: 40}\n      - {name: pilot", "      - {name: demo, label: Demo, probability: 40}\n"
                        "      - {name: intro, label: Intro, probability: 10}\n      - {name: pilot")
    result, _ = compile_body(tmp_path / "ws", body)
    [problem] = [d for d in result.diagnostics if d.code == "V607"]
    assert problem.is_error and "Salesforce keeps one order of OpportunityStage values" in problem.message
    assert problem.location is not None and problem.location.file.endswith("spec.yaml")


@pytest.mark.parametrize(("objects", "code"), [
    ("{deal: [read, edit]}", "V608"),  # completed, as Setup does: apply grants read on company
    ("{deal: [read], company: []}", "V609"),  # the spec says no access: refused
    ("{contact: [read], company: [read]}", None),
])
def test_access_to_deals_or_contacts_needs_read_on_companies(tmp_path: Path, objects: str, code: str | None) -> None:
    result, state = compile_body(tmp_path / "ws", f"permissions:\n  - {{name: desk, label: Desk, objects: {objects}}}\n")
    found = [d for d in result.diagnostics if d.code in ("V608", "V609")]
    assert [d.code for d in found] == ([code] if code else [])
    if code:
        assert found[0].location is not None and found[0].location.line == 2
        assert found[0].is_error == (code == "V609")
    assert state.completions == ({"desk": {"Account"}} if code == "V608" else {})


def test_validate_reports_what_the_org_would_refuse_located(tmp_path: Path, cli: Any) -> None:
    """validate compiles for each Salesforce target (offline), so V609 fails it before any plan, once."""
    compile_body(tmp_path / "ws", "{}\n")  # the workspace's crmconf.yaml: one Salesforce target
    config = tmp_path / "ws" / "crmconf.yaml"
    config.write_text(config.read_text().replace("targets:\n", "targets:\n  sf-sandbox: {provider: salesforce, "
                                                 "settings: {instance_url: 'https://x.sandbox.my.salesforce.com', "
                                                 "session_env: SF_SESSION_ID}}\n"))
    (tmp_path / "ws" / "spec.yaml").write_text(
        "permissions:\n  - {name: desk, label: Desk, objects: {deal: [read], company: []}}\n")
    ran = cli("validate", "-w", tmp_path / "ws")
    assert ran.code == 1
    assert ran.out.count("error V609") == 1 and "spec.yaml:2:" in ran.out, ran.out
