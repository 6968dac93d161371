"""Pure parts of the Salesforce provider: names, formulas, flows, settings. No network."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from crmconf_salesforce import SalesforceProvider, flows, formulas, ordering
from crmconf_salesforce.client import Settings
from crmconf_salesforce.mapping import (
    FORECAST_CATEGORIES,
    closed_access,
    custom_api_name,
    days,
    default_forecast,
    snake,
    spec_field_name,
    title_name,
)

from crmconf.errors import UsageError
from crmconf.spec.model import Automation


def test_custom_field_names_round_trip_case_insensitively() -> None:
    assert custom_api_name("lead_source") == "Lead_Source__c"
    assert custom_api_name("arr") == "Arr__c"
    assert spec_field_name("Opportunity", "Lead_Source__c") == "lead_source"
    assert spec_field_name("Contact", "LinkedIn_URL__c") == "linkedin_url"  # Salesforce names ignore case
    assert spec_field_name("Opportunity", "Amount") == "amount"  # standard fields map back to spec names
    assert spec_field_name("Contact", "Title") == "job_title"
    assert spec_field_name("Opportunity", "Probability") is None  # a standard field the spec cannot name
    assert spec_field_name("Opportunity", "acme__Score__c") is None  # a managed package's field
    assert spec_field_name("Opportunity", "Amount__c") is None  # would shadow the standard `amount`


def test_process_and_stage_names() -> None:
    assert title_name("new_business") == "New_Business"
    assert snake("New_Business") == "new_business"
    assert snake("Proposal/Price Quote") == "proposal_price_quote"
    assert snake("Id. Decision Makers") == "id_decision_makers"
    assert snake("3rd Call") == "x_3rd_call"


def test_forecast_category_defaults_follow_the_outcome_only() -> None:
    # As Salesforce gives a new stage: its own Negotiation/Review (90 %) is Pipeline, not Commit.
    assert [default_forecast(o) for o in ("won", "lost", "closed", None)] == ["closed", "omitted", "omitted", "pipeline"]
    assert FORECAST_CATEGORIES["commit"] == "Forecast" and FORECAST_CATEGORIES["best_case"] == "BestCase"


@pytest.mark.parametrize(("pipelines", "order", "conflict"), [
    ([("a", ["X", "Y", "Z"]), ("b", ["X", "W", "Z"])], ["X", "Y", "W", "Z"], None),
    ([("a", ["X", "Y"]), ("b", ["y", "Z"])], ["X", "Y", "Z"], None),  # values match case-insensitively
    ([("a", ["X", "Y"]), ("b", ["Y", "X"])], [], ("a", "b", "X", "Y")),
    ([("a", ["X", "Y", "Z"]), ("b", ["Z", "X"])], [], None),  # a cycle through two pipelines
])
def test_pipelines_sharing_values_merge_into_one_order(
    pipelines: list[tuple[str, list[str]]], order: list[str], conflict: tuple[str, ...] | None
) -> None:
    merged, found = ordering.merge(pipelines)
    assert merged == order
    if order:
        assert found is None
    else:
        assert found is not None and (conflict is None or (found.first, found.second, found.before,
                                                           found.after) == conflict)


def test_a_value_set_is_rearranged_by_moving_only_the_named_values() -> None:
    current = ["Prospecting", "Closed Won", "Demo", "Other", "Closed Lost", "Discovery"]
    assert ordering.arrange(current, ["Discovery", "Demo", "Closed Won", "Closed Lost"]) == [
        "Prospecting", "Discovery", "Demo", "Other", "Closed Won", "Closed Lost"]
    assert ordering.arrange(current, ["Prospecting", "Closed Won"]) == current  # already in order


def test_object_access_includes_what_salesforce_requires() -> None:
    assert closed_access(["edit"]) == ["read", "edit"]
    assert closed_access(["modify_all"]) == ["read", "edit", "delete", "view_all", "modify_all"]
    assert closed_access(["read", "create", "edit"]) == ["read", "create", "edit"]


def test_durations_in_days() -> None:
    assert [days(d) for d in ("3d", "2w", "36h", "0d", "-2d")] == [3, 14, 2, 0, -2]


# --- formulas -------------------------------------------------------------------------------------


def test_required_at_stage_formula_is_the_documented_shape() -> None:
    fields = [formulas.Required("Amount", "other", "Amount"),
              formulas.Required("Lead_Source__c", "picklist", "Lead Source")]
    text = formulas.formula("StageName", "Proposal Sent", fields)
    assert text == 'AND(ISPICKVAL(StageName, "Proposal Sent"), OR(ISBLANK(Amount), ISPICKVAL(Lead_Source__c, "")))'
    assert "TEXT(" not in text
    one = formulas.formula("Status", "New", [formulas.Required("Budget_Confirmed__c", "boolean", "Budget")])
    assert one == 'AND(ISPICKVAL(Status, "New"), NOT(Budget_Confirmed__c))'
    assert formulas.parse(text) == ("StageName", "Proposal Sent", ["Amount", "Lead_Source__c"])
    assert formulas.parse(one) == ("Status", "New", ["Budget_Confirmed__c"])
    quoted = formulas.formula("StageName", 'Say "yes"', fields[:1])
    assert formulas.parse(quoted) == ("StageName", 'Say "yes"', ["Amount"])
    assert formulas.parse("AND(ISPICKVAL(StageName, 'x'), ISBLANK(TEXT(A)))") is None
    assert formulas.message("Proposal Sent", fields) == (
        "Proposal Sent needs Amount, Lead Source. Fill them in before moving here.")


def test_rule_names_are_valid_salesforce_names_of_at_most_40_characters() -> None:
    assert formulas.rule_name("new_business", "Proposal Sent") == "crmconf_new_business_proposal_sent"
    long = formulas.rule_name("enterprise_expansion_pipeline", "Security Review & Procurement")
    assert len(long) == 40 and long.startswith("crmconf_enterprise_expansion")
    assert long == formulas.rule_name("enterprise_expansion_pipeline", "Security Review & Procurement")
    assert "__" not in long and not long.endswith("_")


# --- flows ----------------------------------------------------------------------------------------

CTX = flows.FlowContext(
    field_api=lambda obj, name: {"amount": "Amount", "stage": "StageName"}.get(name, title_name(name) + "__c"),
    stage_value=lambda ref: ("Opportunity", "Proposal Sent") if ref == "new_business.proposal" else None,
    api_version="59.0",
)


def automation(**fields: Any) -> Automation:
    return Automation.model_validate({"name": "follow_up", "object": "deal", **fields})


def test_stage_entered_with_a_task_compiles_to_a_record_triggered_flow() -> None:
    a = automation(trigger={"stage_entered": "new_business.proposal"},
                   actions=[{"create_task": {"subject": "Call", "due_in": "3d"}}])
    body = flows.compile_flow(a, CTX).definition
    assert body is not None
    start = body["start"]
    assert (start["object"], start["triggerType"], start["recordTriggerType"]) == (
        "Opportunity", "RecordAfterSave", "CreateAndUpdate")
    assert start["filters"] == [{"field": "StageName", "operator": "EqualTo", "value": {"stringValue": "Proposal Sent"}}]
    assert start["doesRequireRecordChangedToMeetCriteria"] is True
    task = body["recordCreates"][0]
    assert task["object"] == "Task" and start["connector"] == {"targetReference": task["name"]}
    assert {"field": "WhatId", "value": {"elementReference": "$Record.Id"}} in task["inputAssignments"]
    assert body["formulas"] == [{"name": "Due_Date_1", "dataType": "Date", "expression": "TODAY() + 3"}]
    attrs = flows.attrs_of(body)
    assert attrs["trigger"] == ('Opportunity created or updated when StageName EqualTo "Proposal Sent" '
                                "(only when the record starts to match)")
    assert attrs["actions"][0].startswith('create Task: Subject="Call"')


def test_field_changed_set_field_and_a_named_owner() -> None:
    a = automation(trigger={"field_changed": {"field": "amount", "to": 0}},
                   actions=[{"set_field": {"field": "stage", "value": "Closed Lost"}},
                            {"create_task": {"subject": "Why zero?", "assign_to": "lena@acme.example"}}])
    body = flows.compile_flow(a, CTX).definition
    assert body is not None
    assert body["start"]["recordTriggerType"] == "Update"
    assert body["start"]["filters"][0] == {"field": "Amount", "operator": "IsChanged", "value": {"booleanValue": True}}
    assert body["start"]["filters"][1]["value"] == {"numberValue": 0.0}
    assert body["recordUpdates"][0]["inputAssignments"] == [{"field": "StageName", "value": {"stringValue": "Closed Lost"}}]
    lookup = body["recordLookups"][0]
    assert lookup["object"] == "User" and lookup["filters"][0]["value"] == {"stringValue": "lena@acme.example"}
    owner = next(x for x in body["recordCreates"][0]["inputAssignments"] if x["field"] == "OwnerId")
    assert owner == {"field": "OwnerId", "value": {"elementReference": f"{lookup['name']}.Id"}}
    order = flows.describe_actions(body)
    assert [s.split()[0] for s in order] == ["update", "find", "create"]  # the order the connectors run


def test_date_reached_is_a_scheduled_path() -> None:
    a = automation(object="company", trigger={"date_reached": {"field": "renewal_date", "offset": "-90d"}},
                   actions=[{"create_task": {"subject": "Renew", "due_in": "1w"}}])
    body = flows.compile_flow(a, CTX).definition
    assert body is not None
    path = body["start"]["scheduledPaths"][0]
    assert (path["offsetNumber"], path["offsetUnit"], path["recordField"], path["timeSource"]) == (
        -90, "Days", "Renewal_Date__c", "RecordField")
    assert "connector" not in body["start"] and path["connector"]["targetReference"] == "Create_Task_1"


@pytest.mark.parametrize(("trigger", "action", "why"), [
    ({"stale_in_stage": {"days": 14}}, {"create_task": {"subject": "x"}}, "stale_in_stage"),
    ({"record_created": {}}, {"notify": {"to": ["record_owner"], "message": "hi"}}, "notification type"),
    ({"record_created": {}}, {"assign_round_robin": {"team": "sdr"}}, "assignment rules"),
    ({"record_created": {}}, {"create_task": {"subject": "x", "assign_to": "team:cs"}}, "owned by users"),
])
def test_what_a_flow_cannot_do_is_said(trigger: dict[str, Any], action: dict[str, Any], why: str) -> None:
    result = flows.compile_flow(automation(trigger=trigger, actions=[action]), CTX)
    assert result.definition is None and why in " ".join(result.problems)


# --- settings -------------------------------------------------------------------------------------


def valid(settings: dict[str, Any]) -> bool:
    return jsonschema.Draft202012Validator(dict(SalesforceProvider.settings_schema)).is_valid(settings)


def test_settings_take_secrets_only_from_environment_variables() -> None:
    assert valid({"instance_url": "https://acme.my.salesforce.com", "session_env": "SF_SESSION_ID"})
    assert valid({"username_env": "SF_USER", "password_env": "SF_PASSWORD", "token_env": "SF_TOKEN"})
    assert valid({"jwt_key_env": "SF_KEY", "client_id_env": "SF_CLIENT", "username_env": "SF_USER",
                  "instance_url": "https://acme.my.salesforce.com", "ca_bundle_env": "CA", "api_version": "60.0"})
    assert not valid({"instance_url": "https://acme.my.salesforce.com", "session_id": "00D..!abc"})  # a literal secret
    assert not valid({"instance_url": "https://acme.my.salesforce.com", "session_env": "00D000000000001!emulator"})
    assert not valid({"session_env": "SF_SESSION_ID"})  # a session needs the instance it belongs to
    assert not valid({"instance_url": "http://acme.my.salesforce.com", "session_env": "SF"})  # https only
    assert not valid({"instance_url": "https://x.my.salesforce.com", "session_env": "SF",  # two ways to log in
                      "username_env": "U", "password_env": "P", "token_env": "T"})
    # A stray key of another login method is refused, rather than silently choosing that method.
    assert not valid({"username_env": "U", "password_env": "P", "token_env": "T", "jwt_key_env": "K"})
    assert not valid({"username_env": "U", "password_env": "P", "token_env": "T", "session_env": "S"})


def test_an_empty_security_token_is_allowed_but_an_unset_one_is_not(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings.parse({"username_env": "SF_USER", "password_env": "SF_PASSWORD", "token_env": "SF_TOKEN"})
    monkeypatch.setenv("SF_TOKEN", "")  # orgs that trust the caller's IP range issue no security token
    assert settings.secret("token_env", may_be_empty=True) == ""
    with pytest.raises(UsageError, match="SF_TOKEN"):
        settings.secret("token_env")
    monkeypatch.delenv("SF_TOKEN")
    with pytest.raises(UsageError, match=r"SF_TOKEN \(token_env in crmconf.yaml\) is not set"):
        settings.secret("token_env", may_be_empty=True)
