"""Import a years-of-use org (tests/emulators/salesforce_seed_messy.py), then plan: no changes, nothing lost.

The org has what real ones have: several won and lost stages, URL-encoded process values, hand-set
forecast categories, inactive stages, three processes with record types and one without, fields no
permission set lets the API user see, a managed package's fields, permission set, flow and rule,
Salesforce's own permission set, flows of five process types, hand-made validation rules. `crmconf
import` must write a workspace that plans empty against it, and list every component it leaves out
with why; every live object is either in the imported spec or on that list.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from crmconf_salesforce import SalesforceProvider
from crmconf_salesforce.fetch import Reader
from ruamel.yaml import YAML

from crmconf.providers import ProviderContext
from crmconf.validation import require_valid
from tests.conftest import CLI
from tests.emulators.salesforce import SalesforceEmulator
from tests.emulators.salesforce_seed_messy import seed_messy
from tests.emulators.salesforce_wsdl import schema_exchange_errors
from tests.providers.salesforce.conftest import CA_ENV, SESSION_ENV, TODAY, assert_wsdl_valid, small_workspace


@pytest.fixture(scope="module")
def messy() -> Iterator[SalesforceEmulator]:
    with SalesforceEmulator(seed=seed_messy) as emulator:
        emulator.soap_checker = schema_exchange_errors
        yield emulator
        assert_wsdl_valid(emulator)


@pytest.fixture(scope="module")
def imported(messy: SalesforceEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """The messy org imported once through the CLI: (the workspace, what import printed)."""
    from crmconf.cli import run

    base = tmp_path_factory.mktemp("messy")
    ws = small_workspace(base / "ws", messy, "{}\n")
    out = base / "imported"
    with pytest.MonkeyPatch.context() as mp, _Captured() as captured:
        mp.setenv(SESSION_ENV, messy.session_id)
        mp.setenv(CA_ENV, messy.ca_path)
        mp.setenv("CRMCONF_TODAY", "2026-11-23")
        mp.delenv("REQUESTS_CA_BUNDLE", raising=False)
        code = run(["import", "-w", str(ws), "--target", "salesforce-prod", "--out", str(out)])
    assert code == 0, captured.err
    yield out, captured.err


class _Captured:
    """stderr of an in-process run (the cli fixture is function-scoped; the import runs once)."""

    def __enter__(self) -> _Captured:
        import contextlib
        import io

        self._buffer = io.StringIO()
        self._redirect = contextlib.redirect_stderr(self._buffer)
        self._redirect.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._redirect.__exit__(*exc)  # type: ignore[arg-type]
        self.err = self._buffer.getvalue()

    err = ""


def load(path: Path) -> Any:
    return YAML(typ="safe").load(path)


@pytest.fixture
def env(messy: SalesforceEmulator, monkeypatch: pytest.MonkeyPatch) -> SalesforceEmulator:
    monkeypatch.setenv(SESSION_ENV, messy.session_id)
    monkeypatch.setenv(CA_ENV, messy.ca_path)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    return messy


def test_import_then_plan_has_no_changes(cli: CLI, env: SalesforceEmulator, imported: tuple[Path, str]) -> None:
    out, _ = imported
    planned = cli("plan", out, "--detailed-exitcode")
    assert planned.code == 0, planned.out
    assert "No changes." in planned.out


def test_several_won_and_lost_stages_encoded_values_and_forecast_categories_come_through(
    imported: tuple[Path, str]
) -> None:
    out, _ = imported
    pipelines = {p["name"]: p for p in load(out / "pipelines.yaml")["pipelines"]}
    assert set(pipelines) == {"enterprise_sales", "smb_sales", "renewals", "support", "inbound"}
    enterprise = {s["label"]: s for s in pipelines["enterprise_sales"]["stages"]}
    assert list(enterprise) == [  # the value set's order, values decoded
        "Prospecting", "Discovery", "Needs Analysis", "Id. Decision Makers", "Demo/Trial", "Proposal/Price Quote",
        "Legal & Procurement", "Negotiation/Review", "Verbal Commit (90%)", "Closed Won", "Closed Won - Expansion",
        "Closed Lost", "Closed Lost - Competitor"]
    assert [s["label"] for s in enterprise.values() if s.get("outcome") == "won"] == ["Closed Won", "Closed Won - Expansion"]
    assert enterprise["Negotiation/Review"]["forecast_category"] == "commit"
    assert enterprise["Verbal Commit (90%)"]["forecast_category"] == "most_likely"
    assert "forecast_category" not in enterprise["Prospecting"]  # the default (pipeline) is not written
    assert pipelines["smb_sales"]["label"] == "SMB Deal"


def test_fields_without_field_level_security_are_imported(imported: tuple[Path, str]) -> None:
    out, _ = imported
    deal = {f["name"]: f for f in load(out / "fields.yaml")["fields"]["deal"]}
    assert deal["margin"]["type"] == "percent" and deal["legacy_score"]["type"] == "number"
    # Import writes a plain option as its value alone, a hidden one with its flag.
    assert deal["deal_type"]["options"] == ["New Logo", "Expansion", "Renewal", {"value": "Legacy", "hidden": True}]
    assert "acmecpq__quote_total__c" not in deal and "weighted_amount" not in deal


def test_import_lists_every_skipped_component_with_why(imported: tuple[Path, str]) -> None:
    _, err = imported
    expected = {
        "field Opportunity.acmecpq__Quote_Total__c": "installed by the package with namespace acmecpq",
        "field Opportunity.Weighted_Amount__c": "no type for a salesforce:formula field",
        "field Opportunity.Partner_Account__c": "no type for a salesforce:Lookup field",
        "permission set acmecpq__CPQ_User": "installed by the package with namespace acmecpq",
        "permission set sfdcInternalInt__sfdc_scrt2": "installed by the package with namespace sfdcInternalInt",
        "flow acmecpq__Quote_Sync": "installed by the package",
        "flow crmconf_old_follow_up": "crmconf compiled it",
        "validation rule Opportunity.acmecpq__Quote_Total_Positive": "installed by the package",
        "validation rule Opportunity.No_Reopening_Won_Deals": "a hand-made rule",
        "validation rule Lead.Email_Looks_Real": "a hand-made rule",
        "pipeline Opportunity.Old_Partner_Process": "no record type uses this process",
        "stage value OpportunityStage.Qualification": "inactive",
        "stage value OpportunityStage.Closed - Duplicate": "in no process",
        "stage value OpportunityStage.Legacy Stage 2019": "inactive",
        "permission set Sales_Rep: access to Opportunity.acmecpq__Quote_Total__c": "not in the imported spec",
        "stage value OpportunityStage.Value Proposition": "in no process",
        "stage value OpportunityStage.Perception Analysis": "inactive",
    }
    assert "not imported (" in err
    for what, why in expected.items():
        line = next((ln for ln in err.splitlines() if ln.strip().startswith(f"- {what}:")), None)
        assert line is not None and why in line, (what, err.splitlines())


def test_nothing_live_is_dropped_silently(env: SalesforceEmulator, imported: tuple[Path, str]) -> None:
    """Every object of a full read is in the imported spec's compiled resources or on the skipped list."""
    out, _ = imported
    ws = require_valid(out, TODAY)
    provider = SalesforceProvider(ProviderContext("salesforce-prod", ws.spec.config.targets["salesforce-prod"].settings,
                                                  out))
    try:
        compiled = provider.compile(ws.spec, ws.sources)
        snapshot = Reader(provider.client, None).fetch(provider.kinds)
        exported = provider.export(snapshot)
    finally:
        provider.close()
    managed = {r.address for r in compiled.resources}
    skipped = {s["address"] for s in exported["skipped"] if s.get("address")}
    lost = [a for a, o in snapshot.objects.items() if a not in managed and a not in skipped and o.parent not in skipped]
    assert not lost, lost
