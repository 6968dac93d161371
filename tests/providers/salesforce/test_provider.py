"""The Salesforce provider against the emulator: reads, writes, formulas that Salesforce enforces, faults."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from crmconf_salesforce import SalesforceProvider
from crmconf_salesforce.fetch import Reader
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from crmconf.engine.apply import Outcome
from crmconf.errors import AuthError, LimitExceededError, ProviderError
from tests.emulators.salesforce import SalesforceEmulator, connect, seed_scale
from tests.providers.salesforce.conftest import (
    apply_all,
    converging_specs,
    make_plan,
    provider_for,
    small_workspace,
)


@pytest.fixture(scope="module")
def provider(server: SalesforceEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SalesforceProvider]:
    """One provider (one parsed WSDL) for the module; each plan recompiles its own spec."""
    p = provider_for(server, tmp_path_factory.mktemp("provider"))
    yield p
    p.close()


@pytest.fixture(scope="module")
def sf(server: SalesforceEmulator) -> Salesforce:
    return connect(server)


def test_a_plan_reads_the_whole_org_in_a_handful_of_requests(
    emu: SalesforceEmulator, provider: SalesforceProvider, tmp_path: Path
) -> None:
    root = converging_specs(tmp_path / "ws", emu)
    plan, _ = make_plan(provider, root)
    assert emu.requests.total <= 8, emu.requests.counts  # 1 composite + value sets, processes, fields, rules...
    assert emu.requests.matching("PATCH") == emu.requests.matching("DELETE") == 0
    assert not plan.errors
    snapshot = provider.fetch(provider.kinds)
    assert snapshot.facts["users"]["tom@acme.example"] is False and snapshot.facts["users"]["maria@acme.example"]
    router = snapshot.objects["automation.Route_Inbound_Leads"]
    assert router.attrs["status"] == "active" and router.label == "Route Inbound Leads"
    assert router.meta["updated_by"] == "Devon Park" and router.meta["updated_at"].startswith("2024-")
    assert snapshot.objects["automation.Legacy_Discount_Approval"].attrs["status"] == "inactive"
    assert snapshot.objects['automation."Opportunity.Big_Deal_Alert"'].attrs["status"] == "active"  # legacy rule
    stage = snapshot.objects["pipeline.new_business.stage.prospecting"]
    assert stage.parent == "pipeline.new_business" and stage.usage["records"] == 4
    assert stage.attrs == {"value_set": "OpportunityStage", "probability": 10, "outcome": None,
                           "forecast_category": "pipeline", "active": True}
    moved = {c.address: c for c in plan.changes}
    assert moved["pipeline.new_business.stage.prospecting"].impact == (
        "4 record(s) move to pipeline.new_business.stage.discovery")
    unmanaged = {u.address for u in plan.unmanaged}
    assert {"field.deal.lead_source_detail", "automation.Case_Escalation_Alert", "permission.support_agent",
            'validation_rule."Opportunity.Amount_Required_For_Proposal"', "pipeline.standard_support"} <= unmanaged


def test_generated_formulas_are_enforced_by_salesforce(
    emu: SalesforceEmulator, provider: SalesforceProvider, sf: Salesforce, tmp_path: Path
) -> None:
    """Required-at-stage rules, written by the provider, then evaluated by Salesforce on record writes."""
    root = small_workspace(tmp_path / "ws", emu, """
fields:
  deal:
    - {name: lead_source, label: Lead Source, type: picklist, options: [Inbound, Outbound]}
    - {name: budget_confirmed, label: Budget Confirmed, type: boolean}
pipelines:
  - name: partner
    object: deal
    label: Partner Deals
    stages:
      - {name: intro, label: Prospecting, probability: 10}
      - {name: proposal, label: Proposal Sent, probability: 60, require: [amount, lead_source, budget_confirmed]}
      - {name: won, label: Closed Won, probability: 100, outcome: won}
      - {name: lost, label: Closed Lost, probability: 0, outcome: lost}
permissions:
  - name: partner_desk
    label: Partner Desk
    objects: {deal: [read, create, edit], company: [read]}
    fields: {deal.lead_source: edit, deal.budget_confirmed: edit}
""")
    report = apply_all(provider, root)
    assert report.ok, [(r.change.address, r.detail) for r in report.results if r.detail] + list(report.unverified)
    # The new fields have no field-level security until a permission set of the API user grants it.
    with pytest.raises(SalesforceMalformedRequest, match="No such column 'Lead_Source__c'"):
        sf.Opportunity.create({"Name": "Too early", "CloseDate": "2026-12-31", "StageName": "Prospecting",
                               "Lead_Source__c": "Inbound"})
    desk = next(r["Id"] for r in emu.records("PermissionSet") if r["Name"] == "Partner_Desk")
    emu.add_record("PermissionSetAssignment", {"AssigneeId": emu.org.api_user_id, "PermissionSetId": desk})
    rule = emu.metadata("ValidationRule")["Opportunity.crmconf_partner_proposal_sent"]
    assert rule["errorConditionFormula"] == ('AND(ISPICKVAL(StageName, "Proposal Sent"), OR(ISBLANK(Amount), '
                                             'ISPICKVAL(Lead_Source__c, ""), NOT(Budget_Confirmed__c)))')
    assert rule["errorDisplayField"] == "Amount" and rule["description"].startswith("Managed by crmconf")
    base = {"Name": "Formula check", "CloseDate": "2026-12-31", "Deal_Type__c": "Expansion"}
    complete = {"Amount": 5000, "Lead_Source__c": "Inbound", "Budget_Confirmed__c": True}
    for missing in ("Amount", "Lead_Source__c", "Budget_Confirmed__c"):
        values = {**base, **complete, "StageName": "Proposal Sent"}
        values[missing] = False if missing == "Budget_Confirmed__c" else None
        with pytest.raises(SalesforceMalformedRequest) as refused:
            sf.Opportunity.create(values)
        assert refused.value.content[0]["errorCode"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
        assert refused.value.content[0]["message"] == (
            "Proposal Sent needs Amount, Lead Source, Budget Confirmed. Fill them in before moving here.")
    created = sf.Opportunity.create({**base, **complete, "StageName": "Proposal Sent"})
    assert created["success"]
    early = sf.Opportunity.create({**base, "StageName": "Prospecting"})  # other stages need nothing
    with pytest.raises(SalesforceMalformedRequest, match="Proposal Sent needs"):
        sf.Opportunity.update(early["id"], {"StageName": "Proposal Sent"})  # entering the stage is checked too
    assert sf.Opportunity.update(early["id"], {**complete, "StageName": "Proposal Sent"}) == 204
    plan, _ = make_plan(provider, root)
    assert not plan.changes


def test_a_stage_batch_writes_the_value_set_once_and_keeps_every_other_value(
    emu: SalesforceEmulator, provider: SalesforceProvider, tmp_path: Path
) -> None:
    root = small_workspace(tmp_path / "ws", emu, """
pipelines:
  - name: partner
    object: deal
    label: Partner Deals
    stages:
      - {name: intro, label: Partner Intro, probability: 5}
      - {name: pilot, label: Partner Pilot, probability: 40}
      - {name: committed, label: Negotiation/Review, probability: 95, forecast_category: commit}
      - {name: won, label: Closed Won, probability: 100, outcome: won}
      - {name: lost, label: Closed Lost, probability: 0, outcome: lost}
  - name: escalations
    object: ticket
    label: Escalations
    stages:
      - {name: triage, label: Triage}
      - {name: done, label: Closed, outcome: closed}
""")
    before = {v["fullName"]: v for v in emu.metadata("StandardValueSet")["OpportunityStage"]["standardValue"]}
    plan, _ = make_plan(provider, root)
    stages = [c for c in plan.changes if c.kind == "stage"]
    assert len(stages) == 7 and all(provider.batchable(c) for c in stages)
    emu.requests.reset()
    assert provider.apply_batch(stages) == [None] * 7
    assert emu.requests.total == 2  # both value sets read in one call, written in one call
    report = apply_all(provider, root)
    assert report.ok, [(r.change.address, r.detail) for r in report.results if r.detail]
    after = emu.metadata("StandardValueSet")["OpportunityStage"]["standardValue"]
    names = [v["fullName"] for v in after]
    assert names[names.index("Partner Intro") + 1] == "Partner Pilot" and names.index("Partner Pilot") < names.index(
        "Negotiation/Review")  # new values go where their pipeline puts them
    by_name = {v["fullName"]: v for v in after}
    for name, v in before.items():  # nothing another process (or no process) uses was dropped or switched off
        assert by_name[name]["isActive"] is True, name
        if name != "Negotiation/Review":
            assert by_name[name]["probability"] == v["probability"], name
    # The forecast category is sent with every stage: Salesforce's default for an open stage is
    # Pipeline whatever its probability; `forecast_category: commit` is Salesforce's Forecast.
    assert (by_name["Negotiation/Review"]["probability"], by_name["Negotiation/Review"]["forecastCategory"]) == (
        95, "Forecast")
    assert by_name["Partner Pilot"]["forecastCategory"] == "Pipeline"
    statuses = {v["fullName"]: v for v in emu.metadata("StandardValueSet")["CaseStatus"]["standardValue"]}
    assert statuses["Triage"]["isActive"] and all(statuses[s]["isActive"] for s in ("New", "Working", "Escalated"))
    assert emu.metadata("BusinessProcess")["Opportunity.Partner"]["values"][0] == {
        "fullName": "Partner Intro", "default": True}
    assert emu.metadata("RecordType")["Case.Escalations"]["businessProcess"] == "Escalations"


def test_metadata_write_results_fail_per_component(
    emu: SalesforceEmulator, provider: SalesforceProvider, tmp_path: Path
) -> None:
    root = small_workspace(tmp_path / "ws", emu, """
fields:
  lead:
    - {name: fit_one, label: Fit One, type: text}
    - {name: fit_two, label: Fit Two, type: number}
    - {name: fit_three, label: Fit Three, type: date}
    - {name: fit_four, label: Fit Four, type: url}
""")
    plan, _ = make_plan(provider, root)
    changes = list(plan.changes)
    assert len(changes) == 4 and all(provider.batchable(c) for c in changes)
    emu.faults.inject("partial", path=r"#upsertMetadata$")
    emu.requests.reset()
    results = provider.apply_batch(changes)
    assert emu.requests.total == 1  # four fields, one upsertMetadata call
    assert [r is None for r in results] == [True, False, True, False]
    assert isinstance(results[1], ProviderError) and "Lead.Fit_Two__c" in str(results[1])
    assert "UNKNOWN_EXCEPTION" in str(results[1])
    assert sorted(n for n in emu.metadata("CustomField") if "Fit_" in n) == ["Lead.Fit_One__c", "Lead.Fit_Three__c"]


def test_api_limits_and_expired_sessions_become_crmconf_errors(
    emu: SalesforceEmulator, provider: SalesforceProvider, tmp_path: Path
) -> None:
    root = small_workspace(tmp_path / "ws", emu, "fields:\n  lead:\n    - {name: fit, label: Fit, type: text}\n")
    plan, _ = make_plan(provider, root)
    emu.faults.inject("rate_limit", path=r"/composite/batch$")  # REST: 403 REQUEST_LIMIT_EXCEEDED
    with pytest.raises(LimitExceededError, match="REQUEST_LIMIT_EXCEEDED"):
        provider.fetch(provider.kinds)
    emu.faults.inject("rate_limit", path=r"#readMetadata$")  # SOAP fault sf:REQUEST_LIMIT_EXCEEDED
    with pytest.raises(LimitExceededError):
        provider.fetch(provider.kinds)
    emu.faults.inject("rate_limit", path=r"#upsertMetadata$")
    [result] = provider.apply_batch(list(plan.changes))
    assert isinstance(result, LimitExceededError)
    emu.faults.inject("server_error", path=r"#listMetadata$")  # a read that fails once is retried
    provider.fetch(provider.kinds)
    emu.expire_session()
    with pytest.raises(AuthError) as expired:
        provider.fetch(provider.kinds)
    assert "the session in $SF_SESSION_ID expired" in str(expired.value)
    assert emu.session_id not in str(expired.value)
    [result] = provider.apply_batch(list(plan.changes))
    assert isinstance(result, AuthError)


def test_field_permissions_are_read_with_soql_paging(emu: SalesforceEmulator, provider: SalesforceProvider) -> None:
    seed_scale(emu, custom_fields=100, flows=0, permission_sets=40, field_permissions=4400)
    emu.requests.reset()
    snapshot = Reader(provider.client, None).fetch(frozenset({"permission"}))  # no spec: every set, in depth
    pages = emu.requests.matching("GET", "/services/data/v59.0/query/01g")
    assert pages >= 2  # > 4,400 FieldPermissions rows: 2,000 a page, followed through nextRecordsUrl
    assert emu.requests.matching("POST", "/services/Soap") == 0  # no Metadata reads per permission set
    assert emu.requests.total == 1 + pages
    scale = snapshot.objects["permission.scale_permset_0000"]
    assert sum(k.startswith("fields.") for k in scale.attrs) >= 50  # those the spec language can name
    assert scale.attrs["objects.deal"] == ["read"]


def test_legacy_workflow_rules_can_only_be_switched_off_and_bound_flows_are_never_created(
    emu: SalesforceEmulator, provider: SalesforceProvider, tmp_path: Path
) -> None:
    root = small_workspace(tmp_path / "ws", emu, """
automations:
  - name: big_deal_alert
    binds: {salesforce: Opportunity.Big_Deal_Alert}
    status: inactive
  - name: stale_leads
    binds: {salesforce: Lead.Stale_Lead_Reminder}
    status: active
  - name: ghost
    binds: {salesforce: No_Such_Flow}
""")
    report = apply_all(provider, root)
    outcome = {r.change.address: r for r in report.results}
    assert outcome['automation."Opportunity.Big_Deal_Alert"'].outcome is Outcome.APPLIED
    assert emu.metadata("WorkflowRule")["Opportunity.Big_Deal_Alert"]["active"] is False
    failed = outcome['automation."Lead.Stale_Lead_Reminder"']
    assert failed.outcome is Outcome.FAILED and "retired" in failed.detail
    assert emu.metadata("WorkflowRule")["Lead.Stale_Lead_Reminder"]["active"] is False
    ghost = outcome["automation.No_Such_Flow"]
    assert ghost.outcome is Outcome.FAILED and "inventoried, not created" in ghost.detail


def test_compiled_flows_deploy_activate_and_converge(
    emu: SalesforceEmulator, provider: SalesforceProvider, tmp_path: Path
) -> None:
    root = small_workspace(tmp_path / "ws", emu, """
fields:
  company:
    - {name: renewal_date, label: Renewal Date, type: date}
  deal:
    - {name: discount, label: Discount Requested, type: percent}
automations:
  - name: renewal_task
    object: company
    trigger: {date_reached: {field: renewal_date, offset: -30d}}
    actions: [{create_task: {subject: Prepare the renewal, due_in: 1w, assign_to: lena@acme.example}}]
  - name: discount_reset
    object: deal
    status: inactive
    trigger: {field_changed: {field: amount}}
    actions: [{set_field: {field: discount, value: 0}}]
""")
    report = apply_all(provider, root)
    assert report.ok, [(r.change.address, r.detail) for r in report.results if r.detail] + list(report.unverified)
    views = {r["ApiName"]: r for r in emu.records("FlowDefinitionView")}
    assert views["crmconf_renewal_task"]["IsActive"] is True
    assert views["crmconf_discount_reset"]["IsActive"] is False
    flow = emu.metadata("Flow")["crmconf_renewal_task"]
    assert flow["start"]["scheduledPaths"][0]["recordField"] == "Renewal_Date__c"
    plan, _ = make_plan(provider, root)
    assert not plan.changes
    live = provider.fetch(frozenset({"automation"})).objects["automation.renewal_task"]
    assert live.meta["updated_at"] and live.attrs["status"] == "active"

    # Dropped from the spec under `prune: [automation]`: the flow crmconf built is switched off and
    # deleted; flows it did not build are refused one by one and stay.
    spec = (root / "spec.yaml").read_text()
    (root / "spec.yaml").write_text(spec[:spec.index("  - name: renewal_task")] + spec[spec.index("  - name: discount_reset"):])
    config = root / "crmconf.yaml"
    config.write_text(config.read_text().replace("policies: {require_automation_owner: false}",
                                                 "policies: {require_automation_owner: false, prune: [automation]}"))
    report = apply_all(provider, root)
    outcome = {r.change.address: (r.outcome, r.detail) for r in report.results}
    assert outcome["automation.renewal_task"] == (Outcome.APPLIED, "")
    refused = [a for a, (o, d) in outcome.items() if o is Outcome.FAILED and "did not build" in d]
    assert refused and set(outcome) == {"automation.renewal_task", *refused}
    assert "crmconf_renewal_task" not in {r["ApiName"] for r in emu.records("FlowDefinitionView")}
    assert "crmconf_renewal_task" not in emu.metadata("Flow")
    assert all(a.removeprefix("automation.") in emu.metadata("Flow") or a.count(".") > 1 for a in refused)


def test_lead_lifecycles_become_lead_status_when_clean(
    emu: SalesforceEmulator, provider: SalesforceProvider, tmp_path: Path
) -> None:
    root = small_workspace(tmp_path / "ws", emu, """
pipelines:
  - name: inbound
    object: lead
    label: Inbound Leads
    stages:
      - {name: fresh, label: Open - Not Contacted}
      - {name: working, label: Working - Contacted, require: [email]}
      - {name: converted, label: Closed - Converted, outcome: closed}
  - name: nurture
    object: contact
    label: Nurture
    stages:
      - {name: new, label: Nurture New}
      - {name: engaged, label: Nurture Engaged, require: [email]}
  - name: lifecycle
    object: contact
    label: Lifecycle
    stages:
      - {name: lead, label: Lead}
      - {name: sql, label: SQL, require: [job_title]}
""")
    plan, _ = make_plan(provider, root)
    assert [m.address for m in plan.manual] == ["pipeline.lifecycle"]  # Lead has no job_title field
    report = apply_all(provider, root)
    assert report.ok, [(r.change.address, r.detail) for r in report.results if r.detail] + list(report.unverified)
    statuses = {v["fullName"]: v for v in emu.metadata("StandardValueSet")["LeadStatus"]["standardValue"]}
    assert statuses["Nurture Engaged"]["isActive"] and statuses["Closed - Converted"]["converted"]
    assert [v["fullName"] for v in emu.metadata("BusinessProcess")["Lead.Nurture"]["values"]] == [
        "Nurture New", "Nurture Engaged"]
    rule = emu.metadata("ValidationRule")["Lead.crmconf_inbound_working_contacted"]
    assert rule["errorConditionFormula"] == 'AND(ISPICKVAL(Status, "Working - Contacted"), ISBLANK(Email))'
    plan, _ = make_plan(provider, root)
    assert not plan.changes


# --- defects the fault campaign (test_fault_campaign.py) found ------------------------------------


def test_a_picklist_value_records_hold_is_deactivated_when_the_spec_drops_it_and_the_plan_converges(
    emu: SalesforceEmulator, provider: SalesforceProvider, tmp_path: Path
) -> None:
    # Salesforce refuses to remove a value records hold; the allowed, destructive plan used to fail every time.
    root = converging_specs(tmp_path / "ws", emu)
    assert apply_all(provider, root).ok
    deal = root / "fields" / "deal.yaml"
    deal.write_text(deal.read_text().replace("        - {value: Renewal}\n", ""))
    plan, _ = make_plan(provider, root)
    [change] = plan.changes
    assert change.address == "field.deal.deal_type" and change.destructive and "'Renewal' is used by" in change.impact
    report = apply_all(provider, root)
    assert report.ok, [r.detail for r in report.results]
    values = emu.metadata("CustomField")["Opportunity.Deal_Type__c"]["valueSet"]["valueSetDefinition"]["value"]
    assert [(v["fullName"], v["isActive"]) for v in values] == [
        ("New Business", True), ("Expansion", True), ("Renewal", False)]  # kept for the records that hold it
    assert not make_plan(provider, root)[0].changes
    deal.write_text(deal.read_text().replace("        - {value: Expansion}\n",
                                             "        - {value: Expansion}\n        - {value: Renewal}\n"))
    [back] = make_plan(provider, root)[0].changes  # naming it again switches it back on
    assert back.address == "field.deal.deal_type" and not back.destructive
    assert apply_all(provider, root).ok and not make_plan(provider, root)[0].changes


def test_a_new_stage_whose_pipeline_write_failed_is_live_and_only_the_pipeline_is_planned_again(
    emu: SalesforceEmulator, provider: SalesforceProvider, tmp_path: Path
) -> None:
    root = converging_specs(tmp_path / "ws", emu)
    assert apply_all(provider, root).ok
    renewals = root / "pipelines" / "renewals.yaml"
    renewals.write_text(renewals.read_text().replace(
        "      - name: renewal_negotiation\n",
        "      - name: expansion_check\n        label: Expansion Check\n        probability: 80\n\n"
        "      - name: renewal_negotiation\n"))
    emu.faults.inject("server_error", path=r"#upsertMetadata$", skip=1)  # the value set lands, the process not
    report = apply_all(provider, root)
    outcome = {r.change.address: r.outcome for r in report.results}
    assert outcome == {"pipeline.renewals.stage.expansion_check": Outcome.APPLIED,
                       "pipeline.renewals": Outcome.FAILED}
    assert not report.unverified  # the stage applied is the stage read back
    [left] = make_plan(provider, root)[0].changes
    assert left.address == "pipeline.renewals" and [a.name for a in left.attrs] == ["stages"]
    assert apply_all(provider, root).ok and not make_plan(provider, root)[0].changes


def test_a_record_type_left_behind_by_a_failed_pipeline_write_is_planned_again(
    emu: SalesforceEmulator, provider: SalesforceProvider, tmp_path: Path
) -> None:
    root = converging_specs(tmp_path / "ws", emu)
    assert apply_all(provider, root).ok
    renewals = root / "pipelines" / "renewals.yaml"
    renewals.write_text(renewals.read_text().replace("    description: Renewal of an existing subscription",
                                                     "    description: Renewing an existing subscription"))
    emu.faults.inject("timeout", path=r"#upsertMetadata$", skip=1)  # the process is written, its record type not
    emu.faults.timeout_stall_s = 0.3
    quick = provider_for(emu, root, timeout_seconds=0.2)
    try:
        report = apply_all(quick, root)
    finally:
        quick.close()
    assert [r.outcome for r in report.results] == [Outcome.FAILED]
    assert emu.metadata("RecordType")["Opportunity.Renewals"]["description"].startswith("Renewal of")
    [left] = make_plan(provider, root)[0].changes  # it used to read as done: the record type kept the old text
    assert left.address == "pipeline.renewals"
    assert apply_all(provider, root).ok and not make_plan(provider, root)[0].changes
    assert emu.metadata("RecordType")["Opportunity.Renewals"]["description"].startswith("Renewing")


def test_read_retries_wait_retry_backoff_seconds(
    emu: SalesforceEmulator, provider: SalesforceProvider, tmp_path: Path
) -> None:
    quick = provider_for(emu, tmp_path, retry_backoff_seconds=0)
    try:
        assert quick.settings.backoff == 0 and provider.settings.backoff == 0.2
        emu.faults.inject("server_error", path=r"/composite/batch$", times=2)  # two retries, no wait between
        quick.fetch(quick.kinds)
        assert emu.requests.matching("POST", "/services/data/v59.0/composite/batch") == 3
    finally:
        quick.close()
