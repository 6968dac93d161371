"""Compiling the example workspace (specs/) for Salesforce: resources, manual steps, diagnostics. No network."""

from __future__ import annotations

from pathlib import Path

from crmconf_salesforce import SalesforceProvider

from crmconf.engine.resource import Compiled
from crmconf.providers import ProviderContext
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
    assert stage.attrs == {"value_set": "OpportunityStage", "active": True, "probability": 60, "outcome": None}
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
    codes = {(d.code, d.message.split(":")[0]) for d in result.diagnostics}
    assert ("V603", "permission customer_success") in codes  # renewal_date is required: no field security
    assert not [d for d in result.diagnostics if d.is_error]
