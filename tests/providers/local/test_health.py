"""`crmconf health` on the local provider: every KPI against a seeded population whose true values are known.

The workspace is specs/ applied to a fresh local org; the org then gets the population of
tests/health/population.py, and each KPI's figures must equal what tests/health/oracle.py counts
record by record.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from crmconf.health.kpis import Context
from crmconf.health.records import dedup_keys
from crmconf.validation import require_valid
from tests.conftest import CLI
from tests.health import oracle
from tests.health.population import Population, generate
from tests.health.seeding import into_local_org

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def seeded(tmp_path: Path, cli: CLI, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Population]:
    root = tmp_path / "specs"
    shutil.copytree(ROOT / "specs", root, ignore=shutil.ignore_patterns(".crmconf"))
    assert cli("apply", "-w", root, "--auto-approve", "--allow-destroy").code == 0
    spec = require_valid(root, date(2026, 11, 23)).spec
    population = generate(spec, NOW)
    org_path = root / ".crmconf" / "local-org.json"
    org_path.write_text(json.dumps(into_local_org(json.loads(org_path.read_text()), population)))
    monkeypatch.setenv("CRMCONF_NOW", NOW.isoformat())
    return root, population


def _report(cli: CLI, root: Path) -> dict[str, Any]:
    ran = cli("health", "-w", root, "--format", "json", "--no-history", "--fail-on", "never")
    assert ran.code == 0, ran.err
    return json.loads(ran.out)


def _kpi(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(k for k in report["kpis"] if k["name"] == name)


def _figures(kpi: dict[str, Any], scope: str) -> dict[str, tuple[int, int]]:
    return {c["name"]: (c["bad"], c["total"]) for c in kpi["cells"] if c["scope"] == scope}


def test_every_kpi_matches_the_population(cli: CLI, seeded: tuple[Path, Population]) -> None:
    root, pop = seeded
    spec = require_valid(root, date(2026, 11, 23)).spec
    report = _report(cli, root)
    assert report["requests"] == 1  # one read of the org file answers every query

    completion = oracle.completion(spec, pop)
    kpi = _kpi(report, "required_field_completion")
    assert (kpi["overall"]["bad"], kpi["overall"]["total"]) == completion.pop("")
    assert _figures(kpi, "stage") == completion

    stale = oracle.stale(spec, pop)
    kpi = _kpi(report, "stale_deals")
    assert (kpi["overall"]["bad"], kpi["overall"]["total"]) == stale.pop("")
    assert _figures(kpi, "stage") == stale
    by_owner = {c["name"]: c["bad"] for c in kpi["cells"] if c["scope"] == "owner" and c["bad"]}
    expected = {("(no active owner)" if o == "" else o): n for o, n in oracle.stale_by_owner(spec, pop).items()}
    assert by_owner == expected

    for name, counted, scope in (("off_list_values", oracle.off_list(spec, pop), "field"),
                                 ("lead_source_coverage", oracle.lead_source(spec, pop), "object"),
                                 ("owner_coverage", oracle.owners(spec, pop), "object"),
                                 ("duplicates", oracle.duplicates(dedup_keys(Context(spec, NOW)), pop), "key")):
        kpi = _kpi(report, name)
        assert (kpi["overall"]["bad"], kpi["overall"]["total"]) == counted.pop(""), name
        assert _figures(kpi, scope) == counted, name

    activity = oracle.activity(pop)
    kpi = _kpi(report, "activity_per_user")
    assert {c["name"]: c["total"] for c in kpi["cells"] if c["scope"] == "owner"} == activity
    assert kpi["value"] == round(sum(activity.values()) / len(activity), 2)


def test_the_faults_show_where_they_are(cli: CLI, seeded: tuple[Path, Population]) -> None:
    """The population has faults of every kind, so each KPI is below its default target, and the off-list
    values are named with their counts."""
    root, pop = seeded
    report = _report(cli, root)
    assert {k["name"] for k in report["kpis"] if k["status"] == "below"} == {
        "required_field_completion", "stale_deals", "off_list_values", "lead_source_coverage", "owner_coverage",
        "duplicates", "activity_per_user"}
    deal_type = next(c for c in _kpi(report, "off_list_values")["cells"] if c["name"] == "deal.deal_type")
    held = [r.values["deal_type"] for r in pop.of("deal") if r.values.get("deal_type")]
    spec = require_valid(root, date(2026, 11, 23)).spec
    allowed = {o.value for o in spec.field("deal", "deal_type").options or ()}  # type: ignore[union-attr]
    expected = {v: held.count(v) for v in set(held) - allowed}
    assert {d["value"]: d["records"] for d in deal_type["detail"]} == expected


def test_a_tiny_org_counted_by_hand(cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three deals whose figures are plain to see: the oracle is not the only witness."""
    root = tmp_path / "ws"
    root.mkdir()
    (root / "crmconf.yaml").write_text("version: 1\npolicies: {require_automation_owner: false}\n")
    (root / "spec.yaml").write_text(
        "pipelines:\n  - name: sales\n    object: deal\n    label: Sales\n    owners: [sales]\n    stages:\n"
        "      - {name: open, label: Open, probability: 50, require: [amount]}\n"
        "      - {name: won, label: Won, probability: 100, outcome: won}\n"
        "      - {name: lost, label: Lost, probability: 0, outcome: lost}\n"
        "health: {stale_deals: {after: 10d}, activity_per_user: false, duplicates: false}\n"
        "teams: [{name: sales}]\n")
    assert cli("apply", "-w", root, "--auto-approve").code == 0
    org_path = root / ".crmconf" / "local-org.json"
    org = json.loads(org_path.read_text())
    org["users"] = [{"email": "a@x.example", "active": True}, {"email": "b@x.example", "active": False}]
    org["records"] = {"deal": [
        {"id": "1", "pipeline": "sales", "stage": "open", "owner": "a@x.example", "amount": 100,
         "stage_entered_at": "2026-11-20T09:00:00+00:00"},
        {"id": "2", "pipeline": "sales", "stage": "open", "owner": "a@x.example",
         "stage_entered_at": "2026-11-01T09:00:00+00:00"},
        {"id": "3", "pipeline": "sales", "stage": "open", "owner": "b@x.example", "amount": 0,
         "stage_entered_at": "2026-10-01T09:00:00+00:00"},
    ]}
    org_path.write_text(json.dumps(org))
    monkeypatch.setenv("CRMCONF_NOW", NOW.isoformat())
    report = _report(cli, root)
    completion = _kpi(report, "required_field_completion")
    assert (completion["overall"]["bad"], completion["overall"]["total"], completion["value"]) == (1, 3, 66.67)
    stale = _kpi(report, "stale_deals")
    assert (stale["value"], stale["status"]) == (2, "below")  # deals 2 and 3 entered more than 10 days ago
    owners = _kpi(report, "owner_coverage")
    assert (owners["overall"]["bad"], owners["overall"]["total"]) == (1, 3)  # b@ left
    assert _figures(stale, "owner") == {"a@x.example": (1, 2), "(no active owner)": (1, 1)}
