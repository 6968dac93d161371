"""`crmconf health` on Salesforce, through simple-salesforce against the emulator: aggregate SOQL only.

The converging example spec is applied once, then the org gets the population of
tests/health/population.py (Opportunities, Contacts, Accounts, Cases, Tasks and Events, with their
faults); every KPI must equal what tests/health/oracle.py counts, except what SOQL cannot count, which
must be said (contact stages; a long text area a stage requires).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from crmconf_salesforce.compile import compile_spec
from crmconf_salesforce.health import HealthReader

from crmconf.health import compute
from crmconf.health.kpis import Context
from crmconf.health.records import dedup_keys
from crmconf.spec.model import Spec
from crmconf.spec.workspace import Sources
from crmconf.validation import require_valid
from tests.conftest import CLI
from tests.emulators.salesforce import SalesforceEmulator
from tests.health import oracle
from tests.health.population import Faults, Population, generate
from tests.health.seed_salesforce import grant_fls, seed
from tests.providers.salesforce.conftest import (
    CA_ENV,
    REPO,
    SESSION_ENV,
    TARGET,
    add_spec_owners,
    apply_all,
    converging_specs,
    provider_for,
)

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)
TODAY = date(2026, 11, 23)
# Salesforce has no record without an owner (OwnerId is required): owners who left are its fault.
FAULTS = Faults(no_owner=0.0, never_blank=frozenset({"deal.close_date"}))  # CloseDate is required too
UNCOUNTABLE = {"lifecycle.lead", "lifecycle.mql", "lifecycle.sql",  # no stage on a Salesforce contact
               "support.escalated"}  # requires `description`, a long text area SOQL cannot filter on


@pytest.fixture(scope="module")
def seeded(server: SalesforceEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
        tuple[Path, Population, tuple[Any, ...]]]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv(SESSION_ENV, server.session_id)
        env.setenv(CA_ENV, server.ca_path)
        env.delenv("REQUESTS_CA_BUNDLE", raising=False)
        server.reset()
        add_spec_owners(server)
        root = converging_specs(tmp_path_factory.mktemp("health") / "ws", server)
        provider = provider_for(server, root)
        assert apply_all(provider, root).ok
        provider.close()
        spec = require_valid(root, TODAY).spec
        population = generate(spec, NOW, faults=FAULTS)
        seed(server, spec, population)
        yield root, population, server.save()
    server.reset()


@pytest.fixture
def org(seeded: tuple[Path, Population, tuple[Any, ...]], server: SalesforceEmulator,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Population]]:
    root, population, saved = seeded
    server.restore(saved)
    server.requests.reset()
    monkeypatch.setenv(SESSION_ENV, server.session_id)
    monkeypatch.setenv(CA_ENV, server.ca_path)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.setenv("CRMCONF_NOW", NOW.isoformat())
    yield root, population


def _report(cli: CLI, root: Path) -> dict[str, Any]:
    ran = cli("health", "-w", root, "-t", TARGET, "--format", "json", "--no-history", "--fail-on", "never")
    assert ran.code == 0, ran.err
    return json.loads(ran.out)


def _kpi(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(k for k in report["kpis"] if k["name"] == name)


def _figures(kpi: dict[str, Any], scope: str) -> dict[str, tuple[int, int]]:
    return {c["name"]: (c["bad"], c["total"]) for c in kpi["cells"] if c["scope"] == scope and c["status"] != "unmeasured"}


def test_every_kpi_matches_the_population(cli: CLI, org: tuple[Path, Population], server: SalesforceEmulator) -> None:
    root, pop = org
    spec = require_valid(root, TODAY).spec
    report = _report(cli, root)

    completion = oracle.completion(spec, pop)
    completion.pop("")
    kpi = _kpi(report, "required_field_completion")
    unmeasured = {c["name"]: c["note"] for c in kpi["cells"] if c["status"] == "unmeasured" and c["scope"] == "stage"}
    assert set(unmeasured) == UNCOUNTABLE
    assert "long text field Case.Description" in unmeasured["support.escalated"]
    assert "no stage on Contact records" in unmeasured["lifecycle.lead"]
    counted = {k: v for k, v in completion.items() if k not in UNCOUNTABLE}
    assert _figures(kpi, "stage") == counted
    assert (kpi["overall"]["bad"], kpi["overall"]["total"]) == tuple(map(sum, zip(*counted.values(), strict=True)))

    stale = oracle.stale(spec, pop)
    kpi = _kpi(report, "stale_deals")
    assert (kpi["overall"]["bad"], kpi["overall"]["total"]) == stale.pop("")
    assert _figures(kpi, "stage") == stale
    by_owner = {c["name"]: c["bad"] for c in kpi["cells"] if c["scope"] == "owner" and c["bad"]}
    assert by_owner == {("(no active owner)" if o == "" else o): n for o, n in oracle.stale_by_owner(spec, pop).items()}

    for name, expected, scope in (("off_list_values", oracle.off_list(spec, pop), "field"),
                                  ("lead_source_coverage", oracle.lead_source(spec, pop), "object"),
                                  ("owner_coverage", oracle.owners(spec, pop), "object"),
                                  ("duplicates", oracle.duplicates(dedup_keys(Context(spec, NOW)), pop), "key")):
        kpi = _kpi(report, name)
        assert (kpi["overall"]["bad"], kpi["overall"]["total"]) == expected.pop(""), name
        assert _figures(kpi, scope) == expected, name

    activity = oracle.activity(pop)
    kpi = _kpi(report, "activity_per_user")
    assert {c["name"]: c["total"] for c in kpi["cells"] if c["scope"] == "owner"} == activity


def test_reads_are_aggregate_queries_25_to_a_batch(cli: CLI, org: tuple[Path, Population],
                                                   server: SalesforceEmulator) -> None:
    """No record is read: every query is COUNT() or GROUP BY, sent 25 to a Composite Batch; the request
    count is the minimum Composite Batch allows for the queries health needs."""
    root, _ = org
    spec = require_valid(root, TODAY).spec
    _report(cli, root)
    counts = server.requests.counts
    batches = counts[("POST", "/services/data/v59.0/composite/batch")]
    statements = _statements(spec)
    assert statements > 25  # several batches' worth
    assert batches == math.ceil(statements / 25)
    assert server.requests.total == batches  # nothing else: no query, no describe, no record read
    stated = re.search(r"The example spec needs (\d+) requests", (REPO / "docs" / "health.md").read_text())
    assert stated is not None and int(stated.group(1)) == batches  # what docs/health.md says


def _statements(spec: Spec) -> int:
    """SOQL statements the health queries make: one each, two for activities (Task, Event), none for what
    cannot be counted, plus the users."""
    _, state = compile_spec(spec, Sources(), "59.0")
    reader = HealthReader(None, state)  # type: ignore[arg-type]  # building statements sends nothing
    return 1 + sum(len(reader.build(q).statements) for q in compute.plan(spec, NOW))


def test_a_field_the_user_cannot_see_is_unmeasured_with_salesforces_words(
        cli: CLI, org: tuple[Path, Population], server: SalesforceEmulator) -> None:
    root, _ = org
    with server.org.lock:
        server.org.profile_fields.clear()  # field-level security taken away: custom fields are invisible
    kpi = _kpi(_report(cli, root), "off_list_values")
    persona = next(c for c in kpi["cells"] if c["name"] == "contact.persona")
    assert persona["status"] == "unmeasured"
    assert "INVALID_FIELD" in persona["note"] and "No such column 'Persona__c'" in persona["note"]
    grant_fls(server)


def test_more_than_2000_groups_are_read_page_by_page(cli: CLI, org: tuple[Path, Population],
                                                      server: SalesforceEmulator) -> None:
    """2,100 distinct values outside a picklist: GROUP BY answers 2,000 rows at most, so the rest is
    asked for with the last value as the cursor."""
    root, _ = org
    for i in range(2100):
        server.add_record("Contact", {"LastName": "x", "Persona__c": f"old-{i:05d}"})
    kpi = _kpi(_report(cli, root), "off_list_values")
    persona = next(c for c in kpi["cells"] if c["name"] == "contact.persona")
    values = {d["value"]: d["records"] for d in persona["detail"]}
    assert sum(1 for v in values if v.startswith("old-")) == 2100
    assert persona["bad"] == sum(values.values())
