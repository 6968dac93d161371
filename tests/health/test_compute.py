"""The KPIs from the spec and plain answers: what is asked, and what the answers make (pure functions)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crmconf.health import compute
from crmconf.health.kpis import Context
from crmconf.health.model import KpiResult
from crmconf.health.query import NO_ACTIVE_OWNER, Answer, Measured, Unmeasured
from crmconf.health.records import dedup_keys, picklists
from crmconf.health.stages import stale_after
from crmconf.spec.model import Spec
from crmconf.validation import require_valid

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)


def _spec(tmp_path: Path, body: str) -> Spec:
    (tmp_path / "crmconf.yaml").write_text("version: 1\npolicies: {require_automation_owner: false}\n")
    (tmp_path / "spec.yaml").write_text(body)
    (tmp_path / "teams.yaml").write_text("teams:\n  - {name: sales}\n  - {name: sdr}\n")
    return require_valid(tmp_path, date(2026, 11, 23)).spec


PIPELINE = """pipelines:
  - name: nb
    object: deal
    label: New Business
    owners: [sales]
    stages:
      - {name: disc, label: Discovery, probability: 10, owner_team: sdr, require: [amount, close_date]}
      - {name: prop, label: Proposal, probability: 60, require: [amount]}
      - {name: won, label: Won, probability: 100, outcome: won}
      - {name: lost, label: Lost, probability: 0, outcome: lost}
"""


def _kpi(spec: Spec, answers: dict[str, Any], name: str, users: dict[str, bool] | None = None) -> KpiResult:
    report = compute.compute(spec, Measured(answers, users or {}), now=NOW, target="t", provider="p")
    return next(k for k in report.kpis if k.name == name)


def test_the_specs_example_asks_each_thing_once() -> None:
    spec = require_valid(ROOT / "specs", date(2026, 11, 23)).spec
    queries = compute.plan(spec, NOW)
    keys = [q.key for q in queries]
    assert len(keys) == len(set(keys))
    # records per stage are asked once per pipeline, for both stage KPIs
    assert sorted(k for k in keys if k.startswith("stage-totals:")) == [
        "stage-totals:lifecycle", "stage-totals:new_business", "stage-totals:renewals", "stage-totals:support"]
    assert "activity:owner" in keys


def test_by_owner_off_and_kpis_off_ask_less(tmp_path: Path) -> None:
    spec = _spec(tmp_path, PIPELINE + "health: {by_owner: false, stale_deals: false, activity_per_user: false}\n")
    keys = {q.key for q in compute.plan(spec, NOW)}
    assert not any(k.endswith(":owner") and not k.startswith("records:") for k in keys)
    assert not any(k.startswith("stale:") for k in keys)
    assert "activity:owner" not in keys
    assert compute.enabled(spec) == ("required_field_completion", "off_list_values", "lead_source_coverage",
                                     "owner_coverage", "duplicates")


def test_completion_per_stage_pipeline_and_team(tmp_path: Path) -> None:
    spec = _spec(tmp_path, PIPELINE + "health: {by_owner: false}\n")
    answers = {"stage-totals:nb": Answer({"nb.disc": 4, "nb.prop": 10, "nb.won": 3, "nb.lost": 1}),
               "complete:nb:stage": Answer({"nb.disc": 3, "nb.prop": 10})}
    k = _kpi(spec, answers, "required_field_completion")
    cells = {c.key: c for c in k.cells}
    assert (cells["stage:nb.disc"].bad, cells["stage:nb.disc"].total, cells["stage:nb.disc"].value) == (1, 4, 75.0)
    assert cells["stage:nb.disc"].status == "below" and cells["stage:nb.prop"].status == "ok"
    assert (cells["pipeline:nb"].bad, cells["pipeline:nb"].total) == (1, 14)
    assert (cells["team:sdr"].bad, cells["team:sdr"].total) == (1, 4)  # discovery's owner_team
    assert (cells["team:sales"].bad, cells["team:sales"].total) == (0, 10)  # proposal: the pipeline's owners
    assert k.overall.value == pytest.approx(92.86)


def test_a_stage_the_vendor_cannot_count_is_said_not_hidden(tmp_path: Path) -> None:
    spec = _spec(tmp_path, PIPELINE + "health: {by_owner: false}\n")
    why = "Salesforce cannot filter on Opportunity.Close_Date__c"
    answers = {"stage-totals:nb": Answer({"nb.disc": 4, "nb.prop": 10}),
               "complete:nb:stage": Answer({"nb.prop": 9}, missing={"nb.disc": why})}
    k = _kpi(spec, answers, "required_field_completion")
    cells = {c.key: c for c in k.cells}
    assert cells["stage:nb.disc"].status == "unmeasured" and cells["stage:nb.disc"].note == why
    assert (cells["pipeline:nb"].bad, cells["pipeline:nb"].total) == (1, 10)
    assert "nb.disc" in (cells["pipeline:nb"].note or "")


def test_stale_after_comes_from_the_spec(tmp_path: Path) -> None:
    rule = ("automations:\n  - {name: a, object: deal, trigger: {stale_in_stage: {days: 21, pipeline: nb}},"
            " actions: [{notify: {to: [record_owner], message: m}}]}\n"
            "  - {name: b, object: deal, trigger: {stale_in_stage: {days: 9}}, actions: "
            "[{notify: {to: [record_owner], message: m}}]}\n")
    spec = _spec(tmp_path, PIPELINE + rule)
    assert stale_after(Context(spec, NOW), spec.pipelines[0]) == timedelta(days=9)  # the earliest rule wins
    spec = _spec(tmp_path, PIPELINE + rule + "health: {stale_deals: {after: 3w}}\n")
    assert stale_after(Context(spec, NOW), spec.pipelines[0]) == timedelta(weeks=3)
    spec = _spec(tmp_path, PIPELINE)
    assert stale_after(Context(spec, NOW), spec.pipelines[0]) == timedelta(days=14)


@pytest.mark.parametrize(("target", "stale", "status"), [("0", 0, "ok"), ("0", 1, "below"), ("2", 2, "ok"),
                                                          ("10%", 2, "ok"), ("10%", 3, "below")])
def test_count_targets_as_records_or_share(tmp_path: Path, target: str, stale: int, status: str) -> None:
    spec = _spec(tmp_path, PIPELINE + f"health: {{by_owner: false, stale_deals: {{target: {target}}}}}\n")
    answers = {"stage-totals:nb": Answer({"nb.disc": 10, "nb.prop": 10}),
               "stale:nb:stage": Answer({"nb.disc": stale, "nb.prop": 0})}
    assert _kpi(spec, answers, "stale_deals").overall.status == status


def test_unmeasured_answers_stay_unmeasured(tmp_path: Path) -> None:
    spec = _spec(tmp_path, PIPELINE)
    k = _kpi(spec, {"activity:owner": Unmeasured("no activity API")}, "activity_per_user")
    assert k.overall.status == "unmeasured" and k.overall.note == "no activity API"
    k = _kpi(spec, {}, "stale_deals")
    assert k.overall.status == "unmeasured"


def test_activity_per_deal_owner(tmp_path: Path) -> None:
    spec = _spec(tmp_path, PIPELINE + "health: {activity_per_user: {target: 4}}\n")
    answers = {"records:deal:owner": Answer({"a@x.example": 3, "b@x.example": 1, NO_ACTIVE_OWNER: 2}),
               "activity:owner": Answer({"a@x.example": 6, "c@x.example": 9, NO_ACTIVE_OWNER: 4})}
    k = _kpi(spec, answers, "activity_per_user")
    owners = {c.name: (c.total, c.status) for c in k.cells if c.scope == "owner"}
    assert owners == {"a@x.example": (6, "ok"), "b@x.example": (0, "below")}  # c@ owns no deal: not a rep
    assert (k.overall.value, k.overall.status) == (3.0, "below")


def test_default_keys_and_picklists(tmp_path: Path) -> None:
    spec = require_valid(ROOT / "specs", date(2026, 11, 23)).spec
    ctx = Context(spec, NOW)
    assert dedup_keys(ctx) == [("company", "account_number"), ("contact", "email"), ("company", "domain")]
    assert [(o, f) for o, f, _ in picklists(ctx)] == [
        ("deal", "deal_type"), ("deal", "lead_source"), ("deal", "loss_reason"), ("contact", "lead_source"),
        ("contact", "persona"), ("company", "industry"), ("company", "tier")]  # multi-select ones left out


def test_owners_are_grouped_into_the_teams_the_spec_declares(tmp_path: Path) -> None:
    _spec(tmp_path, PIPELINE + "health: {activity_per_user: {target: 4}}\n")
    (tmp_path / "teams.yaml").write_text("teams:\n  - {name: sales, members: [a@x.example, b@x.example]}\n"
                                         "  - {name: sdr, members: [c@x.example]}\n")
    spec = require_valid(tmp_path, date(2026, 11, 23)).spec
    answers = {"records:deal:owner": Answer({"a@x.example": 3, "b@x.example": 1, "c@x.example": 2}),
               "activity:owner": Answer({"a@x.example": 6, "b@x.example": 1, "c@x.example": 9})}
    k = _kpi(spec, answers, "activity_per_user")
    teams = {c.name: (c.total, c.value, c.status) for c in k.cells if c.scope == "team"}
    assert teams == {"sales": (7, 3.5, "below"), "sdr": (9, 9.0, "ok")}
    assert {c.name: c.team for c in k.cells if c.scope == "owner"} == {
        "a@x.example": "sales", "b@x.example": "sales", "c@x.example": "sdr"}
