"""`crmconf health` on HubSpot, through hubspot-api-client (strict decoding) against the emulator: search
totals only.

specs/ is applied to the portal, the people do the lifecycle manual step, and the portal gets the
population of tests/health/population.py. Every KPI must equal what tests/health/oracle.py counts,
except what search cannot count, which must be said: values outside a picklist are counted but not
named, and duplicates only of keys HubSpot keeps unique itself.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crmconf.validation import require_valid
from tests.conftest import CLI
from tests.emulators.hubspot import HubSpotEmulator
from tests.emulators.hubspot_state import HubSpotError
from tests.health import oracle
from tests.health.population import Faults, Population, generate
from tests.health.seed_hubspot import seed
from tests.providers.hubspot.conftest import REPO, TARGET, Engine, make_workspace

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
TODAY = date(2026, 11, 23)
# HubSpot refuses a second contact with the same e-mail and a repeated `unique` value: no duplicates of those.
FAULTS = Faults(duplicate=0.0)


@pytest.fixture
def portal(emu: HubSpotEmulator, engine: Engine, ws: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Population]:
    _patient(ws)
    assert engine.apply().ok
    spec = require_valid(ws, TODAY).spec
    population = generate(spec, NOW, faults=FAULTS)
    seed(emu, spec, population)
    emu.requests.reset()
    emu.roll_rate_window()  # the report runs on a later night than the apply: not paced by its requests
    monkeypatch.setenv("CRMCONF_NOW", NOW.isoformat())
    return ws, population


def _patient(root: Path) -> None:
    """Request counts are asserted here: a search slowed by a busy machine must not time out and be retried."""
    config = root / "crmconf.yaml"
    config.write_text(config.read_text().replace("      timeout: 0.4\n", "      timeout: 30\n"))


def _report(cli: CLI, root: Path) -> dict[str, Any]:
    ran = cli("health", "-w", root, "-t", TARGET, "--format", "json", "--no-history", "--fail-on", "never")
    assert ran.code == 0, ran.err
    return json.loads(ran.out)


def _kpi(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(k for k in report["kpis"] if k["name"] == name)


def _figures(kpi: dict[str, Any], scope: str) -> dict[str, tuple[int, int]]:
    return {c["name"]: (c["bad"], c["total"]) for c in kpi["cells"] if c["scope"] == scope and c["status"] != "unmeasured"}


def test_every_kpi_matches_the_population(cli: CLI, portal: tuple[Path, Population]) -> None:
    root, pop = portal
    spec = require_valid(root, TODAY).spec
    report = _report(cli, root)

    for name, expected, scope in (("required_field_completion", oracle.completion(spec, pop), "stage"),
                                  ("stale_deals", oracle.stale(spec, pop), "stage"),
                                  ("off_list_values", oracle.off_list(spec, pop), "field"),
                                  ("lead_source_coverage", oracle.lead_source(spec, pop), "object"),
                                  ("owner_coverage", oracle.owners(spec, pop), "object")):
        kpi = _kpi(report, name)
        assert (kpi["overall"]["bad"], kpi["overall"]["total"]) == expected.pop(""), name
        assert _figures(kpi, scope) == expected, name
    stale = _kpi(report, "stale_deals")
    by_owner = {c["name"]: c["bad"] for c in stale["cells"] if c["scope"] == "owner" and c["bad"]}
    assert by_owner == {("(no active owner)" if o == "" else o): n for o, n in oracle.stale_by_owner(spec, pop).items()}

    off_list = _kpi(report, "off_list_values")
    assert all(c["detail"] == [] for c in off_list["cells"])  # counted, not named: search does not group

    duplicates = _kpi(report, "duplicates")
    keys = {c["name"]: c for c in duplicates["cells"]}
    assert (keys["contact.email"]["bad"], keys["contact.email"]["total"]) == (
        0, sum(1 for r in pop.of("contact") if oracle.filled(r, "email")))
    assert "refuses a second contact" in keys["contact.email"]["note"]
    assert "hasUniqueValue" in keys["company.account_number"]["note"]
    assert keys["company.domain"]["status"] == "unmeasured"
    assert "cannot count distinct values" in keys["company.domain"]["note"]

    activity = oracle.activity(pop)
    kpi = _kpi(report, "activity_per_user")
    assert {c["name"]: c["total"] for c in kpi["cells"] if c["scope"] == "owner"} == activity


def test_the_portal_refuses_the_duplicates_it_is_said_to_refuse(emu: HubSpotEmulator, portal: tuple[Path, Population]) -> None:
    email = next(str(r.values["email"]) for r in portal[1].of("contact") if r.values.get("email"))
    with pytest.raises(HubSpotError) as refused:
        emu.portal.create_record("contacts", {"email": email.upper()})
    assert refused.value.status == 409


SMALL = """pipelines:
  - name: sales
    object: deal
    label: Sales
    stages:
      - {name: a, label: Qualify, probability: 20}
      - {name: b, label: Propose, probability: 60}
      - {name: won, label: Won, probability: 100, outcome: won}
      - {name: lost, label: Lost, probability: 0, outcome: lost}
health:
  by_owner: BY_OWNER
  stale_deals: {after: 10d}
  required_field_completion: false
  off_list_values: false
  lead_source_coverage: false
  owner_coverage: false
  duplicates: false
  activity_per_user: false
"""


@pytest.mark.parametrize("by_owner", [False, True])
def test_requests_are_the_minimum_search_allows(cli: CLI, emu: HubSpotEmulator, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch, by_owner: bool) -> None:
    """Counted by hand: one search a count (records per stage: 4 stages; stale deals per open stage: 2), and
    per owner for each of the two owner queries (open deals, stale deals) one search of all records then
    one per active owner, the two stale stages packed into one search (two filter groups). Reads besides:
    the token's scopes, the deal pipelines, and (per owner) the owners. A stage of 12,000 deals is counted
    exactly from `total`, past the 10,000 results a search can page through."""
    owners = sum(1 for o in emu.portal.owners.values() if not o["archived"])
    searches = 4 + 2 + (2 * (1 + owners) if by_owner else 0)
    reads = 2 + (1 if by_owner else 0)
    root = make_workspace(tmp_path / "ws", emu, timeout=30)
    for path in [*root.glob("*.yaml"), *root.glob("*/*.yaml")]:
        if path.name not in ("crmconf.yaml", "teams.yaml"):  # crmconf.yaml names the council, a team
            path.unlink()
    (root / "crmconf.yaml").write_text((root / "crmconf.yaml").read_text().replace(
        "default_target: local", "default_target: hubspot-prod").replace("require_automation_owner: true",
                                                                          "require_automation_owner: false"))
    (root / "spec.yaml").write_text(SMALL.replace("BY_OWNER", str(by_owner).lower()))
    assert Engine(root).apply().ok
    sales = next(p for p in emu.portal.pipelines["deals"].values() if p["label"] == "Sales")
    ids = {s["label"]: s["id"] for s in sales["stages"]}
    old = (NOW - timedelta(days=30)).isoformat()
    with emu._lock:
        for record in emu.portal.records.values():
            record.clear()
        emu.portal._indexes.clear()
        rep = next(o["id"] for o in emu.portal.owners.values() if o["email"] == "maria.lopez@acme.example")
        for i in range(12_000):
            emu.portal.create_record("deals", {"pipeline": sales["id"], "dealstage": ids["Qualify"],
                                               "hubspot_owner_id": rep,
                                               f"hs_date_entered_{ids['Qualify']}": old if i % 4 == 0 else NOW.isoformat()},
                                     validate=False)
    emu.requests.reset()
    monkeypatch.setenv("CRMCONF_NOW", NOW.isoformat())
    report = _report(cli, root)
    stale = _kpi(report, "stale_deals")
    assert (stale["overall"]["bad"], stale["overall"]["total"]) == (3000, 12_000)
    counts = emu.requests.counts
    assert counts[("POST", "/crm/v3/objects/deals/search")] == searches
    assert emu.requests.total == searches + reads
    if by_owner:
        assert _figures(stale, "owner") == {"maria.lopez@acme.example": (3000, 12_000)}


@pytest.mark.parametrize("by_owner", [False, True])
def test_the_search_cost_docs_health_states(cli: CLI, emu: HubSpotEmulator, portal: tuple[Path, Population],
                                            by_owner: bool) -> None:
    """docs/health.md gives the example spec's search count as a fixed part plus a part per active owner."""
    root, _ = portal
    (root / "health.yaml").write_text(f"health: {{by_owner: {str(by_owner).lower()}}}\n")
    text = (REPO / "docs" / "health.md").read_text()
    stated = re.findall(r"\*\*(\d+) (?:searches )?plus (\d+) for each active owner and one more\*\* with `by_owner: "
                        r"(false|true)`", text.replace("\n", " "))
    fixed, each = next((int(f), int(e)) for f, e, flag in stated if flag == str(by_owner).lower())
    for more in ("new.rep1@acme.example", None):  # the rule holds as the team grows
        owners = sum(1 for o in emu.portal.owners.values() if not o["archived"])
        emu.requests.reset()
        emu.roll_rate_window()  # each report as if run on its own night: not paced by the last one's requests
        _report(cli, root)
        searches = sum(n for (_, path), n in emu.requests.counts.items() if path.endswith("/search"))
        assert searches == fixed + each * (1 + owners), (owners, searches)
        if more:
            emu.add_user(more)


def test_a_token_without_a_health_scope_is_told_which(cli: CLI, emu: HubSpotEmulator, portal: tuple[Path, Population],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.emulators.hubspot_scopes import ALL_SCOPES

    root, _ = portal
    monkeypatch.setenv("HUBSPOT_TOKEN", emu.add_token("pat-na1-no-owners", ALL_SCOPES - {"crm.objects.owners.read"}))
    emu.requests.reset()
    ran = cli("health", "-w", root, "-t", TARGET, "--no-history")
    assert ran.code == 1 and "`crm.objects.owners.read` (health per owner)" in ran.err
    assert not any(path.endswith("/search") for _, path in emu.requests.counts)  # nothing counted half-way
    access = json.loads(cli("providers", "-w", root, "--target", TARGET, "--format", "json").out)["access"]
    assert {"permission": "crm.objects.owners.read", "concern": "health per owner", "needed_for": "health",
            "granted": False} in access
