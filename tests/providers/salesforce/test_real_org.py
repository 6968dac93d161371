"""The Salesforce provider against what a real org does (issue 11), one fact per test.

Each test would fail on the provider as it was before: it read through a /composite of 8-16 queries
(a real org takes 5), listed fields through describe (blind to fields without field-level security,
including its own), dropped URL-encoded process values, deployed flows `Active` (a production org
deploys them inactive), never sent a stage's forecast category, wrote permission sets a real org
refuses and planned the delete or retype of fields other components still use.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from crmconf_salesforce import SalesforceProvider

from crmconf.engine.changes import Action
from crmconf.render.plan_text import render
from tests.emulators.salesforce import SalesforceEmulator
from tests.providers.salesforce.conftest import (
    REPO,
    apply_all,
    converging_specs,
    copy_specs,
    make_plan,
    provider_for,
    small_workspace,
)


@pytest.fixture(scope="module")
def provider(server: SalesforceEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SalesforceProvider]:
    p = provider_for(server, tmp_path_factory.mktemp("provider"))
    yield p
    p.close()


def errors_of(report: object) -> list[tuple[str, str]]:
    return [(r.change.address, r.detail) for r in report.results if r.detail]  # type: ignore[attr-defined]


def test_a_plan_reads_through_composite_batch_within_the_limits(
    emu: SalesforceEmulator, provider: SalesforceProvider, tmp_path: Path
) -> None:
    """16+ queries in the first read (users, processes, stage counts, picklist usage, permissions...):
    one /composite/batch request, never a /composite (which takes 5 queries and refuses more)."""
    root = converging_specs(tmp_path / "ws", emu)
    plan, _ = make_plan(provider, root)
    assert not plan.errors
    counts = emu.requests.counts
    assert counts[("POST", "/services/data/v59.0/composite/batch")] == 1
    assert counts[("POST", "/services/data/v59.0/composite")] == 0
    # + listMetadata, value sets, processes, managed fields, crmconf rules; and one Tooling query for
    # who uses Competitor__c, which the spec retypes (text -> multi-select picklist).
    assert counts[("GET", "/services/data/v59.0/tooling/query/")] == 1
    assert emu.requests.total <= 8, counts


def test_a_field_crmconf_creates_is_seen_by_the_next_plan_without_field_level_security(
    emu: SalesforceEmulator, provider: SalesforceProvider, tmp_path: Path
) -> None:
    root = small_workspace(tmp_path / "ws", emu, """
fields:
  deal:
    - {name: tier, label: Tier, type: picklist, options: [Gold, Silver, Bronze]}
    - {name: margin, label: Margin, type: percent}
""")
    assert apply_all(provider, root).ok
    described = [f["name"] for f in provider.client.sf.Opportunity.describe()["fields"]]
    assert "Tier__c" not in described and "Margin__c" not in described  # no field-level security: hidden
    plan, _ = make_plan(provider, root)
    assert not plan.changes  # yet listed by the Metadata API: converged
    tier = provider.fetch(frozenset({"field"})).objects["field.deal.tier"]
    assert tier.meta["fls"] is False and "field-level security" in str(tier.meta["uncounted"])
    # Its values' usage cannot be counted (SOQL cannot see the field): dropping one says so, destructively.
    spec = root / "spec.yaml"
    spec.write_text(spec.read_text().replace(", Bronze]", "]"))
    [change] = make_plan(provider, root)[0].changes
    assert change.destructive and "records were not counted (the API user has no field-level security" in change.impact


def test_process_values_are_decoded_and_stages_follow_the_value_set_order(
    emu: SalesforceEmulator, provider: SalesforceProvider, tmp_path: Path
) -> None:
    """New Business holds Proposal/Price Quote and Negotiation/Review, which Salesforce sends back as
    Proposal%2FPrice Quote in alphabetical order: read decoded, in OpportunityStage order."""
    snapshot = provider.fetch(frozenset({"pipeline", "stage"}))
    pipeline = snapshot.objects["pipeline.new_business"]
    assert pipeline.attrs["stages"] == ["Prospecting", "Qualification", "Needs Analysis", "Value Proposition",
                                        "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost"]
    assert "pipeline.new_business.stage.proposal_price_quote" in snapshot.objects
    # A spec ordering shared stages another way than the value set does: apply reorders the set.
    root = small_workspace(tmp_path / "ws", emu, """
pipelines:
  - name: new_business
    object: deal
    label: New Business
    description: Net-new logo deals
    stages:
      - {name: needs_analysis, label: Needs Analysis, probability: 20}
      - {name: prospecting, label: Prospecting, probability: 10}
      - {name: qualification, label: Qualification, probability: 10}
      - {name: value_proposition, label: Value Proposition, probability: 50}
      - {name: proposal_price_quote, label: Proposal/Price Quote, probability: 75}
      - {name: negotiation_review, label: Negotiation/Review, probability: 90}
      - {name: closed_won, label: Closed Won, probability: 100, outcome: won}
      - {name: closed_lost, label: Closed Lost, probability: 0, outcome: lost}
""")
    [change] = make_plan(provider, root)[0].changes
    assert change.address == "pipeline.new_business" and [a.name for a in change.attrs] == ["stages"]
    report = apply_all(provider, root)
    assert report.ok, errors_of(report)
    values = [v["fullName"] for v in emu.metadata("StandardValueSet")["OpportunityStage"]["standardValue"]]
    assert values[:3] == ["Needs Analysis", "Prospecting", "Qualification"]
    assert values[3:] == ["Value Proposition", "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote",
                          "Negotiation/Review", "Closed Won", "Closed Lost"]  # the others kept their places
    assert not make_plan(provider, root)[0].changes


def test_stage_forecast_categories_are_planned_and_sent_explicitly(
    emu: SalesforceEmulator, provider: SalesforceProvider, tmp_path: Path
) -> None:
    stages = {v["fullName"]: v for v in emu.metadata("StandardValueSet")["OpportunityStage"]["standardValue"]}
    stages["Negotiation/Review"]["forecastCategory"] = "BestCase"  # drifted in Setup
    root = small_workspace(tmp_path / "ws", emu, """
pipelines:
  - name: partner
    object: deal
    label: Partner Deals
    stages:
      - {name: intro, label: Partner Intro, probability: 10}
      - {name: negotiation, label: Negotiation/Review, probability: 90}
      - {name: verbal, label: Verbal Yes, probability: 95, forecast_category: commit}
      - {name: won, label: Closed Won, probability: 100, outcome: won}
      - {name: won_expansion, label: Closed Won - Expansion, probability: 100, outcome: won}
      - {name: lost, label: Closed Lost, probability: 0, outcome: lost}
""")
    plan, _ = make_plan(provider, root)
    text = render(plan, color=False)
    assert text.count('+ forecast_category: "pipeline"') == 2  # open stages: Salesforce's default, sent
    assert '+ forecast_category: "commit"' in text
    assert apply_all(provider, root).ok
    stages = {v["fullName"]: v for v in emu.metadata("StandardValueSet")["OpportunityStage"]["standardValue"]}
    assert [stages[n]["forecastCategory"] for n in ("Negotiation/Review", "Verbal Yes", "Closed Won - Expansion")] == [
        "Pipeline", "Forecast", "Closed"]  # the drifted BestCase is put back
    assert not make_plan(provider, root)[0].changes
    stages["Verbal Yes"]["forecastCategory"] = "MostLikely"  # drifts again: the plan shows it
    [change] = make_plan(provider, root)[0].changes
    assert '~ forecast_category: "most_likely" -> "commit"' in render(make_plan(provider, root)[0], color=False)
    assert change.address == "pipeline.partner.stage.verbal"


def test_read_on_deals_gets_read_on_companies_as_setup_does(
    emu: SalesforceEmulator, provider: SalesforceProvider, tmp_path: Path
) -> None:
    root = small_workspace(tmp_path / "ws", emu, """
permissions:
  - name: deal_desk
    label: Deal Desk
    objects: {deal: [read, edit], lead: [read]}
""")
    plan, _ = make_plan(provider, root)
    assert [d.code for d in plan.diagnostics if d.code.startswith("V6")] == ["V608"]
    report = apply_all(provider, root)
    assert report.ok, errors_of(report)  # the org would refuse the set without Read on Accounts
    grants = {o["object"]: o for o in emu.metadata("PermissionSet")["Deal_Desk"]["objectPermissions"]}
    assert grants["Account"]["allowRead"] and not grants["Account"]["allowEdit"]
    assert not make_plan(provider, root)[0].changes


def test_flows_deploy_inactive_then_activate_through_flow_definition(
    emu: SalesforceEmulator, provider: SalesforceProvider, tmp_path: Path
) -> None:
    root = small_workspace(tmp_path / "ws", emu, """
automations:
  - name: renewal_prep
    object: deal
    trigger: {date_reached: {field: close_date, offset: -2w}}
    actions: [{create_task: {subject: Prepare the renewal, due_in: 1d}}]
""")
    report = apply_all(provider, root)
    assert report.ok, errors_of(report)
    deploys = [m for m in emu.mutations if m.type == "Flow"]
    assert [m.detail for m in deploys] == ["Draft"]  # never asked a production deploy to activate
    assert [m.detail for m in emu.mutations if m.type == "FlowDefinition"] == ["1"]  # then Tooling activated it
    flow = emu.metadata("Flow")["crmconf_renewal_prep"]
    path = flow["start"]["scheduledPaths"][0]
    assert "pathType" not in path and (path["offsetNumber"], path["offsetUnit"]) == (-14, "Days")
    assert flow["start"]["doesRequireRecordChangedToMeetCriteria"] is True
    assert {r["ApiName"]: r for r in emu.records("FlowDefinitionView")}["crmconf_renewal_prep"]["IsActive"]
    assert not make_plan(provider, root)[0].changes
    spec = root / "spec.yaml"  # switched off: a Tooling call, no new version
    spec.write_text(spec.read_text().replace("  - name: renewal_prep\n", "  - name: renewal_prep\n    status: inactive\n"))
    emu.org.mutations.clear()
    assert apply_all(provider, root).ok
    assert [(m.type, m.detail) for m in emu.mutations] == [("FlowDefinition", "0")]
    assert not {r["ApiName"]: r for r in emu.records("FlowDefinitionView")}["crmconf_renewal_prep"]["IsActive"]


REQUIRED = """
fields:
  deal:
    - {name: risk, label: Risk, type: %s}
pipelines:
  - name: partner
    object: deal
    label: Partner Deals
    stages:
      - {name: intro, label: Partner Intro, probability: 10%s}
      - {name: won, label: Closed Won, probability: 100, outcome: won}
      - {name: lost, label: Closed Lost, probability: 0, outcome: lost}
"""


def test_a_retyped_field_still_used_by_a_rule_is_refused_before_apply(
    emu: SalesforceEmulator, provider: SalesforceProvider, tmp_path: Path
) -> None:
    root = small_workspace(tmp_path / "ws", emu, REQUIRED % ("number", ", require: [risk]"))
    assert apply_all(provider, root).ok
    (root / "spec.yaml").write_text(REQUIRED % ("text", ", require: [risk]"))  # the rule keeps naming it
    plan, _ = make_plan(provider, root)
    [problem] = plan.errors
    assert problem.code == "P202" and "pipeline.partner.stage.intro.rule" in problem.message
    assert problem.location is not None and problem.location.file.endswith("spec.yaml")
    replace = next(c for c in plan.changes if c.address == "field.deal.risk")
    assert replace.action is Action.REPLACE and "still used by pipeline.partner.stage.intro.rule" in replace.impact


def test_a_retyped_field_whose_rule_goes_in_the_same_plan_is_retyped_after_it(
    emu: SalesforceEmulator, provider: SalesforceProvider, tmp_path: Path
) -> None:
    root = small_workspace(tmp_path / "ws", emu, REQUIRED % ("number", ", require: [risk]"))
    assert apply_all(provider, root).ok
    (root / "spec.yaml").write_text(REQUIRED % ("text", ""))  # the requirement goes too
    plan, _ = make_plan(provider, root)
    assert not plan.errors
    order = [c.address for c in plan.changes]
    assert order.index("pipeline.partner.stage.intro.rule") < order.index("field.deal.risk")
    replace = plan.changes[order.index("field.deal.risk")]
    assert "pipeline.partner.stage.intro.rule" in replace.depends_on
    assert "used by pipeline.partner.stage.intro.rule: changed first, in this plan" in replace.impact
    report = apply_all(provider, root)
    assert report.ok, errors_of(report)
    assert emu.metadata("CustomField")["Opportunity.Risk__c"]["type"] == "Text"
    assert not make_plan(provider, root)[0].changes


def test_a_pruned_field_a_flow_uses_is_refused_and_a_package_set_is_never_pruned(
    emu: SalesforceEmulator, provider: SalesforceProvider, tmp_path: Path
) -> None:
    emu.org.namespaces["sfdcInternalInt"] = "Salesforce internal"
    emu.org.put("PermissionSet", {"fullName": "sfdcInternalInt__sfdc_scrt2", "label": "sfdc_scrt2"})
    root = small_workspace(tmp_path / "ws", emu, "{}\n")
    config = root / "crmconf.yaml"
    config.write_text(config.read_text().replace("{require_automation_owner: false}",
                                                 "{require_automation_owner: false, prune: [field, permission]}"))
    plan, _ = make_plan(provider, root)
    problems = {d.message.split(" ", 1)[0]: d.message for d in plan.errors if d.code == "P202"}
    # The seeded Case rule names Escalation_Reason__c: pruning the field is refused before apply.
    assert "field.ticket.escalation_reason" in problems
    assert 'validation_rule."Case.Escalation_Reason_Required" uses it' in problems["field.ticket.escalation_reason"]
    deleted = {c.address for c in plan.changes if c.action is Action.DELETE}
    assert "permission.sales_rep" in deleted and "permission.sfdcInternalInt__sfdc_scrt2" not in deleted
    assert "permission.sfdcInternalInt__sfdc_scrt2" in {u.address for u in plan.unmanaged}


def test_an_installed_flow_is_never_written(
    emu: SalesforceEmulator, provider: SalesforceProvider, tmp_path: Path
) -> None:
    emu.org.namespaces["acmecpq"] = "Acme CPQ"
    source = dict(emu.metadata("Flow")["Route_Inbound_Leads"], fullName="acmecpq__Quote_Sync", status="Active")
    emu.org.save_flow_version(source, activates=True)
    root = small_workspace(tmp_path / "ws", emu, """
automations:
  - name: quote_sync
    binds: {salesforce: acmecpq__Quote_Sync}
    status: inactive
""")
    plan, _ = make_plan(provider, root)
    [problem] = plan.errors
    assert problem.code == "P203" and "installed by the package with namespace acmecpq" in problem.message
    live = provider.fetch(frozenset({"automation"})).objects["automation.acmecpq__Quote_Sync"]
    assert live.label.endswith("(installed: acmecpq, read-only)")
    [result] = provider.apply_batch(list(plan.changes))  # even forced, the provider refuses it
    assert result is not None and "crmconf never writes it" in str(result)
    assert {r["ApiName"]: r for r in emu.records("FlowDefinitionView")}["acmecpq__Quote_Sync"]["IsActive"]



def test_the_docs_say_how_many_requests_the_example_plan_takes(
    emu: SalesforceEmulator, provider: SalesforceProvider, tmp_path: Path
) -> None:
    text = (REPO / "docs" / "providers" / "salesforce.md").read_text()
    stated = int(re.search(r"plans against the seeded emulator in (\d+) requests", text).group(1))  # type: ignore[union-attr]
    plan, _ = make_plan(provider, copy_specs(tmp_path / "ws", emu))
    assert emu.requests.total == stated, emu.requests.counts
    assert [c.action for c in plan.changes if c.address == "field.deal.competitor"] == [Action.REPLACE]  # "retypes one"
